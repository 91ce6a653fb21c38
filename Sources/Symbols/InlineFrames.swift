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
        unit = entriesUnit(unit)
        guard var scopes = nestedScopes(at: pc, unit: &unit) else { return [] }
        var calls: [InlinedCall] = []
        for index in scopes.indices {
            let tag = dwarf_tag(&scopes[index])
            if tag == Int32(DW_TAG_subprogram) { break }
            guard tag == Int32(DW_TAG_inlined_subroutine) else { continue }
            let name = dwarf_diename(&scopes[index]).map { String(cString: $0) } ?? "<inlined>"
            calls.append(InlinedCall(function: name, callSite: callSite(of: &scopes[index], unit: &unit)))
        }
        return calls
    }

    /// The scopes containing `pc` as the DIE tree nests them, innermost first: blocks, inlined
    /// calls, the function, the unit. Found by descending only into entries whose ranges hold
    /// `pc` (and into namespaces and classes, which hold functions but no ranges), so a big
    /// unit is not read whole. (`dwarf_getscopes` walks the unit, and continues from an inlined
    /// call into its abstract definition instead of the functions it was inlined into.)
    func nestedScopes(at pc: UInt64, unit: inout Dwarf_Die) -> [Dwarf_Die]? {
        let scopeTags = [DW_TAG_subprogram, DW_TAG_inlined_subroutine, DW_TAG_lexical_block].map { Int32($0) }
        // C keeps functions at the top; C++ and Swift may nest them in namespaces and types.
        let containerTags = (isC(&unit) ? [] : [DW_TAG_namespace, DW_TAG_class_type, DW_TAG_structure_type, DW_TAG_module]).map { Int32($0) }
        var path = [unit]
        var parent = unit
        descend: while true {
            var child = Dwarf_Die()
            guard dwarf_child(&parent, &child) == 0 else { break }
            repeat {
                let tag = dwarf_tag(&child)
                if scopeTags.contains(tag), dwarf_haspc(&child, pc) == 1 {
                    path.append(child)
                    parent = child
                    continue descend
                }
                if containerTags.contains(tag), dwarf_haschildren(&child) != 0,
                   let inner = containerPath(&child, pc: pc, scopeTags: scopeTags, containerTags: containerTags) {
                    path.append(contentsOf: inner)
                    parent = inner[inner.count - 1]
                    continue descend
                }
            } while nextSibling(&child)
            break
        }
        return path.count > 1 ? path.reversed() : nil
    }

    /// A scope holding `pc` somewhere inside a namespace or class (C++ methods, Swift types).
    private func containerPath(_ container: inout Dwarf_Die, pc: UInt64, scopeTags: [Int32], containerTags: [Int32]) -> [Dwarf_Die]? {
        var child = Dwarf_Die()
        guard dwarf_child(&container, &child) == 0 else { return nil }
        repeat {
            let tag = dwarf_tag(&child)
            if scopeTags.contains(tag), dwarf_haspc(&child, pc) == 1 { return [child] }
            if containerTags.contains(tag), dwarf_haschildren(&child) != 0,
               let inner = containerPath(&child, pc: pc, scopeTags: scopeTags, containerTags: containerTags) {
                return inner
            }
        } while nextSibling(&child)
        return nil
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
