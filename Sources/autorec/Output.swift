import Foundation
import AutoRec
#if canImport(Glibc)
import Glibc
#endif

/// Where command output goes: tables for people, JSON for programs, progress only on a terminal.
enum Output {
    static var stderrIsTerminal: Bool { isatty(2) != 0 }

    static func line(_ s: String = "") {
        print(s)
    }

    static func error(_ s: String) {
        FileHandle.standardError.write(("autorec: error: " + s + "\n").data(using: .utf8)!)
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

    /// A plain text table with right-aligned numbers.
    static func table(_ header: [String], _ rows: [[String]]) {
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
