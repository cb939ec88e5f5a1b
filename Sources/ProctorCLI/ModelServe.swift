import Dispatch
import Foundation
import ProctorCommandLine
import ProctorModel
import ProctorServe

/// `proctor model serve`: the built-in model as an OpenAI-compatible server until Ctrl-C.
enum ModelServe {
    static func run(_ rest: [String], _ args: ParsedArguments, _ console: Console) async throws -> Int32 {
        let c = try ModelCommand.load(rest.first)
        guard let tokPath = args.value("tokenizer") else { throw CLIError.usage("model serve needs --tokenizer TOK") }
        let tok: Tokenizer
        do { tok = try Tokenizer(path: tokPath, vocabSize: c.config.vocabSize) } catch { throw CLIError.input("\(error)") }
        var o = ModelServer.Options()
        o.host = args.value("host") ?? "127.0.0.1"
        o.port = try args.int("port", min: 0) ?? 8080
        guard o.port <= 65535 else { throw CLIError.usage("--port must be at most 65535") }
        o.maxConcurrency = try args.int("max-concurrency", min: 1) ?? 1
        // Threads per generation by the one rule (`Schedule`): a model whose products split gets the
        // cores shared among the concurrent generations; a small one a thread each.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        o.threads = try args.int("threads", min: 1)
            ?? (Schedule.splitPays(c.config, cores: cores) ? max(1, cores / o.maxConcurrency) : 1)
        o.modelName = args.value("model-name") ?? "proctor-builtin"
        let server: ModelServer
        do { server = try ModelServer(checkpoint: c, tokenizer: tok, options: o) } catch { throw CLIError.input("\(error)") }
        if !["127.0.0.1", "localhost"].contains(o.host) && !o.host.hasPrefix("127.") {
            console.err("proctor: warning: listening on \(o.host): the model is reachable from the network, without authentication")
        }
        // SIGINT and SIGTERM are caught before the start line is printed: a client that signals as
        // soon as it reads the line is never ignored (the one interrupt mechanism every command uses).
        let signalSources = InterruptHandler.install(console.interruption, console: console)
        defer { for s in signalSources { s.cancel() } }
        server.start()
        console.out("serving \(c.path) as '\(o.modelName)' on http://\(o.host):\(server.port)/v1 (Ctrl-C stops)")
        await withCheckedContinuation { (k: CheckedContinuation<Void, Never>) in console.interruption.onFire { k.resume() } }
        console.err("proctor: stopping: no new requests; cancelling running generations")
        server.shutdown()
        return 0
    }
}
