import Foundation

/// A table of attributes keyed by an id, read from a tab-separated file with a header line whose
/// first column is the id (`item`, `user` or `id`): user and item attribute files.
public struct AttributeTable: Sendable {
    public struct Row: Sendable {
        public var id: String
        /// Column name to value, every column but the id.
        public var attributes: [String: String]
    }
    public var columns: [String] = []
    public var rows: [Row] = []

    /// Reads the file; a wrong column count, an empty id, a missing header or an empty file is an
    /// error naming the file and line.
    public static func read(path: String, idColumns: Set<String>) throws -> AttributeTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RatingFileError(file: path, line: nil, message: "cannot read the file (does it exist?)")
        }
        var table = AttributeTable()
        for (n, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy({ $0 == " " }) { continue }
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map { String($0) }
            if table.columns.isEmpty {
                let header = cols.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard let first = header.first, idColumns.contains(first) else {
                    throw RatingFileError(file: path, line: n + 1,
                                          message: "expected a tab-separated header line starting with \(idColumns.sorted().joined(separator: " or "))")
                }
                table.columns = header
                continue
            }
            guard cols.count == table.columns.count else {
                throw RatingFileError(file: path, line: n + 1,
                                      message: "expected \(table.columns.count) tab-separated columns like the header, found \(cols.count)")
            }
            let id = cols[0].trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty else { throw RatingFileError(file: path, line: n + 1, message: "empty id") }
            var attrs: [String: String] = [:]
            for (name, value) in zip(table.columns.dropFirst(), cols.dropFirst()) { attrs[name] = value }
            table.rows.append(Row(id: id, attributes: attrs))
        }
        guard !table.rows.isEmpty else { throw RatingFileError(file: path, line: nil, message: "no rows (an empty file?)") }
        return table
    }
}

/// Item attributes from a catalogue file (`item, title, ...` with a header): titles for display,
/// genres (pipe-separated) for reports and classification, the other columns as attributes.
public struct ItemCatalogue: Sendable {
    /// Item ids in file order.
    public var order: [String] = []
    public var titles: [String: String] = [:]
    public var genres: [String: [String]] = [:]
    /// Columns other than id, title and genres (e.g. year).
    public var attributes: [String: [String: String]] = [:]

    public init() {}

    public static func read(path: String) throws -> ItemCatalogue {
        let table = try AttributeTable.read(path: path, idColumns: ["item", "id", "item_id"])
        var cat = ItemCatalogue()
        for row in table.rows {
            if cat.titles[row.id] == nil && cat.genres[row.id] == nil && cat.attributes[row.id] == nil { cat.order.append(row.id) }
            var rest = row.attributes
            if let t = rest.removeValue(forKey: "title") { cat.titles[row.id] = t }
            if let g = rest.removeValue(forKey: "genres") {
                cat.genres[row.id] = g.split(separator: "|").map(String.init).filter { !$0.isEmpty }
            }
            cat.attributes[row.id] = rest
        }
        return cat
    }
}
