import Arch
import Expressions
import Targets

/// A user breakpoint: the spec the user typed, where it resolves now (one location, or several
/// for a source line with inlined copies, template instances, clones), and what a hit does:
/// its condition, pass count, thread and commands. The locations are resolved again from the
/// spec when modules load and unload, on exec and on `.restart`, as Delve's logical
/// breakpoints and LLDB's resolvers do; `bu` breakpoints (and `bp` on names not yet loaded)
/// wait for their module.
public final class Breakpoint {
    /// The command that made it: `bp` (address resolved now), `bu` (kept as a name), `bm` (one
    /// of a pattern's matches), `ba` (a debug register instead of an int3).
    public enum Kind: Sendable { case bp, bu, bm, ba }

    public let id: Int
    public let kind: Kind
    /// The location spec as typed (`libc!send`, `main+0x10`, `` `inl.c:4` ``).
    public let expression: String
    /// The radix the spec was typed in, for resolving it again.
    let radix: Int
    /// Where the breakpoint is planted, lowest first; empty while it waits for its module.
    public internal(set) var locations: [UInt64]
    public var enabled = true
    /// Hits to let pass before breaking (WinDbg's count); `remaining` counts down to 1. Only
    /// hits whose condition holds count.
    public let passCount: Int
    public var remaining: Int
    public let oneShot: Bool
    /// Only this thread stops (`~N bp`).
    public let thread: Int32?
    /// The command string as typed (`bp f "kb; gc"`), as `bl` shows it.
    public let commands: String?
    /// Evaluated by the engine at each hit: where it is false the thread runs on, and no
    /// command runs (`bp /w "x > 5"`, `.if (c) {} .else {gc}`, `j (c) ''; 'gc'`).
    public let condition: BreakpointCondition?
    /// The commands a stop runs: `commands`, or what of them is left once the condition was
    /// taken out; nil for none.
    public let action: String?
    /// Why the condition could not be evaluated at the last stop (the stop is made then).
    public internal(set) var conditionError: String?
    /// For `ba`: what the debug register watches at the (single) location.
    public let hardware: HardwareWatch?
    /// Where its condition is evaluated: in the kernel (BPF on uprobes), or by the debugger
    /// at each hit, with the reason (nil when there is no condition to move).
    public internal(set) var evaluation: ConditionEvaluation = .debugger(reason: nil)
    /// The uprobes that take its hits while evaluated in the kernel, and its pass count there.
    var probes: [KernelProbe] = []
    var passSlot: UInt32?
    /// Its probes gave way to an int3 something else needed at their address; they come
    /// back once that int3 is the breakpoint's alone.
    var yieldedProbes = false

    init(id: Int, request: BreakpointRequest) {
        self.id = id
        kind = request.kind
        expression = request.expression
        radix = request.radix
        locations = request.locations
        passCount = max(1, request.passCount)
        remaining = max(1, request.passCount)
        oneShot = request.oneShot
        thread = request.thread
        commands = request.commands
        condition = request.condition
        action = request.action
        hardware = request.hardware
    }

    /// The first location, where a single-location breakpoint is.
    public var address: UInt64? { locations.first }
}

/// Who evaluates a breakpoint's condition: the kernel, at the probe (a false hit costs no
/// stop), or the debugger at each hit of its int3, with why it is not the kernel.
public enum ConditionEvaluation: Sendable, Equatable {
    case kernel
    case debugger(reason: String?)
}

/// A breakpoint's condition, parsed once when the breakpoint is set: a MASM expression (from
/// `.if`/`j` idioms) or a C++ one (`bp /w`), true when its value is non-zero (or zero, for
/// `.if (c) {gc}`, which goes on while `c` holds).
public struct BreakpointCondition {
    public enum Expression {
        case masm(MasmExpression)
        case cpp(CppExpression)
    }

    public let expression: Expression
    public let negated: Bool
    /// The condition as typed.
    public let text: String
    /// Taken out of a command string (`.if`, `j`): as WinDbg runs those commands only on the
    /// hit that spends the passes, the passes are counted first and the condition tested after
    /// (`bp f 3 ".if …"` tests the third hit and on). A `/w` condition decides which hits count.
    public let testedAfterPasses: Bool

    public init(_ expression: Expression, negated: Bool = false, text: String, testedAfterPasses: Bool = false) {
        self.expression = expression
        self.negated = negated
        self.text = text
        self.testedAfterPasses = testedAfterPasses
    }

    /// The condition as the kernel can evaluate it.
    func lowered(_ scope: FrameScope) throws(NotLowerable) -> MachineCondition {
        switch expression {
        case .masm(let masm): try masm.lowered(scope)
        case .cpp(let cpp): try cpp.lowered(scope)
        }
    }

    /// Whether the breakpoint stops, in the hit thread's innermost frame.
    func holds(in scope: FrameScope) throws(EngineError) -> Bool {
        let value: UInt64
        switch expression {
        case .masm(let masm):
            do { value = try masm.evaluate(scope) } catch { throw EngineError.expression(error.description) }
        case .cpp(let cpp):
            do { value = try cpp.integerValue(scope) } catch { throw EngineError.expression(error.description) }
        }
        return (value != 0) != negated
    }
}

/// How a new breakpoint is specified (the command layer fills it from `bp`/`bu`/`bm`).
public struct BreakpointRequest {
    public var kind: Breakpoint.Kind
    public var expression: String
    public var radix = 16
    /// Where the command layer resolved it (with the current frame's registers and locals);
    /// empty to let the engine resolve the spec.
    public var locations: [UInt64]
    public var passCount = 1
    public var oneShot = false
    public var thread: Int32?
    public var commands: String?
    public var condition: BreakpointCondition?
    public var action: String?
    public var hardware: HardwareWatch?
    public var id: Int?

    public init(kind: Breakpoint.Kind, expression: String, locations: [UInt64]) {
        self.kind = kind
        self.expression = expression
        self.locations = locations
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
    /// The displaced instruction when it transfers control (executed by the debugger when it
    /// can: a jump, call or return).
    var branch: Instruction?
    /// The displaced instruction is `syscall` (0f 05), which may block on another thread.
    var isSystemCall = false
    var total: Int { users + internalUsers }
}
