import Foundation
import ProctorCLI
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// `proctor import promptfoo` on configurations written the way promptfoo's users write them.
final class PromptfooImportTests: XCTestCase {
    func importing(_ yaml: String, files: [String: String] = [:], strict: Bool = false) async throws
        -> (code: Int32, err: String, suite: JSONValue?, text: String, dir: TempDir)
    {
        let dir = TempDir()
        for (k, v) in files { dir.write("proj/" + k, v) }
        let config = dir.write("proj/promptfooconfig.yaml", yaml)
        let console = Console(capturingWith: [:])
        let code = await Proctor.main(["import", "promptfoo", config, "--out", dir.file("suites/imported.jsonc")] + (strict ? ["--strict"] : []),
                                      console: console)
        let text = dir.read("suites/imported.jsonc") ?? ""
        let suite = try? JSONParser.parse(Array(text.utf8), options: .jsonc)
        return (code, console.capturedErr.replacingOccurrences(of: dir.path + "/", with: ""), suite, text, dir)
    }

    func testBasicConfig() async throws {
        let r = try await importing("""
        description: Tweet writer
        prompts:
          - "Write a tweet about {{topic}}"
          - "Write a concise, funny tweet about {{ topic }}"
        providers:
          - openai:gpt-4o-mini
          - id: openai:chat:gpt-4o
            label: big
            config:
              temperature: 0.2
              max_tokens: 128
              top_p: 0.9
              seed: 7
              stop: "###"
        tests:
          - description: bananas
            vars:
              topic: bananas
            assert:
              - type: icontains
                value: banana
              - type: not-contains
                value: "#"
              - type: contains-any
                value: [yellow, fruit]
          - vars:
              topic: avocado toast
            assert:
              - type: regex
                value: "^[A-Z]"
                weight: 2
            threshold: 0.5
        """)
        XCTAssertEqual(r.code, 0, r.err)
        let s = try XCTUnwrap(r.suite, r.text)
        XCTAssertEqual(s["description"], "Tweet writer")
        XCTAssertEqual(s["backends"]?[0], ["id": "openai-gpt-4o-mini", "type": "openai", "model": "gpt-4o-mini"])
        XCTAssertEqual(s["backends"]?[1], ["id": "big", "type": "openai", "model": "gpt-4o", "temperature": 0.2, "maxTokens": 128,
                                           "topP": 0.9, "seed": 7, "stop": ["###"]])
        XCTAssertEqual(s["prompts"]?[1]?["template"], "Write a concise, funny tweet about {{ topic }}")
        XCTAssertEqual(s["cases"]?[0]?["id"], "bananas")
        XCTAssertEqual(s["cases"]?[0]?["validators"]?[1], ["type": "contains", "value": "#", "negate": true])
        XCTAssertEqual(s["cases"]?[1]?["id"], "test-2")
        XCTAssertEqual(s["cases"]?[1]?["threshold"], 0.5)
        XCTAssertEqual(s["cases"]?[1]?["validators"]?[0], ["type": "regex", "pattern": "^[A-Z]", "weight": 2])
        XCTAssertFalse(r.text.contains("NOT imported"), r.text)
    }

    func testAnthropicOllamaAndCompatibleServers() async throws {
        let r = try await importing("""
        prompts: ["Summarise: {{text}}"]
        providers:
          - anthropic:messages:claude-3-5-haiku-20241022
          - ollama:chat:llama3.1
          - id: openai:chat:local-model
            config:
              apiBaseUrl: http://localhost:8080/v1
              apiKeyEnvar: LOCAL_KEY
              response_format: {type: json_object}
        tests:
          - vars: {text: hello}
            assert: [{type: is-json}]
        """)
        XCTAssertEqual(r.code, 0, r.err)
        let s = try XCTUnwrap(r.suite)
        XCTAssertEqual(s["backends"]?[0]?["type"], "anthropic")
        XCTAssertEqual(s["backends"]?[0]?["model"], "claude-3-5-haiku-20241022")
        XCTAssertEqual(s["backends"]?[1]?["baseURL"], "http://localhost:11434/v1")
        XCTAssertEqual(s["backends"]?[2]?["baseURL"], "http://localhost:8080/v1")
        XCTAssertEqual(s["backends"]?[2]?["apiKeyEnv"], "LOCAL_KEY")
        XCTAssertEqual(s["backends"]?[2]?["responseFormat"], ["type": "json_object"])
        XCTAssertTrue(r.err.contains("note: "), "the ollama endpoint choice is reported")
    }

