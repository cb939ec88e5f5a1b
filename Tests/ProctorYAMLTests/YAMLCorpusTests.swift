import ProctorJSON
import ProctorTestSupport
import ProctorYAML
import XCTest

/// The YAML reader against a corpus modelled on the yaml-test-suite's configuration-file cases
/// (expected values checked once against PyYAML, with YAML 1.2 core-schema differences applied:
/// `1e3` is a float, `0o17` an octal int, dates stay strings).
final class YAMLCorpusTests: XCTestCase {
    static let corpus: [(name: String, yaml: String, json: String)] = [
        ("block-map", "a: 1\nb: two\nc:\n  d: true\n  e: null\n", "{\"a\": 1, \"b\": \"two\", \"c\": {\"d\": true, \"e\": null}}"),
        ("block-seq", "- 1\n- two\n- - 3\n  - 4\n- k: v\n  k2: v2\n", "[1, \"two\", [3, 4], {\"k\": \"v\", \"k2\": \"v2\"}]"),
        ("seq-under-key", "items:\n- a\n- b\nnext: 1\n", "{\"items\": [\"a\", \"b\"], \"next\": 1}"),
        ("flow", "x: [1, 2, {a: b, c: [d]}]\ny: {k: v, 'q': \"r\"}\n", "{\"x\": [1, 2, {\"a\": \"b\", \"c\": [\"d\"]}], \"y\": {\"k\": \"v\", \"q\": \"r\"}}"),
        ("flow-multiline", "x: [\n  1,\n  2, # comment\n  3\n]\n", "{\"x\": [1, 2, 3]}"),
        ("quoted", "a: 'it''s'\nb: \"tab\\there \\u00e9 \\\"q\\\"\"\nc: \"line\\\n  joined\"\n", "{\"a\": \"it's\", \"b\": \"tab\\there é \\\"q\\\"\", \"c\": \"linejoined\"}"),
        ("quoted-fold", "a: \"one\n  two\n\n  three\"\n", "{\"a\": \"one two\\nthree\"}"),
        ("plain-multiline", "a: this is\n  a long\n  value\nb: x\n", "{\"a\": \"this is a long value\", \"b\": \"x\"}"),
        ("literal", "a: |\n  line 1\n  line 2\n\nb: x\n", "{\"a\": \"line 1\\nline 2\\n\", \"b\": \"x\"}"),
        ("literal-strip", "a: |-\n  text\n\n", "{\"a\": \"text\"}"),
        ("literal-keep", "a: |+\n  text\n\n\nb: 1\n", "{\"a\": \"text\\n\\n\\n\", \"b\": 1}"),
        ("folded", "a: >\n  one\n  two\n\n  three\n    indented\n  four\n", "{\"a\": \"one two\\nthree\\n  indented\\nfour\\n\"}"),
        ("folded-strip", "a: >-\n  x\n  y\n", "{\"a\": \"x y\"}"),
        ("indent-indicator", "a: |2\n    four spaces\n  two\n", "{\"a\": \"  four spaces\\ntwo\\n\"}"),
        ("anchors", "base: &b\n  x: 1\n  y: 2\nother: *b\nmerged:\n  <<: *b\n  y: 3\n", "{\"base\": {\"x\": 1, \"y\": 2}, \"other\": {\"x\": 1, \"y\": 2}, \"merged\": {\"x\": 1, \"y\": 3}}"),
        ("merge-list", "a: &a {p: 1}\nb: &b {q: 2}\nc:\n  <<: [*a, *b]\n  r: 3\n", "{\"a\": {\"p\": 1}, \"b\": {\"q\": 2}, \"c\": {\"q\": 2, \"p\": 1, \"r\": 3}}"),
        ("scalars", "n: ~\ni: 42\nneg: -7\nf: 3.5\ne: 1e3\nh: 0x1F\no: 0o17\nbt: True\nbf: FALSE\ns: 'true'\nt: 2001-12-14\nv: 1.2.3\n", "{\"n\": null, \"i\": 42, \"neg\": -7, \"f\": 3.5, \"e\": 1000.0, \"h\": 31, \"o\": 15, \"bt\": true, \"bf\": false, \"s\": \"true\", \"t\": \"2001-12-14\", \"v\": \"1.2.3\"}"),
        ("comments", "# top\na: 1 # trailing\n# between\nb: '# not a comment'\nc: x#y\n", "{\"a\": 1, \"b\": \"# not a comment\", \"c\": \"x#y\"}"),
        ("doc-start", "---\na: 1\n", "{\"a\": 1}"),
        ("doc-end", "a: 1\n...\n", "{\"a\": 1}"),
        ("empty-values", "a:\nb: ~\nc: []\nd: {}\n", "{\"a\": null, \"b\": null, \"c\": [], \"d\": {}}"),
        ("nested-seq-map", "- name: a\n  tags: [x, y]\n- name: b\n  tags:\n    - z\n", "[{\"name\": \"a\", \"tags\": [\"x\", \"y\"]}, {\"name\": \"b\", \"tags\": [\"z\"]}]"),
        ("key-with-colon", "url: http://example.com:8080/x\n\"quoted key\": 1\n", "{\"url\": \"http://example.com:8080/x\", \"quoted key\": 1}"),
        ("tags", "a: !!str 12\nb: !!int \"7\"\n", "{\"a\": \"12\", \"b\": 7}"),
        ("unicode", "greeting: héllo wörld\nemoji: \"\\U0001F600\"\n", "{\"greeting\": \"héllo wörld\", \"emoji\": \"😀\"}"),
        ("plus-num", "a: +5\nb: .5\nc: 5.\n", "{\"a\": 5, \"b\": 0.5, \"c\": 5.0}"),
        ("top-seq", "- a\n- b\n", "[\"a\", \"b\"]"),
        ("top-scalar", "just text\n", "\"just text\""),
        ("crlf", "a: 1\r\nb:\r\n  - x\r\n", "{\"a\": 1, \"b\": [\"x\"]}"),        ("seq-block-scalars", "prompts:\n  - |\n    You are helpful.\n    Answer: {{q}}\n  - >-\n    folded\n    text\n", "{\"prompts\": [\"You are helpful.\\nAnswer: {{q}}\\n\", \"folded text\"]}"),
        ("compact-nested", "tests:\n  - vars:\n      question: \"What is 2+2?\"\n    assert:\n      - type: equals\n        value: \"4\"\n      - type: contains\n        value: '4'\n", "{\"tests\": [{\"vars\": {\"question\": \"What is 2+2?\"}, \"assert\": [{\"type\": \"equals\", \"value\": \"4\"}, {\"type\": \"contains\", \"value\": \"4\"}]}]}"),
        ("comment-after-key", "a: # comment\n  b: 1\nc: [1, 2] # trailing\n", "{\"a\": {\"b\": 1}, \"c\": [1, 2]}"),
        ("empty-seq-item", "- \n- a\n-\n", "[null, \"a\", null]"),
        ("quoted-keys-colons", "'a:b': 1\n\"c d\": 2\ne:f: 3\n", "{\"a:b\": 1, \"c d\": 2, \"e:f\": 3}"),
        ("indented-seq", "list:\n    - a\n    - b\nnext: x\n", "{\"list\": [\"a\", \"b\"], \"next\": \"x\"}"),
        ("multi-doc-end", "a: 1\n...\n", "{\"a\": 1}"),
        ("anchor-seq", "defaults: &d\n  - x\n  - y\nuse: *d\n", "{\"defaults\": [\"x\", \"y\"], \"use\": [\"x\", \"y\"]}"),
        ("nested-flow-multiline", "m: {a: 1,\n    b: [2,\n        3]}\n", "{\"m\": {\"a\": 1, \"b\": [2, 3]}}"),
        ("literal-keep-last", "a: |+\n  x\n", "{\"a\": \"x\\n\"}"),
        ("folded-more-indented", "a: >\n  para one\n  continues\n\n    code line\n  back\n", "{\"a\": \"para one continues\\n\\n  code line\\nback\\n\"}"),
        ("null-forms", "a: null\nb: Null\nc: ~\nd:\n", "{\"a\": null, \"b\": null, \"c\": null, \"d\": null}"),
        ("numbers", "a: 0\nb: -0.5\nc: 1_000\nd: 0b101\ne: 12e-3\n", "{\"a\": 0, \"b\": -0.5, \"c\": \"1_000\", \"d\": \"0b101\", \"e\": 0.012}"),
        ("special-strings", "a: yes\nb: off\nc: 'null'\nd: \"\"\ne: ''\n", "{\"a\": \"yes\", \"b\": \"off\", \"c\": \"null\", \"d\": \"\", \"e\": \"\"}"),
        ("url-hash", "u: http://x.io/#frag\nv: a # comment\n", "{\"u\": \"http://x.io/#frag\", \"v\": \"a\"}"),
    ]

