import ProctorSupport

/// One option a command accepts.
public struct OptionSpec: Sendable {
    /// The long name without dashes, e.g. "schema".
    public let name: String
    /// The one-letter form (`-j`), if any.
    public let short: Character?
    /// The placeholder shown in help for an option that takes a value; nil for flags.
    public let valueName: String?
    /// May be given more than once (each value kept in order).
    public let repeatable: Bool
    /// One line of help.
    public let help: String

    /// An option as the help lists it.
    public init(_ name: String, short: Character? = nil, value: String? = nil, repeatable: Bool = false, help: String) {
        self.name = name
        self.short = short
        self.valueName = value
        self.repeatable = repeatable
        self.help = help
    }

    /// Whether the option takes a value (not a flag).
    public var takesValue: Bool { valueName != nil }
}

/// What a command is called, what it takes, and its help text.
public struct CommandSpec: Sendable {
    /// The word that selects the command (`run`).
    public let name: String
    /// One line for the overview.
    public let summary: String
    /// The synopsis lines.
    public let usage: String
    /// Every option the command accepts; anything else is a usage error.
    public let options: [OptionSpec]
    /// Text after the options in `--help`.
    public let discussion: String

    /// A command's description, which the parser and `--help` both read.
    public init(name: String, summary: String, usage: String, options: [OptionSpec], discussion: String = "") {
        self.name = name
        self.summary = summary
        self.usage = usage
        self.options = options
        self.discussion = discussion
    }

    /// The full `--help` text.
    public var helpText: String {
        var s = "\(summary)\n\nUSAGE: \(usage)\n"
        if !options.isEmpty {
            s += "\nOPTIONS:\n"
            for o in options + [OptionSpec("help", short: "h", help: "Show this help.")] {
                var left = "  "
                if let c = o.short { left += "-\(c), " }
                left += "--\(o.name)"
                if let v = o.valueName { left += " \(v)" }
                let pad = max(1, 30 - left.count)
                s += left + String(repeating: " ", count: pad) + o.help + (o.repeatable ? " (repeatable)" : "") + "\n"
            }
        }
        if !discussion.isEmpty { s += "\n" + discussion + "\n" }
        return s
    }
}

/// Parsed command-line values.
public struct ParsedArguments: Sendable {
    /// Values of options that take one, by name, in the order given.
    public var values: [String: [String]] = [:]
    /// Flags given.
    public var flags: Set<String> = []
    /// Arguments that are not options, in order (`-` is one: standard input).
    public var positionals: [String] = []
    /// `--help` or `-h` was given.
    public var wantsHelp = false

    /// An empty result, filled by `ArgumentParser.parse`.
    public init() {}

    /// The option's value (the last, for a repeatable one).
    public func value(_ name: String) -> String? { values[name]?.last }
    /// Every value of a repeatable option.
    public func all(_ name: String) -> [String] { values[name] ?? [] }
    /// Whether the flag was given.
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// An integer option, or a usage error naming the option.
    public func int(_ name: String, min: Int = Int.min) throws(CLIError) -> Int? {
        guard let v = value(name) else { return nil }
        guard let i = Int(v), i >= min else { throw CLIError.usage("--\(name) expects an integer\(min > Int.min ? " ≥ \(min)" : ""), got '\(v)'") }
        return i
    }

    /// A finite number option, or a usage error naming the option.
    public func double(_ name: String) throws(CLIError) -> Double? {
        guard let v = value(name) else { return nil }
        guard let d = Double(v), d.isFinite else { throw CLIError.usage("--\(name) expects a number, got '\(v)'") }
        return d
    }
}

/// Errors that end a command with a message and an exit code.
public enum CLIError: Error, Sendable, CustomStringConvertible {
    /// Bad command line: exit 2.
    case usage(String)
    /// Bad input file or configuration: exit 2.
    case input(String)
    /// Any other failure with its own exit code.
    case failure(String, code: Int32)

    /// The message, as printed after `error: `.
    public var description: String {
        switch self {
        case .usage(let m), .input(let m), .failure(let m, _): return m
        }
    }

    /// The process exit status this error ends with.
    public var exitCode: Int32 {
        switch self {
        case .usage, .input: return 2
        case .failure(_, let c): return c
        }
    }
}

/// A small hand-written parser: `--name value`, `--name=value`, `-x value`, `-xvalue`, flags, `--` ends options,
/// a lone `-` is a positional (stdin). Unknown options get a "did you mean" suggestion.
public enum ArgumentParser {
    /// Parses `argv` (without the program and command names) against `spec`; an unknown, repeated or
    /// malformed option is a usage error naming it.
    public static func parse(_ argv: [String], spec: CommandSpec) throws(CLIError) -> ParsedArguments {
        var out = ParsedArguments()
        var i = 0
        var onlyPositionals = false
        func find(_ name: String) throws(CLIError) -> OptionSpec {
            if let o = spec.options.first(where: { $0.name == name }) { return o }
            let hint = Suggestions.closest(to: name, among: spec.options.map(\.name) + ["help"]).map { "; did you mean '--\($0)'?" } ?? ""
            throw CLIError.usage("unknown option '--\(name)' for '\(spec.name)'\(hint)")
        }
        while i < argv.count {
            let a = argv[i]
            i += 1
            if onlyPositionals || a == "-" || !a.hasPrefix("-") {
                out.positionals.append(a)
                continue
            }
            if a == "--" { onlyPositionals = true; continue }
            if a == "--help" || a == "-h" { out.wantsHelp = true; continue }
            var name: String
            var inline: String?
            var opt: OptionSpec
            if a.hasPrefix("--") {
                let body = a.dropFirst(2)
                if let eq = body.firstIndex(of: "=") {
                    name = String(body[..<eq])
                    inline = String(body[body.index(after: eq)...])
                } else {
                    name = String(body)
                }
                opt = try find(name)
            } else {
                // `-j 2`, and the attached forms `-j2` and `-j=2` of a short option that takes a value.
                let c = a.dropFirst()
                guard let o = spec.options.first(where: { $0.short == c.first }), c.count == 1 || o.takesValue else {
                    throw CLIError.usage("unknown option '\(a)' for '\(spec.name)'")
                }
                if c.count > 1 {
                    let rest = c.dropFirst()
                    inline = String(rest.hasPrefix("=") ? rest.dropFirst() : rest)
                }
                opt = o
                name = o.name
            }
            if opt.takesValue {
                let v: String
                if let inline { v = inline } else {
                    guard i < argv.count else { throw CLIError.usage("option '--\(name)' needs a value (\(opt.valueName!))") }
                    v = argv[i]
                    i += 1
                }
                if !opt.repeatable && out.values[name] != nil { throw CLIError.usage("option '--\(name)' given twice") }
                out.values[name, default: []].append(v)
            } else {
                if inline != nil { throw CLIError.usage("option '--\(name)' takes no value") }
                out.flags.insert(name)
            }
        }
        return out
    }
}

