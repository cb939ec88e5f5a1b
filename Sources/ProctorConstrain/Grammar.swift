import ProctorJSON
import ProctorRegex
import ProctorSchema

/// A JSON Schema compiled into the automaton constrained decoding walks: every schema becomes a
/// node that is either a union of alternatives (`anyOf`/`oneOf`) or one basic node whose keywords
/// were merged (`allOf`, `$ref` with siblings), with the shortest instance of each known in bytes.
public struct Grammar: Sendable {
    var nodes: [GNode]
    var strings: [StringRule]
    var tries: [ByteTrie]
    /// Shortest instance of each node, in bytes of compact JSON (`Grammar.never` when it has none).
    var shortest: [Int]
    /// Whether a node's object (array) kind has an instance, so `{` (`[`) may start it.
    var objectOK: [Bool] = []
    var arrayOK: [Bool] = []
    let root: Int
    /// The schema as given.
    public let schema: JSONValue
    /// Proctor's validator for the schema as given (its references, dialect and registry), the final
    /// check of every output; nil for `true` (any JSON value, checked by parsing).
    public let validator: CompiledSchema?
    /// References to documents nobody serves: instances avoid them ("POINTER/$ref: why").
    public let unresolvedRefs: [String]
    /// Layout and depth options the automaton was built with.
    public let options: ConstraintOptions

    static let never = Int.max / 4

    /// The grammar of a schema file as the command line loaded it (its URI, registry and dialect).
    public init(file: SchemaFile, options: ConstraintOptions = ConstraintOptions()) throws(ConstraintError) {
        try self.init(schema: file.value, uri: file.uri, registry: file.registry, draft: file.draft, options: options)
    }

    /// Compiles `schema` (retrieved from `uri`, other documents from `registry`, in the dialect its
    /// `$schema` names or `draft`): it is bundled first (`SchemaBundle`: references local, one dialect,
    /// unknown keywords dropped as annotations); a keyword outside what a grammar here can express,
    /// or a schema with no instance, is an error naming the keyword by its JSON Pointer.
    public init(schema: JSONValue, uri: String? = nil, registry: SchemaRegistry = SchemaRegistry(), draft: SchemaDraft? = nil,
                options: ConstraintOptions = ConstraintOptions()) throws(ConstraintError) {
        var schemaOptions = SchemaOptions()
        schemaOptions.forcedDraft = draft
        schemaOptions.deferUnresolvedRefs = true
        let bundle: SchemaBundle
        do {
            bundle = try SchemaBundle.bundle(schema, uri: uri, registry: registry, options: schemaOptions)
            validator = schema == .bool(true) ? nil : try CompiledSchema.compile(schema, uri: uri, registry: registry, options: schemaOptions)
        } catch {
            throw ConstraintError(pointer: error.pointer, "the schema does not compile: \(error.message)")
        }
        unresolvedRefs = bundle.unresolvedRefs
        let b = GrammarBuilder(document: bundle.document, options: options)
        let root: Int
        do { root = try b.compile([Member(bundle.document, "")]) } catch {
            throw ConstraintError(pointer: bundle.origin(of: error.pointer), error.message)
        }
        self.nodes = b.nodes.map { GNode($0 ?? NodeDraft(location: "")) }
        self.strings = b.strings
        self.tries = b.tries
        self.root = root
        self.options = options
        self.schema = schema
        self.shortest = []
        computeShortest()
        objectOK = nodes.map { shortestKind($0, .object) < Grammar.never }
        arrayOK = nodes.map { shortestKind($0, .array) < Grammar.never }
        guard shortest[root] < Grammar.never else {
            if let r = unresolvedRefs.first, let colon = r.range(of: ": ") {
                throw ConstraintError(pointer: String(r[..<colon.lowerBound]), String(r[colon.upperBound...]) + " (the schema has no instance without it: serve it from a registry folder)")
            }
            throw ConstraintError(pointer: "", "the schema has no instance constrained decoding can produce (an unsatisfiable keyword, or recursion without a way out)")
        }
    }

