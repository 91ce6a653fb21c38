import Arch
import CDwarf
import Glibc

/// Where the DIEs of a module's named types and global variables are (references as
/// `ModuleSymbols.layout(atOffset:)` takes them); the first definition of each name.
struct NameIndex {
    var types: [String: UInt64] = [:]
    /// Every definition of a variable name (file statics of the same name in several units),
    /// with the unit that defines it, in unit order.
    var variables: [String: [(reference: UInt64, unit: UInt64)]] = [:]
    /// Enumerator constants: their enumeration type's reference and value.
    var enumerators: [String: (type: UInt64, value: Int64)] = [:]
}

/// A type read from DWARF (or BTF): its names (C's spelling, `const char *`, `struct point`,
/// and the bare one), its base encoding, size, and for records their members, for enums their
/// enumerators, for arrays their element count. How a debugger's language spells it (WinDbg's
/// `Ptr64 Char`, `Int4B`) is the front end's to derive.
public struct TypeLayout: Sendable {
    /// The bare name `dt` heads a layout with: `point`, `Int4B`'s C name `int`, `node *`.
    public let name: String
    /// The name as C or C++ source spells it: `struct point`, `const char *`, `int[4]`.
    public let cName: String
    /// A base type's encoding (DWARF's `DW_AT_encoding`); `.none` for the others.
    public let encoding: Encoding
    public let size: Int
    /// An array's element count (its outer dimension); 0 for other types.
    public let count: Int
    public let kind: Kind
    /// A record's members, read down to a small depth; `expanded` reads deeper ones.
    public let members: [Member]
    public let enumerators: [Enumerator]
    /// The DIE a command follows for more: a pointer's target, a record itself.
    public let referenceOffset: UInt64?
    /// A C++ reference (`T &`, `T &&`): a pointer that expressions follow implicitly.
    public let isReference: Bool
    /// A character type whose arrays and pointers are shown as text (`char`, `wchar_t`,
    /// `char8_t`, `char16_t`, `char32_t`).
    public let text: TextUnit?
    /// An array's element type, a pointer's target type (kept in an array: a struct cannot
    /// hold itself directly). A target record comes without members (`expanded` reads them).
    private let elementStorage: [TypeLayout]
    public var elementType: TypeLayout? { elementStorage.first }

    init(name: String, cName: String? = nil, encoding: Encoding = .none, size: Int, kind: Kind, members: [Member] = [], enumerators: [Enumerator] = [],
         referenceOffset: UInt64? = nil, element: TypeLayout? = nil, count: Int = 0, isReference: Bool = false, text: TextUnit? = nil) {
        self.isReference = isReference
        self.text = text
        self.name = name
        self.cName = cName ?? name
        self.encoding = encoding
        self.size = size
        self.count = count
        self.kind = kind
        self.members = members
        self.enumerators = enumerators
        self.referenceOffset = referenceOffset
        elementStorage = element.map { [$0] } ?? []
    }

    /// The same type under another C name (a typedef, a const qualifier), as text or not.
    func renamed(_ cName: String, text: TextUnit?? = nil) -> TypeLayout {
        TypeLayout(name: name, cName: cName, encoding: encoding, size: size, kind: kind, members: members, enumerators: enumerators,
                   referenceOffset: referenceOffset, element: elementType, count: count, isReference: isReference, text: text ?? self.text)
    }

    /// `complex` is C's `_Complex` (two floating-point parts, real first).
    public enum Kind: Sendable { case signed, unsigned, boolean, character, float, complex, pointer, array, record, enumeration, function, void, other }

    /// How a base type's bits are read, after DWARF's `DW_ATE_*` (`signedChar` and
    /// `unsignedChar` apart from the wider integers, `utf` for `char16_t` and `char32_t`).
    public enum Encoding: Sendable { case none, signed, unsigned, signedChar, unsignedChar, utf, float, complex, boolean }

    /// How the characters of a text type are encoded.
    public enum TextUnit: Sendable {
        case utf8, utf16, utf32

        /// The unit for a character type of `size` bytes.
        init?(size: Int) {
            switch size {
            case 1: self = .utf8
            case 2: self = .utf16
            case 4: self = .utf32
            default: return nil
            }
        }

