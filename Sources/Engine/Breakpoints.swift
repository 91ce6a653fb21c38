/// A user breakpoint: the spec the user typed and where it currently resolves. `bu`
/// breakpoints (and `bp` on names not yet loaded) are deferred: their expression is
/// re-resolved on every module load, as WinDbg and LLDB do.
public final class Breakpoint {
    /// The command that made it: `bp` (address resolved now), `bu` (kept as a name), `bm` (one of a pattern's matches).
    public enum Kind: Sendable { case bp, bu, bm }

    public let id: Int
    public let kind: Kind
    /// The expression as typed (`libc!send`, `main+0x10`).
    public let expression: String
    public internal(set) var address: UInt64?
    public var enabled = true
    /// Hits to let pass before breaking (WinDbg's count); `remaining` counts down to 1.
    public let passCount: Int
    public var remaining: Int
    public let oneShot: Bool
    /// Only this thread stops (`~N bp`).
    public let thread: Int32?
    /// Commands run when the breakpoint stops (`bp f "kb; gc"`).
    public let commands: String?

    init(id: Int, kind: Kind, expression: String, address: UInt64?, passCount: Int, oneShot: Bool, thread: Int32?, commands: String?) {
        self.id = id
        self.kind = kind
        self.expression = expression
        self.address = address
        self.passCount = max(1, passCount)
        self.remaining = max(1, passCount)
        self.oneShot = oneShot
        self.thread = thread
        self.commands = commands
    }
}

/// How a new breakpoint is specified (the command layer fills it from `bp`/`bu`/`bm`).
public struct BreakpointRequest {
    public var kind: Breakpoint.Kind
    public var expression: String
    public var address: UInt64?
    public var passCount = 1
    public var oneShot = false
    public var thread: Int32?
    public var commands: String?
    public var id: Int?

    public init(kind: Breakpoint.Kind, expression: String, address: UInt64?) {
        self.kind = kind
        self.expression = expression
        self.address = address
    }
}

/// One int3 planted in the target, shared by every user breakpoint and internal stop
/// (module tracking, step-over, `g addr`) at that address.
struct SoftwareSite {
    var originalByte: UInt8
    var users = 0
    var internalUsers = 0
    /// How to execute the displaced instruction without single-stepping, when it is simple enough.
    var emulation: SiteEmulation?
    /// The displaced instruction is `syscall` (0f 05), which may block on another thread.
    var isSystemCall = false
    var total: Int { users + internalUsers }
}
