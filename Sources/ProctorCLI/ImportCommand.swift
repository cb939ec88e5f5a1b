import Foundation
import ProctorCommandLine
import ProctorHarness
import ProctorReports
import ProctorSupport

/// `proctor import promptfoo CONFIG`: a promptfoo configuration as a Proctor suite.
enum ImportCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "import",
        summary: "Import a promptfoo configuration (promptfooconfig.yaml) as a Proctor suite.",
        usage: "proctor import promptfoo CONFIG.yaml [--out suites/NAME.jsonc] [--strict] [--force]",
        options: [
            OptionSpec("out", value: "PATH", help: "Where to write the suite (default suites/NAME.jsonc, NAME from the config's folder)."),
            OptionSpec("strict", help: "Any item that cannot be imported is an error (exit 2); nothing is written."),
            OptionSpec("force", help: "Overwrite an existing suite file."),
            OptionSpec("backends", value: "FILE", help: "A JSON list of Proctor backend entries to use instead of the imported providers."),
        ],
        discussion: """
        Everything that does not map is listed on stderr with its line and column in the YAML and
        why, and as comments at the top of the written suite; the suite never silently differs from
        the configuration. The written suite is loaded back before the command succeeds.

        EXIT CODES: 0 written, 2 usage error, unreadable configuration, or (with --strict) unmapped items.
        """)

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard args.positionals.count == 2, args.positionals[0] == "promptfoo" else {
            throw CLIError.usage("say 'proctor import promptfoo CONFIG.yaml'")
        }
        let config = args.positionals[1]
        let folder = URL(fileURLWithPath: config).standardizedFileURL.deletingLastPathComponent().lastPathComponent
        let stem = URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
        let name = stem == "promptfooconfig" ? (folder.isEmpty || folder == "/" ? "promptfoo" : folder) : stem
        let out = args.value("out") ?? "suites/\(name).jsonc"
        try checkOutputs([("--out", out)], inputs: [("the promptfoo configuration", config)])
        let result: PromptfooImporter.Result
        do { result = try PromptfooImporter.convert(configPath: config, outPath: out, environment: console.environment, backendsFile: args.value("backends")) }
        catch { throw CLIError.input("\(error)") }
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
        // The suite must load as written before it is written: it is loaded from a file beside the
        // target (so its relative paths mean the same) and moved into place only when it loads.
        let dir = (out as NSString).deletingLastPathComponent
        let trial = (dir.isEmpty ? "" : dir + "/") + ".proctor-import-\(UUID().uuidString).jsonc"
        do {
            try FileManager.default.createDirectory(atPath: dir.isEmpty ? "." : dir, withIntermediateDirectories: true)
            try AtomicFile.write(result.text, to: trial)
        } catch { throw CLIError.input("cannot write \(out): \(Folders.whyNotWritable(dir.isEmpty ? "." : dir))") }
        defer { try? FileManager.default.removeItem(atPath: trial) }
        do { _ = try console.loader.load(trial) } catch {
            console.err("error: the imported suite does not load, so nothing was written: \(String(describing: error).replacingOccurrences(of: trial, with: out))")
            return 2
        }
        if rename(trial, out) != 0 { throw CLIError.input("cannot write \(out): \(String(cString: strerror(errno)))") }
        console.err("wrote \(out)" + (result.unmapped.isEmpty ? "" : " (\(result.unmapped.count) item\(result.unmapped.count == 1 ? "" : "s") not imported, listed at its top)"))
        return 0
    }
}
