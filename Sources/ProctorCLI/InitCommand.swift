import Foundation
import ProctorBackends
import ProctorCommandLine
import ProctorHarness
import ProctorSupport

/// `proctor init [DIR]`: a small suite that runs offline on the built-in model and passes at once,
/// as a starting point to edit.
enum InitCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "init",
        summary: "Write a starter suite (built-in model, two prompt versions, a JSON Schema, CSV cases).",
        usage: "proctor init [DIR] [--model FILE]",
        options: [
            OptionSpec("model", value: "FILE", help: "The checkpoint to copy (its tokenizer is FILE with .tokenizer.bin); default: Proctor's own proctor-tiny."),
        ],
        discussion: """
        DIR (default: the current folder) gets suites/starter.jsonc, fixtures/starter-cases.csv,
        fixtures/schemas/person.schema.json and fixtures/models/ (a copy of the model, about 3.5 MB).
        Existing files are never overwritten: init stops and names them.
        """)

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard args.positionals.count <= 1 else { throw CLIError.usage("give at most one DIR") }
        let dir = args.positionals.first ?? "."
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), !isDir.boolValue {
            throw CLIError.input("\(dir) is a file, not a folder: give init a folder to write the starter suite into (it is made when missing)")
        }
        let (model, tokenizer) = try findModel(args.value("model"), console)
        do {
            for path in try StarterSuite.write(into: dir, model: model, tokenizer: tokenizer) { console.out("wrote \(path)") }
        } catch { throw CLIError.input(error.description) }
        let cd = dir == "." ? "" : "cd \(dir) && "
        console.out("""

        Next:
          \(cd)proctor run suites                                   # run it offline; reports in reports/
          \(cd)proctor diff reports/results.json --prompts v1,v2     # what the second prompt version changed
          \(cd)proctor run suites --html reports/run.html            # the run as a page to share
        """)
        return 0
    }

    /// The model to copy: `--model`, else Proctor's own, looked for beside the executable (a release
    /// binary shipped with `proctor-tiny.bin`, or a build in the repository) and in the source tree
    /// it was built from.
    static func findModel(_ given: String?, _ console: Console) throws(CLIError) -> ([UInt8], [UInt8]) {
        var candidates: [String] = []
        if let given {
            candidates = [given]
        } else {
            let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            let fromExe = exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let fromSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let exeDir = exe.deletingLastPathComponent()
            // A release binary with the model beside it, a binary in a checkout, the source tree.
            candidates = [exeDir.appendingPathComponent("proctor-tiny.bin").path, exeDir.appendingPathComponent(StarterSuite.modelPath).path]
                + [fromExe, fromSource].map { $0.appendingPathComponent(StarterSuite.modelPath).path }
        }
        do { return try ModelFiles.find(candidates, explicit: given != nil) } catch { throw CLIError.input(error.description) }
    }
}
