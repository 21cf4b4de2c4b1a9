import XCTest
import Foundation

/// The CLI used as a careless operator or an attacker would: every case gets one line on stderr and
/// the documented exit code, never a replaced device, a leaked password, a Foundation error dump, a
/// terminal escape from the data or a silent cut in the output.
final class CarelessUseTests: XCTestCase {
    func tmp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("autorec-careless-\(UUID().uuidString)-\(name)").path
    }
    var ratings: String { CLITests.root.appendingPathComponent("data/ml-100k/splits/implicit-80-20/train.tsv").path }

    /// Runs the CLI with standard input from `input` and standard output into `output` (a pipe when nil).
    func run(_ args: [String], input: Data? = nil, output: FileHandle? = nil) throws -> CLITests.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLITests.binary)
        p.arguments = args
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        p.standardOutput = output ?? out
        p.standardError = err
        if input != nil { p.standardInput = stdin }
        try p.run()
        if let input {
            stdin.fileHandleForWriting.write(input)
            try stdin.fileHandleForWriting.close()
        }
        let o = output == nil ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLITests.Result(code: p.terminationStatus, out: String(decoding: o, as: UTF8.self),
                               err: String(decoding: e, as: UTF8.self))
    }

    func assertOneClearLine(_ r: CLITests.Result, code: Int32, mentions: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.code, code, r.err, file: file, line: line)
        XCTAssertTrue(r.err.contains(mentions), r.err, file: file, line: line)
        XCTAssertFalse(r.err.contains("NSCocoaErrorDomain") || r.err.contains("Fatal error"), r.err, file: file, line: line)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err, file: file, line: line)
    }

    /// An --out that names a pipe (or a device, which root would replace) is refused and left as it was.
    func testAnOutputThatIsNotARegularFileIsRefused() throws {
        let fifo = tmp("fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        defer { unlink(fifo) }
        for args in [["synthetic", "--ratings", "1000", "--out", fifo],
                     ["train", "--kind", "popularity", "--train", ratings, "--out", fifo]] {
            assertOneClearLine(try run(args), code: 2, mentions: "is a pipe, not a regular file")
            var info = stat()
            XCTAssertEqual(stat(fifo, &info), 0)
            XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "\(args[0]) replaced the pipe")
        }
        assertOneClearLine(try run(["synthetic", "--ratings", "1000", "--out", "/nonexistent-folder/x.tsv"]),
                           code: 2, mentions: "the folder /nonexistent-folder does not exist")
        // As root (CI), a device node of our own: /dev/null's numbers, in a scratch folder.
        guard getuid() == 0 else { return }
        let device = tmp("device")
        XCTAssertEqual(mknod(device, S_IFCHR | 0o600, dev_t(259)), 0)
        defer { unlink(device) }
        for args in [["train", "--kind", "popularity", "--train", ratings, "--out", device],
                     ["embed", "--kind", "plain", "--ratings", ratings, "--epochs", "1", "--out", device],
                     ["synthetic", "--ratings", "1000", "--out", device]] {
            assertOneClearLine(try run(args), code: 2, mentions: "is a device, not a regular file")
            var info = stat()
            XCTAssertEqual(stat(device, &info), 0)
            XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "\(args[0]) replaced the device node")
        }
    }

    /// File errors are sentences with the path, not Foundation's dictionaries.
    func testFileErrorsAreSentences() throws {
        let model = tmp("pop.model")
        XCTAssertEqual(try run(["train", "--kind", "popularity", "--train", ratings, "--out", model]).code, 0)
        let test = CLITests.root.appendingPathComponent("data/ml-100k/splits/implicit-80-20/test.tsv").path
        assertOneClearLine(try run(["evaluate", "--protocol", "ranking", "--model", model, "--test", test,
                                    "--report", "/nonexistent-folder/report"]), code: 2, mentions: "/nonexistent-folder")
        assertOneClearLine(try run(["similar", "--item", "1", "--embeddings", "/nonexistent-folder/e.tsv"]),
                           code: 2, mentions: "/nonexistent-folder/e.tsv")
        assertOneClearLine(try run(["embed", "--kind", "plain", "--ratings", ratings, "--epochs", "1",
                                    "--out", "/nonexistent-folder/e.tsv"]), code: 2, mentions: "/nonexistent-folder")
    }

    /// A pipe is a file to read (`/dev/stdin`), for root too.
    func testStandardInputIsReadAsAFile() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: ratings))
        let r = try run(["train", "--kind", "popularity", "--train", "/dev/stdin", "--out", tmp("stdin.model")], input: data)
        XCTAssertEqual(r.code, 0, r.err)
    }

    /// A hexadecimal rating is not a number of a ratings file.
    func testHexadecimalRatingsAreRefused() throws {
        let path = tmp("hex.tsv")
        try "user\titem\trating\n1\t2\t4\n1\t3\t0x10\n".write(toFile: path, atomically: true, encoding: .utf8)
        assertOneClearLine(try run(["train", "--kind", "popularity", "--train", path, "--out", tmp("hex.model")]),
                           code: 2, mentions: "\(path):3")
    }

    /// A password with a stray % never reaches the terminal, whichever way it was given.
    func testAMalformedPasswordIsNotPrinted() throws {
        for url in ["postgresql://someone:se%zzcret@127.0.0.1:1/x", "postgresql://127.0.0.1:1/x?password=se%zzcret"] {
            let r = try run(["db", "status", "--database", url])
            XCTAssertNotEqual(r.code, 0)
            XCTAssertFalse(r.err.contains("zzcret"), r.err)
        }
    }

    /// Escape sequences in a title are shown as U+FFFD, not sent to the terminal.
    func testEscapeSequencesInTitlesDoNotReachTheTerminal() throws {
        let model = tmp("pop.model"), catalogue = tmp("items.tsv")
        XCTAssertEqual(try run(["train", "--kind", "popularity", "--train", ratings, "--out", model]).code, 0)
        let items = try String(contentsOfFile: CLITests.root.appendingPathComponent("data/ml-100k/items.tsv").path, encoding: .utf8)
        try items.replacingOccurrences(of: "\tContact\t", with: "\t\u{1B}]2;owned\u{07}\u{1B}[2J\t").write(toFile: catalogue, atomically: true, encoding: .utf8)
        let r = try run(["recommend", "--model", model, "--user", "1", "--top", "5", "--catalogue", catalogue])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("\u{FFFD}]2;owned"), r.out)
        XCTAssertFalse(r.out.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, r.out)
    }

    /// Sizes the options allow but memory cannot hold are refused before anything is allocated.
    func testWorkLargerThanMemoryIsRefusedUpFront() throws {
        assertOneClearLine(try run(["train", "--kind", "mult-vae", "--dims", "100000,100000", "--train", ratings,
                                    "--out", tmp("big.model")]), code: 2, mentions: "more than this machine's")
        assertOneClearLine(try run(["synthetic", "--ratings", "1000000000", "--out", tmp("big.tsv")]),
                           code: 2, mentions: "lower --ratings")
    }

    /// Output that cannot be written fails the command.
    func testAFullStandardOutputFailsTheCommand() throws {
        let model = tmp("pop.model")
        XCTAssertEqual(try run(["train", "--kind", "popularity", "--train", ratings, "--out", model]).code, 0)
        let full = try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full"))
        for json in [true, false] {
            let r = try run(["recommend", "--model", model, "--user", "1"] + (json ? ["--json"] : []), output: full)
            XCTAssertEqual(r.code, 1, r.err)
            XCTAssertTrue(r.err.contains("cannot write to standard output"), r.err)
        }
    }
}
