import FuzzDriver
import Glibc
import Targets

/// The core file reader on any bytes: the ELF and program headers, every note (threads,
/// registers, NT_FILE, NT_AUXV, NT_SIGINFO), and the memory a target built on it reads.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCore(_ data: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    guard let core = try? CoreFile(path: "fuzz.core", contents: Array(UnsafeBufferPointer(start: data, count: count))) else { return 0 }
    let target = CoreTarget(core: core)
    for tid in target.listThreads().prefix(8) {
        _ = try? target.registers(tid)
        _ = try? target.vectorState(tid)
        _ = target.signalInfo(tid)
        _ = target.threadName(tid)
    }
    _ = target.auxiliaryVector()
    for region in target.memoryMap().prefix(16) {
        _ = target.readMemory(region.range.lowerBound, count: 64)
        _ = target.readMemory(region.range.upperBound &- 8, count: 64)
    }
    _ = target.readMemory(0, count: 16)
    _ = target.readMemory(UInt64.max &- 4, count: 16)
    return 0
}

runFuzzer { data, count in fuzzCore(data, count) }
