import ProctorJSON
import ProctorReports

/// The optimization report as JSON: every candidate with its edits, search score, calls spent and
/// template diff against the start, and the held-out comparison.
public enum OptimizeJSONWriter {
    static func round(_ x: Double, _ places: Double = 10000) -> JSONValue { .number(JSONNumber((x * places).rounded() / places)) }

    /// The report as a JSON value.
    public static func value(_ r: OptimizeReport) -> JSONValue {
        let h = r.heldOut
        func side(_ passes: Int, _ w: (low: Double, high: Double)) -> JSONValue {
            ["passes": .number(JSONNumber(passes)), "cases": .number(JSONNumber(h.cases.count)),
             "passRate": round(h.cases.isEmpty ? 0 : Double(passes) / Double(h.cases.count)), "wilsonLow": round(w.low), "wilsonHigh": round(w.high)]
        }
        let candidates: [JSONValue] = r.entries.map { e in
            let c = e.candidate
            var o = JSONObject()
            o["id"] = .string(c.id)
            o["parent"] = c.parent.map { .string($0) } ?? .null
            o["generation"] = .number(JSONNumber(e.generation))
            o["edits"] = .array(c.lineage.map { ["operator": .string($0.operatorName), "summary": .string($0.summary)] })
            o["searchPasses"] = .number(JSONNumber(e.passes))
            o["searchCasesRun"] = .number(JSONNumber(e.casesRun))
            o["calls"] = .number(JSONNumber(e.calls))
            o["promptTokens"] = round(e.promptTokens, 10)
            o["promptTokensEstimated"] = .bool(e.tokensEstimated)
            o["fate"] = .string(e.fate)
            o["messages"] = .array(c.messages.map { ["role": .string($0.role), "content": .string($0.text)] })
            o["diff"] = .array(TextDiff.unified(r.start.candidate.text, c.text, limit: 200).map { .string($0) })
            return .object(o)
        }
        var o = JSONObject()
        o["formatVersion"] = 1
        o["suite"] = .string(r.suite)
        o["suiteFile"] = .string(r.suiteFile)
        o["prompt"] = .string(r.promptId)
        o["backend"] = .string(r.backendId)
        o["proposer"] = r.proposerId.map { .string($0) } ?? .null
        o["seed"] = .number(JSONNumber(Double(r.seed)))
        o["budget"] = .number(JSONNumber(r.budget))
        o["holdout"] = round(r.holdout)
        o["repeats"] = .number(JSONNumber(r.repeats))
        o["stratifiedBy"] = r.stratifiedBy.map { .string($0) } ?? .null
        o["searchCases"] = .array(r.searchCases.map { .string($0) })
        o["heldOutCases"] = .array(h.cases.map { .string($0) })
        o["winner"] = .string(r.winnerId)
        o["verdict"] = .string(r.verdict)
        o["heldOut"] = ["start": side(h.startPasses, h.startWilson), "winner": side(h.winnerPasses, h.winnerWilson),
                        "fixed": .array(h.fixed.map { .string($0) }), "regressed": .array(h.regressed.map { .string($0) }),
                        "mcnemarP": round(h.mcnemarP, 1e6), "significant": .bool(h.significant)]
        o["calls"] = ["search": .number(JSONNumber(r.entries.reduce(0) { $0 + $1.calls })), "demonstrations": .number(JSONNumber(r.demonstrationCalls)),
                      "proposer": .number(JSONNumber(r.proposerCalls)), "heldOut": .number(JSONNumber(r.heldOutCalls)),
                      "total": .number(JSONNumber(r.totalCalls))]
        o["searchEnded"] = .string(r.searchEnded)
        o["demonstrations"] = .number(JSONNumber(r.demonstrations))
        o["notes"] = .array(r.notes.map { .string($0) })
        o["written"] = r.written.map { .string($0) } ?? .null
        o["notWritten"] = r.notWritten.map { .string($0) } ?? .null
        o["candidates"] = .array(candidates)
        return .object(o)
    }

    /// The report as pretty-printed JSON text.
    public static func render(_ r: OptimizeReport) -> String { JSONSerializer.string(value(r), options: .init(pretty: true)) + "\n" }
}

/// The optimizer's json report, through the report contract (`json`).
public struct OptimizeJSONReport: ReportWriter {
    /// `json`, the format name the CLI asks for this report by.
    public var format: String { "json" }
    /// The report's name in messages.
    public var title: String { "optimizer JSON report" }
    /// The writer.
    public init() {}
    /// Writes report `r` as pretty-printed JSON into `sink`.
    public func write(_ r: OptimizeReport, into sink: inout ReportSink) { sink.bytes += Array(OptimizeJSONWriter.render(r).utf8) }
}
