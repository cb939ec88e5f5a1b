/// A regular expression compiled for yes/no questions (a match anywhere, a whole match), with
/// automata beside the backtracker when the pattern fits them: one pass over the text, where
/// the backtracker copies the text into scalars and tries every start.
///
/// The automata are built only for the flags they model (`u` alone), for patterns without back
/// references or look-around, and within a small construction budget (1,024 states, 500,000
/// steps by default), so a hostile pattern costs milliseconds before it falls back. Shared by
/// JSON Schema's `pattern` keywords and the `regex` validator.
public struct SearchPattern: Sendable {
    /// The backtracking program: the answer when an automaton could not be built.
    public let regex: ECMARegex
    /// Accepts the texts in which the pattern finds a match, or nil.
    public let searchDFA: RegexDFA?
    /// Accepts the texts the pattern matches whole, or nil (built only when asked for).
    public let wholeDFA: RegexDFA?

    /// The pattern's source text, for messages.
    public var source: String { regex.pattern }

    /// Compiles the automata for `regex` (the whole-match one only when `whole` is set).
    public init(_ regex: ECMARegex, whole: Bool = false, maxStates: Int = 1024, maxWork: Int = 500_000) {
        self.regex = regex
        let fits = regex.flags == [.unicode]
        searchDFA = fits ? try? RegexDFA(pattern: regex.pattern, maxStates: maxStates, maxWork: maxWork) : nil
        // Anchored at both ends and grouped, a search is a whole match (no multiline flag here,
        // so `^` and `$` mean the ends of the text).
        wholeDFA = fits && whole ? try? RegexDFA(pattern: "^(?:" + regex.pattern + ")$", maxStates: maxStates, maxWork: maxWork) : nil
    }

    /// ECMA-262 `test`: a match anywhere in `text`.
    public func test(_ text: String) throws(RegexStepLimitExceeded) -> Bool {
        if let searchDFA { return searchDFA.matches(text) }
        return try regex.test(text)
    }

    /// Whether the pattern matches all of `text`.
    public func wholeMatch(_ text: String) throws(RegexStepLimitExceeded) -> Bool {
        if let wholeDFA { return wholeDFA.matches(text) }
        return try regex.wholeMatch(text)
    }
}
