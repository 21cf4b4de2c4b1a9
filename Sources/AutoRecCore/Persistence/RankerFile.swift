import Linalg

/// What every top-N model file holds besides its weights: kind, id maps and the training
/// interactions (needed to leave them out of lists and to encode users). `ModelCatalogue.load`
/// reads any model file back.
public enum RankerFile {
    /// Header entries and arrays common to every ranking model.
    static func common(kind: String, users: IDMap, items: IDMap, history: CSRMatrix)
        -> (header: [String: Any], arrays: [(name: String, values: [Float])]) {
        (["kind": kind, "users": users.externalIDs, "items": items.externalIDs, "interactions": history.nonZeros],
         [("history_row_start", IndexBits.encode(history.rowStart.map { Int32($0) })),
          ("history_columns", IndexBits.encode(history.columns)),
          ("history_values", history.values)])
    }

    /// A ranking model's file: the common part, the model's `configuration` (one Codable value) and
    /// `extraHeader` in the header, then its own arrays.
    package static func file<Configuration: Encodable>(kind: String, users: IDMap, items: IDMap, history: CSRMatrix,
                                                       configuration: Configuration, extraHeader: [String: Any],
                                                       arrays own: [(name: String, values: [Float])]) -> ModelFile {
        var (header, arrays) = common(kind: kind, users: users, items: items, history: history)
        for (k, v) in extraHeader { header[k] = v }
        var file = ModelFile(header: header, arrays: arrays + own)
        file.store(configuration: configuration)
        return file
    }

    /// Reads back the id maps and training interactions, checking their shapes.
    package static func common(_ f: ModelFile, path: String) throws -> (users: IDMap, items: IDMap, history: CSRMatrix) {
        let users = IDMap(try f.strings("users")), items = IDMap(try f.strings("items"))
        let rowStart = IndexBits.decode(try f.array("history_row_start")).map(Int.init)
        let columns = IndexBits.decode(try f.array("history_columns"))
        let values = try f.array("history_values")
        guard rowStart.count == users.count + 1, rowStart.first == 0, rowStart.last == columns.count,
              columns.count == values.count, zip(rowStart, rowStart.dropFirst()).allSatisfy({ $0 <= $1 }),
              columns.allSatisfy({ $0 >= 0 && Int($0) < items.count }) else {
            throw ModelFileError(path: path, message: "stored training interactions are inconsistent")
        }
        return (users, items, CSRMatrix(rows: users.count, cols: items.count, rowStart: rowStart, columns: columns, values: values))
    }

    /// A float array of the file that must have exactly `count` values.
    package static func array(_ f: ModelFile, _ name: String, count: Int, path: String) throws -> [Float] {
        let a = try f.array(name)
        guard a.count == count else {
            throw ModelFileError(path: path, message: "array '\(name)' has \(a.count) values, the header implies \(count)")
        }
        return a
    }
}
