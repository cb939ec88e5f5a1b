import ProctorJSON

/// `${VAR}` and `${VAR:-default}` in a suite's configuration strings, replaced from the environment
/// when the suite loads: the backends (base URLs, model names, `argv`, `env`, paths), `casesFrom`,
/// prompt `file`s and validator `schema` paths and `argv`. Templates and expected values are never
/// touched. `$${` writes a literal `${`. An unset variable without a default is a load error.
enum EnvSubstitution {
    struct Unset: Error {
        let name: String
    }

    /// `text` with every `${…}` replaced.
    static func apply(_ text: String, _ env: [String: String]) throws(Unset) -> String {
        guard text.contains("${") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            if text[i...].hasPrefix("$${") {
                out += "${"
                i = text.index(i, offsetBy: 3)
            } else if text[i...].hasPrefix("${"), let close = text[i...].firstIndex(of: "}") {
                let body = text[text.index(i, offsetBy: 2)..<close]
                let parts = body.components(separatedBy: ":-")
                let name = parts[0]
                if let v = env[name], !v.isEmpty {
                    out += v
                } else if parts.count > 1 {
                    out += parts.dropFirst().joined(separator: ":-")
                } else {
                    throw Unset(name: name)
                }
                i = text.index(after: close)
            } else {
                out.append(text[i])
                i = text.index(after: i)
            }
        }
        return out
    }

    /// The suite's root object with substitutions made where they apply; errors point at the string.
    static func suite(_ root: JSONObject, _ env: [String: String], _ src: SuiteSource) throws(SuiteError) -> JSONObject {
        var out = root
        if case .array(let bs)? = root["backends"] {
            var r: [JSONValue] = []
            for (i, b) in bs.enumerated() {
                // Where a backend fills `${VAR}` itself (an http backend's url, headers and query; any
                // backend's query), it keeps the values as secrets, redacted everywhere, and the
                // `${VAR}` form in its identity, so they reach no report or cache file.
                let own = b["type"]?.stringValue == "http" ? ["url", "headers", "query"] : ["query"]
                if case .object(var o) = b, own.contains(where: { o[$0] != nil }) {
                    var kept: [(String, JSONValue)] = []
                    for k in own { if let v = o[k] { kept.append((k, v)); o[k] = nil } }
                    guard case .object(var done) = try all(.object(o), "/backends/\(i)", env, src) else { continue }
                    for (k, v) in kept { done[k] = v }
                    r.append(.object(done))
                } else {
                    r.append(try all(b, "/backends/\(i)", env, src))
                }
            }
            out["backends"] = .array(r)
        } else if let b = root["backends"] { out["backends"] = try all(b, "/backends", env, src) }
        if let c = root["casesFrom"] { out["casesFrom"] = try all(c, "/casesFrom", env, src) }
        if case .array(var prompts)? = root["prompts"] {
            for i in prompts.indices {
                if case .object(var p) = prompts[i], let f = p["file"] {
                    p["file"] = try all(f, "/prompts/\(i)/file", env, src)
                    prompts[i] = .object(p)
                }
            }
            out["prompts"] = .array(prompts)
        }
        return out
    }

    /// Validator `schema` paths and command `argv`, anywhere inside a validators list.
    static func validator(_ o: JSONObject, _ ptr: String, _ env: [String: String], _ src: SuiteSource) throws(SuiteError) -> JSONObject {
        var out = o
        if case .string = o["schema"] { out["schema"] = try all(o["schema"]!, ptr + "/schema", env, src) }
        if o["type"]?.stringValue == "command", let a = o["argv"] { out["argv"] = try all(a, ptr + "/argv", env, src) }
        return out
    }

    static func all(_ v: JSONValue, _ ptr: String, _ env: [String: String], _ src: SuiteSource) throws(SuiteError) -> JSONValue {
        switch v {
        case .string(let s):
            do { return .string(try apply(s, env)) } catch {
                throw src.error(ptr, "environment variable \(error.name) is not set (used as ${\(error.name)}; write ${\(error.name):-default} for a default)")
            }
        case .array(let xs):
            var r: [JSONValue] = []
            for (i, x) in xs.enumerated() { r.append(try all(x, ptr + "/\(i)", env, src)) }
            return .array(r)
        case .object(let o):
            var r = o
            for (k, x) in o { r[k] = try all(x, ptr + "/" + JSONPointer.escape(k), env, src) }
            return .object(r)
        default:
            return v
        }
    }
}