        public var size: Int {
            switch self {
            case .utf8: 1
            case .utf16: 2
            case .utf32: 4
            }
        }
    }

    /// Character types known by name, whatever their DWARF says (`wchar_t` is `int` in C).
    static let textTypeNames: Set<String> = ["wchar_t", "char8_t", "char16_t", "char32_t"]

    /// One member at a byte offset; bitfields also give their bit position and width.
    public struct Member: Sendable {
        public let name: String
        public let offset: Int
        public let bitOffset: Int?
        public let bitSize: Int?
        public let type: TypeLayout
    }

    /// One named constant of an enumeration.
    public struct Enumerator: Sendable {
        public let name: String
        public let value: Int64
    }

    /// A pointer to `target` (`&x` in an expression).
    public static func pointer(to target: TypeLayout) -> TypeLayout {
        let cName = target.cName.hasSuffix("*") ? target.cName + "*" : target.cName + " *"
        return TypeLayout(name: target.name + " *", cName: cName, size: 8, kind: .pointer, element: target)
    }

    public static let int = TypeLayout(name: "int", encoding: .signed, size: 4, kind: .signed)
    public static let unsignedInt = TypeLayout(name: "unsigned int", encoding: .unsigned, size: 4, kind: .unsigned)
    public static let long = TypeLayout(name: "long", encoding: .signed, size: 8, kind: .signed)
    public static let unsignedLong = TypeLayout(name: "unsigned long", encoding: .unsigned, size: 8, kind: .unsigned)
    public static let double = TypeLayout(name: "double", encoding: .float, size: 8, kind: .float)
    public static let bool = TypeLayout(name: "bool", encoding: .boolean, size: 1, kind: .boolean)
    public static let char = TypeLayout(name: "char", encoding: .signedChar, size: 1, kind: .character, text: .utf8)

    /// C's built-in types by name (`int`, `unsigned long`, `double`, `char`), for casts and
    /// literals: they need no DWARF.
    public static func builtin(_ cName: String) -> TypeLayout? {
        // `unsigned`, `signed` and a trailing `int` (`long int`) only qualify the base word.
        var words = cName.split(separator: " ").map(String.init)
        let unsigned = words.contains("unsigned")
        words.removeAll { $0 == "unsigned" || $0 == "signed" }
        if words.count > 1 { words.removeAll { $0 == "int" } }
        let base = words.joined(separator: " ")
        let (size, kind): (Int, Kind)
        switch base {
        case "", "int", "signed": (size, kind) = (4, unsigned ? .unsigned : .signed)
        case "char": (size, kind) = (1, unsigned ? .unsigned : .character)
        case "short": (size, kind) = (2, unsigned ? .unsigned : .signed)
        case "long", "long long", "__int64": (size, kind) = (8, unsigned ? .unsigned : .signed)
        case "float": (size, kind) = (4, .float)
        case "double": (size, kind) = (8, .float)
        case "long double": (size, kind) = (16, .float)
        case "bool", "_Bool": (size, kind) = (1, .boolean)
        case "void": (size, kind) = (0, .void)
        default: return nil
        }
        let encoding: Encoding = switch kind {
        case .float: .float
        case .character: .signedChar
        case .boolean: .boolean
        case .void: .none
        case .signed: .signed
        default: size == 1 ? .unsignedChar : .unsigned
        }
        return TypeLayout(name: cName, encoding: encoding, size: size, kind: kind)
    }

    /// The enumerator named for a value, if any.
    public func enumeratorName(_ value: Int64) -> String? { enumerators.first { $0.value == value }?.name }
}

/// A variable of a module's own (not a local): in memory, or a constant the compiler folded.
public struct GlobalVariable {
    public let type: TypeLayout
    public let address: UInt64?
    public let constant: [UInt8]?
}

extension ModuleSymbols {
    /// The layout of a named struct, union, enum or typedef (`point`, `struct point`).
    public func typeLayout(named wanted: String) -> TypeLayout? {
        if let providedTypes { return providedTypes.layout(named: wanted) }
        let bare = wanted.split(separator: " ").last.map(String.init) ?? wanted
        guard let reference = nameIndex.types[bare] else { return nil }
        return layout(atOffset: reference)
    }

