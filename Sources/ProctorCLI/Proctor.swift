import Foundation
import ProctorCommandLine
import ProctorJSON
import ProctorSupport

/// The `proctor` entry point, callable from tests with captured output.
public enum Proctor {
    /// The version `proctor --version` prints.
    public static let version = "0.1.0"

    /// Runs one command line (without the program name) and returns the exit code.
    public static func main(_ argv: [String], console: Console = Console()) async -> Int32 {
        guard let first = argv.first else {
            console.out(overview)
            return 0
        }
        if first == "--help" || first == "-h" { console.out(overview); return 0 }
        if first == "--version" || first == "-V" { console.out("proctor \(version)"); return 0 }
        if first == "help" {
            guard argv.count > 1 else { console.out(overview); return 0 }
            guard let cmd = CommandRegistry.find(argv[1]) else { return unknownCommand(argv[1], console) }
            console.out(cmd.spec.helpText)
            return 0
        }
        guard let cmd = CommandRegistry.find(first) else { return unknownCommand(first, console) }
        do {
            let args = try ArgumentParser.parse(Array(argv.dropFirst()), spec: cmd.spec)
            if args.wantsHelp { console.out(cmd.spec.helpText); return 0 }
            return try await cmd.run(args, console: console)
        } catch let e as CLIError {
            console.err("error: \(e)")
            if case .usage = e { console.err("Run 'proctor help \(cmd.spec.name)' for usage.") }
            return e.exitCode
        } catch {
            console.err("error: \(error)")
            return 2
        }
    }

    static func unknownCommand(_ name: String, _ console: Console) -> Int32 {
        let hint = Suggestions.hint(for: name, among: CommandRegistry.commands.map { $0.spec.name })
        console.err("error: unknown command '\(name)'\(hint)\nRun 'proctor --help' for the list of commands.")
        return 2
    }

    static var overview: String {
        var s = """
        proctor \(version): a test harness for LLM prompts.

        USAGE: proctor <command> [options]

        COMMANDS:

        """
        for c in CommandRegistry.commands {
            s += "  " + c.spec.name.padding(toLength: 12, withPad: " ", startingAt: 0) + c.spec.summary + "\n"
        }
        s += "\nRun 'proctor help <command>' or 'proctor <command> --help' for details."
        return s
    }
}
