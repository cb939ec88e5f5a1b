import Foundation
import ProctorCLI
import ProctorJSON
import ProctorTestSupport
import XCTest

/// Proctor in CI, end to end: cancellations, deadlines, repeats and repairs a second new user hit
/// wiring Proctor into a team's pipeline. Each test goes through the CLI; the SIGTERM one through
/// the real binary, since only the process's own console takes the signal.
final class CIEndToEndTests: XCTestCase {
    func run(_ argv: [String], in dir: TempDir, reports: Bool = true, stdin: String? = nil) async -> (code: Int32, out: String, err: String) {
        let console = Console(capturingWith: ["PROCTOR_CACHE_DIR": dir.file("cache"), "PATH": "/usr/local/bin:/usr/bin:/bin"], stdin: stdin)
        let out = reports ? ["--json", dir.file("r/results.json"), "--junit", dir.file("r/junit.xml"), "--markdown", dir.file("r/summary.md")] : []
        let code = await Proctor.main(argv + out, console: console)
        return (code, console.capturedOut, console.capturedErr)
    }

    func results(_ dir: TempDir) throws -> JSONValue { try JSONParser.parse(dir.read("r/results.json") ?? "") }

    /// The `proctor` executable built beside the test bundle.
    static var binary: String {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundleDir.appendingPathComponent("proctor").path
    }

    // MARK: - Cancellation and deadlines