    /// An enumerator constant (`BLUE`) with its enumeration type.
    public func enumerator(named name: String) -> (type: TypeLayout, value: Int64)? {
        guard let (reference, value) = nameIndex.enumerators[name], let type = layout(atOffset: reference) else { return nil }
        return (type, value)
    }

    /// A global or file-static variable's runtime address (or, optimized into a constant, its
    /// value) and type (`dt global_record`): the first definition of the name, or with
    /// `preferringUnitAt` only the one defined in the compilation unit holding that link-time pc
    /// (a file static shadows other files' names).
    public func globalVariable(named wanted: String, bias: UInt64, preferringUnitAt pc: UInt64? = nil) -> GlobalVariable? {
        guard let definitions = nameIndex.variables[wanted] else { return nil }
        var chosen = definitions.first?.reference
        if let pc {
            guard let dwarf, let unit = unitReference(containing: pc, dwarf: dwarf),
                  let own = definitions.first(where: { $0.unit == unit }) else { return nil }
            chosen = own.reference
        }
        guard let reference = chosen, var die = entry(at: reference) else { return nil }
        var type = Dwarf_Die()
        guard referencedType(of: &die, into: &type) else { return nil }
        let layout = layout(of: &type, depth: 0)
        if let constant = constantValue(&die, size: layout.size) { return GlobalVariable(type: layout, address: nil, constant: constant) }
        var attribute = Dwarf_Attribute()
        var ops: UnsafeMutablePointer<Dwarf_Op>? = nil
        var count = 0
        guard dwarf_attr(&die, UInt32(DW_AT_location), &attribute) != nil, dwarf_getlocation(&attribute, &ops, &count) == 0,
              let ops, count == 1, ops[0].atom == UInt8(DW_OP_addr) else { return nil }
        return GlobalVariable(type: layout, address: ops[0].number &+ bias, constant: nil)
    }

    /// The names of the module's types and global variables, from one walk over the units'
    /// top-level entries the first time a name is looked up (with progress on a terminal for
    /// a big module).
    var nameIndex: NameIndex {
        if let cachedNameIndex { return cachedNameIndex }
        var index = NameIndex()
        if let dwarf {
            let typeTags = [DW_TAG_structure_type, DW_TAG_union_type, DW_TAG_enumeration_type, DW_TAG_typedef, DW_TAG_class_type].map { Int32($0) }
            let file = debugImage ?? image
            let total = max(1, file.dwarfInfoSize)
            let started = ContinuousClock.now
            var reported = -1
            var cu: OpaquePointer? = nil
            var next: OpaquePointer? = nil
            var unitType: UInt8 = 0
            var unit = Dwarf_Die(), split = Dwarf_Die()
            while dwarf_get_units(dwarf, cu, &next, nil, &unitType, &unit, &split) == 0 {
                cu = next
                let percent = Int(UInt64(dwarf_dieoffset(&unit)) * 100 / total)
                if percent / 10 != reported / 10, ContinuousClock.now - started > .milliseconds(300) {
                    reported = percent
                    search.progress("Indexing \(file.path): \(min(percent, 100))%")
                }
                // A skeleton unit's entries live in its split unit (`.dwo`).
                var top = unitType == UInt8(DW_UT_skeleton) && split.cu != nil ? split : unit
                guard let unitReference = offset(of: &top) else { continue }
                addNames(under: &top, prefix: "", unit: unitReference, typeTags: typeTags, to: &index)
            }
            if reported >= 0 { search.progress("") }
        }
        cachedNameIndex = index
        return index
    }

