import Foundation
import Linalg
import AutoRecCore

extension AutoRec {
    /// The model as a self-describing file: hyperparameters, id maps and data snapshot in the
    /// header; weights and the training ratings (needed to encode and to skip rated items) as arrays.
    public func modelFile(extraHeader: [String: Any] = [:]) -> ModelFile {
        var header: [String: Any] = [
            "kind": kind,
            "users": users.externalIDs,
            "items": items.externalIDs,
            "mean": Double(mean),
            "rating_min": Double(ratingRange.lowerBound),
            "rating_max": Double(ratingRange.upperBound),
            "inputs": inputs.cols,
            "samples": inputs.rows,
            "ratings": inputs.nonZeros,
        ]
        for (k, v) in extraHeader { header[k] = v }
        var file = ModelFile(header: header, arrays: [
            ("parameters", parameters.flat),
            ("input_row_start", IndexBits.encode(inputs.rowStart.map { Int32($0) })),
            ("input_columns", IndexBits.encode(inputs.columns)),
            ("input_values", inputs.values),
        ])
        file.store(configuration: config)
        return file
    }

    /// Rebuilds a model of `orientation` (its kind's registration knows it) from its file,
    /// checking that every shape agrees with the header.
    public init(modelFile f: ModelFile, path: String = "model", orientation: AutoRecOrientation) throws {
        func fail(_ m: String) -> ModelFileError { ModelFileError(path: path, message: m) }
        var c = try f.configuration(AutoRecConfig.self, defaults: AutoRecConfig(orientation: orientation), path: path)
        c.orientation = orientation
        let users = IDMap(try f.strings("users"))
        let items = IDMap(try f.strings("items"))
        let samples = orientation == .item ? items.count : users.count
        let inputCount = orientation == .item ? users.count : items.count
        guard try f.int("inputs") == inputCount, try f.int("samples") == samples else {
            throw fail("header shapes disagree with the id maps")
        }
        guard c.hidden >= 1, users.count >= 1, items.count >= 1 else {
            throw fail("header sizes are empty (hidden \(c.hidden), \(users.count) users, \(items.count) items)")
        }
        let flat = try f.array("parameters")
        guard let expected = AutoRecParameters.checkedCount(inputs: inputCount, hidden: c.hidden) else {
            throw fail("header size hidden=\(c.hidden) with \(inputCount) inputs overflows")
        }
        guard flat.count == expected else {
            throw fail("parameter array has \(flat.count) values; hidden=\(c.hidden) and \(inputCount) inputs need \(expected)")
        }
        let inputs = try Self.storedInputs(f, path: path, samples: samples, inputs: inputCount)
        let lo = Float(try f.double("rating_min")), hi = Float(try f.double("rating_max")), mean = Float(try f.double("mean"))
        guard lo.isFinite, hi.isFinite, lo <= hi, mean.isFinite, (lo...hi).contains(mean) else {
            throw fail("rating range \(lo)...\(hi) with mean \(mean) is not a finite range holding its mean")
        }
        guard flat.allSatisfy(\.isFinite), inputs.values.allSatisfy(\.isFinite) else { throw fail("weights or ratings are not finite numbers") }
        self.init(config: c, parameters: AutoRecParameters(inputs: inputCount, hidden: c.hidden, flat: flat),
                  users: users, items: items, inputs: inputs, mean: mean, ratingRange: lo...hi)
    }

    /// The training ratings stored with the model (samples x inputs), checked to form a valid matrix.
    private static func storedInputs(_ f: ModelFile, path: String, samples: Int, inputs inputCount: Int) throws -> CSRMatrix {
        let rowStart = IndexBits.decode(try f.array("input_row_start")).map(Int.init)
        let columns = IndexBits.decode(try f.array("input_columns"))
        let values = try f.array("input_values")
        guard rowStart.count == samples + 1, rowStart.first == 0, rowStart.last == columns.count,
              columns.count == values.count, zip(rowStart, rowStart.dropFirst()).allSatisfy({ $0 <= $1 }),
              columns.allSatisfy({ $0 >= 0 && Int($0) < inputCount }) else {
            throw ModelFileError(path: path, message: "stored training ratings are inconsistent")
        }
        return CSRMatrix(rows: samples, cols: inputCount, rowStart: rowStart, columns: columns, values: values)
    }

    /// Writes the model file (atomically).
    public func save(to path: String, extraHeader: [String: Any] = [:]) throws {
        try modelFile(extraHeader: extraHeader).write(to: path)
    }
}
