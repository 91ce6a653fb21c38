import Arch
import Symbols

/// Where a value's bytes come from: target memory, or bytes already assembled (a record the
/// optimizer keeps in registers, put together from its `DW_OP_piece`s; a folded constant).
public enum ValuePlace {
    case memory(UInt64)
    case held([UInt8])

    /// The place of a member `offset` bytes in.
    public func advanced(by offset: Int) -> ValuePlace {
        switch self {
        case .memory(let address): .memory(address &+ UInt64(bitPattern: Int64(offset)))
        case .held(let bytes): .held((0..<bytes.count).contains(offset) ? Array(bytes[offset...]) : [])
        }
    }

    /// `count` bytes from the start, fewer where memory is unreadable or the bytes end.
    public func read(_ count: Int, _ reader: (UInt64, Int) -> [UInt8]) -> [UInt8] {
        switch self {
        case .memory(let address): reader(address, count)
        case .held(let bytes): Array(bytes.prefix(count))
        }
    }

    public var address: UInt64? { if case .memory(let address) = self { return address }; return nil }
}

/// One value as `dx` shows it: a one-line summary, its type's name, and children read only
/// when the display goes that deep.
public struct DisplayNode {
    public let summary: String
    public let typeName: String
    /// Whether the children are the elements of a container (shown inline by `dv`/`??` when
    /// visualizers are on).
    public let isContainer: Bool
    public let children: () -> [DisplayChild]

    init(summary: String, typeName: String, isContainer: Bool = false, children: @escaping () -> [DisplayChild] = { [] }) {
        self.summary = summary
        self.typeName = typeName
        self.isContainer = isContainer
        self.children = children
    }

    /// The value on one line: the summary, and for a container its first elements
    /// (`{ size=3 } = {1, 2, 3}`, `{ size=2 } = {[1] = "one", [2] = "two"}`).
    public func inlineText(elements limit: Int = 10) -> String {
        guard isContainer else { return summary }
        let elements = children().filter { !$0.isDetail }
        guard !elements.isEmpty else { return summary }
        let items = elements.prefix(limit).map { child in child.isKeyed ? "\(child.name) = \(child.node.summary)" : child.node.summary }
        return summary + " = {" + items.joined(separator: ", ") + (elements.count > limit ? ", ..." : "") + "}"
    }
}

/// A named child of a display node: `[0]`, `["alice"]`, a member name.
public struct DisplayChild {
    public let name: String
    public let node: DisplayNode
    /// Named by a key (a map's `[1]`, a dictionary's `["alice"]`) rather than a position.
    public let isKeyed: Bool
    /// Not an element but a fact about the container (`[capacity]`, `[size]`).
    public let isDetail: Bool

    init(_ name: String, _ node: DisplayNode, keyed: Bool = false, detail: Bool = false) {
        self.name = name
        self.node = node
        isKeyed = keyed
        isDetail = detail
    }
}

/// Values as people read them, what NatVis does for WinDbg and gdb's printers for gdb: the
/// libstdc++ containers (string, vector, list, map, set, unordered_map/set, shared_ptr,
/// weak_ptr, unique_ptr, optional, variant, deque) and Swift's String, Array and Dictionary,
/// recognised from DWARF (template name and arguments, never hard-coded names of members'
/// positions where DWARF has them), read with bounds so a corrupt container shows as such.
public struct Visualizer {
    let formatter: ValueFormatter
    /// Most children any container shows.
    public static let mostElements = 1000

    public init(formatter: ValueFormatter) { self.formatter = formatter }

    /// A count read from the program, as an `Int` no larger than any real container: a
    /// damaged or uninitialised one must not trap or allocate without end.
    static func bounded(_ count: UInt64) -> Int { Int(min(count, 1 << 30)) }

    /// `offset` rounded up to `alignment` (1 to 16): where a value follows a header.
    static func roundedUp(_ offset: Int, to alignment: Int) -> UInt64 {
        let alignment = UInt64(max(1, alignment))
        return (UInt64(max(0, offset)) + alignment - 1) / alignment * alignment
    }

    private var read: (UInt64, Int) -> [UInt8] { formatter.read }

    private func word(_ address: UInt64) -> UInt64? {
        let bytes = read(address, 8)
        return bytes.count == 8 ? bytes.littleEndian(at: 0) : nil
    }

