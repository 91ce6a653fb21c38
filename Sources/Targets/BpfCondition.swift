import Arch

/// One BPF instruction, as `struct bpf_insn` lays it out (8 bytes, little-endian).
struct BpfInstruction {
    var code: UInt8
    var destination: UInt8 = 0
    var source: UInt8 = 0
    var offset: Int16 = 0
    var immediate: Int32 = 0

    var encoded: UInt64 {
        UInt64(code) | UInt64(destination & 0xf | (source & 0xf) << 4) << 8
            | UInt64(UInt16(bitPattern: offset)) << 16 | UInt64(UInt32(bitPattern: immediate)) << 32
    }
}

/// The maps every probe program of a process shares: the registers of a hit that stops, the
/// re-executions to let go after hits (by thread and stack pointer), and the pass counts.
struct BpfMaps {
    let records: Int32
    let skips: Int32
    let passes: Int32
}

/// What a probe program tests, for one breakpoint location.
struct ProbeProgramSpec {
    let address: UInt64
    let processID: Int32
    let condition: MachineCondition
    let negated: Bool
    /// Only this thread's hits count (`~N bp`).
    let thread: Int32?
    /// The slot of the pass count in the passes map, when the breakpoint has one.
    let passSlot: UInt32?
}

/// A record of a hit, as the program writes it: the location, whether the condition could
/// be evaluated, and the 21 registers of `struct pt_regs` (the order of `user_regs_struct`).
enum ProbeRecord {
    static let words = 23
    static let size = words * 8
}

/// Compiles a condition into a program for a uprobe (a kprobe-type program; its context is
/// the thread's `struct pt_regs`). A false condition returns at once; a true one records the
/// registers for the thread and sends it SIGSTOP, which the debugger takes as the hit.
struct BpfConditionCompiler {
    private var code: [Item] = []
    private var labelCount = 0
    /// The condition reads memory: a failed read reports the hit as unevaluated.
    private var readsMemory = false
    let maps: BpfMaps

    /// An instruction, a jump to a label, a 16-byte immediate load, or a label's place.
    private enum Item {
        case plain(BpfInstruction)
        case jump(BpfInstruction, label: Int)
        case wide(register: UInt8, value: UInt64, mapFile: Bool)
        case label(Int)
    }

    // Registers: r6 the context, r7 the value computed, r8 a left operand, r9 the flags.
    private static let context: UInt8 = 6, value: UInt8 = 7, left: UInt8 = 8, flags: UInt8 = 9, frame: UInt8 = 10
    /// Stack layout below r10: the tid key, a word for memory reads, the record, then one
    /// word per level of a binary operator's left operands.
    private static let keyOffset: Int16 = -4, passKeyOffset: Int16 = -8, readOffset: Int16 = -16
    private static let recordOffset: Int16 = -16 - Int16(ProbeRecord.size)
    private static let temporaries = Int(-recordOffset) + 8
    static let deepestNesting = (512 - temporaries) / 8

    private enum Helper: Int32 {
        case mapLookup = 1, mapUpdate = 2, mapDelete = 3, currentPidTgid = 14, probeReadUser = 112, sendSignalThread = 117
    }

    init(maps: BpfMaps) { self.maps = maps }

    /// The program's instructions; nil when the condition nests deeper than the stack holds.
    static func compile(_ spec: ProbeProgramSpec, maps: BpfMaps) -> [UInt64]? {
        var compiler = BpfConditionCompiler(maps: maps)
        return compiler.program(spec)
    }

