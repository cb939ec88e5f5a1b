import Dispatch
import Foundation
import ProctorHarness

/// SIGINT and SIGTERM during a command: the first fires the run's `Interruption` (stop starting
/// cases, kill running programs' process groups, write every report marked interrupted, exit
/// 128 + the signal: 130 or 143); a second exits at once with that status.
enum InterruptHandler {
    /// The signals handled: Ctrl-C, and what CI sends when a job is cancelled or times out.
    static let signals: [Int32] = [SIGINT, SIGTERM]

    /// Installs the handlers (only for the process's own console); cancelling the returned
    /// sources restores the default actions.
    static func install(_ interruption: Interruption, console: Console) -> [any DispatchSourceSignal] {
        guard console.installsSignalHandlers else { return [] }
        return signals.map { sig in
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                if interruption.fire(signal: sig) == 1 {
                    console.err("\nproctor: \(sig == SIGTERM ? "terminated (SIGTERM)" : "interrupted"); finishing up (a second signal stops at once)")
                } else {
                    _exit(interruption.exitCode)
                }
            }
            src.setCancelHandler { signal(sig, SIG_DFL) }
            src.resume()
            return src
        }
    }
}
