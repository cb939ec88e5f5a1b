import Dispatch
import Foundation
import ProctorHarness

/// SIGINT during a run: the first fires the run's `Interruption`; a second exits at once (130).
enum InterruptHandler {
    static func install(_ interruption: Interruption, console: Console) -> (any DispatchSourceSignal)? {
        guard console.installsSignalHandlers else { return nil }
        signal(SIGINT, SIG_IGN)
        let src = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        src.setEventHandler {
            if interruption.fire() == 1 {
                console.err("\nproctor: interrupted; stopping running cases and writing reports (Ctrl-C again to stop at once)")
            } else {
                _exit(130)
            }
        }
        src.setCancelHandler { signal(SIGINT, SIG_DFL) }
        src.resume()
        return src
    }
}
