import Foundation
import ProctorJSON
import ProctorServe
import Synchronization

/// A stand-in for model APIs on 127.0.0.1 (a free port), for tests of the HTTP backends: a handler
/// on Proctor's own `HTTPListener` that answers from a queue of behaviours, or a fallback, and can
/// be told to misbehave (delay, cut the body, drip it, close without answering). `stop()` (or
/// deinit) closes it; nothing is left running.
public final class MockHTTPServer: Sendable {
    public indirect enum Behavior: Sendable {
        case respond(status: Int, headers: [String: String], body: String)
        case delay(Double, then: Behavior)
        /// Declares a longer body than it sends, then closes.
        case cutBody(String)
        /// Closes the connection without answering.
        case close
        /// Sends the headers at once, then the body one byte every `interval` seconds (a server that
        /// never stalls long enough for a read timeout, yet never finishes in time).
        case drip(String, interval: Double)
    }

    public struct Request: Sendable {
        public let method: String
        public let path: String
        public let headers: [String: String]
        public let body: String
    }

    private struct State {
        var queue: [Behavior] = []
        var recorded: [Request] = []
        var active = 0
        var maxActive = 0
    }

    /// The state, shared by the server object and the listener's handler.
    private final class Shared: Sendable {
        let lock = Mutex(State())
    }

    private let listener: HTTPListener
    private let shared: Shared
    /// Answers when the queue is empty.
    public let fallback: @Sendable (Request) -> Behavior

    public init(fallback: @escaping @Sendable (Request) -> Behavior) throws {
        self.fallback = fallback
        let shared = Shared()
        self.shared = shared
        listener = try HTTPListener(options: HTTPListener.Options()) { ex in
            let r = ex.request
            let req = Request(method: r.method, path: r.path + (r.query.map { "?" + $0 } ?? ""), headers: r.headers, body: String(decoding: r.body, as: UTF8.self))
            let behavior: Behavior = shared.lock.withLock { s in
                s.recorded.append(req)
                s.active += 1
                s.maxActive = max(s.maxActive, s.active)
                return s.queue.isEmpty ? fallback(req) : s.queue.removeFirst()
            }
            defer { shared.lock.withLock { $0.active -= 1 } }
            MockHTTPServer.perform(behavior, ex)
        }
        listener.start()
    }

    deinit { stop() }

    public var port: Int { listener.port }
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func enqueue(_ b: Behavior...) { shared.lock.withLock { $0.queue.append(contentsOf: b) } }
    public var requests: [Request] { shared.lock.withLock { $0.recorded } }
    /// The most requests in progress at once.
    public var peakConcurrency: Int { shared.lock.withLock { $0.maxActive } }

    public func stop() { listener.shutdown(timeout: 0) }

    private static func perform(_ b: Behavior, _ ex: HTTPExchange) {
        switch b {
        case .close:
            ex.writeRaw([])
        case .delay(let s, let then):
            Thread.sleep(forTimeInterval: s)
            perform(then, ex)
        case .drip(let body, let interval):
            let bytes = Array(body.utf8)
            ex.writeRaw(Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n".utf8))
            for b in bytes {
                Thread.sleep(forTimeInterval: interval)
                if ex.clientGone { return }
                ex.writeRaw([b])
            }
        case .cutBody(let body):
            let bytes = Array(body.utf8)
            ex.writeRaw(Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count * 2)\r\nConnection: close\r\n\r\n".utf8)
                        + bytes.prefix(bytes.count / 2))
        case .respond(let status, let hs, let body):
            ex.respond(status, headers: hs.filter { $0.key != "Content-Type" }, contentType: hs["Content-Type"] ?? "application/json", body: Array(body.utf8))
        }
    }

    // MARK: - Canned API answers

    public static func openAI(_ text: String, finish: String = "stop") -> Behavior {
        .respond(status: 200, headers: [:], body: #"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":\#(quote(text))},"finish_reason":"\#(finish)"}],"usage":{"prompt_tokens":7,"completion_tokens":3}}"#)
    }

    public static func anthropic(_ text: String, stop: String = "end_turn") -> Behavior {
        .respond(status: 200, headers: [:], body: #"{"id":"m","type":"message","content":[{"type":"text","text":\#(quote(text))}],"stop_reason":"\#(stop)","usage":{"input_tokens":9,"output_tokens":4}}"#)
    }

    static func quote(_ s: String) -> String { JSONSerializer.quote(s) }
}