    private mutating func program(_ spec: ProbeProgramSpec) -> [UInt64]? {
        let exit = newLabel(), evaluate = newLabel(), unevaluable = newLabel(), report = newLabel()
        move(Self.context, register: 1)
        call(.currentPidTgid)
        move(Self.value, register: 0)
        alu(0x77, Self.value, immediate: 32)                                  // rsh: the tgid
        jump(0x55, Self.value, immediate: spec.processID, to: exit)          // another process (a child sharing the memory)
        emit(BpfInstruction(code: 0x63, destination: Self.frame, source: 0, offset: Self.keyOffset))  // *(u32 *)key = tid
        if let thread = spec.thread {
            emit(BpfInstruction(code: 0xbc, destination: Self.value, source: 0))  // mov32: the tid
            jump(0x55, Self.value, immediate: thread, to: exit)
        }
        // The thread re-executing the instruction after a hit the debugger took: once. Keyed
        // by thread and stack pointer, so a signal handler's own hit (another rsp) in between
        // neither takes nor replaces the interrupted frame's skip.
        emit(BpfInstruction(code: 0x61, destination: 1, source: Self.frame, offset: Self.keyOffset))           // r1 = tid
        emit(BpfInstruction(code: 0x63, destination: Self.frame, source: 1, offset: Self.recordOffset))       // key.tid
        emit(BpfInstruction(code: 0x62, destination: Self.frame, offset: Self.recordOffset + 4, immediate: 0)) // key.pad
        load(1, from: Self.context, offset: 8 * 19)                                                         // rsp
        store(1, at: Self.recordOffset + 8)                                                                 // key.rsp
        loadMap(1, maps.skips)
        pointer(2, to: Self.recordOffset)
        call(.mapLookup)
        jump(0x15, 0, immediate: 0, to: evaluate)
        load(1, from: 0, offset: 0)
        wide(2, spec.address)
        jump(0x5d, 1, register: 2, to: evaluate)                             // jne r1, r2
        loadMap(1, maps.skips)
        pointer(2, to: Self.recordOffset)
        call(.mapDelete)
        jump(0x05, 0, immediate: 0, to: exit)

        place(evaluate)
        moveImmediate(Self.flags, 0)
        guard emitCondition(spec.condition, depth: 0, unevaluable: unevaluable) else { return nil }
        jump(spec.negated ? 0x55 : 0x15, Self.value, immediate: 0, to: exit)  // jne / jeq
        if let slot = spec.passSlot {
            emit(BpfInstruction(code: 0x62, destination: Self.frame, offset: Self.passKeyOffset, immediate: Int32(bitPattern: slot)))
            loadMap(1, maps.passes)
            pointer(2, to: Self.passKeyOffset)
            call(.mapLookup)
            jump(0x15, 0, immediate: 0, to: report)
            moveImmediate(1, -1)
            emit(BpfInstruction(code: 0xdb, destination: 0, source: 1, offset: 0, immediate: 0x01))  // r1 = atomic_fetch_add(*r0, -1)
            jump(0x65, 1, immediate: 1, to: exit)                                                   // jsgt r1, 1: passes left
        }
        if readsMemory {
            // Only a memory read jumps here: the verifier refuses unreachable code.
            jump(0x05, 0, immediate: 0, to: report)
            place(unevaluable)
            moveImmediate(Self.flags, 1)
        }
        place(report)
        wide(1, spec.address)
        store(1, at: Self.recordOffset)
        store(Self.flags, at: Self.recordOffset + 8)
        for slot in 0..<21 {
            load(1, from: Self.context, offset: Int16(8 * slot))
            store(1, at: Self.recordOffset + 16 + Int16(8 * slot))
        }
        loadMap(1, maps.records)
        pointer(2, to: Self.keyOffset)
        pointer(3, to: Self.recordOffset)
        moveImmediate(4, 0)
        call(.mapUpdate)
        // SIGSTOP: a thread cannot block it (a SIGTRAP blocked by a worker thread's mask
        // would wait, its record going stale). Not sent, the record goes.
        moveImmediate(1, 19)
        call(.sendSignalThread)
        jump(0x15, 0, immediate: 0, to: exit)
        loadMap(1, maps.records)
        pointer(2, to: Self.keyOffset)
        call(.mapDelete)

        place(exit)
        moveImmediate(0, 0)
        emit(BpfInstruction(code: 0x95))
        return resolved()
    }

