import Linalg
import AutoRecCore
import AutoRecModels

/// The face of whatever turns rating vectors into embeddings: a trained representation
/// autoencoder, PCA, AutoRec's hidden codes. `similar`, `cluster` and `classify` see only this.
public protocol Embedder {
    /// Its name in reports and stored embeddings (a variant, "pca", or an AutoRec kind).
    var name: String { get }
    /// One vector per row of `data`, in its order.
    func embeddings(of data: RatingVectors) throws -> Embeddings
}

extension RepresentationAutoencoder: Embedder {
    public var name: String { ali != nil ? RepresentationKind.ali.rawValue : network.config.kind.rawValue }
    public func embeddings(of data: RatingVectors) throws -> Embeddings {
        Embeddings(ids: data.ids, vectors: embed(data), source: name)
    }
}

/// PCA of the rows' (centred) rating vectors at `dim` components, fitted on the data it embeds.
public struct PCAEmbedder: Embedder {
    public let dim: Int
    public init(dim: Int) { self.dim = dim }
    public var name: String { "pca" }
    public func embeddings(of data: RatingVectors) throws -> Embeddings {
        Embeddings(ids: data.ids, vectors: try PCA.embed(data, dim: dim), source: name)
    }
}

extension AutoRec: Embedder {
    public var name: String { kind }

    /// The hidden codes of the ids of `data` (items for I-AutoRec, users for U-AutoRec); an id the
    /// model never saw gets a zero vector.
    public func embeddings(of data: RatingVectors) throws -> Embeddings {
        let side = config.orientation == .item ? RatingVectors.Of.items : .users
        guard data.of == side else { throw SettingError("\(kind) has codes of \(side.rawValue), not of \(data.of.rawValue)") }
        let own = side == .items ? items : users
        var vectors = Matrix(rows: data.ids.count, cols: codes.cols)
        for r in 0..<data.ids.count {
            guard let i = own.index(of: data.ids.id(at: r)).map(Int.init) else { continue }
            for j in 0..<codes.cols { vectors[r, j] = codes[i, j] }
        }
        return Embeddings(ids: data.ids, vectors: vectors, source: name)
    }

    /// Its own codes, one per sample it was trained on.
    public var ownEmbeddings: Embeddings {
        Embeddings(ids: config.orientation == .item ? items : users, vectors: codes, source: name)
    }
}

/// The embedders `cluster` and `classify` compare, by name: every representation variant and PCA.
public enum EmbedderChoice {
    public static var names: [String] { RepresentationKind.allCases.map(\.rawValue) + ["pca"] }

    /// Fits the embedder `name` on `data`: a representation variant with `config`'s settings (its
    /// kind set to the variant), or PCA at `config.dim`.
    public static func fit(_ name: String, data: RatingVectors, config: RepresentationConfig,
                           progress: ((Int, Double) -> Void)? = nil) throws -> any Embedder {
        if name == "pca" { return PCAEmbedder(dim: config.dim) }
        guard let kind = RepresentationKind(rawValue: name) else {
            throw SettingError("unknown embedding '\(name)'; choose one of \(names.joined(separator: ", "))")
        }
        var c = config
        c.kind = kind
        if kind == .contractive { c.hiddenUnits = 0 }
        return RepresentationAutoencoder.fit(data, config: c, progress: progress)
    }
}
