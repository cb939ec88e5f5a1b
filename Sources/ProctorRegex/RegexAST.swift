// The parsed form of an ECMA-262 pattern.

indirect enum RegexNode {
    case empty
    case char(UInt32)
    case any
    case set(CharClass)
    case seq([RegexNode])
    case alt([RegexNode])
    /// A group; `capture` is its 1-based capture index, nil for `(?:…)`.
    case group(RegexNode, capture: Int?)
    case repeatNode(RegexNode, min: Int, max: Int?, greedy: Bool)
    case lineStart, lineEnd
    case wordBoundary(negated: Bool)
    case look(RegexNode, behind: Bool, negated: Bool)
    case backref(Int)
    case namedBackref(String)

    /// True when the node can match the empty string (decides whether a loop needs a progress check).
    var nullable: Bool {
        switch self {
        case .empty, .lineStart, .lineEnd, .wordBoundary, .look, .backref, .namedBackref: return true
        case .char, .any, .set: return false
        case .seq(let xs): return xs.allSatisfy(\.nullable)
        case .alt(let xs): return xs.contains(where: \.nullable)
        case .group(let n, _): return n.nullable
        case .repeatNode(let n, let min, _, _): return min == 0 || n.nullable
        }
    }
}
