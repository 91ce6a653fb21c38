import Arch

/// The kernel's own type information (`.BTF`, CONFIG_DEBUG_INFO_BTF): every struct, union,
/// enum and typedef of vmlinux in a compact form, so `dt task_struct` works without a debug
/// package. Read into the layouts `dt` prints, as DWARF's are (ids take the DIE offsets'
/// place in `referenceOffset`).
public final class BTFTypes {
    /// One type record: its kind and the words after the common header.
    private struct Record {
        let kind: UInt32
        let nameOffset: UInt32
        let vlen: Int
        let kindFlag: Bool
        /// Size for ints, enums, structs and unions; a type id for the rest.
        let sizeOrType: UInt32
        /// Where the kind's extra data begins in the type section.
        let extra: Int
    }

    private let types: [UInt8]
    private let strings: [UInt8]
    private var records: [Record] = [Record(kind: 0, nameOffset: 0, vlen: 0, kindFlag: false, sizeOrType: 0, extra: 0)]  // id 0: void
    private var byName: [String: Int] = [:]

    /// Parses the section; nil where it is not BTF (wrong magic, ranges past its end).
    public init?(_ section: [UInt8]) {
        guard section.count >= 24, section.littleEndian(at: 0, size: 2) == 0xeb9f else { return nil }
        let headerLength = Int(section.littleEndian(at: 4, size: 4))
        let typeOffset = Int(section.littleEndian(at: 8, size: 4)), typeLength = Int(section.littleEndian(at: 12, size: 4))
        let stringOffset = Int(section.littleEndian(at: 16, size: 4)), stringLength = Int(section.littleEndian(at: 20, size: 4))
        let typeStart = headerLength + typeOffset, stringStart = headerLength + stringOffset
        guard typeStart >= 0, stringStart >= 0, typeStart + typeLength <= section.count, stringStart + stringLength <= section.count else { return nil }
        types = Array(section[typeStart..<typeStart + typeLength])
        strings = Array(section[stringStart..<stringStart + stringLength])
        var position = 0
        while position + 12 <= types.count {
            let info = UInt32(types.littleEndian(at: position + 4, size: 4))
            let kind = (info >> 24) & 0x1f, vlen = Int(info & 0xffff)
            let record = Record(kind: kind, nameOffset: UInt32(types.littleEndian(at: position, size: 4)), vlen: vlen, kindFlag: info >> 31 != 0,
                                sizeOrType: UInt32(types.littleEndian(at: position + 8, size: 4)), extra: position + 12)
            // The size of each kind's extra data (linux/btf.h).
            let extra: Int
            switch kind {
            case 1: extra = 4                         // INT
            case 3: extra = 12                        // ARRAY
            case 4, 5: extra = 12 * vlen              // STRUCT, UNION
            case 6: extra = 8 * vlen                  // ENUM
            case 13: extra = 8 * vlen                 // FUNC_PROTO
            case 14: extra = 4                        // VAR
            case 15: extra = 12 * vlen                // DATASEC
            case 17: extra = 4                        // DECL_TAG
            case 19: extra = 12 * vlen                // ENUM64
            default: extra = 0                        // PTR FWD TYPEDEF VOLATILE CONST RESTRICT FUNC FLOAT TYPE_TAG
            }
            // A record whose data runs past the section ends the table.
            guard position + 12 + extra <= types.count else { break }
            records.append(record)
            if [4, 5, 6, 8, 19].contains(kind), record.nameOffset != 0 {
                let name = string(record.nameOffset)
                if byName[name] == nil || kind != 8 { byName[name] = records.count - 1 }
            }
            position += 12 + extra
        }
    }