    /// SIGTERM (what CI sends on cancel or timeout) behaves as Ctrl-C: running programs' process
    /// groups are killed, every report is written marked interrupted, and the exit status is 143.
    func testSigtermWritesReportsKillsChildrenAndExits143() throws {
        let binary = Self.binary
        guard FileManager.default.isExecutableFile(atPath: binary) else { return XCTFail("no proctor binary at \(binary)") }
        let dir = TempDir()
        dir.write("slow.sh", "read x; echo $$ > \"pid-$PROCTOR_CASE_ID\"; case \"$x\" in *fast*) echo ok ;; *) sleep 30 & wait ;; esac\n")
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "c", "type": "command", "argv": ["sh", "slow.sh"]}],
         "prompts": [{"id": "p", "template": "{{speed}}"}], "defaults": {"allowEmpty": true},
         "cases": [{"id": "first", "vars": {"speed": "fast"}}, {"id": "second", "vars": {"speed": "slow"}},
                   {"id": "third", "vars": {"speed": "slow"}}]}
        """)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["run", suite, "-j", "2", "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md"),
                       "--html", dir.file("run.html")]
        p.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until the slow programs are running.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !(FileManager.default.fileExists(atPath: dir.file("pid-second"))) { Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 0.3)
        let started = Date()
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "stopped promptly, not after the 30 s commands")
        XCTAssertEqual(p.terminationReason, .exit, "exited by itself, having written its reports")
        XCTAssertEqual(p.terminationStatus, 143)
        let r = try JSONParser.parse(try XCTUnwrap(dir.read("r.json")))
        XCTAssertEqual(r["interrupted"], true)
        XCTAssertEqual(r["results"]?.arrayValue?.first { $0["case"] == "first" }?["status"], "passed")
        XCTAssertNotNil(dir.read("j.xml"))
        XCTAssertNotNil(dir.read("s.md"))
        XCTAssertNotNil(dir.read("run.html"))
        // The shell of the slow case and its `sleep` child are gone, not re-parented and running on.
        let pid = Int32(try XCTUnwrap(dir.read("pid-second")).trimmingCharacters(in: .whitespacesAndNewlines))!
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(Self.running(inGroup: pid), [], "the command's shell and its sleep still run")
    }

    /// SIGTERM while a command validator runs: that case is not run to a verdict (skipped, as the
    /// run was interrupted), never a failure of the output.
    func testSigtermDuringACommandValidatorIsNotAFailure() throws {
        let binary = Self.binary
        guard FileManager.default.isExecutableFile(atPath: binary) else { return XCTFail("no proctor binary at \(binary)") }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "hi"}],
         "cases": [{"id": "checked", "validators": [{"type": "command", "argv": ["sh", "-c", "touch started; sleep 30"]}]}]}
        """)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["run", suite, "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")]
        p.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !FileManager.default.fileExists(atPath: dir.file("started")) { Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 0.2)
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 143)
        let r = try JSONParser.parse(try XCTUnwrap(dir.read("r.json")))
        XCTAssertEqual(r["interrupted"], true)
        let result = r["results"]?.arrayValue?.first { $0["case"] == "checked" }
        XCTAssertNotEqual(result?["status"], "failed", "\(String(describing: result))")
        XCTAssertEqual(r["summary"]?["failed"], 0)
    }

    /// Processes of process group `pgid` that are alive (not zombies, which only wait to be reaped), from /proc.
    static func running(inGroup pgid: Int32) -> [String] {
        let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return procs.compactMap { p -> String? in
            guard Int(p) != nil, let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After "pid (comm)": state, ppid, pgrp, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[2]) == pgid, fields[0] != "Z" else { return nil }
            return "\(p) \(stat[..<close]))"
        }
    }

    /// `timeoutSeconds` covers the whole request: a server that sends headers and then one byte per
    /// half second is cut off at the deadline, as an error naming the timeout.
    func testTimeoutIsADeadlineForTheWholeResponse() async throws {
        let server = try MockHTTPServer { _ in .drip(#"{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}]}"#, interval: 0.5) }
        defer { server.stop() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "o", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "m", "timeoutSeconds": 1, "maxRetries": 0}],
         "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "equals", "value": "ok"}]}]}
        """)
        let t0 = Date()
        let r = await run(["run", suite, "--no-cache"], in: dir)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 4, "cut at the 1 s deadline, not after the whole drip (~35 s)")
        XCTAssertEqual(r.code, 1)
        let res = try results(dir)["results"]?[0]
        XCTAssertEqual(res?["status"], "error")
        XCTAssertTrue(res?["error"]?.stringValue?.contains("timed out after 1.0 s") == true, "\(String(describing: res?["error"]))")
    }

    // MARK: - Repeats that are copies

    /// A seed on an HTTP backend is varied per repeat (the builtin rule), and each result records it.
    func testRepeatsWithASeedSendDifferentSeeds() async throws {
        let server = try MockHTTPServer { _ in MockHTTPServer.openAI("ok") }
        defer { server.stop() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "o", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "m", "seed": 7, "temperature": 1.6}],
         "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "equals", "value": "ok"}]}]}
        """)
        let r = await run(["run", suite, "--repeat", "3", "--no-cache"], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        let sent = try server.requests.map { try JSONParser.parse($0.body)["seed"]!.numberValue!.text }.sorted()
        let k: UInt64 = 0x9E37_79B9
        XCTAssertEqual(sent, ["7", String(7 + k), String(7 + 2 * k)].sorted())
        let recorded = try XCTUnwrap(try results(dir)["results"]?.arrayValue).map { $0["options"]?["seed"]?.numberValue?.text ?? "" }
        XCTAssertEqual(recorded, ["7", String(7 + k), String(7 + 2 * k)])
    }

    /// --retry-errors keeps the file's samples per case and reports its own duration.
    func testRetryErrorsKeepsRepeatsAndItsOwnDuration() async throws {
        let dir = TempDir()
        dir.write("flaky.sh", "read x; if [ -f ok ]; then echo \"$x\"; else case \"$x\" in *err*) sleep 0.3; exit 3 ;; *) echo \"$x\" ;; esac; fi\n")
        let suite = dir.write("s.json", """
        {"backends": [{"id": "c", "type": "command", "argv": ["sh", "flaky.sh"]}], "prompts": [{"id": "p", "template": "{{x}}"}],
         "cases": [{"id": "good", "vars": {"x": "fine"}, "validators": [{"type": "contains", "value": "fine"}]},
                   {"id": "err", "vars": {"x": "err"}, "validators": [{"type": "contains", "value": "err"}]}]}
        """)
        _ = await run(["run", suite, "--repeat", "2", "-j", "1"], in: dir)
        try FileManager.default.copyItem(atPath: dir.file("r/results.json"), toPath: dir.file("first.json"))
        try FileManager.default.copyItem(atPath: dir.file("r/results.json"), toPath: dir.file("back.json"))
        dir.write("ok", "")
        let refused = await run(["run", suite, "--retry-errors", dir.file("first.json"), "--repeat", "1"], in: dir)
        XCTAssertEqual(refused.code, 2)
        XCTAssertTrue(refused.err.contains("has 2 samples per case"), refused.err)
        let retry = await run(["run", suite, "--retry-errors", dir.file("first.json")], in: dir)
        XCTAssertEqual(retry.code, 0, retry.err)
        let merged = try XCTUnwrap(try results(dir)["results"]?.arrayValue)
        XCTAssertEqual(merged.map { "\($0["case"]!.stringValue!)#\($0["repeat"]!.intValue!)" }, ["good#0", "good#1", "err#0", "err#1"])
        let line = try XCTUnwrap(retry.err.split(separator: "\n").first { $0.hasPrefix("proctor:") })
        let seconds = Double(line.split(separator: " ").drop { $0 != "in" }.dropFirst().first ?? "") ?? 99
        XCTAssertLessThan(seconds, 0.5, "the rerun's own duration, not the first run's 1.2 s added: \(line)")
        XCTAssertTrue(line.contains("(this rerun; the report holds every case)"), String(line))
        // Without --json the results file is written back, merged and complete.
        let back = await run(["run", suite, "--retry-errors", dir.file("back.json"), "--junit", dir.file("r2/junit.xml"), "--markdown", dir.file("r2/s.md")],
                             in: dir, reports: false)
        XCTAssertEqual(back.code, 0, back.err)
        let written = try JSONParser.parse(dir.read("back.json") ?? "")
        XCTAssertEqual(written["summary"]?["errors"], 0)
        XCTAssertEqual(written["results"]?.arrayValue?.count, 4)
    }

    // MARK: - Repairs that pass silently

    /// A tool call cut at the token limit is repaired, and says so: status repaired, the repairs
    /// listed, failed under --strict-repair.
    func testCutToolCallIsARepair() async throws {
        let body = #"{"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Par"}}]},"finish_reason":"length"}]}"#
        let server = try MockHTTPServer { _ in .respond(status: 200, headers: [:], body: body) }
        defer { server.stop() }
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "s", "backends": [{"id": "o", "type": "openai", "baseURL": "\(server.baseURL)/v1", "model": "m"}],
         "prompts": [{"id": "p", "template": "weather?"}], "cases": [{"id": "a", "validators": [{"type": "json"}]}]}
        """)
        let r = await run(["run", suite, "--no-cache"], in: dir)
        XCTAssertEqual(r.code, 0, r.err)
        let res = try XCTUnwrap(try results(dir)["results"]?[0])
        XCTAssertEqual(res["status"], "repaired")
        XCTAssertEqual(res["output"], #"{"name":"get_weather","arguments":{"city":"Par"}}"#)
        XCTAssertEqual(res["repairs"], ["tool call 'get_weather' arguments: truncation: closedString at byte 9",
                                        "tool call 'get_weather' arguments: truncation: closedObject at byte 13"])
        let strict = await run(["run", suite, "--no-cache", "--strict-repair"], in: dir)
        XCTAssertEqual(strict.code, 1)
        XCTAssertEqual(try results(dir)["results"]?[0]?["status"], "failed")
    }

    /// The repairs a second user found passing silently, through `proctor repair --explain`.
    func testRepairsThatUsedToPassSilently() async throws {
        let dir = TempDir()
        let cases: [(String, String, [String])] = [
            (#"{"price": 1,5}"#, #"{"price":"1,5"}"#, [#"quotedValue at byte 10 (was "1,5")"#]),
            (#"{"a": "C:\path"}"#, #"{"a":"C:\\path"}"#, [#"fixedEscape at byte 9 (was "\\p")"#]),
            (#"{"age": 3"#, #"{"age":3}"#, [#"truncatedNumber at byte 8 (was "3") (truncation) [lossy]"#, "closedObject at byte 9 (truncation)"]),
            (#"{"a": -}"#, "{}", [#"removedInvalidCharacter at byte 6 (was "-") [lossy]"#, #"droppedMemberWithoutValue at byte 1 (was "a") [lossy]"#]),
            (#"{"t": "x\u00"#, #"{"t":"x"}"#, ["droppedPartialEscape at byte 8 (truncation)", "closedString at byte 6 (truncation)", "closedObject at byte 12 (truncation)"]),
        ]
        for (input, output, log) in cases {
            let r = await run(["repair", "--explain", "-"], in: dir, reports: false, stdin: input)
            XCTAssertEqual(r.out, output + "\n", input)
            XCTAssertEqual(r.err, log.joined(separator: "\n") + "\n", input)
        }
    }

    // MARK: - Small things

    func testAttachedShortOptionsAndExtraBodyKeyNames() async throws {
        let dir = TempDir()
        let suite = dir.write("s.json", #"{"suite": "s", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "equals", "value": "hi"}]}]}"#)
        let attached = await run(["run", suite, "-j2"], in: dir)
        XCTAssertEqual(attached.code, 0, attached.err)
        let eq = await run(["run", suite, "-j=3"], in: dir)
        XCTAssertEqual(eq.code, 0, eq.err)
        let bad = dir.write("b.json", #"{"suite": "b", "backends": [{"id": "o", "type": "openai", "baseURL": "http://127.0.0.1:9/v1", "model": "m", "extraBody": {"top_p": 1}}], "prompts": [{"id": "p", "template": "hi"}], "cases": [{"id": "a", "validators": [{"type": "equals", "value": "hi"}]}]}"#)
        let r = await run(["run", bad], in: dir)
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains(#""extraBody" cannot set "top_p": Proctor sets it; use the typed option "topP" instead"#), r.err)
    }

    /// `import --out` never lands on the configuration, and a suite that would not load is never written.
    func testImportWritesNothingThatDoesNotLoad() async throws {
        let dir = TempDir()
        let config = dir.write("promptfooconfig.yaml", """
        prompts:
          - "Hello {{name}}"
        providers:
          - openai:gpt-4o-mini
        tests:
          - vars:
              other: x
            assert:
              - type: contains
                value: Hello
        """)
        let onto = await run(["import", "promptfoo", config, "--out", config], in: dir, reports: false)
        XCTAssertEqual(onto.code, 2)
        XCTAssertTrue(onto.err.contains("would overwrite the promptfoo configuration"), onto.err)
        let out = dir.file("suites/x.jsonc")
        let r = await run(["import", "promptfoo", config, "--out", out], in: dir, reports: false)
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("does not load, so nothing was written"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no broken suite left behind")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.file("suites")), [], "no trial file left behind")
    }
}
