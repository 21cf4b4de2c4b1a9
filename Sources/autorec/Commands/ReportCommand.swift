import Foundation
import AutoRec
import AutoRecStore
import AutoRecCore
import AutoRecModels
import AutoRecRepresentation
import AutoRecReport

/// `autorec report`: one self-contained HTML page with the metric table and plots of several models.
enum ReportCommand: Command {
    static let spec = CommandSpec(
        name: "report",
        abstract: "Write an HTML evaluation report (metric table, Recall/NDCG curves, learning curves, activity, popularity, item map).",
        discussion: """
        One self-contained file: inline SVG plots, no scripts, fonts or files from the network; it reads
        on a laptop and prints. Learning curves come from the model files' headers (kept since training
        recorded them). The item map embeds the items of the first model's training interactions with
        --map (a representation variant, or 'none') and projects the codes to two dimensions.
        """,
        options: [
            .value("--model", as: "files", help: "Model files written by 'autorec train', separated by commas."),
            .flag("--from-db", help: "Instead: the store's registry (the active model marked, learning curves) and the nightly job's history."),
            .value("--database", as: "url", help: "With --from-db: PostgreSQL URL (default: DATABASE_URL, else libpq's PG* variables)."),
            .value("--test", as: "file", help: "Test ratings file (each entry a relevant item)."),
            .value("--format", as: "format", help: "auto, tsv, csv or movielens.", default: "auto"),
            .value("--positive", as: "x", help: "Test ratings of at least x are relevant (default: every test entry)."),
            .value("--k", as: "list|a..b", help: "Cut-offs of the Recall/NDCG curves: a list (1,5,10) or a range (1..100).", default: "1..100"),
            .value("--catalogue", "--items", as: "file", help: "Item catalogue (MovieLens u.item or id<TAB>title<TAB>genres) for the map's titles."),
            .value("--map", as: "variant", help: "Representation variant of the item map, or none.", default: "denoising"),
            .value("--title", as: "text", help: "The page's title.", default: "autorec evaluation report"),
            .value("--out", as: "file", help: "The HTML file to write."),
            .flag("--json", help: "Print {\"out\", \"plots\", \"models\": [{\"model\", \"recall@20\", \"ndcg@20\"}]}."),
        ])

    static func run(_ args: ParsedArguments) throws {
        let out = try args.required("--out")
        if args.flag("--from-db") { return try fromStore(args, out: out) }
        _ = try args.required("--model")
        let paths = try args.list("--model")!
        let testPath = try args.required("--test")
        var test = try loadRatings(testPath, format: args.string("--format"))
        if let p = try args.double("--positive", range: -1e9...1e9) { test = test.implicit(threshold: Float(p)) }
        var options = ReportBuilder.Options()
        options.cutOffs = try cutOffs(try args.required("--k"))
        let variant = try args.required("--map")
        guard variant == "none" || EmbedderChoice.names.contains(variant) else {
            throw CLIError(message: "--map must be none or one of \(EmbedderChoice.names.joined(separator: ", ")); got '\(variant)'")
        }
        options.mapVariant = variant == "none" ? nil : variant
        options.catalogue = try args.string("--catalogue").map { try ItemCatalogue.read(path: $0) }
        options.title = args.string("--title")
        let files = try paths.map { ($0, try ModelFile.read(from: $0)) }
        let report = try ReportBuilder.build(models: files, test: test, testName: testPath, options: options) { Output.progress($0) }
        try write(report.html(), to: out)
        let plots = report.plots().count
        if args.flag("--json") {
            Output.json(["out": out, "plots": plots, "models": report.models.map {
                ["model": $0.name, "recall@20": $0.metrics.recall[20] ?? 0, "ndcg@20": $0.metrics.ndcg[20] ?? 0] as [String: Any]
            }])
        } else {
            print("wrote \(out): \(report.models.count) models, \(plots) plots")
        }
    }

    /// The store's report: registry and nightly history.
    static func fromStore(_ args: ParsedArguments, out: String) throws {
        var report = try StoreReportReader.read(try Connection(url: args.string("--database")))
        if let title = args.string("--title"), title != "autorec evaluation report" { report.title = title }
        try write(report.html(), to: out)
        let plots = report.plots().count
        if args.flag("--json") {
            Output.json(["out": out, "plots": plots, "models": report.models.count, "runs": report.runs.count])
        } else {
            print("wrote \(out): \(report.models.count) registered models, \(report.runs.count) nightly runs, \(plots) plots")
        }
    }

    static func write(_ html: String, to path: String) throws {
        do {
            try FileAccess.write(html, to: path)
        } catch {
            throw CLIError(message: "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// "1..100" or "1,5,10" as sorted cut-offs.
    static func cutOffs(_ text: String) throws -> [Int] {
        let bounds = text.components(separatedBy: "..")
        if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), 1 <= low, low <= high, high <= 1000 {
            return Array(low...high)
        }
        let list = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !list.isEmpty, list.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 1000 }) else {
            throw CLIError(message: "--k takes a list of cut-offs from 1 to 1000 (1,5,10) or a range (1..100); got '\(text)'")
        }
        return list.map { $0! }
    }
}
