import ProctorJSON
import ProctorSupport

/// Which parts of an instance were evaluated by successful subschemas (for `unevaluated*`).
struct Annotations {
    var properties = Set<String>()
    var allProperties = false
    /// Items `0..<itemsPrefix` were evaluated.
    var itemsPrefix = 0
    var allItems = false
    var itemIndices = Set<Int>()

    mutating func merge(_ o: Annotations) {
        if o.allProperties { allProperties = true } else if !allProperties { properties.formUnion(o.properties) }
        itemsPrefix = max(itemsPrefix, o.itemsPrefix)
        if o.allItems { allItems = true }
        if !o.itemIndices.isEmpty { itemIndices.formUnion(o.itemIndices) }
    }
}

/// One validation pass: dynamic scope, paths for error messages, collected errors.
struct Evaluator {
    let schema: CompiledSchema
    /// Whether failures are collected with their paths; false on the fast path (and, for a while,
    /// inside `silently`).
    var collectErrors: Bool
    var errors: [ValidationError] = []
    var scope: [Int] = []
    var instancePath: [String] = []
    var keywordPath: [String] = []
    var depth = 0

    static let maxDepth = 400
    /// Lowest stack address this thread may use (with a safety margin): deep `$ref` recursion stops
    /// with an error here instead of overflowing a small stack (task threads have 512 KB).
    let stackFloor: StackGuard.Bounds

    /// The schema's node facts and keywords, borrowed: `schema` (a `let` of this evaluator) owns
    /// both arrays and nothing mutates them, so the buffers stay valid for the evaluator's life, and
    /// reading a keyword through them retains nothing.
    let infos: UnsafeBufferPointer<NodeInfo>
    let keywords: UnsafeBufferPointer<Keyword>

    init(schema: CompiledSchema, collectErrors: Bool) {
        self.schema = schema
        self.collectErrors = collectErrors
        stackFloor = StackGuard.floor()
        infos = schema.nodeInfo.withUnsafeBufferPointer { $0 }
        keywords = schema.keywords.withUnsafeBufferPointer { $0 }
    }

    @inline(__always) func stackIsLow() -> Bool { StackGuard.isLow(stackFloor) }

    // MARK: - Errors and paths

    mutating func report(_ keyword: String, _ message: @autoclosure () -> String) {
        guard collectErrors else { return }
        errors.append(ValidationError(instanceTokens: instancePath, keywordTokens: keywordPath + [keyword], keyword: keyword, message: message()))
    }

    @inline(__always) mutating func pushKeyword(_ k: String) { if collectErrors { keywordPath.append(k) } }
    @inline(__always) mutating func popKeyword(_ n: Int = 1) { if collectErrors { keywordPath.removeLast(n) } }
    @inline(__always) mutating func pushInstance(_ k: String) { if collectErrors { instancePath.append(k) } }
    @inline(__always) mutating func popInstance() { if collectErrors { instancePath.removeLast() } }

    /// Evaluates a child at a keyword path (`tokens`) and, optionally, an instance token.
    mutating func child(_ node: Int, _ inst: JSONValue, keyword k1: String, _ k2: @autoclosure () -> String? = nil,
                        at token: @autoclosure () -> String? = nil, ann: inout Annotations?) -> Bool {
        // The fast path builds no path token at all (an item index would be formatted for nothing).
        guard collectErrors else { return eval(node, inst, &ann) }
        keywordPath.append(k1)
        let second = k2()
        if let second { keywordPath.append(second) }
        let t = token()
        if let t { instancePath.append(t) }
        let ok = eval(node, inst, &ann)
        if t != nil { instancePath.removeLast() }
        keywordPath.removeLast(second == nil ? 1 : 2)
        return ok
    }

    /// Runs `body` with errors suppressed; returns its result and the errors it would have reported.
    mutating func quietly<T>(_ body: (inout Evaluator) -> T) -> (T, [ValidationError]) {
        let mark = errors.count
        let r = body(&self)
        if !collectErrors { return (r, []) }
        let found = Array(errors[mark...])
        errors.removeSubrange(mark...)
        return (r, found)
    }

    /// Runs `body` on the fast path (no errors, no paths, stopping at the first failure), for
    /// subschemas whose errors matter only when their keyword fails: an `if`, a `not`, the branches
    /// of `anyOf`/`oneOf` and `contains` until then. Validity and annotations are the same.
    mutating func silently<T>(_ body: (inout Evaluator) -> T) -> T {
        let saved = collectErrors
        collectErrors = false
        defer { collectErrors = saved }
        return body(&self)
    }

    // MARK: - Nodes

    mutating func eval(_ index: Int, _ inst: JSONValue, _ ann: inout Annotations?) -> Bool {
        let node = infos[index]
        if let b = node.boolean {
            if !b { report("false", "no value is allowed here (the schema is false)") ; if collectErrors { errors[errors.count - 1] = falseError() } }
            return b
        }
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth || stackIsLow() {
            report("$ref", "schema recursion deeper than \(Self.maxDepth) levels (a $ref cycle that never consumes the instance?)")
            return false
        }
        let entered = scope.last != node.resource
        if entered { scope.append(node.resource) }
        defer { if entered { scope.removeLast() } }

        var local: Annotations? = (ann != nil || node.needsAnnotations) ? Annotations() : nil
        var valid = true
        for k in node.keywords {
            if !evalKeyword(keywords[k], inst, &local) {
                valid = false
                if !collectErrors { return false }
            }
        }
        if valid, ann != nil, let l = local { ann!.merge(l) }
        return valid
    }

    /// A `false` subschema reports at its parent keyword (e.g. `/properties/x`), not at a `/false` token.
    func falseError() -> ValidationError {
        let e = errors[errors.count - 1]
        return ValidationError(instanceTokens: instancePath, keywordTokens: keywordPath, keyword: keywordPath.last ?? "false", message: e.message)
    }
}
