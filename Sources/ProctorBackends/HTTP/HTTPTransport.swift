import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ProctorJSON
import Synchronization

/// POSTs JSON with retries (exponential backoff with jitter, `Retry-After`), a per-request timeout,
/// and an optional requests-per-minute limit shared by all cases of the run. Secrets (the API key)
/// are redacted from every message it produces.
public final class HTTPTransport: Sendable {
    /// How requests are sent: timeout, retries, backoff and pacing, from the suite's transport keys.
    public struct Config: Sendable {
        /// Limit on each attempt's whole exchange, from connecting to the last byte of the body; a timeout is not retried.
        public var timeoutSeconds: Double = 60
        /// Attempts after the first, for a connection failure or a retryable status (408, 409, 429, 500, 502, 503, 504).
        public var maxRetries: Int = 3
        /// First backoff; doubles per attempt, with ±50 % jitter.
        public var baseDelaySeconds: Double = 0.5
        /// Cap on any one wait between attempts, a server's `Retry-After` included; no suite key sets it.
        public var maxDelaySeconds: Double = 30
        /// The most requests a minute this transport sends, evenly spaced, or nil for no pacing.
        public var requestsPerMinute: Double?
        /// The defaults: a 60 s timeout, 3 retries, a 0.5 s first backoff capped at 30 s, and no pacing.
        public init() {}
    }

    /// A successful (2xx) response and what it took to get it.
    public struct Outcome: Sendable {
        /// The HTTP status, from 200 to 299.
        public var status: Int
        /// The response body as received.
        public var body: [UInt8]
        /// How many attempts it took; 1 when the first succeeded.
        public var attempts: Int
        /// Milliseconds from the start of the first attempt to this response, pacing and backoff waits included.
        public var latencyMs: Double
    }

