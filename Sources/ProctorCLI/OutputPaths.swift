import ProctorCommandLine
import ProctorReports

/// `OutputPaths.check` as a command-line error: clashing outputs are a usage error (exit 2), an
/// unwritable folder an input error.
func checkOutputs(_ outputs: [(flag: String, path: String)], inputs: [(what: String, path: String)]) throws(CLIError) {
    do { try OutputPaths.check(outputs: outputs, inputs: inputs) } catch {
        throw error.isUsage ? CLIError.usage(error.description) : CLIError.input(error.description)
    }
}
