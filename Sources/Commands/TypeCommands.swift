import Arch
import Engine
import Symbols
import Values

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
        // A variable first (a local of the `.frame` frame, then a global), then a type.
        if scanner.isAtEnd, moduleName == "*", let (value, files) = try localVariable(named: name) {
            showLocal(value, files: files, recursive: recursive)
            return
        }
        if scanner.isAtEnd, let global = SessionContext(self).global(named: name, in: modules), let files = global.files,
           let module = process.modules.modules.first(where: { $0.symbolFiles === files }) {
            output.line("\(module.name)!\(global.type.name)")
            printMembers(global.type, at: global.address.map(ValuePlace.memory) ?? .held(global.bytes), indent: 3, recursive: recursive)
            return
        }
        for module in modules {
            guard let layout = module.symbolFiles?.typeLayout(named: name) else { continue }
            let address = scanner.isAtEnd ? nil : try expression(&scanner)
            output.line("\(module.name)!\(layout.name)")
            printMembers(layout, at: address.map(ValuePlace.memory), indent: 3, recursive: recursive)
            return
        }
        throw CommandError("Symbol \(word) not found.")
    }

    /// A parameter or local of the `.frame` frame, and the symbols of its module.
    private func localVariable(named name: String) throws(CommandError) -> (VariableValue, ModuleSymbols)? {
        guard let (values, files) = try? selectedFrameVariables(), let files, let value = values.last(where: { $0.name == name }) else { return nil }
        return (value, files)
    }

    /// `Local var @ where Type name`, then the value: a record's members, a pointer's target
    /// record, or the scalar.
    private func showLocal(_ value: VariableValue, files: ModuleSymbols, recursive: Bool) {
        let place: String = switch value.location {
        case .memory(let address): formatAddress(address)
        case .register(let name): name
        case .computed: "<computed>"
        case nil: "<unavailable>"
        }
        output.line("Local var @ \(place) Type \(value.type.cName)")
        guard let bytes = value.bytes, !bytes.isEmpty else {
            output.line("   <value unavailable>")
            return
        }
        if value.type.kind == .pointer, let offset = value.type.referenceOffset, let target = files.layout(atOffset: offset), target.kind == .record {
            let address = bytes.littleEndian(at: 0, size: min(8, bytes.count))
            output.line(formatAddress(address))
            printMembers(target, at: .memory(address), indent: 3, recursive: recursive)
        } else if case .memory(let address) = value.location {
            printMembers(files.expanded(value.type), at: .memory(address), indent: 3, recursive: recursive)
        } else if value.type.kind == .record {
            // A record the optimizer keeps in registers, assembled from its pieces.
            printMembers(files.expanded(value.type), at: .held(bytes), indent: 3, recursive: recursive)
        } else {
            output.line("   " + formatValue(value, files: files))
        }
    }

    /// `+0x000 name : type-or-value`, members of nested records indented with `-r`.
    func printMembers(_ layout: TypeLayout, at place: ValuePlace?, indent: Int, recursive: Bool) {
        guard layout.kind == .record else {
            if let place { output.line(String(repeating: " ", count: indent) + value(of: layout, at: place, bits: nil)) }
            return
        }
        for member in layout.members {
            var line = String(repeating: " ", count: indent) + "+0x\(zeroPaddedHex(UInt64(member.offset), digits: 3)) \(member.name.padding(to: 16)) : "
            let memberPlace = place?.advanced(by: member.offset)
            if let bitSize = member.bitSize {
                // A bitfield whose position the DWARF does not give usably is not guessed.
                guard let position = member.bitOffset else {
                    output.line(line + "????")
                    continue
                }
                line += memberPlace.map { value(of: member.type, at: $0, bits: (position, bitSize)) }
                    ?? "Pos \(position), \(bitSize) Bit\(bitSize == 1 ? "" : "s")"
            } else if let memberPlace {
                line += value(of: member.type, at: memberPlace, bits: nil)
            } else {
                line += member.type.windbgName
            }
            output.line(line)
            if recursive, member.type.kind == .record {
                printMembers(member.type, at: memberPlace, indent: indent + 3, recursive: recursive)
            }
        }
    }

    /// A value as dt prints it: `0n5`, `0x1f`, `0n120 'x'`, `0y101` for bitfields, a pointer
    /// with its target type, `[4] 0n1` for arrays (the first element), a record by type name.
    private func value(of type: TypeLayout, at place: ValuePlace, bits: (offset: Int, size: Int)?) -> String {
        if let bits {
            // The bytes that hold the field, which may run past its type's storage unit.
            let count = (bits.offset + bits.size + 7) / 8
            let bytes = count <= 8 ? place.read(count, memoryReader) : []
            guard bytes.count == count, count > 0 else { return "????" }
            let field = (bytes.littleEndian(at: 0, size: count) >> UInt64(bits.offset)) & bitMask(bits.size)
            return "0y" + String(field, radix: 2).leftPadded(to: bits.size, with: "0")
        }
        switch type.kind {
        case .array:
            // WinDbg shows an array by its count and first element; characters as their text.
            let count = "[\(type.count)]"
            if let element = type.elementType, let unit = element.text, element.size == unit.size, type.size <= 1 << 20 {
                return "\(count)  " + values.quotedText(place.read(type.size, memoryReader), unit: unit, name: element.cName).text
            }
            let first = type.elementType.map { value(of: $0, at: place, bits: nil) } ?? "????"
            return "\(count) \(first)"
        case .record:
            return type.name
        case .pointer:
            let bytes = place.read(8, memoryReader)
            guard bytes.count == 8 else { return "????" }
            if let element = type.elementType, let unit = element.text, bytes.littleEndian(at: 0) != 0 {
                return "\(formatAddress(bytes.littleEndian(at: 0)))  " + values.pointedText(bytes.littleEndian(at: 0), unit: unit, name: element.cName)
            }
            return "\(formatAddress(bytes.littleEndian(at: 0))) \(type.windbgName.dropFirst(6))"
        default:
            return values.valueText(type, bytes: place.read(min(type.size, 32), memoryReader))
        }
    }
}
