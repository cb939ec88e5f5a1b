import Foundation
import ProctorBackends
import ProctorJSON
import ProctorSupport

/// promptfoo's one-cell assertions (the `__expected` columns of a tests file): `[not-]TYPE[(N)][:VALUE]`,
/// `javascript:`/`fn:`/`eval:`, `python:`, `grade:`/`llm-rubric:`, and a plain value meaning `equals`.
/// Read once here for both the importer and Proctor's own case files, so a check is never turned
/// into a literal `equals` because its prefix was not recognised.
public enum PromptfooCell {
    /// Every assertion type promptfoo reads from a cell, longest spelling first (so `icontains-any`
    /// is not read as `icontains`). Types Proctor cannot map are recognised too, so they are errors.
    static let types = [
        "model-graded-factuality", "model-graded-closedqa", "is-valid-openai-function-call", "is-valid-openai-tools-call",
        "context-faithfulness", "context-relevance", "answer-relevance", "perplexity-score", "icontains-any", "icontains-all",
        "context-recall", "contains-json", "contains-html", "contains-any", "contains-all", "contains-sql", "contains-xml",
        "finish-reason", "select-best", "levenshtein", "llm-rubric", "javascript", "classifier", "factuality", "moderation",
        "perplexity", "starts-with", "is-refusal", "icontains", "contains", "is-json", "is-html", "is-sql", "is-xml",
        "rouge-n", "webhook", "latency", "similar", "g-eval", "equals", "python", "regex", "meteor", "bleu", "gleu", "cost",
    ]

    /// The cell as a promptfoo assertion object (`type`, `value`, and `threshold` when the cell gives one).
    public static func assertion(_ cell: String) -> JSONValue {
        for (prefix, type) in [("javascript:", "javascript"), ("fn:", "javascript"), ("eval:", "javascript"), ("python:", "python"),
                               ("grade:", "llm-rubric"), ("llm-rubric:", "llm-rubric")] where cell.hasPrefix(prefix) {
            return ["type": .string(type), "value": .string(trimmed(cell.dropFirst(prefix.count)))]
        }
        var rest = Substring(cell)
        var negated = false
        if rest.hasPrefix("not-") { negated = true; rest = rest.dropFirst(4) }
        guard let type = types.first(where: { rest.hasPrefix($0) }) else { return ["type": "equals", "value": .string(cell)] }
        var after = rest.dropFirst(type.count)
        var threshold: Double?
        if after.hasPrefix("("), let close = after.firstIndex(of: ")"), let t = Double(after[after.index(after: after.startIndex)..<close]) {
            threshold = t
            after = after[after.index(after: close)...]
        }
        // The type must end the cell or be followed by ':'; otherwise the cell is a plain value ("containsX").
        guard after.isEmpty || after.hasPrefix(":") else { return ["type": "equals", "value": .string(cell)] }
        var o: [JSONObject.Entry] = [("type", .string((negated ? "not-" : "") + type))]
        if after.hasPrefix(":") {
            let value = trimmed(after.dropFirst())
            if type.hasSuffix("-any") || type.hasSuffix("-all") {
                o.append(("value", .array(value.split(separator: ",").map { .string(trimmed($0)) })))
            } else {
                o.append(("value", .string(value)))
            }
        }
        if let threshold { o.append(("threshold", .number(JSONNumber(threshold)))) }
        return .object(JSONObject(o))
    }

    /// A cell that looks like a mistyped assertion type (`contians: refund`): the hint, else nil.
    /// A cell that is a plain value is left alone; only a word close to a type, before a colon, counts.
    public static func typo(_ cell: String) -> String? {
        guard case .string("equals")? = assertion(cell)["type"], let colon = cell.firstIndex(of: ":") else { return nil }
        var word = cell[..<colon]
        if word.hasPrefix("not-") { word = word.dropFirst(4) }
        if let paren = word.firstIndex(of: "(") { word = word[..<paren] }
        guard word.count >= 5, word.allSatisfy({ $0.isLowercase || $0 == "-" }) else { return nil }
        let hint = Suggestions.hint(for: String(word), among: types + ["fn", "eval", "grade"])
        return hint.isEmpty ? nil : "'\(word)' is not an assertion type promptfoo knows\(hint) (a plain value is compared with equals; write it as \"equals:\(cell)\" if that is meant)"
    }

    /// A cell as a Proctor validator, or why it has none (the message names the assertion); script
    /// assertions need their interpreter on the PATH `environment` gives.
    public static func validator(_ cell: String, suiteDirectory: String, environment: [String: String]) -> Result<JSONValue, CellError> {
        if let t = typo(cell) { return .failure(CellError(message: "'\(cell)': " + t)) }
        let a = assertion(cell)
        var c = Converter(file: suiteDirectory + "/cell", locator: JSONLocator(bytes: [], offsets: [:]), outPath: suiteDirectory + "/suite",
                          hasProgram: { ProcessRunner.resolveExecutable($0, cwd: suiteDirectory, environment: environment) != nil })
        if let v = c.validator(a, "", fileLocation: "cell") { return .success(v) }
        return .failure(CellError(message: "'\(cell)': " + (c.unmapped.last?.message ?? "no Proctor equivalent")))
    }

    /// Why a cell has no Proctor validator.
    public struct CellError: Error, Sendable {
        /// The cell and the reason.
        public let message: String
    }

    static func trimmed(_ s: Substring) -> String { String(s.drop { $0 == " " || $0 == "\t" }).trimmingCharacters(in: .whitespaces) }
}
