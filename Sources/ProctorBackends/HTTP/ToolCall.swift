import ProctorJSON
import ProctorRepair

/// A model's tool call as the output a suite validates: `{"name": …, "arguments": {…}}`.
enum ToolCall {
    /// One call. OpenAI sends `arguments` as JSON text: it is parsed, or repaired when the model was
    /// cut off mid-call, and kept as the raw string only when nothing can be recovered. A repair is
    /// never silent: the call's repairs come back, described as a result lists them, so the case is
    /// `repaired` (and fails under `strictRepair`) exactly as a repaired output is.
    static func json(name: String, arguments: JSONValue, truncated: Bool) -> (call: JSONValue, repairs: [String]) {
        var args = arguments
        var repairs: [String] = []
        if case .string(let text) = arguments {
            if let v = try? JSONParser.parse(text) {
                args = v
            } else if let r = try? JSONRepair.repair(text) {
                args = r.value
                repairs = r.repairs.grouped(truncated: truncated, in: "tool call '\(name)' arguments")
            }
        }
        return (.object(JSONObject([("name", .string(name)), ("arguments", args)])), repairs)
    }

    /// The output text: the call, or an array of calls when there are several.
    static func text(_ calls: [JSONValue]) -> String {
        JSONSerializer.string(calls.count == 1 ? calls[0] : .array(calls))
    }
}
