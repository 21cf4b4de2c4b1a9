import Foundation
import AutoRec
import Linalg
import AutoRecCore
import AutoRecModels
import AutoRecReport

/// `autorec bench-score` (hidden): times the streaming top-N of every user of a model file, per
/// block size, and with --compare the former per-row path in the same process, rounds interleaved.
enum BenchScoreCommand: Command {
    static let spec = CommandSpec(
        name: "bench-score",
        abstract: "Time the streaming top-N scorer on a model file (users/s, GEMM GFLOP/s, peak RSS).",
        options: [
            .value("--model", as: "file", help: "Model file (any kind)."),
            .value("--top", as: "n", help: "Items per user.", default: "100"),
            .value("--block", as: "n[,n...]", help: "Users per block, one run each (default: the scorer's choice)."),
            .value("--users", as: "n", help: "Score only the first n users."),
            .value("--rounds", as: "n", help: "Rounds over the block sizes.", default: "1"),
            .flag("--compare", help: "Also time the former path (score row copies, Set of history, TopN.select) and check the lists agree."),
        ], hidden: true)

    static func run(_ args: ParsedArguments) throws {
        let path = try args.required("--model")
        let model = try ModelCatalogue.load(from: path)
        let top = try args.int("--top", range: 1...10_000)!
        let userCount = min(model.users.count, try args.int("--users", range: 1...Int.max) ?? model.users.count)
        let users = Array(0..<userCount)
        let blocks: [Int?] = try args.intList("--block", range: 1...Int.max)?.map { $0 } ?? [nil]
        print("\(model.kind): \(userCount) users, \(model.items.count) items, top \(top); RSS after loading \(megabytes(memoryKB("VmRSS"))) MB")
        for round in 1...(try args.int("--rounds", range: 1...100)!) {
            for block in blocks {
                resetPeakMemory()
                var newLists: [[Int32]] = []
                let stats = model.scoreTopN(users: users, count: top, blockSize: block) { b in
                    if args.flag("--compare") { for r in 0..<b.users.count { newLists.append(Array(b.items[(r * top)..<(r * top + b.length(at: r))])) } }
                }
                report(round: round, stats: stats)
                if args.flag("--compare") { try compareWithFormerPath(model, users: users, top: top, newLists: newLists) }
            }
        }
    }

    /// Prints one run's figures.
    static func report(round: Int, stats s: ScoringStats) {
        let gflops = s.gemmGFLOPS.map { fixed($0, 1) } ?? "-"
        print("round \(round) block \(s.blockSize): \(Int(s.usersPerSecond)) users/s, total \(fixed(s.totalSeconds, 2)) s, "
              + "scoring \(fixed(s.scoringSeconds, 3)) s (\(gflops) GFLOP/s), selection \(fixed(s.selectionSeconds, 3)) s, "
              + "peak RSS \(megabytes(memoryKB("VmHWM"))) MB")
    }

    /// Times the former top-N (before the streaming scorer) and fails unless its lists are the same.
    static func compareWithFormerPath(_ model: any Ranker, users: [Int], top: Int, newLists: [[Int32]]) throws {
        let t0 = Date()
        let former = FormerTopN.lists(model, users: users, count: top)
        let seconds = Date().timeIntervalSince(t0)
        let same = former.count == newLists.count && zip(former, newLists).allSatisfy { $0.map { Int32($0.item) } == $1 }
        print("  former path: \(Int(Double(users.count) / seconds)) users/s, \(fixed(seconds, 2)) s; lists \(same ? "identical" : "DIFFER")")
        if !same { throw CLIError(message: "the streaming lists differ from the former path's", code: .failure) }
    }

    /// A line of /proc/self/status in kB (VmRSS, VmHWM); 0 where there is none.
    static func memoryKB(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        let line = text.split(separator: "\n").first { $0.hasPrefix(field + ":") }
        return line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    }

    /// Resets the kernel's peak RSS (VmHWM) to the current RSS, so each run reports its own peak.
    static func resetPeakMemory() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }

    static func megabytes(_ kb: Int) -> Int { kb / 1024 }
}
