import Foundation
import ProctorJSON
import Synchronization

/// Proctor's one HTTP/1.1 server: a listening socket, a thread per connection, requests read with
/// limits, keep-alive, and a graceful stop. `proctor model serve`, `proctor view` and the tests'
/// stand-in servers are all handlers on it.
///
/// A connection serves requests one after another while the client keeps it open (HTTP/1.1's
/// default) and the handler answers with a length; a streamed or raw answer, `Connection: close`,
/// a read error, or `idleSeconds` without a request ends it.
public final class HTTPListener: Sendable {
    /// Where and how the listener accepts.
    public struct Options: Sendable {
        /// An IPv4 address (`127.0.0.1` by default: loopback only).
        public var host = "127.0.0.1"
        /// 0 picks a free port (see `port`).
        public var port = 0
        /// Largest accepted request body in bytes (a larger one is answered 413).
        public var maxBody = 1 << 20
        /// How long a connection may wait for its first request, and between requests.
        public var idleSeconds = 30
        /// Options with the defaults.
        public init() {}
    }

    /// The listener could not start (the host or the port).
    public struct StartError: Error, Sendable, CustomStringConvertible {
        /// What failed, in words: the host or port and the system's reason.
        public let description: String
    }

    /// The port listened on (the one the system chose when `options.port` was 0).
    public let port: Int
    /// The options the listener was started with.
    public let options: Options
    private let fd: Int32
    private let handler: @Sendable (HTTPExchange) -> Void
    private let stopping = Atomic<Bool>(false)
    private let closed = Mutex(false)
    private let active = Atomic<Int>(0)

    /// Binds and listens; `handler` answers each request (on the connection's thread).
    public init(options: Options, handler: @escaping @Sendable (HTTPExchange) -> Void) throws(StartError) {
        self.options = options
        self.handler = handler
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw StartError(description: "cannot create a socket") }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(truncatingIfNeeded: options.port).bigEndian)
        guard inet_pton(AF_INET, options.host, &addr.sin_addr) == 1 else {
            close(s)
            throw StartError(description: "--host \(options.host) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(s, 64) == 0 else {
            let why = String(cString: strerror(errno))
            close(s)
            throw StartError(description: "cannot listen on \(options.host):\(options.port) (\(why))")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        fd = s
    }

    /// Accepts connections on a background thread until `shutdown`.
    public func start() {
        let t = Thread { [self] in acceptLoop() }
        t.stackSize = 1 << 20
        t.start()
    }

    /// True once `shutdown` began: handlers of long answers stop at their next step.
    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Connections being served.
    public var activeConnections: Int { active.load(ordering: .acquiring) }

    /// Stops accepting and returns when every connection has finished (at most `timeout` seconds).
    public func shutdown(timeout: Double = 10) {
        stopping.store(true, ordering: .releasing)
        closed.withLock { done in
            guard !done else { return }
            Glibc.shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
            done = true
        }
        let deadline = Date().addingTimeInterval(timeout)
        while active.load(ordering: .acquiring) > 0 && Date() < deadline { usleep(2000) }
    }

    deinit { closed.withLock { done in if !done { close(fd) } } }

    private func acceptLoop() {
        while !stopping.load(ordering: .acquiring) {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            active.add(1, ordering: .relaxed)
            let t = Thread { [self] in
                serve(HTTPConnection(fd: c, idleSeconds: options.idleSeconds))
                active.subtract(1, ordering: .releasing)
            }
            t.stackSize = 1 << 20
            t.start()
        }
    }

    /// Requests on one connection, one after another, while it stays open.
    private func serve(_ conn: HTTPConnection) {
        while !stopping.load(ordering: .acquiring) {
            let exchange: HTTPExchange
            do {
                guard let request = try conn.readRequest(maxBody: options.maxBody) else { return }  // closed between requests
                exchange = HTTPExchange(request: request, connection: conn)
            } catch {
                conn.respond(error.status, body: Array("{\"error\":{\"message\":\(JSONSerializer.quote(error.message)),\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}".utf8),
                             keepAlive: false)
                return
            }
            handler(exchange)
            if !exchange.keepsConnection { return }
        }
    }
}

/// One request and the means to answer it: once, with a length (the connection may then serve
/// the next request), as server-sent events, or with raw bytes (for stand-in servers that
/// misbehave on purpose).
public final class HTTPExchange: @unchecked Sendable {
    // @unchecked Sendable: an exchange is used by the one thread that serves its connection.
    /// The request as read.
    public let request: HTTPRequest
    let connection: HTTPConnection
    private(set) var answered = false
    private(set) var keepsConnection = false

    init(request: HTTPRequest, connection: HTTPConnection) {
        self.request = request
        self.connection = connection
    }

    /// A whole answer. The connection stays open for another request unless the client asked to close it.
    public func respond(_ status: Int, headers: [String: String] = [:], contentType: String = "application/json", body: [UInt8]) {
        precondition(!answered, "one answer per request")
        answered = true
        keepsConnection = request.headers["connection"]?.lowercased() != "close"
        connection.respond(status, headers: headers, contentType: contentType, body: body, keepAlive: keepsConnection)
    }

    /// Starts a server-sent-event stream; the connection closes when the handler returns.
    public func startEvents() {
        answered = true
        connection.startEvents()
    }

    /// One `data:` event of a stream.
    public func event(_ data: [UInt8]) { connection.event(data) }

    /// Bytes exactly as given (a stand-in server's cut or dripping answer); the connection closes
    /// when the handler returns.
    public func writeRaw(_ bytes: [UInt8]) {
        answered = true
        connection.writeAll(bytes)
    }

    /// True when the client has gone away (a handler stops waiting for a generation slot then).
    public var clientGone: Bool { connection.clientGone }
}
