/// The members of a JSON object, in source order.
///
/// Lookups are linear for small objects and go through a hash index for larger ones. When a key occurs
/// twice the last occurrence wins for lookups (as in most parsers) while `entries` keeps both.
public struct JSONObject: Sendable, Hashable, Sequence {
    /// One member: its key and its value.
    public typealias Entry = (key: String, value: JSONValue)

    /// All members in source order.
    public private(set) var entries: [Entry]
    private var index: [String: Int]?

    private static let indexThreshold = 32

    /// Makes an empty object.
    public init() { entries = [] }

    /// Makes an object from `entries` in the order given; duplicate keys are kept, and lookups see the last one.
    public init(_ entries: [Entry]) {
        self.entries = entries
        rebuildIndex()
    }

    private mutating func rebuildIndex() {
        if entries.count > Self.indexThreshold {
            var idx = [String: Int](minimumCapacity: entries.count)
            for (i, e) in entries.enumerated() { idx[e.key] = i }
            index = idx
        } else {
            index = nil
        }
    }

    /// Members in `entries`, duplicates counted.
    public var count: Int { entries.count }
    /// True when the object has no members.
    public var isEmpty: Bool { entries.isEmpty }
    /// Keys in source order, duplicates included.
    public var keys: [String] { entries.map(\.key) }

    /// The position of the member that lookups see for `key`.
    public func position(of key: String) -> Int? {
        if let index { return index[key] }
        var i = entries.count - 1
        while i >= 0 {
            if entries[i].key == key { return i }
            i -= 1
        }
        return nil
    }

    /// The value lookups see for `key` (its last occurrence); setting replaces it in place, appends a new member, or removes it when set to `nil`.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let i = position(of: key) {
                // Removing a key removes every occurrence: an earlier duplicate must not come back.
                if let newValue { entries[i].value = newValue } else { entries.removeAll { $0.key == key }; rebuildIndex() }
            } else if let newValue {
                entries.append((key: key, value: newValue))
                if index != nil { index![key] = entries.count - 1 } else if entries.count > Self.indexThreshold { rebuildIndex() }
            }
        }
    }

    /// Iterates over `entries` in source order, duplicates included.
    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    /// Some key occurs twice (only `entries` shows both).
    public var hasDuplicateKeys: Bool {
        if let index { return index.count != entries.count }
        for i in entries.indices {
            for j in entries.index(after: i)..<entries.endIndex where entries[j].key == entries[i].key { return true }
        }
        return false
    }

    /// Distinct keys with the value lookups see, in order of first appearance.
    public var uniqueEntries: [Entry] {
        var seen = Set<String>()
        var out: [Entry] = []
        out.reserveCapacity(entries.count)
        for e in entries where seen.insert(e.key).inserted { out.append((e.key, self[e.key]!)) }
        return out
    }

    // MARK: Equality ignores member order

    /// Equal when both have the same distinct keys with equal values, whatever the member order; keys compare by UTF-8 bytes.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        let ua = a.uniqueEntries
        if ua.count != b.uniqueEntries.count { return false }
        for (k, v) in ua {
            guard let i = b.position(of: k), sameBytes(b.entries[i].key, k), b.entries[i].value == v else { return false }
        }
        return true
    }

    /// Hashes the distinct members in an order-independent way, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine per-member hashes commutatively.
        var acc = 0
        let unique = uniqueEntries
        for (k, v) in unique {
            var h = Hasher()
            h.combine(k)
            h.combine(v)
            acc = acc &+ h.finalize()
        }
        hasher.combine(unique.count)
        hasher.combine(acc)
    }
}
