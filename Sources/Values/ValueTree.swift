import Arch
import Symbols

/// A typed value as a tree a front end expands one level at a time (DAP's `variables`, an
/// editor's watch window): a record's members, an array's elements, what a pointer points at.
/// Where the value lives is its place (memory, or bytes assembled from registers); nil for a
/// value the debugger cannot locate (optimized out).
public struct ValueNode {
    public let name: String
    public let type: TypeLayout
    public let place: ValuePlace?
    /// A bitfield's position and width within the bytes at `place`.
    public let bits: (offset: Int, size: Int)?
    /// The symbols the type came from (to read a member-less record's members).
    public let files: ModuleSymbols?

    public init(name: String, type: TypeLayout, place: ValuePlace?, bits: (offset: Int, size: Int)? = nil, files: ModuleSymbols?) {
        self.name = name
        self.type = type
        self.place = place
        self.bits = bits
        self.files = files
    }

    /// The type with its members read (a record reached through a pointer comes without).
    public var expandedType: TypeLayout { files?.expanded(type) ?? type }
}

/// Summaries and children of value nodes, in one number style.
public struct ValueTree {
    let formatter: ValueFormatter
    let read: (UInt64, Int) -> [UInt8]
    /// Elements shown of an array at most (front ends page through them with `start`/`count`).
    public static let mostElements = 10_000

    public init(read: @escaping (UInt64, Int) -> [UInt8], style: ValueFormatter.Style) {
        self.read = read
        formatter = ValueFormatter(read: read, style: style)
    }

    /// How many children the node has (0: a leaf).
    public func childCount(_ node: ValueNode) -> Int {
        let type = node.expandedType
        switch type.kind {
        case .record: return type.members.count
        case .array:
            guard let element = type.elementType, element.size > 0, element.text == nil || element.size != element.text?.size else { return 0 }
            return min(type.count, ValueTree.mostElements)
        case .pointer:
            guard let pointee = type.elementType, pointee.kind != .void, pointee.kind != .function, pointee.text == nil,
                  let address = pointerValue(node), address != 0 else { return 0 }
            return 1
        default: return 0
        }
    }

    /// The node's children from `start`, at most `count` of them.
    public func children(_ node: ValueNode, start: Int = 0, count: Int = .max) -> [ValueNode] {
        let type = node.expandedType
        let total = childCount(node)
        guard start < total else { return [] }
        let range = start..<min(total, start + min(count, total - start))
        switch type.kind {
        case .record:
            return range.map { index in
                let member = type.members[index]
                let place = node.place?.advanced(by: member.offset)
                let bits = member.bitSize.flatMap { size in member.bitOffset.map { (offset: $0, size: size) } }
                return ValueNode(name: member.name.isEmpty ? "<anonymous>" : member.name, type: member.type, place: place, bits: bits, files: node.files)
            }
        case .array:
            let element = type.elementType!
            return range.map { ValueNode(name: "[\($0)]", type: element, place: node.place?.advanced(by: $0 * element.size), files: node.files) }
        case .pointer:
            let address = pointerValue(node)!
            return [ValueNode(name: "*\(node.name)", type: type.elementType!, place: .memory(address), files: node.files)]
        default:
            return []
        }
    }

    /// The value as one line: a scalar's value, a character pointer with its text, `{...}` for
    /// a record, `[N]` for an array, `<unavailable>` where it cannot be read.
    public func summary(_ node: ValueNode) -> String {
        guard let place = node.place else { return "<unavailable>" }
        let type = node.expandedType
        if let bits = node.bits {
            let count = (bits.offset + bits.size + 7) / 8
            let bytes = count <= 8 ? place.read(count, read) : []
            guard bytes.count == count, count > 0 else { return "<unavailable>" }
            return formatter.scalarText(type, raw: (bytes.littleEndian(at: 0, size: count) >> UInt64(bits.offset)) & bitMask(bits.size))
        }
        switch type.kind {
        case .record:
            return "{...}"
        case .array:
            let bytes = type.size <= 1 << 16 ? place.read(type.size, read) : []
            if bytes.count == type.size, let text = formatter.valueWithText(type, bytes: bytes) { return text }
            return "[\(type.count)]"
        case .void, .function:
            return type.cName
        default:
            let bytes = place.read(type.size, read)
            guard bytes.count == type.size, type.size > 0 else { return "<unavailable>" }
            return formatter.valueWithText(type, bytes: bytes) ?? formatter.valueText(type, bytes: bytes)
        }
    }

    private func pointerValue(_ node: ValueNode) -> UInt64? {
        guard node.type.kind == .pointer, let bytes = node.place?.read(8, read), bytes.count == 8 else { return nil }
        return bytes.littleEndian(at: 0)
    }
}
