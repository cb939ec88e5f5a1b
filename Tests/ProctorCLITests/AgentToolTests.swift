import Foundation
import ProctorCLI
import ProctorJSON
import ProctorTestSupport
import XCTest

/// Tools and the tool loop through the CLI against the loopback server: each API's own request
/// fields checked one by one, the mocks' results sent back in each API's form, the transcript in
/// results.json, a replay of the whole conversation offline, and the load-time errors.
final class AgentToolTests: XCTestCase {
    func run(_ argv: [String], in dir: TempDir, env: [String: String] = [:]) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: env.merging(["PROCTOR_CACHE_DIR": dir.file("cache")]) { a, _ in a })
        let code = await Proctor.main(argv + ["--no-cache", "--json", dir.file("r/results.json"), "--html", dir.file("r/report.html")], console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func body(_ r: MockHTTPServer.Request) throws -> JSONValue { try JSONParser.parse(r.body) }

    /// An OpenAI model that calls get_weather for the city in the user's message, then answers
    /// with what the tool said.
    static func openAIAgent(_ r: MockHTTPServer.Request) -> MockHTTPServer.Behavior {
        guard let v = try? JSONParser.parse(r.body), let ms = v["messages"]?.arrayValue, let last = ms.last else { return .close }
        if last["role"]?.stringValue == "tool" {
            let said = last["content"]?.stringValue ?? ""
            return MockHTTPServer.openAI("The tool says: \(said)")
        }
        let city = (last["content"]?.stringValue ?? "").replacingOccurrences(of: "Weather in ", with: "").replacingOccurrences(of: "?", with: "")
        let args = JSONSerializer.quote(#"{"city":"\#(city)"}"#)
        return .respond(status: 200, headers: [:], body: #"{"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":\#(args)}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":5}}"#)
    }

    static let weatherTool = """
      "tools": [{"name": "get_weather", "description": "Current weather for a city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
                 "mock": {"city": "{{args.city}}", "tempC": "{{temp}}"}}]
    """

    func testOpenAIToolLoopSendsToolsAndResultsAndKeepsTheTranscript() async throws {
        let server = try MockHTTPServer(fallback: Self.openAIAgent)
        defer { server.stop() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "agent", "backends": [{"id": "gpt", "type": "openai", "model": "m", "baseURL": "\(server.baseURL)"}],
         \(Self.weatherTool), "toolChoice": "auto",
         "prompts": [{"id": "p", "template": "Weather in {{city}}?"}],
         "cases": [{"id": "paris", "vars": {"city": "Paris", "temp": 21}, "validators": [
                      {"type": "tool-call", "name": "get_weather", "args": {"city": "Paris"}},
                      {"type": "tool-sequence", "names": ["get_weather"]},
                      {"type": "tool-call-f1", "expected": [{"name": "get_weather", "args": {"city": "Paris"}}]},
                      {"type": "contains", "value": "\\"tempC\\":21"}]},
                   {"id": "wrong-city", "vars": {"city": "Lyon", "temp": 18}, "validators": [
                      {"type": "tool-call", "name": "get_weather", "args": {"city": "Paris"}}]}]}
        """)
        let r = await run(["run", suite, "-j", "1"], in: dir)
        XCTAssertEqual(r.code, 1, "the wrong-city case fails: " + r.err)
        let reqs = server.requests
        XCTAssertEqual(reqs.count, 4, "two rounds per case")
        // First request: the tools in OpenAI's form and the tool choice.
        let first = try body(reqs[0])
        XCTAssertEqual(first["tools"]?[0]?["type"], "function")
        XCTAssertEqual(first["tools"]?[0]?["function"]?["name"], "get_weather")
        XCTAssertEqual(first["tools"]?[0]?["function"]?["description"], "Current weather for a city")
        XCTAssertEqual(first["tools"]?[0]?["function"]?["parameters"]?["required"], ["city"])
        XCTAssertEqual(first["tool_choice"], "auto")
        XCTAssertEqual(first["messages"]?.arrayValue?.count, 1)
        // Second: the assistant's call, then the mock's result answering it.
        let second = try body(reqs[1])
        let ms = try XCTUnwrap(second["messages"]?.arrayValue)
        XCTAssertEqual(ms.count, 3)
        XCTAssertEqual(ms[1]["role"], "assistant")
        XCTAssertEqual(ms[1]["content"], .null)
        XCTAssertEqual(ms[1]["tool_calls"]?[0]?["id"], "call_1")
        XCTAssertEqual(ms[1]["tool_calls"]?[0]?["type"], "function")
        XCTAssertEqual(ms[1]["tool_calls"]?[0]?["function"]?["name"], "get_weather")
        XCTAssertEqual(try JSONParser.parse(XCTUnwrap(ms[1]["tool_calls"]?[0]?["function"]?["arguments"]?.stringValue)), ["city": "Paris"])
        XCTAssertEqual(ms[2]["role"], "tool")
        XCTAssertEqual(ms[2]["tool_call_id"], "call_1")
        XCTAssertEqual(ms[2]["content"], #"{"city":"Paris","tempC":21}"#, "the mock renders args and case variables, numbers typed")
        XCTAssertNotNil(second["tools"], "every request of the loop carries the tools")

        let results = try JSONParser.parse(XCTUnwrap(dir.read("r/results.json")))["results"]?.arrayValue ?? []
        let paris = try XCTUnwrap(results.first { $0["case"] == "paris" })
        XCTAssertEqual(paris["status"], "passed", "\(paris)")
        XCTAssertEqual(paris["output"], #"The tool says: {"city":"Paris","tempC":21}"#)
        XCTAssertEqual(paris["toolCalls"], [["id": "call_1", "name": "get_weather", "arguments": ["city": "Paris"]]])
        let transcript = try XCTUnwrap(paris["transcript"]?.arrayValue)
        XCTAssertEqual(transcript.map { $0["role"]?.stringValue ?? "" }, ["assistant", "tool", "assistant"])
        XCTAssertEqual(transcript[0]["usage"], ["promptTokens": 10, "outputTokens": 5])
        XCTAssertNotNil(transcript[0]["latencyMs"])
        XCTAssertEqual(transcript[1]["toolCallId"], "call_1")
        XCTAssertEqual(paris["usage"], ["promptTokens": 17, "outputTokens": 8], "usage summed over the loop")
        let html = try XCTUnwrap(dir.read("r/report.html"))
        XCTAssertTrue(html.contains("conversation: 2 replies, 1 tool call"), "the HTML cell expands to the turns")
        XCTAssertTrue(html.contains("→ get_weather({&quot;city&quot;:&quot;Paris&quot;})") || html.contains(#"→ get_weather({"city":"Paris"})"#))
        let lyon = try XCTUnwrap(results.first { $0["case"] == "wrong-city" })
        XCTAssertEqual(lyon["status"], "failed")
        XCTAssertTrue(lyon["validators"]?[0]?["message"]?.stringValue?.contains(#"had arguments {"city":"Lyon"}"#) == true, "\(lyon)")
    }

    func testAnthropicToolLoopUsesToolUseAndToolResultBlocks() async throws {
        let server = try MockHTTPServer { r in
            guard let v = try? JSONParser.parse(r.body), let last = v["messages"]?.arrayValue?.last else { return .close }
            if case .array(let blocks)? = last["content"], blocks.first?["type"] == "tool_result" {
                return MockHTTPServer.anthropic("done: " + (blocks[0]["content"]?.stringValue ?? ""))
            }
            return .respond(status: 200, headers: [:], body: #"{"id":"m","type":"message","content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_9","name":"get_weather","input":{"city":"Oslo"}}],"stop_reason":"tool_use","usage":{"input_tokens":9,"output_tokens":4}}"#)
        }
        defer { server.stop() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "agent", "backends": [{"id": "claude", "type": "anthropic", "model": "c", "baseURL": "\(server.baseURL)"}],
         \(Self.weatherTool), "toolChoice": "required",
         "prompts": [{"id": "p", "system": "Be brief.", "template": "Weather in {{city}}?"}],
         "cases": [{"id": "oslo", "vars": {"city": "Oslo", "temp": -3}, "validators": [
                      {"type": "tool-call", "name": "get_weather", "count": 1},
                      {"type": "no-tool-call", "name": "get_time"},
                      {"type": "starts-with", "value": "done: "}]}]}
        """)
        let r = await run(["run", suite], in: dir)
        XCTAssertEqual(r.code, 2, "no-tool-call names an undeclared tool: a load error: " + r.err)
        XCTAssertTrue(r.err.contains("names tool 'get_time', which no prompt declares"), r.err)
        _ = dir.write("s.json", try XCTUnwrap(dir.read("s.json")).replacingOccurrences(of: #"{"type": "no-tool-call", "name": "get_time"},"#, with: ""))
        let ok = await run(["run", suite], in: dir)
        XCTAssertEqual(ok.code, 0, ok.err)
        let reqs = server.requests
        XCTAssertEqual(reqs.count, 2)
        let first = try body(reqs[0])
        XCTAssertEqual(first["tools"]?[0]?["name"], "get_weather")
        XCTAssertEqual(first["tools"]?[0]?["input_schema"]?["type"], "object")
        XCTAssertEqual(first["tool_choice"], ["type": "any"], "required is Anthropic's any")
        XCTAssertEqual(first["system"], "Be brief.")
        let ms = try XCTUnwrap(try body(reqs[1])["messages"]?.arrayValue)
        XCTAssertEqual(ms.count, 3)
        XCTAssertEqual(ms[1]["role"], "assistant")
        XCTAssertEqual(ms[1]["content"]?[0], ["type": "text", "text": "Let me check."], "the text beside the call goes back as it was")
        XCTAssertEqual(ms[1]["content"]?[1], ["type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": ["city": "Oslo"]])
        XCTAssertEqual(ms[2]["role"], "user")
        XCTAssertEqual(ms[2]["content"]?[0]?["type"], "tool_result")
        XCTAssertEqual(ms[2]["content"]?[0]?["tool_use_id"], "toolu_9")
        XCTAssertEqual(ms[2]["content"]?[0]?["content"], #"{"city":"Oslo","tempC":-3}"#)
    }

    func testMaxToolRoundsIsAnErrorAndCommandMocksGetTheArguments() async throws {
        let server = try MockHTTPServer { _ in
            .respond(status: 200, headers: [:], body: #"{"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"again\"}"}}]},"finish_reason":"tool_calls"}]}"#)
        }
        defer { server.stop() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "loop", "backends": [{"id": "gpt", "type": "openai", "model": "m", "baseURL": "\(server.baseURL)"}],
         "tools": [{"name": "lookup", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
                    "mock": {"command": ["sh", "-c", "printf 'seen '; cat; printf ' by %s' \\"$PROCTOR_TOOL_NAME\\""]}}],
         "maxToolRounds": 2,
         "prompts": [{"id": "p", "template": "go"}],
         "cases": [{"id": "a", "validators": [{"type": "tool-call", "name": "lookup"}]}]}
        """)
        let r = await run(["run", suite], in: dir)
        XCTAssertEqual(r.code, 1, r.err)
        XCTAssertEqual(server.requests.count, 3, "two rounds answered, then the third reply still calls a tool")
        let third = try body(server.requests[2])
        XCTAssertEqual(third["messages"]?[2]?["content"], #"seen {"q":"again"} by lookup"#)
        let res = try XCTUnwrap(try JSONParser.parse(XCTUnwrap(dir.read("r/results.json")))["results"]?[0])
        XCTAssertEqual(res["status"], "error")
        XCTAssertTrue(res["error"]?.stringValue?.contains("after maxToolRounds (2) rounds") == true, "\(res)")
        XCTAssertEqual(res["transcript"]?.arrayValue?.count, 5, "call, result, call, result, call")
    }

    func testAWholeConversationReplaysOffline() async throws {
        let server = try MockHTTPServer(fallback: Self.openAIAgent)
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "agent", "backends": [{"id": "gpt", "type": "openai", "model": "m", "baseURL": "\(server.baseURL)", "cassette": "gpt.jsonl"}],
         \(Self.weatherTool),
         "prompts": [{"id": "p", "template": "Weather in {{city}}?"}],
         "cases": [{"id": "paris", "vars": {"city": "Paris", "temp": 21}, "validators": [{"type": "tool-call", "name": "get_weather", "args": {"city": "Paris"}}]}]}
        """)
        let rec = await run(["run", suite, "--record"], in: dir)
        XCTAssertEqual(rec.code, 0, rec.err)
        XCTAssertEqual(server.requests.count, 2)
        let live = try XCTUnwrap(dir.read("r/results.json"))
        server.stop()
        let rep = await run(["run", suite, "--replay"], in: dir)
        XCTAssertEqual(rep.code, 0, rep.err)
        let a = try JSONParser.parse(live)["results"]?[0], b = try JSONParser.parse(XCTUnwrap(dir.read("r/results.json")))["results"]?[0]
        XCTAssertEqual(a?["output"], b?["output"])
        XCTAssertEqual(a?["toolCalls"], b?["toolCalls"])
        XCTAssertEqual(a?["transcript"]?.arrayValue?.map { $0["content"] }, b?["transcript"]?.arrayValue?.map { $0["content"] })
        XCTAssertEqual(b?["replayed"], true)
        // A changed mock changes the second request: the replay misses, and says so.
        _ = dir.write("s.json", try XCTUnwrap(dir.read("s.json")).replacingOccurrences(of: "\"tempC\"", with: "\"temperatureC\""))
        let miss = await run(["run", suite, "--replay"], in: dir)
        XCTAssertNotEqual(miss.code, 0)
        let res = try JSONParser.parse(XCTUnwrap(dir.read("r/results.json")))["results"]?[0]
        XCTAssertEqual(res?["status"], "error")
        XCTAssertTrue(res?["error"]?.stringValue?.hasPrefix("after 1 tool round: ") == true, "\(String(describing: res))")
        // A changed tool choice misses at once, and the replay says what changed.
        _ = dir.write("s.json", try XCTUnwrap(dir.read("s.json")).replacingOccurrences(of: "\"prompts\":", with: "\"toolChoice\": \"required\", \"prompts\":"))
        _ = await run(["run", suite, "--replay"], in: dir)
        let changed = try JSONParser.parse(XCTUnwrap(dir.read("r/results.json")))["results"]?[0]?["error"]?.stringValue ?? ""
        XCTAssertTrue(changed.contains("toolChoice: unset → required"), changed)
    }

    func testToolDeclarationsAreCheckedWhenTheSuiteLoads() async throws {
        let dir = TempDir()
        let base = #""prompts": [{"id": "p", "template": "x"}], "cases": [{"id": "a", "validators": [{"type": "contains", "value": "x"}]}]"#
        let openai = #"[{"id": "gpt", "type": "openai", "model": "m", "baseURL": "http://127.0.0.1:9"}]"#
        let tool = #"{"name": "t", "parameters": {"type": "object"}}"#
        for (suite, message) in [
            (#"{"backends": [{"id": "e", "type": "echo"}], "tools": [\#(tool)], \#(base)}"#, "backend 'e' (echo) cannot send the suite's tools"),
            (#"{"backends": [{"id": "g", "type": "openai", "model": "m", "endpoint": "completions"}], "tools": [\#(tool)], \#(base)}"#, "sends a prompt, which carries no tools"),
            (#"{"backends": \#(openai), "tools": [\#(tool)], "toolChoice": "other", \#(base)}"#, "\"toolChoice\" names no declared tool: 'other'"),
            (#"{"backends": \#(openai), "tools": [{"name": "bad name"}], \#(base)}"#, "tool name 'bad name' must be 1 to 64 letters"),
            (#"{"backends": \#(openai), "tools": [{"name": "t", "parameters": {"type": "string"}}], \#(base)}"#, "must describe an object"),
            (#"{"backends": \#(openai), "tools": [\#(tool), \#(tool)], \#(base)}"#, "duplicate tool name 't'"),
            (#"{"backends": \#(openai), "tools": [{"name": "a", "mock": "x"}, {"name": "b"}], \#(base)}"#, "tool 'b' has no \"mock\" while others have one"),
            (#"{"backends": \#(openai), "tools": [{"name": "a", "mock": {"command": ["no-such-program-xyz"]}}], \#(base)}"#, "program 'no-such-program-xyz' not found"),
            (#"{"backends": \#(openai), "tools": [{"name": "a", "mock": "{{unknown}}"}], \#(base)}"#, "does not define variable 'unknown' used by the mock of tool 'a'"),
            (#"{"backends": [{"id": "gpt", "type": "openai", "model": "m", "extra": {"tools": []}}], "tools": [\#(tool)], \#(base)}"#, "remove it from \"extra\""),
            (#"{"backends": \#(openai), "tools": [{"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}, "mock": "ok"}], "maxToolRounds": 0, \#(base)}"#, "\"maxToolRounds\" must be a positive integer"),
        ] {
            let path = dir.write("s.json", suite)
            let r = await run(["run", path], in: dir)
            XCTAssertEqual(r.code, 2, suite)
            XCTAssertTrue(r.err.contains(message), "expected “\(message)” in: \(r.err)")
            XCTAssertTrue(r.err.contains("s.json:1:"), "the error names the file and line: \(r.err)")
        }
    }

    func testScriptedTurnsCarryTheWholeConversationAndCheckEachReply() async throws {
        let server = try MockHTTPServer { r in
            let ms = (try? JSONParser.parse(r.body))?["messages"]?.arrayValue ?? []
            let last = ms.last?["content"]?.stringValue ?? ""
            return MockHTTPServer.openAI("\(ms.count) messages; you said: \(last)")
        }
        defer { server.stop() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "chat", "backends": [{"id": "gpt", "type": "openai", "model": "m", "baseURL": "\(server.baseURL)"}],
         "prompts": [{"id": "p", "system": "You are terse."}],
         "cases": [{"id": "memory", "vars": {"name": "Ann"},
                    "turns": [{"user": "My name is {{name}}.", "validators": [{"type": "contains", "value": "{{name}}"}]},
                              {"user": "What is my name?", "validators": [{"type": "contains", "value": "4 messages"}, {"type": "contains", "value": "Bob"}]}],
                    "validators": [{"type": "contains", "value": "What is my name?"}]}]}
        """)
        let r = await run(["run", suite], in: dir)
        XCTAssertEqual(r.code, 1, "turn 2's second check fails: " + r.err)
        let reqs = server.requests
        XCTAssertEqual(reqs.count, 2)
        let second = try XCTUnwrap(try body(reqs[1])["messages"]?.arrayValue)
        XCTAssertEqual(second.map { $0["role"]?.stringValue ?? "" }, ["system", "user", "assistant", "user"])
        XCTAssertEqual(second[1]["content"], "My name is Ann.")
        XCTAssertEqual(second[2]["content"], "2 messages; you said: My name is Ann.")
        let res = try XCTUnwrap(try JSONParser.parse(XCTUnwrap(dir.read("r/results.json")))["results"]?[0])
        XCTAssertEqual(res["status"], "failed")
        let messages = (res["validators"]?.arrayValue ?? []).map { "\($0["pass"]?.boolValue == true ? "ok" : "FAIL") \($0["message"]?.stringValue ?? "")" }
        XCTAssertEqual(messages.count, 4)
        XCTAssertTrue(messages[0].hasPrefix("ok turn 1: "), "\(messages)")
        XCTAssertTrue(messages[1].hasPrefix("ok turn 2: "), "\(messages)")
        XCTAssertTrue(messages[2].hasPrefix("FAIL turn 2: "), "\(messages)")
        XCTAssertTrue(messages[3].hasPrefix("ok "), "the case's own check reads the last reply: \(messages)")
        XCTAssertEqual(res["output"], "4 messages; you said: What is my name?")
        XCTAssertEqual((res["transcript"]?.arrayValue ?? []).map { $0["role"]?.stringValue ?? "" }, ["user", "assistant", "user", "assistant"])
        XCTAssertEqual(res["usage"], ["promptTokens": 14, "outputTokens": 6])

        // A system-only prompt needs turns in every case.
        let bad = dir.write("b.json", """
        {"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "system": "s"}],
         "cases": [{"id": "a", "validators": [{"type": "contains", "value": "x"}]}]}
        """)
        let e = await run(["run", bad], in: dir)
        XCTAssertEqual(e.code, 2)
        XCTAssertTrue(e.err.contains("case 'a' has no \"turns\", and prompt 'p' holds only a system message"), e.err)
        let undefined = dir.write("u.json", """
        {"backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "system": "s"}],
         "cases": [{"id": "a", "turns": [{"user": "hi {{who}}"}], "allowEmpty": true}]}
        """)
        let u = await run(["run", undefined], in: dir)
        XCTAssertEqual(u.code, 2)
        XCTAssertTrue(u.err.contains("u.json:2:") && u.err.contains("does not define variable 'who' used by turn 1"), u.err)
    }

    /// The example agent suite on the built-in model: the model calls get_weather for a weather
    /// question, the mock's result goes back in the corpus's form, and the model answers from it;
    /// a greeting is answered without a call. Recorded, the same loop replays from a `replay` backend.
    func testTheBuiltinModelRunsTheLoopAndAReplayBackendReproducesIt() async throws {
        let root = SharedData.projectRoot.path
        let dir = TempDir()
        let suite = dir.write("agent.json", """
        {"suite": "agent", "backends": [
            {"id": "tiny", "type": "builtin", "model": "\(root)/fixtures/models/proctor-tiny.bin", "tokenizer": "\(root)/fixtures/models/proctor-tiny.tokenizer.bin",
             "template": "model", "maxTokens": 64, "temperature": 0, "stop": ["\\n"], "cassette": "tiny.jsonl"},
            {"id": "again", "type": "replay", "source": "tiny", "cassette": "tiny.jsonl"}],
         "tools": [{"name": "get_weather", "parameters": {"type": "object", "additionalProperties": false, "required": ["location", "days"],
                    "properties": {"location": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 14}}},
                    "mock": {"location": "{{args.location}}", "forecast": "{{forecast}}", "tempC": "{{tempC}}"}}],
         "prompts": [{"id": "agent", "system": "tool", "template": "{{question}}"}],
         "cases": [{"id": "oslo", "vars": {"question": "Will it rain in Oslo in the next 2 days?", "forecast": "rain", "tempC": 12},
                    "validators": [{"type": "tool-call", "name": "get_weather", "args": {"location": "Oslo", "days": 2}}, {"type": "contains", "value": "rain, 12 C"}]},
                   {"id": "hello", "vars": {"question": "Say hello to Maria.", "forecast": "-", "tempC": 0},
                    "validators": [{"type": "no-tool-call"}, {"type": "contains", "value": "Hello, Maria!"}]}]}
        """)
        let rec = await run(["run", suite, "--record", "--backend", "tiny"], in: dir)
        XCTAssertEqual(rec.code, 0, rec.err + rec.out)
        let live = try JSONParser.parse(XCTUnwrap(dir.read("r/results.json")))["results"]?.arrayValue ?? []
        let oslo = try XCTUnwrap(live.first { $0["case"] == "oslo" })
        XCTAssertEqual(oslo["toolCalls"]?[0]?["id"], "call_1")
        XCTAssertEqual(oslo["toolCalls"]?[0]?["arguments"], ["location": "Oslo", "days": 2])
        XCTAssertEqual(oslo["transcript"]?[1]?["content"], #"{"location":"Oslo","forecast":"rain","tempC":12}"#)
        XCTAssertEqual(oslo["constrained"], nil, "the final answer is free text; the call was decoded under its grammar")
        let rep = await run(["run", suite, "--backend", "again"], in: dir)
        XCTAssertEqual(rep.code, 0, rep.err + rep.out)
        let replayed = try JSONParser.parse(XCTUnwrap(dir.read("r/results.json")))["results"]?.arrayValue ?? []
        for id in ["oslo", "hello"] {
            let a = live.first { $0["case"]?.stringValue == id }, b = replayed.first { $0["case"]?.stringValue == id }
            XCTAssertEqual(a?["output"], b?["output"], id)
            XCTAssertEqual(a?["toolCalls"], b?["toolCalls"], id)
            XCTAssertEqual(b?["replayed"], true, id)
        }
    }

    /// A prompt version's own `tools` and `toolChoice` replace the suite's for its requests; an
    /// empty list sends none (and no tool choice).
    func testPromptLevelToolsReplaceTheSuites() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("ok") }
        defer { server.stop() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "p", "backends": [{"id": "gpt", "type": "openai", "model": "m", "baseURL": "\(server.baseURL)"}],
         "tools": [{"name": "a"}, {"name": "b"}], "toolChoice": "required",
         "prompts": [{"id": "suite-tools", "template": "x"}, {"id": "none", "template": "y", "tools": []},
                     {"id": "only-b", "template": "z", "toolChoice": "b"}, {"id": "own", "template": "w", "tools": [{"name": "c"}]}],
         "cases": [{"id": "c", "validators": [{"type": "equals", "value": "ok"}]}]}
        """)
        let r = await run(["run", suite, "-j", "1"], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        var byPrompt: [String: JSONValue] = [:]
        for q in server.requests { let b = try body(q); byPrompt[b["messages"]?[0]?["content"]?.stringValue ?? ""] = b }
        XCTAssertEqual(byPrompt["x"]?["tools"]?.arrayValue?.count, 2)
        XCTAssertEqual(byPrompt["x"]?["tool_choice"], "required")
        XCTAssertNil(byPrompt["y"]?["tools"])
        XCTAssertNil(byPrompt["y"]?["tool_choice"])
        XCTAssertEqual(byPrompt["z"]?["tool_choice"], ["type": "function", "function": ["name": "b"]])
        XCTAssertEqual(byPrompt["w"]?["tools"]?[0]?["function"]?["name"], "c")
        XCTAssertEqual(byPrompt["w"]?["tool_choice"], "required", "the suite's choice stays unless the prompt sets its own")
    }

    /// A tool check naming an undeclared tool is an error at the check's own key, in a case or a turn.
    func testAnUndeclaredToolIsAnErrorAtTheCheck() async throws {
        let dir = TempDir()
        let path = dir.write("s.json", """
        {"backends": [{"id": "g", "type": "openai", "model": "m", "baseURL": "http://127.0.0.1:9"}],
         "tools": [{"name": "search"}],
         "prompts": [{"id": "p", "template": "x"}],
         "cases": [{"id": "a",
                    "turns": [{"user": "hi",
                               "validators": [{"type": "no-tool-call",
                                               "name": "serch"}]}]}]}
        """)
        let r = await run(["run", path], in: dir)
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("s.json:7:40: validator 'no-tool-call' names tool 'serch', which no prompt declares; did you mean 'search'?"), r.err)
    }
}
