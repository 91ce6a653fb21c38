import Arch

/// Instructions common at function entry that the debugger can execute exactly in its own
/// registers instead of lifting the int3 and single-stepping: one register write (and for a
/// push, one 8-byte stack write) replaces a step's two stops and two code writes. No flags
/// change in any of them, and nothing else is touched; anything else is single-stepped.
enum SiteEmulation {
    case push(register: String, length: UInt64)
    case movRbpRsp
    case skip(length: UInt64)

    /// Recognizes the instruction from its first bytes (original code, before the int3).
    init?(_ code: [UInt8]) {
        guard let first = code.first else { return nil }
        let pushNames = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"]
        switch first {
        case 0x50...0x57:
            self = .push(register: pushNames[Int(first - 0x50)], length: 1)
        case 0x41 where code.count >= 2 && (0x50...0x57).contains(code[1]):
            self = .push(register: "r\(8 + Int(code[1] - 0x50))", length: 2)
        case 0x48 where code.count >= 3 && code[1] == 0x89 && code[2] == 0xe5:
            self = .movRbpRsp
        case 0x90:
            self = .skip(length: 1)
        case 0xf3 where code.count >= 4 && code[1] == 0x0f && code[2] == 0x1e && code[3] == 0xfa:
            self = .skip(length: 4)  // endbr64
        default:
            return nil
        }
    }
}

extension Session {
    /// Executes the instruction under `site` for a thread stopped on it; false when it must be
    /// single-stepped instead (a signal is waiting to be delivered at that instruction, or the
    /// stack write failed).
    func emulate(_ site: SoftwareSite, _ thread: ThreadInfo) -> Bool {
        // Armed debug registers watch what the program does: a push or branch the debugger
        // did instead would go unseen.
        guard let emulation = site.emulation, thread.signalToDeliver == 0, var registers = thread.cachedRegisters,
              let process, process.debugSlots.isEmpty else { return false }
        switch emulation {
        case .push(let register, let length):
            guard let value = registers.value(named: register) else { return false }
            let top = registers.rsp &- 8
            // Where the push would fault (a stack guard page), single-step it and let it fault.
            guard process.live.writeMemoryAsProgram(top, [UInt8](littleEndian: value, size: 8)) else { return false }
            registers.rsp = top
            registers.rip &+= length
        case .movRbpRsp:
            registers.rbp = registers.rsp
            registers.rip &+= 3
        case .skip(let length):
            registers.rip &+= length
        }
        stage(registers, thread)
        return true
    }
}
