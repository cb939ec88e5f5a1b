import Foundation
import ProctorCLI
import ProctorHarness
import ProctorJSON
import ProctorTestSupport
import XCTest

/// `proctor import openai-evals` on real openai/evals registry files: every eval of the shared
/// registry that Proctor can score imports and loads, and run on the stand-in model its verdicts
/// equal openai/evals' own (answers.json) on every sample; what cannot be scored is refused with
/// the reason, at its line.
final class OpenAIEvalsImportTests: XCTestCase {
    func cli(_ argv: [String], env: [String: String] = [:]) async -> (code: Int32, err: String) {
        let console = Console(capturingWith: env.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]) { a, _ in a })
        let code = await Proctor.main(argv, console: console)
        return (code, console.capturedErr)
    }

    func testRegistryEvalsImportAndScoreAsOpenAIEvalsDoes() async throws {
        let registry = try SharedData.path("openai-evals/registry")
        let answerScript = try SharedData.path("openai-evals/answer.py")
        let answers = try JSONParser.parse(String(contentsOfFile: registry + "/answers.json", encoding: .utf8))
        let dir = TempDir()
        let backends = dir.write("backends.json", #"[{"id": "stand-in", "type": "command", "argv": ["python3", "\#(answerScript)"], "env": {"ANSWERS": "\#(registry)/answers.json"}}]"#)
        let files = try FileManager.default.contentsOfDirectory(atPath: registry + "/evals").filter { $0.hasSuffix(".yaml") }.sorted()
        var imported = 0, compared = 0
        var refused: [String] = []
        for f in files {
            let name = String(f.dropLast(5))
            let out = dir.file("suites/\(name).jsonc")
            var r = await cli(["import", "openai-evals", registry + "/evals/" + f, "--backends", backends, "--out", out])
            if r.err.contains("choose one with --eval") {
                r = await cli(["import", "openai-evals", registry + "/evals/" + f, "--eval", name, "--backends", backends, "--out", out])
            }
            guard r.code == 0 else { refused.append("\(f): \(r.err)"); continue }
            imported += 1
            let run = await cli(["run", out, "--no-cache", "--json", dir.file("r/\(name).json"), "--junit", dir.file("r/j.xml"), "--markdown", dir.file("r/s.md")])
            if try JSONParser.parse(String(contentsOfFile: out, encoding: .utf8), options: .jsonc)["graders"] != nil { continue }  // model-graded: no grader offline
            XCTAssertTrue(run.code == 0 || run.code == 1, "\(f): \(run.err)")
            let results = try XCTUnwrap(try JSONParser.parse(String(contentsOfFile: dir.file("r/\(name).json"), encoding: .utf8))["results"]?.arrayValue)
            for res in results {
                let text = (res["messages"]?.arrayValue ?? []).compactMap { $0["content"]?.stringValue }.joined(separator: " ")
                guard let marker = text.range(of: #"\[[^\]\s]+#\d+\] What is item \d+\?"#, options: .regularExpression),
                      let expected = answers[String(text[marker])]?["passed"]?.boolValue else { return XCTFail("\(f): no recorded answer for \(text)") }
                XCTAssertEqual(res["status"] == "passed", expected, "\(f) \(res["case"] ?? "") \(res["validators"] ?? [])")
                compared += 1
            }
        }
        // Refused only with the reason stated: a model-graded prompt field no sample gives.
        for r in refused { XCTAssertTrue(r.contains("which neither the sample nor modelgraded_spec_args gives"), r) }
        XCTAssertGreaterThanOrEqual(Double(imported) / Double(files.count), 0.9, "\(refused)")
        XCTAssertGreaterThanOrEqual(compared, 60)
    }

    /// A small registry written here: aliases followed, chat and string inputs, few-shot examples,
    /// list ideals, ignore_case, JsonMatch, a model-graded spec with choice_scores, and the errors.
    func testMappingOnAWrittenRegistry() async throws {
        let dir = TempDir()
        dir.write("reg/data/t/s.jsonl", """
        {"input": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}], "ideal": ["Paris", "paris"]}
        {"input": "Name a colour {{not a variable}}", "ideal": "Red", "criteria": "names a colour"}

        """)
        dir.write("reg/data/t/few.jsonl", #"{"sample": [{"role": "system", "name": "example_user", "content": "2+2?"}, {"role": "system", "name": "example_assistant", "content": "4"}]}"# + "\n")
        dir.write("reg/data/t/j.jsonl", #"{"input": "Give JSON", "ideal": "{\"a\": 1, \"b\": null}"}"# + "\n")
        dir.write("reg/modelgraded/specs.yaml", """
        crit:
          prompt: "Task {input}; answer {completion}; criterion {criteria}; braces {{x}}."
          choice_strings: YN
          choice_scores: {"Y": 1.0, "N": 0.0}
        """)
        let evals = dir.write("reg/evals/t.yaml", """
        t:
          id: t.dev.v0
          description: written here
        t.dev.v0:
          class: evals.elsuite.basic.includes:Includes
          args: {samples_jsonl: t/s.jsonl, ignore_case: true, few_shot_jsonl: t/few.jsonl, num_few_shot: 1}
        tm:
          id: tm.v0
        tm.v0:
          class: evals.elsuite.basic.match:Match
          args: {samples_jsonl: t/s.jsonl}
        tj:
          id: tj.v0
        tj.v0:
          class: evals.elsuite.basic.json_match:JsonMatch
          args: {samples_jsonl: t/j.jsonl}
        tg:
          id: tg.v0
        tg.v0:
          class: evals.elsuite.modelgraded.classify:ModelBasedClassify
          args: {samples_jsonl: t/s.jsonl, modelgraded_spec: crit, eval_type: cot_classify}
        tx:
          id: tx.v0
        tx.v0:
          class: evals.elsuite.translate:Translate
          args: {samples_jsonl: t/s.jsonl}
        chain: chain.mid
        chain.mid:
          id: tm.v0
        """)
        let several = await cli(["import", "openai-evals", evals, "--out", dir.file("s.jsonc")])
        XCTAssertEqual(several.code, 2)
        XCTAssertTrue(several.err.contains("holds 7 evals") && several.err.contains("--eval"), several.err)
        // Aliases are followed however deep, a bare string too.
        let chain = await cli(["import", "openai-evals", evals, "--eval", "chain", "--out", dir.file("chain.jsonc")])
        XCTAssertEqual(chain.code, 0, chain.err)
        let t = await cli(["import", "openai-evals", evals, "--eval", "t", "--out", dir.file("t.jsonc")])
        XCTAssertEqual(t.code, 0, t.err)
        let ts = try JSONParser.parse(String(contentsOfFile: dir.file("t.jsonc"), encoding: .utf8), options: .jsonc)
        XCTAssertEqual(ts["description"], "written here")
        XCTAssertNil(ts["options"], "Includes leaves the temperature to the API, as openai/evals does")
        XCTAssertTrue(try String(contentsOfFile: dir.file("t.jsonc"), encoding: .utf8).hasPrefix("// Imported from OpenAI evals by `proctor import openai-evals`."))
        XCTAssertEqual(ts["prompts"]?[0]?["messages"], [["fromVariable": "input"]])
        // Few-shot examples go before the sample's last message.
        XCTAssertEqual(ts["cases"]?[0]?["vars"]?["input"]?.arrayValue?.map { $0["content"]?.stringValue }, ["Be brief.", "2+2?", "4", "Capital of France?"])
        // openai/evals' few-shot convention: system messages named example_user / example_assistant are those turns.
        XCTAssertEqual(ts["cases"]?[0]?["vars"]?["input"]?.arrayValue?.map { $0["role"]?.stringValue }, ["system", "user", "assistant", "user"])
        XCTAssertEqual(ts["cases"]?[0]?["validators"]?[0]?["type"], "any")
        // A literal {{ in a sample stays literal.
        XCTAssertTrue(try String(contentsOfFile: dir.file("t.jsonc"), encoding: .utf8).contains(#"Name a colour {{not a variable}}"#))
        let m = await cli(["import", "openai-evals", evals, "--eval", "tm", "--out", dir.file("m.jsonc")])
        XCTAssertEqual(m.code, 0, m.err)
        let ms = try JSONParser.parse(String(contentsOfFile: dir.file("m.jsonc"), encoding: .utf8), options: .jsonc)
        XCTAssertEqual(ms["cases"]?[0]?["validators"]?[0], ["type": "starts-with", "values": ["Paris", "paris"], "normalize": false])
        XCTAssertEqual(ms["options"], ["temperature": 0])
        let j = await cli(["import", "openai-evals", evals, "--eval", "tj", "--out", dir.file("j.jsonc")])
        XCTAssertEqual(j.code, 0, j.err)
        XCTAssertEqual(try JSONParser.parse(String(contentsOfFile: dir.file("j.jsonc"), encoding: .utf8), options: .jsonc)["cases"]?[0]?["validators"]?[0],
                       ["type": "json-match", "values": [["a": 1, "b": nil]]])
        let g = await cli(["import", "openai-evals", evals, "--eval", "tg", "--out", dir.file("g.jsonc")])
        XCTAssertEqual(g.code, 0, g.err)
        // The first sample gives no criteria: not imported, and said so.
        XCTAssertTrue(g.err.contains("uses {criteria}, which neither the sample nor modelgraded_spec_args gives"), g.err)
        let gv = try XCTUnwrap(try JSONParser.parse(String(contentsOfFile: dir.file("g.jsonc"), encoding: .utf8), options: .jsonc)["cases"]?[0]?["validators"]?[0])
        XCTAssertEqual(gv["type"], "classifier")
        XCTAssertEqual(gv["expected"], ["Y"])
        XCTAssertTrue(gv["graderPrompt"]?.stringValue?.hasPrefix("Task {{prompt}}; answer {{output}}; criterion names a colour; braces {x}.") == true, "\(gv)")
        let x = await cli(["import", "openai-evals", evals, "--eval", "tx", "--out", dir.file("x.jsonc")])
        XCTAssertEqual(x.code, 2)
        XCTAssertTrue(x.err.contains("t.yaml:25:3: class evals.elsuite.translate:Translate has no Proctor equivalent"), x.err)
    }

    /// The validators the import needs, checked on their own: Match's "starts with any", FuzzyMatch's
    /// normalisation and token F1, JsonMatch's null-as-missing.
    func testFuzzyMatchStartsWithValuesAndJSONMatch() async throws {
        let dir = TempDir()
        let suite = dir.write("s.json", """
        {"suite": "v", "backends": [{"id": "e", "type": "echo"}], "prompts": [{"id": "p", "template": "{{o}}"}],
         "cases": [{"id": "fz", "vars": {"o": "It's THE Eiffel tower!"}, "validators": [{"type": "fuzzy-match", "values": ["eiffel tower"]}]},
                   {"id": "fz-no", "vars": {"o": "Big Ben"}, "validators": [{"type": "fuzzy-match", "values": ["an eiffel tower"]}]},
                   {"id": "sw", "vars": {"o": "Paris, France"}, "validators": [{"type": "starts-with", "values": ["Lyon", "Paris"]}]},
                   {"id": "jm", "vars": {"o": "{\\"a\\": 1.0, \\"c\\": null}"}, "validators": [{"type": "json-match", "values": [{"a": 1}]}]},
                   {"id": "fz-cp", "vars": {"o": "cafe\\u0301"}, "validators": [{"type": "fuzzy-match", "values": ["cafe"]}]},
                   {"id": "fz-us", "vars": {"o": "x y"}, "validators": [{"type": "fuzzy-match", "values": ["x\\u001fy"]}]}]}
        """)
        let r = await cli(["run", suite, "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")])
        XCTAssertEqual(r.code, 1, r.err)
        let results = try XCTUnwrap(try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))["results"]?.arrayValue)
        // By code points, as Python compares: "cafe" is in "cafe\u0301"; U+001F splits words as Python's split() does.
        XCTAssertEqual(results.map { $0["status"]?.stringValue }, ["passed", "failed", "passed", "passed", "passed", "passed"])
        // "its eiffel tower" against "eiffel tower": precision 2/3, recall 1, F1 0.8.
        XCTAssertEqual(try XCTUnwrap(results[0]["score"]?.doubleValue), 0.8, accuracy: 1e-4)
    }

    /// A hosted eval configuration (testing_criteria, item_schema, a run's data_source) with its items:
    /// every criterion type maps and scores as OpenAI's graders define it; what cannot is reported.
    func testHostedEvalConfiguration() async throws {
        let dir = TempDir()
        let config = dir.write("hosted.json", #"""
        {
          "name": "Support replies",
          "data_source_config": {"type": "custom", "include_sample_schema": true,
            "item_schema": {"type": "object", "properties": {"question": {"type": "string"}, "expected": {"type": "string"}}, "required": ["question", "expected"]}},
          "testing_criteria": [
            {"type": "string_check", "name": "exact", "input": "{{sample.output_text}}", "reference": "{{item.expected}}", "operation": "eq"},
            {"type": "string_check", "name": "not-sorry", "input": "{{ sample.output_text }}", "reference": "sorry", "operation": "ne"},
            {"type": "string_check", "name": "mentions", "input": "{{sample.output_text}}", "reference": "{{item.keyword}}", "operation": "ilike"},
            {"type": "text_similarity", "name": "bleu", "input": "{{sample.output_text}}", "reference": "{{item.expected}}", "evaluation_metric": "bleu", "pass_threshold": 0.5},
            {"type": "text_similarity", "name": "fuzzy", "input": "{{sample.output_text}}", "reference": "{{item.expected}}", "evaluation_metric": "fuzzy_match", "pass_threshold": 0.8},
            {"type": "text_similarity", "name": "meteor", "input": "{{sample.output_text}}", "reference": "{{item.expected}}", "evaluation_metric": "meteor", "pass_threshold": 0.5},
            {"type": "python", "name": "short", "source": "def grade(sample, item):\n    return 1.0 if len(sample['output_text']) <= item['max_len'] else 0.25", "pass_threshold": 1},
            {"type": "multi", "name": "combined", "calculate_output": "(a + b) / 2", "pass_threshold": 0.6, "graders": {
              "a": {"type": "string_check", "input": "{{sample.output_text}}", "reference": "{{item.keyword}}", "operation": "ilike"},
              "b": {"type": "text_similarity", "input": "{{sample.output_text}}", "reference": "{{item.expected}}", "evaluation_metric": "rouge_l", "pass_threshold": 0}}},
            {"type": "label_model", "name": "tone", "model": "gpt-4o", "labels": ["polite", "rude"], "passing_labels": ["polite"],
             "input": [{"role": "developer", "content": "Classify the tone."}, {"role": "user", "content": "Question: {{item.question}}\nReply: {{sample.output_text}}"}]},
            {"type": "score_model", "name": "quality", "model": "gpt-4o", "range": [1, 10], "pass_threshold": 6,
             "input": [{"role": "user", "content": "Rate from 1 to 10: {{sample.output_text}}"}]}
          ],
          "data_source": {"type": "completions", "model": "gpt-4.1-mini", "sampling_params": {"temperature": 0, "max_completions_tokens": 50},
            "input_messages": {"type": "template", "template": [{"role": "developer", "content": "Answer briefly."},
                                                              {"role": "user", "content": {"type": "input_text", "text": "{{item.question}}"}}]}}
        }
        """#)
        let items = dir.write("items.jsonl", """
        {"item": {"question": "What is the capital of France?", "expected": "Paris is the capital of France.", "keyword": "PARIS", "max_len": 40}}
        {"question": "Say hello", "expected": "Hello there!", "keyword": "hello", "max_len": 5}
        {"question": 5, "expected": "x", "keyword": "x", "max_len": 1}
        """)
        let model = dir.write("model.py", "import sys\nt = sys.stdin.read()\nprint('Paris is the capital of France.' if 'France' in t else 'Hello there, friend!', end='')\n")
        let backends = dir.write("backends.json", #"[{"id": "m", "type": "command", "argv": ["python3", "\#(model)"]}]"#)
        let out = dir.file("suites/support.jsonc")
        // Without the items: said, nothing written.
        var r = await cli(["import", "openai-evals", config, "--out", out])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("give them with --data ITEMS.jsonl"), r.err)
        r = await cli(["import", "openai-evals", config, "--data", items, "--backends", backends, "--out", out, "--strict"])
        XCTAssertEqual(r.code, 2, r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        r = await cli(["import", "openai-evals", config, "--data", items, "--backends", backends, "--out", out])
        XCTAssertEqual(r.code, 0, r.err)
        // METEOR imports where WordNet is installed (CI installs it); elsewhere it is reported, at its criterion.
        let wordnet = TextMetrics.meteorAvailable(home: nil)   // the command here runs without HOME
        XCTAssertEqual(r.err.contains("not imported: \(config):11:") && r.err.contains("WordNet is not installed here (apt install wordnet-base"), !wordnet, r.err)
        XCTAssertTrue(r.err.contains("not imported: \(items):3:1: the item does not match data_source_config.item_schema"), r.err)
        XCTAssertTrue(r.err.contains("/question"), r.err)
        XCTAssertTrue(r.err.contains("grades with grader 'grader' (openai gpt-4o)"), r.err)
        var suite = try JSONParser.parse(String(contentsOfFile: out, encoding: .utf8), options: .jsonc)
        XCTAssertEqual(suite["options"], ["temperature": 0, "maxTokens": 50])
        XCTAssertEqual(suite["cases"]?.arrayValue?.count, 2)
        XCTAssertEqual(suite["cases"]?[0]?["vars"]?["input"], [["role": "system", "content": "Answer briefly."], ["role": "user", "content": "What is the capital of France?"]])
        let checks = try XCTUnwrap(suite["cases"]?[0]?["validators"]?.arrayValue)
        let meteor = wordnet ? ["meteor"] : []
        XCTAssertEqual(checks.map { $0["metric"]?.stringValue }, ["exact", "not-sorry", "mentions", "bleu", "fuzzy"] + meteor + ["short", "combined", "tone", "quality"])
        XCTAssertEqual(checks.map { $0["type"]?.stringValue }, ["equals", "equals", "icontains", "text-similarity", "text-similarity"] + meteor.map { _ in "text-similarity" } + ["command", "formula", "classifier", "rubric"])
        // The graders, offline: one answer both the classifier and the score grader read.
        let grader = dir.write("grader.sh", "#!/bin/sh\ncat >/dev/null\nprintf '{\"reason\": \"fine\", \"label\": \"polite\", \"score\": 7}'\n")
        chmod(grader, 0o755)
        guard case .object(var o) = suite else { return XCTFail() }
        o["graders"] = [["id": "grader", "type": "command", "argv": [.string(grader)]]]
        suite = .object(o)
        try Data(JSONSerializer.string(suite).utf8).write(to: URL(fileURLWithPath: out))
        let run = await cli(["run", out, "--no-cache", "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")])
        XCTAssertEqual(run.code, 1, run.err)
        let results = try XCTUnwrap(try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))["results"]?.arrayValue)
        var verdicts = results.map { ($0["validators"]?.arrayValue ?? []).map { $0["pass"]?.boolValue ?? false } }
        if wordnet {
            // METEOR as NLTK gives it: 0.99769 and 0.23810 against pass_threshold 0.5.
            XCTAssertEqual(try XCTUnwrap(results[0]["validators"]?[5]?["score"]?.doubleValue), 0.9977, accuracy: 1e-4)
            XCTAssertEqual(try XCTUnwrap(results[1]["validators"]?[5]?["score"]?.doubleValue), 0.2381, accuracy: 1e-4)
            XCTAssertEqual(verdicts.map { $0[5] }, [true, false])
            verdicts = verdicts.map { var v = $0; v.remove(at: 5); return v }
        }
        // "Paris is the capital of France." passes all; "Hello there, friend!" is not exact, too long
        // (0.25 < 1), bleu below threshold (fuzzy, a partial match, 0.9 passes); (1 + rougeL 0.8) / 2 = 0.9 passes.
        XCTAssertEqual(verdicts, [Array(repeating: true, count: 9), [false, true, true, false, true, false, true, true, true]], "\(results)")
        let k = wordnet ? 1 : 0
        let multi = try XCTUnwrap(results[1]["validators"]?[6 + k]?["message"]?.stringValue)
        XCTAssertTrue(multi.hasPrefix("(a + b) / 2 = 0.9 ≥ threshold 0.6 (a 1, b 0.8"), multi)
        XCTAssertTrue(try XCTUnwrap(results[1]["validators"]?[5 + k]?["message"]?.stringValue).hasPrefix("score 0.25 < threshold 1"))
        XCTAssertTrue(try XCTUnwrap(results[0]["validators"]?[8 + k]?["message"]?.stringValue).contains("score 7.0 ≥ threshold 6.0"))
        // An eval as the API returns it (its row schema wraps the item's), prompts from an item field
        // (item_reference), an item missing a field a template reads, a criterion key Proctor cannot honour.
        let ref = dir.write("ref.json", #"""
        {"object": "eval", "id": "eval_1", "name": "ref",
         "data_source_config": {"type": "custom", "schema": {"type": "object", "properties": {"item": {"type": "object", "required": ["messages"]}, "sample": {}}, "required": ["item"]}},
         "testing_criteria": [{"type": "string_check", "name": "s", "id": "s-1", "input": "{{sample.output_text}}", "reference": "{{item.answer}}", "operation": "like"},
                              {"type": "string_check", "name": "t", "input": "{{sample.output_text}}", "reference": "x", "operation": "eq", "case_sensitive": false}],
         "data_source": {"type": "completions", "input_messages": {"type": "item_reference", "item_reference": "item.messages"}}}
        """#)
        let refItems = dir.write("ref.jsonl", """
        {"messages": [{"role": "user", "content": "Capital of France?"}], "answer": "Paris"}
        {"messages": [{"role": "user", "content": "Hi"}]}
        {"answer": "no messages"}
        """)
        r = await cli(["import", "openai-evals", ref, "--data", refItems, "--backends", backends, "--out", dir.file("suites/ref.jsonc")])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.err.contains("not imported: \(refItems):2:1: item 2: reference: the item has no 'answer' for {{item.answer}}"), r.err)
        XCTAssertTrue(r.err.contains("not imported: \(refItems):3:1: the item does not match data_source_config.schema's properties/item"), r.err)
        XCTAssertTrue(r.err.contains("not imported: \(ref):4:"), r.err)
        XCTAssertTrue(r.err.contains("string_check has \"case_sensitive\", which Proctor does not know how to honour"), r.err)
        let refSuite = try JSONParser.parse(String(contentsOfFile: dir.file("suites/ref.jsonc"), encoding: .utf8), options: .jsonc)
        XCTAssertEqual(refSuite["cases"]?[0]?["validators"]?[0], ["type": "contains", "value": "Paris", "normalize": false, "metric": "s"])
    }

    /// What a new user found: a python grader that prints or raises, list indices out of range,
    /// numbers as Python prints them, repeated criterion names, ids that stay put.
    func testHostedEvalEdges() async throws {
        let dir = TempDir()
        let config = dir.write("edge.json", #"""
        {"data_source_config": {"type": "custom", "item_schema": {"type": "object", "required": ["n"]}},
         "testing_criteria": [
          {"type": "python", "name": "p", "source": "def grade(sample, item):\n    print('0.0 noise')\n    return item['n'] > 50 or sample['output_text'] == '10.5'", "pass_threshold": 0.5},
          {"type": "python", "name": "boom", "source": "def grade(sample, item):\n    raise RuntimeError('no')"},
          {"type": "string_check", "name": "s", "input": "{{sample.output_text}}", "reference": "{{item.n}}", "operation": "eq"},
          {"type": "string_check", "name": "s", "input": "{{sample.output_text}}", "reference": "{{item.l.0}}", "operation": "like"},
          {"type": "multi", "name": "m", "calculate_output": "a + q", "graders": {"a": {"type": "string_check", "input": "{{sample.output_text}}", "reference": "x", "operation": "eq"}}},
          {"type": "score_model", "name": "sm", "model": "m", "range": [0, 10], "pass_threshold": 11, "input": [{"role": "user", "content": "{{sample.output_text}}"}]}],
         "data_source": {"type": "completions", "input_messages": {"type": "template", "template": [{"role": "user", "content": "n={{item.n}}"}]}}}
        """#)
        let items = dir.write("edge.jsonl", """
        {"l": ["x"]}
        {"n": 10.50, "l": ["10"]}
        {"n": 1e2, "l": []}
        {"n": 1e2, "l": ["1"]}
        """)
        let backends = dir.write("b.json", #"[{"id": "m", "type": "command", "argv": ["sh", "-c", "printf 10.5"]}]"#)
        let out = dir.file("suites/edge.jsonc")
        let r = await cli(["import", "openai-evals", config, "--data", items, "--backends", backends, "--out", out])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.err.contains("not imported: \(items):3:1: item 3: reference: the item has no 'l.0' for {{item.l.0}}"), r.err)
        XCTAssertTrue(r.err.contains("a second criterion is named 's': its checks are reported as 's (2)'"), r.err)
        XCTAssertTrue(r.err.contains("not imported: \(config):7:"), r.err)   // multi: 'q' names no grader, at calculate_output
        XCTAssertTrue(r.err.contains("calculate_output: 'q' names no check (there are a)"), r.err)
        XCTAssertTrue(r.err.contains("pass_threshold 11 is outside the range [0, 10]"), r.err)
        XCTAssertTrue(r.err.contains("written") || r.err.contains("wrote"), r.err)
        // A bad --backends entry is reported at its line in that file.
        let bad = dir.write("bad.json", "[{\"id\": \"m\", \"type\": \"command\", \"argv\": [\"true\"]},\n {\"id\": \"x\", \"type\": \"bogus\"}]")
        let refused = await cli(["import", "openai-evals", config, "--data", items, "--backends", bad, "--out", dir.file("suites/bad.jsonc")])
        XCTAssertEqual(refused.code, 2)
        XCTAssertTrue(refused.err.contains("\(bad):2:") && refused.err.contains("unknown backend type 'bogus'"), refused.err)
        let suite = try JSONParser.parse(String(contentsOfFile: out, encoding: .utf8), options: .jsonc)
        // Ids count every item given, kept or not; numbers are filled in as Python prints them.
        XCTAssertEqual(suite["cases"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" }, ["item-2", "item-4"])
        XCTAssertEqual(suite["cases"]?[1]?["vars"]?["input"]?[0]?["content"], "n=100.0")
        XCTAssertEqual(suite["cases"]?[0]?["validators"]?.arrayValue?.map { $0["metric"]?.stringValue ?? "" }, ["p", "boom", "s", "s (2)"])
        let run = await cli(["run", out, "--no-cache", "--json", dir.file("r.json"), "--junit", dir.file("j.xml"), "--markdown", dir.file("s.md")])
        XCTAssertEqual(run.code, 1, run.err)
        let results = try XCTUnwrap(try JSONParser.parse(String(contentsOfFile: dir.file("r.json"), encoding: .utf8))["results"]?.arrayValue)
        let first = try XCTUnwrap(results[0]["validators"]?.arrayValue)
        // What the grader printed does not become its score; a grader that raises gave no score.
        XCTAssertEqual(first[0]["message"], "score 1 ≥ threshold 0.5")
        XCTAssertEqual(first[0]["pass"], true)
        XCTAssertTrue(try XCTUnwrap(first[1]["message"]?.stringValue).hasPrefix("could not evaluate: command 'python3' exited with status 1, so it gave no score"), "\(first[1])")
        XCTAssertTrue(try XCTUnwrap(first[1]["message"]?.stringValue).contains("RuntimeError: no"), "\(first[1])")
        XCTAssertEqual(first.map { $0["pass"]?.boolValue }, [true, false, true, true])
        XCTAssertEqual(results[1]["validators"]?.arrayValue?.map { $0["pass"]?.boolValue }, [true, false, false, true])
    }

    /// Exported shapes a second new user tried: a saved list of evals, a row schema whose item part
    /// refers to its top, items with pre-generated samples, inline items beside --data, a logs data
    /// source, a tool message's call id, a criterion whose sub-grader cannot be imported.
    func testHostedEvalExportedShapes() async throws {
        let dir = TempDir()
        let backends = dir.write("b.json", #"[{"id": "m", "type": "command", "argv": ["sh", "-c", "printf Rome"]}]"#)
        let list = dir.write("list.json", #"""
        {"object": "list", "data": [
         {"object": "eval", "id": "eval_a", "name": "first", "data_source_config": {"type": "logs"},
          "testing_criteria": [{"type": "string_check", "name": "s", "input": "{{sample.output_text}}", "reference": "{{item.a}}", "operation": "eq"}],
          "data_source": {"type": "completions", "input_messages": {"type": "template", "template": [{"role": "user", "content": "{{item.a}}?"}]}}},
         {"object": "eval", "id": "eval_b", "name": "second",
          "data_source_config": {"type": "custom", "schema": {"type": "object", "$defs": {"A": {"type": "string", "minLength": 2}},
            "properties": {"item": {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}, "required": ["a"]}, "sample": {}}, "required": ["item"]}},
          "testing_criteria": [{"type": "string_check", "name": "s", "input": "{{sample.output_text}}", "reference": "{{item.a}}", "operation": "eq"},
            {"type": "multi", "name": "m1", "calculate_output": "a", "graders": {"a": {"type": "string_check", "input": "{{sample.output_text}}", "reference": "x", "operation": "eq"},
              "bad": {"type": "label_model", "model": "m", "labels": ["g"], "passing_labels": ["h"], "input": [{"role": "user", "content": "{{sample.output_text}}"}]}}}],
          "data_source": {"type": "completions", "source": {"type": "file_content", "content": [{"item": {"a": "inline"}}]},
            "input_messages": {"type": "item_reference", "item_reference": "item.messages"}}}]}
        """#)
        let items = dir.write("items.jsonl", """
        {"item": {"a": "Rome", "messages": [{"role": "user", "content": "Capital of Italy?"}]}, "sample": {"output_text": "Rome"}}
        {"item": {"a": "R", "messages": [{"role": "user", "content": "?"}]}}
        {"item": {"a": "Oslo", "messages": [{"role": "tool", "content": "t", "tool_call_id": "c1"}]}}
        """)
        var r = await cli(["import", "openai-evals", list, "--data", items, "--backends", backends, "--out", dir.file("suites/x.jsonc")])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("a list of 2 evals (eval_a, eval_b); choose one with --eval ID"), r.err)
        r = await cli(["import", "openai-evals", list, "--eval", "second", "--data", items, "--backends", backends, "--out", dir.file("suites/x.jsonc")])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.err.contains("not imported: \(items):2:1: the item does not match data_source_config.schema's properties/item"), r.err)
        XCTAssertTrue(r.err.contains("/a: \"R\" is shorter than 2 characters") || r.err.contains("shorter than 2"), r.err)
        XCTAssertTrue(r.err.contains("note: \(items):1:1: items' \"sample\" (pre-generated outputs) is not graded as it is"), r.err)
        XCTAssertTrue(r.err.contains("the configuration's inline items are not used: --data"), r.err)
        XCTAssertTrue(r.err.contains("not imported: \(items):3:1: item 3: a tool message's \"tool_call_id\" has no Proctor equivalent"), r.err)
        XCTAssertTrue(r.err.contains("criterion 'm1' is not imported: label_model needs labels and passing_labels"), r.err)
        let suite = try JSONParser.parse(String(contentsOfFile: dir.file("suites/x.jsonc"), encoding: .utf8), options: .jsonc)
        XCTAssertEqual(suite["cases"]?.arrayValue?.count, 1)
        // The first eval of the list: a logs data source is said not to be read; no prompt: nothing to import.
        r = await cli(["import", "openai-evals", list, "--eval", "eval_a", "--data", items, "--backends", backends, "--out", dir.file("suites/y.jsonc")])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.err.contains("a logs data source is not read"), r.err)
        // Samples without a prompt: said why nothing imports.
        let bare = dir.write("bare.json", #"{"testing_criteria": [{"type": "string_check", "name": "s", "input": "{{sample.output_text}}", "reference": "{{item.a}}", "operation": "eq"}]}"#)
        r = await cli(["import", "openai-evals", bare, "--data", items, "--backends", backends, "--out", dir.file("suites/w.jsonc")])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("nothing to import: every item was left out (3 of 3") && r.err.contains("the items' samples are not graded as they are"), r.err)
        let none = dir.write("none.json", #"{"testing_criteria": [{"type": "string_check", "name": "s", "input": "{{item.a}}", "reference": "x", "operation": "like"}], "data_source": {"type": "completions", "input_messages": {"type": "template", "template": [{"role": "user", "content": "q"}]}}}"#)
        r = await cli(["import", "openai-evals", none, "--data", items, "--backends", backends, "--out", dir.file("suites/z.jsonc")])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("nothing to import: no criterion could be imported"), r.err)
    }
}
