import Foundation

/// `proctor view`'s page on 127.0.0.1, through Proctor's one HTTP listener: `GET /` answers the
/// page, anything else 404.
public final class PageServer: Sendable {
    let listener: HTTPListener
    /// The port listened on (the system's choice when 0 was asked for).
    public var port: Int { listener.port }

    /// Starts serving `page` on 127.0.0.1:`port` (0: any free port).
    public init(page: [UInt8], port: Int) throws {
        var o = HTTPListener.Options()
        o.port = port
        listener = try HTTPListener(options: o) { ex in
            let ok = ex.request.method == "GET" && (ex.request.path == "/" || ex.request.path == "/index.html")
            ex.respond(ok ? 200 : 404, contentType: ok ? "text/html; charset=utf-8" : "text/plain", body: ok ? page : Array("not found\n".utf8))
        }
        listener.start()
    }

    /// Stops listening and lets open exchanges finish (at most 2 s).
    public func stop() { listener.shutdown(timeout: 2) }
}
