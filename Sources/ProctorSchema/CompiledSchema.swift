import ProctorJSON

/// A schema compiled once and validated against many instances. Immutable and `Sendable`, so one
/// compiled schema serves every concurrent case of a run.
public struct CompiledSchema: Sendable {
    let resources: [SchemaResource]
    let root: Int
    /// The dialect of the root schema.
    public let draft: SchemaDraft
    /// Formats the schema asks to assert that Proctor does not know, as "POINTER: NAME": they are
    /// annotations (never a failed check), and the CLI says so under `--format-assert`.
    public internal(set) var unknownFormats: [String] = []
    /// References to documents nobody serves, deferred under `SchemaOptions.deferUnresolvedRefs`
    /// ("POINTER/$ref: why"): an instance that reaches one is invalid with that message.
    public internal(set) var unresolvedRefs: [String] = []
    /// The files the schema's references were read from (not the schema's own file): inputs a
    /// command must not write over.
    public internal(set) var filesRead: [String] = []
    /// The compiled nodes, flattened: every node's keywords in one array (node i's at
    /// `nodeInfo[i].keywords`), and per node the plain facts the evaluator reads. The evaluator
    /// borrows both, so evaluating a keyword copies (and reference-counts) nothing.
    let keywords: [Keyword]
    let nodeInfo: [NodeInfo]

    init(nodes: [SchemaNode], resources: [SchemaResource], root: Int, draft: SchemaDraft) {
        self.resources = resources
        self.root = root
        self.draft = draft
        var kws: [Keyword] = []
        var info: [NodeInfo] = []
        for n in nodes {
            info.append(NodeInfo(boolean: n.boolean, resource: n.resource, keywords: kws.count..<(kws.count + n.keywords.count),
                                 needsAnnotations: n.needsAnnotations))
            kws += n.keywords
        }
        keywords = kws
        nodeInfo = info
    }

    /// Compiles `schema`.
    /// - Parameters:
    ///   - schema: the schema document (an object or a boolean).
    ///   - uri: the retrieval URI (a `file://` URL for files, so relative `$ref`s find sibling files).
    ///   - registry: documents and folders for remote `$ref`s; the bundled metaschemas are always there.
    ///   - options: the default draft and whether `format` asserts.
    /// - Throws: `SchemaError` naming the bad keyword by JSON Pointer.
    public static func compile(_ schema: JSONValue, uri: String? = nil, registry: SchemaRegistry = SchemaRegistry(),
                               options: SchemaOptions = SchemaOptions()) throws(SchemaError) -> CompiledSchema {
        let c = SchemaCompiler(registry: registry, options: options)
        let docURI = normalizeURI(uri ?? "urn:proctor:schema:root")
        try c.addDocument(schema, uri: docURI, draft: options.defaultDraft, forced: options.forcedDraft)
        let root = try c.compileNode(LocKey(doc: docURI, pointer: ""))
        // Compile every dynamic anchor of every resource met, until no new resources appear.
        var done = 0
        while done < c.resources.count {
            let r = done
            done += 1
            for (name, key) in c.dynamicLocs[r].sorted(by: { $0.key < $1.key }) {
                let n = try c.compileNode(key)
                c.resources[r].dynamicAnchors[name] = n
            }
            if done == c.resources.count {
                // Compiling anchors may have loaded documents; re-check resources compiled earlier.
                for i in 0..<c.resources.count where c.resources[i].dynamicAnchors.count != c.dynamicLocs[i].count {
                    for (name, key) in c.dynamicLocs[i] { c.resources[i].dynamicAnchors[name] = try c.compileNode(key) }
                }
            }
        }
        let draft = c.info[LocKey(doc: docURI, pointer: "")]?.draft ?? options.defaultDraft
        let nodes = c.nodes.map { $0! }
        if let cycle = inPlaceCycle(nodes, from: root) {
            // Name the cycle by its place in the documents: the first node of it that has one.
            var keyOf: [Int: LocKey] = [:]
            for (k, i) in c.nodeIndex { keyOf[i] = k }
            var places = cycle.compactMap { keyOf[$0] }.map { ($0.pointer.isEmpty ? "#" : "#" + $0.pointer) }
            if let first = places.first { places.append(first) }
            let at = cycle.lazy.compactMap { keyOf[$0] }.first ?? LocKey(doc: docURI, pointer: "")
            throw SchemaError(pointer: at.pointer, document: at.doc,
                              message: "a reference cycle that never reaches a keyword of the instance: \(places.joined(separator: " → ")) "
                                + "(every evaluation would recurse forever)")
        }
        var compiled = CompiledSchema(nodes: nodes, resources: c.resources, root: root, draft: draft)
        compiled.unknownFormats = c.unknownFormats
        compiled.unresolvedRefs = c.unresolvedRefs
        compiled.filesRead = c.filesRead
        return compiled
    }