    private func unsigned(_ place: ValuePlace, _ size: Int) -> UInt64? {
        let bytes = place.read(size, read)
        return bytes.count == size ? bytes.littleEndian(at: 0, size: size) : nil
    }

    /// The node of a value of `type` at `place`.
    public func node(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols?) -> DisplayNode {
        let type = files?.expanded(type) ?? type
        if type.isReference, let target = type.elementType, let address = unsigned(place, 8) {
            return node(target, at: .memory(address), files: files)
        }
        if type.kind == .record, let files, let special = recognised(type, at: place, files: files) { return special }
        return plain(type, at: place, files: files)
    }

    /// A value no visualizer claims: scalars as `dv` shows them, arrays and records with
    /// their elements and members as children, pointers with their target's children.
    private func plain(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols?) -> DisplayNode {
        switch type.kind {
        case .record:
            return DisplayNode(summary: "{...}", typeName: type.cName) {
                type.members.map { member in
                    DisplayChild(member.name, member.bitSize == nil ? node(member.type, at: place.advanced(by: member.offset), files: files)
                                 : DisplayNode(summary: "<bitfield>", typeName: member.type.cName))
                }
            }
        case .array:
            if type.elementType?.text != nil, let text = formatter.valueWithText(type, bytes: place.read(min(type.size, 1 << 20), read)) {
                return DisplayNode(summary: text, typeName: type.cName)
            }
            guard let element = type.elementType, element.size > 0 else { return DisplayNode(summary: "{...}", typeName: type.cName) }
            let count = type.size / element.size
            return DisplayNode(summary: "{ size=\(count) }", typeName: type.cName, isContainer: true) {
                (0..<min(count, Self.mostElements)).map { DisplayChild("[\($0)]", node(element, at: place.advanced(by: $0 &* element.size), files: files)) }
            }
        case .pointer:
            let bytes = place.read(8, read)
            guard bytes.count == 8 else { return DisplayNode(summary: "<memory unreadable>", typeName: type.cName) }
            let summary = formatter.valueWithText(type, bytes: bytes) ?? formatter.scalarText(type, raw: bytes.littleEndian(at: 0))
            let address = bytes.littleEndian(at: 0)
            guard address != 0, let target = type.elementType, target.kind == .record || (files?.expanded(target).kind == .record) else {
                return DisplayNode(summary: summary, typeName: type.cName)
            }
            return DisplayNode(summary: summary, typeName: type.cName) { node(target, at: .memory(address), files: files).children() }
        default:
            let bytes = place.read(min(max(type.size, 1), 32), read)
            return DisplayNode(summary: formatter.valueText(type, bytes: bytes), typeName: type.cName)
        }
    }

