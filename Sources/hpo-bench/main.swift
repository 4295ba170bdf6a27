import Foundation
import HPOStorage

/// `hpo-bench SUBCOMMAND [options]`: benchmarks that print figures.
let subcommands: [(name: String, summary: String, run: ([String]) -> Int32)] = [
    ("tpe", "time of one TPE ask at 100, 1,000 and 10,000 completed trials", { TPECostBenchmark.main(arguments: $0) }),
    ("tpe-quality", "mean regret of TPE variants on test functions", { QualityBenchmark.main(arguments: $0) }),
    ("mlp", "MLP training speed", { MLPBenchmark.main(arguments: $0) }),
    ("asha", "ASHA against no early stopping on learning curves", { ASHABenchmark.main(arguments: $0) }),
    ("storage", "storage write and read rates", { StorageBenchmark.main(arguments: $0) }),
]

let arguments = Array(CommandLine.arguments.dropFirst())
let overview =
    "usage: hpo-bench SUBCOMMAND [options]   (SUBCOMMAND --help for its options)\n"
    + subcommands.map { "  \($0.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \($0.summary)" }
    .joined(separator: "\n")
guard let name = arguments.first else {
    FileHandle.standardError.write(Data((overview + "\n").utf8))
    exit(2)
}
if name == "--help" || name == "-h" {
    print(overview)
    exit(0)
}
guard let subcommand = subcommands.first(where: { $0.name == name }) else {
    FileHandle.standardError.write(Data("hpo-bench: unknown subcommand '\(name)'\n\(overview)\n".utf8))
    exit(2)
}
exit(subcommand.run(Array(arguments.dropFirst())))
