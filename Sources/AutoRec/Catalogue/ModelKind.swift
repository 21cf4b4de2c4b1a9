/// Every kind of model autorec trains and stores, in one place: its name (in model files, the
/// registry and on the command line), its task, what it can do, and how its file is loaded.
/// Nothing else spells a kind's name.
public enum ModelKind: String, CaseIterable, Sendable {
    case iAutoRec = "i-autorec"
    case uAutoRec = "u-autorec"
    case multVAE = "mult-vae"
    case multDAE = "mult-dae"
    case cdae = "cdae"
    case ease = "ease"
    case popularity = "popularity"

    /// What a kind is trained for: rating prediction (explicit ratings, RMSE) or top-N lists
    /// (implicit interactions, Recall@k).
    public enum Task: String, Sendable { case rating, topN = "top-n" }

    /// What a trained model of the kind can do besides ranking its users' unseen items.
    public struct Capabilities: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Predicts a rating for a (user, item) pair.
        public static let ratingPrediction = Capabilities(rawValue: 1)
        /// Ranks items for a user it was not trained on, from that user's items.
        public static let foldIn = Capabilities(rawValue: 2)
        /// Has per-item codes to use as embeddings.
        public static let embeddings = Capabilities(rawValue: 4)
    }

    public var task: Task {
        switch self {
        case .iAutoRec, .uAutoRec: return .rating
        case .multVAE, .multDAE, .cdae, .ease, .popularity: return .topN
        }
    }

    public var capabilities: Capabilities {
        switch self {
        case .iAutoRec: return [.ratingPrediction, .embeddings]
        case .uAutoRec: return [.ratingPrediction, .foldIn]
        case .multVAE, .multDAE, .ease, .popularity: return [.foldIn]
        case .cdae: return [.foldIn]
        }
    }

    /// The AutoRec orientation of a rating kind.
    public var orientation: AutoRecOrientation? {
        switch self {
        case .iAutoRec: return .item
        case .uAutoRec: return .user
        default: return nil
        }
    }

    /// The kind named `name`, or nil.
    public static func named(_ name: String) -> ModelKind? { ModelKind(rawValue: name) }

    /// The kinds of a task.
    public static func of(_ task: Task) -> [ModelKind] { allCases.filter { $0.task == task } }

    /// The names as a help text lists them ("i-autorec, u-autorec, ... or popularity").
    public static func list(_ kinds: [ModelKind] = allCases) -> String {
        let names = kinds.map(\.rawValue)
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// Loads a verified model file of this kind.
    public func load(_ file: ModelFile, path: String) throws -> any Ranker {
        switch self {
        case .iAutoRec, .uAutoRec: return try AutoRec(modelFile: file, path: path)
        case .multVAE, .multDAE: return try MultAutoencoder(modelFile: file, path: path)
        case .cdae: return try CDAE(modelFile: file, path: path)
        case .ease: return try EASE(modelFile: file, path: path)
        case .popularity: return try Popularity(modelFile: file, path: path)
        }
    }
}
