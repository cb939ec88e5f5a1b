import Foundation
import ProctorBackends
import ProctorCommandLine
import ProctorHarness
import ProctorReports
import ProctorServe

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
        do { run = try ResultsFile.read(path) } catch { throw CLIError.input("\(error)") }
        let html = (path as NSString).deletingPathExtension + ".html"
        try checkOutputs([("the page", html)], inputs: [("the results file", path)])
        let page = Array(HTMLWriter.run(run).utf8)
        do { try AtomicFile.write(page, to: html) } catch { throw CLIError.input("cannot write \(html): \(error.localizedDescription)") }
        console.err("wrote \(html)")
        let server: PageServer
        do { server = try PageServer(page: page, port: try args.int("port", min: 0) ?? 0) } catch { throw CLIError.input("cannot listen on 127.0.0.1: \(error)") }
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
