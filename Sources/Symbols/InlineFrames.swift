import CDwarf
import Glibc

/// One inlined call covering a pc: the function inlined there and the source line of the
/// call in the function it was inlined into.
public struct InlinedCall: Sendable {
    public let function: String
    public let callSite: SourceLine?
}

extension ModuleSymbols {
    /// The inlined calls covering link-time `pc`, innermost first (empty where none is).
    public func inlinedCalls(at pc: UInt64) -> [InlinedCall] {
        guard let dwarf else { return [] }
        var unit = Dwarf_Die()
        guard unitDIE(containing: pc, dwarf: dwarf, into: &unit) else { return [] }
        guard let (scopes, count) = nestedScopes(at: pc, unit: &unit) else { return [] }
        defer { free(scopes) }
        var calls: [InlinedCall] = []
        for index in 0..<Int(count) {
            let tag = dwarf_tag(&scopes[index])
            if tag == Int32(DW_TAG_subprogram) { break }
            guard tag == Int32(DW_TAG_inlined_subroutine) else { continue }
            let name = dwarf_diename(&scopes[index]).map { String(cString: $0) } ?? "<inlined>"
            calls.append(InlinedCall(function: name, callSite: callSite(of: &scopes[index], unit: &unit)))
        }
        return calls
    }

    /// The scopes containing `pc` as the DIE tree nests them, innermost first: blocks, inlined
    /// calls, the function, the unit. (`dwarf_getscopes` alone continues from an inlined call
    /// into its abstract definition, skipping the functions it was inlined into.) The caller
    /// frees the array.
    func nestedScopes(at pc: UInt64, unit: inout Dwarf_Die) -> (UnsafeMutablePointer<Dwarf_Die>, Int)? {
        var found: UnsafeMutablePointer<Dwarf_Die>? = nil
        guard dwarf_getscopes(&unit, pc, &found) > 0, let found else { return nil }
        defer { free(found) }
        var nested: UnsafeMutablePointer<Dwarf_Die>? = nil
        let count = dwarf_getscopes_die(&found[0], &nested)
        guard count > 0, let nested else { return nil }
        return (nested, Int(count))
    }

    /// `DW_AT_call_file`/`DW_AT_call_line` of an inlined call, the file named through the
    /// unit's line-table file list.
    private func callSite(of call: inout Dwarf_Die, unit: inout Dwarf_Die) -> SourceLine? {
        var attribute = Dwarf_Attribute()
        var fileIndex: Dwarf_Word = 0
        var line: Dwarf_Word = 0
        guard dwarf_attr(&call, UInt32(DW_AT_call_file), &attribute) != nil, dwarf_formudata(&attribute, &fileIndex) == 0,
              dwarf_attr(&call, UInt32(DW_AT_call_line), &attribute) != nil, dwarf_formudata(&attribute, &line) == 0 else { return nil }
        var files: OpaquePointer? = nil
        var fileCount = 0
        guard dwarf_getsrcfiles(&unit, &files, &fileCount) == 0, fileIndex < fileCount,
              let name = dwarf_filesrc(files, Int(fileIndex), nil, nil) else { return nil }
        return SourceLine(file: absolutePath(String(cString: name), unit: &unit), line: Int(line), rowStart: 0)
    }
}
