import CLibPQ
import Foundation

/// An error from the store: what failed, with any password in a connection URL masked.
public struct StoreError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = ConnectionURL.redact(message) }
    public var description: String { message }

    /// The server's error for a failed statement. A missing table (SQLSTATE 42P01) means a store
    /// that was never migrated or predates this build, which the server's own words do not say.
    init(result: OpaquePointer) {
        var text = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        if state == "42P01" {
            text += "\nThe store's schema is missing or older than this autorec: run 'autorec db migrate' (with the same --database)."
        }
        self.init(text)
    }
}

/// Connection URLs as users pass them, and how to show them without their password.
public enum ConnectionURL {
    /// `--database`, else DATABASE_URL, else nil (libpq then reads its PG* variables).
    public static func resolve(_ explicit: String?) -> String? {
        if let e = explicit, !e.isEmpty { return e }
        if let env = ProcessInfo.processInfo.environment["DATABASE_URL"], !env.isEmpty { return env }
        return nil
    }

    /// Masks the password in any text that may hold a connection string: `user:password@` of a URL
    /// (up to the last `@` before the host, so a password holding `@` is masked whole), the URL
    /// parameter `password=...`, and the keyword form `password = value` or `password='quoted value'`.
    public static func redact(_ text: String) -> String {
        var s = text
        let rules = [
            ("(postgres(?:ql)?://[^:/@\\s]*):[^\\s/?]*@", "$1:***@"),
            ("(password\\s*=\\s*)(?:'(?:[^'\\\\]|\\\\.)*'?|[^&\\s']*)", "$1***"),
            // libpq quotes a malformed %-escape of the connection string, often inside the password.
            ("(percent-encoded token: )\"[^\"]*\"", "$1\"***\""),
        ]
        for (pattern, template) in rules {
            guard let re = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { continue }
            s = re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
        }
        return s
    }
}

/// The rows of a query, as text (NULL as nil), with the column names.
public struct QueryResult: Sendable {
    public var columns: [String]
    public var rows: [[String?]]
    /// Rows changed by INSERT/UPDATE/DELETE/COPY.
    public var affected: Int
}

/// One libpq connection. Every statement with values goes through `execute(_:_:)` with parameters,
/// never string building.
public final class Connection {
    private let conn: OpaquePointer
    /// The libpq handle, for the COPY helpers in other files of this module.
    var raw: OpaquePointer { conn }

