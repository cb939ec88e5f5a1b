import ProctorHarness
import ProctorSupport

/// The seeded split of a suite's cases into a search split (all the search may see) and a
/// held-out split (run only on the winner and the starting prompt), stratified so both get the
/// same share of every kind of case.
public struct CaseSplit: Sendable {
    /// The cases the search evaluates, interleaved by stratum so that every prefix (a successive-
    /// halving rung) is as balanced as the whole.
    public let search: [TestCase]
    /// The cases the search never sees.
    public let heldOut: [TestCase]
    /// The variable the split is stratified by, when one qualified.
    public let stratifiedBy: String?

    /// Splits `cases`, holding out `fraction` of them (rounded, at least one each side when there
    /// are two or more cases).
    public init(_ cases: [TestCase], fraction: Double, seed: UInt64) {
        var rng = SplitMix(seed: seed ^ 0x5EED_5EED)
        let by = Self.strataVariable(cases)
        stratifiedBy = by
        var strata: [(key: String, cases: [TestCase])] = []
        for c in cases {
            let k = by.flatMap { c.vars[$0]?.stringValue } ?? ""
            if let i = strata.firstIndex(where: { $0.key == k }) { strata[i].cases.append(c) } else { strata.append((k, [c])) }
        }
        strata = strata.map { ($0.key, rng.shuffled($0.cases)) }
        // Largest remainder: floor of each stratum's share, then the biggest fractions get one more.
        let n = cases.count
        var want = Int((Double(n) * fraction).rounded())
        if n >= 2 { want = min(n - 1, max(1, want)) } else { want = 0 }
        var held = strata.map { Int(Double($0.cases.count) * fraction) }
        let order = rng.shuffled(Array(strata.indices)).sorted {
            let fa = Double(strata[$0].cases.count) * fraction - Double(held[$0]), fb = Double(strata[$1].cases.count) * fraction - Double(held[$1])
            return fa > fb
        }
        var k = 0
        while held.reduce(0, +) < want && k < order.count * 2 {
            let i = order[k % order.count]
            if held[i] < strata[i].cases.count { held[i] += 1 }
            k += 1
        }
        while held.reduce(0, +) > want, let i = held.indices.max(by: { held[$0] < held[$1] }) { held[i] -= 1 }
        var heldOut: [TestCase] = []
        var searchStrata: [[TestCase]] = []
        for (i, s) in strata.enumerated() {
            heldOut += s.cases.prefix(held[i])
            searchStrata.append(Array(s.cases.dropFirst(held[i])))
        }
        var search: [TestCase] = []
        var round = 0
        while search.count < n - heldOut.count {
            for s in searchStrata where round < s.count { search.append(s[round]) }
            round += 1
        }
        self.search = search
        let position = Dictionary(uniqueKeysWithValues: cases.enumerated().map { ($0.element.id, $0.offset) })
        self.heldOut = heldOut.sorted { position[$0.id]! < position[$1.id]! }
    }

    /// A string variable every case has, taking between 2 and n/2 values (so strata hold two or
    /// more cases on average); the one with the fewest values wins, ties by name.
    static func strataVariable(_ cases: [TestCase]) -> String? {
        guard let first = cases.first else { return nil }
        var best: (name: String, values: Int)?
        for name in first.vars.keys.sorted() {
            let values = cases.compactMap { $0.vars[name]?.stringValue }
            guard values.count == cases.count else { continue }
            let distinct = Set(values).count
            guard distinct >= 2, distinct * 2 <= cases.count else { continue }
            if best == nil || distinct < best!.values { best = (name, distinct) }
        }
        return best?.name
    }
}
