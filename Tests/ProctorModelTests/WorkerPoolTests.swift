import Foundation
import ProctorModel
import Synchronization
import XCTest

/// The worker pool never spins against its own work: waiting threads sleep after a bounded spin,
/// so a pool with more threads than cores, or an idle one, costs next to no CPU time.
final class WorkerPoolTests: XCTestCase {
    /// CPU seconds this process has used so far (every thread).
    static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func testEveryPartRunsOncePerJob() {
        let pool = WorkerPool(threads: 4)
        let counts = Mutex<[Int]>([Int](repeating: 0, count: 4))
        for job in 0..<500 {
            let parts = 1 + job % 4
            pool.run(parts: parts) { i in counts.withLock { $0[i] += 1 } }
        }
        // Part i runs in every job with more than i parts: 500 - (jobs with parts <= i).
        XCTAssertEqual(counts.withLock { $0 }, [500, 375, 250, 125])
    }

    /// More threads than cores, and a caller that is slow to hand out work: a busy-waiting pool
    /// would burn every other thread's time slice for the whole run (seconds of CPU); this one's
    /// waiting threads sleep.
    func testOversubscribedPoolStaysCheap() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let pool = WorkerPool(threads: 4 * max(2, cores))
        pool.run { _ in }  // threads started
        let cpu0 = Self.cpuSeconds(), wall0 = Date()
        for _ in 0..<200 {
            pool.run { i in if i == 0 { usleep(1000) } }  // the caller's share is slow; the others wait for the next job
            usleep(1000)                                    // and the caller is busy between jobs
        }
        let wall = Date().timeIntervalSince(wall0), cpu = Self.cpuSeconds() - cpu0
        XCTAssertLessThan(wall, 2.0, "200 jobs of ~2 ms finish promptly")
        // Busy-waiting threads would use about min(threads, cores) × wall; sleeping ones a bounded spin per job.
        XCTAssertLessThan(cpu, 0.25 * wall * Double(max(1, cores - 1)) + 0.05, "CPU \(cpu) s over \(wall) s of wall time")
    }

    /// An idle pool uses under 1 % of a core.
    func testIdlePoolUsesNoCPU() {
        let pool = WorkerPool(threads: 4)
        pool.run { _ in }
        let cpu0 = Self.cpuSeconds()
        Thread.sleep(forTimeInterval: 0.5)
        let cpu = Self.cpuSeconds() - cpu0
        XCTAssertLessThan(cpu, 0.005, "idle for 0.5 s cost \(cpu) s of CPU")
        withExtendedLifetime(pool) {}
    }

    /// The schedule rule: the default-size model runs a thread per generation and several at once;
    /// a stories110M-shaped one splits every product across the cores.
    func testScheduleFollowsModelSize() {
        let small = ModelConfig(dim: 128, hiddenDim: 352, nLayers: 4, nHeads: 4, nKVHeads: 4, vocabSize: 512, seqLen: 128)
        let large = ModelConfig(dim: 768, hiddenDim: 2048, nLayers: 12, nHeads: 12, nKVHeads: 12, vocabSize: 32000, seqLen: 1024)
        XCTAssertFalse(Schedule.splitPays(small, cores: 2))
        XCTAssertEqual(Schedule.plan(small, cores: 2).threads, 1)
        XCTAssertEqual(Schedule.plan(small, cores: 2).concurrent, 2)
        XCTAssertTrue(Schedule.splitPays(large, cores: 2))
        XCTAssertEqual(Schedule.plan(large, cores: 2).threads, 2)
        XCTAssertEqual(Schedule.plan(large, cores: 2).concurrent, 1)
        XCTAssertEqual(Schedule.plan(large, cores: 4, threads: 2).concurrent, 2, "an explicit thread count shares the cores")
    }
}
