import Foundation
import AutoRec
import AutoRecStore
import Linalg

/// `autorec cluster`: k-means++ on item embeddings, with silhouette, genre purity and what each
/// cluster holds.
enum ClusterCommand: Command {
    static let spec = CommandSpec(
        name: "cluster",
        abstract: "Cluster item embeddings (k-means++ with restarts): sizes, silhouette, genre purity, titles.",
        discussion: """
        --model all (the default) trains every variant and PCA at the same dimension and reports
        silhouette and genre purity per embedding; --model KIND or --embeddings FILE lists each
        cluster's size, most frequent genres and best-known titles (most rated). Purity: the share of
        items whose cluster's most frequent genre is one of theirs.
        """,
        options: [
            .value("--k", as: "n", help: "Number of clusters.", default: "20"),
            .value("--ratings", as: "file", help: "Ratings file."),
            .flag("--from-db", help: "Read a snapshot of the store's ratings instead of --ratings."),
            .value("--items", as: "file", help: "Item catalogue with titles and genres (else the store's items table)."),
            .value("--model", as: "kind|all", help: "plain, sparse, denoising, contractive, vae, beta-vae, wasserstein, adversarial, pca or all.", default: "all"),
            .value("--embeddings", as: "file", help: "Cluster these embeddings (TSV from 'autorec embed --out'); --ratings then only ranks titles."),
            .value("--embedding", as: "id|latest", help: "Cluster stored embeddings and store the assignment (clusters table)."),
            .value("--database", as: "url", help: "PostgreSQL URL for --embedding (else DATABASE_URL, PG*)."),
            .value("--dim", as: "n", help: "Embedding size.", default: "32"),
            .value("--epochs", as: "n", help: "Training epochs.", default: "60"),
            .value("--restarts", as: "n", help: "k-means restarts (the lowest within-cluster sum wins).", default: "5"),
            .value("--seed", as: "n", help: "Random seed.", default: "1"),
            .flag("--json", help: "Print one JSON object."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let k = try args.int("--k", range: 1...100_000)!, restarts = try args.int("--restarts", range: 1...1000)!
        let seed = UInt64(try args.int("--seed", range: 0...Int.max)!)
        // Genres and titles from --items, or from the store's items table.
        let catalogue = try args.string("--items").map { try ItemCatalogue.read(path: $0) }
            ?? EmbeddingStore(connection: try Connection(url: args.string("--database"))).catalogue()
        var sets: [Embeddings] = []
        var popularity: [String: Int] = [:]
        // The ratings (optional with --embeddings) tell which titles are best known.
        let ratings = args.string("--ratings") != nil || args.flag("--from-db") ? try EmbedCommand.representationRatings(args) : nil
        if let ratings {
            for e in 0..<ratings.count { popularity[ratings.items.id(at: Int(ratings.itemIndex[e])), default: 0] += 1 }
        }
        var store: (EmbeddingStore, Int)? = nil
        if let stored = args.string("--embedding") {
            let s = EmbeddingStore(connection: try Connection(url: args.string("--database")))
            guard let id = stored == "latest" ? try s.latest() : Int(stored) else {
                throw CLIError(message: "no stored embeddings; run 'autorec embed --from-db --store' first", code: .failure)
            }
            sets = [try s.load(id)]
            store = (s, id)
        } else if let path = args.string("--embeddings") {
            sets = [try Embeddings.read(path: path)]
        } else {
            guard let ratings else { throw CLIError(message: "missing --ratings <file> (or --embeddings <file>)") }
            let data = RatingVectors(ratings, of: .items)
            let model = args.string("--model") ?? "all"
            let kinds = model == "all" ? RepresentationKind.allCases.map(\.rawValue) + ["pca"] : [model]
            for name in kinds {
                let dim = try args.int("--dim", range: 1...4096)!
                if name == "pca" {
                    sets.append(Embeddings(ids: data.ids, vectors: try PCA.embed(data, dim: dim), source: "pca"))
                    continue
                }
                guard let kind = RepresentationKind(rawValue: name) else {
                    throw CLIError(message: "--model is one of \(RepresentationKind.allCases.map(\.rawValue).joined(separator: ", ")), pca or all")
                }
                let c = try EmbedCommand.config(kind, args)
                let m = RepresentationAutoencoder.fit(data, config: c)
                sets.append(Embeddings(ids: data.ids, vectors: m.embed(data), source: name))
                Output.progress("trained \(name)")
            }
        }
        var results: [[String: Any]] = []
        var detail: [[String: Any]] = []
        for e in sets {
            guard k <= e.ids.count else { throw CLIError(message: "--k \(k) is more than the \(e.ids.count) items") }
            let km = KMeans.fit(e.vectors, k: k, restarts: restarts, seed: seed)
            let labels = (0..<e.ids.count).map { Set(catalogue.genres[e.ids.id(at: $0)] ?? []) }
            let silhouette = KMeans.silhouette(e.vectors, assignment: km.assignment, k: k)
            let purity = KMeans.purity(assignment: km.assignment, k: k, labels: labels)
            if let (s, id) = store { try s.saveClusters(embeddingID: id, e, assignment: km.assignment) }
            var sizes = [Int](repeating: 0, count: k)
            for a in km.assignment { sizes[a] += 1 }
            results.append(["embedding": e.source, "silhouette": rounded(silhouette, 4), "purity": rounded(purity, 4),
                            "sizes": sizes.sorted(by: >)])
            if sets.count == 1 {
                for j in 0..<k {
                    let members = (0..<e.ids.count).filter { km.assignment[$0] == j }
                    var genreCounts: [String: Int] = [:]
                    for r in members { for g in labels[r] { genreCounts[g, default: 0] += 1 } }
                    let genres = genreCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
                    let ids: [String] = members.map { e.ids.id(at: $0) }
                    let ranked: [String] = ids.sorted { a, b in
                        let pa: Int = popularity[a] ?? 0, pb: Int = popularity[b] ?? 0
                        return pa != pb ? pa > pb : a < b
                    }
                    let titles: [String] = ranked.prefix(3).map { catalogue.titles[$0] ?? $0 }
                    detail.append(["cluster": j, "size": members.count,
                                   "genres": genres.map { "\($0.key) (\($0.value))" }, "titles": titles])
                }
            }
        }
        if args.flag("--json") {
            var o: [String: Any] = ["results": results, "k": k]
            if !detail.isEmpty { o["clusters"] = detail }
            Output.json(o)
            return
        }
        print("k-means++ with k=\(k), \(restarts) restarts:")
        Output.table(["embedding", "silhouette", "genre purity", "largest clusters"], results.map { r in
            ["\(r["embedding"]!)", fixed(r["silhouette"] as! Double), fixed(r["purity"] as! Double),
             (r["sizes"] as! [Int]).prefix(5).map(String.init).joined(separator: " ")]
        })
        if !detail.isEmpty {
            print("")
            Output.table(["cluster", "size", "top genres", "best-known titles"], detail.map { d in
                ["\(d["cluster"]!)", "\(d["size"]!)", (d["genres"] as! [String]).joined(separator: ", "),
                 (d["titles"] as! [String]).joined(separator: "; ")]
            })
        }
    }
}
