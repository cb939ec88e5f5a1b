import Foundation
import ProctorJSON

/// `formula`: named checks combined by arithmetic, as OpenAI's multi grader combines its graders:
/// `{"type": "formula", "validators": {"a": {…}, "b": {…}}, "formula": "(a + b) / 2", "threshold": 0.5}`.
/// Each name stands for its check's number (a metric, a grader's score on its own scale, a
/// program's score; otherwise 1 for a pass and 0 for a fail); the formula's value must reach
/// `threshold` (default 1).
enum FormulaValidator {
    static let factories: [String: ValidatorFactory] = [
        "formula": { c throws(SuiteError) in try Formula(c) },
    ]

    struct Formula: Validator {
        let names: [String]
        let children: [ConfiguredValidator]
        let source: String
        let expression: Expression
        let threshold: Double

        init(_ c: ValidatorConfig) throws(SuiteError) {
            try c.allowKeys(["validators", "formula", "threshold"])
            guard case .object(let named)? = c.object["validators"], !named.isEmpty else {
                throw c.error(c.object["validators"] == nil ? nil : "validators", "validator 'formula' needs \"validators\": an object naming each check the formula uses")
            }
            var names: [String] = [], children: [ConfiguredValidator] = []
            for (name, v) in named {
                let at = c.pointer + "/validators/" + JSONPointer.escape(name)
                guard Expression.isName(name) else { throw c.source.error(at, "'\(name)' cannot be used in a formula: a name is letters, digits and _, not starting with a digit") }
                if v["metric"] != nil { throw c.source.error(at + "/metric", "\"metric\" goes on the top-level validator (here, the 'formula' around this one): nested checks give no verdicts of their own") }
                names.append(name)
                children.append(try c.registry.build(v, pointer: at, suiteDirectory: c.suiteDirectory, source: c.source))
            }
            guard let text = try c.string("formula") else { throw c.error(nil, "validator 'formula' needs \"formula\", e.g. \"(\(names.joined(separator: " + "))) / \(names.count)\"") }
            do { expression = try Expression.parse(text, names: Set(names)) } catch { throw c.error("formula", "\(error.message) in \(TextValidators.quote(text))") }
            self.names = names
            self.children = children
            source = text
            threshold = try c.number("threshold") ?? 1
        }

