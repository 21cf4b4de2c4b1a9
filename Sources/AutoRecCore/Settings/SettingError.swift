/// A setting that does not parse or lies outside its range; the message names the option.
public struct SettingError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
