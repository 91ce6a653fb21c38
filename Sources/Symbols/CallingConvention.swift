/// How the System V x86-64 calling convention passes one eightbyte of a value (psABI 3.2.3):
/// in a general register or a vector register.
public enum EightbyteClass: Sendable, Equatable {
    case integer
    case sse
}

extension TypeLayout {
    /// The classes of a struct, union or complex value's eightbytes when the convention passes
    /// (and returns) it in registers; nil when it goes in memory: larger than 16 bytes, a
    /// member not at its natural alignment, or x87 `long double` inside.
    public var systemVClasses: [EightbyteClass]? {
        guard size > 0, size <= 16 else { return nil }
        var classes: [EightbyteClass?] = Array(repeating: nil, count: (size + 7) / 8)
        guard classify(at: 0, into: &classes) else { return nil }
        // An eightbyte of padding alone is passed as SSE (no register of either kind needed
        // for it in practice; the convention's NO_CLASS).
        return classes.map { $0 ?? .sse }
    }

    /// Merges the classes of this value's scalar leaves, placed at `offset`, into `classes`;
    /// false where the value must go in memory.
    private func classify(at offset: Int, into classes: inout [EightbyteClass?]) -> Bool {
        switch kind {
        case .record:
            for member in members {
                if member.bitSize != nil {
                    guard TypeLayout.mark(.integer, at: offset + member.offset, size: 1, in: &classes) else { return false }
                } else if !member.type.classify(at: offset + member.offset, into: &classes) {
                    return false
                }
            }
            return true
        case .array:
            guard let element = elementType, element.size > 0 else { return size == 0 }
            for index in 0..<(size / element.size) where !element.classify(at: offset + index * element.size, into: &classes) { return false }
            return true
        case .complex:
            guard size <= 16, let part = TypeLayout.builtin(size == 8 ? "float" : "double") else { return false }
            return part.classify(at: offset, into: &classes) && part.classify(at: offset + size / 2, into: &classes)
        case .float:
            // long double is of the x87 class: in memory.
            return size <= 8 && TypeLayout.mark(.sse, at: offset, size: size, in: &classes)
        case .void, .function:
            return true
        default:
            // Integers, characters, booleans, enumerations, pointers.
            return TypeLayout.mark(.integer, at: offset, size: size, in: &classes)
        }
    }

    /// One scalar at `offset`: its eightbyte becomes `kind` unless it is INTEGER already
    /// (INTEGER wins a merge); a scalar off its natural alignment or outside the value
    /// sends the value to memory.
    private static func mark(_ kind: EightbyteClass, at offset: Int, size: Int, in classes: inout [EightbyteClass?]) -> Bool {
        let slot = offset / 8
        guard size > 0, offset % min(size, 8) == 0, slot < classes.count, (offset + size - 1) / 8 == slot else { return false }
        if classes[slot] != .integer { classes[slot] = kind }
        return true
    }
}
