import Arch
import CDwarf
import Glibc

/// A type as `dt` shows it: WinDbg's name for it (`Int4B`, `Ptr64 node`, `[4] Int4B`), its
/// size, and for structures and unions their members.
public struct TypeLayout: Sendable {
    public let name: String
    public let display: String
    public let size: Int
    public let kind: Kind
    public let members: [Member]
    /// An array's element type (kept in an array: a struct cannot hold itself directly).
    private let elementStorage: [TypeLayout]
    public var elementType: TypeLayout? { elementStorage.first }

    init(name: String, display: String, size: Int, kind: Kind, members: [Member], element: TypeLayout? = nil) {
        self.name = name
        self.display = display
        self.size = size
        self.kind = kind
        self.members = members
        elementStorage = element.map { [$0] } ?? []
    }

    public enum Kind: Sendable { case signed, unsigned, character, float, pointer, array, record, enumeration, other }

    /// One member at a byte offset; bitfields also give their bit position and width.
    public struct Member: Sendable {
        public let name: String
        public let offset: Int
        public let bitOffset: Int?
        public let bitSize: Int?
        public let type: TypeLayout
    }
}

extension ModuleSymbols {
    /// The layout of a named struct, union, enum or typedef (`point`, `struct point`).
    public func typeLayout(named wanted: String) -> TypeLayout? {
        let bare = wanted.split(separator: " ").last.map(String.init) ?? wanted
        let tags = [DW_TAG_structure_type, DW_TAG_union_type, DW_TAG_enumeration_type, DW_TAG_typedef].map { Int32($0) }
        return firstTopLevelDIE { die -> TypeLayout? in
            guard tags.contains(dwarf_tag(&die)), dwarf_hasattr(&die, UInt32(DW_AT_declaration)) == 0,
                  let name = dwarf_diename(&die), String(cString: name) == bare else { return nil }
            return layout(of: &die, depth: 0)
        }
    }

    /// A global variable's runtime address and type (`dt global_record`).
    public func globalVariable(named wanted: String, bias: UInt64) -> (address: UInt64, type: TypeLayout)? {
        firstTopLevelDIE { die -> (address: UInt64, type: TypeLayout)? in
            guard dwarf_tag(&die) == Int32(DW_TAG_variable), let name = dwarf_diename(&die), String(cString: name) == wanted else { return nil }
            var attribute = Dwarf_Attribute()
            var ops: UnsafeMutablePointer<Dwarf_Op>? = nil
            var count = 0
            guard dwarf_attr(&die, UInt32(DW_AT_location), &attribute) != nil, dwarf_getlocation(&attribute, &ops, &count) == 0,
                  let ops, count == 1, ops[0].atom == UInt8(DW_OP_addr) else { return nil }
            var type = Dwarf_Die()
            guard referencedType(of: &die, into: &type) else { return nil }
            return (ops[0].number &+ bias, layout(of: &type, depth: 0))
        }
    }

    /// Visits the top-level DIEs of every compilation unit until `match` returns a result.
    private func firstTopLevelDIE<T>(_ match: (inout Dwarf_Die) -> T?) -> T? {
        guard let dwarf else { return nil }
        var offset: Dwarf_Off = 0
        var next: Dwarf_Off = 0
        var headerSize = 0
        while dwarf_nextcu(dwarf, offset, &next, &headerSize, nil, nil, nil) == 0 {
            var unit = Dwarf_Die()
            defer { offset = next }
            guard dwarf_offdie(dwarf, offset + Dwarf_Off(headerSize), &unit) != nil else { continue }
            var child = Dwarf_Die()
            guard dwarf_child(&unit, &child) == 0 else { continue }
            repeat {
                if let found = match(&child) { return found }
            } while nextSibling(&child)
        }
        return nil
    }

    func referencedType(of die: inout Dwarf_Die, into type: inout Dwarf_Die) -> Bool {
        var attribute = Dwarf_Attribute()
        return dwarf_attr_integrate(&die, UInt32(DW_AT_type), &attribute) != nil && dwarf_formref_die(&attribute, &type) != nil
    }

