import Foundation

/// The layout of a ratings file: how the columns `user, item, rating[, timestamp]` are separated.
/// `auto` looks at the first non-empty line, so callers rarely need to say which.
public enum RatingFileFormat: String, CaseIterable, Sendable {
    /// Detect from the first non-empty line: `::` means MovieLens, then a tab means TSV, then a comma CSV.
    case auto
    /// Tab-separated (MovieLens 100K `u.data`, the bundled `data/ml-100k/ratings.tsv`).
    case tsv
    /// Comma-separated, without quoting (MovieLens `ratings.csv`).
    case csv
    /// `::`-separated (MovieLens 1M/10M `ratings.dat`).
    case movielens
}

/// A problem with a ratings file, located by file and (when it concerns one line) 1-based line number,
/// worded so that a person can fix the file.
public struct RatingFileError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, or `file: message` when the problem is not on one line.
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// Reads rating tables (`user, item, rating[, timestamp]`, one rating per line) from TSV, CSV or
/// MovieLens `::` files into `Ratings`. It works on UTF-8 bytes so that large files load quickly, and
/// reports every problem as a `RatingFileError` naming the file and line.
///
/// Rules: 3 or 4 columns, the same on every line as on the first data line; an optional header line
/// (only the first non-empty line, recognised by a non-numeric rating column named like "rating");
/// ids are text, trimmed of surrounding spaces; ratings must be finite numbers; timestamps must be
/// integers (Unix seconds); blank lines are skipped; LF or CRLF line endings. `RatingRules` adds the
/// plausible rating range, the timestamp range and the rule for a duplicated (user, item): the
/// newest timestamp wins, then the later line.
public enum RatingFileReader {
    /// Reads the ratings file at `path`.
    public static func read(path: String, format: RatingFileFormat = .auto, rules: RatingRules = .standard) throws -> Ratings {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RatingFileError(file: path, line: nil, message: "file not found; check the path and the working directory")
        }
        if isDirectory.boolValue {
            throw RatingFileError(file: path, line: nil, message: "is a directory, not a ratings file")
        }
        if let problem = notAFile(path) { throw RatingFileError(file: path, line: nil, message: problem) }
        let data: Data
        do { data = try FileAccess.read(path) } catch let error as FileAccessError {
            throw RatingFileError(file: path, line: nil, message: "cannot read the file: \(error)")
        }
        return try parse(data: data, file: path, format: format, rules: rules)
    }

    /// Why `path` cannot be read as a file of lines (a device, a socket), or nil. Pipes are fine.
    static func notAFile(_ path: String) -> String? {
        guard let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType else { return nil }
        switch type {
        case .typeCharacterSpecial, .typeBlockSpecial: return "is a device, not a regular file; pass a ratings file"
        case .typeSocket: return "is a socket, not a regular file; pass a ratings file"
        default: return nil
        }
    }

    /// Parses ratings from `text`; `file` names the source in error messages.
    public static func parse(text: String, file: String, format: RatingFileFormat = .auto, rules: RatingRules = .standard) throws -> Ratings {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0, file: file, format: format, rules: rules) }
    }

    /// Parses ratings from the UTF-8 bytes of a file; `file` names the source in error messages.
    public static func parse(data: Data, file: String, format: RatingFileFormat = .auto, rules: RatingRules = .standard) throws -> Ratings {
        try data.withUnsafeBytes { raw in
            try parse(bytes: raw.bindMemory(to: UInt8.self), file: file, format: format, rules: rules)
        }
    }

    // MARK: - Parsing

    private static let newline = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")
    private static let tab = UInt8(ascii: "\t")
    private static let space = UInt8(ascii: " ")
    private static let comma = UInt8(ascii: ",")
    private static let colon = UInt8(ascii: ":")

    /// Reads the bytes line by line through a `ParseState`, then builds the ratings, keeping the
    /// newest of duplicated pairs.
    private static func parse(bytes p: UnsafeBufferPointer<UInt8>, file: String, format requested: RatingFileFormat,
                              rules: RatingRules) throws -> Ratings {
        let n = p.count
        var pos = 0
        if n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { pos = 3 }  // UTF-8 byte order mark
        // One quick pass counts the lines, so the columns are allocated once at their final size
        // (growing by doubling would briefly hold two copies and leave up to half unused).
        var state = ParseState(file: file, format: requested, rules: rules, reserving: lineCount(p) + 1)
        while pos < n {
            var end = pos
            while end < n && p[end] != newline { end += 1 }
            var lineEnd = end
            if lineEnd > pos && p[lineEnd - 1] == cr { lineEnd -= 1 }
            try state.read(p, pos, lineEnd)
            pos = end + 1
        }
        if state.values.isEmpty {
            // Any other non-blank line has either become a rating or thrown.
            throw state.fail(nil, state.sawHeader
                             ? "no ratings: the file has only a header line; expected lines of user, item, rating[, timestamp]"
                             : "no ratings: the file is empty; expected lines of user, item, rating[, timestamp]")
        }
        return Ratings(users: state.users.idMap(), items: state.items.idMap(), userIndex: state.userIndex,
                       itemIndex: state.itemIndex, values: state.values, timestamps: state.timestamps).keepingNewestOfDuplicates().ratings
    }

    /// One parse under way: the format and column count the first lines fixed, the line reached,
    /// and the ratings' columns built so far. Each line goes through `read`, field by field.
    private struct ParseState {
        let file: String
        let rules: RatingRules
        var format: RatingFileFormat
        /// The columns per line, fixed by the first data line (0 before it).
        var columns = 0
        var sawHeader = false
        var sawContent = false
        var lineNumber = 0
        var fields: [(start: Int, end: Int)] = []
        var users = ByteKeyedIDs()
        var items = ByteKeyedIDs()
        var userIndex: [Int32] = []
        var itemIndex: [Int32] = []
        var values: [Float] = []
        var timestamps: [Int64] = []
        /// Files are usually grouped by user: the last user's bytes, to skip the map lookup.
        var lastUser = (start: 0, end: -1)
        var lastUserIndex: Int32 = 0

        /// A parse of `file` in `format` (or `.auto`), with room for `estimate` ratings.
        init(file: String, format: RatingFileFormat, rules: RatingRules, reserving estimate: Int) {
            self.file = file
            self.format = format
            self.rules = rules
            fields.reserveCapacity(8)
            userIndex.reserveCapacity(estimate)
            itemIndex.reserveCapacity(estimate)
            values.reserveCapacity(estimate)
            timestamps.reserveCapacity(estimate)
        }

        /// The error for `message` at `line` (nil: the whole file) of this file.
        func fail(_ line: Int?, _ message: String) -> RatingFileError {
            RatingFileError(file: file, line: line, message: message)
        }

        /// Reads the next line, bytes `[lineStart, lineEnd)` without its line ending: skips it when
        /// blank or the header, else appends its rating or throws the line's problem.
        mutating func read(_ p: UnsafeBufferPointer<UInt8>, _ lineStart: Int, _ lineEnd: Int) throws {
            lineNumber += 1
            if isBlank(p, lineStart, lineEnd) { return }
            if !sawContent {
                sawContent = true
                if format == .auto { format = try detectedFormat(p, lineStart, lineEnd) }
            }
            split(p, lineStart, lineEnd, format: format, into: &fields)
            if try isHeader(p, lineStart, lineEnd) { return }
            let user = try readUser(p, fields[0])
            let item = try readItem(p, fields[1])
            // Static readers: a method taking this state by value would retain each of its arrays per line
            // (several times slower on ML-100K).
            let value = try RatingFileReader.rating(p, fields[2], rules: rules, firstRating: values.isEmpty && !sawHeader,
                                                    file: file, line: lineNumber)
            var timestamp: Int64 = 0
            if columns == 4 { timestamp = try RatingFileReader.timestamp(p, fields[3], file: file, line: lineNumber) }
            userIndex.append(user)
            itemIndex.append(item)
            values.append(value)
            timestamps.append(timestamp)
        }

        /// The format the first non-empty line shows, or the error saying that it shows none.
        func detectedFormat(_ p: UnsafeBufferPointer<UInt8>, _ lineStart: Int, _ lineEnd: Int) throws -> RatingFileFormat {
            guard let detected = detectFormat(p, lineStart, lineEnd) else {
                throw fail(lineNumber, "cannot tell the format: the line has no tab, comma or '::' between columns "
                           + "(expected user, item, rating[, timestamp]); use tab-, comma- or '::'-separated columns")
            }
            return detected
        }

        /// Whether the line is the header, to be skipped; otherwise checks its column count, which the
        /// first data line fixes and every later line must match.
        mutating func isHeader(_ p: UnsafeBufferPointer<UInt8>, _ lineStart: Int, _ lineEnd: Int) throws -> Bool {
            if columns != 0 {
                guard fields.count == columns else {
                    let names = columns == 4 ? "user, item, rating, timestamp" : "user, item, rating"
                    throw fail(lineNumber, "expected \(columns) columns (\(names)) like the first line, found \(fields.count)")
                }
                return false
            }
            // The first non-empty line: either a header or the first data line.
            if (3...4).contains(fields.count) && !sawHeader
                && parseFloat(p, fields[2].start, fields[2].end) == nil
                && looksLikeRatingHeader(p, fields[2].start, fields[2].end) {
                sawHeader = true
                return true
            }
            guard (3...4).contains(fields.count) else {
                var message = "expected 3 or 4 columns (user, item, rating[, timestamp]) \(separatorName(format)), "
                    + "found \(fields.count)"
                if let looks = detectFormat(p, lineStart, lineEnd), looks != format {
                    message += "; the line looks \(separatorName(looks)), so use format '\(looks.rawValue)'"
                }
                throw fail(lineNumber, message)
            }
            columns = fields.count
            return false
        }

        /// The index of the user id in column 1, from the last line's user when the bytes repeat.
        mutating func readUser(_ p: UnsafeBufferPointer<UInt8>, _ u: (start: Int, end: Int)) throws -> Int32 {
            guard u.end > u.start else { throw fail(lineNumber, "empty user id in column 1") }
            if u.end - u.start == lastUser.end - lastUser.start && bytesEqual(p, u.start, lastUser.start, u.end - u.start) {
                return lastUserIndex
            }
            let user = users.index(p, u.start, u.end)
            if user < 0 { throw fail(lineNumber, "user id in column 1 \(ByteKeyedIDs.problem(p, u.start, u.end)!)") }
            lastUser = u
            lastUserIndex = user
            return user
        }

        /// The index of the item id in column 2.
        mutating func readItem(_ p: UnsafeBufferPointer<UInt8>, _ i: (start: Int, end: Int)) throws -> Int32 {
            guard i.end > i.start else { throw fail(lineNumber, "empty item id in column 2") }
            let item = items.index(p, i.start, i.end)
            if item < 0 { throw fail(lineNumber, "item id in column 2 \(ByteKeyedIDs.problem(p, i.start, i.end)!)") }
            return item
        }
    }

    /// The rating in column 3: a finite number inside the rules' plausible range. `firstRating` (no
    /// rating and no header yet) adds the hint about header lines to the error.
    private static func rating(_ p: UnsafeBufferPointer<UInt8>, _ r: (start: Int, end: Int), rules: RatingRules,
                               firstRating: Bool, file: String, line: Int) throws -> Float {
        func fail(_ message: String) -> RatingFileError { RatingFileError(file: file, line: line, message: message) }
        let parsed = parseFloat(p, r.start, r.end)
        guard let value = parsed, value.isFinite else {
            var message = "rating \(quoted(p, r.start, r.end)) in column 3 is not a finite number"
            if firstRating && parsed == nil && r.end > r.start {
                message += " (a header line is recognised only when its third column is named like 'rating')"
            }
            throw fail(message)
        }
        guard rules.ratingRange.contains(value) else {
            throw fail("rating \(quoted(p, r.start, r.end)) in column 3 is outside the plausible range "
                       + "\(rules.ratingRange.lowerBound)...\(rules.ratingRange.upperBound) (a stray separator, or a "
                       + "timestamp in the rating column?); pass --rating-range MIN:MAX if such ratings are meant")
        }
        return value
    }

    /// The timestamp in column 4: whole Unix seconds within years 1 to 9999.
    private static func timestamp(_ p: UnsafeBufferPointer<UInt8>, _ t: (start: Int, end: Int), file: String, line: Int) throws -> Int64 {
        func fail(_ message: String) -> RatingFileError { RatingFileError(file: file, line: line, message: message) }
        switch parseInt64(p, t.start, t.end) {
        case .value(let v) where RatingRules.timestampRange.contains(v): return v
        case .value:
            throw fail("timestamp \(quoted(p, t.start, t.end)) in column 4 is outside years 1 to 9999 "
                       + "(Unix seconds expected; milliseconds are 1000 times larger)")
        case .notInteger:
            throw fail("timestamp \(quoted(p, t.start, t.end)) in column 4 is not an integer "
                       + "(Unix seconds expected, without a fractional part)")
        case .outOfRange:
            throw fail("timestamp \(quoted(p, t.start, t.end)) in column 4 is out of the 64-bit integer range")
        }
    }

    // MARK: - Lines and fields

    /// The number of lines long enough to hold a rating (a lower bound for reserving), found with memchr.
    private static func lineCount(_ p: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = p.baseAddress, p.count > 0 else { return 0 }
        var count = 0
        var position = UnsafeRawPointer(base)
        let end = UnsafeRawPointer(base) + p.count
        // Only lines that could hold a rating count: at least 5 bytes before the newline ("1,2,3"),
        // so a file of blank lines reserves nothing.
        while position < end, let hit = memchr(position, Int32(newline), end - position) {
            if UnsafeRawPointer(hit) - position >= 5 { count += 1 }
            position = UnsafeRawPointer(hit) + 1
        }
        return count
    }

    @inline(__always)
    private static func isWhitespace(_ b: UInt8) -> Bool { b == space || b == tab || b == cr }

    private static func isBlank(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var k = start
        while k < end {
            if !isWhitespace(p[k]) { return false }
            k += 1
        }
        return true
    }

    /// The format a line suggests: `::` first (MovieLens ids never contain it), then tab, then comma.
    private static func detectFormat(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> RatingFileFormat? {
        var hasTab = false, hasComma = false
        var k = start
        while k < end {
            let b = p[k]
            if b == colon && k + 1 < end && p[k + 1] == colon { return .movielens }
            if b == tab { hasTab = true } else if b == comma { hasComma = true }
            k += 1
        }
        if hasTab { return .tsv }
        if hasComma { return .csv }
        return nil
    }

    private static func separatorName(_ format: RatingFileFormat) -> String {
        switch format {
        case .tsv: return "tab-separated"
        case .csv: return "comma-separated"
        case .movielens: return "'::'-separated"
        case .auto: return "separated"
        }
    }

    /// Splits `[start, end)` at the format's separator into trimmed field ranges.
    @inline(__always)
    private static func split(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, format: RatingFileFormat,
                              into fields: inout [(start: Int, end: Int)]) {
        fields.removeAll(keepingCapacity: true)
        var fieldStart = start
        var k = start
        switch format {
        case .movielens:
            while k < end {
                if p[k] == colon && k + 1 < end && p[k + 1] == colon {
                    fields.append(trimmed(p, fieldStart, k))
                    k += 2
                    fieldStart = k
                } else {
                    k += 1
                }
            }
        default:
            let separator = format == .csv ? comma : tab
            while k < end {
                if p[k] == separator {
                    fields.append(trimmed(p, fieldStart, k))
                    fieldStart = k + 1
                }
                k += 1
            }
        }
        fields.append(trimmed(p, fieldStart, end))
    }

    @inline(__always)
    private static func trimmed(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (start: Int, end: Int) {
        var s = start, e = end
        while s < e && isWhitespace(p[s]) { s += 1 }
        while e > s && isWhitespace(p[e - 1]) { e -= 1 }
        return (s, e)
    }

    @inline(__always)
    private static func bytesEqual(_ p: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int, _ count: Int) -> Bool {
        var k = 0
        while k < count {
            if p[a + k] != p[b + k] { return false }
            k += 1
        }
        return true
    }

    @inline(__always)
    private static func string(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: p[start..<end]), as: UTF8.self)
    }

    /// The field's text in double quotes for messages, shortened when long.
    private static func quoted(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        var text = string(p, start, end)
        if text.count > 40 { text = String(text.prefix(40)) + "..." }
        return "\"\(text)\""
    }

    /// Whether a non-numeric rating column is a column name such as "rating", "Rating", "score" or "value".
    private static func looksLikeRatingHeader(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var letters: [UInt8] = []
        for k in start..<end {
            let b = p[k]
            if b >= 65 && b <= 90 { letters.append(b + 32) } else if b >= 97 && b <= 122 { letters.append(b) }
        }
        let name = String(decoding: letters, as: UTF8.self)
        if name.contains("rating") || name.contains("score") { return true }
        return ["r", "y", "rate", "value", "val", "star", "stars", "pref", "preference", "grade", "label", "target",
                "weight", "feedback"].contains(name)
    }

    // MARK: - Numbers

    private static let powersOfTen: [Float] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7]

    /// Parses a decimal number. Plain decimals of up to 7 digits take a fast path that is still exactly
    /// rounded (an integer below 2^24 divided by an exact power of ten is one correctly rounded division);
    /// everything else (exponents, long mantissas, "nan", "inf") goes through the standard library parser.
    /// Returns nil when the text is not a number; non-finite results are the caller's to reject.
    @inline(__always)
    private static func parseFloat(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Float? {
        guard start < end else { return nil }
        var k = start
        var negative = false
        if p[k] == UInt8(ascii: "-") { negative = true; k += 1 } else if p[k] == UInt8(ascii: "+") { k += 1 }
        var mantissa = 0
        var digits = 0
        var fractionDigits = 0
        var sawPoint = false
        var simple = true
        while k < end {
            let b = p[k]
            if b >= 48 && b <= 57 {
                digits += 1
                if digits > 7 { simple = false; break }
                mantissa = mantissa * 10 + Int(b - 48)
                if sawPoint { fractionDigits += 1 }
            } else if b == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                simple = false
                break
            }
            k += 1
        }
        if simple && digits > 0 {
            var v = Float(mantissa)
            if fractionDigits > 0 { v /= powersOfTen[fractionDigits] }
            return negative ? -v : v
        }
        // Swift's parser also takes hexadecimal ("0x10" is 16): a rating file holds decimals only.
        for k in start..<end where p[k] | 0x20 == UInt8(ascii: "x") { return nil }
        return Float(string(p, start, end))
    }

    private enum IntegerParse { case value(Int64), notInteger, outOfRange }

    /// Parses an optionally signed decimal integer.
    @inline(__always)
    private static func parseInt64(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> IntegerParse {
        var k = start
        var negative = false
        if k < end && (p[k] == UInt8(ascii: "-") || p[k] == UInt8(ascii: "+")) {
            negative = p[k] == UInt8(ascii: "-")
            k += 1
        }
        guard k < end else { return .notInteger }
        var v: Int64 = 0
        var overflow = false
        while k < end {
            let b = p[k]
            guard b >= 48 && b <= 57 else { return .notInteger }
            if !overflow {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let digit = Int64(b - 48)
                let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
                if o1 || o2 { overflow = true } else { v = s }
            }
            k += 1
        }
        return overflow ? .outOfRange : .value(v)
    }
}