    func testFilesChatPromptsAndDefaultTest() async throws {
        let r = try await importing("""
        prompts:
          - file://prompts/summary.txt
          - file://prompts/chat.json
        providers: [openai:gpt-4o-mini]
        defaultTest:
          vars:
            lang: English
          assert:
            - type: is-json
              value:
                type: object
                required: [summary]
        tests: file://tests.yaml
        """, files: [
            "prompts/summary.txt": "Summarise in {{lang}}: {{doc}}",
            "prompts/chat.json": #"[{"role": "system", "content": "You summarise in {{lang}}."}, {"role": "user", "content": "{{doc}}"}]"#,
            "tests.yaml": "- vars: {doc: A long text.}\n- description: second\n  vars: {doc: Another.}\n",
        ])
        XCTAssertEqual(r.code, 0, r.err)
        let s = try XCTUnwrap(r.suite)
        XCTAssertEqual(s["prompts"]?[0]?["file"], "../proj/prompts/summary.txt")
        XCTAssertEqual(s["prompts"]?[1]?["messages"]?[0]?["role"], "system")
        XCTAssertEqual(s["defaults"]?["vars"], ["lang": "English"])
        XCTAssertEqual(s["defaults"]?["validators"]?[0]?["type"], "all")
        XCTAssertEqual(s["defaults"]?["validators"]?[0]?["validators"]?[1]?["type"], "json-schema")
        XCTAssertEqual(s["cases"]?.arrayValue?.count, 2)
        XCTAssertEqual(s["cases"]?[1]?["id"], "second")
    }

    /// A configuration whose tests are the CSV file `csv`.
    func importingCSV(_ csv: String) async throws -> (code: Int32, err: String, suite: JSONValue?, text: String, dir: TempDir) {
        try await importing("prompts: [\"Classify: {{ticket}}\"]\nproviders: [openai:gpt-4o-mini]\ntests: file://cases.csv\n", files: ["cases.csv": csv])
    }

    func testCSVTestsWithExpectedColumns() async throws {
        let r = try await importingCSV("ticket,__expected\nrefund please,contains: refund\nit crashes,bug\n")
        XCTAssertEqual(r.code, 0, r.err)
        let s = try XCTUnwrap(r.suite)
        XCTAssertEqual(s["cases"]?[0]?["validators"]?[0], ["type": "contains", "value": "refund"])
        XCTAssertEqual(s["cases"]?[1]?["validators"]?[0], ["type": "equals", "value": "bug"])
        XCTAssertEqual(s["cases"]?[1]?["vars"], ["ticket": "it crashes"])
        // Every prefix promptfoo reads is read as that check, never as a literal equals; one
        // Proctor cannot map is reported as not imported.
        let more = try await importingCSV("ticket,__expected,__expected2\nrefund,\"contains-any: refund, money\",not-starts-with: Sorry\nbug,levenshtein(2): bug,is-sql\n")
        XCTAssertEqual(more.code, 0, more.err)
        let m = try XCTUnwrap(more.suite)
        XCTAssertEqual(m["cases"]?[0]?["validators"]?[0], ["type": "contains-any", "values": ["refund", "money"]])
        XCTAssertEqual(m["cases"]?[0]?["validators"]?[1], ["type": "starts-with", "value": "Sorry", "negate": true])
        XCTAssertEqual(m["cases"]?[1]?["validators"]?[0], ["type": "similar", "value": "bug", "maxDistance": 2])
        XCTAssertTrue(more.err.contains("not imported") && more.err.contains("is-sql"), more.err)
        XCTAssertFalse(more.text.contains("\"value\": \"is-sql\""), "never a literal equals")
        // file:// variables are kept, made relative to the written suite, and the suite loads them.
        let files = try await importing("""
        prompts: ["Summarise: {{doc}}"]
        providers: [openai:gpt-4o-mini]
        tests:
          - vars: {doc: file://docs/a.txt}
            assert: [{type: contains, value: x}]
        """, files: ["docs/a.txt": "alpha"])
        XCTAssertEqual(files.code, 0, files.err)
        XCTAssertEqual(try XCTUnwrap(files.suite)["cases"]?[0]?["vars"], ["doc": "file://../proj/docs/a.txt"])
    }

