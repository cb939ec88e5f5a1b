import Foundation
import ProctorJSON

/// Training text in the forms people have it: plain UTF-8 (documents separated by a blank line,
/// by a separator string, or one per file of a folder), JSON Lines with a `text` field, or
/// Proctor's task format (`Task:` / `Input:` / `JSON:` blocks).
public enum CorpusFormat: String, Sendable, CaseIterable {
    case text, jsonl, tasks
}

/// A corpus split into documents, and what the tokenizer makes of it.
public struct Corpus: Sendable {
    /// The format the text was read as, given or detected (`.text` for a folder).
    public var format: CorpusFormat
    /// The documents in corpus order, each one unit of training text.
    public var documents: [String]

    /// Reads `path` (a file, or a folder whose files are one document each) in `format`, or in the
    /// format detected from the text when nil.
    public static func read(_ path: String, format: CorpusFormat? = nil, separator: String? = nil) throws(ModelError) -> Corpus {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw ModelError("\(path): no such file or folder") }
        if isDir.boolValue {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            var docs: [String] = []
            for n in names {
                let p = path + "/" + n
                var sub: ObjCBool = false
                guard FileManager.default.fileExists(atPath: p, isDirectory: &sub), !sub.boolValue else { continue }
                let text = try Self.utf8(p)
                if !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { docs.append(text) }
            }
            guard !docs.isEmpty else { throw ModelError("\(path): the folder has no non-empty files: the corpus is empty") }
            return Corpus(format: .text, documents: docs)
        }
        let text = try Self.utf8(path)
        return try parse(text, name: path, format: format, separator: separator)
    }

    static func utf8(_ path: String) throws(ModelError) -> String {
        guard let d = FileManager.default.contents(atPath: path) else { throw ModelError("\(path): cannot read the corpus") }
        var bytes = [UInt8](d)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            // Name the line of the first bad byte.
            var parser = Unicode.UTF8.ForwardParser()
            var it = bytes.makeIterator()
            var line = 1
            parse: while true {
                switch parser.parseScalar(from: &it) {
                case .valid(let e): if e.count == 1 && e.first == 0x0A { line += 1 }
                case .error, .emptyInput: break parse
                }
            }
            throw ModelError("\(path):\(line): not UTF-8 text (train on UTF-8; convert the file first)")
        }
        return s
    }

    /// The documents of `text`; errors name `name`, the line and the column.
    public static func parse(_ raw: String, name: String, format: CorpusFormat? = nil, separator: String? = nil) throws(ModelError) -> Corpus {
        let text = raw.contains("\r\n") ? raw.replacingOccurrences(of: "\r\n", with: "\n") : raw  // CRLF files split like LF ones
        let f = format ?? detect(text)
        var docs: [String]
        switch f {
        case .tasks:
            docs = TaskCorpus.examples(in: text).map(\.text)
            guard !docs.isEmpty else { throw ModelError("\(name): no examples in the task format (Task: / Input: / JSON: blocks separated by a blank line)") }
        case .jsonl:
            docs = []
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                let v: JSONValue
                do { v = try JSONParser.parse(String(trimmed)) } catch {
                    throw ModelError("\(name):\(i + 1):\(error.column): \(error.message)")
                }
                guard case .object(let o) = v, let t = o["text"]?.stringValue else {
                    throw ModelError("\(name):\(i + 1):1: expected an object with a string \"text\" field (JSON Lines corpus)")
                }
                docs.append(t)
            }
        case .text:
            if let separator, !separator.isEmpty {
                docs = text.components(separatedBy: separator)
            } else {
                docs = Self.paragraphs(text)
            }
        }
        docs = docs.filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        guard !docs.isEmpty else { throw ModelError("\(name): the corpus is empty (no \(f == .jsonl ? "lines" : "documents") with text)") }
        return Corpus(format: f, documents: docs)
    }

    /// Documents separated by one or more blank lines, each without the blank lines around it.
    static func paragraphs(_ text: String) -> [String] {
        var docs: [String] = [], current: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if !current.isEmpty { docs.append(current.joined(separator: "\n")); current = [] }
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { docs.append(current.joined(separator: "\n")) }
        return docs
    }

    /// JSON Lines when the first non-empty line is an object with a string `text` (the others are
    /// then checked as such, with errors naming their line); the task format when most blocks are
    /// task examples; plain text otherwise.
    public static func detect(_ text: String) -> CorpusFormat {
        if let first = text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }).first(where: { !$0.isEmpty }),
           first.hasPrefix("{"), case .object(let o)? = try? JSONParser.parse(first), o["text"]?.stringValue != nil {
            return .jsonl
        }
        let blocks = paragraphs(text)
        if !blocks.isEmpty, TaskCorpus.examples(in: text).count * 2 > blocks.count { return .tasks }
        return .text
    }

    /// The first character the tokenizer cannot spell (no vocabulary piece and no byte fallback),
    /// with its document and line, or nil when it covers everything.
    /// The documents as training sequences (BOS, the pieces, EOS), or an error naming the first
    /// character `tokenizer` cannot encode (document, line) and what to do about it.
    public func trainingDocuments(tokenizer: Tokenizer, path: String) throws(ModelError) -> [[Int]] {
        if let (d, line, ch) = uncovered(by: tokenizer) {
            throw ModelError("\(path): document \(d + 1), line \(line): the tokenizer cannot encode \(String(reflecting: String(ch))) "
                             + "(it has no piece for it and no <0xXX> byte tokens); train a tokenizer on this corpus with proctor model tokenizer")
        }
        return documents.map { [Tokenizer.bos] + Array(tokenizer.encode($0).dropFirst()) + [Tokenizer.eos] }
    }

    /// The first character no piece of `tokenizer` covers (when it has no byte fallback).
    public func uncovered(by tokenizer: Tokenizer) -> (document: Int, line: Int, character: Character)? {
        if tokenizer.hasByteFallback { return nil }
        let pieces = Set(tokenizer.vocab)
        for (d, doc) in documents.enumerated() {
            var line = 1
            for ch in doc {
                if ch == "\n" { line += 1; continue }
                for s in ch.unicodeScalars where !pieces.contains(Array(String(s).utf8)) { return (d, line, ch) }
            }
        }
        return nil
    }
}