    /// Connects to `url` (or to what DATABASE_URL / PG* variables name when nil).
    public init(url: String? = nil) throws {
        guard let c = PQconnectdb(ConnectionURL.resolve(url) ?? "") else { throw StoreError("out of memory connecting") }
        if PQstatus(c) != CONNECTION_OK {
            let msg = String(cString: PQerrorMessage(c)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(c)
            let target = ConnectionURL.resolve(url).map { " to \($0)" } ?? ""
            throw StoreError("cannot connect\(target): \(msg). Start the private server with tools/pg start, or pass --database URL")
        }
        conn = c
        // Notices (NOTICE, INFO, ...) are dropped here rather than by a SET, which would cost a round
        // trip on every connection; warnings and above still reach stderr.
        PQsetNoticeReceiver(c, { _, result in
            guard let result else { return }
            let severity = PQresultErrorField(result, Int32(UInt8(ascii: "V"))).map { String(cString: $0) } ?? "WARNING"
            guard !["NOTICE", "INFO", "LOG", "DEBUG"].contains(severity) else { return }
            fputs(String(cString: PQresultErrorMessage(result)), stderr)
        }, nil)
    }

    deinit { PQfinish(conn) }

    /// Runs one statement with text parameters ($1, $2, ...).
    @discardableResult
    public func execute(_ sql: String, _ params: [String?] = []) throws -> QueryResult {
        let cStrings = params.map { $0.flatMap { strdup($0) } }
        defer { cStrings.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
        let result = pointers.withUnsafeMutableBufferPointer { buf in
            PQexecParams(conn, sql, Int32(params.count), nil, buf.baseAddress, nil, nil, 0)
        }
        guard let r = result else { throw StoreError("out of memory running a query") }
        defer { PQclear(r) }
        let status = PQresultStatus(r)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw StoreError(result: r)
        }
        let nCols = Int(PQnfields(r)), nRows = Int(PQntuples(r))
        let columns = (0..<nCols).map { String(cString: PQfname(r, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(nRows)
        for i in 0..<nRows {
            rows.append((0..<nCols).map { j in
                PQgetisnull(r, Int32(i), Int32(j)) == 1 ? nil : String(cString: PQgetvalue(r, Int32(i), Int32(j)))
            })
        }
        let affected = Int(String(cString: PQcmdTuples(r))) ?? 0
        return QueryResult(columns: columns, rows: rows, affected: affected)
    }

    /// Runs one statement whose parameter `bytesIndex` (0-based) is binary (a bytea), the others
    /// text; returns the first value of the first row.
    @discardableResult
    public func execute(_ sql: String, _ params: [String?], bytes: Data, at bytesIndex: Int) throws -> String? {
        let cStrings = params.map { $0.flatMap { strdup($0) } }
        defer { cStrings.forEach { free($0) } }
        return try bytes.withUnsafeBytes { raw -> String? in
            var values: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
            var lengths = [Int32](repeating: 0, count: params.count)
            var formats = [Int32](repeating: 0, count: params.count)
            values[bytesIndex] = raw.baseAddress.map { $0.assumingMemoryBound(to: CChar.self) }
            lengths[bytesIndex] = Int32(bytes.count)
            formats[bytesIndex] = 1
            guard let r = PQexecParams(conn, sql, Int32(params.count), nil, values, lengths, formats, 0) else {
                throw StoreError("out of memory running a query")
            }
            defer { PQclear(r) }
            let status = PQresultStatus(r)
            guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
                throw StoreError(result: r)
            }
            return PQntuples(r) > 0 && PQnfields(r) > 0 && PQgetisnull(r, 0, 0) == 0 ? String(cString: PQgetvalue(r, 0, 0)) : nil
        }
    }

    /// The first value of the first row as raw bytes (binary result format), or nil.
    public func fetchBytes(_ sql: String, _ params: [String?]) throws -> Data? {
        let cStrings = params.map { $0.flatMap { strdup($0) } }
        defer { cStrings.forEach { free($0) } }
        let values: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
        guard let r = PQexecParams(conn, sql, Int32(params.count), nil, values, nil, nil, 1) else {
            throw StoreError("out of memory running a query")
        }
        defer { PQclear(r) }
        guard PQresultStatus(r) == PGRES_TUPLES_OK else {
            throw StoreError(result: r)
        }
        guard PQntuples(r) > 0, PQgetisnull(r, 0, 0) == 0, let v = PQgetvalue(r, 0, 0) else { return nil }
        return Data(bytes: v, count: Int(PQgetlength(r, 0, 0)))
    }

    /// Runs a script of several statements without parameters (migrations).
    public func executeScript(_ sql: String) throws {
        guard let r = PQexec(conn, sql) else { throw StoreError("out of memory running a script") }
        defer { PQclear(r) }
        let status = PQresultStatus(r)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
            throw StoreError(result: r)
        }
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    /// Streams rows into `COPY table (columns) FROM STDIN` in text format; values are escaped here.
    /// Returns the number of rows copied.
    @discardableResult
    public func copyIn(_ copySQL: String, rows: [[String?]]) throws -> Int {
        try startCopyIn(copySQL)
        var buffer = ""
        buffer.reserveCapacity(1 << 20)
        for row in rows {
            for (i, v) in row.enumerated() {
                if i > 0 { buffer += "\t" }
                buffer += v.map(Connection.escapeCopy) ?? "\\N"
            }
            buffer += "\n"
            if buffer.utf8.count > 1 << 20 {
                try putCopyData(Array(buffer.utf8))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { try putCopyData(Array(buffer.utf8)) }
        return try endCopyIn()
    }

    /// Sends a COPY ... FROM STDIN statement and checks that the server waits for data.
    func startCopyIn(_ copySQL: String) throws {
        try startCopy(copySQL, expecting: PGRES_COPY_IN)
    }

    /// Hands one chunk of COPY data to libpq.
    func putCopyData(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try putCopyData($0) }
    }

    /// Hands one chunk of COPY data to libpq, from raw memory.
    func putCopyData(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let ok = PQputCopyData(conn, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        if ok != 1 { throw StoreError("COPY data could not be sent: \(String(cString: PQerrorMessage(conn)))") }
    }

    /// Ends the COPY and returns the number of rows the server copied, or throws its error.
    func endCopyIn() throws -> Int {
        guard PQputCopyEnd(conn, nil) == 1 else { throw StoreError("COPY could not finish: \(String(cString: PQerrorMessage(conn)))") }
        return try finishCopy()
    }

    /// Runs `COPY (...) TO STDOUT` in text format and hands each row's fields (NULL as nil) to `row`.
    public func copyOut(_ copySQL: String, row: ([String?]) throws -> Void) throws {
        try startCopy(copySQL, expecting: PGRES_COPY_OUT)
        var buffer: UnsafeMutablePointer<CChar>? = nil
        while true {
            let n = PQgetCopyData(conn, &buffer, 0)
            if n == -1 { break }
            if n == -2 { throw StoreError("COPY failed: \(String(cString: PQerrorMessage(conn)))") }
            guard let b = buffer else { continue }
            let line = String(decoding: UnsafeRawBufferPointer(start: b, count: Int(n)), as: UTF8.self)
            PQfreemem(b)
            let text = line.hasSuffix("\n") ? String(line.dropLast()) : line
            try row(text.split(separator: "\t", omittingEmptySubsequences: false).map { f in
                f == "\\N" ? nil : Connection.unescapeCopy(String(f))
            })
        }
        _ = try finishCopy()
    }

    /// Sends a COPY statement and checks that the server is in the expected COPY state.
    func startCopy(_ copySQL: String, expecting state: ExecStatusType) throws {
        guard let start = PQexec(conn, copySQL) else { throw StoreError("out of memory starting COPY") }
        let status = PQresultStatus(start)
        let startError = String(cString: PQresultErrorMessage(start))
        PQclear(start)
        guard status == state else { throw StoreError("COPY failed to start: \(startError)") }
    }

    /// Collects a finished COPY's results: the rows it reports, or its error.
    func finishCopy() throws -> Int {
        var copied = 0
        var failure: String? = nil
        while let r = PQgetResult(conn) {
            if PQresultStatus(r) != PGRES_COMMAND_OK { failure = String(cString: PQresultErrorMessage(r)) }
            copied = Int(String(cString: PQcmdTuples(r))) ?? copied
            PQclear(r)
        }
        if let f = failure { throw StoreError("COPY failed: \(f.trimmingCharacters(in: .whitespacesAndNewlines))") }
        return copied
    }

    static func unescapeCopy(_ v: String) -> String {
        guard v.unicodeScalars.contains("\\") else { return v }
        var out = String.UnicodeScalarView()
        var escaped = false
        for ch in v.unicodeScalars {
            if escaped {
                switch ch {
                case "t": out.append("\t")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "v": out.append("\u{0B}")
                default: out.append(ch)
                }
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                out.append(ch)
            }
        }
        return String(out)
    }

    /// Escapes a value for COPY's text format.
    static func escapeCopy(_ v: String) -> String {
        // Scalars, not Characters: "\r\n" is one Character and would slip past a Character test.
        if !v.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\t" || $0 == "\n" || $0 == "\r" }) { return v }
        var out = String.UnicodeScalarView()
        for ch in v.unicodeScalars {
            switch ch {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            default: out.append(ch)
            }
        }
        return String(out)
    }

    /// One value of the first row, or nil.
    public func scalar(_ sql: String, _ params: [String?] = []) throws -> String? {
        try execute(sql, params).rows.first?.first ?? nil
    }
}
