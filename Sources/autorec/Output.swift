import Foundation
import AutoRec
#if canImport(Glibc)
import Glibc
#endif
import AutoRecCore
import AutoRecModels

/// Where command output goes: tables for people, JSON for programs, progress only on a terminal.
enum Output {
    static var stderrIsTerminal: Bool { isatty(2) != 0 }

    static func line(_ s: String = "") {
        print(s)
    }

    static func error(_ s: String) {
        FileHandle.standardError.write(("autorec: error: " + s + "\n").data(using: .utf8)!)
    }

    /// An error in words: a file error as its path and the system's reason, not Foundation's dump.
    static func describe(_ error: Error) -> String {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return "\(error)" }
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        return (path.map { "\($0): " } ?? "") + FileAccess.reason(error)
    }

    static func note(_ s: String) {
        FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
    }

    /// Progress text to stderr, shown on a terminal only (quiet in pipes and logs).
    static func progress(_ s: String, force: Bool = false) {
        if force || stderrIsTerminal { note(s) }
    }

    /// Prints a JSON value (objects with sorted keys) on one line of stdout.
    static func json(_ value: Any) {
        print(jsonString(value))
    }

    /// The JSON text of a value (objects with sorted keys), on one line.
    static func jsonString(_ value: Any) -> String {
        (try? JSONValue.encode(value)) ?? "null"
    }

    /// `text` safe to show on a terminal: control characters (escape sequences among them, from a
    /// title or an id) become U+FFFD, so data never moves the cursor or recolours the screen.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? "\u{FFFD}" : $0 }))
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// A plain text table with right-aligned numbers; cells pass through `printable`.
    static func table(_ header: [String], _ rows: [[String]]) {
        let rows = rows.map { $0.map(printable) }
        var width = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < width.count { width[i] = max(width[i], c.count) } }
        // A column whose cells are all numbers is right-aligned, its header too.
        let numeric = (0..<header.count).map { i in !rows.isEmpty && rows.allSatisfy { i < $0.count && Double($0[i]) != nil } }
        func fmt(_ r: [String]) -> String {
            r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: width[i] - c.count)
                return numeric[i] ? pad + c : (i == r.count - 1 ? c : c + pad)
            }.joined(separator: "  ")
        }
        print(fmt(header))
        print(width.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for r in rows { print(fmt(r)) }
    }
}

/// Formats a number with a fixed count of decimals.
func fixed(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }

/// Rounds for JSON output so figures stay readable.
func rounded(_ x: Double, _ digits: Int = 6) -> Double {
    let p = pow(10.0, Double(digits))
    return (x * p).rounded() / p
}

/// Peak resident memory of this process so far, in MiB (getrusage's ru_maxrss is in KiB on Linux).
func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
