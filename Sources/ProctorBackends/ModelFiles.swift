import Foundation
import ProctorModel

/// Finding a built-in model's files: the first candidate checkpoint whose tokenizer lies beside it
/// (`FILE.tokenizer.bin` for `FILE.bin`), both checked before anything uses them (`proctor init`
/// copies them into a new suite, which is no start if it cannot load its model).
public enum ModelFiles {
    /// Why no model could be had, in words that name the file.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        /// What is wrong, naming the file.
        public let description: String
    }

    /// The bytes of the first candidate checkpoint and its tokenizer that exist and load; with
    /// `explicit` (the user named the one candidate), a missing file is named at once.
    public static func find(_ candidates: [String], explicit: Bool) throws(Problem) -> (model: [UInt8], tokenizer: [UInt8]) {
        for c in candidates {
            let tok = c.hasSuffix(".bin") ? String(c.dropLast(4)) + ".tokenizer.bin" : c + ".tokenizer.bin"
            if let m = FileManager.default.contents(atPath: c), let t = FileManager.default.contents(atPath: tok) {
                let checkpoint: Checkpoint
                do { checkpoint = try Checkpoint(path: c) } catch { throw Problem(description: "\(c) is not a llama2.c checkpoint Proctor can run: \(error)") }
                do { _ = try Tokenizer(path: tok, vocabSize: checkpoint.config.vocabSize) } catch {
                    throw Problem(description: "\(tok) is not a tokenizer for \(c): \(error)")
                }
                return ([UInt8](m), [UInt8](t))
            }
            if explicit {
                let missing = FileManager.default.fileExists(atPath: c) ? tok : c
                throw Problem(description: "\(missing) does not exist" + (missing == tok ? " (--model FILE needs its tokenizer beside it, named FILE.tokenizer.bin)" : ""))
            }
        }
        throw Problem(description: "cannot find the model (looked for \(candidates.joined(separator: ", ")) and its .tokenizer.bin); "
                      + "pass --model FILE (a llama2.c checkpoint with FILE's .tokenizer.bin beside it)")
    }
}
