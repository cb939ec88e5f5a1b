import ProctorJSON

/// A short rendering of a value for messages.
func describe(_ v: JSONValue) -> String {
    let s = JSONSerializer.string(v)
    if s.count <= 60 { return s }
    return String(s.prefix(57)) + "…"
}

extension Evaluator {
    mutating func evalKeyword(_ kw: Keyword, _ inst: JSONValue, _ ann: inout Annotations?) -> Bool {
        switch kw {
        case .type(let set, let names):
            if set.matches(inst) { return true }
            let what = names.count == 1 ? "of type \"\(names[0])\"" : "one of the types " + names.map { "\"\($0)\"" }.joined(separator: ", ")
            report("type", "\(describe(inst)) is not \(what)")
            return false

        case .enumeration(let values):
            for v in values where v == inst { return true }
            report("enum", "\(describe(inst)) is not one of \(describe(.array(values)))")
            return false

        case .const(let c):
            if c == inst { return true }
            report("const", "\(describe(inst)) is not equal to the constant \(describe(c))")
            return false

        case .multipleOf(let m):
            guard case .number(let n) = inst else { return true }
            if n.isMultiple(of: m) { return true }
            report("multipleOf", "\(n) is not a multiple of \(m)")
            return false

        case .maximum(let m, let exclusive):
            guard case .number(let n) = inst else { return true }
            let c = JSONNumber.compare(n, m)
            if c < 0 || (c == 0 && !exclusive) { return true }
            report(exclusive ? "exclusiveMaximum" : "maximum",
                   exclusive ? "\(n) is greater than or equal to the exclusive maximum \(m)" : "\(n) is greater than the maximum \(m)")
            return false

        case .minimum(let m, let exclusive):
            guard case .number(let n) = inst else { return true }
            let c = JSONNumber.compare(n, m)
            if c > 0 || (c == 0 && !exclusive) { return true }
            report(exclusive ? "exclusiveMinimum" : "minimum",
                   exclusive ? "\(n) is less than or equal to the exclusive minimum \(m)" : "\(n) is less than the minimum \(m)")
            return false

        case .maxLength(let max):
            guard case .string(let s) = inst else { return true }
            if s.utf8.count <= max || s.unicodeScalars.count <= max { return true }
            report("maxLength", "\(describe(inst)) is longer than \(max) character\(max == 1 ? "" : "s")")
            return false

        case .minLength(let min):
            guard case .string(let s) = inst else { return true }
            if s.utf8.count >= min && s.unicodeScalars.count >= min { return true }
            report("minLength", "\(describe(inst)) is shorter than \(min) character\(min == 1 ? "" : "s")")
            return false

        case .pattern(let p):
            guard case .string(let s) = inst else { return true }
            do {
                if try p.test(s) { return true }
                report("pattern", "\(describe(inst)) does not match the pattern \(p.source)")
            } catch {
                report("pattern", "\(error)")
            }
            return false

        case .format(let name):
            guard let problem = FormatChecker.check(name, inst) else { return true }
            report("format", "\(describe(inst)) is not a valid \(name)\(problem.isEmpty ? "" : ": " + problem)")
            return false

        case .maxItems(let max):
            guard case .array(let a) = inst, a.count > max else { return true }
            report("maxItems", "array has \(a.count) items, more than the maximum \(max)")
            return false

        case .minItems(let min):
            guard case .array(let a) = inst, a.count < min else { return true }
            report("minItems", "array has \(a.count) item\(a.count == 1 ? "" : "s"), fewer than the minimum \(min)")
            return false

        case .uniqueItems:
            guard case .array(let a) = inst, a.count > 1 else { return true }
            var seen: [JSONValue: Int] = [:]
            for (i, x) in a.enumerated() {
                if let j = seen[x] {
                    report("uniqueItems", "array items \(j) and \(i) are equal (\(describe(x)))")
                    return false
                }
                seen[x] = i
            }
            return true

        case .maxProperties(let max):
            guard case .object(let o) = inst, o.uniqueEntries.count > max else { return true }
            report("maxProperties", "object has \(o.uniqueEntries.count) properties, more than the maximum \(max)")
            return false

        case .minProperties(let min):
            guard case .object(let o) = inst, o.uniqueEntries.count < min else { return true }
            report("minProperties", "object has \(o.uniqueEntries.count) properties, fewer than the minimum \(min)")
            return false

        case .required(let names):
            guard case .object(let o) = inst else { return true }
            var ok = true
            for n in names where o[n] == nil {
                ok = false
                report("required", "missing required property \(JSONSerializer.quote(n))")
                if !collectErrors { return false }
            }
            return ok

        case .dependentRequired(let deps, let kw):
            guard case .object(let o) = inst else { return true }
            var ok = true
            for (name, needed) in deps where o[name] != nil {
                for n in needed where o[n] == nil {
                    ok = false
                    report(kw, "property \(JSONSerializer.quote(name)) requires property \(JSONSerializer.quote(n))")
                    if !collectErrors { return false }
                }
            }
            return ok

        case .properties(let props, _):
            guard case .object(let o) = inst else { return true }
            var ok = true
            for (key, value) in o.entries {
                guard let node = props.lookup(key) else { continue }
                var none: Annotations? = nil
                if !child(node, value, keyword: "properties", key, at: key, ann: &none) {
                    ok = false
                    if !collectErrors { return false }
                }
                if ann != nil { ann!.properties.insert(key) }
            }
            return ok

        case .patternProperties(let pats):
            guard case .object(let o) = inst else { return true }
            var ok = true
            for (key, value) in o.entries {
                for (p, node) in pats where (try? p.test(key)) == true {
                    var none: Annotations? = nil
                    if !child(node, value, keyword: "patternProperties", p.source, at: key, ann: &none) {
                        ok = false
                        if !collectErrors { return false }
                    }
                    if ann != nil { ann!.properties.insert(key) }
                }
            }
            return ok

        case .additionalProperties(let node, let known, let patterns):
            guard case .object(let o) = inst else { return true }
            var ok = true
            let isFalse = infos[node].boolean == false
            for (key, value) in o.entries {
                if known.contains(key) { continue }
                if patterns.contains(where: { (try? $0.test(key)) == true }) { continue }
                if isFalse {
                    ok = false
                    report("additionalProperties", "property \(JSONSerializer.quote(key)) is not allowed (additionalProperties is false)")
                    if !collectErrors { return false }
                    continue
                }
                var none: Annotations? = nil
                if !child(node, value, keyword: "additionalProperties", at: key, ann: &none) {
                    ok = false
                    if !collectErrors { return false }
                }
            }
            if ok, ann != nil { ann!.allProperties = true }
            return ok

        case .propertyNames(let node):
            guard case .object(let o) = inst else { return true }
            var ok = true
            for (key, _) in o.entries {
                var none: Annotations? = nil
                if !child(node, .string(key), keyword: "propertyNames", ann: &none) {
                    ok = false
                    if !collectErrors { return false }
                }
            }
            return ok

        case .dependentSchemas(let deps, let kw):
            guard case .object(let o) = inst else { return true }
            var ok = true
            for (name, node) in deps where o[name] != nil {
                if !child(node, inst, keyword: kw, name, ann: &ann) {
                    ok = false
                    if !collectErrors { return false }
                }
            }
            return ok

        case .prefixItems(let nodes):
            guard case .array(let a) = inst else { return true }
            var ok = true
            for (i, node) in nodes.enumerated() where i < a.count {
                var none: Annotations? = nil
                if !child(node, a[i], keyword: "prefixItems", String(i), at: String(i), ann: &none) {
                    ok = false
                    if !collectErrors { return false }
                }
            }
            if ann != nil { ann!.itemsPrefix = max(ann!.itemsPrefix, min(nodes.count, a.count)) }
            return ok

        case .items(let node, let prefixCount, let keyword):
            guard case .array(let a) = inst else { return true }
            var ok = true
            var i = prefixCount
            while i < a.count {
                var none: Annotations? = nil
                if !child(node, a[i], keyword: keyword, at: String(i), ann: &none) {
                    ok = false
                    if !collectErrors { return false }
                }
                i += 1
            }
            if ann != nil && a.count > prefixCount { ann!.allItems = true }
            return ok

        case .contains(let node, let minC, let maxC):
            guard case .array(let a) = inst else { return true }
            var matched = 0
            let needAll = ann != nil || maxC != nil
            silently { ev -> Void in
                for (i, x) in a.enumerated() {
                    var none: Annotations? = nil
                    if ev.child(node, x, keyword: "contains", at: String(i), ann: &none) {
                        matched += 1
                        if ann != nil { ann!.itemIndices.insert(i) }
                        if !needAll && matched >= minC && !ev.collectErrors { break }
                    }
                }
            }
            if matched < minC {
                if minC == 1 { report("contains", "array contains no item that matches the contains schema") }
                else { report("minContains", "array contains \(matched) matching item\(matched == 1 ? "" : "s"), fewer than minContains \(minC)") }
                return false
            }
            if let maxC, matched > maxC {
                report("maxContains", "array contains \(matched) matching items, more than maxContains \(maxC)")
                return false
            }
            return true

        case .allOf(let nodes):
            var ok = true
            for (i, node) in nodes.enumerated() {
                if !child(node, inst, keyword: "allOf", String(i), ann: &ann) {
                    ok = false
                    if !collectErrors { return false }
                }
            }
            return ok

        case .anyOf(let nodes):
            var any = false
            for (i, node) in nodes.enumerated() where silently({ ev in ev.child(node, inst, keyword: "anyOf", String(i), ann: &ann) }) {
                any = true
                if ann == nil { return true }
            }
            if !any && collectErrors {
                // Every branch failed: walk them again for the errors the hint is made from.
                var branchErrors: [[ValidationError]] = []
                for (i, node) in nodes.enumerated() {
                    var none: Annotations? = nil
                    branchErrors.append(quietly { ev in ev.child(node, inst, keyword: "anyOf", String(i), ann: &none) }.1)
                }
                let hint = closest(branchErrors)
                report("anyOf", "\(describe(inst)) does not match any of the \(nodes.count) alternatives in anyOf" + hint)
            }
            return any

        case .oneOf(let nodes):
            var passing: [Int] = []
            for (i, node) in nodes.enumerated() {
                var local: Annotations? = ann != nil ? Annotations() : nil
                if silently({ ev in ev.child(node, inst, keyword: "oneOf", String(i), ann: &local) }) {
                    passing.append(i)
                    if let l = local { ann!.merge(l) }
                    if passing.count > 1 && !collectErrors { return false }
                }
            }
            if passing.count == 1 { return true }
            if passing.isEmpty {
                // No branch passed: walk them again for the errors the hint is made from.
                var branchErrors: [[ValidationError]] = []
                if collectErrors {
                    for (i, node) in nodes.enumerated() {
                        var none: Annotations? = nil
                        branchErrors.append(quietly { ev in ev.child(node, inst, keyword: "oneOf", String(i), ann: &none) }.1)
                    }
                }
                let hint = closest(branchErrors)
                report("oneOf", "\(describe(inst)) does not match any of the \(nodes.count) alternatives in oneOf" + hint)
            } else {
                report("oneOf", "\(describe(inst)) matches \(passing.count) alternatives in oneOf (\(passing.map(String.init).joined(separator: ", "))); exactly one is required")
            }
            return false

        case .not(let node):
            var none: Annotations? = nil
            let ok = silently { ev in ev.child(node, inst, keyword: "not", ann: &none) }
            if ok { report("not", "\(describe(inst)) must not match the schema in \"not\"") }
            return !ok

        case .conditional(let ifNode, let thenNode, let elseNode):
            let cond = silently { ev in ev.child(ifNode, inst, keyword: "if", ann: &ann) }
            if cond {
                if let t = thenNode { return child(t, inst, keyword: "then", ann: &ann) }
            } else if let e = elseNode {
                return child(e, inst, keyword: "else", ann: &ann)
            }
            return true

        case .ref(let node):
            return child(node, inst, keyword: "$ref", ann: &ann)

        case .unresolved(let message):
            report("$ref", message)
            return false

        case .dynamicRef(let node, let anchor):
            var target = node
            if let anchor {
                for r in scope {
                    if let t = schema.resources[r].dynamicAnchors[anchor] { target = t; break }
                }
            }
            return child(target, inst, keyword: "$dynamicRef", ann: &ann)

        case .unevaluatedProperties(let node):
            guard case .object(let o) = inst else { return true }
            let seen = ann ?? Annotations()
            if seen.allProperties { return true }
            var ok = true
            let isFalse = infos[node].boolean == false
            for (key, value) in o.entries where !seen.properties.contains(key) {
                if isFalse {
                    ok = false
                    report("unevaluatedProperties", "property \(JSONSerializer.quote(key)) is not allowed (unevaluatedProperties is false)")
                    if !collectErrors { return false }
                    continue
                }
                var none: Annotations? = nil
                if !child(node, value, keyword: "unevaluatedProperties", at: key, ann: &none) {
                    ok = false
                    if !collectErrors { return false }
                }
            }
            if ok, ann != nil { ann!.allProperties = true }
            return ok

        case .unevaluatedItems(let node):
            guard case .array(let a) = inst else { return true }
            let seen = ann ?? Annotations()
            if seen.allItems { return true }
            var ok = true
            var i = seen.itemsPrefix
            while i < a.count {
                if !seen.itemIndices.contains(i) {
                    var none: Annotations? = nil
                    if !child(node, a[i], keyword: "unevaluatedItems", at: String(i), ann: &none) {
                        ok = false
                        if !collectErrors { return false }
                    }
                }
                i += 1
            }
            if ok, ann != nil { ann!.allItems = true }
            return ok
        }
    }

    /// " (closest: …)" naming the failing branch with the fewest errors, to explain anyOf/oneOf failures.
    func closest(_ branches: [[ValidationError]]) -> String {
        // The branch with the fewest errors, then the deepest one (the first of equals); each
        // branch's depth is measured once.
        var best: (errors: [ValidationError], depth: Int)?
        for b in branches where !b.isEmpty {
            let depth = b.map { $0.instanceLocation.count }.max() ?? 0
            if let current = best, b.count > current.errors.count || (b.count == current.errors.count && depth <= current.depth) { continue }
            best = (b, depth)
        }
        guard let first = best?.errors.first else { return "" }
        return " (closest: \(first))"
    }
}
