import Foundation
import ProctorBackends
import ProctorCommandLine
import ProctorGenerate
import ProctorHarness
import ProctorJSON
import ProctorReports
import ProctorSupport

/// `proctor generate cases --schema S.json`: valid instances of a schema as JSON Lines (test data,
/// or suite cases for `casesFrom`).
enum GenerateCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "generate",
        summary: "Generate test data: valid instances of a JSON Schema, as JSON Lines or suite cases.",
        usage: """
        proctor generate cases --schema S.json [--count N] [--seed S] [--invalid] [--as-cases VAR] [--out FILE] [--registry BASE_URI=DIR]... [--draft D]
               proctor generate cases --from-suite SUITE --backend ID [--count N] [--seed S] [--out FILE]
        """,
        options: [
            OptionSpec("schema", value: "S.json", help: "The JSON Schema (drafts 4, 6, 7, 2019-09 or 2020-12 by $schema; JSONC accepted)."),
            OptionSpec("count", value: "N", help: "Instances to write (default 10)."),
            OptionSpec("seed", value: "S", help: "Seed; the same seed gives the same instances (default 1)."),
            OptionSpec("invalid", help: "Near misses instead: each line {\"instance\", \"violates\"} breaks exactly one keyword (--count per keyword, default 1)."),
            OptionSpec("as-cases", value: "VAR", help: "Write suite cases {\"id\", \"vars\": {VAR: instance}} for casesFrom."),
            OptionSpec("out", value: "FILE", help: "Write to FILE instead of standard output."),
            OptionSpec("from-suite", value: "SUITE", help: "Have a backend write new cases in the style of SUITE's cases (JSONL cases)."),
            OptionSpec("backend", value: "ID", help: "--from-suite: the backend (or grader) of the suite that writes them."),
        ] + SchemaInput.options,
        discussion: """
        Instances are built keyword by keyword and cycle through anyOf/oneOf branches, enum values,
        types and optional properties by instance index, so --count at least the number of choices
        shows each, and repeats are avoided while new instances can be found. Keywords the dialect does
        not define are annotations, as are formats Proctor does not know. Every instance is checked by
        Proctor's validator before it is written; a schema it finds no instance of is an error.
        """)

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard args.positionals == ["cases"] else { throw CLIError.usage("say 'proctor generate cases --schema S.json'") }
        // --out never lands on what generate reads.
        if let out = args.value("out") {
            try checkOutputs([("--out", out)], inputs: [("the schema", args.value("schema")), ("the suite", args.value("from-suite"))]
                                    .compactMap { w, p in p.map { (w, $0) } })
        }
        if let suitePath = args.value("from-suite") { return try await fromSuite(suitePath, args, console) }
        guard let path = args.value("schema") else { throw CLIError.usage("generate cases needs --schema S.json") }
        let input = try SchemaInput.load(path, args)
        let generator: InstanceGenerator
        do {
            generator = try InstanceGenerator(schema: input.value, uri: input.uri, registry: input.registry, forcedDraft: input.draft,
                                              deferUnresolvedRefs: true)
        } catch { throw CLIError.input("\(path): \(error)") }
        if let out = args.value("out") { try checkOutputs([("--out", out)], inputs: generator.filesRead.map { ("a schema it references", $0) }) }
        for r in generator.unresolvedRefs { console.err("note: \(path)#\(r); instances avoid it (pass --registry BASE_URI=DIR to serve it)") }
        let seed = UInt64(try args.int("seed", min: 0) ?? 1)
        if args.flag("invalid") {
            if args.value("as-cases") != nil { throw CLIError.usage("--invalid writes {instance, violates} lines; it cannot be combined with --as-cases") }
            let misses: [NearMiss]
            do { misses = try generator.nearMisses(seed: seed, perKeyword: try args.int("count", min: 1) ?? 1) } catch { throw CLIError.input("\(path): \(error)") }
            return try write(misses.map(\.jsonLine).joined(separator: "\n"), count: misses.count, args, console)
        }
        let count = try args.int("count", min: 1) ?? 10
        let instances: [JSONValue]
        do { instances = try generator.generate(count: count, seed: seed) } catch { throw CLIError.input("\(path): \(error)") }
        let lines = InstanceGenerator.lines(instances, asCases: args.value("as-cases"), schemaPath: path)
        return try write(lines.joined(separator: "\n"), count: instances.count, args, console)
    }

    static func write(_ text: String, count: Int, _ args: ParsedArguments, _ console: Console) throws -> Int32 {
        if let file = args.value("out") {
            do { try AtomicFile.write(text.isEmpty ? "" : text + "\n", to: file) } catch {
                throw CLIError.input("cannot write --out \(file): \(Folders.whyNotWritable((file as NSString).deletingLastPathComponent))")
            }
            console.err("wrote \(count) line\(count == 1 ? "" : "s") to \(file)")
        } else if !text.isEmpty {
            console.out(text)
        }
        return 0
    }

    /// `--from-suite`: a backend of the suite writes new cases like the suite's own.
    static func fromSuite(_ path: String, _ args: ParsedArguments, _ console: Console) async throws -> Int32 {
        guard let id = args.value("backend") else { throw CLIError.usage("--from-suite needs --backend ID (a backend or grader of the suite)") }
        let suite: Suite
        let session: RunSession
        do {
            suite = try console.loader.load(path)
            session = try RunSession(suites: [suite])
        } catch { throw CLIError.input("\(error)") }
        defer { _ = session.close() }
        if let out = args.value("out") { try checkOutputs([("--out", out)], inputs: suite.inputFiles.map { ("a file the suite reads", $0) }) }
        guard var target = session.backend(id) else {
            throw CLIError.usage("\(path): no backend or grader '\(id)'" + Suggestions.hint(for: id, among: suite.backends.map(\.id) + suite.graders.map(\.id)))
        }
        if let seed = try args.int("seed", min: 0) {
            let type = (suite.backends + suite.graders).first { $0.id == id }.map { suite.effectiveSpec($0).type } ?? ""
            guard BackendRegistry.standard.kinds[type]?.honours[.seed] != nil else {
                throw CLIError.usage("--seed: backend '\(id)' (\(type)) does not take a seed, so its answers cannot be reproduced by one")
            }
            target.options.seed = UInt64(seed)
        }
        let count = try args.int("count", min: 1) ?? 10
        let outcome: CaseSynthesizer.Outcome
        do { outcome = try await CaseSynthesizer.generate(suite, backend: target.backend, options: target.options, count: count) } catch {
            throw CLIError.input("\(error)")
        }
        for r in outcome.repairs { console.err("answer repaired: \(r)") }
        for d in outcome.dropped { console.err("dropped \(d)") }
        let lines = outcome.caseLines(avoiding: Set(suite.cases.map(\.id)))
        if lines.count < count { console.err("kept \(lines.count) of the \(count) cases asked for") }
        return try write(lines.joined(separator: "\n"), count: lines.count, args, console)
    }
}
