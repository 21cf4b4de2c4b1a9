import Foundation
import AutoRec
import AutoRecStore
import AutoRecCore
import AutoRecModels
import AutoRecRepresentation

/// `autorec cluster`: k-means++ on item embeddings, with silhouette, genre purity and what each
/// cluster holds (`ClusterReport`).
enum ClusterCommand: Command {
    static let spec = CommandSpec(
        name: "cluster",
        abstract: "Cluster item embeddings (k-means++ with restarts): sizes, silhouette, genre purity, titles.",
        discussion: """
        --kind all (the default) trains every variant and PCA at the same dimension and reports
        silhouette and genre purity per embedding; --kind KIND or --embeddings FILE lists each
        cluster's size, most frequent genres and best-known titles (most rated). Purity: the share of
        items whose cluster's most frequent genre is one of theirs.
        """,
        options: [
            .value("--k", as: "n", help: "Number of clusters.", default: "20"),
            SharedOptions.catalogue(help: "Item catalogue with titles and genres (else the store's items table)."),
            SharedOptions.kind(help: EmbedderChoice.names.joined(separator: ", ") + " or all.", default: "all"),
            .value("--embeddings", as: "file", help: "Cluster these embeddings (TSV from 'autorec embed --out'); --ratings then only ranks titles."),
            .value("--embedding", as: "id|latest", help: "Cluster stored embeddings and store the assignment (clusters table)."),
            .value("--restarts", as: "n", help: "k-means restarts (the lowest within-cluster sum wins).", default: "5"),
            .flag("--json", help: "Print one JSON object."),
        ] + SharedOptions.ratingsSource() + SharedOptions.representationTraining())

    static func run(_ args: ParsedArguments) throws {
        let k = try args.int("--k", range: 1...100_000)!, restarts = try args.int("--restarts", range: 1...1000)!
        let seed = UInt64(try args.int("--seed", range: 0...Int.max)!)
        let catalogue = try SharedOptions.itemCatalogue(args)
        // The ratings (optional with --embeddings) tell which titles are best known.
        let ratings = args.string("--ratings") != nil || args.flag("--from-db") ? try SharedOptions.representationRatings(args) : nil
        let popularity = ratings.map(ClusterReport.popularity) ?? IDDictionary()
        var store: (EmbeddingStore, Int)? = nil
        let sets: [Embeddings]
        if let stored = args.string("--embedding") {
            let s = EmbeddingStore(connection: try Connection(url: args.string("--database")))
            let (embeddings, id) = try SharedOptions.storedEmbeddings(s, stored)
            (sets, store) = ([embeddings], (s, id))
        } else if let path = args.string("--embeddings") {
            sets = [try Embeddings.read(path: path)]
        } else {
            guard let ratings else { throw CLIError(message: "missing --ratings <file> (or --embeddings <file>)") }
            sets = try trained(args, RatingVectors(ratings, of: .items))
        }
        var reports: [ClusterReport] = []
        for e in sets {
            let report = try ClusterReport(e, k: k, restarts: restarts, seed: seed, catalogue: catalogue, popularity: popularity)
            if let (s, id) = store { try s.saveClusters(embeddingID: id, e, assignment: report.assignment) }
            reports.append(report)
        }
        print(reports, k: k, restarts: restarts, json: args.flag("--json"))
    }

    /// The embeddings --kind asks for, trained on `data`.
    static func trained(_ args: ParsedArguments, _ data: RatingVectors) throws -> [Embeddings] {
        let choice = args.string("--kind") ?? "all"
        let names = choice == "all" ? EmbedderChoice.names : [choice]
        let config = try SharedOptions.representationConfig(.plain, args)
        return try names.map { name in
            let embedder = try EmbedderChoice.fit(name, data: data, config: config)
            Output.progress("trained \(name)")
            return try embedder.embeddings(of: data)
        }
    }

    static func print(_ reports: [ClusterReport], k: Int, restarts: Int, json: Bool) {
        let detail = reports.count == 1 ? reports[0].clusters : []
        if json {
            var o: [String: Any] = ["k": k, "results": reports.map {
                ["embedding": $0.embedding, "silhouette": rounded($0.silhouette, 4), "purity": rounded($0.purity, 4), "sizes": $0.sizes] as [String: Any]
            }]
            if !detail.isEmpty {
                o["clusters"] = detail.map { ["cluster": $0.index, "size": $0.size, "genres": $0.genres.map { "\($0.genre) (\($0.count))" },
                                               "titles": $0.titles] as [String: Any] }
            }
            Output.json(o)
            return
        }
        Swift.print("k-means++ with k=\(k), \(restarts) restarts:")
        Output.table(["embedding", "silhouette", "genre purity", "largest clusters"], reports.map {
            [$0.embedding, fixed($0.silhouette), fixed($0.purity), $0.sizes.prefix(5).map(String.init).joined(separator: " ")]
        })
        guard !detail.isEmpty else { return }
        Swift.print("")
        Output.table(["cluster", "size", "top genres", "best-known titles"], detail.map {
            ["\($0.index)", "\($0.size)", $0.genres.map { "\($0.genre) (\($0.count))" }.joined(separator: ", "), $0.titles.joined(separator: "; ")]
        })
    }
}
