import Foundation
import Linalg
import AutoRecCore

/// Vectors for a set of ids (items or users): what `embed` writes and `similar`, `cluster` and
/// `classify` read.
public struct Embeddings: Sendable {
    public let ids: IDMap
    /// One row per id.
    public let vectors: Matrix
    /// Where they came from (a representation variant, a `ModelKind` name, "pca", ...).
    public let source: String

    public init(ids: IDMap, vectors: Matrix, source: String) {
        precondition(ids.count == vectors.rows)
        self.ids = ids; self.vectors = vectors; self.source = source
    }

    /// Unit-length copies of the rows (zero rows stay zero), for cosine similarity.
    public func normalized() -> Matrix {
        var out = vectors
        let d = vectors.cols
        for r in 0..<vectors.rows {
            var s: Float = 0
            for j in 0..<d { s += out.storage[r * d + j] * out.storage[r * d + j] }
            let inv: Float = s > 0 ? 1 / s.squareRoot() : 0
            for j in 0..<d { out.storage[r * d + j] *= inv }
        }
        return out
    }

    /// The `count` rows most similar to row `r` by cosine, best first, without `r` itself.
    public func nearest(to r: Int, count: Int, unit: Matrix? = nil) -> [(index: Int, cosine: Float)] {
        let u = unit ?? normalized()
        let d = u.cols
        var sims = [Float](repeating: 0, count: u.rows)
        u.storage.withUnsafeBufferPointer { p in
            for i in 0..<u.rows { sims[i] = Kernels.dot(d, p.baseAddress! + r * d, p.baseAddress! + i * d) }
        }
        return TopN.select(sims, count: count, excluding: [r]).map { ($0, sims[$0]) }
    }

    /// Tab-separated: a header `id dim_0 ... dim_{d-1}`, then one line per id.
    public func tsv() -> String {
        var lines = ["id\t" + (0..<vectors.cols).map { "dim_\($0)" }.joined(separator: "\t")]
        for r in 0..<vectors.rows {
            lines.append(ids.id(at: r) + "\t" + vectors.row(r).map { String($0) }.joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads what `tsv()` wrote; a malformed line is named with its file and line number.
    public static func read(path: String) throws -> Embeddings {
        let data: Data
        do { data = try FileAccess.read(path) } catch let error as FileAccessError {
            throw RatingFileError(file: path, line: nil, message: "cannot read the embeddings: \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RatingFileError(file: path, line: nil, message: "is not UTF-8 text; pass a file that 'autorec embed --out' wrote")
        }
        var ids = IDMap(), values: [Float] = [], dim = -1
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            if n == 0 { dim = line.split(separator: "\t").count - 1; continue }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == dim + 1, dim > 0 else {
                throw RatingFileError(file: path, line: n + 1, message: "expected an id and \(dim) values, found \(f.count) fields")
            }
            for v in f.dropFirst() {
                guard let x = Float(v), x.isFinite else { throw RatingFileError(file: path, line: n + 1, message: "'\(v)' is not a finite number") }
                values.append(x)
            }
            let id = String(f[0])
            if let problem = ExternalID.problem(id) { throw RatingFileError(file: path, line: n + 1, message: "the id \(problem)") }
            guard ids.index(of: id) == nil else {
                throw RatingFileError(file: path, line: n + 1, message: "the id '\(id)' appears twice; each id has one embedding")
            }
            _ = ids.insert(id)
        }
        guard dim > 0, ids.count > 0 else { throw RatingFileError(file: path, line: 1, message: "no embeddings in the file") }
        return Embeddings(ids: ids, vectors: Matrix(rows: ids.count, cols: dim, storage: values), source: path)
    }
}
