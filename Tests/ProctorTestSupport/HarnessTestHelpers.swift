import Foundation
import ProctorBackends
import ProctorHarness
import ProctorJSON


/// Loads a suite written into a temp folder.
public func loadSuite(_ text: String, in dir: TempDir, name: String = "suite.json") throws -> Suite {
    let path = dir.write(name, text)
    return try SuiteLoader().load(path)
}

/// The error message a suite fails with before anything runs: loading it, or building its session.
public func loadError(_ text: String, in dir: TempDir = TempDir(), name: String = "suite.json") -> String {
    let path = dir.write(name, text)
    do {
        _ = try RunSession(suites: [try SuiteLoader().load(path)])
        return "loaded"
    } catch {
        return error.description.replacingOccurrences(of: dir.path + "/", with: "")
    }
}

/// Runs one echo case with a fixed response through the validators and returns the result.
public func checkOutput(_ response: String, validators: String, threshold: Double? = nil, finish: String = "stop") async throws -> CaseResult {
    let dir = TempDir()
    let t = threshold.map { ", \"threshold\": \($0)" } ?? ""
    let suite = try loadSuite("""
    {"backends": [{"id": "e", "type": "echo", "response": \(JSONSerializer.quote(response)), "finishReason": "\(finish)"}],
     "prompts": [{"id": "p", "template": "x"}],
     "cases": [{"id": "c", "validators": \(validators)\(t)}]}
    """, in: dir)
    let run = try await Runner.run([suite])
    return run.results[0]
}
