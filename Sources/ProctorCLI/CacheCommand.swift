import Foundation
import ProctorBackends
import ProctorCommandLine

/// `proctor cache info|clear`: what the response cache holds, and emptying it.
enum CacheCommand: ProctorCommand {
    static let spec = CommandSpec(
        name: "cache",
        summary: "Show or clear the response cache (.proctor-cache/ or PROCTOR_CACHE_DIR).",
        usage: "proctor cache info|clear [--dir DIR]",
        options: [OptionSpec("dir", value: "DIR", help: "The cache folder (default: PROCTOR_CACHE_DIR, else .proctor-cache).")],
        discussion: """
        `proctor run` caches the responses of HTTP backends (every backend with --cache, none with
        --no-cache) for 14 days (--cache-max-age DAYS), keyed like cassettes.
        """)

    static func run(_ args: ParsedArguments, console: Console) async throws -> Int32 {
        guard args.positionals.count == 1, let verb = args.positionals.first, ["info", "clear"].contains(verb) else {
            throw CLIError.usage("say 'proctor cache info' or 'proctor cache clear'")
        }
        let dir = args.value("dir") ?? console.environment["PROCTOR_CACHE_DIR"] ?? ".proctor-cache"
        if verb == "clear" {
            let n: Int
            do { n = try ResponseCache.clear(directory: dir) } catch { throw CLIError.input("cannot clear \(dir): \(error.localizedDescription)") }
            console.out("removed \(n) cached response\(n == 1 ? "" : "s") from \(dir)")
            return 0
        }
        let i = ResponseCache.info(directory: dir)
        console.out("\(dir): \(i.entries) cached response\(i.entries == 1 ? "" : "s"), \(String(format: "%.1f", Double(i.bytes) / 1024)) KB")
        if let o = i.oldest, let n = i.newest {
            let f = ISO8601DateFormatter()
            console.out("oldest \(f.string(from: o)), newest \(f.string(from: n))")
        }
        return 0
    }
}