    private func string(_ offset: UInt32) -> String {
        guard Int(offset) < strings.count else { return "" }
        return String(decoding: strings[Int(offset)...].prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The layout of a named struct, union, enum or typedef (`task_struct`, `struct sock`).
    public func layout(named wanted: String) -> TypeLayout? {
        let bare = wanted.split(separator: " ").last.map(String.init) ?? wanted
        return byName[bare].map { layout(id: $0, depth: 0) }
    }

    /// The layout of a type by id (what `referenceOffset` holds), members read.
    public func layout(id: UInt64) -> TypeLayout? {
        guard id < records.count else { return nil }
        return layout(id: Int(id), depth: 0)
    }

    /// Members read for the layout being built: nested records beyond this many come without
    /// theirs (a crafted table of wide records would otherwise grow without bound).
    private var memberBudget = 0

    private func layout(id: Int, depth: Int, hops: Int = 0) -> TypeLayout {
        if depth == 0 && hops == 0 { memberBudget = 100_000 }
        guard id > 0, id < records.count, hops < 64 else { return TypeLayout(name: "void", size: 0, kind: .void) }
        let record = records[id]
        let name = string(record.nameOffset)
        switch record.kind {
        case 1:  // INT: encoding bit 0 signed, bit 1 char, bit 2 bool
            let encoding = (types.littleEndian(at: record.extra, size: 4) >> 24) & 0xf
            let size = Int(record.sizeOrType)
            if encoding & 4 != 0 { return TypeLayout(name: name, encoding: .boolean, size: size, kind: .boolean) }
            if encoding & 2 != 0 || (name == "char" && size == 1) { return TypeLayout(name: name, encoding: .signedChar, size: size, kind: .character, text: .utf8) }
            if encoding & 1 != 0 { return TypeLayout(name: name, encoding: .signed, size: size, kind: .signed) }
            return TypeLayout(name: name, encoding: size == 1 ? .unsignedChar : .unsigned, size: size, kind: .unsigned)
        case 2:  // PTR
            let target = Int(record.sizeOrType)
            guard target != 0 else { return TypeLayout(name: "void *", size: 8, kind: .pointer) }
            let pointee = layout(id: target, depth: 3, hops: hops + 1)
            let shown = pointee.kind == .function ? "<function>" : pointee.name
            return TypeLayout(name: shown + " *", cName: pointee.cName + " *",
                              size: 8, kind: .pointer, referenceOffset: UInt64(resolved(target)), element: pointee)
        case 3:  // ARRAY: element type, index type, count
            let element = layout(id: Int(types.littleEndian(at: record.extra, size: 4)), depth: depth, hops: hops + 1)
            let count = Int(types.littleEndian(at: record.extra + 8, size: 4))
            let total = element.size.multipliedReportingOverflow(by: count)
            return TypeLayout(name: element.name + "[\(count)]", cName: element.cName + "[\(count)]",
                              size: total.overflow ? Int(Int32.max) : min(total.partialValue, Int(Int32.max)), kind: .array, element: element, count: count)
        case 4, 5:  // STRUCT, UNION
            let keyword = record.kind == 4 ? "struct" : "union"
            let shown = name.isEmpty ? "<unnamed-tag>" : name
            return TypeLayout(name: shown, cName: keyword + " " + shown, size: Int(record.sizeOrType), kind: .record,
                              members: depth < 3 && memberBudget > 0 ? members(of: record, depth: depth) : [], referenceOffset: UInt64(id))
        case 6, 19:  // ENUM, ENUM64
            let stride = record.kind == 6 ? 8 : 12
            let enumerators = (0..<record.vlen).map { index -> TypeLayout.Enumerator in
                let at = record.extra + stride * index
                let low = types.littleEndian(at: at + 4, size: 4)
                let value = record.kind == 6 ? Int64(Int32(truncatingIfNeeded: low)) : Int64(bitPattern: low | types.littleEndian(at: at + 8, size: 4) << 32)
                return TypeLayout.Enumerator(name: string(UInt32(types.littleEndian(at: at, size: 4))), value: value)
            }
            return TypeLayout(name: name, cName: "enum " + name, size: Int(record.sizeOrType), kind: .enumeration, enumerators: enumerators)
        case 7:  // FWD
            return TypeLayout(name: name, size: 0, kind: .record)
        case 8:  // TYPEDEF
            return layout(id: Int(record.sizeOrType), depth: depth, hops: hops + 1).renamed(name)
        case 9, 10, 11, 18:  // VOLATILE, CONST, RESTRICT, TYPE_TAG
            return layout(id: Int(record.sizeOrType), depth: depth, hops: hops + 1)
        case 13:
            return TypeLayout(name: "<function>", size: 0, kind: .function)
        case 16:  // FLOAT
            let size = Int(record.sizeOrType)
            return TypeLayout(name: name, encoding: .float, size: size, kind: size <= 8 ? .float : .other)
        default:
            return TypeLayout(name: name, size: 0, kind: .other)
        }
    }

    /// The type a pointer's target is, through typedefs and qualifiers (what `dt` expands).
    private func resolved(_ id: Int) -> Int {
        var id = id, hops = 0
        while id > 0, id < records.count, [8, 9, 10, 11, 18].contains(records[id].kind), hops < 64 {
            id = Int(records[id].sizeOrType)
            hops += 1
        }
        return id
    }

    /// A record's members: name, type, and the offset in bits (with the kind flag, the
    /// bitfield size in the top 8 bits).
    private func members(of record: Record, depth: Int) -> [TypeLayout.Member] {
        memberBudget -= record.vlen
        return (0..<record.vlen).map { index in
            let at = record.extra + 12 * index
            let type = layout(id: Int(types.littleEndian(at: at + 4, size: 4)), depth: depth + 1)
            let raw = Int(types.littleEndian(at: at + 8, size: 4))
            let bits = record.kindFlag ? raw & 0xff_ffff : raw
            let bitSize = record.kindFlag ? raw >> 24 : 0
            let name = string(UInt32(types.littleEndian(at: at, size: 4)))
            if bitSize > 0 {
                let unit = max(1, min(type.size, 16)) * 8
                return TypeLayout.Member(name: name.isEmpty ? "<unnamed>" : name, offset: bits / unit * unit / 8, bitOffset: bits % unit, bitSize: bitSize, type: type)
            }
            return TypeLayout.Member(name: name.isEmpty ? "<unnamed>" : name, offset: bits / 8, bitOffset: nil, bitSize: nil, type: type)
        }
    }

    /// A member's byte offset by path (`tasks`, `se.vruntime`), for the task walks.
    public func offset(of path: String, in typeName: String) -> (offset: Int, type: TypeLayout)? {
        guard var layout = layout(named: typeName) else { return nil }
        var total = 0
        for part in path.split(separator: ".") {
            guard let member = findMember(String(part), in: layout) else { return nil }
            total += member.offset
            layout = member.type.kind == .record && member.type.members.isEmpty ? (member.type.referenceOffset.flatMap { self.layout(id: $0) } ?? member.type) : member.type
        }
        return (total, layout)
    }

    /// A member by name, looking into anonymous unions and structs as C does (8 deep at
    /// most: a type that holds itself ends the search).
    private func findMember(_ name: String, in layout: TypeLayout, depth: Int = 0) -> TypeLayout.Member? {
        if let direct = layout.members.first(where: { $0.name == name }) { return direct }
        guard depth < 8 else { return nil }
        for anonymous in layout.members where anonymous.name == "<unnamed>" && anonymous.type.kind == .record {
            let inner = anonymous.type.members.isEmpty ? (anonymous.type.referenceOffset.flatMap { self.layout(id: $0) } ?? anonymous.type) : anonymous.type
            if let found = findMember(name, in: inner, depth: depth + 1) {
                return TypeLayout.Member(name: found.name, offset: anonymous.offset + found.offset, bitOffset: found.bitOffset, bitSize: found.bitSize, type: found.type)
            }
        }
        return nil
    }
}
