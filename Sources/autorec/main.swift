import Foundation
import AutoRec
#if canImport(Glibc)
import Glibc
#endif
import AutoRecCore
import AutoRecModels

/// Every command the CLI knows, in the order `autorec --help` lists them.
let commands: [Command.Type] = [TrainCommand.self, EvaluateCommand.self, PredictCommand.self,
                                RecommendCommand.self, DatabaseCommand.self, ImportCommand.self, ModelsCommand.self, ScoreCommand.self, NightlyCommand.self, EmbedCommand.self, SimilarCommand.self, ClassifyCommand.self, AnomaliesCommand.self, ClusterCommand.self, SampleCommand.self,
                                ReportCommand.self, SyntheticCommand.self, BenchScoreCommand.self]

setvbuf(stdout, nil, _IOLBF, 0)
// Training loops allocate the same few-megabyte work arrays every batch: keep freed memory in the
// heap instead of returning it to the system and faulting it in again (glibc's mallopt; malloc.h
// is not part of the Glibc module, so it is declared here: M_TRIM_THRESHOLD -1, M_MMAP_THRESHOLD -3).
@_silgen_name("mallopt") func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
_ = glibcMallopt(-3, 256 << 20)
_ = glibcMallopt(-1, 512 << 20)
let argv = Array(CommandLine.arguments.dropFirst())

func topLevelHelp() -> String {
    var lines = ["OVERVIEW: autorec, a recommendation engine built around autoencoders.", "",
                 "USAGE: autorec <command> [options]", "", "COMMANDS:"]
    for c in commands where !c.spec.hidden {
        lines.append("  " + c.spec.name.padding(toLength: 12, withPad: " ", startingAt: 0) + c.spec.abstract)
    }
    lines += ["", "See 'autorec <command> --help' for a command's options."]
    return lines.joined(separator: "\n")
}

guard let name = argv.first, name != "--help", name != "-h", name != "help" else {
    print(topLevelHelp())
    exit(argv.isEmpty ? ExitCode.badInput.rawValue : ExitCode.success.rawValue)
}
guard let command = commands.first(where: { $0.spec.name == name }) else {
    Output.error("unknown command '\(name)'; see 'autorec --help'")
    exit(ExitCode.badInput.rawValue)
}
do {
    let args = try ParsedArguments(Array(argv.dropFirst()), spec: command.spec)
    if args.wantsHelp {
        print(command.spec.helpText)
        exit(ExitCode.success.rawValue)
    }
    // An output that cannot be written is refused before the work, not after hours of training.
    if let out = args.string("--out") { try FileAccess.checkOutput(out) }
    try command.run(args)
    exitAfterCheckingStandardOutput(ExitCode.success)
} catch let e as CLIError {
    Output.error(e.message)
    exitAfterCheckingStandardOutput(e.code)
} catch {
    Output.error(Output.describe(error))
    exitAfterCheckingStandardOutput(cliExitCode(for: error))
}

/// Exits with `code`, or with 1 when what the command printed did not reach standard output (a
/// full disk, /dev/full, a closed pipe): a program reading it must not take a cut answer as whole.
func exitAfterCheckingStandardOutput(_ code: ExitCode) -> Never {
    if fflush(stdout) != 0 || ferror(stdout) != 0 {
        Output.error("cannot write to standard output (\(String(cString: strerror(errno)))); nothing printed is complete")
        exit(code == .success ? ExitCode.failure.rawValue : code.rawValue)
    }
    exit(code.rawValue)
}
