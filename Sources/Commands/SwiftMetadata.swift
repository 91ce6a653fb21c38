import Arch
import Engine
import Symbols

/// `!swift` — the SOS of Swift: the runtime's metadata read from the target's memory, so it
/// works without DWARF and on core files. `!swift.types Module` lists a module's nominal types
/// (its `swift5_type_metadata` section), `!swift.name2ee Module.Type.method` finds a method,
/// `!swift.dumpmt Module.Class` shows a class's metadata and vtable (`!DumpMT -MD`),
/// `!swift.dumpobj address` a heap object: class, reference counts, stored properties.
/// Layouts are the stable ABI's (Swift 5 on Linux, no Objective-C interop).
extension Interpreter {
    static let swiftCommands: [CommandSpec] = [
        CommandSpec(names: ["!swift.types"], summary: "a module's Swift types: !swift.types module") { i, inv throws(CommandError) in
            let swift = try SwiftMetadata(i)
            let module = try swift.module(String(inv.arguments.trimmed()))
            guard module.symbolFiles?.image.sectionData("swift5_type_metadata") != nil else { throw CommandError("!swift: \(module.name) has no Swift type metadata (swift5_type_metadata)") }
            for type in swift.types(in: module) { i.output.line("  \(type.kind.padding(to: 7)) \(type.name)  descriptor \(formatAddress(type.descriptor))") }
        },
        CommandSpec(names: ["!swift.name2ee"], summary: "a Swift method's symbol and address: !swift.name2ee Module.Type.method") { i, inv throws(CommandError) in
            let name = String(inv.arguments.trimmed())
            guard let process = i.session.process, !name.isEmpty else { throw CommandError("Usage: !swift.name2ee Module.Type.method") }
            var found = 0
            for module in process.modules.modules {
                for symbol in module.symbols where symbol.isFunction && (symbol.name == name || symbol.name.hasPrefix(name + ".")) {
                    i.output.line("Module:      \(module.name)")
                    i.output.line("Method:      \(symbol.fullName ?? symbol.name)")
                    i.output.line("Address:     \(formatAddress(symbol.address &+ module.bias))")
                    found += 1
                }
            }
            if found == 0 { throw CommandError("!swift.name2ee: no method \(name) in the loaded modules") }
        },
        CommandSpec(names: ["!swift.dumpmt"], summary: "a Swift class's metadata and vtable: !swift.dumpmt Module.Class") { i, inv throws(CommandError) in
            let swift = try SwiftMetadata(i)
            try swift.dumpClass(String(inv.arguments.trimmed()))
        },
        CommandSpec(names: ["!swift.dumpobj"], summary: "a Swift heap object: !swift.dumpobj address") { i, inv throws(CommandError) in
            let swift = try SwiftMetadata(i)
            try swift.dumpObject(try i.evaluate(inv.arguments.trimmed()))
        },
    ]
}

/// Reads Swift's runtime metadata through the session's memory.
struct SwiftMetadata {
    /// A nominal type's context descriptor: its kind, qualified name and address.
    struct TypeDescriptor {
        let descriptor: UInt64
        let kind: String
        let name: String
    }

    let interpreter: Interpreter

    init(_ interpreter: Interpreter) throws(CommandError) {
        self.interpreter = interpreter
        _ = try interpreter.requireProcess()
    }

    private var session: Session { interpreter.session }
    private var output: Output { interpreter.output }

    private func u32(_ address: UInt64) -> UInt32 {
        let bytes = session.readMemory(address, count: 4)
        return bytes.count == 4 ? UInt32(truncatingIfNeeded: bytes.littleEndian(at: 0, size: 4)) : 0
    }

    private func word(_ address: UInt64) -> UInt64 {
        let bytes = session.readMemory(address, count: 8)
        return bytes.count == 8 ? bytes.littleEndian(at: 0) : 0
    }

    /// A relative pointer: a signed 32-bit offset from its own address (0: none).
    private func relative(_ address: UInt64) -> UInt64? {
        let offset = Int32(bitPattern: u32(address))
        return offset == 0 ? nil : address &+ UInt64(bitPattern: Int64(offset))
    }

    private func cString(_ address: UInt64?) -> String {
        guard let address else { return "" }
        return String(decoding: session.readMemory(address, count: 256).prefix { $0 != 0 }, as: UTF8.self)
    }

    /// A mangled type name (a field's, a superclass's) in words; symbolic references (bytes
    /// 1–0x17 that point at a descriptor) are followed for the common direct case.
    private func typeName(_ address: UInt64?) -> String {
        guard let address else { return "?" }
        let bytes = session.readMemory(address, count: 128)
        if let first = bytes.first, (1...0x17).contains(first), first == 1, let target = relative(address + 1) {
            return qualifiedName(target)
        }
        let mangled = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        let builtin = ["Si": "Swift.Int", "Sd": "Swift.Double", "Sf": "Swift.Float", "Sb": "Swift.Bool", "SS": "Swift.String", "Su": "Swift.UInt", "s5Int32V": "Swift.Int32"]
        if let known = builtin[mangled] { return known }
        return Demangler.demangle("$s" + mangled)?.full ?? mangled
    }

