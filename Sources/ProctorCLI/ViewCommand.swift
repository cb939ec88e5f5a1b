import Foundation
import ProctorBackends
import ProctorHarness
import ProctorReports
#if canImport(Glibc)
import Glibc
#endif

/// `proctor view [RESULTS.json]`: the run report next to the results, served on a loopback port.
enum ViewCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "view",
        summary: "Write the HTML report of a results file next to it and serve it on 127.0.0.1.",
        usage: "proctor view [RESULTS.json] [--port N] [--open]",
        options: [
            OptionSpec("port", value: "N", help: "The loopback port (default 0: a free one)."),
            OptionSpec("open", help: "Ask the desktop to open the page (xdg-open or open)."),
        ],
        discussion: "RESULTS.json defaults to reports/results.json. The page is also a file: it needs no server. Ctrl-C stops serving.")

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard args.positionals.count <= 1 else { throw CLIError.usage("give at most one RESULTS.json") }
        let path = args.positionals.first ?? "reports/results.json"
        let run: RunResult
        do { run = try ResultsReader.read(path) } catch { throw CLIError.input("\(error)") }
        let html = (path as NSString).deletingPathExtension + ".html"
        try OutputPaths.check(outputs: [("the page", html)], inputs: [("the results file", path)])
        let page = Array(HTMLWriter.run(run).utf8)
        do { try AtomicFile.write(page, to: html) } catch { throw CLIError.input("cannot write \(html): \(error.localizedDescription)") }
        console.err("wrote \(html)")
        let server: PageServer
        do { server = try PageServer(page: page, port: try args.int("port", min: 0) ?? 0) } catch {
            throw CLIError.input("cannot listen on 127.0.0.1: \(error)")
        }
        let url = "http://127.0.0.1:\(server.port)/"
        console.out(url)
        console.err("serving \(html) at \(url) (Ctrl-C stops)")
        if args.flag("open") {
            let env = console.environment
            if let p = ["xdg-open", "open"].lazy.compactMap({ ProcessRunner.resolveExecutable($0, cwd: ".", environment: env) }).first {
                let proc = Process()
                proc.executableURL = URL(fileURLWithPath: p)
                proc.arguments = [url]
                try? proc.run()
            } else {
                console.err("no xdg-open or open on PATH: open \(url) yourself")
            }
        }
        let signalSources = InterruptHandler.install(console.interruption, console: console)
        defer { for s in signalSources { s.cancel() } }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in console.interruption.onFire { c.resume() } }
        server.stop()
        return 0
    }
}

/// A one-page HTTP/1.1 server on 127.0.0.1: `GET /` answers the page, anything else 404.
/// One thread accepts; each connection gets one response and is closed.
final class PageServer: Sendable {
    let port: Int
    private let fd: Int32
    private let page: [UInt8]

    struct ListenError: Error, CustomStringConvertible {
        let what: String
        var description: String { what }
    }

    init(page: [UInt8], port: Int) throws {
        self.page = page
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw ListenError(what: "socket failed") }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(s, 16) == 0 else { close(s); throw ListenError(what: "port \(port) is not free") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        self.port = Int(UInt16(bigEndian: addr.sin_port))
        fd = s
        let t = Thread { [self] in self.acceptLoop() }
        t.start()
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            var buf = [UInt8](repeating: 0, count: 8192)
            let n = read(c, &buf, buf.count)
            let request = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : ""
            let firstLine = request.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
            let ok = firstLine.hasPrefix("GET / ") || firstLine.hasPrefix("GET /index.html ") || firstLine.hasPrefix("GET /?")
            let body: [UInt8] = ok ? page : Array("not found\n".utf8)
            let head = "HTTP/1.1 \(ok ? "200 OK" : "404 Not Found")\r\nContent-Type: \(ok ? "text/html; charset=utf-8" : "text/plain")\r\n"
                + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            let all = Array(head.utf8) + body
            var sent = 0
            while sent < all.count {
                let w = all[sent...].withUnsafeBufferPointer { write(c, $0.baseAddress, $0.count) }
                if w <= 0 { break }
                sent += w
            }
            close(c)
        }
    }
}