    /// The condition's value into r7; memory that cannot be read jumps to `unevaluable`.
    private mutating func emitCondition(_ condition: MachineCondition, depth: Int, unevaluable: Int) -> Bool {
        guard depth < Self.deepestNesting else { return false }
        switch condition {
        case .constant(let value):
            constant(Self.value, value)
        case .register(let slot, let shift, let mask):
            load(Self.value, from: Self.context, offset: Int16(8 * slot))
            if shift > 0 { alu(0x77, Self.value, immediate: Int32(shift)) }
            if mask != ~0 {
                constant(Self.left, mask)
                alu(0x5f, Self.value, register: Self.left)                   // and r7, r8
            }
        case .load(let address, let size):
            readsMemory = true
            guard emitCondition(address, depth: depth, unevaluable: unevaluable) else { return false }
            emit(BpfInstruction(code: 0x7a, destination: Self.frame, offset: Self.readOffset, immediate: 0))  // *(u64 *)word = 0
            pointer(1, to: Self.readOffset)
            moveImmediate(2, Int32(size))
            move(3, register: Self.value)
            call(.probeReadUser)
            jump(0x55, 0, immediate: 0, to: unevaluable)
            load(Self.value, from: Self.frame, offset: Self.readOffset)
        case .extend(let operand, let bits, let signed):
            guard emitCondition(operand, depth: depth, unevaluable: unevaluable) else { return false }
            if bits < 64 {
                alu(0x67, Self.value, immediate: Int32(64 - bits))                   // lsh
                alu(signed ? 0xc7 : 0x77, Self.value, immediate: Int32(64 - bits))   // arsh / rsh
            }
        case .unary(let op, let operand):
            guard emitCondition(operand, depth: depth, unevaluable: unevaluable) else { return false }
            switch op {
            case .bitwiseNot: alu(0xa7, Self.value, immediate: -1)
            case .negate: emit(BpfInstruction(code: 0x87, destination: Self.value))
            case .logicalNot: truth(0x15)
            }
        case .binary(let op, let left, let right):
            let slot = -Int16(Self.temporaries + 8 * depth)
            guard emitCondition(left, depth: depth, unevaluable: unevaluable) else { return false }
            store(Self.value, at: slot)
            guard emitCondition(right, depth: depth + 1, unevaluable: unevaluable) else { return false }
            load(Self.left, from: Self.frame, offset: slot)
            let arithmetic: [MachineBinary: UInt8] = [.add: 0x0f, .subtract: 0x1f, .multiply: 0x2f, .or: 0x4f, .and: 0x5f,
                                                      .shiftLeft: 0x6f, .shiftRight: 0x7f, .xor: 0xaf, .arithmeticShiftRight: 0xcf]
            let comparisons: [MachineBinary: UInt8] = [.equal: 0x1d, .notEqual: 0x5d, .less: 0xcd, .greater: 0x6d,
                                                       .lessOrEqual: 0xdd, .greaterOrEqual: 0x7d,
                                                       .below: 0xad, .above: 0x2d, .belowOrEqual: 0xbd, .aboveOrEqual: 0x3d]
            if let opcode = arithmetic[op] {
                alu(opcode, Self.left, register: Self.value)
                move(Self.value, register: Self.left)
            } else if let opcode = comparisons[op] {
                // r1 = 1; if (r8 op r7) skip; r1 = 0; r7 = r1
                moveImmediate(1, 1)
                emit(BpfInstruction(code: opcode, destination: Self.left, source: Self.value, offset: 1))
                moveImmediate(1, 0)
                move(Self.value, register: 1)
            }
        }
        return true
    }

    /// r7 = (r7 op 0) ? 1 : 0 for a jump opcode comparing with an immediate.
    private mutating func truth(_ opcode: UInt8) {
        moveImmediate(1, 1)
        emit(BpfInstruction(code: opcode, destination: Self.value, offset: 1, immediate: 0))
        moveImmediate(1, 0)
        move(Self.value, register: 1)
    }