    /// Adds the types and variables among `scope`'s children, and those inside its
    /// namespaces under both their qualified (`geometry::Rectangle`) and bare names.
    private func addNames(under scope: inout Dwarf_Die, prefix: String, unit: UInt64, typeTags: [Int32], to index: inout NameIndex, depth: Int = 0) {
        var child = Dwarf_Die()
        guard depth < 32, dwarf_child(&scope, &child) == 0 else { return }
        repeat {
            let tag = dwarf_tag(&child)
            if tag == Int32(DW_TAG_namespace) {
                let name = dwarf_diename(&child).map { String(cString: $0) } ?? "(anonymous namespace)"
                addNames(under: &child, prefix: prefix + name + "::", unit: unit, typeTags: typeTags, to: &index, depth: depth + 1)
                continue
            }
            if tag == Int32(DW_TAG_module), let name = dwarf_diename(&child) {
                // A Swift module's globals and types (`collections.globalDict`, or bare).
                addNames(under: &child, prefix: prefix + String(cString: name) + ".", unit: unit, typeTags: typeTags, to: &index, depth: depth + 1)
                continue
            }
            if tag == Int32(DW_TAG_enumeration_type), let reference = offset(of: &child) {
                for enumerator in enumerators(of: &child) where index.enumerators[prefix + enumerator.name] == nil {
                    index.enumerators[prefix + enumerator.name] = (reference, enumerator.value)
                }
            }
            guard let cName = dwarf_diename(&child) else { continue }
            let isType = typeTags.contains(tag)
            guard isType || tag == Int32(DW_TAG_variable) else { continue }
            let defines = isType ? dwarf_hasattr(&child, UInt32(DW_AT_declaration)) == 0
                : dwarf_hasattr(&child, UInt32(DW_AT_location)) != 0 || dwarf_hasattr(&child, UInt32(DW_AT_const_value)) != 0
            guard defines, let reference = offset(of: &child) else { continue }
            let name = String(cString: cName)
            for key in prefix.isEmpty ? [name] : [prefix + name, name] {
                if isType {
                    if index.types[key] == nil { index.types[key] = reference }
                } else {
                    index.variables[key, default: []].append((reference, unit))
                }
            }
        } while nextSibling(&child)
    }

    /// The reference of the unit whose entries describe link-time `pc` (its split unit for a
    /// skeleton), as the name index records units.
    private func unitReference(containing pc: UInt64, dwarf: OpaquePointer) -> UInt64? {
        var unit = Dwarf_Die()
        guard unitDIE(containing: pc, dwarf: dwarf, into: &unit) else { return nil }
        var entries = entriesUnit(unit)
        return offset(of: &entries)
    }

    /// The DIE a reference from `offset(of:)` names.
    private func entry(at reference: UInt64) -> Dwarf_Die? {
        let index = Int(reference >> 48)
        guard index < referencedDwarfs.count else { return nil }
        var die = Dwarf_Die()
        guard dwarf_offdie(referencedDwarfs[index], Dwarf_Off(reference & 0xffff_ffff_ffff), &die) != nil else { return nil }
        return die
    }

    func referencedType(of die: inout Dwarf_Die, into type: inout Dwarf_Die) -> Bool {
        var attribute = Dwarf_Attribute()
        return dwarf_attr_integrate(&die, UInt32(DW_AT_type), &attribute) != nil && dwarf_formref_die(&attribute, &type) != nil
    }

