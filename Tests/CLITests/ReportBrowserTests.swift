import XCTest
import Foundation

/// The report in a real browser: Debian's chromium, headless (tools/test installs it), renders the
/// page to a PNG. The page must load without errors, its DOM must hold the plots, and the image must
/// not be blank. The PNG stays in test-artifacts/report.png.
final class ReportBrowserTests: XCTestCase {
    func testReportRendersInAHeadlessBrowser() throws {
        guard let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            if ProcessInfo.processInfo.environment["AUTOREC_BROWSER_REQUIRED"] == "1" {
                return XCTFail("chromium is missing; tools/test installs it (apt-get install chromium)")
            }
            throw XCTSkip("chromium is not installed (tools/test installs it)")
        }
        let split = CLITests.root.appendingPathComponent("data/ml-100k/splits/implicit-80-20")
        let (train, test) = (split.appendingPathComponent("train.tsv").path, split.appendingPathComponent("test.tsv").path)
        let pop = tmp("popularity.model"), dae = tmp("mult-dae.model"), page = tmp("report.html")
        for (kind, out, extra) in [("popularity", pop, [String]()), ("mult-dae", dae, ["--epochs", "5", "--dims", "60,20"])] {
            let t = try run(CLITests.binary, ["train", "--kind", kind, "--train", train, "--out", out, "--seed", "1", "--quiet"] + extra)
            XCTAssertEqual(t.code, 0, t.err)
        }
        let r = try run(CLITests.binary, ["report", "--model", "\(pop),\(dae)", "--test", test, "--map", "pca", "--out", page,
                             "--catalogue", CLITests.root.appendingPathComponent("data/ml-100k/items.tsv").path])
        XCTAssertEqual(r.code, 0, r.err)

        let artifacts = CLITests.root.appendingPathComponent("test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let png = artifacts.appendingPathComponent("report.png").path
        try? FileManager.default.removeItem(atPath: png)
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                      "--window-size=1100,4800", "--user-data-dir=\(tmp("chromium-profile"))"]
        let shot = try run(browser, common + ["--screenshot=\(png)", "file://\(page)"])
        XCTAssertEqual(shot.code, 0, shot.err)
        for failure in ["Failed to load resource", "Uncaught", "net::ERR_", "Refused to"] {
            XCTAssertFalse(shot.err.contains(failure), "the page loaded with an error: \(failure)\n\(shot.err)")
        }
        let dom = try run(browser, common + ["--dump-dom", "file://\(page)"])
        XCTAssertEqual(dom.code, 0, dom.err)
        XCTAssertGreaterThanOrEqual(dom.out.components(separatedBy: "<svg").count - 1, 6, "the browser's DOM holds the plots")
        XCTAssertTrue(dom.out.contains("autorec evaluation report"))

        let stats = try run("/usr/bin/env", ["python3", CLITests.root.appendingPathComponent("tools/png-stats.py").path, png])
        XCTAssertEqual(stats.code, 0, stats.err)
        let figures = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(stats.out.utf8)) as? [String: Any], stats.out)
        XCTAssertEqual(figures["width"] as? Int, 1100)
        let ink = try XCTUnwrap(figures["ink_share"] as? Double), colours = try XCTUnwrap(figures["colours"] as? Int)
        XCTAssertGreaterThan(ink, 0.01, "the screenshot is not blank")
        XCTAssertGreaterThan(colours, 16, "the plots' colours are drawn")
        print("report screenshot: \(png) (ink \(String(format: "%.3f", ink)), \(colours) colours)")
    }

    private func tmp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("autorec-browser-\(UUID().uuidString)-\(name)").path
    }

    private func run(_ executable: String, _ args: [String]) throws -> CLITests.Result {
        try CLITests.runProcess(executable, args)
    }
}
