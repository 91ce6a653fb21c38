import Symbols

/// What the evaluators need from the debugger: registers, symbols and memory for MASM, and
/// for C++ (`??`, `@@c++(…)`) the program's variables and types from DWARF. Implemented over
/// the session by the layer that knows which frame is selected.
public protocol ExpressionContext {
    /// Value of a CPU register by lower-case name ("rax", "eax", "ax", "al", "ah", "r8d", "rip", "efl", "rsp"...), nil if no such register.
    func registerValue(_ name: String) -> UInt64?
    /// Value of a pseudo-register, name includes the '$' ("$ip", "$ra", "$t0", "$csp", "$retreg", "$exentry", "$tid", "$tpid"), nil if unknown.
    func pseudoRegisterValue(_ name: String) -> UInt64?
    /// Address of a symbol: "main", "libc!puts", "module!name", a local variable; nil if it does not resolve.
    func symbolAddress(_ name: String) -> UInt64?
    /// Reads `size` bytes; nil when the memory is unreadable.
    func readMemory(_ address: UInt64, size: Int) -> [UInt8]?
    /// The first address of a source line, `file.c:12` or `module!file.c:12`; nil if none.
    func sourceLineAddress(_ spec: String) -> UInt64?
    /// A variable by name, innermost scope first: a local of the selected frame, a static or
    /// global of its compilation unit, then of any module.
    func variable(named name: String) -> TypedValue?
    /// A type by name (`node`, `struct node`, a typedef) from DWARF.
    func type(named name: String) -> (type: TypeLayout, files: ModuleSymbols?)?
    /// Writes memory for an assignment; false where it cannot be written.
    func writeMemory(_ address: UInt64, _ bytes: [UInt8]) -> Bool
    /// Sets a register for an assignment to a variable the compiler keeps in one.
    func setRegister(_ name: String, _ value: UInt64) -> Bool
}

extension ExpressionContext {
    /// Contexts without line information resolve no source lines.
    public func sourceLineAddress(_ spec: String) -> UInt64? { nil }
    /// Contexts without DWARF know no variables or types.
    public func variable(named name: String) -> TypedValue? { nil }
    public func type(named name: String) -> (type: TypeLayout, files: ModuleSymbols?)? { nil }
    /// Read-only contexts change nothing.
    public func writeMemory(_ address: UInt64, _ bytes: [UInt8]) -> Bool { false }
    public func setRegister(_ name: String, _ value: UInt64) -> Bool { false }
}

/// An expression error in WinDbg's words, with the text remaining at the point where it was found.
public struct ExpressionError: Error, Equatable, CustomStringConvertible {
    /// WinDbg's message, e.g. "Couldn't resolve error", "Syntax error", "Numeric expression missing".
    public let message: String
    /// The remaining text at the error point, e.g. "foo)"; empty at the end of the text; nil
    /// for an error that names its place itself (one from a C++ part of a MASM expression).
    public let near: String?

    public init(message: String, near: String) {
        self.message = message
        self.near = near
    }

    /// An error whose message says everything.
    init(plain message: String) {
        self.message = message
        near = nil
    }

    /// WinDbg form: "Couldn't resolve error at 'foo'", "Numeric expression missing from '<EOL>'".
    public var description: String {
        guard let near else { return message }
        let quoted = near.isEmpty ? "<EOL>" : near
        let preposition = message == Message.numericExpressionMissing ? "from" : "at"
        return "\(message) \(preposition) '\(quoted)'"
    }
}

extension ExpressionError {
    /// WinDbg's message texts.
    enum Message {
        static let couldNotResolve = "Couldn't resolve error"
        static let badRegister = "Bad register error"
        static let syntax = "Syntax error"
        static let numericExpressionMissing = "Numeric expression missing"
        static let memoryAccess = "Memory access error"
        static let divideByZero = "Divide by zero error"
        static let tooDeep = "Expression too deeply nested"
    }

    static func couldNotResolve(near: Substring) -> ExpressionError {
        ExpressionError(message: Message.couldNotResolve, near: String(near))
    }

    static func badRegister(near: Substring) -> ExpressionError {
        ExpressionError(message: Message.badRegister, near: String(near))
    }

    static func syntax(near: Substring) -> ExpressionError {
        ExpressionError(message: Message.syntax, near: String(near))
    }

    static func numericExpressionMissing(near: Substring) -> ExpressionError {
        ExpressionError(message: Message.numericExpressionMissing, near: String(near))
    }

    static func memoryAccess(near: Substring) -> ExpressionError {
        ExpressionError(message: Message.memoryAccess, near: String(near))
    }

    static func divideByZero(near: Substring) -> ExpressionError {
        ExpressionError(message: Message.divideByZero, near: String(near))
    }
}
