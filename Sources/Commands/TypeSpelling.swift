import Symbols

extension TypeLayout {
    /// The type as WinDbg's `dt` spells it: `Int4B`, `Uint8B`, `UChar`, `Char`, `Ptr64 Char`,
    /// `[4] Int4B`, `Float`, `Double`, `Bool`, `Void`; records and enums by their names.
    var windbgName: String {
        switch kind {
        case .pointer:
            guard let pointee = elementType else { return "Ptr64 Void" }
            return "Ptr64 " + (pointee.kind == .function ? "<function>" : pointee.windbgName)
        case .array:
            return "[\(count)] " + (elementType?.windbgName ?? "Void")
        case .void: return "Void"
        case .function: return "<function>"
        case .record, .enumeration: return name
        default:
            let bits = size * 8
            switch encoding {
            case .signed: return "Int\(size)B"
            case .unsigned: return "Uint\(size)B"
            case .signedChar: return "Char"
            case .unsignedChar: return "UChar"
            case .utf: return "Char\(bits)"
            case .boolean: return "Bool"
            case .complex: return "Complex\(bits)"
            case .float: return size == 4 ? "Float" : size == 8 ? "Double" : kind == .float ? "Float80" : "Float\(bits)"
            case .none: return name
            }
        }
    }
}
