import Foundation
import AutoRecCore
import AutoRecModels

/// Every kind of model this autorec knows: the built-in registrations, in the order help texts list
/// them, and any a program or test adds with `register` (a new kind is one file in `Kinds/` plus its
/// line here). Training, evaluation, the nightly job, the registry and the CLI all ask this.
public enum ModelCatalogue {
    /// The kinds autorec ships.
    public static let builtIn: [ModelKind] = [.iAutoRec, .uAutoRec, .cfNADE, .multVAE, .multDAE, .dfcVAE, .recVAE, .cdae, .ease, .popularity]

    /// Every kind, the built-in ones first.
    public static var kinds: [ModelKind] { builtIn + added.value }

    /// Adds a kind; refuses a name already taken.
    public static func register(_ kind: ModelKind) throws {
        try added.update { list in
            guard named(kind.name, in: builtIn + list) == nil else { throw SettingError("a model kind named '\(kind.name)' is already registered") }
            list.append(kind)
        }
    }

    /// The kind named `name`, or nil.
    public static func named(_ name: String) -> ModelKind? { named(name, in: kinds) }

    /// The kind named `name`, or an error that lists the kinds (of `task`, when given).
    public static func kind(_ name: String, task: ModelKind.Task? = nil) throws -> ModelKind {
        let choices = task.map { of($0) } ?? kinds
        guard let kind = named(name, in: choices) else {
            throw SettingError("unknown model '\(name)'; choose one of \(list(choices.map(\.name)))")
        }
        return kind
    }

    /// The kinds of a task.
    public static func of(_ task: ModelKind.Task) -> [ModelKind] { kinds.filter { $0.task == task } }

    /// Names as a help text lists them ("i-autorec, u-autorec, ... or popularity").
    public static func list(_ names: [String]) -> String { WordList.or(names) }

    /// The kinds as a help text lists them.
    public static func list(_ kinds: [ModelKind] = kinds) -> String { list(kinds.map(\.name)) }

    /// Every option some kind reads, each once, in catalogue order.
    public static var options: [String] {
        var seen = Set<String>(), out: [String] = []
        for option in kinds.flatMap(\.allOptions) where seen.insert(option).inserted { out.append(option) }
        return out
    }

    /// Any model from its verified file, by the kind the file names: the one way a model file is
    /// loaded (the CLI, the registry, the nightly job and the report all come here).
    public static func load(_ file: ModelFile, path: String = "model") throws -> any Ranker {
        let name = try file.string("kind")
        guard let kind = named(name) else {
            throw ModelFileError(path: path, message: "unknown model kind '\(name)' (this autorec reads \(list()))")
        }
        return try kind.load(file, path: path)
    }

    /// Reads, verifies and loads the model file at `path`.
    public static func load(from path: String) throws -> any Ranker {
        try load(try ModelFile.read(from: path), path: path)
    }

    /// A model of type `Model` from its verified file; any other kind is refused, naming `wanted`
    /// ("an AutoRec model").
    public static func load<Model>(_ file: ModelFile, path: String = "model", as type: Model.Type, wanted: String) throws -> Model {
        guard let model = try load(file, path: path) as? Model else {
            throw ModelFileError(path: path, message: "model kind '\((try? file.string("kind")) ?? "?")' is not \(wanted)")
        }
        return model
    }

    /// The AutoRec model at `path` (the embeddings and classifiers read its weights).
    public static func loadAutoRec(from path: String) throws -> AutoRec {
        try load(try ModelFile.read(from: path), path: path, as: AutoRec.self, wanted: "an AutoRec model")
    }

    private static func named(_ name: String, in kinds: [ModelKind]) -> ModelKind? { kinds.first { $0.name == name } }

    private static let added = LockedValue<[ModelKind]>([])
}

/// A value behind a lock, for the catalogue's additions.
final class LockedValue<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func update<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body(&stored)
    }
}
