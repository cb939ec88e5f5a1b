import Foundation
import ProctorJSON
import ProctorSupport

/// `proctor bench schema`: JSON parsing (ours beside Foundation's) and validation over the shared
/// benchmark data, checked against each instance's label and Python jsonschema's errors. It lives
/// beside the validator so the benchmark and the code it measures change together.
public enum SchemaBenchmark {
    /// The report lines and whether every verdict agreed with its label.
    public struct Report: Sendable {
        /// Lines to print, in order.
        public var lines: [String] = []
        /// Verdicts that disagree with the data's labels (0 when the benchmark passes).
        public var mismatches = 0
    }

    /// A benchmark data folder that cannot be read or holds a bad schema.
    public struct DataError: Error, CustomStringConvertible, Sendable {
        /// What is wrong, naming the file.
        public let description: String
    }

    /// Runs the benchmark over `dir` (instances.jsonl, tool_call schemas, expected_errors.jsonl),
    /// each timing the median of `repeats`.
    public static func run(dir: String, repeats: Int) throws(DataError) -> Report {
        let instPath = dir + "/instances.jsonl"
        guard let data = FileManager.default.contents(atPath: instPath) else { throw DataError(description: "\(instPath): cannot be read") }
        let bytes = [UInt8](data)
        var lineRanges: [Range<Int>] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            if i > start { lineRanges.append(start..<i) }
            start = i + 1
        }
        if start < bytes.count { lineRanges.append(start..<bytes.count) }
        var rows: [JSONValue] = []
        do {
            for r in lineRanges { rows.append(try bytes.withUnsafeBufferPointer { try JSONParser.parse(bytes: UnsafeBufferPointer(rebasing: $0[r])) }) }
        } catch {
            throw DataError(description: "\(instPath): \(error)")
        }
        let ours = Timing.medianSeconds(repeats) {
            var parsed: [JSONValue] = []
            parsed.reserveCapacity(lineRanges.count)
            bytes.withUnsafeBufferPointer { all in
                for r in lineRanges { if let v = try? JSONParser.parse(bytes: UnsafeBufferPointer(rebasing: all[r])) { parsed.append(v) } }
            }
        }
        let foundation = Timing.medianSeconds(repeats) {
            for r in lineRanges { _ = try? JSONSerialization.jsonObject(with: data.subdata(in: r)) }
        }
        var report = Report()
        let mb = Double(bytes.count) / 1e6
        report.lines.append("instances: \(rows.count) lines, \(String(format: "%.1f", mb)) MB")
        report.lines.append(String(format: "parse  proctor JSONParser      %8.1f MB/s  (%.0f ms)", mb / ours, ours * 1000))
        report.lines.append(String(format: "parse  Foundation JSONSerialization %3.1f MB/s  (%.0f ms)", mb / foundation, foundation * 1000))

        let instances = rows.compactMap { $0["instance"] }
        let labels = rows.compactMap { $0["valid"]?.boolValue }
        guard instances.count == rows.count, labels.count == rows.count else {
            throw DataError(description: "\(instPath): every line needs \"instance\" and a boolean \"valid\"")
        }
        for (name, file) in [("2020-12", "tool_call.schema.json"), ("draft-07", "tool_call.draft7.schema.json")] {
            let schema: CompiledSchema
            do {
                schema = try CompiledSchema.compile(text: try String(contentsOfFile: dir + "/" + file, encoding: .utf8))
            } catch {
                throw DataError(description: "\(dir)/\(file): \(error)")
            }
            var verdicts: [Bool] = []
            let fast = Timing.medianSeconds(repeats) { verdicts = instances.map(schema.isValid) }
            let mismatches = zip(verdicts, labels).filter { $0 != $1 }.count
            var full: [ValidationResult] = []
            let collect = Timing.medianSeconds(repeats) { full = instances.map(schema.validate) }
            let fullMismatches = zip(full, labels).filter { $0.valid != $1 }.count
            report.mismatches += mismatches + fullMismatches
            report.lines.append(String(format: "validate %@ isValid      %10.0f /s  (%.2f µs each)  label mismatches: %d",
                                       name, Double(instances.count) / fast, fast / Double(instances.count) * 1e6, mismatches))
            report.lines.append(String(format: "validate %@ all errors   %10.0f /s  (%.2f µs each)  label mismatches: %d",
                                       name, Double(instances.count) / collect, collect / Double(instances.count) * 1e6, fullMismatches))
            if name == "2020-12", let line = compareErrors(dir: dir, results: full, rows: rows) { report.lines.append(line) }
        }
        return report
    }

    /// Our first-level errors beside Python jsonschema's (instance location + keyword), where the data has them.
    static func compareErrors(dir: String, results: [ValidationResult], rows: [JSONValue]) -> String? {
        guard let d = FileManager.default.contents(atPath: dir + "/expected_errors.jsonl"),
              let expected = try? JSONLines.parse([UInt8](d)) else { return nil }
        var byIndex: [Int: ValidationResult] = [:]
        for (row, r) in zip(rows, results) { if let i = row["i"]?.intValue { byIndex[i] = r } }
        var agree = 0
        for rec in expected {
            guard let i = rec.value["i"]?.intValue, let r = byIndex[i], case .array(let errs)? = rec.value["errors"] else { continue }
            let want = Set(errs.map { "\($0["instanceLocation"]?.stringValue ?? "") \($0["keyword"]?.stringValue ?? "")" })
            let got = Set(r.errors.map { "\($0.instanceLocation) \($0.keyword)" })
            if want == got { agree += 1 }
        }
        return "errors agreeing with Python jsonschema (instance location + keyword): \(agree)/\(expected.count)"
    }
}
