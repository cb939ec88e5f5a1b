import ProctorJSON

/// A growable byte buffer written through a raw pointer. An append is a capacity check and a
/// copy, with none of an array's uniqueness and generic-sequence work: a 100,000-case results
/// file is millions of small writes, and those checks were a third of its time.
struct ByteBuffer: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 1 << 16) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// What has been written.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    mutating func removeAll() { count = 0 }

    /// Room for `n` more bytes.
    @inline(__always) mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ need: Int) {
        let newCapacity = max(need, capacity * 2)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = newCapacity
    }

    @inline(__always) mutating func append(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always) mutating func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        reserve(n)
        Self.copy(p, n, to: base + count)
        count += n
    }

    /// Copies `n` bytes; up to 16 without a call to memmove (most keys, ids and short values):
    /// two overlapping words from 8 bytes on, a byte loop below.
    @inline(__always) static func copy(_ p: UnsafePointer<UInt8>, _ n: Int, to d: UnsafeMutablePointer<UInt8>) {
        if n >= 8 && n <= 16 {
            let from = UnsafeRawPointer(p), to = UnsafeMutableRawPointer(d)
            to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), toByteOffset: n - 8, as: UInt64.self)
        } else if n < 8 {
            for i in 0..<n { d[i] = p[i] }
        } else {
            d.update(from: p, count: n)
        }
    }

    /// Eight spaces, stored a word at a time for indents.
    static let spaceWord: UInt64 = 0x2020_2020_2020_2020

    /// `n` spaces at `d` in whole words: up to 7 bytes past them are written too, and the
    /// caller's reserve covers them (later writes overwrite them).
    @inline(__always) static func spaces(_ n: Int, at d: UnsafeMutablePointer<UInt8>) {
        let to = UnsafeMutableRawPointer(d)
        var i = 0
        while i < n {
            to.storeBytes(of: spaceWord, toByteOffset: i, as: UInt64.self)
            i += 8
        }
    }

    /// A member's start in `JSONSerializer`'s pretty layout: `,` (unless it is the first), a
    /// newline, `indent` levels of two spaces and `"key": `, with one capacity check.
    @inline(__always) mutating func memberKey(_ k: StaticString, first: Bool, indent: Int) {
        let n = k.utf8CodeUnitCount, pad = 2 * indent
        reserve(n + pad + 16)
        var d = base + count
        if !first { d.pointee = 0x2C; d += 1 }
        d.pointee = 0x0A
        Self.spaces(pad, at: d + 1)
        d += 1 + pad
        d.pointee = 0x22
        Self.copy(k.utf8Start, n, to: d + 1)
        d += 1 + n
        d[0] = 0x22; d[1] = 0x3A; d[2] = 0x20
        count = d + 3 - base
    }

    @inline(__always) mutating func append(_ s: StaticString) { append(s.utf8Start, s.utf8CodeUnitCount) }

    /// `n` spaces.
    @inline(__always) mutating func spaces(_ n: Int) {
        // Whole words (an indent is a few bytes: a memset call costs more than it).
        reserve(n + 8)
        Self.spaces(n, at: base + count)
        count += n
    }

    /// A newline and `indent` levels of two spaces (`JSONSerializer`'s pretty layout).
    @inline(__always) mutating func newline(_ indent: Int) {
        append(0x0A)
        spaces(2 * indent)
    }

    /// `s`'s UTF-8 bytes as they are.
    mutating func append(text s: String) {
        if s.utf8.withContiguousStorageIfAvailable({ append($0.baseAddress!, $0.count) }) != nil || s.isEmpty { return }
        var s = s
        s.withUTF8 { append($0.baseAddress!, $0.count) }
    }

    /// `s` as a JSON string literal, escaped as `JSONSerializer` escapes it.
    mutating func append(quoted s: String) {
        if s.utf8.withContiguousStorageIfAvailable({ append(quotedBytes: $0) }) != nil { return }
        var s = s
        s.withUTF8 { append(quotedBytes: $0) }
    }

    mutating func append(quotedBytes b: UnsafeBufferPointer<UInt8>) {
        if b.count <= 4096 {
            // One pass, into room for the worst case (a few kilobytes at most).
            reserve(JSONSerializer.quotedCapacity(b.count))
            count += JSONSerializer.writeQuoted(b, to: base + count)
            return
        }
        // A long text: its exact length first, so the room taken is what it needs.
        let extra = JSONSerializer.escapeExtra(b)
        let n = b.count + 2 + extra
        reserve(n)
        JSONSerializer.writeQuoted(b, extra: extra, to: base + count)
        count += n
    }

    /// Decimal digits of `v`, as `String(v)` spells them.
    mutating func append(int v: Int) {
        if v >= 0 && v < 10 { append(UInt8(truncatingIfNeeded: 0x30 + v)); return }
        if v == Int.min { append(text: String(v)); return }
        reserve(21)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
        withUnsafeMutableBytes(of: &digits) { raw in
            let buf = raw.bindMemory(to: UInt8.self)
            var n = v < 0 ? -v : v
            var i = 24
            repeat { i -= 1; buf[i] = UInt8(truncatingIfNeeded: 0x30 + n % 10); n /= 10 } while n > 0
            if v < 0 { i -= 1; buf[i] = UInt8(ascii: "-") }
            append(buf.baseAddress! + i, 24 - i)
        }
    }

    /// A number as `JSONNumber(v)` writes it: integral values without a fraction.
    mutating func append(number v: Double) {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { append(int: Int(v)) } else { append(text: JSONNumber(v).text) }
    }

    /// `value` pretty-printed at `indent`, byte for byte as `JSONSerializer.write(_:pretty:)`.
    mutating func append(json value: JSONValue, indent: Int) {
        switch value {
        case .null: append("null")
        case .bool(let b): if b { append("true") } else { append("false") }
        case .number(let n): append(text: n.text)
        case .string(let s): append(quoted: s)
        case .array(let items):
            if items.isEmpty { append("[]"); return }
            append(UInt8(ascii: "["))
            for i in items.indices {
                if i > 0 { append(UInt8(ascii: ",")) }
                newline(indent + 1)
                append(json: items[i], indent: indent + 1)
            }
            newline(indent)
            append(UInt8(ascii: "]"))
        case .object(let obj):
            if obj.isEmpty { append("{}"); return }
            append(UInt8(ascii: "{"))
            let entries = obj.entries
            for i in entries.indices {
                if i > 0 { append(UInt8(ascii: ",")) }
                newline(indent + 1)
                append(quoted: entries[i].key)
                append(UInt8(ascii: ":")); append(0x20)
                append(json: entries[i].value, indent: indent + 1)
            }
            newline(indent)
            append(UInt8(ascii: "}"))
        }
    }
}
