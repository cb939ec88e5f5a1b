import Foundation

/// Reading text inputs (suites, cases, schemas, prompts, results): a leading UTF-8 byte-order mark,
/// as spreadsheets and some editors write, is not part of the text and is dropped.
public enum TextInput {
    static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The file's bytes without a leading BOM; nil when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return strippingBOM([UInt8](d))
    }

    /// `bytes` without a leading UTF-8 BOM.
    public static func strippingBOM(_ bytes: [UInt8]) -> [UInt8] {
        bytes.starts(with: bom) ? Array(bytes.dropFirst(3)) : bytes
    }
}
