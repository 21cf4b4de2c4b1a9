import XCTest
import Foundation
@testable import AutoRecStore

/// The README's cheat sheet runs as written: every `autorec` line, top to bottom, from the
/// repository root, against the test database (its `tools/...` and `export` lines are the setup
/// this test does itself: the built binary and `DATABASE_URL`).
final class CheatSheetTests: XCTestCase {
    /// The setup lines the sheet may hold besides `autorec` commands.
    static let setupLines: Set<String> = [
        "tools/setup",
        "export PATH=\"$PWD/.build-static/release:$PATH\"",
        "export DATABASE_URL=$(tools/pg start)",
    ]

    /// The lines of the fenced block under "## Cheat sheet", without comments and blank lines.
    static func cheatSheet() throws -> [String] {
        let readme = try String(contentsOf: StoreTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.components(separatedBy: "\n## Cheat sheet\n").dropFirst().first,
                                    "README.md has no '## Cheat sheet' section")
        let block = try XCTUnwrap(section.components(separatedBy: "```sh\n").dropFirst().first?
            .components(separatedBy: "\n```").first, "the cheat sheet has no ```sh block")
        return block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    func testEveryCommandOfTheReadmeCheatSheetRuns() throws {
        _ = try TestDatabase.fresh(migrated: false)
        let url = try TestDatabase.url
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("autorec-cheat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let lines = try Self.cheatSheet()
        let commands = lines.filter { $0.hasPrefix("autorec ") }
        XCTAssertGreaterThanOrEqual(commands.count, 15, "the cheat sheet lost its commands")
        for line in lines where !line.hasPrefix("autorec ") {
            XCTAssertTrue(Self.setupLines.contains(line), "a cheat-sheet line this test cannot run: \(line)")
        }
        for line in commands {
            XCTAssertFalse(line.contains("\"") || line.contains("'") || line.contains("|") || line.contains("["),
                           "one plain command a line, no quoting or alternatives: \(line)")
            // Files the sheet writes under /tmp go to this test's own folder.
            let arguments = line.split(separator: " ").dropFirst().map {
                $0.replacingOccurrences(of: "/tmp/", with: scratch.path + "/")
            }
            let result = try run(arguments, databaseURL: url)
            XCTAssertEqual(result.status, 0, "\(line)\n\(result.output)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("store.html").path))
    }

    /// Runs the built CLI from the repository root; its exit status and its output (stdout and stderr).
    func run(_ arguments: [String], databaseURL: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: KilledScorerTests.binary)
        p.arguments = arguments
        p.currentDirectoryURL = StoreTests.root
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        p.environment = environment
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data.suffix(4000), as: UTF8.self))
    }
}
