import Foundation
import Linalg

/// Stores integer index arrays inside a model file's Float arrays bit for bit (no rounding).
enum IndexBits {
    static func encode(_ a: [Int32]) -> [Float] { a.map { Float(bitPattern: UInt32(bitPattern: $0)) } }
    static func decode(_ a: [Float]) -> [Int32] { a.map { Int32(bitPattern: $0.bitPattern) } }
}

extension AutoRec {
    /// The model as a self-describing file: hyperparameters, id maps and data snapshot in the
    /// header; weights and the training ratings (needed to encode and to skip rated items) as arrays.
    public func modelFile(extraHeader: [String: Any] = [:]) -> ModelFile {
        var header: [String: Any] = [
            "kind": kind,
            "hidden": config.hidden,
            "encoder": config.encoder.rawValue,
            "decoder": config.decoder.rawValue,
            "l2": Double(config.l2),
            "optimizer": config.optimizer.rawValue,
            "learning_rate": Double(config.learningRate),
            "batch_size": config.batchSize,
            "epochs": config.epochs,
            "seed": Int(truncatingIfNeeded: config.seed),
            "validation_fraction": config.validationFraction,
            "patience": config.patience,
            "lbfgs_memory": config.lbfgsMemory,
            "center_inputs": config.centerInputs,
            "input_dropout": Double(config.inputDropout),
            "weight_averaging": Double(config.weightAveraging),
            "refit": config.refit,
            "kept_loss_weight": Double(config.keptLossWeight),
            "input_scaling": config.inputScaling.rawValue,
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
        return ModelFile(header: header, arrays: [
            ("parameters", parameters.flat),
            ("input_row_start", IndexBits.encode(inputs.rowStart.map { Int32($0) })),
            ("input_columns", IndexBits.encode(inputs.columns)),
            ("input_values", inputs.values),
        ])
    }

    /// Rebuilds a model of `orientation` (its kind's registration knows it) from its file,
    /// checking that every shape agrees with the header.
    public init(modelFile f: ModelFile, path: String = "model", orientation: AutoRecOrientation) throws {
        func fail(_ m: String) -> ModelFileError { ModelFileError(path: path, message: m) }
        let c = try Self.headerConfig(f, path: path, orientation: orientation)
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

    /// The hyperparameters the header records, in the order `modelFile` writes them.
    private static func headerConfig(_ f: ModelFile, path: String, orientation: AutoRecOrientation) throws -> AutoRecConfig {
        func fail(_ m: String) -> ModelFileError { ModelFileError(path: path, message: m) }
        var c = AutoRecConfig(orientation: orientation)
        c.hidden = try f.int("hidden")
        guard let enc = Activation(rawValue: try f.string("encoder")),
              let dec = Activation(rawValue: try f.string("decoder")),
              let opt = OptimizerKind(rawValue: try f.string("optimizer")) else {
            throw fail("unknown activation or optimizer in the header")
        }
        c.encoder = enc; c.decoder = dec; c.optimizer = opt
        c.l2 = Float(try f.double("l2"))
        c.learningRate = Float(try f.double("learning_rate"))
        c.batchSize = try f.int("batch_size")
        c.epochs = try f.int("epochs")
        c.seed = UInt64(truncatingIfNeeded: try f.int("seed"))
        c.validationFraction = try f.double("validation_fraction")
        c.patience = try f.int("patience")
        c.lbfgsMemory = try f.int("lbfgs_memory")
        c.centerInputs = try f.bool("center_inputs")
        c.inputDropout = Float(try f.double("input_dropout"))
        c.weightAveraging = Float(try f.double("weight_averaging"))
        c.refit = try f.bool("refit")
        c.keptLossWeight = Float(try f.double("kept_loss_weight"))
        guard let scaling = InputScaling(rawValue: try f.string("input_scaling")) else {
            throw fail("unknown input scaling in the header")
        }
        c.inputScaling = scaling
        return c
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

    /// Loads and verifies a model file of an AutoRec kind.
    public static func load(from path: String) throws -> AutoRec {
        try from(try ModelFile.read(from: path), path: path)
    }

    /// The AutoRec model of a verified file, through the catalogue; any other kind is refused.
    public static func from(_ file: ModelFile, path: String = "model") throws -> AutoRec {
        guard let model = try ModelCatalogue.load(file, path: path) as? AutoRec else {
            throw ModelFileError(path: path, message: "model kind '\((try? file.string("kind")) ?? "?")' is not an AutoRec model")
        }
        return model
    }
}
