/// The report's tables: a header row and rows of cells, every cell's text escaped.
enum HTMLTable {
    enum Cell {
        case text(String)
        /// Bold, for what a reader must find first (the active model).
        case strong(String)
        /// Long prose that wraps (a decision) instead of widening the table.
        case wrapping(String)

        var html: String {
            switch self {
            case .text(let s): return "<td>\(SVGText.escaped(s))</td>"
            case .strong(let s): return "<td><strong>\(SVGText.escaped(s))</strong></td>"
            case .wrapping(let s): return "<td class=\"text\">\(SVGText.escaped(s))</td>"
            }
        }
    }

    static func render(headers: [String], rows: [[Cell]]) -> String {
        var html = "<div class=\"table\"><table>\n<thead><tr>" + headers.map { "<th>\(SVGText.escaped($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows { html += "<tr>" + row.map(\.html).joined() + "</tr>\n" }
        return html + "</tbody>\n</table></div>\n"
    }
}