    func module(_ name: String) throws(CommandError) -> Module {
        guard !name.isEmpty else { throw CommandError("Usage: !swift.types module") }
        guard let module = session.process?.modules.module(named: name) else { throw CommandError("!swift: no module named \(name) is loaded") }
        return module
    }

    /// The module's `swift5_type_metadata` entries: relative pointers to type descriptors (bit 0: to
    /// a pointer to one).
    func types(in module: Module) -> [TypeDescriptor] {
        guard let section = module.symbolFiles?.image.sectionData("swift5_type_metadata") else { return [] }
        let base = section.address &+ module.bias
        return (0..<section.bytes.count / 4).compactMap { index in
            let entry = base &+ UInt64(4 * index)
            let raw = Int32(bitPattern: u32(entry))
            var descriptor = entry &+ UInt64(bitPattern: Int64(raw & ~3))
            if raw & 1 != 0 { descriptor = word(descriptor) }
            return descriptor == 0 ? nil : TypeDescriptor(descriptor: descriptor, kind: kindName(u32(descriptor) & 0x1f), name: qualifiedName(descriptor))
        }
    }

    private func kindName(_ kind: UInt32) -> String {
        switch kind {
        case 16: "class"
        case 17: "struct"
        case 18: "enum"
        case 3: "protocol"
        case 0: "module"
        case 1: "extension"
        default: "kind \(kind)"
        }
    }

    /// `Module.Outer.Type`: the descriptor's name and its parents' up to the module.
    func qualifiedName(_ descriptor: UInt64) -> String {
        var parts: [String] = []
        var current: UInt64? = descriptor
        var depth = 0
        while let node = current, depth < 16 {
            let kind = u32(node) & 0x1f
            // Modules, classes, structs, enums and protocols have a name at +8.
            if [0, 3, 16, 17, 18].contains(kind) { parts.insert(cString(relative(node &+ 8)), at: 0) }
            current = relative(node &+ 4)
            depth += 1
        }
        return parts.joined(separator: ".")
    }

    /// A type's descriptor by its qualified name, from the modules' `swift5_type_metadata`.
    private func descriptor(named name: String) throws(CommandError) -> TypeDescriptor {
        guard let process = session.process else { throw CommandError("!swift: no process") }
        let moduleName = String(name.split(separator: ".").first ?? "")
        let modules = process.modules.module(named: moduleName).map { [$0] } ?? process.modules.modules
        for module in modules {
            if let found = types(in: module).first(where: { $0.name == name }) { return found }
        }
        throw CommandError("!swift: no type \(name) in the loaded modules' Swift type metadata")
    }

    /// The class descriptor's trailing parts: its vtable (offset in the metadata and its
    /// method descriptors' implementations) and override table, after the optional
    /// resilient superclass and metadata initialization records.
    private func vtable(_ descriptor: UInt64) -> (offset: UInt32, methods: [UInt64])? {
        let flags = u32(descriptor) >> 16
        guard flags & 0x8000 != 0 else { return nil }
        var cursor = descriptor &+ 44
        if flags & 0x2000 != 0 { cursor &+= 4 }  // a resilient superclass
        switch flags & 3 {
        case 1: cursor &+= 12  // singleton metadata initialization
        case 2: cursor &+= 4   // foreign metadata initialization
        default: break
        }
        let offset = u32(cursor), count = Int(min(u32(cursor &+ 4), 4096))
        let methods = (0..<count).compactMap { index in relative(cursor &+ 8 &+ UInt64(8 * index) &+ 4) }
        return (offset, methods)
    }

    /// `!swift.dumpmt Module.Class`.
    func dumpClass(_ name: String) throws(CommandError) {
        guard !name.isEmpty else { throw CommandError("Usage: !swift.dumpmt Module.Class") }
        let type = try descriptor(named: name)
        guard type.kind == "class" else { throw CommandError("!swift.dumpmt: \(name) is a \(type.kind), not a class") }
        output.line("Name:               \(type.name)")
        output.line("Descriptor:         \(formatAddress(type.descriptor))")
        output.line("Superclass:         \(relative(type.descriptor &+ 20).map { typeName($0) } ?? "(none)")")
        if let metadata = metadataAddress(of: type) {
            output.line("Metadata:           \(formatAddress(metadata))")
            output.line("Instance size:      \(u32(metadata &+ 24))")
        } else {
            output.line("Metadata:           (not instantiated: no type metadata symbol)")
        }
        output.line("Stored properties:  \(u32(type.descriptor &+ 36))")
        guard let table = vtable(type.descriptor) else {
            output.line("VTable:             none of its own (final, or only overrides)")
            return
        }
        output.line("VTable:             \(table.methods.count) entries at word \(table.offset) of the metadata")
        output.line("   Entry            MethodDesc Impl   Name")
        for (index, method) in table.methods.enumerated() {
            output.line("   \(String(Int(table.offset) + index).leftPadded(to: 5))  \(formatAddress(method))  \(session.symbolize(method) ?? "?")")
        }
    }

