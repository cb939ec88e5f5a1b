import Foundation
import ProctorConversation
import ProctorJSON

/// `proctor model eval`: greedy answers to held-out task prompts, scored by the share that are
/// valid JSON and exactly right, per task; optionally also decoded under a constraint (each task's
/// schema), through a hook the caller gives (the constrained decoder lives in ProctorConstrain).
public struct TaskEvaluation: Sendable {
    /// One task's counts.
    public struct Score: Sendable {
        /// Prompts of the task.
        public var n = 0
        /// Answers that parse as JSON.
        public var valid = 0
        /// Answers equal to the expected JSON.
        public var exact = 0
        /// Constrained answers equal to the expected JSON.
        public var constrained = 0
    }

    /// Every task's counts, by task name.
    public var byTask: [String: Score] = [:]
    /// Whether a constrained decoding was scored too.
    public var constrainedToo = false

    /// The totals over every task.
    public var total: Score {
        byTask.values.reduce(into: Score()) { t, s in t.n += s.n; t.valid += s.valid; t.exact += s.exact; t.constrained += s.constrained }
    }

    /// Scores `examples` with greedy decoding on `generator` (96 new tokens, up to the first
    /// newline), through the model's one generation entry point; `constraint(task)` gives the
    /// constraint for a task's constrained answer when one is asked for.
    public static func run(_ examples: [TaskCorpus.Example], generator: Generator,
                           constraint: ((_ task: String) throws -> any DecodingConstraint)? = nil) throws -> TaskEvaluation {
        var e = TaskEvaluation()
        e.constrainedToo = constraint != nil
        let greedy = GenerationOptions(maxTokens: 96, temperature: 0)
        var free = greedy
        free.stop = ["\n"]
        for ex in examples {
            let g = try generator.generate(prompt: ex.prompt + "\n", options: free)
            let out = g.text.trimmingCharacters(in: .whitespacesAndNewlines)
            let parsed = try? JSONParser.parse(out)
            let expected = try? JSONParser.parse(ex.answer)
            var t = e.byTask[ex.task] ?? Score()
            t.n += 1
            if parsed != nil { t.valid += 1 }
            if parsed != nil && parsed == expected { t.exact += 1 }
            if let constraint {
                let answer = try generator.generate(prompt: ex.prompt + "\n", options: greedy, constraint: try constraint(ex.task)).text
                if let v = try? JSONParser.parse(answer), v == expected { t.constrained += 1 }
            }
            e.byTask[ex.task] = t
        }
        return e
    }

    /// The scores as one JSON object (`--json`).
    public var json: JSONValue {
        let all = total
        var v = JSONObject([("n", .number(JSONNumber(all.n))), ("validJSON", .number(JSONNumber(all.valid))), ("exact", .number(JSONNumber(all.exact)))])
        var perTask = JSONObject()
        for (task, s) in byTask.sorted(by: { $0.key < $1.key }) {
            var o = JSONObject([("n", .number(JSONNumber(s.n))), ("validJSON", .number(JSONNumber(s.valid))), ("exact", .number(JSONNumber(s.exact)))])
            if constrainedToo { o["constrainedExact"] = .number(JSONNumber(s.constrained)) }
            perTask[task] = .object(o)
        }
        v["tasks"] = .object(perTask)
        if constrainedToo { v["constrainedExact"] = .number(JSONNumber(all.constrained)) }
        return .object(v)
    }

    /// The scores as lines of text: the totals, then one line per task.
    public var lines: [String] {
        let all = total, n = Double(max(1, all.n))
        var out = [String(format: "held-out prompts: %d; valid JSON %.1f%%; exactly right %.1f%%", all.n, Double(all.valid) * 100 / n, Double(all.exact) * 100 / n)
                   + (constrainedToo ? String(format: "; constrained by the task schemas: exactly right %.1f%% (valid 100%%)", Double(all.constrained) * 100 / n) : "")]
        for (task, t) in byTask.sorted(by: { $0.key < $1.key }) {
            out.append(String(format: "  %@: %d/%d exactly right, %d valid JSON", task, t.exact, t.n, t.valid)
                       + (constrainedToo ? ", constrained \(t.constrained)/\(t.n) exactly right" : ""))
        }
        return out
    }
}

extension Tokenizer {
    /// How many tokens a `tokenizer.bin` holds (its vocabulary size), read from its records.
    public static func count(atPath path: String) throws(ModelError) -> Int {
        guard let d = FileManager.default.contents(atPath: path) else { throw ModelError("\(path): cannot read the tokenizer") }
        let b = [UInt8](d)
        var off = 4, n = 0
        while off + 8 <= b.count {
            let len = Int(b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: off + 4, as: Int32.self) })
            guard len >= 0 else { break }
            off += 8 + len
            n += 1
        }
        return n
    }
}
