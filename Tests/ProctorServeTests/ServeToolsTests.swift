import Foundation
import ProctorJSON
import ProctorModel
import ProctorSchema
import ProctorServe
import ProctorTestSupport
import XCTest

/// `tools` and `tool_choice` on `proctor model serve`'s chat completions, with the default model
/// (its file records the task format): calls whose arguments match the tool's schema, streamed as
/// OpenAI streams them, results sent back as `role: "tool"`, and bad requests refused.
final class ServeToolsTests: XCTestCase {
    static let weather = #"{"type": "function", "function": {"name": "get_weather", "description": "Weather for a place", "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 14}}, "required": ["location", "days"], "additionalProperties": false}}}"#
    static let time = #"{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string", "enum": ["UTC", "CET"]}}, "required": ["zone"], "additionalProperties": false}}}"#

    func server() throws -> ModelServer {
        let root = SharedData.projectRoot.path
        let c = try Checkpoint(path: root + "/fixtures/models/proctor-tiny.bin")
        let t = try Tokenizer(path: root + "/fixtures/models/proctor-tiny.tokenizer.bin", vocabSize: c.config.vocabSize)
        var o = ModelServer.Options()
        o.port = 0
        o.threads = 1
        let s = try ModelServer(checkpoint: c, tokenizer: t, options: o)
        s.start()
        return s
    }

    func post(_ s: ModelServer, _ body: String) -> ModelServerTests.Reply? {
        ModelServerTests.request(s.port, "POST", "/v1/chat/completions", body: body)
    }

    func schema(_ tool: String) throws -> CompiledSchema {
        try CompiledSchema.compile(XCTUnwrap(try JSONParser.parse(tool)["function"]?["parameters"]))
    }

