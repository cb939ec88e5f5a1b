import Foundation
import FoundationXML
import ProctorBackends
import ProctorConstrain
import ProctorHarness
import ProctorJSON
import ProctorModel
import ProctorRepair
import ProctorReports
import ProctorSchema
import ProctorYAML

/// One fuzz target: takes arbitrary bytes, checks properties, and traps (so the fuzzer records a
/// crash) when one does not hold. "Never crashes" alone is not the test.
enum FuzzTargets {
    static let names = ["json", "jsonc", "repair", "schema", "suite", "tokenizer", "junit", "yaml", "constrain"]

    static func check(_ ok: @autoclosure () -> Bool, _ what: @autoclosure () -> String) {
        if !ok() { fatalError("property violated: \(what())") }
    }

    static func run(_ name: String, _ bytes: [UInt8]) {
        switch name {
        case "json": json(bytes, .strict)
        case "jsonc": json(bytes, .jsonc)
        case "repair": repair(bytes)
        case "schema": schema(bytes)
        case "suite": suite(bytes)
        case "tokenizer": tokenizer(bytes)
        case "junit": junit(bytes)
        case "yaml": yaml(bytes)
        case "constrain": constrain(bytes)
        default: fatalError("unknown fuzz target \(name)")
        }
    }

    /// YAML never crashes or hangs, and whatever it reads is a value that JSON (flow YAML) carries
    /// back unchanged.
    static func yaml(_ bytes: [UInt8]) {
        guard let v = try? YAMLParser.parseLocated(bytes).value else { return }
        let text = JSONSerializer.string(v)
        guard let back = try? YAMLParser.parse(text) else { fatalError("JSON of a YAML value is not YAML: \(text)") }
        check(back == v, "YAML → JSON → YAML changed the value: \(text)")
    }

    /// parse(print(v)) == v, and printing is stable.
    static func json(_ bytes: [UInt8], _ options: JSONParser.Options) {
        guard let v = try? JSONParser.parse(bytes, options: options) else { return }
        for pretty in [false, true] {
            let text = JSONSerializer.string(v, pretty: pretty)
            guard let back = try? JSONParser.parse(text) else { fatalError("printed JSON does not parse: \(text)") }
            check(back == v, "round trip changed the value: \(text)")
            check(JSONSerializer.string(back, pretty: pretty) == text, "printing is not stable")
        }
    }

    /// Output is always valid JSON; valid input comes back equal.
    static func repair(_ bytes: [UInt8]) {
        let valid = try? JSONParser.parse(bytes)
        let r = bytes.withUnsafeBufferPointer { try? JSONRepair.repair(bytes: $0) }
        guard let r else { check(valid == nil, "valid JSON was not repaired"); return }
        guard let back = try? JSONParser.parse(r.text) else { fatalError("repair produced invalid JSON: \(r.text)") }
        check(back == r.value, "repaired text and value differ")
        if let valid { check(r.value == valid && r.repairs.isEmpty, "valid JSON was altered") }
    }

    /// First line: a schema; the rest: an instance. Compiling either works or throws a SchemaError;
    /// validation never throws, and the fast and full paths agree.
    static func schema(_ bytes: [UInt8]) {
        let split = bytes.firstIndex(of: 0x0A) ?? bytes.count
        guard let schemaValue = try? JSONParser.parse(Array(bytes[0..<split]), options: JSONParser.Options(maxDepth: 64)) else { return }
        let rest = split < bytes.count ? Array(bytes[(split + 1)...]) : [UInt8]("null".utf8)
        guard let instance = try? JSONParser.parse(rest, options: JSONParser.Options(maxDepth: 64)) else { return }
        for draft in SchemaDraft.allCases {
            guard let s = try? CompiledSchema.compile(schemaValue, options: SchemaOptions(defaultDraft: draft, formatAssertion: true, regexStepLimit: 20_000)) else { continue }
            let fast = s.isValid(instance)
            let full = s.validate(instance)
            check(fast == full.valid, "isValid and validate disagree")
            check(full.valid || !full.errors.isEmpty, "an invalid instance has no error")
        }
    }