    func testCorpus() throws {
        for (name, yaml, json) in Self.corpus {
            let got: JSONValue
            do { got = try YAMLParser.parse(yaml) } catch {
                XCTFail("\(name): \(error)")
                continue
            }
            XCTAssertEqual(got, try JSONParser.parse(json), "\(name): got \(JSONSerializer.string(got))")
        }
    }

    /// Every corpus value survives JSON → YAML-as-JSON-flow → value (JSON is flow YAML).
    func testJSONIsYAML() throws {
        for (name, _, json) in Self.corpus {
            let v = try JSONParser.parse(json)
            XCTAssertEqual(try YAMLParser.parse(JSONSerializer.string(v)), v, name)
            XCTAssertEqual(try YAMLParser.parse(JSONSerializer.string(v, pretty: true)), v, "\(name) (pretty)")
        }
    }

    func testErrorsNameLineAndColumn() {
        let cases: [(String, String)] = [
            ("a: 1\na: 2\n", "2:1: duplicate key 'a'"),
            ("a: [1, 2\n", "unterminated flow sequence"),
            ("a: 'open\n", "1:4: unterminated single-quoted string"),
            ("a: *nope\n", "1:4: unknown alias '*nope'"),
            ("a: !!binary abc\n", "1:4: the tag !!binary is not supported"),
            ("? complex\n: key\n", "1:1: complex mapping keys"),
            ("a: 1\n---\nb: 2\n", "2:1: a second YAML document is not supported"),
            ("%TAG ! tag:example.com,2000:\n---\na: 1\n", "1:1: YAML %TAG directives are not supported"),
            ("%YAML 2.0\n---\na: 1\n", "1:7: YAML version '2.0' is not supported"),
            ("%YAML 1.2\na: 1\n", "2:1: a YAML directive must be followed by '---'"),
            ("%FOO bar\n---\na: 1\n", "1:1: unknown YAML directive"),
            ("a:\n\tb: 1\n", "2:1: tabs cannot indent YAML"),
            ("a: 1\n  b: 2\n", "mapping values are not allowed here"),
            ("a: [1]\n  b: 2\n", "2:3: this line is indented more than the key before it"),
            ("a: b: c\n", "mapping values are not allowed here"),
            ("- a\nb: 1\n", "2:1:"),
            ("a: \"\\q\"\n", "unknown escape '\\q'"),
            ("a: @x\n", "1:4: a plain value cannot start with '@'"),
            ("a: -1\nb: - x\n", "2:4: a list cannot start on the line of its key"),
        ]
        for (yaml, expected) in cases {
            do {
                let v = try YAMLParser.parse(yaml)
                XCTFail("\(yaml.debugDescription) parsed as \(v)")
            } catch {
                XCTAssertTrue(error.description.contains(expected), "\(yaml.debugDescription): \(error)")
            }
        }
    }

