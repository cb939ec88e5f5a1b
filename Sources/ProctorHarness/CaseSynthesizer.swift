import ProctorBackends
import ProctorJSON
import ProctorRepair
import ProctorConversation

/// New case variables in the style of a suite's cases, written by a backend (promptfoo's
/// "generate dataset"): the backend sees the existing cases and answers with a JSON array; the
/// answer is extracted or repaired, and only new objects with the same variables, of the same JSON
/// types, are kept.
public struct CaseSynthesizer {
    /// What came back and what was kept.
    public struct Outcome: Sendable {
        /// The new cases' variables.
        public var cases: [JSONObject]
        /// Why candidates were dropped (one line each), for the user.
        public var dropped: [String]
        /// The repairs applied to the answer, when it was not valid JSON as given.
        public var repairs: [String]

        /// The new cases as JSONL lines `{"id": "generated-N", "vars": …}`, numbered past the ids in `existing`.
        public func caseLines(avoiding existing: Set<String>) -> [String] {
            var n = 0
            return cases.map { vars in
                repeat { n += 1 } while existing.contains("generated-\(n)")
                return JSONSerializer.string(["id": .string("generated-\(n)"), "vars": .object(vars)])
            }
        }
    }

    /// Why nothing could be generated.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What went wrong, naming the suite or the backend.
        public let description: String
    }

    /// The variables every existing case has, and the JSON type each one holds.
    public static func variableTypes(_ suite: Suite) -> [(name: String, type: String)] {
        guard let first = suite.cases.first else { return [] }
        return first.vars.compactMap { e in
            let t = e.value.typeName
            return suite.cases.allSatisfy({ $0.vars[e.key]?.typeName == t }) ? (e.key, t) : nil
        }
    }

    /// The request the backend gets.
    public static func prompt(_ suite: Suite, count: Int) -> String {
        let vars = variableTypes(suite)
        let examples = suite.cases.prefix(12).map { c in
            JSONSerializer.string(.object(JSONObject(vars.compactMap { v in c.vars[v.name].map { (key: v.name, value: $0) } })))
        }
        return """
        You write test cases for a prompt-testing suite\(suite.description.map { " (\($0))" } ?? ""). Each case is a JSON object with the keys \
        \(vars.map { "\"\($0.name)\" (\($0.type))" }.joined(separator: ", ")). Existing cases:
        \(examples.joined(separator: "\n"))
        Write \(count) new cases in the same style, each different from the ones above and from each other. \
        Answer with a JSON array of \(count) objects and nothing else.
        """
    }

    /// Asks `backend` and keeps the valid new cases (at most `count`).
    public static func generate(_ suite: Suite, backend: any Backend, options: GenerationOptions, count: Int) async throws(Failure) -> Outcome {
        let vars = variableTypes(suite)
        guard !vars.isEmpty else { throw Failure(description: "\(suite.file): the suite's cases share no variables to imitate") }
        let response = await backend.complete(BackendRequest(messages: [ChatMessage(role: "user", content: prompt(suite, count: count))],
                                                             options: options, caseId: "generate", promptId: "generate"))
        if response.finishReason == .error { throw Failure(description: "backend '\(backend.id)': \(response.error ?? "failed")") }
        var repairs: [String] = []
        var value: JSONValue? = try? JSONParser.parse(response.text)
        // The array from its first bracket on (prose before it dropped), repaired when cut off.
        if value == nil, let open = response.text.firstIndex(of: "[") {
            let tail = String(response.text[open...])
            if let v = try? JSONParser.parse(tail) {
                value = v
                repairs.append("dropped the text before the JSON array")
            } else if let r = try? JSONRepair.repair(tail), r.value.arrayValue != nil {
                value = r.value
                repairs += ["dropped the text before the JSON array"] + r.repairs.map { "\($0)" }
            }
        }
        if value == nil, let (v, how) = JSONExtraction.firstValue(in: response.text) {
            value = v
            repairs.append(how)
        }
        guard let value else {
            throw Failure(description: "backend '\(backend.id)' answered without a JSON array: \(String(response.text.prefix(200)))")
        }
        let items = value.arrayValue ?? (value.objectValue.map { [JSONValue.object($0)] } ?? [])
        var seen = Set(suite.cases.map { c in JSONValue.object(JSONObject(vars.compactMap { v in c.vars[v.name].map { (key: v.name, value: $0) } })) })
        var out: [JSONObject] = []
        var dropped: [String] = []
        for (i, item) in items.enumerated() {
            guard case .object(let o) = item else { dropped.append("item \(i + 1): not an object"); continue }
            var kept: [(key: String, value: JSONValue)] = []
            var problem: String? = nil
            for v in vars {
                guard let x = o[v.name] else { problem = "no \"\(v.name)\""; break }
                guard x.typeName == v.type else { problem = "\"\(v.name)\" is \(x.typeName), the cases have \(v.type)"; break }
                kept.append((v.name, x))
            }
            if problem == nil, let extra = o.keys.first(where: { k in !vars.contains { $0.name == k } }) { problem = "unknown variable \"\(extra)\"" }
            if let problem { dropped.append("item \(i + 1): \(problem)"); continue }
            let obj = JSONObject(kept)
            guard seen.insert(.object(obj)).inserted else { dropped.append("item \(i + 1): repeats an existing case"); continue }
            if out.count < count { out.append(obj) }
        }
        return Outcome(cases: out, dropped: dropped, repairs: repairs)
    }
}
