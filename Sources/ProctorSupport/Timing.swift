import Dispatch

/// Wall-clock timing for the benchmarks: one rule (the median of repeats) so every benchmark
/// reports the same statistic.
public enum Timing {
    /// Runs `body` `repeats` times and returns the median seconds.
    public static func medianSeconds(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// Milliseconds between two `DispatchTime` readings.
    public static func milliseconds(_ from: UInt64, _ to: UInt64) -> Double { Double(to - from) / 1e6 }
}
