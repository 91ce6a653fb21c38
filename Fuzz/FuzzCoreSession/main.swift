import FuzzDriver
import Engine
import Glibc
import Targets

/// Where a small dump of the input is written.
nonisolated(unsafe) private let dumpPath = "/tmp/swdbg-fuzz-\(getpid()).core"

/// A session opened on a core of any bytes: modules from its memory (link map, ELF headers,
/// build ids, the vDSO), stacks, the crash analysis, and a small `.dump` of it. Each input
/// loads real modules the core names, so it runs far slower than FuzzCore (the reader alone).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCoreSession(_ data: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    guard let core = try? CoreFile(path: "fuzz.core", contents: Array(UnsafeBufferPointer(start: data, count: count))) else { return 0 }
    let target = CoreTarget(core: core)
    let session = Session(backend: PtraceBackend())
    guard (try? session.open(dump: target)) != nil, let process = session.process else { return 0 }
    for thread in process.threads.prefix(4) { _ = session.stack(thread, maxFrames: 16) }
    _ = session.analyzeCrash()
    _ = try? session.writeDump(to: dumpPath, kind: .minimal, overwrite: true)
    unlink(dumpPath)
    session.kill()
    return 0
}

runFuzzer { data, count in fuzzCoreSession(data, count) }
