import Arch

/// gdb's agent expressions (the bytecode a `Z0,addr,kind;Xlen,bytes` condition carries when
/// the server says `ConditionalBreakpoints+`) as MASM text for the engine's breakpoint
/// conditions — which the engine may run in the kernel — so a false hit reaches neither gdb
/// nor, where BPF can take it, swdbg. Straight-line code only (no gotos, no tracing); a
/// bytecode with anything else is refused, and gdb is told so.
enum AgentExpression {
    /// The condition as MASM, or nil for bytecode this translation does not take.
    /// `register` names gdb's register numbers (the server's target description).
    static func masm(_ code: [UInt8], register: (Int) -> String?) -> String? {
        var stack: [String] = []
        var index = 0
        func take(_ count: Int) -> UInt64? {
            guard index + count <= code.count else { return nil }
            let value = code[index..<index + count].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }  // big-endian
            index += count
            return value
        }
        func pop() -> String? { stack.popLast() }
        func binary(_ operation: (String, String) -> String) -> Bool {
            guard let right = pop(), let left = pop() else { return false }
            stack.append(operation(left, right))
            return true
        }
        let sign = "0x8000000000000000"
        while index < code.count {
            let op = code[index]
            index += 1
            var ok = true
            switch op {
            case 0x02: ok = binary { "(\($0) + \($1))" }
            case 0x03: ok = binary { "(\($0) - \($1))" }
            case 0x04: ok = binary { "(\($0) * \($1))" }
            case 0x06: ok = binary { "(\($0) / \($1))" }
            case 0x08: ok = binary { "(\($0) % \($1))" }
            case 0x09: ok = binary { "(\($0) << \($1))" }
            case 0x0b: ok = binary { "(\($0) >> \($1))" }
            case 0x0e: if let value = pop() { stack.append("(\(value) == 0)") } else { ok = false }
            case 0x0f: ok = binary { "(\($0) & \($1))" }
            case 0x10: ok = binary { "(\($0) | \($1))" }
            case 0x11: ok = binary { "(\($0) ^ \($1))" }
            case 0x12: if let value = pop() { stack.append("(\(value) ^ 0xffffffffffffffff)") } else { ok = false }
            case 0x13: ok = binary { "(\($0) == \($1))" }
            case 0x14: ok = binary { "(\($0) < \($1))" }
            // Unsigned: MASM compares signed; flipping the sign bit of both orders them as unsigned.
            case 0x15: ok = binary { "((\($0) ^ \(sign)) < (\($1) ^ \(sign)))" }
            case 0x16, 0x2a:
                guard let bits = take(1), (1...64).contains(bits), let value = pop() else { ok = false; break }
                if bits == 64 { stack.append(value); break }
                let mask = "0x" + String(bitMask(Int(bits)), radix: 16)
                if op == 0x2a {
                    stack.append("(\(value) & \(mask))")
                } else {
                    let top = "0x" + String(UInt64(1) << (bits - 1), radix: 16)
                    stack.append("(((\(value) & \(mask)) ^ \(top)) - \(top))")
                }
            case 0x17, 0x18, 0x19, 0x1a:
                guard let address = pop() else { ok = false; break }
                stack.append(["by", "wo", "dwo", "qwo"][Int(op - 0x17)] + "(\(address))")
            case 0x22, 0x23, 0x24, 0x25:
                guard let value = take([1, 2, 4, 8][Int(op - 0x22)]) else { ok = false; break }
                stack.append("0x" + String(value, radix: 16))
            case 0x26:
                guard let number = take(2), let name = register(Int(number)) else { ok = false; break }
                stack.append("@" + name)
            case 0x27:
                return stack.count == 1 ? stack[0] : nil
            case 0x28:
                if let top = stack.last { stack.append(top) } else { ok = false }
            case 0x29:
                ok = pop() != nil
            case 0x2b:
                guard stack.count >= 2 else { ok = false; break }
                stack.swapAt(stack.count - 1, stack.count - 2)
            default:
                // Signed division and remainder, floats, gotos, variables, tracing, printf.
                return nil
            }
            guard ok else { return nil }
        }
        return nil
    }
}
