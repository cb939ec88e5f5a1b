import Foundation

// Two builds of one harness:
//  - Tests/Fuzz/fuzz.sh builds it with `-sanitize=fuzzer,address -D FUZZING`:
//    libFuzzer drives `LLVMFuzzerTestOneInput`, the target named by PROCTOR_FUZZ_TARGET.
//  - a plain `swift build` makes a standalone fuzzer: `proctor-fuzz TARGET [SECONDS] [CORPUS_DIR]`
//    replays the seed corpus, then feeds seeded random mutations of it for SECONDS.

#if FUZZING
let fuzzTarget = ProcessInfo.processInfo.environment["PROCTOR_FUZZ_TARGET"] ?? "json"

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.run(fuzzTarget, Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point under this name; hand control to libFuzzer's driver.
@_cdecl("proctor_fuzz_main")
public func proctorFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in LLVMFuzzerTestOneInput(data, size) }
}
#else
@main
struct FuzzMain {
    static func main() {
        let args = CommandLine.arguments
        guard args.count >= 2, FuzzTargets.names.contains(args[1]) else {
            FileHandle.standardError.write(Data("usage: proctor-fuzz TARGET [SECONDS] [CORPUS_DIR]\ntargets: \(FuzzTargets.names.joined(separator: ", "))\n".utf8))
            exit(2)
        }
        let target = args[1]
        let seconds = args.count > 2 ? Double(args[2]) ?? 10 : 10
        var seeds: [[UInt8]] = []
        if args.count > 3, let names = try? FileManager.default.contentsOfDirectory(atPath: args[3]) {
            for n in names.sorted() { if let d = FileManager.default.contents(atPath: args[3] + "/" + n) { seeds.append([UInt8](d)) } }
        }
        if seeds.isEmpty { seeds = [[UInt8]("{}".utf8)] }
        for s in seeds { FuzzTargets.run(target, s) }
        var rng = SystemRandomNumberGenerator()
        var gen = XorShift()
        func next() -> UInt64 { gen.next() }
        let deadline = Date().addingTimeInterval(seconds)
        var runs = 0
        while Date() < deadline {
            var b = seeds[Int(next() % UInt64(seeds.count))]
            for _ in 0..<(1 + Int(next() % 8)) {
                let op = next() % 6
                let at = b.isEmpty ? 0 : Int(next() % UInt64(b.count))
                switch op {
                case 0: if !b.isEmpty { b.remove(at: at) }
                case 1: b.insert(UInt8(truncatingIfNeeded: next()), at: min(at, b.count))
                case 2: if !b.isEmpty { b[at] = UInt8(truncatingIfNeeded: next()) }
                case 3: b.insert(contentsOf: Array("{}[]\",:\\".utf8).shuffled(using: &rng).prefix(2), at: min(at, b.count))
                case 4: if !b.isEmpty { b = Array(b[0..<at]) }
                default: if b.count < 4096, !b.isEmpty { b += b[at...] }
                }
            }
            FuzzTargets.run(target, b)
            runs += 1
        }
        print("proctor-fuzz \(target): \(runs) inputs in \(Int(seconds)) s, \(seeds.count) seeds, no property violated")
    }
}

struct XorShift {
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    mutating func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
}
#endif
