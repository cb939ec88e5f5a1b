import Foundation
import ProctorCLI

// The executable is one call into ProctorCLI, so tests can drive the same code in-process.
let code = await Proctor.main(Array(CommandLine.arguments.dropFirst()))
exit(code)
