import Foundation
import ProctorCommandLine
import ProctorHarness
import ProctorSupport

/// `proctor import promptfoo CONFIG` and `proctor import openai-evals FILE`: another tool's evals as a Proctor suite.
enum ImportCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "import",
        summary: "Import a promptfoo configuration or an openai/evals registry eval as a Proctor suite.",
        usage: """
        proctor import promptfoo CONFIG.yaml [--out suites/NAME.jsonc] [--strict] [--force] [--backends FILE]
               proctor import openai-evals REGISTRY/evals/NAME.yaml [--eval ID] | HOSTED.json --data ITEMS.jsonl [--out suites/NAME.jsonc] [--strict] [--force] [--backends FILE]
        """,
        options: [
            OptionSpec("out", value: "PATH", help: "Where to write the suite (default suites/NAME.jsonc: NAME is the file's name, or a promptfooconfig's folder)."),
            OptionSpec("strict", help: "Any item that cannot be imported is an error (exit 2); nothing is written."),
            OptionSpec("force", help: "Overwrite an existing suite file."),
            OptionSpec("backends", value: "FILE", help: "A JSON list of Proctor backend entries to use instead of the imported providers (openai-evals: of the default openai gpt-4o-mini)."),
            OptionSpec("eval", value: "ID", help: "openai-evals: the eval of the registry file to import (needed when it holds several)."),
            OptionSpec("data", value: "ITEMS.jsonl", help: "openai-evals: the items of a hosted eval configuration (JSON with testing_criteria)."),
        ],
        discussion: """
        Everything that does not map is listed on stderr with its line and column in the YAML and
        why, and as comments at the top of the written suite; the suite never silently differs from
        the configuration. The written suite is loaded back before the command succeeds.

        EXIT CODES: 0 written, 2 usage error, unreadable configuration, or (with --strict) unmapped items.
        """)

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard args.positionals.count == 2, ["promptfoo", "openai-evals"].contains(args.positionals[0]) else {
            throw CLIError.usage("say 'proctor import promptfoo CONFIG.yaml' or 'proctor import openai-evals REGISTRY/evals/NAME.yaml'")
        }
        let (source, path) = (args.positionals[0], args.positionals[1])
        let folder = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().lastPathComponent
        let stem = args.value("eval") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let name = stem == "promptfooconfig" ? (folder.isEmpty || folder == "/" ? "promptfoo" : folder) : stem
        let out = args.value("out") ?? "suites/\(name).jsonc"
        try checkOutputs([("--out", out)], inputs: [(source == "promptfoo" ? "the promptfoo configuration" : "the eval file", path)])
        if source == "promptfoo" && (args.value("eval") ?? args.value("data")) != nil { throw CLIError.usage("--eval and --data go with openai-evals") }
        let result: PromptfooImporter.Result
        do {
            result = source == "promptfoo"
                ? try PromptfooImporter.convert(configPath: path, outPath: out, environment: console.environment, backendsFile: args.value("backends"))
                : try OpenAIEvalsImporter.convert(path: path, evalId: args.value("eval"), dataFile: args.value("data"), outPath: out, backendsFile: args.value("backends"), environment: console.environment)
        } catch { throw CLIError.input("\(error)") }
        try checkOutputs([("--out", out)], inputs: result.filesRead.map { ("a file the configuration names", $0) })
        for d in result.decisions { console.err("note: \(d)") }
        for u in result.unmapped { console.err("not imported: \(u)") }
        if args.flag("strict") && !result.unmapped.isEmpty {
            console.err("error: \(result.unmapped.count) item\(result.unmapped.count == 1 ? "" : "s") could not be imported (--strict); nothing written")
            return 2
        }
        if FileManager.default.fileExists(atPath: out) && !args.flag("force") {
            throw CLIError.input("\(out) exists; pass --force to overwrite it, or --out another path")
        }
        do { try ImportWriter.write(result.text, to: out, loader: console.loader) } catch {
            if case .doesNotLoad = error { console.err("error: \(error)"); return 2 }
            throw CLIError.input(error.description)
        }
        console.err("wrote \(out)" + (result.unmapped.isEmpty ? "" : " (\(result.unmapped.count) not imported, listed at its top)"))
        return 0
    }
}