    func testCallsMatchTheToolsSchemaAndResultsGoBack() throws {
        let s = try server()
        defer { s.shutdown() }
        let ask = #"[{"role": "system", "content": "tool"}, {"role": "user", "content": "Will it rain in Oslo in the next 2 days?"}]"#
        for (choice, name) in [(#""required""#, "get_weather"), (#"{"type": "function", "function": {"name": "get_time"}}"#, "get_time")] {
            let r = post(s, #"{"model": "proctor-builtin", "messages": \#(ask), "tools": [\#(Self.weather), \#(Self.time)], "tool_choice": \#(choice)}"#)
            XCTAssertEqual(r?.status, 200, r?.body ?? "")
            let v = try JSONParser.parse(r?.body ?? "")
            let choice0 = try XCTUnwrap(v["choices"]?[0])
            XCTAssertEqual(choice0["finish_reason"], "tool_calls")
            XCTAssertEqual(choice0["message"]?["content"], .null)
            let call = try XCTUnwrap(choice0["message"]?["tool_calls"]?[0])
            XCTAssertEqual(call["type"], "function")
            XCTAssertEqual(call["id"], "call_1")
            XCTAssertEqual(call["function"]?["name"]?.stringValue, name)
            let args = try JSONParser.parse(XCTUnwrap(call["function"]?["arguments"]?.stringValue))
            XCTAssertTrue(try schema(name == "get_time" ? Self.time : Self.weather).validate(args).valid, "\(args)")
            XCTAssertGreaterThan(v["usage"]?["completion_tokens"]?.intValue ?? 0, 0)
        }
        // The call sent back with its result: the model answers, and a second call would be call_2.
        let call = #"{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"location\": \"Oslo\", \"days\": 2}"}}"#
        let back = post(s, #"{"model": "proctor-builtin", "max_tokens": 40, "stop": ["\n"], "tools": [\#(Self.weather)], "messages": \#(ask.dropLast()), {"role": "assistant", "content": null, "tool_calls": [\#(call)]}, {"role": "tool", "tool_call_id": "call_1", "content": "{\"location\": \"Oslo\", \"forecast\": \"rain\", \"tempC\": 12}"}]}"#)
        XCTAssertEqual(back?.status, 200, back?.body ?? "")
        let answer = try JSONParser.parse(back?.body ?? "")["choices"]?[0]
        XCTAssertNotNil(answer?["message"], "\(String(describing: answer))")
    }

    func testAStreamedCallAddsUpToTheWholeOne() throws {
        let s = try server()
        defer { s.shutdown() }
        let body = #"{"model": "proctor-builtin", "messages": [{"role": "system", "content": "tool"}, {"role": "user", "content": "Forecast for Lima, next 7 days."}], "tools": [\#(Self.weather)], "tool_choice": "required""#
        let whole = try JSONParser.parse(post(s, body + "}")?.body ?? "")
        let r = post(s, body + #", "stream": true}"#)
        XCTAssertEqual(r?.status, 200)
        let events = (r?.body ?? "").components(separatedBy: "\n\n").filter { !$0.isEmpty }
        XCTAssertEqual(events.last, "data: [DONE]")
        var id: String?, name: String?, args = "", finish: String?
        for e in events.dropLast() {
            let v = try JSONParser.parse(String(e.dropFirst(6)))
            guard let c = v["choices"]?[0] else { continue }
            if let tc = c["delta"]?["tool_calls"]?[0] {
                XCTAssertEqual(tc["index"], 0)
                if let i = tc["id"]?.stringValue { id = i }
                if let n = tc["function"]?["name"]?.stringValue { name = n }
                args += tc["function"]?["arguments"]?.stringValue ?? ""
            }
            if let f = c["finish_reason"]?.stringValue { finish = f }
        }
        let expected = try XCTUnwrap(whole["choices"]?[0]?["message"]?["tool_calls"]?[0])
        XCTAssertEqual(id, expected["id"]?.stringValue)
        XCTAssertEqual(name, "get_weather")
        XCTAssertEqual(args, expected["function"]?["arguments"]?.stringValue)
        XCTAssertEqual(finish, "tool_calls")
        XCTAssertGreaterThan(events.count, 4, "the arguments come in pieces")
    }

    /// Under `auto`, a budget too small for any call leaves the model's own words: a whole stream, never cut short.
    func testAutoWithATinyBudgetAnswersInWords() throws {
        let s = try server()
        defer { s.shutdown() }
        let r = post(s, #"{"model": "proctor-builtin", "messages": [{"role": "system", "content": "tool"}, {"role": "user", "content": "Will it rain in Oslo in the next 2 days?"}], "tools": [\#(Self.weather)], "max_tokens": 8, "stream": true}"#)
        XCTAssertEqual(r?.status, 200)
        let events = (r?.body ?? "").components(separatedBy: "\n\n").filter { !$0.isEmpty }
        XCTAssertEqual(events.last, "data: [DONE]")
        XCTAssertTrue(events.contains { $0.contains("\"finish_reason\":\"length\"") }, "\(events)")
    }

    func testBadToolRequestsAre400s() throws {
        let s = try server()
        defer { s.shutdown() }
        let user = #"{"role": "user", "content": "hi"}"#
        for (body, param) in [
            (#""messages": [\#(user)], "tools": [{"type": "function"}]"#, "tools[0]"),
            (#""messages": [\#(user)], "tools": [\#(Self.weather)], "tool_choice": {"type": "function", "function": {"name": "nope"}}"#, "tool_choice"),
            (#""messages": [\#(user)], "tool_choice": "required""#, "tool_choice"),
            (#""messages": [\#(user), {"role": "tool", "tool_call_id": "call_9", "content": "x"}]"#, "messages[1].tool_call_id"),
            (#""messages": [\#(user), {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]}]"#, "messages[1].tool_calls[0].function.arguments"),
            (#""messages": [\#(user)], "tools": [\#(Self.weather)], "response_format": {"type": "json_object"}"#, "response_format"),
            (#""messages": [\#(user)], "tools": []"#, "tools"),
            (#""messages": [\#(user)], "tools": [{"type": "function", "function": {"name": "get weather!"}}]"#, "tools[0].function.name"),
            (#""messages": [\#(user)], "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}]"#, "tools[0].function.parameters"),
            // A call that cannot fit is refused before anything streams, never cut short.
            (#""messages": [\#(user)], "tools": [\#(Self.weather)], "tool_choice": "required", "max_tokens": 8"#, "max_tokens"),
            (#""messages": [\#(user)], "tools": [\#(Self.weather)], "tool_choice": "required", "max_tokens": 8, "stream": true"#, "max_tokens"),
        ] {
            let r = post(s, #"{"model": "proctor-builtin", \#(body)}"#)
            XCTAssertEqual(r?.status, 400, body)
            XCTAssertEqual(try JSONParser.parse(r?.body ?? "")["error"]?["param"]?.stringValue, param, r?.body ?? "")
        }
    }
}
