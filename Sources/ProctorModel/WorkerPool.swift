import Foundation
import Synchronization

/// A fixed set of threads for the matrix products of one token. Dispatch's `concurrentPerform`
/// wakes sleeping threads for every call; a decode step makes ~50 calls of well under a millisecond
/// each, so the workers here spin briefly between calls (then sleep), as OpenMP's do.
public final class WorkerPool: @unchecked Sendable {
    // @unchecked Sendable: `job` is written only by the caller of `run` (callers take turns under
    // `callers`), before `generation` is bumped (release), and read by workers after they observe
    // the bump (acquire); `run` returns only after every worker has decremented `pending`, so the
    // next write cannot race a reader.
    public let threads: Int
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var job: ((Int) -> Void)?
    /// One caller at a time: two generations sharing the pool take turns per matrix product.
    private let callers = NSLock()

    /// Process-wide pools by size (threads are created once and live for the process).
    private static let pools = Mutex<[Int: WorkerPool]>([:])

    public static func shared(threads: Int) -> WorkerPool {
        pools.withLock { p in
            if let pool = p[threads] { return pool }
            let pool = WorkerPool(threads: threads)
            p[threads] = pool
            return pool
        }
    }

    init(threads: Int) {
        self.threads = max(1, threads)
        for w in 1..<self.threads {
            let t = Thread { [unowned self] in self.work(index: w) }
            t.stackSize = 1 << 20
            t.start()
        }
    }

    private func work(index: Int) {
        var seen = 0
        while !stopping.load(ordering: .relaxed) {
            // Spin while work is likely to come soon, then back off to sleeps of up to 2 ms so an
            // idle pool costs next to nothing.
            var spins = 0
            var nap: UInt32 = 50
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins > 20_000 {
                    usleep(nap)
                    nap = min(nap * 2, 2000)
                } else if spins & 63 == 0 {
                    sched_yield()
                }
            }
            seen = generation.load(ordering: .acquiring)
            job?(index)
            pending.subtract(1, ordering: .releasing)
        }
    }

    /// Runs `body(0..<threads)` with the caller as worker 0; returns when all are done.
    public func run(_ body: @escaping (Int) -> Void) {
        if threads == 1 { body(0); return }
        callers.lock()
        defer { callers.unlock() }
        job = body
        pending.store(threads - 1, ordering: .relaxed)
        generation.add(1, ordering: .releasing)
        body(0)
        while pending.load(ordering: .acquiring) > 0 {}
        job = nil
    }
}

/// Measures memory read bandwidth the way a decode step reads weights: every pool thread sums its
/// share of a 512 MB buffer. Returns GB/s, best of `repeats`.
public enum MemoryBandwidth {
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
        let pool = WorkerPool.shared(threads: threads)
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