    // MARK: emitting

    private mutating func emit(_ instruction: BpfInstruction) { code.append(.plain(instruction)) }
    private mutating func newLabel() -> Int { labelCount += 1; return labelCount }
    private mutating func place(_ label: Int) { code.append(.label(label)) }
    private mutating func move(_ destination: UInt8, register source: UInt8) { emit(BpfInstruction(code: 0xbf, destination: destination, source: source)) }
    private mutating func moveImmediate(_ destination: UInt8, _ value: Int32) { emit(BpfInstruction(code: 0xb7, destination: destination, immediate: value)) }
    private mutating func alu(_ opcode: UInt8, _ destination: UInt8, immediate: Int32) { emit(BpfInstruction(code: opcode, destination: destination, immediate: immediate)) }
    private mutating func alu(_ opcode: UInt8, _ destination: UInt8, register source: UInt8) { emit(BpfInstruction(code: opcode, destination: destination, source: source)) }
    private mutating func call(_ helper: Helper) { emit(BpfInstruction(code: 0x85, immediate: helper.rawValue)) }
    private mutating func load(_ destination: UInt8, from base: UInt8, offset: Int16) { emit(BpfInstruction(code: 0x79, destination: destination, source: base, offset: offset)) }
    private mutating func store(_ source: UInt8, at offset: Int16) { emit(BpfInstruction(code: 0x7b, destination: Self.frame, source: source, offset: offset)) }
    private mutating func wide(_ destination: UInt8, _ value: UInt64) { code.append(.wide(register: destination, value: value, mapFile: false)) }
    private mutating func loadMap(_ destination: UInt8, _ map: Int32) { code.append(.wide(register: destination, value: UInt64(UInt32(bitPattern: map)), mapFile: true)) }

    /// r = r10 + offset: a pointer to the stack.
    private mutating func pointer(_ destination: UInt8, to offset: Int16) {
        move(destination, register: Self.frame)
        alu(0x07, destination, immediate: Int32(offset))
    }

    /// A 64-bit constant: a sign-extended 32-bit move where it fits, else a wide load.
    private mutating func constant(_ destination: UInt8, _ value: UInt64) {
        if let small = Int32(exactly: Int64(bitPattern: value)) { moveImmediate(destination, small) } else { wide(destination, value) }
    }

    private mutating func jump(_ opcode: UInt8, _ destination: UInt8, immediate: Int32, to label: Int) {
        code.append(.jump(BpfInstruction(code: opcode, destination: destination, immediate: immediate), label: label))
    }

    private mutating func jump(_ opcode: UInt8, _ destination: UInt8, register source: UInt8, to label: Int) {
        code.append(.jump(BpfInstruction(code: opcode, destination: destination, source: source), label: label))
    }

    /// Labels turned into jump offsets (counted in 8-byte slots, a wide load taking two).
    private func resolved() -> [UInt64] {
        var positions: [Int: Int] = [:]
        var position = 0
        for item in code {
            switch item {
            case .label(let label): positions[label] = position
            case .wide: position += 2
            default: position += 1
            }
        }
        var output: [UInt64] = []
        for item in code {
            switch item {
            case .label:
                continue
            case .plain(let instruction):
                output.append(instruction.encoded)
            case .jump(var instruction, let label):
                instruction.offset = Int16(positions[label]! - (output.count + 1))
                output.append(instruction.encoded)
            case .wide(let register, let value, let mapFile):
                output.append(BpfInstruction(code: 0x18, destination: register, source: mapFile ? 1 : 0, immediate: Int32(truncatingIfNeeded: value)).encoded)
                output.append(BpfInstruction(code: 0, immediate: Int32(truncatingIfNeeded: value >> 32)).encoded)
            }
        }
        return output
    }
}