    /// Builds a layout; members of nested records are read down to a small depth (the
    /// pointer targets of a linked list are named, not expanded).
    func layout(of type: inout Dwarf_Die, depth: Int, hops: Int = 0) -> TypeLayout {
        // Damaged DWARF can make a type refer to itself: a chain this long is not a type.
        guard hops < 64 else { return TypeLayout(name: "<cyclic>", size: 0, kind: .other) }
        var size: Dwarf_Word = 0
        let sized = dwarf_aggregate_size(&type, &size) == 0
        let byteSize = sized ? Self.clampedSize(size) : 0
        let bareName = dwarf_diename(&type).map { String(cString: $0) }
        let name = bareName ?? "<unnamed>"
        var target = Dwarf_Die()
        let tag = dwarf_tag(&type)
        switch tag {
        case Int32(DW_TAG_base_type):
            var encoding: Dwarf_Word = 0
            var attribute = Dwarf_Attribute()
            if dwarf_attr(&type, UInt32(DW_AT_encoding), &attribute) != nil { dwarf_formudata(&attribute, &encoding) }
            switch Int(encoding) {
            case DW_ATE_complex_float:
                return TypeLayout(name: name, encoding: .complex, size: byteSize, kind: [8, 16, 32].contains(byteSize) ? .complex : .other)
            case DW_ATE_UTF:
                return TypeLayout(name: name, encoding: .utf, size: byteSize, kind: .unsigned, text: TypeLayout.TextUnit(size: byteSize))
            case DW_ATE_float:
                // float, double, and x87's long double; other widths (_Float16, _Float128)
                // are not decoded.
                let known = byteSize == 4 || byteSize == 8 || (byteSize == 16 && name == "long double")
                return TypeLayout(name: name, encoding: .float, size: byteSize, kind: known ? .float : .other)
            case DW_ATE_signed_char:
                return TypeLayout(name: name, encoding: .signedChar, size: byteSize, kind: .character, text: .utf8)
            case DW_ATE_unsigned_char:
                // An unsigned byte: its value is 0…255, shown in hex as WinDbg shows a UChar.
                return TypeLayout(name: name, encoding: .unsignedChar, size: byteSize, kind: .unsigned, text: .utf8)
            case DW_ATE_signed:
                let text = TypeLayout.textTypeNames.contains(name) ? TypeLayout.TextUnit(size: byteSize) : nil
                return TypeLayout(name: name, encoding: .signed, size: byteSize, kind: .signed, text: text)
            case DW_ATE_boolean: return TypeLayout(name: name, encoding: .boolean, size: byteSize, kind: .boolean)
            default:
                // gcc writes `char8_t` as an unsigned base type: text by its name.
                let text = TypeLayout.textTypeNames.contains(name) ? TypeLayout.TextUnit(size: byteSize) : nil
                return TypeLayout(name: name, encoding: .unsigned, size: byteSize, kind: .unsigned, text: text)
            }
        case Int32(DW_TAG_pointer_type), Int32(DW_TAG_reference_type), Int32(DW_TAG_rvalue_reference_type):
            let marker = tag == Int32(DW_TAG_pointer_type) ? "*" : tag == Int32(DW_TAG_reference_type) ? "&" : "&&"
            guard referencedType(of: &type, into: &target) else {
                return TypeLayout(name: "void " + marker, size: 8, kind: .pointer)
            }
            let pointee = layout(of: &target, depth: 3, hops: hops + 1)
            let cName = pointee.cName.hasSuffix("*") ? pointee.cName + marker : pointee.cName + " " + marker
            let shown = pointee.kind == .function ? "<function>" : dwarf_diename(&target).map { String(cString: $0) } ?? pointee.name
            return TypeLayout(name: shown + " *", cName: cName, size: 8, kind: .pointer,
                              referenceOffset: offset(of: &target), element: pointee, isReference: marker != "*")
        case Int32(DW_TAG_array_type):
            guard referencedType(of: &type, into: &target) else { break }
            // `int m[2][3]`: one subrange per dimension; the innermost is the last.
            var layout = layout(of: &target, depth: depth, hops: hops + 1)
            let dimensions = subrangeCounts(of: &type)
            for count in (dimensions.isEmpty ? [layout.size > 0 ? byteSize / layout.size : 0] : dimensions).reversed() {
                // The outer dimension is written first: `int[2][3]` around `int[3]`.
                func wrapped(_ inner: String) -> String {
                    guard layout.kind == .array, let bracket = inner.firstIndex(of: "[") else { return inner + "[\(count)]" }
                    return inner[..<bracket] + "[\(count)]" + inner[bracket...]
                }
                let total = count.multipliedReportingOverflow(by: layout.size)
                layout = TypeLayout(name: wrapped(layout.name), cName: wrapped(layout.cName),
                                    size: total.overflow ? 0 : min(total.partialValue, Self.largestSize), kind: .array, element: layout, count: count)
            }
            return layout
        case Int32(DW_TAG_typedef):
            guard referencedType(of: &type, into: &target) else { break }
            let inner = layout(of: &target, depth: depth, hops: hops + 1)
            // `wchar_t` is a typedef of `int` in C, `char16_t` of `uint_least16_t`: text by name.
            guard TypeLayout.textTypeNames.contains(name) else { return inner.renamed(name) }
            return inner.renamed(name, text: .some(TypeLayout.TextUnit(size: inner.size)))
        case Int32(DW_TAG_const_type), Int32(DW_TAG_volatile_type):
            let qualifier = tag == Int32(DW_TAG_const_type) ? "const" : "volatile"
            guard referencedType(of: &type, into: &target) else { return TypeLayout(name: "void", cName: qualifier + " void", size: 0, kind: .void) }
            let inner = layout(of: &target, depth: depth, hops: hops + 1)
            // `char *const`: the qualifier follows a pointer, precedes anything else.
            return inner.renamed(inner.kind == .pointer ? inner.cName + " " + qualifier : qualifier + " " + inner.cName)
        case Int32(DW_TAG_enumeration_type):
            // C's `enum color` is shown as `color`; C++'s `geometry::Kind` keeps its scope.
            let spelled = recordName("enum", name, &type)
            let shown = spelled.hasPrefix("enum ") ? name : spelled
            return TypeLayout(name: shown, cName: spelled, size: byteSize, kind: .enumeration, enumerators: enumerators(of: &type))
        case Int32(DW_TAG_structure_type), Int32(DW_TAG_union_type), Int32(DW_TAG_class_type):
            let keyword = tag == Int32(DW_TAG_union_type) ? "union" : tag == Int32(DW_TAG_class_type) ? "class" : "struct"
            let spelled = recordName(keyword, name, &type)
            let shown = spelled.hasPrefix(keyword + " ") ? name : spelled
            return TypeLayout(name: shown, cName: spelled, size: byteSize, kind: .record,
                              members: depth < 3 ? members(of: &type, depth: depth) : [], referenceOffset: offset(of: &type))
        case Int32(DW_TAG_subroutine_type):
            return TypeLayout(name: "<function>", size: 0, kind: .function)
        case Int32(DW_TAG_unspecified_type):
            return TypeLayout(name: name, size: 0, kind: .void)
        default:
            break
        }
        return TypeLayout(name: name, size: byteSize, kind: .other)
    }

