import Foundation
import ProctorModel
import ProctorJSON

/// A grammar as a `DecodingConstraint`: what the `builtin` backend, `model generate --schema` and
/// `model serve`'s `response_format` hand to the model's one generation entry point.
public struct GrammarConstraint: DecodingConstraint {
    /// The grammar outputs must match.
    public let grammar: Grammar
    /// The tokenizer's pieces, prepared once for masking (build it once per tokenizer and share it).
    public let vocab: TokenVocabulary
    /// Log each backtrack to standard error (`PROCTOR_CONSTRAIN_DEBUG=1`, read by the CLI).
    public var debug: Bool

    /// A constraint over `grammar` with `vocab` prepared for the model's tokenizer.
    public init(grammar: Grammar, vocab: TokenVocabulary, debug: Bool = false) {
        self.grammar = grammar
        self.vocab = vocab
        self.debug = debug
    }

    /// Decodes one instance with `ConstrainedGenerator`.
    public func decode(_ request: DecodingRequest) throws(ModelError) -> Generation {
        do {
            var generator = try ConstrainedGenerator(transformer: request.transformer, tokenizer: request.tokenizer, grammar: grammar, vocab: vocab)
            generator.debug = debug
            var rng = ModelRandom(seed: request.seed)
            let progress = request.progress.map { p in { (text: [UInt8]) in text.withUnsafeBufferPointer(p) } }
            let g = try generator.generate(prompt: request.prompt, steps: request.steps, maxNewTokens: request.maxNewTokens,
                                           temperature: request.temperature, topP: request.topP, rng: &rng, progress: progress)
            return Generation(promptTokenIds: g.promptTokenIds, generatedTokenIds: g.generatedTokenIds, text: g.text,
                              fullText: request.tokenizer.text(Array(g.promptTokenIds.dropFirst()) + g.generatedTokenIds),
                              stoppedByToken: false, stoppedByString: false, hitLimit: false,
                              tokensPerSecond: g.tokensPerSecond, prefillTokensPerSecond: g.prefillTokensPerSecond,
                              constraint: ConstraintStats(microsPerToken: g.constraintMicrosPerToken, fullMasks: g.fullMasks, backtracks: g.backtracks))
        } catch {
            throw ModelError(error.description)
        }
    }
}

extension GrammarConstraint {
    /// A schema per task, for `proctor model eval --schemas DIR`: the constraint of task T is
    /// DIR/T.schema.json (any JSON value where there is none), built the first time T is asked for;
    /// an unreadable or unusable schema is an error naming its file.
    public static func perTask(directory dir: String, tokenizer: Tokenizer, options: ConstraintOptions) throws(ConstraintError) -> (String) throws -> any DecodingConstraint {
        let vocab = try TokenVocabulary(tokenizer: tokenizer)
        var byTask: [String: GrammarConstraint] = [:]
        return { task in
            if let known = byTask[task] { return known }
            let path = (dir as NSString).appendingPathComponent("\(task).schema.json")
            do {
                let schema: JSONValue = try FileManager.default.fileExists(atPath: path)
                    ? JSONParser.parse(String(contentsOfFile: path, encoding: .utf8), options: .jsonc) : true
                let made = GrammarConstraint(grammar: try Grammar(schema: schema, options: options), vocab: vocab)
                byTask[task] = made
                return made
            } catch { throw ConstraintError(pointer: "", "\(path): \(error)") }
        }
    }
}