    /// A grammar for any JSON value (`"json": true`), or any object when `objectOnly`.
    public static func anyJSON(objectOnly: Bool = false, options: ConstraintOptions = ConstraintOptions()) -> Grammar {
        // The schema below is inside the covered subset, so compiling it cannot fail.
        let schema: JSONValue = objectOnly ? ["type": "object"] : true
        return try! Grammar(schema: schema, options: options)
    }

    /// Fixpoint of the shortest instance per node (recursive schemas converge from "never").
    mutating func computeShortest() {
        shortest = [Int](repeating: Grammar.never, count: nodes.count)
        var changed = true
        while changed {
            changed = false
            for i in nodes.indices {
                let s = shortestOf(i)
                if s < shortest[i] { shortest[i] = s; changed = true }
            }
        }
    }

    func shortestOf(_ i: Int) -> Int {
        let n = nodes[i]
        if !n.alternatives.isEmpty {
            let m = n.alternatives.map { shortest[Int($0)] }.min() ?? Grammar.never
            // oneOf: the shortest instance of a branch may match another branch too (0 is an
            // integer and a number); two more bytes (".5") always tell them apart.
            return n.exclusive && n.alternatives.count > 1 && m < Grammar.never ? m + 2 : m
        }
        var best = Grammar.never
        for k in ValueKind.allCases { best = min(best, shortestKind(n, k)) }
        return best
    }

    /// The shortest instance of one kind of value the node allows.
    func shortestKind(_ n: GNode, _ kind: ValueKind) -> Int {
        switch kind {
        case .literal: return n.literalTrie >= 0 ? Int(tries[Int(n.literalTrie)].minToTerminal[0]) : Grammar.never
        case .keyword: return n.literalTrie < 0 && n.keywordTrie >= 0 ? Int(tries[Int(n.keywordTrie)].minToTerminal[0]) : Grammar.never
        case .string: return n.literalTrie < 0 && n.string >= 0 ? strings[Int(n.string)].shortestFromStart + 2 : Grammar.never
        case .number: return n.literalTrie < 0 ? (n.number.map { $0.shortestCompletion([]) } ?? Grammar.never) : Grammar.never
        case .object:
            guard n.literalTrie < 0, let o = n.object else { return Grammar.never }
            return 1 + objectRemaining(o, afterOpen: true, emitted: KeySet(), extras: 0)
        case .array:
            guard n.literalTrie < 0, let a = n.array else { return Grammar.never }
            return 1 + arrayRemaining(a, count: 0)
        }
    }

    /// Whether key k must still be written: required, or a dependent of a key written.
    func mustWrite(_ o: ObjectRule, _ k: Int, _ emitted: KeySet) -> Bool {
        if emitted.contains(k) { return false }
        if o.required[k] { return true }
        guard !o.dependents.isEmpty else { return false }
        for (trigger, deps) in o.dependents where emitted.contains(trigger) && deps.contains(k) { return true }
        return false
    }

    /// Bytes still needed to close an object: the keys it must still write, enough keys for
    /// `minProperties`, commas, `}`.
    func objectRemaining(_ o: ObjectRule, afterOpen: Bool, emitted: KeySet, extras: Int) -> Int {
        var total = 1
        var first = afterOpen
        var written = emitted.count + extras
        for k in o.required.indices where mustWrite(o, k, emitted) {
            let v = shortest[Int(o.values[k])]
            if v >= Grammar.never { return Grammar.never }
            total += o.keyJSON[k].count + 1 + v + (first ? 0 : 1)
            first = false
            written += 1
        }
        if written < o.minProperties {
            // The cheapest further key, as many times as still missing.
            var cheapest = Grammar.never
            for k in o.keys.indices where !emitted.contains(k) && !mustWrite(o, k, emitted) {
                cheapest = min(cheapest, o.keyJSON[k].count + 1 + shortest[Int(o.values[k])])
            }
            if o.additional >= 0 { cheapest = min(cheapest, 3 + 1 + shortest[Int(o.additional)]) }
            for c in o.classes { cheapest = min(cheapest, 2 + strings[Int(c.string)].shortestFromStart + 1 + shortest[Int(c.value)]) }
            if cheapest >= Grammar.never { return Grammar.never }
            total += (o.minProperties - written) * (cheapest + 1) - (first ? 1 : 0)
        }
        if let m = o.maxProperties, emitted.count + extras > m { return Grammar.never }
        return total
    }

