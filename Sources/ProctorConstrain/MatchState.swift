/// Where the output stands in the grammar: one or more threads (several while `anyOf`/`oneOf`
/// branches are still all possible), each a stack of frames. Feeding a byte advances every thread
/// and drops those that cannot take it; the state is a value, so the mask search copies it freely
/// (frames below the top are shared, immutable list nodes).
public struct MatchState: Sendable {
    /// The first thread inline and the rest (usually none) in an array, so copying a state in the
    /// mask search allocates nothing.
    var first: Thread
    var others: [Thread] = []
    /// Bytes consumed so far (identifies where a `oneOf` value began).
    var offset: Int = 0

    init(root: Int) {
        first = Thread(top: .value(Int32(root)), below: StackNode(frame: .done, below: nil, tail: 0), depth: 0)
    }

    var single: Bool { others.isEmpty }

    /// Every thread (never empty).
    var threads: [Thread] {
        get { [first] + others }
        set { first = newValue[0]; others = Array(newValue.dropFirst()) }
    }
}

/// One derivation: the frame being filled and the frames around it.
struct Thread: Sendable {
    var top: Frame
    var below: StackNode?
    /// Open objects and arrays.
    var depth: Int32
    /// `oneOf` values this thread finished on the current byte: (split, branch).
    var finished: [(Int64, Int32)] = []
    /// Per open `uniqueItems` array, innermost last: a hash of the current item's text so far.
    var items: [ItemHash] = []
}

/// The hash of an item's bytes; `fresh` skips the byte that started the level (`[` or `,`).
struct ItemHash: Sendable {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    var fresh = true
}

/// A frame below the top: immutable, shared between copies of a state. `tail` is the fewest bytes
/// that close this frame and every frame below it, fixed when it was pushed.
final class StackNode: Sendable {
    let frame: Frame
    let below: StackNode?
    let tail: Int
    init(frame: Frame, below: StackNode?, tail: Int) {
        self.frame = frame
        self.below = below
        self.tail = tail
    }
}

enum Frame: Sendable {
    /// Before the first byte of a value of this node.
    case value(Int32)
    /// Inside an `enum`/`const` value or a keyword: trie and position.
    case literal(trie: Int32, at: Int32)
    case string(StrState)
    case number(NumState)
    case object(ObjState)
    case array(ArrState)
    /// Under a `oneOf` branch's value: which value (split) and which branch.
    case branch(split: Int64, index: Int32)
    /// The whole instance is written.
    case done
}

struct StrState: Sendable {
    /// String rule, or -1 for an object key.
    var rule: Int32
    var dfa: Int32 = 0
    var count: Int32 = 0
    /// 0: plain; 1: after `\`; 2…5: in `\u` with esc-2 hex digits read.
    var esc: UInt8 = 0
    /// UTF-8 continuation bytes still to come, and the range the next one must be in.
    var need: UInt8 = 0
    /// Length in bytes of the UTF-8 sequence being read.
    var seqLen: UInt8 = 0
    var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
    /// The scalar being assembled (escape or UTF-8).
    var acc: UInt32 = 0
    /// Key strings: position in the object's key trie (-1 once no declared key can match), and a
    /// hash of the decoded key (repeated extra keys are refused).
    var keyAt: Int32 = 0
    var keyHash: UInt64 = 0xCBF2_9CE4_8422_2325
    /// A key of one of the object's key classes (`ObjectRule.classes`), matched by `rule`; -1 otherwise.
    var keyClass: Int16 = -1
}

struct NumState: Sendable {
    var node: Int32
    var syntax: NumSyntax
    /// The text so far, kept only when the number has bounds (they are checked digit by digit).
    var text: [UInt8]
    /// The text is a finished number within the bounds (worked out once per digit, read for every byte tried after it).
    var done = false
}

struct ObjState: Sendable {
    enum Phase: UInt8 { case afterOpen, afterComma, inKey, afterKey, inValue, afterValue }
    var node: Int32
    var phase: Phase = .afterOpen
    /// The key being written or just written: its index, -1 for an extra key.
    var key: Int32 = -1
    /// The last declared key written (schema order).
    var last: Int32 = -1
    var emitted = KeySet()
    var extraHashes: [UInt64] = []
}

struct ArrState: Sendable {
    var node: Int32
    /// False right after `[`, true after an item.
    var afterItem = false
    var count: Int32 = 0
    /// `uniqueItems`: hashes of the items written.
    var seen: [UInt64] = []
}

/// A set of byte values.
public struct ByteSet: Sendable {
    var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    /// The empty set.
    public init() {}
    /// Every byte (what a state that cannot say more may take).
    public static let all: ByteSet = { var s = ByteSet(); s.w0 = ~0; s.w1 = ~0; s.w2 = ~0; s.w3 = ~0; return s }()
    /// Adds `b`.
    @inline(__always) public mutating func insert(_ b: UInt8) {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 { case 0: w0 |= bit; case 1: w1 |= bit; case 2: w2 |= bit; default: w3 |= bit }
    }
    /// Whether `b` is in the set.
    @inline(__always) public func contains(_ b: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 { case 0: return w0 & bit != 0; case 1: return w1 & bit != 0; case 2: return w2 & bit != 0; default: return w3 & bit != 0 }
    }
}
