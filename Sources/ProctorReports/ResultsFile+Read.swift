import Foundation
import ProctorHarness
import ProctorJSON
import ProctorSupport
import ProctorConversation

/// Reading a results file back into a `RunResult` (for `diff`, `merge`, `view` and reruns).
/// Problems name the file and the JSON Pointer of the bad value.
extension ResultsFile {
    /// A results file that cannot be read: the file, the pointer and what is wrong.
    public struct ReadError: Error, CustomStringConvertible {
        /// What is wrong, beginning with the file and, where there is one, the bad value's place.
        public let message: String
        /// The message alone, for printing.
        public var description: String { message }
    }

    /// The run a results file holds.
    public static func read(_ path: String) throws(ReadError) -> RunResult {
        guard let data = TextInput.read(path) else { throw ReadError(message: "\(path): cannot read the results file") }
        let v: JSONValue
        do { v = try JSONParser.parse([UInt8](data)) } catch { throw ReadError(message: "\(path):\(error)") }
        return try read(v, path: path)
    }

    /// The run a parsed results file holds (`path` names it in messages).
    public static func read(_ v: JSONValue, path: String) throws(ReadError) -> RunResult {
        func fail(_ ptr: String, _ m: String) -> ReadError { ReadError(message: "\(path): \(ptr): \(m)") }
        // Version 1 files have the same samples; only the per-case summary changed.
        guard let version = v["formatVersion"]?.intValue, (1...formatVersion).contains(version) else {
            throw fail("/formatVersion", "expected a Proctor results file with formatVersion 1 to \(formatVersion)")
        }
        guard case .array(let rs)? = v["results"] else { throw fail("/results", "missing the results array") }
        var results: [CaseResult] = []
        for (i, r) in rs.enumerated() {
            let p = "/results/\(i)"
            func str(_ k: String) throws(ReadError) -> String {
                guard let s = r[k]?.stringValue else { throw fail(p + "/" + k, "missing or not a string") }
                return s
            }
            guard let status = CaseStatus(rawValue: try str("status")) else { throw fail(p + "/status", "unknown status") }
            var usage: TokenUsage?
            if let u = r["usage"], let pt = u["promptTokens"]?.intValue, let ot = u["outputTokens"]?.intValue { usage = TokenUsage(promptTokens: pt, outputTokens: ot) }
            let validators: [ValidatorVerdict] = (r["validators"]?.arrayValue ?? []).map {
                var v = ValidatorVerdict(type: $0["type"]?.stringValue ?? "", pass: $0["pass"]?.boolValue ?? false, score: $0["score"]?.doubleValue ?? 0,
                                         weight: $0["weight"]?.doubleValue ?? 1, message: $0["message"]?.stringValue ?? "")
                v.evaluated = $0["evaluated"]?.boolValue ?? true
                v.graderAnswer = $0["graderAnswer"]?.stringValue
                v.metric = $0["metric"]?.stringValue
                return v
            }
            let messages: [ChatMessage] = (r["messages"]?.arrayValue ?? []).compactMap {
                guard let role = $0["role"]?.stringValue, let content = $0["content"]?.stringValue else { return nil }
                return ChatMessage(role: role, content: content)
            }
            var c = CaseResult(suite: try str("suite"), suiteFile: v["suites"]?[0]?["file"]?.stringValue ?? "", caseId: try str("case"),
                               caseFile: r["file"]?.stringValue ?? "", caseLine: r["line"]?.intValue ?? 0, promptId: try str("prompt"),
                               promptSha256: r["promptSha256"]?.stringValue ?? "", backendId: try str("backend"), status: status,
                               score: r["score"]?.doubleValue ?? 0, threshold: r["threshold"]?.doubleValue, output: r["output"]?.stringValue ?? "",
                               finishReason: r["finishReason"]?.stringValue.flatMap(FinishReason.init(rawValue:)),
                               truncated: r["truncated"]?.boolValue ?? false, usage: usage, latencyMs: r["latencyMs"]?.doubleValue ?? 0,
                               error: r["error"]?.stringValue, stderr: r["stderr"]?.stringValue, validators: validators,
                               repairs: (r["repairs"]?.arrayValue ?? []).compactMap(\.stringValue), messages: messages)
            c.repeatIndex = r["repeat"]?.intValue ?? 0
            c.minPassRate = r["minPassRate"]?.doubleValue ?? 1
            c.caseColumn = r["column"]?.intValue ?? 0
            c.latencyRecorded = r["latencyRecorded"]?.boolValue ?? false
            c.cached = r["cached"]?.boolValue ?? false
            c.constrained = r["constrained"]?.stringValue
            c.vars = r["vars"]?.objectValue ?? JSONObject()
            c.metadata = r["metadata"]?.objectValue ?? JSONObject()
            c.costUsd = r["costUsd"]?.doubleValue
            c.replayed = r["replayed"]?.boolValue ?? false
            let calls = (r["toolCalls"]?.arrayValue ?? []).compactMap(ToolCall.init(json:))
            let steps = (r["transcript"]?.arrayValue ?? []).compactMap(TranscriptStep.init(json:))
            if !calls.isEmpty || !steps.isEmpty { c.toolTrace = ToolTrace(calls: calls, transcript: steps) }
            c.transformed = r["checkedOutput"]?.stringValue
            c.transformSteps = r["transform"]?.stringValue
            if let o = r["options"]?.objectValue, let parsed = try? GenerationOptions.parse(o) { c.options = parsed }
            results.append(c)
        }
        var infos: [SuiteInfo] = []
        for s in v["suites"]?.arrayValue ?? [] {
            infos.append(SuiteInfo(name: s["name"]?.stringValue ?? "", file: s["file"]?.stringValue ?? "", description: s["description"]?.stringValue,
                                   prompts: (s["prompts"]?.arrayValue ?? []).map { ($0["id"]?.stringValue ?? "", $0["sha256"]?.stringValue ?? "") },
                                   backends: (s["backends"]?.arrayValue ?? []).map {
                                       ($0["id"]?.stringValue ?? "", $0["type"]?.stringValue ?? "", $0["options"]?.objectValue ?? JSONObject())
                                   }))
        }
        // Results of one suite carry that suite's file.
        let files = Dictionary(infos.map { ($0.name, $0.file) }, uniquingKeysWith: { a, _ in a })
        for i in results.indices { results[i].suiteFile = files[results[i].suite] ?? results[i].suiteFile }
        let started = ISO8601DateFormatter().date(from: v["startedAt"]?.stringValue ?? "") ?? Date(timeIntervalSince1970: 0)
        var run = RunResult(startedAt: started, durationMs: v["durationMs"]?.doubleValue ?? 0, suites: infos, results: results)
        if let sh = v["shard"], let k = sh["index"]?.intValue, let n = sh["count"]?.intValue { run.shard = (k, n) }
        run.interrupted = v["interrupted"]?.boolValue ?? false
        return run
    }
}
