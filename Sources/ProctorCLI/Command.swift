import Foundation
import ProctorCommandLine

/// A subcommand: a static description (name, options, help) and a `run` that returns the exit code.
public protocol ProctorCommand: Sendable {
    static var spec: CommandSpec { get }
    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32
}

/// Every subcommand, in the order `proctor --help` lists them.
public enum CommandRegistry {
    /// Every subcommand type; `proctor --help` lists them and dispatch finds them by `spec.name`.
    public static let commands: [any ProctorCommand.Type] = [
        InitCommand.self,
        RunCommand.self,
        ImportCommand.self,
        ValidateCommand.self,
        RepairCommand.self,
        DiffCommand.self,
        ViewCommand.self,
        MergeCommand.self,
        ModelCommand.self,
        BenchCommand.self,
        CacheCommand.self,
        GenerateCommand.self,
        OptimizeCommand.self,
        PlanCommand.self,
        GradersCommand.self,
    ]

    static func find(_ name: String) -> (any ProctorCommand.Type)? {
        commands.first { $0.spec.name == name }
    }
}
