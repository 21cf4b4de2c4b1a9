import Foundation

/// Item attributes from a catalogue file (tab-separated, header `item, title, ...`): titles for
/// display, genres for reports and classification.
public struct ItemCatalogue: Sendable {
    public var titles: [String: String] = [:]
    public var genres: [String: [String]] = [:]

    /// Reads `item<TAB>title[<TAB>year<TAB>genres]` with a header line; genres are pipe-separated.
    public static func read(path: String) throws -> ItemCatalogue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RatingFileError(file: path, line: nil, message: "cannot read the file")
        }
        let text = String(decoding: data, as: UTF8.self)
        var cat = ItemCatalogue()
        var header: [String] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.isEmpty { continue }
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if header.isEmpty {
                header = cols.map { $0.lowercased() }
                guard header.first == "item" || header.first == "id" || header.first == "item_id" else {
                    throw RatingFileError(file: path, line: n + 1, message: "expected a header line starting with 'item'")
                }
                continue
            }
            guard cols.count == header.count else {
                throw RatingFileError(file: path, line: n + 1, message: "expected \(header.count) columns like the header, found \(cols.count)")
            }
            let id = cols[0]
            if let t = header.firstIndex(of: "title") { cat.titles[id] = cols[t] }
            if let g = header.firstIndex(of: "genres") {
                cat.genres[id] = cols[g].split(separator: "|").map(String.init).filter { !$0.isEmpty }
            }
        }
        return cat
    }
}
