import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Runs the built `autorec` binary as a user would: exit codes, stderr messages, JSON shapes.
final class CLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The autorec executable next to this test bundle (same build configuration).
    static var binary: String {
        let bundleDir = Bundle(for: CLITests.self).bundleURL.deletingLastPathComponent()
        for candidate in [bundleDir.appendingPathComponent("autorec").path,
                          root.appendingPathComponent(".build/release/autorec").path,
                          root.appendingPathComponent(".build/debug/autorec").path]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "autorec"
    }

    struct Result { var code: Int32; var out: String; var err: String }

    func run(_ args: [String]) throws -> Result { try Self.runProcess(Self.binary, args) }

    /// Runs `executable` with `args` to its end: exit status, stdout and stderr.
    static func runProcess(_ executable: String, _ args: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(code: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    func tmp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("autorec-cli-\(UUID().uuidString)-\(name)").path
    }

    func json(_ s: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any], s)
    }

    /// A small ratings file: a slice of ML-100K.
    func smallRatingsFile() throws -> String {
        let all = try String(contentsOfFile: Self.root.appendingPathComponent("data/ml-100k/ratings.tsv").path, encoding: .utf8)
        let lines = all.split(separator: "\n").prefix(6000)
        let path = tmp("small.tsv")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testHelpForEveryCommand() throws {
        let top = try run(["--help"])
        XCTAssertEqual(top.code, 0)
        for command in ["train", "evaluate", "predict", "recommend", "db", "import", "models", "score", "nightly", "embed", "similar", "classify", "anomalies", "cluster", "sample", "report"] {
            XCTAssertTrue(top.out.contains(command), "top-level help lists \(command)")
            let r = try run([command, "--help"])
            XCTAssertEqual(r.code, 0, command)
            XCTAssertTrue(r.out.contains("USAGE: autorec \(command)"), r.out)
        }
        // The model settings' help comes from their declarations: CF-NADE's --ordinal defaults to 1
        // (the help once said 0), every setting option says its default.
        let train = try run(["train", "--help"]).out
        XCTAssertTrue(train.contains("  cf-nade: --orientation item --hidden 500 --epochs 150") && train.contains("--ordinal 1 "), train)
        for line in train.split(separator: "\n") where line.hasPrefix("  --ordinal") || line.hasPrefix("  --dims") || line.hasPrefix("  --hidden") {
            XCTAssertTrue(line.contains("(default: "), String(line))
        }
        let bad = try run(["frobnicate"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.err.contains("unknown command"))
    }

    func testMalformedRatingsFileNamesFileAndLineAndWritesNothing() throws {
        let path = tmp("bad.tsv"), model = tmp("bad.model")
        try "1\t1\t5\n2\t1\t4\n3\t1\tgood\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try run(["train", "--train", path, "--out", model])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("\(path):3:"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: model), "a failed run must not write a model")

        try "1\t1\t5\n2\t1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let cols = try run(["train", "--train", path, "--out", model])
        XCTAssertEqual(cols.code, 2)
        XCTAssertTrue(cols.err.contains("\(path):2:"), cols.err)

        try "".write(toFile: path, atomically: true, encoding: .utf8)
        let empty = try run(["train", "--train", path, "--out", model])
        XCTAssertEqual(empty.code, 2)
        XCTAssertTrue(empty.err.contains(path), empty.err)
    }

    func testTrainEvaluatePredictRecommendRoundTrip() throws {
        let data = try smallRatingsFile(), model = tmp("m.model")
        let t = try run(["train", "--model", "u-autorec", "--train", data, "--out", model, "--hidden", "32",
                         "--epochs", "60", "--json"])
        XCTAssertEqual(t.code, 0, t.err)
        let tj = try json(t.out)
        for key in ["epochs", "seconds_per_epoch", "train_seconds", "validation_rmse"] {
            XCTAssertNotNil(tj[key], "train --json has \(key)")
        }
        let e = try run(["evaluate", "--model", model, "--test", data, "--json"])
        XCTAssertEqual(e.code, 0, e.err)
        let ej = try json(e.out)
        XCTAssertEqual(ej["count"] as? Int, 6000)
        let rmse = try XCTUnwrap(ej["rmse"] as? Double)
        XCTAssertTrue(rmse > 0 && rmse < 1.5, "rmse \(rmse)")
        XCTAssertNotNil(ej["mae"])

        let p = try run(["predict", "--model", model, "--user", "1", "--item", "1", "--json"])
        XCTAssertEqual(p.code, 0, p.err)
        XCTAssertNotNil(try json(p.out)["prediction"])

        let rec = try run(["recommend", "--model", model, "--user", "1", "-n", "7", "--json"])
        XCTAssertEqual(rec.code, 0, rec.err)
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(rec.out.utf8)) as? [[String: Any]])
        XCTAssertEqual(list.count, 7)
        XCTAssertEqual(list.map { $0["rank"] as? Int }, (1...7).map { $0 })

        let unknown = try run(["recommend", "--model", model, "--user", "nobody"])
        XCTAssertEqual(unknown.code, 3)
        XCTAssertTrue(unknown.err.contains("unknown user"), unknown.err)
    }

    var implicitSplit: (train: String, test: String) {
        let dir = Self.root.appendingPathComponent("data/ml-100k/splits/implicit-80-20")
        return (dir.appendingPathComponent("train.tsv").path, dir.appendingPathComponent("test.tsv").path)
    }

    /// Ranking evaluation of one model (one JSON object) and of several (a side-by-side report).
    func testRankingEvaluationAndReport() throws {
        let split = implicitSplit
        let ease = tmp("ease.model"), pop = tmp("pop.model"), dae = tmp("dae.model")
        for (kind, out, extra) in [("ease", ease, [String]()), ("popularity", pop, []),
                                   ("mult-dae", dae, ["--epochs", "2", "--dims", "50,20"])] {
            let t = try run(["train", "--model", kind, "--train", split.train, "--out", out, "--seed", "1", "--json"] + extra)
            XCTAssertEqual(t.code, 0, t.err)
            XCTAssertEqual(try json(t.out)["model"] as? String, kind)
        }
        let one = try run(["evaluate", "--protocol", "ranking", "--model", ease, "--test", split.test, "--k", "10,20,50", "--json"])
        XCTAssertEqual(one.code, 0, one.err)
        let j = try json(one.out)
        for key in ["recall@10", "recall@20", "recall@50", "ndcg@20", "precision@20", "map@20", "coverage@20", "users"] {
            XCTAssertNotNil(j[key], "evaluate --json has \(key)")
        }
        XCTAssertEqual(j["users"] as? Int, 938)
        let recall = try XCTUnwrap(j["recall@20"] as? Double)
        XCTAssertGreaterThan(recall, 0.38, "EASE with its default lambda on the reference split")

        let prefix = tmp("report")
        let many = try run(["evaluate", "--model", [pop, ease, dae].joined(separator: ","), "--test", split.test,
                            "--k", "20", "--report", prefix])
        XCTAssertEqual(many.code, 0, many.err)
        XCTAssertTrue(many.out.contains("| popularity |") && many.out.contains("| ease |") && many.out.contains("| mult-dae |"), many.out)
        let md = try String(contentsOfFile: prefix + ".md", encoding: .utf8)
        XCTAssertTrue(md.contains("recall@20") && md.contains("s/epoch"), md)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: prefix + ".json"))) as? [String: Any])
        let rows = try XCTUnwrap(report["models"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["model"] as? String }, ["popularity", "ease", "mult-dae"])
        let popRecall = try XCTUnwrap(rows[0]["recall@20"] as? Double), easeRecall = try XCTUnwrap(rows[1]["recall@20"] as? Double)
        XCTAssertGreaterThan(easeRecall, popRecall + 0.1, "EASE must beat popularity by far")
    }

    /// `report` writes one self-contained HTML page: at least six plots (inline SVG, each well-formed
    /// XML), the models in the table and legends, the learning curve of the model that has one, item
    /// titles on the map, and no script, even from a hostile title.
    func testReportWritesOneSelfContainedPageWithPlots() throws {
        let split = implicitSplit
        let pop = tmp("popularity.model"), dae = tmp("mult-dae.model"), page = tmp("report.html")
        for (kind, out, extra) in [("popularity", pop, [String]()), ("mult-dae", dae, ["--epochs", "3", "--dims", "40,10"])] {
            let t = try run(["train", "--kind", kind, "--train", split.train, "--out", out, "--seed", "1", "--quiet"] + extra)
            XCTAssertEqual(t.code, 0, t.err)
        }
        let r = try run(["report", "--model", "\(pop),\(dae)", "--test", split.test, "--k", "1..50", "--map", "pca",
                         "--catalogue", Self.root.appendingPathComponent("data/ml-100k/items.tsv").path,
                         "--title", "<script>alert(1)</script> models", "--out", page, "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        let summary = try json(r.out)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(summary["plots"] as? Int), 6)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertFalse(html.contains("<script"), "no scripts, and a hostile title stays text")
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; models"))
        XCTAssertFalse(html.contains("http://") && html.contains("src=\"http"), "nothing loaded from the network")
        let svgs = html.components(separatedBy: "<svg ").dropFirst().map { "<svg " + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
        XCTAssertGreaterThanOrEqual(svgs.count, 6)
        for svg in svgs { XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse(), String(svg.prefix(200))) }
        for text in ["popularity.model", "mult-dae.model", "Training loss per epoch", "Recall@20 by user activity",
                     "Where the top-20 lists come from", "Toy Story (Animation, Children&#39;s, Comedy)"] {
            XCTAssertTrue(html.contains(text), text)
        }
        let bad = try run(["report", "--model", pop, "--test", split.test, "--k", "0..5", "--out", tmp("x.html")])
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.err.contains("--k takes a list of cut-offs"), bad.err)
    }

    /// Fold-in from the command line: a user no model has seen, the given items left out.
    func testFoldInForAnUnseenUser() throws {
        let split = implicitSplit
        let ease = tmp("ease.model")
        XCTAssertEqual(try run(["train", "--model", "ease", "--train", split.train, "--out", ease]).code, 0)
        let given = ["50", "181", "172", "174"]
        let r = try run(["recommend", "--model", ease, "--items", given.joined(separator: ","), "-n", "12", "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]])
        XCTAssertEqual(list.count, 12)
        XCTAssertTrue(Set(list.compactMap { $0["item"] as? String }).isDisjoint(with: given), r.out)

        let file = tmp("one-user.tsv")
        try "new\t50\t5\nnew\t181\t4\n".write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try run(["recommend", "--model", ease, "--ratings", file, "-n", "5", "--json"])
        XCTAssertEqual(fromFile.code, 0, fromFile.err)
        XCTAssertFalse(fromFile.out.contains("\"item\":\"50\""), fromFile.out)

        // Found by trying: several users in one fold-in file were folded into one profile, an empty
        // element of a list was skipped, and an option's name was taken as the previous one's value.
        let twoUsers = tmp("two-users.tsv")
        try "new\t50\t5\nother\t181\t4\n".write(toFile: twoUsers, atomically: true, encoding: .utf8)
        let mixed = try run(["recommend", "--model", ease, "--ratings", twoUsers, "-n", "5"])
        XCTAssertEqual(mixed.code, 2)
        XCTAssertTrue(mixed.err.contains("2 users"), mixed.err)
        let gap = try run(["recommend", "--model", ease, "--items", "50,,181"])
        XCTAssertEqual(gap.code, 2)
        XCTAssertTrue(gap.err.contains("empty element"), gap.err)
        let optionAsValue = try run(["recommend", "--model", ease, "--user", "-n", "2"])
        XCTAssertEqual(optionAsValue.code, 2)
        XCTAssertTrue(optionAsValue.err.contains("got the option '-n'"), optionAsValue.err)
        let kGap = try run(["evaluate", "--model", ease, "--test", split.test, "--k", "10,,20"])
        XCTAssertEqual(kGap.code, 2)
        XCTAssertTrue(kGap.err.contains("empty element"), kGap.err)
        let strangers = tmp("strangers.tsv")
        try "nobody\t50\t5\nnoone\t181\t4\n".write(toFile: strangers, atomically: true, encoding: .utf8)
        let noKnownUser = try run(["evaluate", "--model", ease, "--test", strangers])
        XCTAssertEqual(noKnownUser.code, 2, "evaluating on users the model never saw must refuse, not print zeros")
        XCTAssertTrue(noKnownUser.err.contains("none of the test file's users"), noKnownUser.err)
        let device = try run(["train", "--model", "ease", "--train", "/dev/zero", "--out", tmp("x.model")])
        XCTAssertEqual(device.code, 2)
        XCTAssertTrue(device.err.contains("not a regular file"), device.err)

        let unknownOnly = try run(["recommend", "--model", ease, "--items", "no-such-item"])
        XCTAssertEqual(unknownOnly.code, 2)
        XCTAssertTrue(unknownOnly.err.contains("none of the given items"), unknownOnly.err)

        let data = try smallRatingsFile(), iauto = tmp("i.model")
        XCTAssertEqual(try run(["train", "--model", "i-autorec", "--train", data, "--out", iauto, "--hidden", "8", "--epochs", "2"]).code, 0)
        let refused = try run(["recommend", "--model", iauto, "--items", "1,2"])
        XCTAssertEqual(refused.code, 5)
        XCTAssertTrue(refused.err.contains("cannot recommend for a new user"), refused.err)
    }

    /// Embeddings from the command line: embed writes a TSV, similar reads it and names its neighbours.
    func testEmbedAndSimilar() throws {
        let ratings = Self.root.appendingPathComponent("data/ml-100k/ratings.tsv").path
        let items = Self.root.appendingPathComponent("data/ml-100k/items.tsv").path
        let out = tmp("emb.tsv")
        let e = try run(["embed", "--model", "plain", "--ratings", ratings, "--dim", "16", "--epochs", "10", "--out", out, "--json"])
        XCTAssertEqual(e.code, 0, e.err)
        let j = try json(e.out)
        XCTAssertEqual(j["rows"] as? Int, 1682)
        XCTAssertEqual(j["dim"] as? Int, 16)
        let s = try run(["similar", "--item", "50", "--embeddings", out, "-n", "5", "--catalogue", items, "--json"])
        XCTAssertEqual(s.code, 0, s.err)
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.out.utf8)) as? [[String: Any]])
        XCTAssertEqual(list.count, 5)
        XCTAssertFalse(list.contains { $0["item"] as? String == "50" }, "an item is not its own neighbour")
        XCTAssertTrue(list.allSatisfy { $0["title"] is String })
        let unknown = try run(["similar", "--item", "no-such-item", "--embeddings", out])
        XCTAssertEqual(unknown.code, 3)
        // A deeper encoder gives embeddings of the same size; the contractive variant refuses one.
        let deep = try run(["embed", "--model", "denoising", "--hidden", "24", "--ratings", ratings, "--dim", "8", "--epochs", "3", "--out", tmp("deep.tsv"), "--json"])
        XCTAssertEqual(deep.code, 0, deep.err)
        XCTAssertEqual(try json(deep.out)["dim"] as? Int, 8)
        let refused = try run(["embed", "--model", "contractive", "--hidden", "24", "--ratings", ratings, "--epochs", "1"])
        XCTAssertEqual(refused.code, 2)
        XCTAssertTrue(refused.err.contains("--hidden"), refused.err)
    }

    /// The fixed JSON shape of classify: one entry per variant plus pca and majority.
    func testClassifyGenresJSONShape() throws {
        let ratings = Self.root.appendingPathComponent("data/ml-100k/ratings.tsv").path
        let items = Self.root.appendingPathComponent("data/ml-100k/items.tsv").path
        let r = try run(["classify", "--target", "genres", "--ratings", ratings, "--items", items, "--dim", "8",
                         "--epochs", "3", "--folds", "3", "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        let results = try XCTUnwrap(try json(r.out)["results"] as? [[String: Any]])
        XCTAssertEqual(results.compactMap { $0["embedding"] as? String },
                       ["plain", "sparse", "denoising", "contractive", "vae", "beta-vae", "wasserstein", "adversarial", "ali", "pca", "majority"])
        for e in results {
            let micro = try XCTUnwrap(e["micro_f1"] as? Double), macro = try XCTUnwrap(e["macro_f1"] as? Double)
            XCTAssertTrue((0...1).contains(micro) && (0...1).contains(macro), "\(e)")
        }
        let pca = results[9]["micro_f1"] as! Double, majority = results[10]["micro_f1"] as! Double
        XCTAssertGreaterThan(pca, majority + 0.05, "PCA features carry genre information")
    }

    /// Scarce labels keep the fixed shape: one entry per embedding and probe, then majority.
    func testClassifyWithScarceLabelsKeepsTheJSONShape() throws {
        let ratings = Self.root.appendingPathComponent("data/ml-100k/ratings.tsv").path
        let items = Self.root.appendingPathComponent("data/ml-100k/items.tsv").path
        let r = try run(["classify", "--ratings", ratings, "--catalogue", items, "--dim", "8", "--epochs", "3",
                         "--labelled", "0.1", "--draws", "2", "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        let o = try json(r.out)
        let results = try XCTUnwrap(o["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 10 * 2 + 1, "every embedding under both probes, then majority")
        XCTAssertEqual(Set(results.compactMap { $0["probe"] as? String }), ["logistic", "mlp", "majority"])
        for e in results {
            XCTAssertNotNil(e["embedding"] as? String)
            let micro = try XCTUnwrap(e["micro_f1"] as? Double), macro = try XCTUnwrap(e["macro_f1"] as? Double)
            XCTAssertTrue((0...1).contains(micro) && (0...1).contains(macro), "\(e)")
        }
        XCTAssertEqual(o["labelled"] as? Double, 0.1)
    }

    /// The fixed JSON shape of anomalies: every user, most anomalous first.
    func testAnomaliesJSONCoversEveryUser() throws {
        let data = try smallRatingsFile()
        let r = try run(["anomalies", "--ratings", data, "--of", "users", "--epochs", "5", "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        let list = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]])
        let users = Set(try String(contentsOfFile: data, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t")[0] })
        XCTAssertEqual(list.count, users.count)
        XCTAssertEqual(Set(list.compactMap { $0["user"] as? String }).count, users.count)
        let scores = list.compactMap { $0["score"] as? Double }
        XCTAssertEqual(scores, scores.sorted(by: >))
    }

    /// cluster reports silhouette and purity per embedding, and lists clusters for one embedding.
    func testClusterReportsSilhouetteAndPurity() throws {
        let ratings = Self.root.appendingPathComponent("data/ml-100k/ratings.tsv").path
        let items = Self.root.appendingPathComponent("data/ml-100k/items.tsv").path
        let all = try run(["cluster", "--k", "5", "--ratings", ratings, "--items", items, "--epochs", "3", "--dim", "8", "--json"])
        XCTAssertEqual(all.code, 0, all.err)
        let results = try XCTUnwrap(try json(all.out)["results"] as? [[String: Any]])
        XCTAssertEqual(results.compactMap { $0["embedding"] as? String }, ["plain", "sparse", "denoising", "contractive", "vae", "beta-vae", "wasserstein", "adversarial", "ali", "pca"])
        for r in results {
            let s = try XCTUnwrap(r["silhouette"] as? Double), p = try XCTUnwrap(r["purity"] as? Double)
            XCTAssertTrue((-1...1).contains(s) && (0...1).contains(p), "\(r)")
            XCTAssertEqual((r["sizes"] as? [Int])?.reduce(0, +), 1682)
        }
        let one = try run(["cluster", "--k", "4", "--ratings", ratings, "--items", items, "--model", "pca", "--json"])
        XCTAssertEqual(one.code, 0, one.err)
        let clusters = try XCTUnwrap(try json(one.out)["clusters"] as? [[String: Any]])
        XCTAssertEqual(clusters.count, 4)
        XCTAssertTrue(clusters.allSatisfy { ($0["titles"] as? [String])?.isEmpty == false })
    }

    /// sample draws profiles from a VAE: a valid ratings file, statistics beside the real data's.
    func testSampleWritesARatingsFile() throws {
        let data = try smallRatingsFile(), out = tmp("samples.tsv")
        let r = try run(["sample", "--model", "vae", "-n", "4", "--ratings", data, "--epochs", "5", "--out", out, "--json"])
        XCTAssertEqual(r.code, 0, r.err)
        let j = try json(r.out)
        XCTAssertEqual(j["profiles"] as? Int, 4)
        XCTAssertEqual((j["sample_profile_sizes"] as? [Int])?.count, 4)
        XCTAssertNotNil(j["real_mean_rating"])
        let t = try run(["train", "--model", "popularity", "--train", out, "--out", tmp("p.model")])
        XCTAssertEqual(t.code, 0, "the samples read back as a ratings file: \(t.err)")
        let refused = try run(["sample", "--model", "plain", "--ratings", data])
        XCTAssertEqual(refused.code, 2)
    }

    func testDamagedModelIsRefused() throws {
        let data = try smallRatingsFile(), model = tmp("d.model")
        XCTAssertEqual(try run(["train", "--train", data, "--out", model, "--hidden", "8", "--epochs", "2"]).code, 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        bytes[bytes.count - 50] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: model))
        let r = try run(["evaluate", "--model", model, "--test", data])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("checksum mismatch") && r.err.contains(model), r.err)
    }

    func testImportRefusesBadInputBeforeTouchingTheDatabase() throws {
        // No server is named: each of these must fail on the input, with exit code 2, before connecting.
        let path = tmp("r.tsv")
        try "1\t1\t5\n".write(toFile: path, atomically: true, encoding: .utf8)
        let format = try run(["import", "ratings", path, "--format", "xml", "--database", "postgresql://nobody@127.0.0.1:1/x"])
        XCTAssertEqual(format.code, 2)
        XCTAssertTrue(format.err.contains("--format must be one of"), format.err)
        try "1\t1\t5\n2\t1\tfour\n".write(toFile: path, atomically: true, encoding: .utf8)
        let bad = try run(["import", "ratings", path, "--database", "postgresql://nobody@127.0.0.1:1/x"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.err.contains("\(path):2:"), bad.err)
        let kind = try run(["import", "ratingz", path])
        XCTAssertEqual(kind.code, 2)
        XCTAssertTrue(kind.err.contains("unknown kind"), kind.err)
    }

    func testBadOptionValuesAreExplained() throws {
        let r = try run(["train", "--train", "x", "--out", "y", "--hidden", "many"])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("--hidden expects a whole number"), r.err)
        let m = try run(["train", "--model", "svd", "--train", "x", "--out", "y"])
        XCTAssertEqual(m.code, 2)
        XCTAssertTrue(m.err.contains("i-autorec, u-autorec"), m.err)
    }

    /// One option vocabulary: --kind for a kind, --top for a list length, --liked for fold-in items,
    /// with the earlier spellings (--model, -n, --count, --items) still working the same; an option
    /// the kind does not read is refused before any data is read.
    func testOneOptionVocabularyWithTheOldSpellingsAsAliases() throws {
        let split = implicitSplit
        let viaKind = tmp("pop-kind.model"), viaModel = tmp("pop-model.model")
        XCTAssertEqual(try run(["train", "--kind", "popularity", "--train", split.train, "--out", viaKind]).code, 0)
        XCTAssertEqual(try run(["train", "--model", "popularity", "--train", split.train, "--out", viaModel]).code, 0)
        let lists = try [["--top", "4"], ["-n", "4"], ["--count", "4"]].map { length in
            try run(["recommend", "--model", viaKind, "--user", "1", "--json"] + length).out
        }
        XCTAssertEqual(Set(lists).count, 1, "every spelling of the list length gives the same list")
        XCTAssertEqual(try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lists[0].utf8)) as? [Any]).count, 4)
        XCTAssertEqual(try run(["recommend", "--model", viaModel, "--user", "1", "--json", "--top", "4"]).out, lists[0])
        let liked = try run(["recommend", "--model", viaKind, "--liked", "50,181", "--top", "3", "--json"])
        XCTAssertEqual(liked.code, 0, liked.err)
        XCTAssertEqual(try run(["recommend", "--model", viaKind, "--items", "50,181", "--top", "3", "--json"]).out, liked.out)
        let notRead = try run(["train", "--kind", "ease", "--train", "missing.tsv", "--out", tmp("e.model"), "--epochs", "3"])
        XCTAssertEqual(notRead.code, 2)
        XCTAssertTrue(notRead.err.contains("--epochs does not apply to ease; it applies to i-autorec"), notRead.err)
        let help = try run(["train", "--help"]).out
        XCTAssertTrue(help.contains("--kind, --model <kind>") && help.contains("  mult-dae: --dims 600,200"), help)
    }

    /// CF-NADE goes through the same commands as AutoRec: train, evaluate (RMSE), predict, recommend;
    /// predict refuses a model that only ranks.
    func testCFNADEThroughTheRatingCommands() throws {
        let data = try smallRatingsFile()
        let model = tmp("nade.model")
        let t = try run(["train", "--kind", "cf-nade", "--train", data, "--out", model, "--hidden", "8", "--epochs", "2", "--json"])
        XCTAssertEqual(t.code, 0, t.err)
        XCTAssertEqual(try json(t.out)["model"] as? String, "cf-nade")
        let e = try run(["evaluate", "--model", model, "--test", data, "--json"])
        XCTAssertEqual(e.code, 0, e.err)
        XCTAssertLessThan(try XCTUnwrap(try json(e.out)["rmse"] as? Double), 2)
        let p = try run(["predict", "--model", model, "--user", "1", "--item", "1", "--json"])
        XCTAssertEqual(p.code, 0, p.err)
        XCTAssertTrue((1...5).contains(try XCTUnwrap(try json(p.out)["prediction"] as? Double)), p.out)
        XCTAssertEqual(try run(["recommend", "--model", model, "--user", "1", "--top", "3"]).code, 0)
        let pop = tmp("pop.model")
        XCTAssertEqual(try run(["train", "--kind", "popularity", "--train", data, "--out", pop]).code, 0)
        let refused = try run(["predict", "--model", pop, "--user", "1", "--item", "1"])
        XCTAssertEqual(refused.code, 2)
        XCTAssertTrue(refused.err.contains("does not predict ratings"), refused.err)
    }

    /// ALI is a representation variant like the others: embed (with its reconstruction error),
    /// similar, anomalies and sample (drawn from the prior through its decoder).
    func testALIThroughTheRepresentationCommands() throws {
        let data = try smallRatingsFile()
        let e = try run(["embed", "--kind", "ali", "--ratings", data, "--epochs", "5", "--dim", "8", "--json"])
        XCTAssertEqual(e.code, 0, e.err)
        let o = try json(e.out)
        XCTAssertEqual(o["kind"] as? String, "ali")
        XCTAssertTrue((0.0..<2.0).contains(try XCTUnwrap(o["reconstruction_rmse"] as? Double)), e.out)
        XCTAssertEqual(try run(["similar", "--kind", "ali", "--ratings", data, "--item", "50", "--epochs", "3", "--top", "3"]).code, 0)
        XCTAssertEqual(try run(["anomalies", "--kind", "ali", "--ratings", data, "--epochs", "3", "--top", "3"]).code, 0)
        let sample = try run(["sample", "--kind", "ali", "--ratings", data, "--epochs", "3", "--profiles", "2", "--json"])
        XCTAssertEqual(sample.code, 0, sample.err)
        XCTAssertEqual(try json(sample.out)["profiles"] as? Int, 2)
    }
}
