import ProctorJSON

/// The generation options of one request, typed and range-checked when the suite loads, so every
/// backend either honours each field or refuses it up front: nothing is dropped silently.
///
/// Layers merge in one documented order, later winning field by field: backend config < suite
/// `options` < case `options`. `extra` holds backend-specific fields, passed through as given, and
/// merges key by key.
public struct GenerationOptions: Sendable, Equatable {
    /// The fields a suite can set, by their suite spelling.
    public enum Field: String, CaseIterable, Sendable, Hashable {
        case maxTokens, temperature, topP, seed, stop, extra
    }

    /// Most tokens to generate (a positive integer).
    public var maxTokens: Int?
    /// Sampling temperature (≥ 0; 0 is greedy).
    public var temperature: Double?
    /// Nucleus sampling mass (0 < topP ≤ 1).
    public var topP: Double?
    /// Sampling seed (an integer in 0…2⁶⁴−1).
    public var seed: UInt64?
    /// Strings that end generation; the output stops before the first one.
    public var stop: [String]?
    /// Backend-specific fields (an object), passed through to the backends that take them.
    public var extra: JSONObject?

    /// Makes options with the given fields set; a `nil` field is left to the layers below.
    public init(maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil, seed: UInt64? = nil,
                stop: [String]? = nil, extra: JSONObject? = nil) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
        self.stop = stop
        self.extra = extra
    }

    /// The suite keys that are generation options.
    public static let keys: [String] = Field.allCases.map(\.rawValue)

    /// The fields this value sets, in declaration order.
    public var setFields: [Field] {
        Field.allCases.filter { f in
            switch f {
            case .maxTokens: maxTokens != nil
            case .temperature: temperature != nil
            case .topP: topP != nil
            case .seed: seed != nil
            case .stop: stop != nil
            case .extra: extra.map { !$0.isEmpty } ?? false
            }
        }
    }

    /// True when no field is set (an empty `extra` counts as unset).
    public var isEmpty: Bool { maxTokens == nil && temperature == nil && topP == nil && seed == nil && stop == nil && (extra?.isEmpty ?? true) }

    /// These options with every field `other` sets replaced by `other`'s (extra: key by key).
    public func overridden(by other: GenerationOptions) -> GenerationOptions {
        var o = self
        if let v = other.maxTokens { o.maxTokens = v }
        if let v = other.temperature { o.temperature = v }
        if let v = other.topP { o.topP = v }
        if let v = other.seed { o.seed = v }
        if let v = other.stop { o.stop = v }
        if let e = other.extra {
            var merged = o.extra ?? JSONObject()
            for (k, v) in e { merged[k] = v }
            o.extra = merged
        }
        return o
    }

    /// Canonical JSON (suite spelling, fixed key order): reports, cassette keys, `PROCTOR_OPTIONS`.
    public var json: JSONObject {
        var e: [JSONObject.Entry] = []
        if let v = maxTokens { e.append(("maxTokens", .number(JSONNumber(v)))) }
        if let v = temperature { e.append(("temperature", .number(JSONNumber(v)))) }
        if let v = topP { e.append(("topP", .number(JSONNumber(v)))) }
        if let v = seed { e.append(("seed", .number(JSONNumber(trustedText: String(v))))) }
        if let v = stop { e.append(("stop", .array(v.map { .string($0) }))) }
        if let v = extra, !v.isEmpty { e.append(("extra", .object(v))) }
        return JSONObject(e)
    }

    // MARK: - Parsing

    /// A bad option value: the pointer is relative to the object that held it (`/temperature`).
    public struct ParseError: Error, Sendable {
        /// The field whose value is wrong.
        public let field: Field
        /// What is wrong, naming the field as the caller spells it.
        public let message: String
        /// The field as a JSON Pointer relative to the options object.
        public var pointer: String { "/" + field.rawValue }
        /// An error about `field`; backends use it for values they cannot honour.
        public init(field: Field, message: String) {
            self.field = field
            self.message = message
        }
    }

    /// Reads the generation fields of `object` (other keys are the caller's), checking types and ranges.
    ///
    /// This is the one validation of generation options: suites, `proctor model generate` and
    /// `proctor model serve` all call it, so a value is accepted or refused the same way everywhere,
    /// with the same words. `names` gives each field as the caller's user spells it (`--top-p`,
    /// `'top_p'`); the default is the suite's (`"topP"`).
    public static func parse(_ object: JSONObject, names: [Field: String] = [:]) throws(ParseError) -> GenerationOptions {
        func name(_ f: Field) -> String { names[f] ?? "\"\(f.rawValue)\"" }
        var o = GenerationOptions()
        if let v = object["maxTokens"] {
            guard let n = v.numberValue, let i = exactInteger(n), i >= 1, i <= Int(Int32.max) else {
                throw ParseError(field: .maxTokens, message: "\(name(.maxTokens)) must be a positive integer, found \(v)")
            }
            o.maxTokens = Int(i)
        }
        if let v = object["temperature"] {
            guard let d = v.doubleValue, d.isFinite, d >= 0 else {
                throw ParseError(field: .temperature, message: "\(name(.temperature)) must be a number ≥ 0 (0 is greedy), found \(v)")
            }
            o.temperature = d
        }
        if let v = object["topP"] {
            guard let d = v.doubleValue, d > 0, d <= 1 else {
                throw ParseError(field: .topP, message: "\(name(.topP)) must be a number greater than 0 and at most 1, found \(v)")
            }
            o.topP = d
        }
        if let v = object["seed"] {
            guard let n = v.numberValue, let s = exactUInt64(n) else {
                throw ParseError(field: .seed, message: "\(name(.seed)) must be an integer from 0 to 18446744073709551615, found \(v)")
            }
            o.seed = s
        }
        if let v = object["stop"] {
            guard case .array(let xs) = v, xs.allSatisfy({ !($0.stringValue ?? "").isEmpty }) else {
                throw ParseError(field: .stop, message: "\(name(.stop)) must be an array of non-empty strings (e.g. [\"END\"]), found \(v)")
            }
            o.stop = xs.map { $0.stringValue! }
        }
        if let v = object["extra"] {
            guard case .object(let e) = v else {
                throw ParseError(field: .extra, message: "\(name(.extra)) must be an object of backend-specific fields, found \(v)")
            }
            o.extra = e
        }
        return o
    }

    /// The options of sample `i` of a `--repeat` run: a set `seed` becomes `seed + i·0x9E3779B9`
    /// (wrapping), the one rule on every backend that takes a seed, so repeats are independent
    /// samples and not copies of the first; each result records the seed it was sent with.
    public func forRepeat(_ i: Int) -> GenerationOptions {
        guard i > 0, let s = seed else { return self }
        var o = self
        o.seed = s &+ UInt64(i) &* 0x9E37_79B9
        return o
    }

    /// The sampling defaults every generating path uses when a request sets none: temperature 0
    /// (greedy), top-p 0.9, seed 42. One place, so `model generate`, the builtin backend and the
    /// server sample the same way.
    public static let samplingDefaults = GenerationOptions(temperature: 0, topP: 0.9, seed: 42)

    /// The sampling flags of the command line (`--temperature`, `--top-p`, `--seed`, `--max-tokens`, each the flag's
    /// text or nil) through the same validation as suites and the server, over `samplingDefaults`.
    public static func sampling(temperature: String?, topP: String?, seed: String?, maxTokens: String? = nil) throws(ParseError) -> GenerationOptions {
        var fields: [JSONObject.Entry] = []
        for (text, field) in [(temperature, Field.temperature), (topP, .topP), (seed, .seed), (maxTokens, .maxTokens)] {
            guard let text else { continue }
            // The flag's text as a JSON number when it is one, so "1e3" and "18446744073709551615" read exactly.
            let v = (try? JSONParser.parse(text)).flatMap { $0.numberValue != nil ? $0 : nil } ?? .string(text)
            fields.append((field.rawValue, v))
        }
        let given = try parse(JSONObject(fields), names: [.temperature: "--temperature", .topP: "--top-p", .seed: "--seed", .maxTokens: "--max-tokens"])
        return samplingDefaults.overridden(by: given)
    }

    /// The exact value of an integer-valued JSON number in 0…UInt64.max (`1e3` is 1000; `2.7` and
    /// `1e30` are nil), computed from its decimal digits so no float rounding can slip through.
    static func exactUInt64(_ n: JSONNumber) -> UInt64? {
        let d = n.decimal
        if d.isZero { return 0 }
        guard !d.negative, d.exponent >= 0, d.digits.count + d.exponent <= 20 else { return nil }
        var value: UInt64 = 0
        for digit in d.digits + [UInt8](repeating: 0, count: d.exponent) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(digit))
            if o1 || o2 { return nil }
            value = a
        }
        return value
    }

    /// A signed exact integer, for counts (`-5` is -5, `2.7` is nil).
    static func exactInteger(_ n: JSONNumber) -> Int64? {
        let d = n.decimal
        if d.isZero { return 0 }
        var copy = n
        if d.negative, let flipped = JSONNumber(text: String(n.text.dropFirst())) { copy = flipped }
        guard let u = exactUInt64(copy), u <= UInt64(Int64.max) else { return nil }
        return d.negative ? -Int64(u) : Int64(u)
    }
}
