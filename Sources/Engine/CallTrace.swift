/// What `wt` traces and what it leaves alone.
public struct TraceOptions: Sendable {
    /// Calls this many levels below the start run untraced (`-l`).
    public var maximumDepth: Int?
    /// Only code in these modules is traced, plus the entry into their callees (`-m`).
    public var modules: [String] = []
    /// Code in these modules runs untraced (`-i`; ignored when `modules` is set).
    public var ignoredModules: [String] = []
    /// Where the trace ends instead of the return address (`wt EndAddress`).
    public var endAddress: UInt64?

    public init() {}
}

/// One line of `wt`'s call tree: a stretch of one invocation of a function, ended by a call,
/// its return, or a jump into another function.
public struct TraceLine: Sendable {
    /// Instructions this invocation executed itself so far (the call or ret included).
    public let instructions: UInt64
    /// Instructions its callees executed so far.
    public let calleeInstructions: UInt64
    public let depth: Int
    /// `module!function`, or the address where no symbol covers the code.
    public let function: String
    /// Where the function's entry is, for its return type (`-oR`).
    public let functionStart: UInt64?
    /// The call instruction that entered this invocation (`-oa`); nil for the first.
    public let callSite: UInt64?
    /// rax as the stretch ended with a return (`-or`), nil otherwise.
    public let returnValue: UInt64?
    /// The invocation was entered but not traced (`-l`, `-m`, `-i`): the counts are zero.
    public let untraced: Bool
}

/// Per-function figures of a trace: invocations, and instructions per invocation.
public struct FunctionStatistics: Sendable {
    public internal(set) var invocations = 0
    public internal(set) var minimum: UInt64 = .max
    public internal(set) var maximum: UInt64 = 0
    public internal(set) var total: UInt64 = 0

    mutating func add(_ instructions: UInt64) {
        invocations += 1
        minimum = min(minimum, instructions)
        maximum = max(maximum, instructions)
        total += instructions
    }

    public var average: UInt64 { invocations == 0 ? 0 : total / UInt64(invocations) }
}

/// A `wt` trace as it runs and when it is done: the lines as they happen (`onLine`), and the
/// totals WinDbg's summary shows. Every count is exact, as a single-stepping tracer's.
public final class CallTrace {
    /// Called for each line of the call tree as the trace makes it.
    public var onLine: ((TraceLine) -> Void)?
    /// The function the trace started in, and where it ends.
    public internal(set) var function = ""
    public internal(set) var endAddress: UInt64 = 0
    public internal(set) var instructions: UInt64 = 0
    /// Debug events the traced thread took (stops, not emulated branches).
    public internal(set) var events: UInt64 = 0
    /// Events of other threads while they ran during the trace (around system calls and
    /// untraced calls).
    public internal(set) var otherThreadEvents: UInt64 = 0
    public internal(set) var functions: [String: FunctionStatistics] = [:]
    /// How many times each system call (by number) was executed.
    public internal(set) var systemCalls: [UInt64: Int] = [:]
    /// The trace reached its end (false while it runs or after something interrupted it).
    public internal(set) var finished = false
    /// Requests made to a gdb-remote stub during the trace (nil for a local process).
    public internal(set) var roundTrips: Int?
    /// How long the trace took, where its round trips are counted.
    public internal(set) var milliseconds: UInt64 = 0

    public init() {}
}
