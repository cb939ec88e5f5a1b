import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a report's bytes go while it is written: they gather in `bytes` and, for a file, go out
/// every megabyte, so a 150 MB results file never sits whole in memory and the kernel copies it
/// while the rest is still being serialised.
public struct ReportSink {
    /// Bytes not yet written (the whole report when the sink is in memory).
    public var bytes: [UInt8] = []
    /// The open file, or -1 for a sink that keeps everything in `bytes`.
    let fd: Int32
    /// The first write error (`errno`), after which nothing more is written.
    private(set) var failure: Int32 = 0

    /// How much gathers before it is written.
    static let chunk = 1 << 20

    /// A sink that keeps the whole report in `bytes`.
    public init() {
        fd = -1
        bytes.reserveCapacity(4096)
    }

    init(fd: Int32) {
        self.fd = fd
        bytes.reserveCapacity(Self.chunk + 64 * 1024)
    }

    /// Writes what has gathered when it is a chunk or more (writers call this between items).
    @inline(__always) public mutating func drainIfFull() {
        if fd >= 0 && bytes.count >= Self.chunk { drain() }
    }

    /// Writes everything gathered so far to the file (nothing for an in-memory sink).
    mutating func drain() {
        guard fd >= 0, !bytes.isEmpty else { return }
        var gathered: [UInt8] = []
        swap(&gathered, &bytes)
        gathered.withUnsafeBufferPointer { writeOut($0) }
        gathered.removeAll(keepingCapacity: true)
        swap(&gathered, &bytes)
    }

    /// Appends `b`; to a file, what has gathered and then `b` are written at once, so a large
    /// block another buffer holds is not copied into this one first.
    mutating func append(block b: UnsafeBufferPointer<UInt8>) {
        guard fd >= 0 else { bytes.append(contentsOf: b); return }
        drain()
        writeOut(b)
    }

    /// `write(2)` until all of `raw` is written or a write fails (the first failure is kept and
    /// nothing more is written).
    private mutating func writeOut(_ raw: UnsafeBufferPointer<UInt8>) {
        guard failure == 0, let start = raw.baseAddress else { return }
        var off = 0
        while off < raw.count {
            let n = Glibc.write(fd, start + off, raw.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            off += n
        }
    }

    /// Appends `s` as it is.
    @inline(__always) public mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
}
