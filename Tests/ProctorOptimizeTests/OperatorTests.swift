import Foundation
import ProctorHarness
import ProctorJSON
@testable import ProctorOptimize
import ProctorTestSupport
import XCTest

/// Each offline operator, the case split and the suite rewriter on their own.
final class OperatorTests: XCTestCase {
    func start(_ messages: [(String, String)]) -> Candidate {
        Candidate(id: "c0", messages: messages.map { PromptMessage(role: $0.0, text: $0.1) }, parent: nil, edit: nil, lineage: [])
    }

    func vars(_ d: KeyValuePairs<String, String>) -> JSONObject { JSONObject(d.map { (key: $0.key, value: .string($0.value)) }) }

    func context(input: String? = "input") -> OperatorContext {
        var c = OperatorContext()
        c.variables = ["task", "input"]
        c.inputVariable = input
        c.usesJSON = true
        c.render = { text, vars in
            guard let t = try? Template(text, directory: "/"), t.missingVariables(in: vars).isEmpty else { return nil }
            return t.render(vars)
        }
        return c
    }

    func testFormatAppendsToSystemOrUserOnceAndOnlyForJSON() {
        let user = start([("user", "Do {{task}}: {{input}}   ")])
        let ps = FormatOperator().propose(user, context(), seed: 1)
        XCTAssertEqual(ps.count, 4)
        XCTAssertEqual(ps[0].messages, [PromptMessage(role: "user", text: "Do {{task}}: {{input}}\nAnswer with JSON only.")])
        XCTAssertEqual(ps[0].edit, Edit("format", "answer with JSON only"))
        let sys = start([("system", "You are terse."), ("user", "{{input}}")])
        XCTAssertEqual(FormatOperator().propose(sys, context(), seed: 1)[1].messages[0].text, "You are terse.\nWrite no prose before or after the JSON.")
        XCTAssertEqual(FormatOperator().propose(sys, context(), seed: 1)[1].messages[1].text, "{{input}}")
        var noJSON = context()
        noJSON.usesJSON = false
        XCTAssertTrue(FormatOperator().propose(user, noJSON, seed: 1).isEmpty)
        let child = Candidate(id: "c1", messages: ps[0].messages, parent: "c0", edit: ps[0].edit, lineage: [ps[0].edit])
        XCTAssertTrue(FormatOperator().propose(child, context(), seed: 1).isEmpty, "format instructions are added once per lineage")
    }

    func loadSuite(_ dir: TempDir, cases: String, extra: String = "") throws -> Suite {
        let path = dir.write("s.json", """
        { "suite": "s", "backends": [ { "id": "e", "type": "echo" } ], "prompts": [ { "id": "p", "template": "{{task}} {{input}}" } ]\(extra),
          "cases": \(cases) }
        """)
        return try SuiteLoader().load(path)
    }