    /// First line: a schema; the rest: choices. When the schema compiles for constrained decoding,
    /// a walk that picks allowed bytes by the choices (and always leaves room for the shortest
    /// completion) ends in an instance Proctor's validator accepts, within its byte budget.
    static func constrain(_ bytes: [UInt8]) {
        let split = bytes.firstIndex(of: 0x0A) ?? bytes.count
        guard let schemaValue = try? JSONParser.parse(Array(bytes[0..<split]), options: JSONParser.Options(maxDepth: 32)),
              let grammar = try? Grammar(schema: schemaValue, options: ConstraintOptions(maxDepth: 6)),
              let validator = try? CompiledSchema.compile(schemaValue) else { return }
        let rest = split < bytes.count ? Array(bytes[(split + 1)...]) : []
        let choices = rest.isEmpty ? [0] : rest  // a schema line ending in a newline has no choices
        var state = grammar.start()
        let shortest = grammar.remainingBytes(state)
        guard shortest < 2000 else { return }
        let budget = shortest + Int(choices.first ?? 0) % 64
        var out: [UInt8] = []
        let alphabet: [UInt8] = Array(0...255)
        var k = 0
        while !grammar.isFinished(state) {
            let choice = Int(choices[k % choices.count]) &+ k
            k += 1
            if grammar.isComplete(state) && choice % 5 == 0 { break }
            var options: [(UInt8, MatchState)] = []
            for b in alphabet {
                var t = state
                if grammar.feed(&t, b), grammar.remainingBytes(t) <= budget - out.count - 1 { options.append((b, t)) }
            }
            if options.isEmpty {
                // Out of budget with a whole instance (a number that could go on): a valid end.
                if grammar.isComplete(state) { break }
                // A dead end is allowed only where oneOf exclusivity is involved (the generator backtracks there).
                if String(decoding: bytes[0..<split], as: UTF8.self).contains("oneOf") { return }
                fatalError("dead end after \(String(decoding: out, as: UTF8.self))")
            }
            let pick = options[choice % options.count]
            out.append(pick.0)
            state = pick.1
            check(out.count <= budget, "the walk overran its budget")
        }
        guard let v = try? JSONParser.parse(out) else { fatalError("constrained output is not JSON: \(String(decoding: out, as: UTF8.self))") }
        if !validator.isValid(v) && !String(decoding: bytes[0..<split], as: UTF8.self).contains("oneOf") {
            fatalError("constrained output is not valid: \(String(decoding: out, as: UTF8.self))")
        }
    }

    /// The loader either loads or reports a SuiteError naming the file; nothing else.
    static func suite(_ bytes: [UInt8]) {
        do {
            _ = try SuiteLoader().load(bytes: bytes, file: "/tmp/proctor-fuzz-suite.json")
        } catch {
            check(error.file == "/tmp/proctor-fuzz-suite.json" || !error.file.isEmpty, "suite error without a file")
        }
    }

    static let tok: Tokenizer = {
        var base = TokenizerWriter.baseVocabulary()
        for (i, m) in ["th", "he", "the", " the", "in", "er", "an", " a", "日本", "😀"].enumerated() {
            base.vocab.append(Array(m.utf8))
            base.scores.append(Float(10 - i))
        }
        return Tokenizer(vocab: base.vocab, scores: base.scores)
    }()

    /// encode then decode gives the bytes back (byte fallback covers everything).
    static func tokenizer(_ bytes: [UInt8]) {
        guard !bytes.contains(0) else { return }  // run.c works on C strings
        let ids = tok.encode(bytes: bytes)
        check(ids.allSatisfy { $0 >= 0 && $0 < tok.vocabSize }, "token id out of range")
        var out: [UInt8] = []
        var prev = ids.first ?? Tokenizer.bos
        for id in ids.dropFirst() { out += tok.decode(previous: prev, token: id); prev = id }
        check(out == bytes, "decode(encode(x)) != x")
    }

    /// Any model output keeps the JUnit report well-formed XML.
    static func junit(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let r = CaseResult(suite: text, suiteFile: "s.json", caseId: text, caseFile: "s.json", caseLine: 1, promptId: "p", promptSha256: "x",
                           backendId: "b", status: bytes.count % 2 == 0 ? .failed : .error, score: 0, threshold: nil, output: text,
                           finishReason: .stop, truncated: false, usage: nil, latencyMs: 1, error: text, stderr: text,
                           validators: [ValidatorVerdict(type: "t", pass: false, score: 0, weight: 1, message: text)], repairs: [text], messages: [])
        let xml = JUnitWriter.render(RunResult(startedAt: Date(), durationMs: 1, suites: [], results: [r]))
        // XMLParser (streaming) rather than XMLDocument: the DOM path keeps libxml2 memory across runs.
        let parser = XMLParser(data: Data(xml.utf8))
        if !parser.parse() { fatalError("JUnit is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?")") }
    }
}
