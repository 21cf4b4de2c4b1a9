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

    /// Reads the file as bytes (LF or CRLF lines); a wrong column count, an id that breaks the id
    /// rule (`ExternalID.problem`), a field that is not UTF-8 or holds a NUL, a missing header or an
    /// empty file is an error naming the file and line.
    public static func read(path: String, idColumns: Set<String>) throws -> AttributeTable {
        let data: Data
        do { data = try FileAccess.read(path) } catch let error as FileAccessError {
            throw RatingFileError(file: path, line: nil, message: "cannot read the file: \(error)")
        }
        var table = AttributeTable()
        var lineNumber = 0
        for var line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.allSatisfy({ $0 == UInt8(ascii: " ") }) { continue }
            let cols = try fields(line, path: path, line: lineNumber)
            if table.columns.isEmpty {
                let header = cols.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard let first = header.first, idColumns.contains(first) else {
                    throw RatingFileError(file: path, line: lineNumber,
                                          message: "expected a tab-separated header line starting with \(idColumns.sorted().joined(separator: " or "))")
                }
                table.columns = header
                continue
            }
            guard cols.count == table.columns.count else {
                throw RatingFileError(file: path, line: lineNumber,
                                      message: "expected \(table.columns.count) tab-separated columns like the header, found \(cols.count)")
            }
            let id = cols[0].trimmingCharacters(in: .whitespaces)
            if let problem = ExternalID.problem(id) { throw RatingFileError(file: path, line: lineNumber, message: "the id \(problem)") }
            var attrs: [String: String] = [:]
            for (name, value) in zip(table.columns.dropFirst(), cols.dropFirst()) { attrs[name] = value }
            table.rows.append(Row(id: id, attributes: attrs))
        }
        guard !table.rows.isEmpty else { throw RatingFileError(file: path, line: nil, message: "no rows (an empty file?)") }
        return table
    }

    /// A line's tab-separated fields as text: each must be UTF-8 without NUL bytes (what PostgreSQL text holds).
    private static func fields(_ line: Data.SubSequence, path: String, line number: Int) throws -> [String] {
        try line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).enumerated().map { column, bytes in
            guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
                throw RatingFileError(file: path, line: number, message: "column \(column + 1) is not UTF-8 text or holds a NUL byte")
            }
            return text
        }
    }
}

/// Item attributes from a catalogue file (`item, title, ...` with a header): titles for display,
/// genres (pipe-separated) for reports and classification, the other columns as attributes.
public struct ItemCatalogue: Sendable {
    /// Item ids in file order.
    public var order: [String] = []
    /// By item id, compared as bytes (`IDDictionary`).
    public var titles = IDDictionary<String>()
    public var genres = IDDictionary<[String]>()
    /// Columns other than id, title and genres (e.g. year).
    public var attributes = IDDictionary<[String: String]>()

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
