import Foundation
import ProctorHarness

/// What `proctor optimize` was asked to do.
public struct OptimizeOptions: Sendable {
    /// The prompt version to start from.
    public var promptId: String
    /// The backend under test (nil: the suite's only backend).
    public var backendId: String?
    /// A backend (or grader) of the suite asked for new templates each generation.
    public var proposerId: String?
    /// Candidates the search may evaluate, the starting prompt included.
    public var budget = 24
    /// Share of the cases held out from the search.
    public var holdout = 0.3
    /// Decides the split, the operators' draws and the order candidates are tried in.
    public var seed: UInt64 = 1
    /// Samples per case (`--repeat`); a case passes when its pass rate reaches `minPassRate`.
    public var repeats = 1
    /// Requests in flight at once.
    public var concurrency = ProcessInfo.processInfo.activeProcessorCount
    /// Ctrl-C: stops the search between runs.
    public var interruption: Interruption?

    /// Options for optimizing prompt version `promptId`.
    public init(promptId: String) { self.promptId = promptId }
}

/// Why an optimization could not run (bad arguments, a suite it cannot work on, a backend that
/// answers nothing but errors). Failed cases are never errors: they are what it works on.
public struct OptimizeError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the suite, prompt or option.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
