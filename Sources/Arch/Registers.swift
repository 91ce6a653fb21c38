/// The x86-64 general register file, laid out exactly like Linux's `struct user_regs_struct`
/// so a backend can copy it in one move, with WinDbg's names on top.
public struct X86Registers: Sendable, Equatable {
    /// Slots in `user_regs_struct` order.
    public var slots: [UInt64]

    public static let slotNames = [
        "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
        "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "efl", "rsp",
        "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
    ]
    static let slotIndex: [String: Int] = Dictionary(uniqueKeysWithValues: slotNames.enumerated().map { ($1, $0) })

    public init(slots: [UInt64]) {
        precondition(slots.count == Self.slotNames.count)
        self.slots = slots
    }

    public init() { self.init(slots: Array(repeating: 0, count: Self.slotNames.count)) }

    public var rip: UInt64 { get { slots[16] } set { slots[16] = newValue } }
    public var rsp: UInt64 { get { slots[19] } set { slots[19] = newValue } }
    public var rbp: UInt64 { get { slots[4] } set { slots[4] = newValue } }
    public var rax: UInt64 { get { slots[10] } set { slots[10] = newValue } }
    public var eflags: UInt64 { get { slots[18] } set { slots[18] = newValue } }

    /// Reads a register by WinDbg name: 64-bit names, their 32/16/8-bit parts and single flags.
    public func value(named name: String) -> UInt64? {
        guard let view = RegisterView.lookup(name) else { return nil }
        return view.read(slots)
    }

    /// Writes a register by name, merging sub-register writes into the full register
    /// (a 32-bit write zero-extends, as on the CPU).
    @discardableResult
    public mutating func setValue(_ value: UInt64, named name: String) -> Bool {
        guard let view = RegisterView.lookup(name) else { return false }
        view.write(value, into: &slots)
        return true
    }

    /// Every name `value(named:)` knows (for completion), 64-bit registers first.
    public static var names: [String] {
        slotNames + RegisterView.table.keys.filter { !slotNames.contains($0) }.sorted()
    }

    /// Width in bits of a named register (64 for rax, 8 for al, 1 for a flag).
    public static func width(of name: String) -> Int? { RegisterView.lookup(name).map { Int($0.width) } }

    /// Where a named register lives in the register file: `(slots[slot] >> shift) & mask`
    /// (`edi` is rdi's low 32 bits, `ah` bits 8–15 of rax, `zf` one bit of the flags).
    public static func location(of name: String) -> (slot: Int, shift: UInt64, mask: UInt64)? {
        RegisterView.lookup(name).map { ($0.slot, $0.shift, $0.mask) }
    }

    /// The value of a DWARF register number (0 rax … 16 return address), as the CFI unwinder needs.
    public func value(dwarf number: Int) -> UInt64? {
        guard let name = DwarfRegister.name(number) else { return nil }
        return value(named: name)
    }
}

/// DWARF register numbering for x86-64 (System V psABI, figure 3.36).
public enum DwarfRegister {
    static let names = ["rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
                        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"]
    public static let returnAddress = 16
    public static let stackPointer = 7
    public static let framePointer = 6
    public static func name(_ number: Int) -> String? { number >= 0 && number < names.count ? names[number] : nil }
}

/// A named window (bits `shift..<shift+width`) onto one slot of the register file.
struct RegisterView {
    let slot: Int
    let shift: UInt64
    let width: UInt64
    /// 32-bit writes clear the upper half, as the CPU does.
    let zeroExtends: Bool

    var mask: UInt64 { width == 64 ? ~0 : ((1 << width) - 1) }

    func read(_ slots: [UInt64]) -> UInt64 { (slots[slot] >> shift) & mask }

    func write(_ value: UInt64, into slots: inout [UInt64]) {
        if zeroExtends { slots[slot] = value & mask; return }
        slots[slot] = (slots[slot] & ~(mask << shift)) | ((value & mask) << shift)
    }

    static func lookup(_ name: String) -> RegisterView? { table[name] }

