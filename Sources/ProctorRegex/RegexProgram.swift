// Compiles a `RegexNode` into instructions for the backtracking matcher.

enum RegexInst {
    case char(UInt32)
    case charFold(UInt32)
    case any(dotAll: Bool)
    case set(Int)
    /// Try `x` first; on failure resume at `y`.
    case split(Int, Int)
    case jump(Int)
    case save(Int)
    case lineStart(multiline: Bool)
    case lineEnd(multiline: Bool)
    case wordBoundary(negated: Bool)
    /// Run sub-program `prog` as a lookaround at the current position.
    case look(prog: Int, behind: Bool, negated: Bool)
    case backref(group: Int, fold: Bool)
    /// Record the position in loop register `r` (at loop entry).
    case markLoop(Int)
    /// Fail when the position has not moved since `markLoop(r)` (ECMA's empty-iteration rule).
    case checkProgress(Int)
    case match
}

struct RegexProgram {
    var insts: [RegexInst] = []
    var sets: [CharClass] = []
    /// Each set's answer for the 128 ASCII scalars as two 64-bit masks (case folding and negation
    /// applied), so matching an ASCII character is a bit test instead of a walk over ranges.
    var asciiSets: [ASCIIBits] = []
    /// Lookaround bodies, each a separate program ending in `.match`.
    var subprograms: [[RegexInst]] = []
    var loopRegisters = 0
    var captureCount = 0
    var anchoredStart = false

    static let maxInstructions = 200_000
}

struct RegexCompiler {
    var program = RegexProgram()
    let flags: ECMARegex.Flags
    let names: [String: Int]
    let pattern: String

    init(flags: ECMARegex.Flags, names: [String: Int], pattern: String) {
        self.flags = flags
        self.names = names
        self.pattern = pattern
    }

    mutating func compile(_ node: RegexNode, captures: Int) throws(RegexSyntaxError) -> RegexProgram {
        program.captureCount = captures
        var main: [RegexInst] = []
        try emit(node, into: &main)
        main.append(.match)
        program.insts = main
        if case .seq(let xs) = node, case .lineStart = xs.first, !flags.multiline { program.anchoredStart = true }
        if case .lineStart = node, !flags.multiline { program.anchoredStart = true }
        return program
    }

    func tooLarge() -> RegexSyntaxError {
        RegexSyntaxError(pattern: pattern, position: 0, message: "pattern expands to too many instructions")
    }

    mutating func emit(_ node: RegexNode, into out: inout [RegexInst]) throws(RegexSyntaxError) {
        if out.count > RegexProgram.maxInstructions { throw tooLarge() }
        switch node {
        case .empty: break
        case .char(let c):
            if flags.ignoreCase { out.append(.charFold(foldCase(c))) } else { out.append(.char(c)) }
        case .any: out.append(.any(dotAll: flags.dotAll))
        case .set(var cls):
            cls.ignoreCase = flags.ignoreCase
            program.sets.append(cls)
            program.asciiSets.append(ASCIIBits(cls))
            out.append(.set(program.sets.count - 1))
        case .seq(let xs):
            for x in xs { try emit(x, into: &out) }
        case .alt(let xs):
            // split L1, next; L1: x0; jump end; next: split L2, next2; ...
            var jumps: [Int] = []
            for (i, x) in xs.enumerated() {
                if i < xs.count - 1 {
                    let splitAt = out.count
                    out.append(.split(0, 0))
                    try emit(x, into: &out)
                    jumps.append(out.count)
                    out.append(.jump(0))
                    out[splitAt] = .split(splitAt + 1, out.count)
                } else {
                    try emit(x, into: &out)
                }
            }
            for j in jumps { out[j] = .jump(out.count) }
        case .group(let n, let cap):
            if let cap { out.append(.save(cap * 2)) }
            try emit(n, into: &out)
            if let cap { out.append(.save(cap * 2 + 1)) }
        case .repeatNode(let n, let minCount, let maxCount, let greedy):
            for _ in 0..<minCount { try emit(n, into: &out) }
            if let maxCount {
                // Optional copies: split body, end (nested so each copy is optional after the previous).
                var splits: [Int] = []
                for _ in 0..<(maxCount - minCount) {
                    splits.append(out.count)
                    out.append(.split(0, 0))
                    try emitLoopBody(n, into: &out)
                }
                let end = out.count
                for s in splits { out[s] = greedy ? .split(s + 1, end) : .split(end, s + 1) }
            } else {
                let loopStart = out.count
                out.append(.split(0, 0))
                try emitLoopBody(n, into: &out)
                out.append(.jump(loopStart))
                let end = out.count
                out[loopStart] = greedy ? .split(loopStart + 1, end) : .split(end, loopStart + 1)
            }
        case .lineStart: out.append(.lineStart(multiline: flags.multiline))
        case .lineEnd: out.append(.lineEnd(multiline: flags.multiline))
        case .wordBoundary(let neg): out.append(.wordBoundary(negated: neg))
        case .look(let n, let behind, let neg):
            var sub: [RegexInst] = []
            try emit(n, into: &sub)
            sub.append(.match)
            program.subprograms.append(sub)
            out.append(.look(prog: program.subprograms.count - 1, behind: behind, negated: neg))
        case .backref(let g): out.append(.backref(group: g, fold: flags.ignoreCase))
        case .namedBackref(let name):
            guard let g = names[name] else {
                throw RegexSyntaxError(pattern: pattern, position: 0, message: "no group named '\(name)'")
            }
            out.append(.backref(group: g, fold: flags.ignoreCase))
        }
    }

    /// A loop body; bodies that can match empty get a progress check so the loop cannot spin.
    mutating func emitLoopBody(_ n: RegexNode, into out: inout [RegexInst]) throws(RegexSyntaxError) {
        if n.nullable {
            let r = program.loopRegisters
            program.loopRegisters += 1
            out.append(.markLoop(r))
            try emit(n, into: &out)
            out.append(.checkProgress(r))
        } else {
            try emit(n, into: &out)
        }
    }
}

/// Membership of the ASCII scalars in a character class, as bits (a trivial value: reading it
/// retains nothing).
struct ASCIIBits {
    var low: UInt64 = 0   // scalars 0..<64
    var high: UInt64 = 0  // scalars 64..<128

    init(_ cls: CharClass) {
        for c in UInt32(0)..<128 where cls.contains(c) {
            if c < 64 { low |= 1 << UInt64(c) } else { high |= 1 << UInt64(c - 64) }
        }
    }

    @inline(__always)
    func contains(_ c: UInt32) -> Bool {
        c < 64 ? (low >> UInt64(c)) & 1 != 0 : (high >> UInt64(c - 64)) & 1 != 0
    }
}
