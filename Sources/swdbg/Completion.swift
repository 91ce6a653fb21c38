import CLineEdit
import Commands
import Glibc

/// The interpreter Tab completes for (libedit calls back through a C function pointer).
nonisolated(unsafe) var activeInterpreter: Interpreter?

/// libedit's completion callback: the text to insert, then the candidates, newline-separated.
let completeLine: le_completer = { line in
    guard let line, let interpreter = activeInterpreter else { return nil }
    let completion = interpreter.complete(String(cString: line))
    guard !completion.insertion.isEmpty || completion.candidates.count > 1 else { return nil }
    let listed = completion.candidates.count > 1 ? completion.candidates : []
    return strdup(([completion.insertion] + listed).joined(separator: "\n"))
}