    /// `%YAML 1.x` before `---` is read (editors' files start so: SchemaStore's sublime-syntax tests).
    func testYAMLVersionDirective() throws {
        XCTAssertEqual(try YAMLParser.parse("# comment\n%YAML 1.2\n---\na: 1\n"), ["a": 1])
        XCTAssertEqual(try YAMLParser.parse("%YAML 1.1   # old\n--- \n- x\n"), ["x"])
    }

    func testBillionLaughsAndDeepNestingAreBounded() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<9 { yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        XCTAssertThrowsError(try YAMLParser.parse(yaml)) { e in XCTAssertTrue("\(e)".contains("aliases expand to more than"), "\(e)") }
        XCTAssertThrowsError(try YAMLParser.parse(String(repeating: "[", count: 10_000))) { e in XCTAssertTrue("\(e)".contains("nesting deeper"), "\(e)") }
        let deepBlock = (0..<300).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n")
        XCTAssertThrowsError(try YAMLParser.parse(deepBlock)) { e in XCTAssertTrue("\(e)".contains("nesting deeper"), "\(e)") }
    }

    func testLocatorPointsAtKeys() throws {
        let text = "suite: s\nbackends:\n  - id: e\n    type: echo\nprompts:\n  - {id: p, template: x}\n"
        let (v, loc) = try YAMLParser.parseLocated(Array(text.utf8))
        XCTAssertEqual(v["backends"]?[0]?["type"], "echo")
        XCTAssertEqual(loc.position(of: "/backends/0/type").line, 4)
        XCTAssertEqual(loc.position(of: "/backends/0/type").column, 5)
        XCTAssertEqual(loc.position(of: "/prompts/0/template").line, 6)
        XCTAssertEqual(loc.position(of: "/prompts/0/template").column, 13)
    }

    func testBOMAndEmptyDocument() throws {
        XCTAssertEqual(try YAMLParser.parse("\u{FEFF}a: 1\n"), ["a": 1])
        XCTAssertEqual(try YAMLParser.parse(""), .null)
        XCTAssertEqual(try YAMLParser.parse("# only a comment\n"), .null)
    }
}