    /// Why a request got no 2xx response, with the number of attempts made.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case timeout(Double, attempts: Int)
        case connection(String, attempts: Int)
        case http(Int, body: String, attempts: Int)
        /// The failure in one line, for the case's error message.
        public var description: String {
            switch self {
            case .timeout(let s, let a): return "the request timed out after \(s) s" + (a > 1 ? " (attempt \(a))" : "")
            case .connection(let m, let a): return "connection failed after \(a) attempt\(a == 1 ? "" : "s"): \(m)"
            case .http(let code, let body, let a): return "HTTP \(code) after \(a) attempt\(a == 1 ? "" : "s"): \(body)"
            }
        }
    }

    let config: Config
    let session: URLSession
    let secrets: [String]
    let pacer: RequestPacer?

    /// A transport with its own ephemeral URL session (no cache, no cookies) that redacts each of `secrets` of 4 characters or more from its messages.
    public init(config: Config, secrets: [String]) {
        self.config = config
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = config.timeoutSeconds
        c.timeoutIntervalForResource = config.timeoutSeconds
        c.requestCachePolicy = .reloadIgnoringLocalCacheData
        c.urlCache = nil
        c.httpCookieStorage = nil
        session = URLSession(configuration: c)
        self.secrets = secrets.filter { $0.count >= 4 }
        pacer = config.requestsPerMinute.map { RequestPacer(perMinute: $0) }
    }

    /// Replaces every secret in `s`.
    public func redact(_ s: String) -> String {
        var t = s
        for k in secrets { t = t.replacingOccurrences(of: k, with: "[redacted]") }
        return t
    }

    /// Statuses worth another try.
    static func retryable(_ status: Int) -> Bool { [408, 409, 429, 500, 502, 503, 504].contains(status) }

    /// Seconds from a `Retry-After` header: delta-seconds or an HTTP date.
    public static func retryAfter(_ value: String?) -> Double? {
        guard let v = value?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        if let s = Double(v) { return max(0, s) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let d = f.date(from: v) { return max(0, d.timeIntervalSinceNow) }
        return nil
    }

    /// POSTs `body` as JSON to `url` with `headers`, retrying as `config` allows; failures are values, and cancelling the task cancels the request.
    public func post(url: URL, headers: [String: String], body: [UInt8]) async -> Result<Outcome, Failure> {
        await send(method: "POST", url: url, headers: headers, body: body, contentType: "application/json")
    }

    /// `method` to `url` with `headers` and `body` (none for a GET), retrying as `config` allows.
    public func send(method: String, url: URL, headers: [String: String], body: [UInt8]?, contentType: String?) async -> Result<Outcome, Failure> {
        let start = monotonicMs()
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled { return .failure(.connection("cancelled", attempts: attempt)) }
            if let pacer { await pacer.wait() }
            var req = URLRequest(url: url)
            req.httpMethod = method
            req.timeoutInterval = config.timeoutSeconds
            if let body { req.httpBody = Data(body) }
            if let contentType { req.setValue(contentType, forHTTPHeaderField: "Content-Type") }
            for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
            var delay: Double?
            do {
                let (data, resp) = try await exchange(req)
                let status = (resp as? HTTPURLResponse)?.statusCode ?? 0
                if status >= 200 && status < 300 {
                    return .success(Outcome(status: status, body: [UInt8](data), attempts: attempt, latencyMs: monotonicMs() - start))
                }
                let excerpt = redact(Self.excerpt([UInt8](data)))
                guard Self.retryable(status), attempt <= config.maxRetries else {
                    return .failure(.http(status, body: excerpt, attempts: attempt))
                }
                delay = Self.retryAfter((resp as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After"))
            } catch let e as URLError where e.code == .timedOut {
                return .failure(.timeout(config.timeoutSeconds, attempts: attempt))
            } catch is Deadline {
                return .failure(.timeout(config.timeoutSeconds, attempts: attempt))
            } catch {
                guard attempt <= config.maxRetries else { return .failure(.connection(redact(Self.describe(error)), attempts: attempt)) }
            }
            let backoff = min(config.maxDelaySeconds, config.baseDelaySeconds * pow(2, Double(attempt - 1)) * Double.random(in: 0.5...1.5))
            let wait = min(config.maxDelaySeconds, max(delay ?? 0, delay == nil ? backoff : 0))
            try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
        }
    }

    /// The request's deadline passed: `timeoutSeconds` covers the whole exchange (connecting,
    /// headers and the complete body), so a server that drips its answer a byte at a time is cut off.
    struct Deadline: Error {}

    /// One request and its whole response, within `timeoutSeconds` from the start; cancelling the
    /// task cancels the request.
    func exchange(_ req: URLRequest) async throws -> (Data, URLResponse) {
        let once = _Once()
        let handle = _TaskHandle()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<(Data, URLResponse), any Error>) in
                let task = session.dataTask(with: req) { data, resp, error in
                    guard once.claim() else { return }
                    if let error { cont.resume(throwing: error); return }
                    guard let resp else { cont.resume(throwing: URLError(.badServerResponse)); return }
                    cont.resume(returning: (data ?? Data(), resp))
                }
                handle.set(task)
                DispatchQueue.global().asyncAfter(deadline: .now() + config.timeoutSeconds) {
                    guard once.claim() else { return }
                    task.cancel()
                    cont.resume(throwing: Deadline())
                }
                task.resume()
            }
        } onCancel: {
            handle.cancel()
        }
    }

    static func describe(_ error: any Error) -> String {
        if let u = error as? URLError {
            switch u.code {
            case .networkConnectionLost: return "the connection closed before the whole response arrived"
            case .cannotConnectToHost: return "cannot connect to the server"
            case .notConnectedToInternet: return "no network"
            default: return u.localizedDescription
            }
        }
        return "\(error)"
    }

    /// The first bytes of a body, for error messages.
    public static func excerpt(_ b: [UInt8], limit: Int = 200) -> String {
        let s = String(decoding: b.prefix(limit), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        return b.count > limit ? s + "…" : s
    }
}

/// Spaces requests evenly to at most N per minute (shared by every case using the backend).
public actor RequestPacer {
    let interval: Double
    var next: Double = 0

    /// A pacer that lets at most `perMinute` requests start each minute, one every `60 / perMinute` seconds.
    public init(perMinute: Double) { interval = 60 / max(perMinute, 0.001) }

    /// Takes the next free slot and suspends until it comes; each call's slot is one interval after the previous call's.
    public func wait() async {
        let now = monotonicMs() / 1000
        let at = max(now, next)
        next = at + interval
        if at > now { try? await Task.sleep(nanoseconds: UInt64((at - now) * 1e9)) }
    }
}

/// True once: the first of a response and a deadline wins.
final class _Once: Sendable {
    private let done = Atomic<Bool>(false)
    func claim() -> Bool { done.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged }
}

/// The data task of a request, for cancelling it from another thread (Ctrl-C, SIGTERM).
final class _TaskHandle: Sendable {
    private let task = Mutex<URLSessionDataTask?>(nil)
    private let cancelled = Atomic<Bool>(false)
    func set(_ t: URLSessionDataTask) {
        task.withLock { $0 = t }
        if cancelled.load(ordering: .acquiring) { t.cancel() }
    }
    func cancel() {
        cancelled.store(true, ordering: .releasing)
        task.withLock { $0 }?.cancel()
    }
}