    /// Bytes still needed to close an array holding `count` items: the items `minItems` still asks for, commas, `]`.
    func arrayRemaining(_ a: ArrayRule, count: Int) -> Int {
        var total = 1
        var i = count
        while i < a.minItems {
            let node = a.itemNode(i)
            guard node >= 0 else { return Grammar.never }
            let v = shortest[node]
            if v >= Grammar.never { return Grammar.never }
            total += v + (i == 0 ? 0 : 1)
            i += 1
        }
        return total
    }
}

/// The first byte of a value decides which of these it is.
enum ValueKind: CaseIterable { case literal, keyword, string, number, object, array }

/// One node of the grammar, as the builder fills it in.
struct NodeDraft {
    var alternatives: [Int32] = []
    var exclusive = false
    var location: String
    var literalTrie: Int32 = -1
    var keywordTrie: Int32 = -1
    var string: Int32 = -1
    var number: NumberRule?
    var object: ObjectRule?
    var array: ArrayRule?

    init(location: String) { self.location = location }
}

/// One node of the grammar. Immutable and shared: the automaton reads its fields on every byte,
/// so nodes and rules are classes (one reference to copy) rather than structs of arrays.
final class GNode: Sendable {
    /// Union: one of these nodes (a thread per branch at run time).
    let alternatives: [Int32]
    /// `oneOf`: exactly one branch may match.
    let exclusive: Bool
    /// JSON Pointer of the schema, for messages.
    let location: String
    /// `enum`/`const`: the values as compact JSON in a trie; when set, nothing else is allowed.
    let literalTrie: Int32
    /// `true`, `false` and `null` as far as the type allows.
    let keywordTrie: Int32
    let string: Int32
    let number: NumberRule?
    let object: ObjectRule?
    let array: ArrayRule?

    init(_ d: NodeDraft) {
        alternatives = d.alternatives; exclusive = d.exclusive; location = d.location
        literalTrie = d.literalTrie; keywordTrie = d.keywordTrie; string = d.string
        number = d.number; object = d.object; array = d.array
    }
}

/// Which declared keys an object has written: the first 64 inline (no allocation when a state is copied).
struct KeySet: Sendable, Hashable {
    var low: UInt64 = 0
    var high: [UInt64] = []
    func contains(_ k: Int) -> Bool {
        if k < 64 { return low & (1 << UInt64(k)) != 0 }
        let w = k / 64 - 1
        return w < high.count && high[w] & (1 << UInt64(k % 64)) != 0
    }
    /// How many keys are in the set.
    var count: Int { low.nonzeroBitCount + high.reduce(0) { $0 + $1.nonzeroBitCount } }
    mutating func insert(_ k: Int) {
        if k < 64 { low |= 1 << UInt64(k); return }
        let w = k / 64 - 1
        while high.count <= w { high.append(0) }
        high[w] |= 1 << UInt64(k % 64)
    }
}

/// An object's keys in schema order, their value nodes, which are required, and what other keys may have.
final class ObjectRule: Sendable {
    /// Key text as UTF-8 (decoded).
    let keys: [[UInt8]]
    /// Key as compact JSON, quotes included (its cost in bytes).
    let keyJSON: [[UInt8]]
    let values: [Int32]
    let required: [Bool]
    /// Node for keys not in `keys`, or -1 when no other key is allowed.
    let additional: Int32
    /// Trie over the decoded keys; a terminal's value is the key index.
    let keyTrie: Int32
    /// `suffixBytes[k][d]`: bytes of JSON text that spell key k from decoded byte d on (quotes excluded).
    let suffixBytes: [[Int32]]
    /// Other keys by what they match (`patternProperties`, and extra keys under `propertyNames`):
    /// the string rule a key must match, and the node for its value.
    let classes: [(string: Int32, value: Int32)]
    /// Hashes of the declared keys' text (a class key may not repeat a declared name).
    let declaredHashes: Set<UInt64>
    /// `minProperties` / `maxProperties`.
    let minProperties: Int
    let maxProperties: Int?
    /// `dependentRequired`: a written key (index) makes these keys required.
    let dependents: [Int: [Int]]

