import Glibc

/// Runs `body` on a new OS thread. Front ends' readers need their own threads: the tracer
/// thread sits in `waitpid` (or a stub's reply) while the target runs, and a `pause`, an
/// interrupt byte or the program's output must still get through then. Never for ptrace.
public func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let started = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue() as! Box
        box.body()
        return nil
    }, box)
    if started == 0 { pthread_detach(thread) } else { Unmanaged<AnyObject>.fromOpaque(box).release() }
}

/// A mutex and condition around a value a front end's threads share.
public final class Shared<Value>: @unchecked Sendable {
    private var value: Value
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    /// Changes the value and wakes whoever waits for it.
    public func update<T>(_ body: (inout Value) -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer {
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
        }
        return body(&value)
    }

    /// Waits until `body` returns non-nil (it may change the value, e.g. take from a queue).
    public func wait<T>(_ body: (inout Value) -> T?) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while true {
            if let result = body(&value) { return result }
            pthread_cond_wait(&condition, &mutex)
        }
    }
}

/// A front end's break-in while the target runs, asked from its reader thread (a DAP `pause`,
/// gdb's interrupt byte, a client gone): at once while the tracer thread runs the target, or
/// at the start of the run about to begin when it comes just before (the request and the
/// resume it should stop cross on the wire).
public final class BreakInGate: Sendable {
    private struct State {
        var running = false
        var wanted = false
    }
    private let state = Shared(State())

    public init() {}

    /// From any thread: stop the running target, or the next run as it starts.
    public func request() {
        state.update { state in
            if state.running { BreakIn.request() } else { state.wanted = true }
        }
    }

    /// A request the tracer thread has answered without a run (a `pause` of a stopped target):
    /// forgotten, with any break-in it left recorded.
    public func cancel() {
        state.update { $0.wanted = false }
        _ = BreakIn.takeRequest()
    }

    /// Runs `body` (which runs the target) with requests turned into break-ins.
    public func whileRunning<T>(_ body: () -> T) -> T {
        state.update { state in
            state.running = true
            if state.wanted { BreakIn.request() }
            state.wanted = false
        }
        defer { state.update { $0.running = false } }
        return body()
    }
}