    /// Multi-line script assertions run as promptfoo runs them (a body with `return`), `metric`
    /// becomes a named metric, and notes for tests in a tests file point into that file.
    func testScriptBodiesMetricsAndTestFileLocations() async throws {
        for program in ["node", "python3"] {
            let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            guard path.contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }) else {
                throw XCTSkip("\(program) is not on PATH")
            }
        }
        let r = try await importing("""
        prompts: ["Say: {{text}}"]
        providers: [openai:gpt-4o-mini]
        tests: file://tests.yaml
        """, files: ["tests.yaml": """
        - vars: {text: short answer here}
          assert:
            - type: javascript
              value: |
                const words = output.split(' ');
                return words.length < 30;
              metric: brevity
            - type: python
              value: |
                n = len(output)
                return n > 3
            - type: icontains
              value: SHORT
              metric: brevity
            - type: javascript
              value: "!output.includes('return policy')"
            - type: python
              value: "'return' not in output"

        """])
        XCTAssertEqual(r.code, 0, r.err)
        let s = try XCTUnwrap(r.suite)
        let validators = try XCTUnwrap(s["cases"]?[0]?["validators"]?.arrayValue)
        XCTAssertEqual(validators.map { $0["metric"]?.stringValue }, ["brevity", nil, "brevity", nil, nil])
        XCTAssertTrue(r.err.contains("tests.yaml:1:3: javascript assertion runs as a command validator"), r.err)
        // The imported checks run: an echo suite with them passes on the case's text.
        let dir = r.dir
        let runSuite = dir.write("proj/run.json", JSONSerializer.string(["suite": "run", "backends": [["id": "e", "type": "echo"]],
                                                                        "prompts": [["id": "p", "template": "short answer here"]],
                                                                        "cases": [["id": "a", "validators": .array(validators)]]]))
        let console = Console(capturingWith: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        let code = await Proctor.main(["run", runSuite, "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")], console: console)
        XCTAssertEqual(code, 0, console.capturedErr + (dir.read("r.json") ?? ""))
    }

    /// `--backends FILE` replaces the imported providers (and is an input `--out` cannot overwrite).
    func testBackendsFileReplacesProviders() async throws {
        let dir = TempDir()
        let config = dir.write("proj/promptfooconfig.yaml", "prompts: [\"Hi {{name}}\"]\nproviders: [openai:gpt-4o-mini]\ntests:\n  - vars: {name: Ada}\n    assert: [{type: contains, value: Ada}]\n")
        let backends = dir.write("proj/backends.json", #"[{"id": "local", "type": "echo"}]"#)
        let console = Console(capturingWith: [:])
        let code = await Proctor.main(["import", "promptfoo", config, "--out", dir.file("suites/s.jsonc"), "--backends", backends], console: console)
        XCTAssertEqual(code, 0, console.capturedErr)
        let suite = try JSONParser.parse(Array((dir.read("suites/s.jsonc") ?? "").utf8), options: .jsonc)
        XCTAssertEqual(suite["backends"], [["id": "local", "type": "echo"]])
        XCTAssertTrue(console.capturedErr.contains("providers replaced by the --backends file's 1 backend"), console.capturedErr)
        let onto = Console(capturingWith: [:])
        let c2 = await Proctor.main(["import", "promptfoo", config, "--out", backends, "--backends", backends, "--force"], console: onto)
        XCTAssertEqual(c2, 2)
        XCTAssertTrue(onto.capturedErr.contains("would overwrite"), onto.capturedErr)
        let bad = dir.write("proj/bad.json", #"{"id": "x"}"#)
        let c3 = Console(capturingWith: [:])
        let code3 = await Proctor.main(["import", "promptfoo", config, "--out", dir.file("suites/t.jsonc"), "--backends", bad], console: c3)
        XCTAssertEqual(code3, 2)
        XCTAssertTrue(c3.capturedErr.contains("--backends holds a JSON list"), c3.capturedErr)
    }

    func testModelGradedAndOtherAssertions() async throws {
        let r = try await importing("""
        prompts: ["Reply to: {{msg}}"]
        providers: [openai:gpt-4o-mini]
        defaultTest:
          options:
            provider: openai:gpt-4o
        tests:
          - vars: {msg: "my order is late"}
            assert:
              - type: llm-rubric
                value: apologises and gives a date
              - type: factuality
                value: The order arrives Friday.
              - type: latency
                threshold: 3000
              - type: levenshtein
                value: Sorry, it arrives Friday.
                threshold: 10
              - type: finish-reason
                value: stop
              - type: icontains-all
                value: [sorry, friday]
              - type: assert-set
                assert:
                  - type: contains
                    value: Friday
                  - type: starts-with
                    value: Sorry
        """)
        XCTAssertEqual(r.code, 0, r.err)
        let s = try XCTUnwrap(r.suite, r.text)
        XCTAssertEqual(s["graders"]?[0]?["model"], "gpt-4o", "defaultTest.options.provider grades")
        XCTAssertEqual(s["defaults"]?["grader"], "grader")
        let v = try XCTUnwrap(s["cases"]?[0]?["validators"]?.arrayValue)
        XCTAssertEqual(v.map { $0["type"]!.stringValue! }, ["rubric", "factuality", "latency", "similar", "finish", "all", "all"])
        XCTAssertEqual(v[3]["maxDistance"], 10)
        XCTAssertEqual(v[5]["validators"]?[0], ["type": "icontains", "value": "sorry"])
    }

    func testUnsupportedItemsAreReportedWithLocations() async throws {
        let r = try await importing("""
        prompts:
          - "Say {{ name | upper }}"
          - "Hello {{name}}"
        providers:
          - vertex:gemini-pro
          - openai:gpt-4o-mini
        sharing: true
        tests:
          - vars: {name: Ada}
            options: {transform: output.trim()}
            assert:
              - type: perplexity
                threshold: 2
              - type: contains
                value: Ada
        """)
        XCTAssertEqual(r.code, 0, r.err)
        for expected in ["promptfooconfig.yaml:2:5: the prompt uses '{{name | upper}}', which is not a plain variable",
                         "promptfooconfig.yaml:5:5: provider 'vertex:gemini-pro' has no Proctor backend",
                         "promptfooconfig.yaml:7:1: top-level \"sharing\" has no Proctor equivalent",
                         "promptfooconfig.yaml:10:5: test key \"options\" has no Proctor equivalent",
                         "promptfooconfig.yaml:12:9: assertion type 'perplexity' has no Proctor equivalent"] {
            XCTAssertTrue(r.err.contains("not imported: proj/" + expected), "\(expected)\n\(r.err)")
        }
        XCTAssertTrue(r.text.contains("// NOT imported"), "the written suite lists them too")
        XCTAssertEqual(r.suite?["prompts"]?.arrayValue?.count, 1)
        XCTAssertEqual(r.suite?["cases"]?[0]?["validators"]?.arrayValue?.count, 1)
        let strict = try await importing("prompts: ['x']\nproviders: [openai:gpt-4o-mini]\nsharing: true\ntests: [{vars: {}, assert: [{type: contains, value: x}]}]\n", strict: true)
        XCTAssertEqual(strict.code, 2)
        XCTAssertEqual(strict.text, "", "--strict writes nothing")
    }

    func testScriptAssertionsBecomeCommandValidators() async throws {
        let r = try await importing("""
        prompts: ["x"]
        providers: [openai:gpt-4o-mini]
        tests:
          - assert:
              - type: python
                value: file://checks/is_short.py
              - type: python
                value: len(output) < 100
        """, files: ["checks/is_short.py": "def get_assert(output, context):\n    return len(output) < 50\n"])
        XCTAssertEqual(r.code, 0, r.err)
        let v = try XCTUnwrap(r.suite?["cases"]?[0]?["validators"]?.arrayValue)
        XCTAssertEqual(v[0]["type"], "command")
        XCTAssertEqual(v[0]["argv"]?[0], "python3")
        XCTAssertEqual(v[0]["argv"]?[3], "file://../proj/checks/is_short.py")

        // The converted validators really run: echo answers "x", which is short.
        let dir = r.dir
        dir.write("suites/run.jsonc", r.text.replacingOccurrences(of: #""type": "openai""#, with: #""type": "echo""#)
            .replacingOccurrences(of: #""model": "gpt-4o-mini""#, with: #""response": "x""#))
        let console = Console(capturingWith: [:])
        let code = await Proctor.main(["run", dir.file("suites/run.jsonc"), "--json", dir.file("r.json"), "--junit", dir.file("j.xml"),
                                       "--markdown", dir.file("s.md")], console: console)
        XCTAssertEqual(code, 0, console.capturedErr + (dir.read("r.json") ?? ""))
    }

    func testLabelledPromptsJSONLTestsAndNunjucksTags() async throws {
        let r = try await importing("""
        prompts:
          - label: formal
            raw: "Dear {{name}},"
          - id: file://greeting.txt
            label: casual
          - "{% for x in items %}{{x}}{% endfor %}"
        providers:
          - anthropic:completion:claude-2
          - openai:gpt-4o-mini
        tests:
          - file://cases.jsonl
          - vars: {name: Bo}
            assert:
              - type: javascript
                value: output.length > 3
        """, files: ["greeting.txt": "Hi {{name}}!", "cases.jsonl": #"{"vars": {"name": "Ada"}, "assert": [{"type": "starts-with", "value": "D"}]}"# + "\n"])
        XCTAssertEqual(r.code, 0, r.err)
        let s = try XCTUnwrap(r.suite, r.text)
        XCTAssertEqual(s["prompts"]?.arrayValue?.map { $0["id"]!.stringValue! }, ["formal", "casual"])
        XCTAssertEqual(s["prompts"]?[1]?["file"], "../proj/greeting.txt")
        XCTAssertEqual(s["backends"]?.arrayValue?.count, 1, "anthropic:completion is not the Messages API")
        XCTAssertEqual(s["cases"]?[0]?["validators"]?[0], ["type": "starts-with", "value": "D"])
        let nodeOnPath = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/node") }
        if nodeOnPath {
            XCTAssertEqual(s["cases"]?[1]?["validators"]?[0]?["argv"]?[0], "node")
        } else {
            XCTAssertTrue(r.err.contains("node is not on PATH"), r.err)
        }
        XCTAssertTrue(r.err.contains("the prompt uses Nunjucks tags"), r.err)
        XCTAssertTrue(r.err.contains("anthropic:completion is not the Messages API"), r.err)
    }

    func testBrokenConfigsFailClearly() async throws {
        let syntax = try await importing("prompts: [\n")
        XCTAssertEqual(syntax.code, 2)
        XCTAssertTrue(syntax.err.contains("promptfooconfig.yaml:2:1:"), syntax.err)
        let empty = try await importing("prompts: ['x']\nproviders: [bedrock:claude]\ntests: [{vars: {}}]\n")
        XCTAssertEqual(empty.code, 2)
        XCTAssertTrue(empty.err.contains("no provider could be imported"), empty.err)
    }
}
