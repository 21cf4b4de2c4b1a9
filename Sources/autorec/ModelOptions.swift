import AutoRec
import AutoRecCore
import AutoRecModels

/// The model settings on the command line: one option for every setting some catalogue kind
/// declares (`ModelKind.settings`), its help and defaults read from those declarations, and the
/// explicitly given ones as `ModelSettings`. A kind refuses the options it does not read
/// (`ModelKind.check`), so nothing is silently ignored.
enum ModelOptions {
    /// The options of every catalogue setting, no defaults declared here (each kind has its own).
    static var specs: [OptionSpec] {
        ModelCatalogue.options.map { name in
            let declared = ModelCatalogue.kinds.compactMap { kind in kind.settings.first { $0.name == name }.map { (kind.name, $0) } }
            let first = declared[0].1
            return .value(name, as: first.valueName, help: "\(first.help) (default: \(defaultsText(declared)))")
        }
    }

    /// "500" when every kind agrees, else "500 for i-autorec, u-autorec; 400 for cdae".
    static func defaultsText(_ declared: [(kind: String, setting: SettingInfo)]) -> String {
        var order: [String] = [], kinds: [String: [String]] = [:]
        for (kind, setting) in declared {
            if kinds[setting.defaultText] == nil { order.append(setting.defaultText) }
            kinds[setting.defaultText, default: []].append(kind)
        }
        guard order.count > 1 else { return order.first ?? "" }
        return order.map { "\($0) for \(kinds[$0]!.joined(separator: ", "))" }.joined(separator: "; ")
    }

    /// The model settings given on the command line.
    static func settings(_ args: ParsedArguments) -> ModelSettings {
        let options = Set(ModelCatalogue.options)
        return ModelSettings(args.values.filter { options.contains($0.key) })
    }
}