    /// Builds a layout; members of nested records are read down to a small depth (the
    /// pointer targets of a linked list are named, not expanded).
    func layout(of type: inout Dwarf_Die, depth: Int) -> TypeLayout {
        var size: Dwarf_Word = 0
        let sized = dwarf_aggregate_size(&type, &size) == 0
        let byteSize = sized ? Int(size) : 0
        let name = dwarf_diename(&type).map { String(cString: $0) } ?? "<unnamed>"
        var target = Dwarf_Die()
        switch dwarf_tag(&type) {
        case Int32(DW_TAG_base_type):
            var encoding: Dwarf_Word = 0
            var attribute = Dwarf_Attribute()
            if dwarf_attr(&type, UInt32(DW_AT_encoding), &attribute) != nil { dwarf_formudata(&attribute, &encoding) }
            switch Int(encoding) {
            case DW_ATE_float: return TypeLayout(name: name, display: byteSize == 4 ? "Float" : "Double", size: byteSize, kind: .float, members: [])
            case DW_ATE_signed_char, DW_ATE_unsigned_char:
                return TypeLayout(name: name, display: Int(encoding) == DW_ATE_signed_char ? "Char" : "UChar", size: byteSize, kind: .character, members: [])
            case DW_ATE_signed: return TypeLayout(name: name, display: "Int\(byteSize)B", size: byteSize, kind: .signed, members: [])
            case DW_ATE_boolean: return TypeLayout(name: name, display: "Bool", size: byteSize, kind: .unsigned, members: [])
            default: return TypeLayout(name: name, display: "Uint\(byteSize)B", size: byteSize, kind: .unsigned, members: [])
            }
        case Int32(DW_TAG_pointer_type):
            let pointee = referencedType(of: &type, into: &target) ? (dwarf_diename(&target).map { String(cString: $0) } ?? pointeeName(&target)) : "Void"
            return TypeLayout(name: pointee + " *", display: "Ptr64 " + pointee, size: 8, kind: .pointer, members: [])
        case Int32(DW_TAG_array_type):
            guard referencedType(of: &type, into: &target) else { break }
            let element = layout(of: &target, depth: depth)
            let count = element.size > 0 ? byteSize / element.size : 0
            return TypeLayout(name: element.name + "[\(count)]", display: "[\(count)] " + element.display, size: byteSize, kind: .array,
                              members: [], element: element)
        case Int32(DW_TAG_typedef), Int32(DW_TAG_const_type), Int32(DW_TAG_volatile_type):
            guard referencedType(of: &type, into: &target) else { break }
            return layout(of: &target, depth: depth)
        case Int32(DW_TAG_enumeration_type):
            return TypeLayout(name: name, display: name, size: byteSize, kind: .enumeration, members: [])
        case Int32(DW_TAG_structure_type), Int32(DW_TAG_union_type):
            return TypeLayout(name: name, display: name, size: byteSize, kind: .record, members: depth < 3 ? members(of: &type, depth: depth) : [])
        default:
            break
        }
        return TypeLayout(name: name, display: name, size: byteSize, kind: .other, members: [])
    }

    private func pointeeName(_ type: inout Dwarf_Die) -> String {
        dwarf_tag(&type) == Int32(DW_TAG_subroutine_type) ? "<function>" : layout(of: &type, depth: 3).display
    }

    private func members(of record: inout Dwarf_Die, depth: Int) -> [TypeLayout.Member] {
        var child = Dwarf_Die()
        guard dwarf_child(&record, &child) == 0 else { return [] }
        var result: [TypeLayout.Member] = []
        repeat {
            guard dwarf_tag(&child) == Int32(DW_TAG_member) else { continue }
            let name = dwarf_diename(&child).map { String(cString: $0) } ?? "<unnamed>"
            var type = Dwarf_Die()
            guard referencedType(of: &child, into: &type) else { continue }
            let memberType = layout(of: &type, depth: depth + 1)
            let offset = Int(unsignedAttribute(&child, UInt32(DW_AT_data_member_location)) ?? 0)
            let bitSize = unsignedAttribute(&child, UInt32(DW_AT_bit_size)).map(Int.init)
            var bitOffset: Int?
            var byteOffset = offset
            if bitSize != nil, let dataBit = unsignedAttribute(&child, UInt32(DW_AT_data_bit_offset)) {
                // DWARF 4+ bitfields count bits from the record's start; WinDbg shows the
                // offset of the storage unit and the position inside it.
                let unit = max(1, memberType.size)
                byteOffset = Int(dataBit) / (unit * 8) * unit
                bitOffset = Int(dataBit) - byteOffset * 8
            }
            result.append(TypeLayout.Member(name: name, offset: byteOffset, bitOffset: bitOffset, bitSize: bitSize, type: memberType))
        } while nextSibling(&child)
        return result
    }

    private func unsignedAttribute(_ die: inout Dwarf_Die, _ name: UInt32) -> UInt64? {
        var attribute = Dwarf_Attribute()
        var value: Dwarf_Word = 0
        guard dwarf_attr(&die, name, &attribute) != nil, dwarf_formudata(&attribute, &value) == 0 else { return nil }
        return value
    }

    func nextSibling(_ die: inout Dwarf_Die) -> Bool {
        var current = die
        return dwarf_siblingof(&current, &die) == 0
    }
}
