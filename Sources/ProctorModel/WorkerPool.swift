import CProctorKernels
import Foundation
import Synchronization

/// A fixed set of threads for the parallel parts of one forward pass (or one training step), owned
/// by whoever uses it: each `Transformer` has its own, so two generations never queue on one pool
/// per matrix product. Threads wait a few microseconds spinning (back-to-back products of a token
/// reach them there), then sleep on a condition variable, as does the caller waiting for them: an
/// idle pool costs nothing, and on a machine whose cores are busy elsewhere a waiting thread gives
/// its core away instead of spinning against the work it waits for (`pool.c`).
///
/// Work is split only where it pays: `WorkerPool.parts(work:threads:)` gives each thread at least
/// `minWorkPerThread` multiply-adds, below which the hand-off costs more than it saves.
public final class WorkerPool: Sendable {
    /// Threads of the pool, the caller included.
    public let threads: Int
    /// The C pool. `@unchecked Sendable` is sound: it is created in `init`, destroyed in `deinit`,
    /// and used only by `run`, which `busy` admits one caller at a time.
    private let handle: Handle
    private let busy = Atomic<Bool>(false)

    private final class Handle: @unchecked Sendable {
        let pool: OpaquePointer
        init(_ p: OpaquePointer) { pool = p }
    }

    /// Spins before a wait sleeps: a few microseconds on current cores.
    public static let spins: Int32 = 1000

    /// The least work (multiply-adds, or element operations for passes that are not products) a
    /// thread must get for a split to pay on this machine's hand-off cost. Measured with `proctor
    /// model bench --split` (matrix-vector products of growing size, one thread against two): at
    /// smaller sizes two threads are not faster than one.
    public static let minWorkPerThread = 1 << 16

    /// How many threads `work` is split across: as many as each get `minWorkPerThread`, at most `threads`.
    @inline(__always)
    public static func parts(work: Int, threads: Int) -> Int {
        threads <= 1 ? 1 : max(1, min(threads, work / minWorkPerThread))
    }

    /// A pool of `threads` threads (the caller counts as one, so `threads - 1` are started).
    public init(threads: Int) {
        self.threads = min(255, max(1, threads))
        handle = Handle(proctor_pool_create(Int32(self.threads), Self.spins))
    }

    deinit { proctor_pool_destroy(handle.pool) }

    /// Runs `body(i)` for i in 0 ..< parts (default: every thread), the caller as 0; returns when all are done.
    public func run(parts: Int? = nil, _ body: (Int) -> Void) {
        let n = min(parts ?? threads, threads)
        if n <= 1 { body(0); return }
        precondition(busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged,
                     "a WorkerPool serves one caller at a time; give each concurrent user its own")
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { f in
            var job = f
            withUnsafeMutablePointer(to: &job) { ptr in
                proctor_pool_run(handle.pool, Int32(n), { ctx, i in
                    ctx!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(i))
                }, ptr)
            }
        }
    }
}

/// Measures memory read bandwidth the way a decode step reads weights: every pool thread sums its
/// share of a 512 MB buffer. Returns GB/s, best of `repeats`.
public enum MemoryBandwidth {
    /// Read bandwidth in GB/s over a fresh 512 MB buffer on `threads` threads, best of `repeats` passes.
    public static func measure(threads: Int, repeats: Int = 5) -> Double {
        let n = 128 << 20
        let buf = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { buf.deallocate() }
        buf.initialize(repeating: 1, count: n)
        return measure(reading: buf, count: n, threads: threads, repeats: repeats)
    }

    /// The same over a checkpoint's own weights: the memory a decode step actually reads.
    public static func measure(_ checkpoint: Checkpoint, threads: Int, repeats: Int = 5) -> Double {
        measure(reading: checkpoint.mappedBytes.assumingMemoryBound(to: Float.self), count: checkpoint.fileSize / 4, threads: threads, repeats: repeats)
    }

    static func measure(reading buf: UnsafePointer<Float>, count n: Int, threads: Int, repeats: Int) -> Double {
        let p = Kernels.Shared(value: buf)
        let pool = WorkerPool(threads: threads)
        var best = 0.0
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            pool.run { t in
                let lo = n * t / threads, hi = n * (t + 1) / threads
                _ = Kernels.sum(p.value + lo, hi - lo)
            }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            best = max(best, Double(n * 4) / dt / 1e9)
        }
        return best
    }
}
