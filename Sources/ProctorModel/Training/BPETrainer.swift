import Foundation

/// Byte-level BPE trained on a corpus and written in llama2.c `tokenizer.bin` form: ids 0–2 for
/// `<unk>`, `<s>`, `</s>`, 3–258 for the byte tokens, printable ASCII after them, then the merges with
/// decreasing scores, so run.c's highest-score-first merging applies them in training order.
public enum BPETrainer {
    /// Learns merges until the vocabulary has `vocabSize` tokens (or no pair repeats).
    public static func train(corpus: String, vocabSize: Int) throws(ModelError) -> Tokenizer {
        var base = TokenizerWriter.baseVocabulary()
        guard vocabSize >= base.vocab.count else { throw ModelError("--vocab must be at least \(base.vocab.count) (specials, bytes, printable ASCII)") }
        // Words: a space attaches to the word after it (as the dummy prefix does), newlines stand alone.
        var counts: [[UInt8]: Int] = [:]
        var word: [UInt8] = [0x20]
        func flush() { if !word.isEmpty { counts[word, default: 0] += 1 }; word = [] }
        for b in corpus.utf8 {
            if b == 0x20 { flush(); word = [0x20] } else if b == 0x0A { flush() } else { word.append(b) }
        }
        flush()
        // Each word as a list of pieces; only printable-ASCII pieces can merge (run.c concatenates pieces).
        var words: [(pieces: [[UInt8]], count: Int)] = counts.map { w in (w.key.map { [$0] }, w.value) }
        words.sort { $0.count != $1.count ? $0.count > $1.count : $0.pieces.lexicographicallyPrecedes($1.pieces, by: { $0.lexicographicallyPrecedes($1) }) }
        let merges = vocabSize - base.vocab.count
        var known = Set(base.vocab)
        for m in 0..<merges {
            var pairs: [[UInt8]: Int] = [:]
            for w in words where w.pieces.count > 1 {
                for i in 0..<(w.pieces.count - 1) {
                    let a = w.pieces[i], b = w.pieces[i + 1]
                    if a.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) && b.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
                        pairs[a + b, default: 0] += w.count
                    }
                }
            }
            guard let best = pairs.filter({ $0.value > 1 && !known.contains($0.key) })
                .max(by: { $0.value != $1.value ? $0.value < $1.value : $1.key.lexicographicallyPrecedes($0.key) }) else { break }
            let merged = best.key
            known.insert(merged)
            base.vocab.append(merged)
            base.scores.append(Float(merges - m))
            for wi in words.indices where words[wi].pieces.count > 1 {
                var p = words[wi].pieces
                var i = 0
                while i < p.count - 1 {
                    if p[i].count + p[i + 1].count == merged.count && p[i] + p[i + 1] == merged { p[i] = merged; p.remove(at: i + 1) } else { i += 1 }
                }
                words[wi].pieces = p
            }
        }
        return Tokenizer(vocab: base.vocab, scores: base.scores)
    }
}
