/// One setting of a kind's configuration `Config`, declared once: its option name, value name,
/// range and help line, and the configuration field it reads and writes. The default is the
/// field's value in the kind's default configuration, so the help, the trainer and the model file
/// can never disagree about it.
public struct Setting<Config>: @unchecked Sendable {
    public let name: String
    public let valueName: String
    public let help: String
    /// The accepted values in words ("1 to 100000", "yes or no"), for the help.
    public let accepts: String
    /// The field's value in `config`, as an option value would spell it; nil when it holds none
    /// (an optional path), which the help spells `none`.
    public let text: (Config) -> String?
    /// Parses `value`, checks its range and stores it; the error names the option.
    public let apply: (inout Config, String) throws -> Void
    /// How the help spells a field that holds no value.
    public var none = "none"

    /// The type-erased description the CLI and the help read.
    public func info(defaults: Config) -> SettingInfo {
        let value = text(defaults)
        return SettingInfo(name: name, valueName: valueName, help: help, accepts: accepts,
                           defaultText: value ?? none, defaultIsAValue: value != nil)
    }
}

/// A setting as the CLI and the help see it: no configuration type.
public struct SettingInfo: Sendable, Equatable {
    public let name: String
    public let valueName: String
    public let help: String
    public let accepts: String
    /// The value the kind uses when the option is not given.
    public let defaultText: String
    /// False when the default is the absence of a value (`defaultText` then says what happens).
    public var defaultIsAValue = true

    public init(name: String, valueName: String, help: String, accepts: String, defaultText: String, defaultIsAValue: Bool = true) {
        self.name = name; self.valueName = valueName; self.help = help; self.accepts = accepts
        self.defaultText = defaultText; self.defaultIsAValue = defaultIsAValue
    }
}

extension Setting {
    public static func int(_ name: String, _ field: WritableKeyPath<Config, Int>, _ range: ClosedRange<Int>,
                           help: String, valueName: String = "n") -> Setting {
        Setting(name: name, valueName: valueName, help: help, accepts: "\(range.lowerBound) to \(range.upperBound)",
                text: { "\($0[keyPath: field])" },
                apply: { config, value in config[keyPath: field] = try ModelSettings.int(name, value, range: range)! })
    }

    public static func seed(_ field: WritableKeyPath<Config, UInt64>) -> Setting {
        Setting(name: "--seed", valueName: "n", help: "Random seed (weights, validation split, batches).",
                accepts: "0 to \(Int.max)", text: { "\($0[keyPath: field])" },
                apply: { config, value in config[keyPath: field] = UInt64(try ModelSettings.int("--seed", value, range: 0...Int.max)!) })
    }

    public static func float(_ name: String, _ field: WritableKeyPath<Config, Float>, _ range: ClosedRange<Double>,
                             help: String, valueName: String = "x") -> Setting {
        Setting(name: name, valueName: valueName, help: help, accepts: "\(shortest(range.lowerBound)) to \(shortest(range.upperBound))",
                text: { shortest(Double("\($0[keyPath: field])") ?? 0) },
                apply: { config, value in config[keyPath: field] = Float(try ModelSettings.double(name, value, range: range)!) })
    }

    public static func double(_ name: String, _ field: WritableKeyPath<Config, Double>, _ range: ClosedRange<Double>,
                              help: String, valueName: String = "x") -> Setting {
        Setting(name: name, valueName: valueName, help: help, accepts: "\(shortest(range.lowerBound)) to \(shortest(range.upperBound))",
                text: { shortest($0[keyPath: field]) },
                apply: { config, value in config[keyPath: field] = try ModelSettings.double(name, value, range: range)! })
    }

    public static func yesNo(_ name: String, _ field: WritableKeyPath<Config, Bool>, help: String) -> Setting {
        Setting(name: name, valueName: "yes|no", help: help, accepts: "yes or no",
                text: { $0[keyPath: field] ? "yes" : "no" },
                apply: { config, value in config[keyPath: field] = try ModelSettings.yesNo(name, value)! })
    }

