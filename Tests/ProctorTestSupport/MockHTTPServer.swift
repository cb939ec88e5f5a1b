import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 (a free port) that imitates model APIs and can be told to
/// misbehave: for tests of the HTTP backends. Each connection gets one response and is closed.
/// `stop()` (or deinit) closes it; nothing is left running.
public final class MockHTTPServer: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is behind `lock`.
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

    public private(set) var port: Int = 0
    private var listenFD: Int32 = -1
    private let lock = NSLock()
    private var queue: [Behavior] = []
    private var recorded: [Request] = []
    private var running = true
    private var active = 0
    private var maxActive = 0
    /// Answers when the queue is empty.
    public let fallback: @Sendable (Request) -> Behavior

    public init(fallback: @escaping @Sendable (Request) -> Behavior) throws {
        self.fallback = fallback
        listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listenFD >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(listenFD, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0, listen(listenFD, 64) == 0 else { close(listenFD); throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let t = Thread { [weak self] in self?.acceptLoop() }
        t.start()
    }

    deinit { stop() }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func enqueue(_ b: Behavior...) { lock.withLock { queue.append(contentsOf: b) } }
    public var requests: [Request] { lock.withLock { recorded } }
    /// The most requests in progress at once.
    public var peakConcurrency: Int { lock.withLock { maxActive } }

    public func stop() {
        let fd: Int32 = lock.withLock {
            running = false
            let f = listenFD
            listenFD = -1
            return f
        }
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    private func acceptLoop() {
        while true {
            let fd = lock.withLock { running ? listenFD : -1 }
            if fd < 0 { return }
            let c = accept(fd, nil, nil)
            if c < 0 { if lock.withLock({ !running }) { return }; continue }
            let t = Thread { [weak self] in self?.handle(c) }
            t.start()
        }
    }

    private func handle(_ fd: Int32) {
        defer { close(fd) }
        var buf = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return }
            buf.append(contentsOf: chunk[0..<n])
            if let r = find(buf, Array("\r\n\r\n".utf8)) { headerEnd = r }
        }
        let head = String(decoding: buf[0..<headerEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        let first = head[0].split(separator: " ")
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            if let c = line.firstIndex(of: ":") { headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces) }
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Array(buf[(headerEnd! + 4)...])
        while body.count < length {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            body.append(contentsOf: chunk[0..<n])
        }
        let req = Request(method: first.count > 0 ? String(first[0]) : "", path: first.count > 1 ? String(first[1]) : "",
                          headers: headers, body: String(decoding: body, as: UTF8.self))
        let behavior: Behavior = lock.withLock {
            recorded.append(req)
            active += 1
            maxActive = max(maxActive, active)
            return queue.isEmpty ? fallback(req) : queue.removeFirst()
        }
        defer { lock.withLock { active -= 1 } }
        perform(behavior, fd)
    }

    private func perform(_ b: Behavior, _ fd: Int32) {
        switch b {
        case .close:
            return
        case .delay(let s, let then):
            Thread.sleep(forTimeInterval: s)
            perform(then, fd)
        case .drip(let body, let interval):
            let bytes = Array(body.utf8)
            write(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n")
            for b in bytes {
                guard lock.withLock({ running }) else { return }
                Thread.sleep(forTimeInterval: interval)
                if [b].withUnsafeBytes({ send(fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }) <= 0 { return }
            }
        case .cutBody(let body):
            let bytes = Array(body.utf8)
            write(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count * 2)\r\nConnection: close\r\n\r\n")
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, bytes.count / 2, Int32(MSG_NOSIGNAL)) }
        case .respond(let status, let hs, let body):
            let bytes = Array(body.utf8)
            var head = "HTTP/1.1 \(status) X\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n"
            if hs["Content-Type"] == nil { head += "Content-Type: application/json\r\n" }
            for (k, v) in hs { head += "\(k): \(v)\r\n" }
            write(fd, head + "\r\n")
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// Writes to the client; a client that has gone away is an error here, never a SIGPIPE.
    private func write(_ fd: Int32, _ s: String) {
        let b = Array(s.utf8)
        _ = b.withUnsafeBytes { send(fd, $0.baseAddress, b.count, Int32(MSG_NOSIGNAL)) }
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }

    // MARK: - Canned API answers

    public static func openAI(_ text: String, finish: String = "stop") -> Behavior {
        .respond(status: 200, headers: [:], body: #"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":\#(quote(text))},"finish_reason":"\#(finish)"}],"usage":{"prompt_tokens":7,"completion_tokens":3}}"#)
    }

    public static func anthropic(_ text: String, stop: String = "end_turn") -> Behavior {
        .respond(status: 200, headers: [:], body: #"{"id":"m","type":"message","content":[{"type":"text","text":\#(quote(text))}],"stop_reason":"\#(stop)","usage":{"input_tokens":9,"output_tokens":4}}"#)
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