    static let table: [String: RegisterView] = {
        var table: [String: RegisterView] = [:]
        func add(_ name: String, _ full: String, shift: UInt64 = 0, width: UInt64, zeroExtends: Bool = false) {
            table[name] = RegisterView(slot: X86Registers.slotIndex[full]!, shift: shift, width: width, zeroExtends: zeroExtends)
        }
        for name in X86Registers.slotNames { add(name, name, width: 64) }
        add("rflags", "efl", width: 64)
        add("fsbase", "fs_base", width: 64)
        add("gsbase", "gs_base", width: 64)
        for (letter, full) in [("a", "rax"), ("b", "rbx"), ("c", "rcx"), ("d", "rdx")] {
            add("e\(letter)x", full, width: 32, zeroExtends: true)
            add("\(letter)x", full, width: 16)
            add("\(letter)l", full, width: 8)
            add("\(letter)h", full, shift: 8, width: 8)
        }
        for (short, full) in [("si", "rsi"), ("di", "rdi"), ("bp", "rbp"), ("sp", "rsp")] {
            add("e\(short)", full, width: 32, zeroExtends: true)
            add(short, full, width: 16)
            add("\(short)l", full, width: 8)
        }
        add("eip", "rip", width: 32, zeroExtends: true)
        add("ip", "rip", width: 16)
        for n in 8...15 {
            add("r\(n)d", "r\(n)", width: 32, zeroExtends: true)
            add("r\(n)w", "r\(n)", width: 16)
            add("r\(n)b", "r\(n)", width: 8)
        }
        for flag in CPUFlag.allCases { add(flag.rawValue, "efl", shift: UInt64(flag.bit), width: 1) }
        return table
    }()
}

/// The flags WinDbg shows by two-letter state in the register block.
public enum CPUFlag: String, CaseIterable, Sendable {
    case of, df, `if`, sf, zf, af, pf, cf, tf

    public var bit: Int {
        switch self {
        case .cf: 0
        case .pf: 2
        case .af: 4
        case .zf: 6
        case .sf: 7
        case .tf: 8
        case .if: 9
        case .df: 10
        case .of: 11
        }
    }
}

/// WinDbg's flags line: `iopl=0         nv up ei pl zr na pe nc`.
public func formatFlags(_ eflags: UInt64) -> String {
    func bit(_ flag: CPUFlag) -> Bool { eflags & (1 << UInt64(flag.bit)) != 0 }
    let states = [
        bit(.of) ? "ov" : "nv", bit(.df) ? "dn" : "up", bit(.if) ? "ei" : "di",
        bit(.sf) ? "ng" : "pl", bit(.zf) ? "zr" : "nz", bit(.af) ? "ac" : "na",
        bit(.pf) ? "pe" : "po", bit(.cf) ? "cy" : "nc",
    ]
    let iopl = "iopl=\((eflags >> 12) & 3)"
    return iopl.padding(to: 15) + states.joined(separator: " ")
}

/// WinDbg's x64 register block (without the trailing symbol and instruction lines).
public func formatRegisterBlock(_ r: X86Registers) -> String {
    func reg(_ name: String) -> String {
        let label = name.count == 2 ? " \(name)" : name
        return "\(label)=\(zeroPaddedHex(r.value(named: name) ?? 0, digits: 16))"
    }
    let rows = [["rax", "rbx", "rcx"], ["rdx", "rsi", "rdi"], ["rip", "rsp", "rbp"],
                ["r8", "r9", "r10"], ["r11", "r12", "r13"], ["r14", "r15"]]
    var lines = rows.map { $0.map(reg).joined(separator: " ") }
    lines.append(formatFlags(r.eflags))
    let segments = ["cs", "ss", "ds", "es", "fs", "gs"].map { "\($0)=\(zeroPaddedHex(r.value(named: $0) ?? 0, digits: 4))" }
    lines.append(segments.joined(separator: "  ") + "             efl=\(zeroPaddedHex(r.eflags, digits: 8))")
    return lines.joined(separator: "\n")
}

