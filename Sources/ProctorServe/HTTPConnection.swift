import Foundation

/// One HTTP/1.1 request read from a socket (method, path, query, headers by lower-cased name,
/// body), with the limits that keep a bad client from costing memory.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// The path without its query (`/v1/chat/completions`).
    public var path: String
    /// What followed `?` in the target, if anything.
    public var query: String?
    /// Headers by lower-cased name.
    public var headers: [String: String]
    /// The body (`Content-Length` bytes).
    public var body: [UInt8]
}

/// A request that could not be read: the status to answer with and why.
struct HTTPReadError: Error {
    var status: Int
    var message: String
}

/// A client socket: reads one request, writes responses (whole or as server-sent events), and
/// notices when the client has gone away. Writes never raise SIGPIPE (`MSG_NOSIGNAL`).
final class HTTPConnection {
    let fd: Int32
    private(set) var broken = false

    init(fd: Int32, idleSeconds: Int = 30) {
        self.fd = fd
        var timeout = timeval(tv_sec: idleSeconds, tv_usec: 0)  // a client that sends nothing does not hold a thread forever
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Bytes read past the end of the last request (the start of the next one on a kept-alive connection).
    private var pending: [UInt8] = []

    /// Reads the request line, headers and a `Content-Length` body of at most `maxBody` bytes; nil
    /// when the client closed the connection (or went quiet) before starting another request.
    func readRequest(maxBody: Int) throws(HTTPReadError) -> HTTPRequest? {
        var buf: [UInt8] = pending
        pending = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        var headerEnd: Int? = Self.find([13, 10, 13, 10], in: buf)
        while headerEnd == nil {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 && buf.isEmpty { return nil }
            if n <= 0 { throw HTTPReadError(status: 400, message: "the request ended before its headers") }
            buf.append(contentsOf: chunk[0..<n])
            headerEnd = Self.find([13, 10, 13, 10], in: buf)
            if headerEnd == nil && buf.count > 32768 { throw HTTPReadError(status: 431, message: "request headers larger than 32 KB") }
        }
        let head = String(decoding: buf[0..<headerEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { throw HTTPReadError(status: 400, message: "malformed request line") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            throw HTTPReadError(status: 411, message: "chunked request bodies are not supported; send Content-Length")
        }
        var body = Array(buf[(headerEnd! + 4)...])
        let lengthText = headers["content-length"] ?? "0"
        // Digits only; a number too large for any body is 413, like any body past the limit.
        guard !lengthText.isEmpty, lengthText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw HTTPReadError(status: 400, message: "Content-Length is not a number: \(lengthText)")
        }
        guard let length = Int(lengthText), length <= maxBody else {
            throw HTTPReadError(status: 413, message: "request body of \(lengthText) bytes is too large: the limit is \(maxBody)")
        }
        while body.count < length {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, length - body.count), 0) }
            if n <= 0 { throw HTTPReadError(status: 400, message: "the request body ended after \(body.count) of \(length) bytes") }
            body.append(contentsOf: chunk[0..<n])
        }
        var path = String(requestLine[1])
        var query: String?
        if let q = path.firstIndex(of: "?") { query = String(path[path.index(after: q)...]); path = String(path[..<q]) }
        if body.count > length { pending = Array(body[length...]) }
        return HTTPRequest(method: String(requestLine[0]), path: path, query: query, headers: headers, body: Array(body.prefix(length)))
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 401: return "Unauthorized"
        case 408: return "Request Timeout"
        case 429: return "Too Many Requests"
        case 502: return "Bad Gateway"
        case 504: return "Gateway Timeout"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 411: return "Length Required"
        case 413: return "Payload Too Large"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Error"
        }
    }

    /// A whole response; with `keepAlive` the connection may carry another request after it.
    func respond(_ status: Int, headers: [String: String] = [:], contentType: String = "application/json", body: [UInt8], keepAlive: Bool = false) {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) where k.lowercased() != "content-type" { head += "\(k): \(v)\r\n" }
        head += "Connection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        writeAll(Array(head.utf8) + body)
    }

    /// Starts a server-sent-event stream (ended by closing the connection).
    func startEvents() {
        writeAll(Array("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n".utf8))
    }

    /// One `data:` event.
    func event(_ data: [UInt8]) {
        writeAll(Array("data: ".utf8) + data + [10, 10])
    }

    /// Writes everything or marks the connection broken.
    func writeAll(_ bytes: [UInt8]) {
        guard !broken else { return }
        var sent = 0
        #if os(Linux)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        while sent < bytes.count {
            let w = bytes[sent...].withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count, flags) }
            if w <= 0 { broken = true; return }
            sent += w
        }
    }

    /// True when the client has closed its side (an orderly shutdown or a reset).
    var clientGone: Bool {
        if broken { return true }
        var b: UInt8 = 0
        let n = recv(fd, &b, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n == 0 { return true }
        if n < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        return false
    }
}
