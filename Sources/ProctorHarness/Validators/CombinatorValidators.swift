/// Boolean combinations: `all` (every child passes) and `any` (at least one passes).
enum CombinatorValidators {
    static let factories: [String: ValidatorFactory] = [
        "all": { c throws(SuiteError) in try c.allowKeys(["validators"]); return Combine(children: try c.children("validators"), all: true) },
        "any": { c throws(SuiteError) in try c.allowKeys(["validators"]); return Combine(children: try c.children("validators"), all: false) },
    ]

    struct Combine: Validator {
        let children: [ConfiguredValidator]
        let all: Bool
        func check(_ s: Subject, _ ctx: CheckContext) async -> CheckResult {
            var results: [CheckResult] = []
            for c in children { results.append(await c.run(ctx)) }
            let passed = results.filter(\.pass).count
            // A child that could not be evaluated makes the combination unevaluable too, unless
            // `any` already has a pass: negating `all`/`any` must not turn it into a pass.
            if let stuck = zip(children, results).first(where: { !$0.1.evaluated }), all || passed == 0 {
                var r = CheckResult.unevaluable("\(stuck.0.type): \(stuck.1.message)")
                r.blockedByJSON = stuck.1.blockedByJSON
                return r
            }
            if all {
                let failed = zip(children, results).filter { !$0.1.pass }.map { "\($0.0.type): \($0.1.message)" }
                return CheckResult(pass: failed.isEmpty, score: results.map(\.score).reduce(0, +) / Double(results.count),
                                   message: failed.isEmpty ? "all \(results.count) passed" : "failed: " + failed.joined(separator: "; "))
            }
            return CheckResult(pass: passed > 0, score: results.map(\.score).max() ?? 0,
                               message: passed > 0 ? "\(passed) of \(results.count) passed"
                                   : "none passed: " + zip(children, results).map { "\($0.0.type): \($0.1.message)" }.joined(separator: "; "))
        }
    }
}