    public static func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ field: WritableKeyPath<Config, T>,
                                                                  help: String) -> Setting where T.RawValue == String {
        let names = T.allCases.map(\.rawValue)
        return Setting(name: name, valueName: names.joined(separator: "|"), help: help, accepts: WordList.or(names),
                       text: { $0[keyPath: field].rawValue },
                       apply: { config, value in config[keyPath: field] = try ModelSettings.choice(name, value, as: T.self)! })
    }

    public static func intList(_ name: String, _ field: WritableKeyPath<Config, [Int]>, _ range: ClosedRange<Int>,
                               help: String) -> Setting {
        Setting(name: name, valueName: "list", help: help, accepts: "whole numbers \(range.lowerBound) to \(range.upperBound), comma-separated",
                text: { $0[keyPath: field].map(String.init).joined(separator: ",") },
                apply: { config, value in config[keyPath: field] = try ModelSettings.intList(name, value, range: range)! })
    }

    /// The settings several kinds share, declared once: their names, ranges and help.
    public static func learningRate(_ field: WritableKeyPath<Config, Float>) -> Setting {
        .float("--lr", field, 1e-9...10, help: "Adam learning rate.")
    }

    public static func patience(_ field: WritableKeyPath<Config, Int>, most: Int = 1_000_000) -> Setting {
        .int("--patience", field, 1...most, help: "Epochs without a better validation score before stopping.")
    }

    public static func averaging(_ field: WritableKeyPath<Config, Float>, per step: String = "step") -> Setting {
        .float("--averaging", field, 0...0.9999, help: "Moving average of the weights with this decay per \(step); 0 is off.", valueName: "decay")
    }

    public static func inputScaling(_ field: WritableKeyPath<Config, InputScaling>) -> Setting {
        .choice("--input-scaling", field, help: "Scale each input vector by 1/sqrt(n) or 1/n of its n ratings.")
    }

    public static func refit(_ field: WritableKeyPath<Config, Bool>) -> Setting {
        .yesNo("--refit", field, help: "Train again on all the data for the best epoch count found on --validation.")
    }

    /// An optional text (a path): `none` stands for nil in the help.
    public static func text(_ name: String, _ field: WritableKeyPath<Config, String?>, help: String,
                            valueName: String = "file", none: String = "none") -> Setting {
        Setting(name: name, valueName: valueName, help: help, accepts: "a path",
                text: { $0[keyPath: field] },
                apply: { config, value in
                    guard !value.isEmpty else { throw SettingError("\(name) needs a value") }
                    config[keyPath: field] = value
                }, none: none)
    }

    /// The same setting on a configuration that holds this one at `path`.
    public func lifted<Outer>(to path: WritableKeyPath<Outer, Config>) -> Setting<Outer> {
        let text = self.text, apply = self.apply
        return Setting<Outer>(name: name, valueName: valueName, help: help, accepts: accepts,
                              text: { text($0[keyPath: path]) },
                              apply: { outer, value in try apply(&outer[keyPath: path], value) }, none: none)
    }

    /// A number as its shortest decimal text (0.001, 1e-09, 100000).
    static func shortest(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }
}

/// A kind's settings declared once: the list, the default configuration, and the reading of
/// `ModelSettings` into a configuration (every option given, range-checked, onto the defaults).
public struct SettingsDeclaration<Config: Equatable>: @unchecked Sendable {
    public let settings: [Setting<Config>]
    /// The defaults given the settings (AutoRec's depend on its `--optimizer`).
    public let defaults: (ModelSettings) throws -> Config
    /// Other starting points the help shows, by the settings that select them (`--optimizer lbfgs`).
    public let variants: [ModelSettings]
    /// A rule across settings (AutoRec's Adam-only options under L-BFGS), checked after parsing.
    let rule: (ModelSettings, Config) throws -> Void

    public init(_ settings: [Setting<Config>], defaults: @escaping (ModelSettings) throws -> Config,
                variants: [ModelSettings] = [], rule: @escaping (ModelSettings, Config) throws -> Void = { _, _ in }) {
        self.settings = settings
        self.defaults = defaults
        self.variants = variants
        self.rule = rule
    }

    public init(_ settings: [Setting<Config>], defaults: Config) {
        self.init(settings, defaults: { _ in defaults })
    }

    /// The configuration `given` asks for: the defaults, then every option given, in declaration order.
    public func configuration(_ given: ModelSettings) throws -> Config {
        var config = try defaults(given)
        for setting in settings {
            if let value = given[setting.name] { try setting.apply(&config, value) }
        }
        try rule(given, config)
        return config
    }

    /// The settings as the CLI shows them, with the defaults of `given` (an empty command line).
    public func infos(_ given: ModelSettings = ModelSettings()) -> [SettingInfo] {
        guard let config = try? defaults(given) else { return [] }
        return settings.map { $0.info(defaults: config) }
    }

    /// The help's line of defaults: every setting and its default, then what each variant changes.
    public var defaultsText: String {
        let base = infos()
        var text = base.map { "\($0.name) \($0.defaultText)" }.joined(separator: " ")
        for variant in variants {
            let changed = zip(base, infos(variant)).filter { $0.0.defaultText != $0.1.defaultText }
            let selector = variant.names.map { "\($0) \(variant[$0]!)" }.joined(separator: " ")
            text += "; with \(selector): " + changed.map { "\($0.1.name) \($0.1.defaultText)" }.joined(separator: " ")
        }
        return text
    }

    /// The settings whose default, given explicitly, does not give the default configuration
    /// (a help that would lie); empty when every default is what the trainer uses.
    public func defaultsThatDisagree() -> [String] {
        guard let plain = try? configuration(ModelSettings()) else { return ["(the defaults do not parse)"] }
        return infos().filter { info in
            info.defaultIsAValue && (try? configuration(ModelSettings([info.name: info.defaultText]))) != plain
        }.map(\.name)
    }
}
