import Foundation
import ProctorSupport
import XCTest

/// Finds `../shared` (beside the project root) for tests that need the shared data.
///
/// When it is missing the test is skipped with a visible reason, unless `PROCTOR_REQUIRE_SHARED=1`
/// (set by `.ci/run`), which turns a missing file into a failure.
public enum SharedData {
    /// The project root, found from this file's location.
    public static let projectRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var root: URL { projectRoot.deletingLastPathComponent().appendingPathComponent("shared") }

    public static var required: Bool { ProcessInfo.processInfo.environment["PROCTOR_REQUIRE_SHARED"] == "1" }

    /// The path of `relative` under `../shared`, or a skip (or failure when required) if absent.
    public static func path(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let url = root.appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: url.path) { return url.path }
        let reason = "shared data missing: \(url.path) (a fresh clone has no ../shared; CI sets PROCTOR_REQUIRE_SHARED=1)"
        if required {
            XCTFail(reason, file: file, line: line)
            throw XCTSkip(reason)
        }
        throw XCTSkip(reason)
    }
}

/// The seeded generator property tests use: ProctorSupport's SplitMix, so tests and code draw alike.
public typealias SeededGenerator = SplitMix

/// A temporary folder removed when the test ends.
public final class TempDir {
    public let path: String

    public init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("proctor-test-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` (folders created) and returns the full path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let full = (path as NSString).appendingPathComponent(name)
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    @discardableResult
    public func writeBytes(_ name: String, _ bytes: [UInt8]) -> String {
        let full = (path as NSString).appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: full, contents: Data(bytes))
        return full
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func read(_ name: String) -> String? { try? String(contentsOfFile: file(name), encoding: .utf8) }
}