    /// A cycle of schemas applied to the same instance location (through `$ref`, `allOf`, `anyOf`,
    /// `oneOf`, `not`, `if`/`then`/`else`, `dependentSchemas`), reachable from `root`: such a schema
    /// evaluates itself forever (the specification leaves it undefined), so it is a bad schema, not
    /// an invalid instance. Returns the node indices of the cycle, or nil. (`$dynamicRef` targets
    /// depend on the dynamic scope and are left out.)
    static func inPlaceCycle(_ nodes: [SchemaNode], from root: Int) -> [Int]? {
        func next(_ n: Int) -> [Int] {
            nodes[n].keywords.flatMap { k -> [Int] in
                switch k {
                case .ref(let t): return [t]
                case .allOf(let xs), .anyOf(let xs), .oneOf(let xs): return xs
                case .not(let t): return [t]
                case .conditional(let i, let t, let e): return [i] + [t, e].compactMap { $0 }
                case .dependentSchemas(let xs, _): return xs.map(\.1)
                default: return []
                }
            }
        }
        // Iterative depth-first search (a deep schema must not exhaust the stack): 1 = on the path, 2 = done.
        var state = [UInt8](repeating: 0, count: nodes.count)
        var stack: [(node: Int, succ: [Int], i: Int)] = [(root, next(root), 0)]
        state[root] = 1
        while !stack.isEmpty {
            let top = stack.count - 1
            if stack[top].i == stack[top].succ.count {
                state[stack[top].node] = 2
                stack.removeLast()
                continue
            }
            let m = stack[top].succ[stack[top].i]
            stack[top].i += 1
            if state[m] == 1 {
                let from = stack.firstIndex { $0.node == m }!
                return stack[from...].map(\.node)
            }
            if state[m] == 0 {
                state[m] = 1
                stack.append((m, next(m), 0))
            }
        }
        return nil
    }

    /// Parses and compiles schema text (JSONC accepted).
    public static func compile(text: String, uri: String? = nil, registry: SchemaRegistry = SchemaRegistry(),
                               options: SchemaOptions = SchemaOptions()) throws(SchemaError) -> CompiledSchema {
        let v: JSONValue
        do { v = try JSONParser.parse(text, options: .jsonc) } catch {
            throw SchemaError(pointer: "", document: uri ?? "schema", message: "not valid JSON: \(error)")
        }
        return try compile(v, uri: uri, registry: registry, options: options)
    }

    /// True when `instance` is valid. Stops at the first failure: the fast path.
    public func isValid(_ instance: JSONValue) -> Bool {
        var ev = Evaluator(schema: self, collectErrors: false)
        var ann: Annotations? = nil
        return ev.eval(root, instance, &ann)
    }

    /// Validates `instance` and collects every error with its locations and message.
    public func validate(_ instance: JSONValue) -> ValidationResult {
        // Most instances are valid: confirm that on the fast path before collecting errors.
        if isValid(instance) { return ValidationResult(valid: true, errors: []) }
        var ev = Evaluator(schema: self, collectErrors: true)
        var ann: Annotations? = nil
        let ok = ev.eval(root, instance, &ann)
        return ValidationResult(valid: ok, errors: ok ? [] : ev.errors)
    }
}
