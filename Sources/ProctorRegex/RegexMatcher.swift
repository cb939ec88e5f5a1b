// A backtracking matcher over Unicode scalars with an explicit stack and a step budget.

/// Thrown when a match needs more steps than allowed (catastrophic backtracking).
public struct RegexStepLimitExceeded: Error, Sendable, CustomStringConvertible {
    /// The pattern whose match gave up.
    public let pattern: String
    /// The step budget that ran out: `stepLimit` plus 32 per input character.
    public let limit: Int
    /// One line naming the pattern and the budget, and suggesting catastrophic backtracking.
    public var description: String {
        "regular expression /\(pattern)/ gave up after \(limit) backtracking steps (catastrophic backtracking?)"
    }
}

struct RegexMatcher {
    let program: RegexProgram
    let input: [UInt32]
    var caps: [Int]
    var regs: [Int]
    /// Backtrack frames: kind 0 = branch(pc, pos), 1 = restore capture(a, old), 2 = restore register(a, old).
    var stack: [(kind: UInt8, a: Int, b: Int)] = []
    var steps = 0
    let limit: Int

    init(program: RegexProgram, input: [UInt32], limit: Int) {
        self.program = program
        self.input = input
        self.caps = Array(repeating: -1, count: (program.captureCount + 1) * 2)
        self.regs = Array(repeating: -1, count: program.loopRegisters)
        self.limit = limit
    }

    /// Runs `insts` from `sp`; returns the end position of the first match, or nil.
    mutating func run(_ insts: [RegexInst], at start: Int, requiredEnd: Int? = nil) -> Int?? {
        let base = stack.count
        var pc = 0
        var sp = start
        let n = input.count
        while true {
            steps += 1
            if steps > limit { stack.removeSubrange(base...); return nil }
            var ok = true
            switch insts[pc] {
            case .char(let c):
                if sp < n && input[sp] == c { sp += 1; pc += 1 } else { ok = false }
            case .charFold(let c):
                if sp < n && (input[sp] == c || foldCase(input[sp]) == c) { sp += 1; pc += 1 } else { ok = false }
            case .any(let dotAll):
                if sp < n && (dotAll || !isLineTerminator(input[sp])) { sp += 1; pc += 1 } else { ok = false }
            case .set(let k):
                if sp < n, input[sp] < 128 ? program.asciiSets[k].contains(input[sp]) : program.sets[k].contains(input[sp]) {
                    sp += 1; pc += 1
                } else {
                    ok = false
                }
            case .split(let x, let y):
                stack.append((0, y, sp))
                pc = x
            case .jump(let x):
                pc = x
            case .save(let i):
                stack.append((1, i, caps[i]))
                caps[i] = sp
                pc += 1
            case .lineStart(let multi):
                if sp == 0 || (multi && isLineTerminator(input[sp - 1])) { pc += 1 } else { ok = false }
            case .lineEnd(let multi):
                if sp == n || (multi && isLineTerminator(input[sp])) { pc += 1 } else { ok = false }
            case .wordBoundary(let negated):
                let a = sp > 0 && isWordChar(input[sp - 1])
                let b = sp < n && isWordChar(input[sp])
                if (a != b) != negated { pc += 1 } else { ok = false }
            case .look(let prog, let behind, let negated):
                let sub = program.subprograms[prog]
                var found = false
                if behind {
                    var j = sp
                    while j >= 0 {
                        guard let r = run(sub, at: j, requiredEnd: sp) else { stack.removeSubrange(base...); return nil }
                        if r != nil { found = true; break }
                        j -= 1
                    }
                } else {
                    guard let r = run(sub, at: sp) else { stack.removeSubrange(base...); return nil }
                    found = r != nil
                }
                if found != negated { pc += 1 } else { ok = false }
            case .backref(let g, let fold):
                let s = caps[g * 2], e = caps[g * 2 + 1]
                if s < 0 || e < 0 {
                    pc += 1  // an unset group matches empty
                } else {
                    let len = e - s
                    if sp + len <= n {
                        var same = true
                        for k in 0..<len {
                            let x = input[s + k], y = input[sp + k]
                            if x != y && !(fold && foldCase(x) == foldCase(y)) { same = false; break }
                        }
                        if same { sp += len; pc += 1 } else { ok = false }
                    } else {
                        ok = false
                    }
                }
            case .markLoop(let r):
                stack.append((2, r, regs[r]))
                regs[r] = sp
                pc += 1
            case .checkProgress(let r):
                if regs[r] != sp { pc += 1 } else { ok = false }
            case .match:
                if let requiredEnd, sp != requiredEnd {
                    ok = false
                } else {
                    // Lookarounds and whole runs are atomic: drop their remaining choice points.
                    if base == 0 { stack.removeAll(keepingCapacity: true) } else { discardFrames(above: base) }
                    return .some(sp)
                }
            }
            if ok { continue }
            // Backtrack.
            var resumed = false
            while stack.count > base {
                let f = stack.removeLast()
                switch f.kind {
                case 0: pc = f.a; sp = f.b; resumed = true
                case 1: caps[f.a] = f.b
                default: regs[f.a] = f.b
                }
                if resumed { break }
            }
            if !resumed { return .some(nil) }
        }
    }

    /// Drops choice points above `base` but keeps capture restores, so outer backtracking stays correct.
    mutating func discardFrames(above base: Int) {
        var keep: [(kind: UInt8, a: Int, b: Int)] = []
        for f in stack[base...] where f.kind != 0 { keep.append(f) }
        stack.removeSubrange(base...)
        stack.append(contentsOf: keep)
    }
}
