import Foundation
import AutoRec
import AutoRecStore
import AutoRecCore
import AutoRecModels
import AutoRecRepresentation

/// `autorec similar`: the items nearest to one item by cosine similarity of their embeddings.
enum SimilarCommand: Command {
    static let spec = CommandSpec(
        name: "similar",
        abstract: "Items most similar to an item, by cosine similarity of embeddings.",
        discussion: "Reads embeddings written by 'autorec embed --out', or learns them first from --ratings (embed's options).",
        options: EmbedCommand.spec.options.filter { !["--out", "--json", "--store"].contains($0.primary) } + [
            .value("--embedding", as: "id|latest", help: "Read stored embeddings (from 'autorec embed --store')."),
            .value("--item", as: "id", help: "The item to start from."),
            .value("--embeddings", as: "file", help: "Embeddings TSV from 'autorec embed --out'."),
            SharedOptions.top(help: "How many neighbours.", default: "10"),
            .value("--catalogue", as: "file", help: "Item catalogue (item, title, ...) to show titles."),
            .flag("--json", help: "Print a JSON array of {rank, item, cosine, title?}."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let item = try args.required("--item")
        let n = try args.int("--top", range: 1...100_000)!
        let embeddings: Embeddings
        if let stored = args.string("--embedding") {
            embeddings = try SharedOptions.storedEmbeddings(EmbeddingStore(connection: try Connection(url: args.string("--database"))), stored).0
        } else if let path = args.string("--embeddings") {
            embeddings = try Embeddings.read(path: path)
        } else {
            embeddings = try EmbedCommand.build(args).0
        }
        guard let r = embeddings.ids.index(of: item) else {
            throw CLIError(message: "unknown item '\(item)': it has no embedding", code: .unknownID)
        }
        var titles = IDDictionary<String>()
        if let path = args.string("--catalogue") {
            titles = try ItemCatalogue.read(path: path).titles
        } else if args.string("--embedding") != nil {
            titles = try ItemTitles.read(Connection(url: args.string("--database")))
        }
        let list = embeddings.nearest(to: Int(r), count: n).map { (embeddings.ids.id(at: $0.index), $0.cosine) }
        if args.flag("--json") {
            Output.json(list.enumerated().map { k, e -> [String: Any] in
                var o: [String: Any] = ["rank": k + 1, "item": e.0, "cosine": rounded(Double(e.1))]
                if let t = titles[e.0] { o["title"] = t }
                return o
            })
        } else {
            if let t = titles[item] { print(Output.printable("items like \(item) (\(t)), by \(embeddings.source) embeddings:")) }
            Output.table(titles.isEmpty ? ["rank", "item", "cosine"] : ["rank", "item", "cosine", "title"],
                         list.enumerated().map { k, e in
                             [String(k + 1), e.0, fixed(Double(e.1), 3)] + (titles.isEmpty ? [] : [titles[e.0] ?? ""])
                         })
        }
    }
}
