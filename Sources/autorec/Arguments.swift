import Foundation
import AutoRec
import AutoRecCore
import AutoRecModels

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

    // Typed values, with the library's checked conversions (errors name the option).
    func int(_ name: String, range: ClosedRange<Int>? = nil) throws -> Int? { try ModelSettings.int(name, string(name), range: range) }
    func double(_ name: String, range: ClosedRange<Double>? = nil) throws -> Double? { try ModelSettings.double(name, string(name), range: range) }
    func list(_ name: String) throws -> [String]? { try ModelSettings.list(name, string(name)) }
    func intList(_ name: String, range: ClosedRange<Int>) throws -> [Int]? { try ModelSettings.intList(name, string(name), range: range) }
    func yesNo(_ name: String) throws -> Bool? { try ModelSettings.yesNo(name, string(name)) }
    func choice<T: RawRepresentable & CaseIterable>(_ name: String, as type: T.Type) throws -> T? where T.RawValue == String {
        try ModelSettings.choice(name, string(name), as: type)
    }
}
