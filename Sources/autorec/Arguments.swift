import Foundation

/// One option a command accepts: `--name VALUE`, or a flag when `valueName` is nil.
struct OptionSpec {
    var names: [String]
    var valueName: String?
    var help: String
    var defaultValue: String? = nil

    var isFlag: Bool { valueName == nil }
    var primary: String { names[0] }

    static func flag(_ names: String..., help: String) -> OptionSpec {
        OptionSpec(names: names, valueName: nil, help: help)
    }
    static func value(_ names: String..., as valueName: String, help: String, default d: String? = nil) -> OptionSpec {
        OptionSpec(names: names, valueName: valueName, help: help, defaultValue: d)
    }
}

/// A command's name, one-line purpose, options and the help text built from them.
struct CommandSpec {
    var name: String
    var abstract: String
    var discussion: String = ""
    var options: [OptionSpec]
    var hidden = false
    /// Names of positional arguments (e.g. an action), shown in the usage line.
    var positionals: [String] = []

    var helpText: String {
        let pos = positionals.map { " <\($0)>" }.joined()
        var lines = ["OVERVIEW: \(abstract)", "", "USAGE: autorec \(name)\(pos) [options]"]
        if !discussion.isEmpty { lines += ["", discussion] }
        lines += ["", "OPTIONS:"]
        let all = options + [OptionSpec.flag("--help", "-h", help: "Show this help.")]
        let labels = all.map { o in o.names.joined(separator: ", ") + (o.valueName.map { " <\($0)>" } ?? "") }
        let width = min(34, (labels.map(\.count).max() ?? 0) + 2)
        for (o, label) in zip(all, labels) {
            var help = o.help
            if let d = o.defaultValue { help += " (default: \(d))" }
            let pad = label.count < width ? String(repeating: " ", count: width - label.count) : "\n" + String(repeating: " ", count: width + 2)
            lines.append("  \(label)\(pad)\(help)")
        }
        return lines.joined(separator: "\n")
    }
}

/// A command-line error: printed to stderr with a hint, exits with `code`.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var code: ExitCode = .badInput
    var description: String { message }
}

/// The parsed options of one command invocation, with typed accessors that fail with clear messages.
struct ParsedArguments {
    let spec: CommandSpec
    private(set) var values: [String: String] = [:]
    private(set) var flags: Set<String> = []
    private(set) var wantsHelp = false
    private(set) var positionals: [String] = []

    init(_ args: [String], spec: CommandSpec) throws {
        self.spec = spec
        var i = 0
        while i < args.count {
            var arg = args[i]
            var inline: String? = nil
            if arg == "--help" || arg == "-h" { wantsHelp = true; i += 1; continue }
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                inline = String(arg[arg.index(after: eq)...])
                arg = String(arg[..<eq])
            }
            if !arg.hasPrefix("-") && positionals.count < spec.positionals.count {
                positionals.append(arg)
                i += 1
                continue
            }
            guard let opt = spec.options.first(where: { $0.names.contains(arg) }) else {
                throw CLIError(message: "unknown option '\(arg)' for 'autorec \(spec.name)'; see 'autorec \(spec.name) --help'")
            }
            if opt.isFlag {
                if inline != nil { throw CLIError(message: "option '\(arg)' takes no value") }
                flags.insert(opt.primary)
                i += 1
            } else {
                if let v = inline {
                    values[opt.primary] = v
                    i += 1
                } else {
                    guard i + 1 < args.count else {
                        throw CLIError(message: "option '\(arg)' needs a value <\(opt.valueName!)>")
                    }
                    // "--user -n 2" must not make "-n" the user: an option name is never a value here.
                    let next = args[i + 1]
                    if ["--help", "-h"].contains(next) || spec.options.contains(where: { $0.names.contains(next) }) {
                        throw CLIError(message: "option '\(arg)' needs a value <\(opt.valueName!)>, got the option '\(next)' "
                                       + "(write \(arg)=\(next) if that is the value)")
                    }
                    values[opt.primary] = next
                    i += 2
                }
            }
        }
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }

    func string(_ name: String) -> String? {
        values[name] ?? spec.options.first(where: { $0.primary == name })?.defaultValue
    }

    func required(_ name: String) throws -> String {
        guard let v = string(name) else {
            throw CLIError(message: "missing \(name) <\(spec.options.first { $0.primary == name }?.valueName ?? "value")>; see 'autorec \(spec.name) --help'")
        }
        return v
    }

    func int(_ name: String, range: ClosedRange<Int>? = nil) throws -> Int? {
        guard let s = string(name) else { return nil }
        guard let v = Int(s) else { throw CLIError(message: "\(name) expects a whole number, got '\(s)'") }
        if let r = range, !r.contains(v) {
            throw CLIError(message: "\(name) must be between \(r.lowerBound) and \(r.upperBound), got \(v)")
        }
        return v
    }

    func double(_ name: String, range: ClosedRange<Double>? = nil) throws -> Double? {
        guard let s = string(name) else { return nil }
        guard let v = Double(s), v.isFinite else { throw CLIError(message: "\(name) expects a number, got '\(s)'") }
        if let r = range, !r.contains(v) {
            throw CLIError(message: "\(name) must be between \(r.lowerBound) and \(r.upperBound), got \(v)")
        }
        return v
    }

    /// A comma-separated list, each element trimmed; an empty element ("10,,20", a trailing comma)
    /// is refused rather than skipped, since it usually means a value went missing.
    func list(_ name: String) throws -> [String]? {
        guard let s = string(name) else { return nil }
        let parts = s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.contains(where: \.isEmpty) else {
            throw CLIError(message: "\(name) has an empty element in '\(s)'; separate the values with single commas")
        }
        return parts
    }

    /// A comma-separated list of whole numbers in `range`, as `list` reads it.
    func intList(_ name: String, range: ClosedRange<Int>) throws -> [Int]? {
        guard let parts = try list(name) else { return nil }
        return try parts.map { part in
            guard let v = Int(part), range.contains(v) else {
                throw CLIError(message: "\(name) takes whole numbers from \(range.lowerBound) to \(range.upperBound) separated by commas; got '\(part)'")
            }
            return v
        }
    }

    func yesNo(_ name: String) throws -> Bool? {
        guard let s = string(name) else { return nil }
        switch s.lowercased() {
        case "yes", "true", "1", "on": return true
        case "no", "false", "0", "off": return false
        default: throw CLIError(message: "\(name) takes yes or no, got '\(s)'")
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, as: T.Type) throws -> T? where T.RawValue == String {
        guard let s = string(name) else { return nil }
        guard let v = T(rawValue: s) else {
            let options = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw CLIError(message: "\(name) must be one of \(options); got '\(s)'")
        }
        return v
    }
}
