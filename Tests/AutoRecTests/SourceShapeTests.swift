import XCTest
import Foundation

/// The shape the sources keep (docs/ARCHITECTURE.md): every function short enough to read at once.
final class SourceShapeTests: XCTestCase {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
    static let mostLines = 60

    func testNoFunctionIsLongerThanSixtyLines() throws {
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: Self.sources.path))
            .compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        XCTAssertGreaterThan(files.count, 100, "the sources were found")
        var long: [String] = []
        for file in files {
            let text = try String(contentsOf: Self.sources.appendingPathComponent(file), encoding: .utf8)
            for (name, line, count) in Self.functionLengths(text.components(separatedBy: "\n")) where count > Self.mostLines {
                long.append("\(file):\(line) \(name) has \(count) lines")
            }
        }
        XCTAssertEqual(long, [], "split these into named steps")
    }

    /// Each `func` or `init` with its first line and its length from signature to closing brace
    /// (braces counted; a signature's body must open within six lines).
    static func functionLengths(_ lines: [String]) -> [(name: String, line: Int, count: Int)] {
        var found: [(String, Int, Int)] = []
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("//"), let name = declaredName(trimmed) else { continue }
            var depth = 0, opened = false, end = index
            scan: while end < lines.count {
                for character in lines[end] {
                    if character == "{" { depth += 1; opened = true } else if character == "}" { depth -= 1 }
                    if opened && depth <= 0 { break scan }
                }
                if !opened && end > index + 6 { break }
                end += 1
            }
            if opened { found.append((name, index + 1, end - index + 1)) }
        }
        return found
    }

    /// The name of the function or initialiser a line declares, if it declares one.
    static func declaredName(_ line: String) -> String? {
        let words = line.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" }).map(String.init)
        guard let at = words.firstIndex(where: { $0 == "func" || $0 == "init" }) else { return nil }
        if words[at] == "init" { return line.contains("init(") || line.contains("init?(") || line.contains("init<") ? "init" : nil }
        return at + 1 < words.count ? words[at + 1] : nil
    }
}