    /// The largest size or offset taken from DWARF (1 TiB): damaged files can claim any.
    static let largestSize = 1 << 40

    static func clampedSize(_ value: UInt64) -> Int { Int(min(value, UInt64(largestSize))) }

    /// The layout of the type a variable or member DIE refers to (`void` if none).
    func layout(ofTypeOf die: inout Dwarf_Die, depth: Int) -> TypeLayout {
        var type = Dwarf_Die()
        guard referencedType(of: &die, into: &type) else { return TypeLayout(name: "void", size: 0, kind: .void) }
        return layout(of: &type, depth: depth)
    }

    /// A type read again from its DIE: the target of a pointer, or a record's members below
    /// the depth the first read stopped at.
    public func layout(atOffset reference: UInt64) -> TypeLayout? {
        if let providedTypes { return providedTypes.layout(id: reference) }
        guard var die = entry(at: reference) else { return nil }
        return layout(of: &die, depth: 0)
    }

    /// A record with its members read (`dt` of a pointer target or a deep member).
    public func expanded(_ type: TypeLayout) -> TypeLayout {
        guard type.kind == .record, type.members.isEmpty, let offset = type.referenceOffset else { return type }
        return layout(atOffset: offset) ?? type
    }

    /// A reference to a DIE that `layout(atOffset:)` finds again: its offset, and above bit
    /// 48 which DWARF holds it (the module's own, a split unit's `.dwo`, a dwz supplement).
    private func offset(of die: inout Dwarf_Die) -> UInt64? {
        guard let cu = die.cu, let owner = dwarf_cu_getdwarf(cu) else { return nil }
        let offset = UInt64(dwarf_dieoffset(&die))
        guard offset < 1 << 48 else { return nil }
        if let index = referencedDwarfs.firstIndex(of: owner) { return UInt64(index) << 48 | offset }
        referencedDwarfs.append(owner)
        return UInt64(referencedDwarfs.count - 1) << 48 | offset
    }