    /// The type metadata of a non-generic class: its `…CN` symbol (the descriptor's `…CMn`).
    private func metadataAddress(of type: TypeDescriptor) -> UInt64? {
        guard let process = session.process, let module = process.modules.module(containing: type.descriptor),
              let symbol = module.symbol(at: type.descriptor), symbol.offset == 0 else { return nil }
        let linkage = symbol.symbol.linkageName
        guard linkage.hasSuffix("Mn") else { return nil }
        return module.address(of: String(linkage.dropLast(2)) + "N")
    }

    /// `!swift.dumpobj addr`: the object's class (its isa's descriptor), reference counts and
    /// stored properties, superclass ones first, each at the offset the metadata's field
    /// offset vector gives.
    func dumpObject(_ address: UInt64) throws(CommandError) {
        let isa = word(address)
        let description = word(isa &+ 40)
        guard isa != 0, description != 0, u32(description) & 0x1f == 16 else {
            throw CommandError("!swift.dumpobj: \(formatAddress(address)) is not a Swift object (its first word is no class metadata)")
        }
        let refCounts = word(address &+ 8)
        output.line("Object:             \(formatAddress(address))")
        output.line("Class:              \(qualifiedName(description))")
        output.line("Metadata:           \(formatAddress(isa))")
        output.line("Instance size:      \(u32(isa &+ 24))")
        output.line("Strong references:  \((refCounts >> 33) + 1)")
        output.line("Unowned references: \((refCounts >> 1) & 0x7fff_ffff)")
        output.line("Fields:")
        var chain: [(metadata: UInt64, descriptor: UInt64)] = []
        var metadata = isa
        while metadata != 0, chain.count < 32 {
            let descriptor = word(metadata &+ 40)
            guard descriptor != 0, u32(descriptor) & 0x1f == 16 else { break }
            chain.insert((metadata, descriptor), at: 0)
            metadata = word(metadata &+ 8)
        }
        for (classMetadata, descriptor) in chain {
            guard let fields = relative(descriptor &+ 16) else { continue }
            let count = Int(min(u32(fields &+ 12), 1024)), recordSize = Int(u32(fields &+ 8) >> 16)
            let vector = classMetadata &+ UInt64(u32(descriptor &+ 40)) &* 8
            for index in 0..<count {
                let record = fields &+ 16 &+ UInt64(max(12, recordSize) * index)
                let name = cString(relative(record &+ 8))
                let type = typeName(relative(record &+ 4))
                let offset = word(vector &+ UInt64(8 * index))
                output.line("   +0x\(String(offset, radix: 16).leftPadded(to: 3, with: "0")) \(name.padding(to: 16)) : \(type.padding(to: 14)) \(value(at: address &+ offset, type: type))")
            }
        }
    }

    /// A stored property's value, for the standard library's simple types.
    private func value(at address: UInt64, type: String) -> String {
        switch type {
        case "Swift.Int": return String(Int64(bitPattern: word(address)))
        case "Swift.UInt": return String(word(address))
        case "Swift.Double": return String(Double(bitPattern: word(address)))
        case "Swift.Bool": return (session.readMemory(address, count: 1).first ?? 0) != 0 ? "true" : "false"
        case "Swift.String": return stringValue(at: address)
        default: return formatAddress(word(address))
        }
    }

    /// A `String`'s 16 bytes: a small string (discriminator 0xE0 in the last byte, ASCII,
    /// the count in its low nibble) inline; a native large one from its storage.
    private func stringValue(at address: UInt64) -> String {
        let bytes = session.readMemory(address, count: 16)
        guard bytes.count == 16 else { return "?" }
        let discriminator = bytes[15] & 0xf0
        if discriminator == 0xe0 || discriminator == 0xa0 {
            return "\"" + String(decoding: bytes.prefix(Int(bytes[15] & 0x0f)), as: UTF8.self) + "\""
        }
        let count = Int(bytes.littleEndian(at: 0) & 0xffff_ffff_ffff)
        let object = bytes.littleEndian(at: 8) & 0x0fff_ffff_ffff_ffff
        guard count <= 4096 else { return "<String of \(count) bytes>" }
        // A native string's characters follow its storage object's 32-byte header.
        return "\"" + String(decoding: session.readMemory(object &+ 32, count: count), as: UTF8.self) + "\""
    }
}