        /// A number as reports show it: to 4 decimals.
        static func shown(_ x: Double) -> String { JSONNumber((x * 10_000).rounded() / 10_000).text }

        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            var values: [String: Double] = [:], parts: [String] = []
            for (name, child) in zip(names, children) {
                let r = await child.run(ctx)
                guard r.evaluated else { var u = CheckResult.unevaluable("\(name): \(r.message)"); u.blockedByJSON = r.blockedByJSON; return u }
                let v = r.value ?? r.score
                values[name] = v
                parts.append("\(name) \(Self.shown(v))")
            }
            let x = expression.evaluate(values)
            guard x.isFinite else { return .unevaluable("\(source) is \(x.isNaN ? "not a number" : "infinite") with \(parts.joined(separator: ", "))") }
            let ok = x >= threshold - 1e-12
            var r = CheckResult(pass: ok, score: min(max(x, 0), 1),
                                message: "\(source) = \(Self.shown(x)) \(ok ? "≥" : "<") threshold \(JSONNumber(threshold).text) (\(parts.joined(separator: ", ")))")
            r.value = x
            return r
        }
    }

    /// An arithmetic expression: numbers, names, `+ - * / ^` (power, right-associative), unary
    /// minus, parentheses, and min, max, abs, floor, ceil, exp, sqrt, log.
    indirect enum Expression: Sendable {
        case number(Double), name(String)
        case unary(Character, Expression)
        case binary(Character, Expression, Expression)
        case call(String, [Expression])

        static let functions: [String: ClosedRange<Int>] = ["min": 1...64, "max": 1...64, "abs": 1...1, "floor": 1...1, "ceil": 1...1, "exp": 1...1, "sqrt": 1...1, "log": 1...1]

        struct ParseError: Error { let message: String }

        static func isName(_ s: String) -> Bool {
            guard let f = s.unicodeScalars.first, f == "_" || f.properties.isAlphabetic && f.isASCII else { return false }
            return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
        }

        static func parse(_ text: String, names: Set<String>) throws(ParseError) -> Expression {
            var p = Parser(chars: Array(text), names: names)
            let e = try p.sum()
            p.skip()
            guard p.i == p.chars.count else { throw ParseError(message: "unexpected '\(p.chars[p.i])' at column \(p.i + 1)") }
            return e
        }

        struct Parser {
            let chars: [Character]
            let names: Set<String>
            var i = 0
            mutating func skip() { while i < chars.count, chars[i].isWhitespace { i += 1 } }
            mutating func take(_ c: Character) -> Bool { skip(); if i < chars.count, chars[i] == c { i += 1; return true }; return false }
            mutating func sum() throws(ParseError) -> Expression {
                var e = try product()
                while true {
                    if take("+") { e = .binary("+", e, try product()) } else if take("-") { e = .binary("-", e, try product()) } else { return e }
                }
            }
            mutating func product() throws(ParseError) -> Expression {
                var e = try unary()
                while true {
                    if take("*") { e = .binary("*", e, try unary()) } else if take("/") { e = .binary("/", e, try unary()) } else { return e }
                }
            }
            mutating func unary() throws(ParseError) -> Expression {
                if take("-") { return .unary("-", try unary()) }
                if take("+") { return try unary() }
                let base = try atom()
                return take("^") ? .binary("^", base, try unary()) : base
            }
            mutating func atom() throws(ParseError) -> Expression {
                skip()
                guard i < chars.count else { throw ParseError(message: "the formula ends where a value was expected") }
                if take("(") {
                    let e = try sum()
                    guard take(")") else { throw ParseError(message: "a '(' is not closed") }
                    return e
                }
                let start = i
                if chars[i].isNumber || chars[i] == "." {
                    while i < chars.count, chars[i].isNumber || chars[i] == "." || ((chars[i] == "e" || chars[i] == "E") && i + 1 < chars.count && (chars[i + 1].isNumber || chars[i + 1] == "-" || chars[i + 1] == "+")) {
                        if chars[i] == "e" || chars[i] == "E" { i += 1 }
                        i += 1
                    }
                    guard let d = Double(String(chars[start..<i])) else { throw ParseError(message: "'\(String(chars[start..<i]))' is not a number") }
                    return .number(d)
                }
                while i < chars.count, chars[i] == "_" || chars[i].isLetter || chars[i].isNumber { i += 1 }
                guard i > start else { throw ParseError(message: "unexpected '\(chars[i])' at column \(i + 1)") }
                let word = String(chars[start..<i])
                if take("(") {
                    guard let arity = functions[word] else { throw ParseError(message: "unknown function '\(word)' (there are \(functions.keys.sorted().joined(separator: ", ")))") }
                    var args: [Expression] = []
                    if !take(")") {
                        repeat { args.append(try sum()) } while take(",")
                        guard take(")") else { throw ParseError(message: "\(word)( is not closed") }
                    }
                    guard arity.contains(args.count) else { throw ParseError(message: "\(word) takes \(arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "at least \(arity.lowerBound)") argument\(arity.upperBound == 1 ? "" : "s")") }
                    return .call(word, args)
                }
                guard names.contains(word) else { throw ParseError(message: "'\(word)' names no check (there are \(names.sorted().joined(separator: ", ")))") }
                return .name(word)
            }
        }

        func evaluate(_ v: [String: Double]) -> Double {
            switch self {
            case .number(let d): return d
            case .name(let n): return v[n] ?? .nan
            case .unary(_, let e): return -e.evaluate(v)
            case .binary(let op, let a, let b):
                let x = a.evaluate(v), y = b.evaluate(v)
                switch op {
                case "+": return x + y
                case "-": return x - y
                case "*": return x * y
                case "/": return x / y
                default: return pow(x, y)
                }
            case .call(let f, let args):
                let xs = args.map { $0.evaluate(v) }
                switch f {
                case "min": return xs.min()!
                case "max": return xs.max()!
                case "abs": return Swift.abs(xs[0])
                case "floor": return xs[0].rounded(.down)
                case "ceil": return xs[0].rounded(.up)
                case "exp": return Foundation.exp(xs[0])
                case "sqrt": return xs[0].squareRoot()
                default: return Foundation.log(xs[0])
                }
            }
        }
    }
}
