import AutoRec
import AutoRecStore
import AutoRecCore
import AutoRecModels

/// A CLI command: its spec (name, options, help) and what it does.
protocol Command {
    static var spec: CommandSpec { get }
    static func run(_ args: ParsedArguments) throws
}

/// The exit statuses of every command (docs/USAGE.md, "Exit codes").
enum ExitCode: Int32 {
    case success = 0
    /// The work could not be done: the store failed, nothing is active, a check failed.
    case failure = 1
    /// Bad usage or bad input: an option, a malformed file, a refused model file.
    case badInput = 2
    /// A user or item id the model or store does not know.
    case unknownID = 3
    /// Another nightly job holds the lock.
    case busy = 4
    /// The model cannot do what was asked (fold-in for I-AutoRec).
    case unsupported = 5
}

/// The exit status for an error that is not a `CLIError` (which carries its own).
func cliExitCode(for error: Error) -> ExitCode {
    switch error {
    case is RatingFileError, is ModelFileError, is CLIError, is SettingError, is FileAccessError: return .badInput
    default: return .failure
    }
}
