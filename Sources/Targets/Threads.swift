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
