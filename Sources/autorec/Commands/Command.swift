import AutoRec
import AutoRecStore

/// A CLI command: its spec (name, options, help) and what it does.
protocol Command {
    static var spec: CommandSpec { get }
    static func run(_ args: ParsedArguments) throws
}

/// Exit codes: 2 for bad input or usage, 1 for anything else.
func cliExitCode(for error: Error) -> Int32 {
    switch error {
    case is RatingFileError, is ModelFileError, is CLIError: return 2
    case is StoreError: return 1
    default: return 1
    }
}

/// Reads a ratings file, turning reader errors into the CLI's clear message.
func loadRatings(_ path: String, format: String?) throws -> Ratings {
    let f = try format.map { s -> RatingFileFormat in
        guard let f = RatingFileFormat(rawValue: s) else {
            throw CLIError(message: "--format must be one of \(RatingFileFormat.allCases.map(\.rawValue).joined(separator: ", ")); got '\(s)'")
        }
        return f
    } ?? .auto
    return try RatingFileReader.read(path: path, format: f)
}
