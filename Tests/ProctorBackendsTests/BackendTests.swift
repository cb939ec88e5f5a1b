import Foundation
import ProctorBackends
import ProctorJSON
import ProctorTestSupport
import XCTest
import ProctorConversation

final class SHA256Tests: XCTestCase {
    /// NIST FIPS 180-4 example vectors.
    func testNISTVectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        XCTAssertEqual(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testBoundaryLengths() {
        // 55, 56 and 64 bytes cross the padding boundary.
        XCTAssertEqual(SHA256.hex(String(repeating: "a", count: 55)), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        XCTAssertEqual(SHA256.hex(String(repeating: "a", count: 56)), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        XCTAssertEqual(SHA256.hex(String(repeating: "a", count: 64)), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }
}

final class CommandBackendTests: XCTestCase {
    func backend(_ argv: [String], _ dir: TempDir, timeout: Double = 10, extra: [(String, JSONValue)] = []) throws -> any Backend {
        var entries: [(key: String, value: JSONValue)] = [("id", "cmd"), ("type", "command"), ("argv", .array(argv.map { .string($0) })),
                                                         ("timeoutSeconds", .number(JSONNumber(timeout)))]
        for (k, v) in extra { entries.append((k, v)) }
        return try BackendRegistry.standard.make(JSONObject(entries), baseDirectory: dir.path,
                                                 environment: ProcessInfo.processInfo.environment).backend
    }

    static func ask(_ b: any Backend, _ text: String = "x") async -> BackendResponse {
        await b.complete(BackendRequest(messages: [ChatMessage(role: "user", content: text)], caseId: "c"))
    }

    /// Four 200 ms commands at once take about 200 ms, not 800, and each one's latency is its own
    /// wall time (the runner used to stall on a shared pool: up to 2 s for a 200 ms command).
    func testConcurrentCommandsDoNotWaitForEachOther() async throws {
        let dir = TempDir()
        let b = try backend(["sh", "-c", "sleep 0.2; cat"], dir)
        let t0 = monotonicMs()
        let rs = await withTaskGroup(of: BackendResponse.self) { g in
            for i in 0..<8 { g.addTask { await Self.ask(b, "n\(i)") } }
            var out: [BackendResponse] = []
            for await r in g { out.append(r) }
            return out
        }
        let wall = monotonicMs() - t0
        XCTAssertEqual(rs.filter { $0.finishReason == .stop }.count, 8)
        XCTAssertLessThan(wall, 8 * 200 / 3, "8 commands of 200 ms at once: \(wall) ms")
        for r in rs { XCTAssertEqual(r.latencyMs, 205, accuracy: 20 + (wall - 200) / 4, "latency is the program's own wall time") }
    }

    /// A death by signal says which signal; stderr's tail comes with it.
    func testSignalDeathIsNamed() async throws {
        let dir = TempDir()
        let r = await Self.ask(try backend(["sh", "-c", "echo 'segfault at 0x0' >&2; kill -SEGV $$"], dir))
        XCTAssertEqual(r.finishReason, .error)
        XCTAssertEqual(r.error, "command 'sh' killed by SIGSEGV; stderr ends: segfault at 0x0")
    }

    /// Stderr has its own documented cap (`maxStderrBytes`); passing it says so, not "status 9".
    func testStderrLimit() async throws {
        let dir = TempDir()
        let flood = ["sh", "-c", "head -c 3000 /dev/zero | tr '\\0' e >&2; echo ok"]
        let r = await Self.ask(try backend(flood, dir, extra: [("maxStderrBytes", 1000)]))
        XCTAssertEqual(r.finishReason, .error)
        XCTAssertTrue(r.error?.hasPrefix("command 'sh' printed more than 1000 bytes on stderr (maxStderrBytes); stopped it") == true, r.error ?? "")
        XCTAssertEqual(r.stderr?.utf8.count, 1000, "the first maxStderrBytes bytes are kept")
        let fine = await Self.ask(try backend(flood, dir))
        XCTAssertEqual(fine.text, "ok", "the default cap (1 MiB) leaves room for ordinary logging")
        XCTAssertThrowsError(try backend(flood, dir, extra: [("maxStderrBytes", 0)]))
    }

    /// One newline at the very end of stdout is not part of the output (the CLI's rule for files).
    func testFinalNewlineIsNotOutput() async throws {
        let dir = TempDir()
        let echo = await Self.ask(try backend(["echo", "refund"], dir)).text
        XCTAssertEqual(echo, "refund")
        let two = await Self.ask(try backend(["printf", "a\\n\\n"], dir)).text
        XCTAssertEqual(two, "a\n", "only one newline is dropped")
        let crlf = await Self.ask(try backend(["printf", "a\\r\\n"], dir)).text
        XCTAssertEqual(crlf, "a")
        let none = await Self.ask(try backend(["printf", "a"], dir)).text
        XCTAssertEqual(none, "a")
    }

    func testPromptOnStdinOutputOnStdout() async throws {
        let dir = TempDir()
        dir.write("up.sh", "tr a-z A-Z\n")
        let b = try backend(["sh", "up.sh"], dir)
        let r = await b.complete(BackendRequest(messages: [ChatMessage(role: "user", content: "hello")], caseId: "c1"))
        XCTAssertEqual(r.text, "HELLO")
        XCTAssertEqual(r.finishReason, .stop)
    }

    func testCaseFactsInEnvironment() async throws {
        let dir = TempDir()
        dir.write("env.sh", "printf '%s/%s' \"$PROCTOR_CASE_ID\" \"$PROCTOR_PROMPT_ID\"\n")
        let r = try await backend(["sh", "env.sh"], dir).complete(BackendRequest(messages: [], caseId: "case-7", promptId: "v2"))
        XCTAssertEqual(r.text, "case-7/v2")
    }

    func testNonZeroExitIsAnErrorWithStderr() async throws {
        let dir = TempDir()
        dir.write("fail.sh", "echo broken >&2\nexit 3\n")
        let r = try await backend(["sh", "fail.sh"], dir).complete(BackendRequest(messages: []))
        XCTAssertEqual(r.finishReason, .error)
        XCTAssertEqual(r.error, "command 'sh' exited with status 3; stderr ends: broken")
        XCTAssertEqual(r.stderr, "broken\n")
    }

    func testTimeout() async throws {
        let dir = TempDir()
        let start = Date()
        let r = try await backend(["sleep", "30"], dir, timeout: 0.5).complete(BackendRequest(messages: []))
        XCTAssertEqual(r.finishReason, .error)
        XCTAssertEqual(r.error, "command 'sleep' timed out after 0.5 s (timeoutSeconds); stopped it")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testInvalidUTF8IsReplaced() async throws {
        let dir = TempDir()
        dir.write("bad.sh", "printf 'ok\\377\\376end'\n")
        let r = try await backend(["sh", "bad.sh"], dir).complete(BackendRequest(messages: []))
        XCTAssertEqual(r.text, "ok\u{FFFD}\u{FFFD}end")
    }

    func testTenMegabyteOutput() async throws {
        let dir = TempDir()
        dir.write("big.sh", "head -c 10485760 /dev/zero | tr '\\0' x\n")
        let r = try await backend(["sh", "big.sh"], dir).complete(BackendRequest(messages: []))
        XCTAssertEqual(r.finishReason, .stop)
        XCTAssertEqual(r.text.utf8.count, 10_485_760)
    }

    func testOutputLimitStopsAProgramThatPrintsForever() async throws {
        let dir = TempDir()
        let r = try await backend(["yes"], dir, extra: [("maxOutputBytes", 100_000)]).complete(BackendRequest(messages: []))
        XCTAssertEqual(r.finishReason, .error)
        XCTAssertEqual(r.error, "command 'yes' printed more than 100000 bytes on stdout (maxOutputBytes); stopped it")
    }

    func testMissingProgramIsAConfigError() {
        let dir = TempDir()
        XCTAssertThrowsError(try backend(["no-such-program-xyz"], dir)) { e in
            XCTAssertEqual("\(e)", "command backend 'cmd': program 'no-such-program-xyz' not found on PATH")
        }
    }
}

final class CassetteTests: XCTestCase {
    func testRecordThenReplay() async throws {
        let dir = TempDir()
        let path = dir.file("c.jsonl")
        let (echo, spec) = try BackendRegistry.standard.make(JSONObject([("id", "live"), ("type", "echo"), ("response", "recorded answer")]),
                                                             baseDirectory: dir.path)
        let cassette = try Cassette(path: path, allowMissing: true)
        let rec = RecordingBackend(live: echo, identity: spec.identity, cassette: cassette)
        let req = BackendRequest(messages: [ChatMessage(role: "user", content: "q1")], caseId: "a")
        let live = await rec.complete(req)
        XCTAssertEqual(live.text, "recorded answer")
        XCTAssertFalse(live.latencyRecorded)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing is written until the cassette is saved")
        try cassette.save()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("{\"backend\":\"live\",\"identity\":{"), "stable key order: \(text)")
        XCTAssertTrue(text.contains("\"latencyMs\":"), "latency is recorded: \(text)")
        XCTAssertEqual(text.split(separator: "\n").count, 1)

        let replay = ReplayBackend(id: "r", sourceId: "live", identity: spec.identity, cassette: try Cassette(path: path, allowMissing: false))
        let hit = await replay.complete(req)
        XCTAssertEqual(hit.text, "recorded answer")
        XCTAssertTrue(hit.latencyRecorded)
        let miss = await replay.complete(BackendRequest(messages: [ChatMessage(role: "user", content: "other")], caseId: "b", promptId: "v1"))
        XCTAssertEqual(miss.finishReason, .error)
        XCTAssertTrue(miss.error!.contains("no recording for case 'b'"))
        XCTAssertTrue(miss.error!.contains("the rendered prompt"), miss.error!)
        XCTAssertTrue(miss.error!.contains("proctor run --record"))

        // Other options or another model configuration are a miss that says what changed.
        var hot = req
        hot.options.temperature = 1.5
        let changed = await replay.complete(hot)
        XCTAssertEqual(changed.finishReason, .error)
        XCTAssertTrue(changed.error!.contains("options.temperature: unset → 1.5"), changed.error!)
        let other = ReplayBackend(id: "r", sourceId: "live", identity: JSONObject([("type", "echo"), ("response", "new")]),
                                  cassette: try Cassette(path: path, allowMissing: false))
        let moved = await other.complete(req)
        XCTAssertTrue(moved.error!.contains("response: \"recorded answer\" → \"new\""), moved.error!)
    }

    func testMissingCassetteIsAConfigError() {
        XCTAssertThrowsError(try Cassette(path: "/tmp/proctor-no-such-dir/nope.jsonl", allowMissing: false)) { e in
            XCTAssertTrue("\(e)".contains("does not exist; record it with 'proctor run --record'"))
        }
    }
}