    /// C needs the keyword (`struct point`); C++ names the type with its namespaces and
    /// enclosing classes (`geometry::Rectangle`), Swift with its own name alone.
    private func recordName(_ keyword: String, _ name: String, _ die: inout Dwarf_Die) -> String {
        var unit = Dwarf_Die()
        guard dwarf_diecu(&die, &unit, nil, nil) != nil else { return keyword + " " + name }
        if isC(&unit) { return keyword + " " + name }
        return isCPlusPlus(&unit) ? qualifiedName(name, &die) : name
    }

    /// `name` prefixed with the namespaces and classes around its DIE (found by walking its
    /// unit from the top; remembered per DIE).
    private func qualifiedName(_ name: String, _ die: inout Dwarf_Die) -> String {
        let key = offset(of: &die)
        if let key, let known = qualifiedNames[key] { return known }
        var scopes: UnsafeMutablePointer<Dwarf_Die>? = nil
        let count = dwarf_getscopes_die(&die, &scopes)
        defer { free(scopes) }
        var result = name
        if count > 1, let scopes {
            let enclosing = [DW_TAG_namespace, DW_TAG_class_type, DW_TAG_structure_type, DW_TAG_union_type].map { Int32($0) }
            for index in 1..<Int(count) where enclosing.contains(dwarf_tag(&scopes[index])) {
                result = (dwarf_diename(&scopes[index]).map { String(cString: $0) } ?? "(anonymous namespace)") + "::" + result
            }
        }
        if let key { qualifiedNames[key] = result }
        return result
    }

    /// A unit written in C (C17 is 0x2c, newer than this dwarf.h).
    func isC(_ unit: inout Dwarf_Die) -> Bool {
        [DW_LANG_C, DW_LANG_C89, DW_LANG_C99, DW_LANG_C11].map(Int32.init).contains(dwarf_srclang(&unit)) || dwarf_srclang(&unit) == 0x2c
    }

    /// The element counts of an array's dimensions (`DW_AT_count`, or `DW_AT_upper_bound` + 1).
    private func subrangeCounts(of array: inout Dwarf_Die) -> [Int] {
        var child = Dwarf_Die()
        guard dwarf_child(&array, &child) == 0 else { return [] }
        var counts: [Int] = []
        repeat {
            guard dwarf_tag(&child) == Int32(DW_TAG_subrange_type) else { continue }
            if let count = unsignedAttribute(&child, UInt32(DW_AT_count)) {
                counts.append(Int(clamping: min(count, 1 << 32)))
            } else if let upper = unsignedAttribute(&child, UInt32(DW_AT_upper_bound)), upper < 1 << 32 {
                counts.append(Int(upper) + 1)
            } else {
                return []
            }
        } while nextSibling(&child)
        return counts
    }

    private func enumerators(of type: inout Dwarf_Die) -> [TypeLayout.Enumerator] {
        var child = Dwarf_Die()
        guard dwarf_child(&type, &child) == 0 else { return [] }
        var result: [TypeLayout.Enumerator] = []
        repeat {
            guard dwarf_tag(&child) == Int32(DW_TAG_enumerator), let name = dwarf_diename(&child) else { continue }
            var attribute = Dwarf_Attribute()
            guard dwarf_attr(&child, UInt32(DW_AT_const_value), &attribute) != nil, let value = constantInteger(&attribute) else { continue }
            result.append(TypeLayout.Enumerator(name: String(cString: name), value: Int64(bitPattern: value)))
        } while nextSibling(&child)
        return result
    }

