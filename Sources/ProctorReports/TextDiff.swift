/// Line and word diffs of two outputs, on the standard library's Myers `difference(from:)`.
public enum TextDiff {
    /// One piece of the aligned sequence: in both, only in the old, or only in the new.
    public enum Op: Equatable, Sendable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// Aligns `old` and `new` into same/removed/added runs.
    public static func diff(_ old: [String], _ new: [String]) -> [Op] {
        let d = new.difference(from: old)
        var removed = Set<Int>(), inserted = Set<Int>()
        for c in d {
            switch c {
            case .remove(let o, _, _): removed.insert(o)
            case .insert(let o, _, _): inserted.insert(o)
            }
        }
        var ops: [Op] = []
        var i = 0, j = 0
        while i < old.count || j < new.count {
            if i < old.count && removed.contains(i) { ops.append(.removed(old[i])); i += 1 }
            else if j < new.count && inserted.contains(j) { ops.append(.added(new[j])); j += 1 }
            else if i < old.count && j < new.count { ops.append(.same(old[i])); i += 1; j += 1 }
            else if i < old.count { ops.append(.removed(old[i])); i += 1 }
            else { ops.append(.added(new[j])); j += 1 }
        }
        return ops
    }

    /// `s` split at newlines with empty lines kept, so joining the lines with newlines gives `s` back.
    public static func lines(_ s: String) -> [String] { s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    /// Words and the whitespace between them, so joining the pieces gives the text back.
    public static func words(_ s: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var curIsSpace: Bool?
        for ch in s {
            let sp = ch.isWhitespace
            if curIsSpace != nil && sp != curIsSpace! || (!sp && (ch.isPunctuation || ch.isSymbol)) {
                if !cur.isEmpty { out.append(cur) }
                cur = ""
            }
            cur.append(ch)
            curIsSpace = sp
            if !sp && (ch.isPunctuation || ch.isSymbol) { out.append(cur); cur = ""; curIsSpace = nil }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// Whitespace-separated chunks and the whitespace between them: the unit a reader compares
    /// (`"category":` stays one token, so a diff never pairs unrelated punctuation).
    public static func tokens(_ s: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var curIsSpace: Bool?
        for ch in s {
            let sp = ch.isWhitespace
            if let c = curIsSpace, c != sp { out.append(cur); cur = "" }
            cur.append(ch)
            curIsSpace = sp
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// A unified-style line diff (`-`/`+`/` ` prefixes), at most `limit` lines.
    public static func unified(_ old: String, _ new: String, limit: Int = 60) -> [String] {
        var out: [String] = []
        for op in diff(lines(old), lines(new)) {
            switch op {
            case .same(let l): out.append("  " + l)
            case .removed(let l): out.append("- " + l)
            case .added(let l): out.append("+ " + l)
            }
        }
        if out.count > limit { out = Array(out.prefix(limit)) + ["… (\(out.count - limit) more lines)"] }
        return out
    }
}