    init(keys: [[UInt8]], keyJSON: [[UInt8]], values: [Int32], required: [Bool], additional: Int32, keyTrie: Int32,
         classes: [(string: Int32, value: Int32)] = [], minProperties: Int = 0, maxProperties: Int? = nil, dependents: [Int: [Int]] = [:]) {
        self.keys = keys; self.keyJSON = keyJSON; self.values = values; self.required = required
        self.additional = additional; self.keyTrie = keyTrie
        self.classes = classes; self.minProperties = minProperties; self.maxProperties = maxProperties; self.dependents = dependents
        declaredHashes = Set(keys.map { k in k.reduce(0xCBF2_9CE4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 } })
        suffixBytes = keys.map { key in
            var out = [Int32](repeating: 0, count: key.count + 1)
            for d in stride(from: key.count - 1, through: 0, by: -1) {
                let b = key[d]
                let cost: Int32 = b == 0x22 || b == 0x5C ? 2 : b < 0x20 ? ([0x08, 0x09, 0x0A, 0x0C, 0x0D].contains(b) ? 2 : 6) : 1
                out[d] = out[d + 1] + cost
            }
            return out
        }
    }
}

/// An array's positional items, the node for the rest (-1: none), and its length bounds.
final class ArrayRule: Sendable {
    let prefix: [Int32]
    let items: Int32
    let minItems: Int
    let maxItems: Int?
    /// `uniqueItems`: no item may repeat an earlier one's text (output is canonical: compact, keys in
    /// one order, no zero fractions, so equal values are written alike).
    let unique: Bool

    init(prefix: [Int32], items: Int32, minItems: Int, maxItems: Int?, unique: Bool) {
        self.prefix = prefix; self.items = items; self.minItems = minItems; self.maxItems = maxItems; self.unique = unique
    }

    func itemNode(_ i: Int) -> Int { i < prefix.count ? Int(prefix[i]) : Int(items) }
    /// The most items the array may hold.
    var capacity: Int? { items < 0 ? min(prefix.count, maxItems ?? Int.max) : maxItems }
}

/// A trie of byte strings; terminals carry a value (key index, or 0 for literals).
final class ByteTrie: Sendable {
    let children: [[(UInt8, Int32)]]
    let terminal: [Int32]
    /// Bytes from a node to the nearest terminal.
    let minToTerminal: [Int32]
    /// Bytes from the root to each node.
    let depth: [Int32]
    /// Values of the terminals below each node (key tries: which keys a prefix can still become).
    let below: [[Int32]]

    init(_ strings: [[UInt8]]) {
        var children: [[(UInt8, Int32)]] = [[]]
        var terminal: [Int32] = [-1]
        var depth: [Int32] = [0]
        var below: [[Int32]] = [[]]
        for (v, s) in strings.enumerated() {
            var n = 0
            below[0].append(Int32(v))
            for b in s {
                if let c = children[n].first(where: { $0.0 == b })?.1 { n = Int(c) } else {
                    children.append([]); terminal.append(-1); below.append([]); depth.append(depth[n] + 1)
                    let c = Int32(children.count - 1)
                    children[n].append((b, c))
                    n = Int(c)
                }
                below[n].append(Int32(v))
            }
            if terminal[n] < 0 { terminal[n] = Int32(v) }
        }
        var minTo = [Int32](repeating: Int32.max / 4, count: children.count)
        // Children always have larger indices than their parents: one backward pass.
        for n in stride(from: children.count - 1, through: 0, by: -1) {
            var m: Int32 = terminal[n] >= 0 ? 0 : Int32.max / 4
            for (_, c) in children[n] { m = min(m, minTo[Int(c)] + 1) }
            minTo[n] = m
        }
        self.children = children; self.terminal = terminal; self.depth = depth; self.below = below; self.minToTerminal = minTo
    }

    @inline(__always) func child(_ n: Int, _ b: UInt8) -> Int? {
        for (x, c) in children[n] where x == b { return Int(c) }
        return nil
    }
}

/// One schema in a conjunction, with where it sits in the document.
struct Member {
    var schema: JSONValue
    var pointer: String
    init(_ schema: JSONValue, _ pointer: String) { self.schema = schema; self.pointer = pointer }
}