    private func members(of record: inout Dwarf_Die, depth: Int) -> [TypeLayout.Member] {
        var child = Dwarf_Die()
        guard dwarf_child(&record, &child) == 0 else { return [] }
        var result: [TypeLayout.Member] = []
        repeat {
            // A C++ base class is a member at its offset, as WinDbg's `__BaseClass`.
            let isBase = dwarf_tag(&child) == Int32(DW_TAG_inheritance)
            guard dwarf_tag(&child) == Int32(DW_TAG_member) || isBase else { continue }
            let name = isBase ? "__BaseClass" : dwarf_diename(&child).map { String(cString: $0) } ?? "<unnamed>"
            var type = Dwarf_Die()
            guard referencedType(of: &child, into: &type) else { continue }
            let memberType = layout(of: &type, depth: depth + 1)
            let offset = Self.clampedSize(unsignedAttribute(&child, UInt32(DW_AT_data_member_location)) ?? 0)
            let bitSize = unsignedAttribute(&child, UInt32(DW_AT_bit_size)).map { Int(min($0, 64)) }
            if bitSize == 0 { continue }  // `int : 0;` aligns the next field and holds nothing
            var bitOffset: Int?
            var byteOffset = offset
            // The field's first bit counted from the record's start: DWARF 4+ says so directly;
            // DWARF 2/3 style (gcc -gdwarf-4) counts from the most significant end of a storage
            // unit of DW_AT_byte_size bytes at the member location (negative when it overhangs).
            var firstBit: Int?
            if bitSize != nil, let dataBit = unsignedAttribute(&child, UInt32(DW_AT_data_bit_offset)) {
                firstBit = Self.clampedSize(dataBit)
            } else if let bitSize, let highBit = signedAttribute(&child, UInt32(DW_AT_bit_offset)), abs(highBit) < 1 << 20 {
                let unit = Self.clampedSize(unsignedAttribute(&child, UInt32(DW_AT_byte_size)) ?? UInt64(max(1, memberType.size)))
                firstBit = offset * 8 + unit * 8 - Int(highBit) - bitSize
            }
            if let firstBit, let bitSize, firstBit >= 0 {
                // WinDbg shows the storage unit's offset and the position inside it; a field
                // that straddles units is placed at its first byte instead.
                let unit = max(1, memberType.size)
                var position = firstBit % (unit * 8)
                byteOffset = firstBit / (unit * 8) * unit
                if position + bitSize > unit * 8 {
                    byteOffset = firstBit / 8
                    position = firstBit % 8
                }
                bitOffset = position
            }
            result.append(TypeLayout.Member(name: name, offset: byteOffset, bitOffset: bitOffset, bitSize: bitSize, type: memberType))
        } while nextSibling(&child)
        return result
    }

    private func signedAttribute(_ die: inout Dwarf_Die, _ name: UInt32) -> Int64? {
        var attribute = Dwarf_Attribute()
        var value: Dwarf_Sword = 0
        guard dwarf_attr(&die, name, &attribute) != nil, dwarf_formsdata(&attribute, &value) == 0 else { return nil }
        return Int64(value)
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

extension ModuleSymbols {
    /// A C++ class template's type arguments in order (`_Tp`, `_Alloc`; a parameter pack's
    /// types in place, as `std::variant`'s), or a Swift generic type's (`Array`'s element,
    /// `Dictionary`'s key and value), from the type's DIE.
    public func templateArguments(of type: TypeLayout) -> [TypeLayout] {
        guard let reference = type.referenceOffset, var die = entry(at: reference) else { return [] }
        var result: [TypeLayout] = []
        collectTypeParameters(under: &die, into: &result, depth: 0)
        return result
    }

    private func collectTypeParameters(under die: inout Dwarf_Die, into result: inout [TypeLayout], depth: Int) {
        var child = Dwarf_Die()
        guard depth < 2, dwarf_child(&die, &child) == 0 else { return }
        repeat {
            switch dwarf_tag(&child) {
            case Int32(DW_TAG_template_type_parameter): result.append(layout(ofTypeOf: &child, depth: 0))
            case Int32(DW_TAG_GNU_template_parameter_pack): collectTypeParameters(under: &child, into: &result, depth: depth + 1)
            default: break
            }
        } while nextSibling(&child) && result.count < 64
    }
}

extension TypeLayout {
    /// The alignment the ABI gives the type, from its scalars (at most 16).
    public var alignment: Int {
        switch kind {
        case .array: return elementType?.alignment ?? 1
        case .record: return min(16, max(1, members.map(\.type.alignment).max() ?? 1))
        case .complex: return min(16, max(1, size / 2))
        default: return min(16, max(1, size))
        }
    }
}
