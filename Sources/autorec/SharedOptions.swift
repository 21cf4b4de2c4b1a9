import AutoRec
import AutoRecStore
import AutoRecCore
import AutoRecModels
import AutoRecRepresentation

/// The options several commands share, spelled once: one vocabulary across the CLI (docs/USAGE.md,
/// "Option vocabulary"). `--kind` names a model kind or variant, `--model` a model file,
/// `--model-id` a registered model, `--top` a list length, `--catalogue` an item catalogue file.
/// The earlier spellings stay as aliases: `--model` for a kind or a registered id, `-n` and
/// `--count` for `--top`, `--items` for `--catalogue`.
enum SharedOptions {
    /// `--kind`: a catalogue kind or a representation variant (alias `--model`).
    static func kind(help: String, default value: String) -> OptionSpec {
        .value("--kind", "--model", as: "kind", help: help, default: value)
    }

    /// `--top`: how long a list is (aliases `-n`, `--count`).
    static func top(help: String, default value: String) -> OptionSpec {
        .value("--top", "-n", "--count", as: "n", help: help, default: value)
    }

    /// `--catalogue`: an item catalogue file with titles and genres (alias `--items`).
    static func catalogue(help: String) -> OptionSpec {
        .value("--catalogue", "--items", as: "file", help: help)
    }

    /// Where a representation command reads its ratings: a file, or a snapshot of the store.
    static func ratingsSource(verb: String = "Read") -> [OptionSpec] {
        [.value("--ratings", as: "file", help: "Ratings file."),
         .flag("--from-db", help: "\(verb) a snapshot of the store's ratings instead of --ratings."),
         .value("--database", as: "url", help: "PostgreSQL URL for the store (else DATABASE_URL, PG*).")]
    }

    /// The size, length and seed of a representation autoencoder's training.
    static func representationTraining(dimHelp: String = "Embedding size.") -> [OptionSpec] {
        [.value("--dim", as: "n", help: dimHelp, default: "32"),
         .value("--epochs", as: "n", help: "Training epochs.", default: "60"),
         .value("--seed", as: "n", help: "Random seed.", default: "1")]
    }

    /// The ratings to learn from: --ratings FILE, or a snapshot of the store with --from-db.
    static func representationRatings(_ args: ParsedArguments) throws -> Ratings {
        if args.flag("--from-db") {
            let r = try RatingSnapshot.read(try Connection(url: args.string("--database"))).ratings
            guard r.count > 0 else { throw CLIError(message: "the store has no ratings; run 'autorec import ratings FILE' first") }
            return r
        }
        return try loadRatings(try args.required("--ratings"), format: "auto")
    }

    /// A variant's settings with the size, epochs and seed the command line gives (and --hidden
    /// where the command has it).
    static func representationConfig(_ kind: RepresentationKind, _ args: ParsedArguments) throws -> RepresentationConfig {
        var c = RepresentationConfig(kind: kind)
        c.dim = try args.int("--dim", range: 1...4096)!
        c.epochs = try args.int("--epochs", range: 1...100_000)!
        c.seed = UInt64(try args.int("--seed", range: 0...Int.max)!)
        if let h = try args.int("--hidden", range: 0...65_536) {
            guard h == 0 || kind != .contractive else { throw CLIError(message: "--hidden: the contractive variant's Jacobian penalty needs a one-layer encoder") }
            c.hiddenUnits = h
        }
        return c
    }

    /// The item catalogue from --catalogue, or the store's items table.
    static func itemCatalogue(_ args: ParsedArguments) throws -> ItemCatalogue {
        try args.string("--catalogue").map { try ItemCatalogue.read(path: $0) }
            ?? EmbeddingStore(connection: try Connection(url: args.string("--database"))).catalogue()
    }

    /// Stored embeddings by id or "latest".
    static func storedEmbeddings(_ store: EmbeddingStore, _ choice: String) throws -> (Embeddings, id: Int) {
        guard let id = choice == "latest" ? try store.latest() : Int(choice) else {
            throw CLIError(message: "no stored embeddings; run 'autorec embed --from-db --store' first", code: .failure)
        }
        return (try store.load(id), id)
    }
}

/// Reads a ratings file, turning reader errors into the CLI's clear message.
func loadRatings(_ path: String, format: String?, ratingRange: String? = nil) throws -> Ratings {
    let f = try format.map { s -> RatingFileFormat in
        guard let f = RatingFileFormat(rawValue: s) else {
            throw CLIError(message: "--format must be one of \(RatingFileFormat.allCases.map(\.rawValue).joined(separator: ", ")); got '\(s)'")
        }
        return f
    } ?? .auto
    var rules = RatingRules.standard
    if let text = ratingRange {
        guard let range = RatingRules.ratingRange(parsing: text) else {
            throw CLIError(message: "--rating-range takes MIN:MAX, two finite numbers with MIN <= MAX (e.g. 1:5); got '\(text)'")
        }
        rules.ratingRange = range
    }
    return try RatingFileReader.read(path: path, format: f, rules: rules)
}

/// The `--rating-range` option of the commands that read rating files.
let ratingRangeOption = OptionSpec.value("--rating-range", as: "min:max",
                                         help: "Refuse ratings outside this range (default -10000:10000).")
