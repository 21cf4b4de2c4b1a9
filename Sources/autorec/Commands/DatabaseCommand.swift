import Foundation
import AutoRecStore

/// `autorec db migrate|status|check|partition-ratings`: the store's schema, what it holds, its audit.
enum DatabaseCommand: Command {
    static let spec = CommandSpec(
        name: "db",
        abstract: "Migrate the PostgreSQL store, show its status, audit what it serves, or partition its ratings by user.",
        discussion: """
        ACTIONS:
          migrate   apply the numbered SQL files of migrations/ that are missing, each in a transaction
          status    the schema version and the row count of every table
          check     audit what the store serves: no active list holds an item its user rated
                    before the lists were written, every user with ratings has a list of the
                    active model (or arrived since scoring), list lengths match the scoring run's
                    --top, no staging tables left by killed runs, one active model per task, every
                    stored model file verifies. Exit 0 when all hold, 1 when any does not.
          partition-ratings --partitions N
                    rebuild the ratings table as N hash partitions by user (optional; the
                    single-server form of spreading users over servers, see docs/SCALING.md)
        The server: --database URL, else DATABASE_URL, else libpq's PG* variables.
        tools/pg start runs a private server and prints its URL.
        """,
        options: [
            .value("--database", as: "url", help: "PostgreSQL connection URL."),
            .value("--migrations", as: "dir", help: "Folder of NNN_name.sql files (default: the project's migrations/)."),
            .value("--partitions", as: "n", help: "partition-ratings: the number of hash partitions (2-1024)."),
            .flag("--json", help: "Print one JSON object."),
        ],
        positionals: ["action"])

    /// The project's migrations folder: next to the working folder, or above the built binary.
    static func defaultMigrations() -> String {
        if let env = ProcessInfo.processInfo.environment["AUTOREC_MIGRATIONS"] { return env }
        let fm = FileManager.default
        if fm.fileExists(atPath: "migrations") { return "migrations" }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("migrations").path
            if fm.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "migrations"
    }

    static func run(_ args: ParsedArguments) throws {
        guard let action = args.positionals.first else {
            throw CLIError(message: "say what to do: autorec db migrate, status, check or partition-ratings --partitions N")
        }
        let connection = try Connection(url: args.string("--database"))
        let migrator = try Migrator(connection: connection, directory: args.string("--migrations") ?? defaultMigrations())
        switch action {
        case "migrate":
            let applied = try migrator.migrate()
            let version = try migrator.version()
            if args.flag("--json") {
                Output.json(["applied": applied, "version": version] as [String: Any])
            } else {
                print(applied.isEmpty ? "schema is up to date (version \(version))"
                                      : "applied migration\(applied.count > 1 ? "s" : "") \(applied.map(String.init).joined(separator: ", ")); schema version \(version)")
            }
        case "status":
            let version = try migrator.version()
            let counts = try StoreStatus.counts(connection)
            let latest = migrator.migrations.last?.version ?? 0
            if args.flag("--json") {
                var tables: [String: Any] = [:]
                for (t, n) in counts { tables[t] = n.map { $0 as Any } ?? NSNull() }
                Output.json(["version": version, "latest": latest, "tables": tables] as [String: Any])
            } else {
                print("schema version \(version) of \(latest)\(version < latest ? " (run 'autorec db migrate')" : "")")
                Output.table(["table", "rows"], counts.map { [$0.table, $0.rows.map(String.init) ?? "-"] })
            }
        case "check":
            try check(connection, json: args.flag("--json"))
        case "partition-ratings":
            guard let n = try args.int("--partitions", range: 2...1024) else {
                throw CLIError(message: "partition-ratings needs --partitions N (2 to 1024), e.g. --partitions 8")
            }
            try RatingPartitioning(connection: connection).partitionByUser(count: n)
            if args.flag("--json") { Output.json(["partitions": n] as [String: Any]) } else { print("ratings table: \(n) hash partitions by user") }
        default:
            throw CLIError(message: "unknown action '\(action)'; use migrate, status, check or partition-ratings")
        }
    }

    /// Prints the audit; a failed invariant exits 1.
    static func check(_ connection: Connection, json: Bool) throws {
        let started = Date()
        let findings = try StoreAudit.run(connection) { if Output.stderrIsTerminal && !json { Output.note($0) } }
        let seconds = Date().timeIntervalSince(started)
        let passed = findings.allSatisfy(\.passed)
        if json {
            Output.json(["passed": passed, "seconds": rounded(seconds, 3), "checks": findings.map {
                ["check": $0.check, "passed": $0.passed, "violations": $0.violations, "detail": $0.detail] as [String: Any]
            }] as [String: Any])
        } else {
            Output.table(["check", "result", "detail"], findings.map { [$0.check, $0.passed ? "ok" : "FAILED", $0.detail] })
            print("\(passed ? "store check passed" : "store check FAILED") in \(fixed(seconds, 2)) s")
        }
        if !passed { throw CLIError(message: "the store breaks \(findings.filter { !$0.passed }.count) invariant(s); see above", code: .failure) }
    }
}
