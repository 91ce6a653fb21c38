import Arch
import Engine
import Symbols

/// `dt`: a type's layout in WinDbg's form (`+0x000 value : Int4B`), or a variable or an
/// address shown through it, with `-r` expanding nested structures.
extension Interpreter {
    static let typeCommands: [CommandSpec] = [
        CommandSpec(names: ["dt"], summary: "display type: dt [-r] type [address], dt [-r] variable") { i, inv throws(CommandError) in try i.displayType(inv) },
    ]

    private func displayType(_ invocation: Invocation) throws(CommandError) {
        let process = try requireProcess()
        var scanner = invocation.scanner
        var recursive = false
        if scanner.rest.hasPrefix("-r"), let flag = scanner.word() { recursive = flag.count >= 2 }
        guard let word = scanner.word() else { throw CommandError("Usage: dt [-r] type [address] | dt [-r] variable") }
        let (moduleName, name) = splitPattern(String(word))
        let modules = moduleName == "*" ? process.modules.searchOrder : process.modules.searchOrder.filter { $0.name.lowercased() == moduleName.lowercased() }
        // A variable first (a global, then a local of the current frame), then a type.
        for module in modules {
            guard let files = module.symbolFiles else { continue }
            if scanner.isAtEnd, let global = files.globalVariable(named: name, bias: module.bias) {
                output.line("\(module.name)!\(global.type.name)")
                printMembers(global.type, at: global.address, indent: 3, recursive: recursive)
                return
            }
        }
        if scanner.isAtEnd, let local = try localVariable(named: name) {
            for module in modules {
                guard let layout = module.symbolFiles?.typeLayout(named: local.typeName) else { continue }
                output.line("Local var @ \(formatAddress(local.address)) Type \(layout.name)")
                printMembers(layout, at: local.address, indent: 3, recursive: recursive)
                return
            }
        }
        for module in modules {
            guard let layout = module.symbolFiles?.typeLayout(named: name) else { continue }
            let address = scanner.isAtEnd ? nil : try expression(&scanner)
            output.line("\(module.name)!\(layout.name)")
            printMembers(layout, at: address, indent: 3, recursive: recursive)
            return
        }
        throw CommandError("Symbol \(word) not found.")
    }

    /// A local of the `.frame` frame that lives in memory.
    private func localVariable(named name: String) throws(CommandError) -> (address: UInt64, typeName: String)? {
        let process = try requireProcess()
        let frames = session.unwind(process.current, maxFrames: frameIndex + 1)
        guard frameIndex < frames.count, let (_, values) = session.parameters(of: frames[frameIndex], includeLocals: true),
              let value = values.last(where: { $0.name == name }), case .memory(let address) = value.location else { return nil }
        return (address, value.typeName)
    }

    /// `+0x000 name : type-or-value`, members of nested records indented with `-r`.
    private func printMembers(_ layout: TypeLayout, at address: UInt64?, indent: Int, recursive: Bool) {
        guard layout.kind == .record else {
            if let address { output.line(String(repeating: " ", count: indent) + value(of: layout, at: address, bits: nil)) }
            return
        }
        for member in layout.members {
            var line = String(repeating: " ", count: indent) + "+0x\(zeroPaddedHex(UInt64(member.offset), digits: 3)) \(member.name.padding(to: 16)) : "
            let memberAddress = address.map { $0 &+ UInt64(member.offset) }
            if let bitSize = member.bitSize {
                let position = member.bitOffset ?? 0
                line += memberAddress.map { value(of: member.type, at: $0, bits: (position, bitSize)) }
                    ?? "Pos \(position), \(bitSize) Bit\(bitSize == 1 ? "" : "s")"
            } else if let memberAddress {
                line += value(of: member.type, at: memberAddress, bits: nil)
            } else {
                line += member.type.display
            }
            output.line(line)
            if recursive, member.type.kind == .record {
                printMembers(member.type, at: memberAddress, indent: indent + 3, recursive: recursive)
            }
        }
    }

    /// A value as dt prints it: `0n5`, `0x1f`, `0n120 'x'`, `0y101` for bitfields, a pointer
    /// with its target type, `[4] 0n1` for arrays (the first element), a record by type name.
    private func value(of type: TypeLayout, at address: UInt64, bits: (offset: Int, size: Int)?) -> String {
        let size = type.kind == .array ? 0 : type.size
        let bytes = size > 0 ? session.readMemory(address, count: size) : []
        guard type.kind == .record || type.kind == .array || (bytes.count == size && size <= 8) else { return "????" }
        let raw = size > 0 ? bytes.littleEndian(at: 0, size: size) : 0
        if let bits {
            let field = (raw >> UInt64(bits.offset)) & ((1 << UInt64(bits.size)) - 1)
            return "0y" + String(field, radix: 2).leftPadded(to: bits.size, with: "0")
        }
        switch type.kind {
        case .signed, .enumeration:
            let shift = UInt64(64 - 8 * size)
            return "0n\(Int64(bitPattern: raw << shift) >> Int64(shift))"
        case .character:
            let printable = raw >= 0x20 && raw < 0x7f ? " '\(Character(UnicodeScalar(UInt8(raw))))'" : ""
            return "0n\(Int8(bitPattern: UInt8(raw)))\(printable)"
        case .float:
            return size == 4 ? formatShortFloat(Float(bitPattern: UInt32(raw))) : cFormat("%g", Double(bitPattern: raw))
        case .pointer:
            return "\(formatAddress(raw)) \(type.display.dropFirst(6))"
        case .array:
            // WinDbg shows an array by its count and first element.
            let first = type.elementType.map { value(of: $0, at: address, bits: nil) } ?? "????"
            return "\(type.display.prefix { $0 != " " }) \(first)"
        case .record:
            return type.name
        case .unsigned, .other:
            return "0x" + String(raw, radix: 16)
        }
    }
}