    /// The visualizer for a record, if one knows its type.
    private func recognised(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> DisplayNode? {
        let template = String(type.name.prefix { $0 != "<" })
        switch template {
        case "std::__cxx11::basic_string": return string(type, at: place, files: files)
        case "std::vector": return vector(type, at: place, files: files)
        case "std::__cxx11::list": return list(type, at: place, files: files)
        case "std::map", "std::multimap", "std::set", "std::multiset": return tree(type, at: place, files: files, isMap: template.hasSuffix("map"))
        case "std::unordered_map", "std::unordered_multimap", "std::unordered_set", "std::unordered_multiset":
            return hashtable(type, at: place, files: files, isMap: template.hasSuffix("map"))
        case "std::shared_ptr", "std::weak_ptr": return sharedPointer(type, at: place, files: files)
        case "std::unique_ptr": return uniquePointer(type, at: place, files: files)
        case "std::optional": return optional(type, at: place, files: files)
        case "std::variant": return variant(type, at: place, files: files)
        case "std::deque": return deque(type, at: place, files: files)
        case "String" where type.size == 16 && type.members.isEmpty: return swiftString(type, at: place)
        case _ where type.members.isEmpty:
            // Swift's standard types come without members: `Int` is a struct of 8 bytes.
            guard let scalar = Self.swiftScalars[type.name], scalar.size == type.size else { return nil }
            return DisplayNode(summary: formatter.valueText(scalar, bytes: place.read(type.size, read)), typeName: "Swift." + type.name)
        default: return swiftCollection(type, at: place, files: files)
        }
    }

    // MARK: finding members through bases and unnamed unions

    /// A member by name path (`_M_impl._M_start`), looked for through base classes
    /// (`__BaseClass`) and unnamed members, as the containers hide theirs.
    func member(_ path: [String], of type: TypeLayout, files: ModuleSymbols) -> (offset: Int, type: TypeLayout)? {
        var offset = 0
        var current = type
        for name in path {
            guard let found = find(name, in: current, files: files, depth: 0) else { return nil }
            offset += found.offset
            current = files.expanded(found.type)
        }
        return (offset, current)
    }

    private func find(_ name: String, in type: TypeLayout, files: ModuleSymbols, depth: Int) -> (offset: Int, type: TypeLayout)? {
        let record = files.expanded(type)
        guard depth < 12, record.kind == .record else { return nil }
        if let direct = record.members.first(where: { $0.name == name }) { return (direct.offset, direct.type) }
        for inner in record.members where inner.name == "__BaseClass" || inner.name == "<unnamed>" {
            if let found = find(name, in: inner.type, files: files, depth: depth + 1) { return (inner.offset + found.offset, found.type) }
        }
        return nil
    }

    private func pointerField(_ path: [String], of type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> UInt64? {
        guard let (offset, _) = member(path, of: type, files: files) else { return nil }
        return unsigned(place.advanced(by: offset), 8)
    }

    private func invalid(_ type: TypeLayout, _ why: String) -> DisplayNode {
        DisplayNode(summary: "<invalid: \(why)>", typeName: type.cName)
    }

    private func sized(_ count: Int, _ type: TypeLayout, children: @escaping () -> [DisplayChild]) -> DisplayNode {
        DisplayNode(summary: "{ size=\(count) }", typeName: type.cName, isContainer: true, children: children)
    }

    // MARK: libstdc++

    private func string(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> DisplayNode? {
        guard let data = pointerField(["_M_dataplus", "_M_p"], of: type, at: place, files: files),
              let length = pointerField(["_M_string_length"], of: type, at: place, files: files) else { return nil }
        let character = files.templateArguments(of: type).first
        let unit = character?.text ?? .utf8
        guard length <= 1 << 24 else { return invalid(type, "length \(length)") }
        let shown = min(Int(length), 1 << 16)
        let bytes = read(data, shown * unit.size)
        guard bytes.count == shown * unit.size else { return DisplayNode(summary: "<memory unreadable>", typeName: type.cName) }
        let (text, cut) = formatter.quotedText(bytes, unit: unit, name: character?.cName ?? "char", limit: shown)
        return DisplayNode(summary: shown < Int(length) || cut ? text + "..." : text, typeName: type.cName) {
            [DisplayChild("[size]", DisplayNode(summary: "0n\(length)", typeName: "size_t"), detail: true)]
        }
    }

    private func vector(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> DisplayNode? {
        guard let element = files.templateArguments(of: type).first.map(files.expanded) else { return nil }
        if element.kind == .boolean { return bitVector(type, at: place, files: files) }
        guard element.size > 0,
              let start = pointerField(["_M_impl", "_M_start"], of: type, at: place, files: files),
              let finish = pointerField(["_M_impl", "_M_finish"], of: type, at: place, files: files),
              let end = pointerField(["_M_impl", "_M_end_of_storage"], of: type, at: place, files: files) else { return nil }
        guard start <= finish, finish <= end, (finish - start) % UInt64(element.size) == 0, (start == 0) == (end == 0) else {
            return invalid(type, "pointers out of order")
        }
        let count = Self.bounded((finish - start) / UInt64(element.size)), capacity = Self.bounded((end - start) / UInt64(element.size))
        return sized(count, type) {
            [DisplayChild("[capacity]", DisplayNode(summary: "0n\(capacity)", typeName: "size_t"), detail: true)]
                + (0..<min(count, Self.mostElements)).map { DisplayChild("[\($0)]", node(element, at: .memory(start &+ UInt64($0) &* UInt64(element.size)), files: files)) }
        }
    }

    private func bitVector(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> DisplayNode? {
        guard let start = pointerField(["_M_impl", "_M_start", "_M_p"], of: type, at: place, files: files),
              let finish = pointerField(["_M_impl", "_M_finish", "_M_p"], of: type, at: place, files: files),
              let (offsetPlace, _) = member(["_M_impl", "_M_finish", "_M_offset"], of: type, files: files),
              let bitOffset = unsigned(place.advanced(by: offsetPlace), 4), start <= finish else { return nil }
        let words = (finish - start) / 8
        let count = words >= 1 << 24 ? Self.bounded(UInt64.max) : Self.bounded(words * 64 + min(bitOffset, 63))
        return sized(count, type) {
            (0..<min(count, Self.mostElements)).map { index in
                let bit = word(start &+ UInt64(index / 64 * 8)).map { ($0 >> UInt64(index % 64)) & 1 == 1 }
                return DisplayChild("[\(index)]", DisplayNode(summary: bit.map { $0 ? "true" : "false" } ?? "????", typeName: "bool"))
            }
        }
    }

    private func list(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> DisplayNode? {
        guard let element = files.templateArguments(of: type).first.map(files.expanded),
              let (headerOffset, _) = member(["_M_impl", "_M_node"], of: type, files: files), let head = place.address.map({ $0 &+ UInt64(headerOffset) }),
              let size = pointerField(["_M_impl", "_M_node", "_M_size"], of: type, at: place, files: files) else { return nil }
        // A node is its two links (16 bytes), then the value at its alignment.
        let valueOffset = Self.roundedUp(16, to: element.alignment)
        return sized(Self.bounded(size), type) {
            var children: [DisplayChild] = []
            var node = word(head) ?? 0
            while node != head, node != 0, children.count < min(Int(size), Self.mostElements) {
                children.append(DisplayChild("[\(children.count)]", self.node(element, at: .memory(node &+ valueOffset), files: files)))
                node = word(node) ?? 0
            }
            return children
        }
    }

    /// `std::map`/`std::set` (a red-black tree): an in-order walk from the leftmost node.
    private func tree(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols, isMap: Bool) -> DisplayNode? {
        guard let (_, treeType) = member(["_M_t"], of: type, files: files),
              let value = files.templateArguments(of: treeType).dropFirst().first.map(files.expanded),
              let (headerOffset, _) = member(["_M_t", "_M_impl", "_M_header"], of: type, files: files), let base = place.address,
              let count = pointerField(["_M_t", "_M_impl", "_M_node_count"], of: type, at: place, files: files) else { return nil }
        let header = base &+ UInt64(headerOffset)
        let valueOffset = Self.roundedUp(32, to: value.alignment)
        return sized(Self.bounded(count), type) {
            var children: [DisplayChild] = []
            var node = word(header &+ 16) ?? 0  // leftmost
            while node != header, node != 0, children.count < min(Int(count), Self.mostElements) {
                children.append(element(value, at: node &+ valueOffset, index: children.count, files: files, isMap: isMap))
                node = successor(of: node) ?? 0
            }
            return children
        }
    }

    /// The next node in order in a red-black tree (links at 8 parent, 16 left, 24 right).
    private func successor(of start: UInt64) -> UInt64? {
        var node = start
        if let right = word(node &+ 24), right != 0 {
            node = right
            for _ in 0..<64 {
                guard let left = word(node &+ 16), left != 0 else { return node }
                node = left
            }
            return nil
        }
        guard var parent = word(node &+ 8) else { return nil }
        for _ in 0..<64 {
            guard node == word(parent &+ 24) else { break }
            node = parent
            guard let up = word(parent &+ 8) else { return nil }
            parent = up
        }
        return word(node &+ 24) != parent ? parent : node
    }

    /// A map's element as `[key] = value`, a set's as `[index] = value`.
    private func element(_ value: TypeLayout, at address: UInt64, index: Int, files: ModuleSymbols, isMap: Bool) -> DisplayChild {
        guard isMap, let first = member(["first"], of: value, files: files), let second = member(["second"], of: value, files: files) else {
            return DisplayChild("[\(index)]", node(value, at: .memory(address), files: files))
        }
        let key = node(first.type, at: .memory(address &+ UInt64(first.offset)), files: files).summary
        return DisplayChild("[\(key)]", node(second.type, at: .memory(address &+ UInt64(second.offset)), files: files), keyed: true)
    }

    /// `std::unordered_map`/`set`: the singly linked chain of all nodes from `_M_before_begin`.
    private func hashtable(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols, isMap: Bool) -> DisplayNode? {
        guard let (_, tableType) = member(["_M_h"], of: type, files: files),
              let value = files.templateArguments(of: tableType).dropFirst().first.map(files.expanded),
              let first = pointerField(["_M_h", "_M_before_begin", "_M_nxt"], of: type, at: place, files: files),
              let count = pointerField(["_M_h", "_M_element_count"], of: type, at: place, files: files) else { return nil }
        let valueOffset = Self.roundedUp(8, to: value.alignment)
        return sized(Self.bounded(count), type) {
            var children: [DisplayChild] = []
            var node = first
            while node != 0, node % 8 == 0, children.count < min(Int(count), Self.mostElements) {
                children.append(element(value, at: node &+ valueOffset, index: children.count, files: files, isMap: isMap))
                node = word(node) ?? 0
            }
            return children
        }
    }

    private func sharedPointer(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> DisplayNode? {
        guard let target = files.templateArguments(of: type).first,
              let pointer = pointerField(["_M_ptr"], of: type, at: place, files: files),
              let block = pointerField(["_M_refcount", "_M_pi"], of: type, at: place, files: files) else { return nil }
        guard block != 0 else { return DisplayNode(summary: "empty", typeName: type.cName) }
        let counts = read(block &+ 8, 8)
        guard counts.count == 8 else { return DisplayNode(summary: "<memory unreadable>", typeName: type.cName) }
        let use = Int32(bitPattern: UInt32(counts.littleEndian(at: 0, size: 4))), weak = Int32(bitPattern: UInt32(counts.littleEndian(at: 4, size: 4)))
        // The weak count holds one more while any strong reference is left.
        let counted = use > 0 ? "use count \(use), weak count \(weak - 1)" : "expired, weak count \(weak)"
        return DisplayNode(summary: "0x" + zeroPaddedHex(pointer, digits: 16) + " [\(counted)]", typeName: type.cName) {
            guard pointer != 0 else { return [] }
            return [DisplayChild("[ptr]", node(target, at: .memory(pointer), files: files))]
        }
    }

    private func uniquePointer(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> DisplayNode? {
        guard let target = files.templateArguments(of: type).first, let (tupleOffset, tuple) = member(["_M_t", "_M_t"], of: type, files: files),
              let head = pointerMember(named: "_M_head_impl", in: tuple, files: files, depth: 0),
              let pointer = unsigned(place.advanced(by: tupleOffset + head), 8) else { return nil }
        return DisplayNode(summary: "0x" + zeroPaddedHex(pointer, digits: 16), typeName: type.cName) {
            pointer == 0 ? [] : [DisplayChild("[ptr]", node(target, at: .memory(pointer), files: files))]
        }
    }

    /// The offset of the pointer-typed member of a name among a tuple's bases (the deleter's
    /// `_M_head_impl` is not a pointer, the owned pointer's is).
    private func pointerMember(named name: String, in type: TypeLayout, files: ModuleSymbols, depth: Int) -> Int? {
        let record = files.expanded(type)
        guard depth < 12 else { return nil }
        for member in record.members {
            if member.name == name, member.type.kind == .pointer { return member.offset }
            if member.name == "__BaseClass", let inner = pointerMember(named: name, in: member.type, files: files, depth: depth + 1) {
                return member.offset + inner
            }
        }
        return nil
    }

    private func optional(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> DisplayNode? {
        guard let (engagedOffset, _) = member(["_M_payload", "_M_engaged"], of: type, files: files),
              let (valueOffset, value) = member(["_M_payload", "_M_payload", "_M_value"], of: type, files: files),
              let engaged = unsigned(place.advanced(by: engagedOffset), 1) else { return nil }
        guard engaged != 0 else { return DisplayNode(summary: "[no contained value]", typeName: type.cName) }
        let contained = node(value, at: place.advanced(by: valueOffset), files: files)
        return DisplayNode(summary: contained.summary, typeName: type.cName) { [DisplayChild("[value]", contained)] }
    }

    private func variant(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> DisplayNode? {
        let alternatives = files.templateArguments(of: type)
        guard let (indexOffset, indexType) = member(["_M_index"], of: type, files: files), let (storage, _) = member(["_M_u"], of: type, files: files),
              let index = unsigned(place.advanced(by: indexOffset), max(1, min(indexType.size, 2))) else { return nil }
        guard Int(index) < alternatives.count else { return DisplayNode(summary: "[no contained value]", typeName: type.cName) }
        let held = node(alternatives[Int(index)], at: place.advanced(by: storage), files: files)
        return DisplayNode(summary: "[index \(index)] \(held.summary)", typeName: type.cName) { [DisplayChild("[value]", held)] }
    }

    private func deque(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> DisplayNode? {
        guard let element = files.templateArguments(of: type).first.map(files.expanded), element.size > 0,
              let startCursor = pointerField(["_M_impl", "_M_start", "_M_cur"], of: type, at: place, files: files),
              let startLast = pointerField(["_M_impl", "_M_start", "_M_last"], of: type, at: place, files: files),
              let startNode = pointerField(["_M_impl", "_M_start", "_M_node"], of: type, at: place, files: files),
              let finishCursor = pointerField(["_M_impl", "_M_finish", "_M_cur"], of: type, at: place, files: files),
              let finishFirst = pointerField(["_M_impl", "_M_finish", "_M_first"], of: type, at: place, files: files),
              let finishNode = pointerField(["_M_impl", "_M_finish", "_M_node"], of: type, at: place, files: files),
              startNode <= finishNode, startCursor <= startLast, finishFirst <= finishCursor,
              finishNode != startNode || startCursor <= finishCursor else { return nil }
        let size = UInt64(element.size)
        let perBuffer = element.size < 512 ? UInt64(512 / element.size) : 1
        let nodes = (finishNode - startNode) / 8
        let (middle, overflow) = perBuffer.multipliedReportingOverflow(by: nodes == 0 ? 0 : nodes - 1)
        let count = nodes == 0 ? (finishCursor - startCursor) / size
            : overflow ? UInt64.max : middle.addingClamped((startLast - startCursor) / size).addingClamped((finishCursor - finishFirst) / size)
        return sized(Self.bounded(count), type) {
            var children: [DisplayChild] = []
            var cursor = startCursor, last = startLast, node = startNode
            while cursor != finishCursor, children.count < min(Int(count), Self.mostElements) {
                children.append(DisplayChild("[\(children.count)]", self.node(element, at: .memory(cursor), files: files)))
                cursor &+= size
                if cursor == last {
                    node &+= 8
                    guard let buffer = word(node) else { break }
                    cursor = buffer
                    last = buffer &+ perBuffer * size
                }
            }
            return children
        }
    }

    // MARK: Swift

    /// `Swift.String`: 16 bytes, a small string inline (count in the top nibble of the last
    /// byte but one), or a count-and-flags word and an object whose UTF-8 bytes start 32 in.
    private func swiftString(_ type: TypeLayout, at place: ValuePlace) -> DisplayNode? {
        let bytes = place.read(16, read)
        guard bytes.count == 16 else { return nil }
        let countAndFlags = bytes.littleEndian(at: 0), object = bytes.littleEndian(at: 8)
        let discriminator = object >> 60
        if discriminator & 0b0010 != 0 {  // small
            let count = Int((object >> 56) & 0xf)
            guard count <= 15 else { return invalid(type, "small string count") }
            let text = formatter.quotedText(Array(bytes.prefix(count)), unit: .utf8, name: "String", limit: count).text
            return DisplayNode(summary: text, typeName: "Swift.String")
        }
        guard discriminator & 0b0001 == 0, countAndFlags & (1 << 60) != 0 else { return DisplayNode(summary: "<unsupported string form>", typeName: "Swift.String") }
        let count = countAndFlags & 0x0000_ffff_ffff_ffff
        guard count <= 1 << 24 else { return invalid(type, "length \(count)") }
        let shown = min(Int(count), 1 << 16)
        let utf8 = read((object & 0x0fff_ffff_ffff_ffff) &+ 32, shown)
        guard utf8.count == shown else { return DisplayNode(summary: "<memory unreadable>", typeName: "Swift.String") }
        let text = formatter.quotedText(utf8, unit: .utf8, name: "String", limit: shown).text
        return DisplayNode(summary: shown < Int(count) ? text + "..." : text, typeName: "Swift.String")
    }

    /// `Array<T>` and `Dictionary<K, V>`: a one-word wrapper whose unnamed member's type is
    /// declared under the mangled name (`$sSay…GD`, `$sSDy…GD`), its arguments the element types.
    private func swiftCollection(_ type: TypeLayout, at place: ValuePlace, files: ModuleSymbols) -> DisplayNode? {
        guard type.size == 8, type.members.count == 1, let inner = type.members.first?.type,
              inner.name.hasPrefix("$sSay") || inner.name.hasPrefix("$sSDy"), let storage = unsigned(place, 8) else { return nil }
        let arguments = files.templateArguments(of: inner).map(files.expanded)
        if inner.name.hasPrefix("$sSay"), let element = arguments.first {
            let name = "[\(swiftName(element))]"
            guard element.size > 0 else { return DisplayNode(summary: "<element size unknown>", typeName: name) }
            guard let count = word(storage &+ 16), let capacityAndFlags = word(storage &+ 24), count <= capacityAndFlags >> 1, count <= 1 << 30 else {
                return invalid(type, "count")
            }
            let stride = Self.roundedUp(element.size, to: element.alignment)
            let first = storage &+ Self.roundedUp(32, to: element.alignment)
            return DisplayNode(summary: "{ size=\(count) }", typeName: name, isContainer: true) {
                (0..<min(Int(count), Self.mostElements)).map { DisplayChild("[\($0)]", node(element, at: .memory(first &+ UInt64($0) &* stride), files: files)) }
            }
        }
        guard arguments.count == 2 else { return nil }
        let (key, value) = (arguments[0], arguments[1])
        let name = "[\(swiftName(key)) : \(swiftName(value))]"
        guard key.size > 0, value.size > 0 else { return DisplayNode(summary: "<element size unknown>", typeName: name) }
        guard let count = word(storage &+ 16), count <= 1 << 30, let scaleByte = read(storage &+ 32, 1).first, scaleByte < 40 else {
            return invalid(type, "storage header")
        }
        guard count > 0, let keys = word(storage &+ 48), let values = word(storage &+ 56) else {
            return DisplayNode(summary: "{ size=0 }", typeName: name, isContainer: true)
        }
        let buckets = 1 << Int(scaleByte)
        let keyStride = Self.roundedUp(key.size, to: key.alignment)
        let valueStride = Self.roundedUp(value.size, to: value.alignment)
        return DisplayNode(summary: "{ size=\(count) }", typeName: name, isContainer: true) {
            var children: [DisplayChild] = []
            var bucket = 0
            while bucket < buckets, children.count < min(Int(count), Self.mostElements) {
                guard let occupancy = word(storage &+ 64 &+ UInt64(bucket / 64 * 8)) else { break }
                if (occupancy >> UInt64(bucket % 64)) & 1 == 1 {
                    let keyText = node(key, at: .memory(keys &+ UInt64(bucket) &* keyStride), files: files).summary
                    children.append(DisplayChild("[\(keyText)]", node(value, at: .memory(values &+ UInt64(bucket) &* valueStride), files: files), keyed: true))
                }
                bucket += 1
            }
            return children
        }
    }

    /// Swift's number and truth types as the C types with their layout.
    static let swiftScalars: [String: TypeLayout] = [
        "Int": .builtin("long")!, "Int64": .builtin("long")!, "Int32": .builtin("int")!, "Int16": .builtin("short")!,
        "Int8": .builtin("signed char")!, "UInt": .builtin("unsigned long")!, "UInt64": .builtin("unsigned long")!,
        "UInt32": .builtin("unsigned int")!, "UInt16": .builtin("unsigned short")!, "UInt8": .builtin("unsigned char")!,
        "Double": .builtin("double")!, "Float": .builtin("float")!, "Bool": .builtin("bool")!,
    ]

    private func swiftName(_ type: TypeLayout) -> String { type.name == "String" || type.name == "Int" ? type.name : type.cName }
}

private extension UInt64 {
    /// The sum, or `UInt64.max` where it would overflow.
    func addingClamped(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
