/// A model's settings as option values by name (`"--epochs": "70"`), read with checked
/// conversions whose errors name the option: what `train`, the nightly job and the tests hand to
/// a kind, which maps them onto its own configuration (its registration in `Kinds/`).
public struct ModelSettings: Sendable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    public subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// The option names set, sorted.
    public var names: [String] { values.keys.sorted() }

    public func int(_ name: String, range: ClosedRange<Int>) throws -> Int? {
        try Self.int(name, values[name], range: range)
    }

    public func double(_ name: String, range: ClosedRange<Double>) throws -> Double? {
        try Self.double(name, values[name], range: range)
    }

    public func float(_ name: String, range: ClosedRange<Double>) throws -> Float? {
        try double(name, range: range).map { Float($0) }
    }

    public func intList(_ name: String, range: ClosedRange<Int>) throws -> [Int]? {
        try Self.intList(name, values[name], range: range)
    }

    public func yesNo(_ name: String) throws -> Bool? { try Self.yesNo(name, values[name]) }

    public func choice<T: RawRepresentable & CaseIterable>(_ name: String, as type: T.Type) throws -> T? where T.RawValue == String {
        try Self.choice(name, values[name], as: type)
    }
}

/// The conversions themselves, shared with the CLI's own options.
extension ModelSettings {
    public static func int(_ name: String, _ text: String?, range: ClosedRange<Int>? = nil) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text) else { throw SettingError("\(name) expects a whole number, got '\(text)'") }
        if let range, !range.contains(value) {
            throw SettingError("\(name) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    public static func double(_ name: String, _ text: String?, range: ClosedRange<Double>? = nil) throws -> Double? {
        guard let text else { return nil }
        guard let value = Double(text), value.isFinite else { throw SettingError("\(name) expects a number, got '\(text)'") }
        if let range, !range.contains(value) {
            throw SettingError("\(name) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    /// A comma-separated list, each element trimmed; an empty element ("10,,20", a trailing comma)
    /// is refused rather than skipped, since it usually means a value went missing.
    public static func list(_ name: String, _ text: String?) throws -> [String]? {
        guard let text else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { trimmed($0) }
        guard !parts.contains(where: \.isEmpty) else {
            throw SettingError("\(name) has an empty element in '\(text)'; separate the values with single commas")
        }
        return parts
    }

    /// A comma-separated list of whole numbers in `range`, as `list` reads it.
    public static func intList(_ name: String, _ text: String?, range: ClosedRange<Int>) throws -> [Int]? {
        guard let parts = try list(name, text) else { return nil }
        return try parts.map { part in
            guard let value = Int(part), range.contains(value) else {
                throw SettingError("\(name) takes whole numbers from \(range.lowerBound) to \(range.upperBound) separated by commas; got '\(part)'")
            }
            return value
        }
    }

    public static func yesNo(_ name: String, _ text: String?) throws -> Bool? {
        guard let text else { return nil }
        switch text.lowercased() {
        case "yes", "true", "1", "on": return true
        case "no", "false", "0", "off": return false
        default: throw SettingError("\(name) takes yes or no, got '\(text)'")
        }
    }

    public static func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ text: String?, as: T.Type) throws -> T? where T.RawValue == String {
        guard let text else { return nil }
        guard let value = T(rawValue: text) else {
            throw SettingError("\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")); got '\(text)'")
        }
        return value
    }

    private static func trimmed(_ s: Substring) -> String {
        var t = s[...]
        while let c = t.first, c == " " || c == "\t" { t = t.dropFirst() }
        while let c = t.last, c == " " || c == "\t" { t = t.dropLast() }
        return String(t)
    }
}
