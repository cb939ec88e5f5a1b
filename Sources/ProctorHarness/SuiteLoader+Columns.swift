import Foundation
import ProctorJSON
import ProctorSupport

/// promptfoo's special columns in case files: `__expected` and `__expected1` … `__expectedN` (one
/// check each, in promptfoo's one-cell language), `__threshold`, `__description` (the case's id)
/// and `__metadata:NAME`. They are taken out of the variables; anything Proctor cannot map is a
/// load error at its row and column, never a check quietly turned into another.
extension SuiteLoader {
    /// What a case's special columns set.
    struct SpecialColumns {
        var validators: [ConfiguredValidator] = []
        var threshold: Double?
        var id: String?
        var metadata = JSONObject()
    }

    /// Reads `columns` (name, value, where); `fail(where, message)` makes the located error.
    func specialColumns<Place>(_ columns: [(name: String, value: JSONValue, at: Place)], _ path: String, _ dir: String,
                               fail: (Place, String) -> SuiteError) throws(SuiteError) -> SpecialColumns {
        var out = SpecialColumns()
        let src = SuiteSource(file: path, locator: nil, env: environment)
        for (name, value, at) in columns {
            // An empty cell sets nothing (a CSV row leaves the column blank).
            if value == .string("") { continue }
            if name == "__expected" || (name.hasPrefix("__expected") && name.dropFirst(10).allSatisfy(\.isNumber)) {
                guard let cell = value.stringValue else { throw fail(at, "\(name) must be text in promptfoo's assertion language, found \(value)") }
                if cell.isEmpty { continue }
                switch PromptfooCell.validator(cell, suiteDirectory: dir, environment: environment) {
                case .failure(let e): throw fail(at, "\(name) \(e.message)")
                case .success(let json):
                    do { out.validators.append(try validators.build(json, pointer: "", suiteDirectory: dir, source: src)) } catch {
                        throw fail(at, "\(name) '\(cell)': \(error.message)")
                    }
                }
            } else if name == "__threshold" {
                let t = value.doubleValue ?? value.stringValue.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard let t, t >= 0, t <= 1 else { throw fail(at, "__threshold must be a number from 0 to 1, found \(value)") }
                out.threshold = t
            } else if name == "__description" {
                guard let d = value.stringValue ?? value.numberValue?.text, !d.isEmpty else { throw fail(at, "__description must be non-empty text (it names the case)") }
                out.id = d
            } else if name.hasPrefix("__metadata:"), name.count > "__metadata:".count {
                out.metadata[String(name.dropFirst("__metadata:".count))] = value
            } else {
                throw fail(at, "column '\(name)' is not one Proctor reads (__expected, __expectedN, __threshold, __description, __metadata:NAME); "
                           + "a variable's name cannot start with '__'")
            }
        }
        return out
    }

    /// A variable whose value is `file://PATH` holds that file (relative to `dir`, the folder of the
    /// file the variable is written in): `.json` and `.yaml`/`.yml` parsed, anything else as text.
    /// The file is an input of the run; a missing or unparsable one is a load error.
    func fileVariable(_ value: String, _ dir: String, inputs: InputLog, fail: (String) -> SuiteError) throws(SuiteError) -> JSONValue {
        let rel = String(value.dropFirst("file://".count))
        let full = rel.hasPrefix("/") ? rel : (dir as NSString).appendingPathComponent(rel)
        guard let data = TextInput.read(full) else {
            throw fail("variable file '\(rel)' not found (looked for \(URL(fileURLWithPath: full).standardizedFileURL.path))")
        }
        inputs.add(full)
        let lower = rel.lowercased()
        if lower.hasSuffix(".json") || lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
            do { return try Self.parseDocument(data, file: full).value } catch { throw fail("variable file '\(rel)': \(error)") }
        }
        return .string(String(decoding: data, as: UTF8.self))
    }
}