    func testSchemaInstructionOneSchemaOrOnePerTaskValue() throws {
        let dir = TempDir()
        let label = #"{"type": "json-schema", "schema": {"type": "object", "properties": {"label": {"enum": ["bug", "billing"]}, "score": {"type": "integer", "minimum": 0}}, "required": ["label"], "additionalProperties": false}}"#
        let list = #"{"type": "json-schema", "schema": {"type": "array", "items": {"type": "string"}, "minItems": 1}}"#
        let one = try loadSuite(dir, cases: "[{\"id\": \"a\", \"vars\": {\"task\": \"classify\", \"input\": \"x\"}, \"validators\": [\(label)]}]")
        XCTAssertEqual(SchemaOperator.instruction(for: one.cases),
                       #"Answer with a JSON object with "label" (one of "bug", "billing"), "score" (integer, at least 0, optional), and no other keys."#)
        let two = try loadSuite(dir, cases: """
        [{"id": "a", "vars": {"task": "classify", "input": "x"}, "validators": [\(label)]},
         {"id": "b", "vars": {"task": "list", "input": "y"}, "validators": [\(list)]},
         {"id": "c", "vars": {"task": "list", "input": "z"}, "validators": [\(list)]}]
        """)
        let text = try XCTUnwrap(SchemaOperator.instruction(for: two.cases))
        XCTAssertEqual(text.split(separator: "\n").count, 2)
        XCTAssertTrue(text.contains(#"When task is "list", answer with a JSON array of string (at least 1 items)."#), text)
        // Two schemas that no variable tells apart: nothing is said rather than something wrong.
        let mixed = try loadSuite(dir, cases: """
        [{"id": "a", "vars": {"task": "t", "input": "x"}, "validators": [\(label)]}, {"id": "b", "vars": {"task": "t", "input": "y"}, "validators": [\(list)]}]
        """)
        XCTAssertNil(SchemaOperator.instruction(for: mixed.cases))
        var c = context()
        c.schemaInstruction = "Answer with {{ braces }}."
        let p = SchemaOperator().propose(start([("user", "{{input}}")]), c, seed: 1)
        XCTAssertEqual(p.count, 1)
        XCTAssertEqual(c.render(p[0].messages[0].text, vars(["input": "hi"])), "hi\nAnswer with {{ braces }}.", "the instruction is literal text")
    }

    func testFewShotRendersDemonstrationsInTheParentsWordingSeeded() {
        var c = context()
        c.demonstrations = (1...10).map { Demonstration(caseId: "d\($0)", vars: vars(["task": "echo", "input": "in{{\($0)"]), output: "{\"n\": \($0)}") }
        let parent = start([("user", "Task: {{task}}\nInput: {{input}}")])
        let a = FewShotOperator().propose(parent, c, seed: 5), b = FewShotOperator().propose(parent, c, seed: 5)
        XCTAssertFalse(a.isEmpty)
        XCTAssertEqual(a.map(\.messages), b.map(\.messages), "the same seed draws the same demonstrations")
        for p in a {
            let rendered = c.render(p.messages[0].text, vars(["task": "echo", "input": "now"]))!
            XCTAssertTrue(rendered.hasSuffix("\n\nTask: echo\nInput: now"), rendered)
            let k = Int(p.edit.summary.split(separator: " ")[0])!
            XCTAssertTrue((1...8).contains(k))
            XCTAssertEqual(rendered.components(separatedBy: "Task: echo\nInput: in{{").count - 1, k, "each demonstration in the parent's wording, braces kept literal")
            XCTAssertEqual(rendered.components(separatedBy: "\n{\"n\": ").count - 1, k)
        }
        XCTAssertNotEqual(FewShotOperator().propose(parent, c, seed: 6).map(\.messages), a.map(\.messages))
        c.demonstrations = []
        XCTAssertTrue(FewShotOperator().propose(parent, c, seed: 5).isEmpty)
    }

    func testTransplantOtherVersionsAndTheBackendFormat() {
        var c = context()
        c.otherVersions = [("v1", [PromptMessage(role: "user", text: "Task: {{task}}\nInput: {{input}}")])]
        c.backendFormat = "Task: {{system}}\nInput: {{user}}\nJSON:"
        let ps = TransplantOperator().propose(start([("user", "Please do {{task}} on: {{ input }}")]), c, seed: 1)
        XCTAssertEqual(ps.map(\.messages[0].text), ["Task: {{task}}\nInput: {{input}}",
                                                     "Task: {{task}}\nInput: {{ input }}\nJSON:",
                                                     "Task: Please do {{task}} on:\nInput: {{ input }}\nJSON:"])
        XCTAssertEqual(ps[0].edit.summary, "framing of prompt version 'v1'")
        c.backendFormat = nil
        XCTAssertEqual(TransplantOperator().propose(start([("user", "{{input}}")]), c, seed: 1).count, 1)
    }

    func testWordingOrderDelimitersAndRole() {
        let ps = WordingOperator().propose(start([("user", "Classify {{task}} for this: {{input}}")]), context(), seed: 1)
        let texts = ps.map { Candidate.text($0.messages) }
        XCTAssertEqual(texts, ["{{input}}\n\nClassify {{task}} for this:",
                               "Classify {{task}} for this:\n\"\"\"\n{{input}}\n\"\"\"",
                               "Classify {{task}} for this:\n<input>\n{{input}}\n</input>",
                               "[system]\nClassify {{task}} for this:\n[user]\n{{input}}"])
        let merged = WordingOperator().propose(start([("system", "Be brief."), ("user", "{{input}}")]), context(), seed: 1)
        XCTAssertTrue(merged.contains { $0.messages == [PromptMessage(role: "user", text: "Be brief.\n\n{{input}}")] })
        XCTAssertTrue(WordingOperator().propose(start([("user", "no input here")]), context(), seed: 1).isEmpty)
    }

    func testSplitIsStratifiedSeededAndDisjoint() throws {
        let dir = TempDir()
        let cases = (0..<30).map { i in "{\"id\": \"k\(i)\", \"vars\": {\"task\": \"t\(i % 3)\", \"input\": \"x\(i)\"}, \"validators\": [{\"type\": \"json\"}]}" }
        let suite = try loadSuite(dir, cases: "[" + cases.joined(separator: ",") + "]")
        let s = CaseSplit(suite.cases, fraction: 0.3, seed: 1)
        XCTAssertEqual(s.stratifiedBy, "task")
        XCTAssertEqual(s.heldOut.count, 9)
        XCTAssertEqual(s.search.count, 21)
        XCTAssertTrue(Set(s.heldOut.map(\.id)).isDisjoint(with: s.search.map(\.id)))
        for t in ["t0", "t1", "t2"] { XCTAssertEqual(s.heldOut.filter { $0.vars["task"]?.stringValue == t }.count, 3) }
        XCTAssertEqual(Set(s.search.prefix(3).compactMap { $0.vars["task"]?.stringValue }), ["t0", "t1", "t2"], "every rung prefix is balanced")
        XCTAssertEqual(CaseSplit(suite.cases, fraction: 0.3, seed: 1).heldOut.map(\.id), s.heldOut.map(\.id))
        XCTAssertNotEqual(CaseSplit(suite.cases, fraction: 0.3, seed: 2).heldOut.map(\.id), s.heldOut.map(\.id))
        let two = CaseSplit(Array(suite.cases.prefix(2)), fraction: 0.1, seed: 1)
        XCTAssertEqual([two.search.count, two.heldOut.count], [1, 1], "both splits get a case")
    }

    func testRewriterKeepsCommentsAndLoads() throws {
        let dir = TempDir()
        let element = SuiteRewriter.element(id: "p-opt", description: "from p", messages: [PromptMessage(role: "system", text: "Be \"brief\"."),
                                                                                         PromptMessage(role: "user", text: "{{input}}\n")])
        let variants = [
            ("a.jsonc", "// top comment\n{\n  \"suite\": \"s\", /* inline */\n  \"backends\": [{ \"id\": \"e\", \"type\": \"echo\" }],\n  \"prompts\": [\n    { \"id\": \"p\", \"template\": \"{{input}} ]\" }, // keep me\n  ],\n  \"cases\": [{ \"id\": \"c\", \"vars\": { \"input\": \"x\" }, \"validators\": [{ \"type\": \"json\" }] }]\n}\n"),
            ("b.json", "{\"suite\": \"s\", \"backends\": [{\"id\": \"e\", \"type\": \"echo\"}], \"prompts\": [{\"id\": \"p\", \"template\": \"{{input}}\"}], \"cases\": [{\"id\": \"c\", \"vars\": {\"input\": \"x\"}, \"validators\": [{\"type\": \"json\"}]}]}"),
            ("c.json", "{\n  \"suite\": \"s\",\n  \"prompts\": [\n    {\"id\": \"p\", \"template\": \"{{input}}\"}\n  ],\n  \"backends\": [{\"id\": \"e\", \"type\": \"echo\"}],\n  \"cases\": [{\"id\": \"c\", \"vars\": {\"input\": \"x\"}, \"validators\": [{\"type\": \"json\"}]}]\n}\n"),
            ("d.yaml", "# a YAML suite\nsuite: s\nbackends:\n  - id: e\n    type: echo\nprompts:\n  - id: p   # first\n    template: \"{{input}}\"\n\ncases:\n  - id: c\n    vars: { input: x }\n    validators: [ { type: json } ]\n"),
        ]
        for (name, text) in variants {
            let out = try SuiteRewriter.appendPrompt(element, to: text, file: name)
            let path = dir.write("out-" + name, out)
            let suite = try SuiteLoader().load(path)
            XCTAssertEqual(suite.prompts.map(\.id), ["p", "p-opt"], name)
            XCTAssertEqual(suite.prompts[1].messages.map(\.template.source), ["Be \"brief\".", "{{input}}\n"], name)
            for comment in ["// top comment", "/* inline */", "// keep me", "# a YAML suite", "# first"] where text.contains(comment) {
                XCTAssertTrue(out.contains(comment), "\(name) lost \(comment)")
            }
            XCTAssertTrue(out.hasPrefix(String(text.prefix(10))))
        }
        XCTAssertThrowsError(try SuiteRewriter.appendPrompt(element, to: "{\"suite\": \"s\"}", file: "x.json"))
        XCTAssertThrowsError(try SuiteRewriter.appendPrompt(element, to: "prompts: [{id: p}]\n", file: "x.yaml"))
    }
}
