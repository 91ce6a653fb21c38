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
        guard var (unit, scopes) = scopes(at: pc) else { return [] }
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

    /// The unit holding link-time `pc` (its split unit for a skeleton) and the scopes around
    /// `pc` in it, innermost first.
    func scopes(at pc: UInt64) -> (unit: Dwarf_Die, scopes: [Dwarf_Die])? {
        guard let dwarf else { return nil }
        var unit = Dwarf_Die()
        guard unitDIE(containing: pc, dwarf: dwarf, into: &unit) else { return nil }
        unit = entriesUnit(unit)
        guard let scopes = nestedScopes(at: pc, unit: &unit) else { return nil }
        return (unit, scopes)
    }

    /// The scopes containing `pc` as the DIE tree nests them, innermost first: blocks, inlined
    /// calls, the function, the unit. Found by descending only into entries whose ranges hold
    /// `pc` (and into namespaces and classes, which hold functions but no ranges), so a big
    /// unit is not read whole. (`dwarf_getscopes` walks the unit, and continues from an inlined
    /// call into its abstract definition instead of the functions it was inlined into.)
    func nestedScopes(at pc: UInt64, unit: inout Dwarf_Die) -> [Dwarf_Die]? {
        // C keeps functions at the top; C++ and Swift may nest them in namespaces and types.
        let containers = (isC(&unit) ? [] : [DW_TAG_namespace, DW_TAG_class_type, DW_TAG_structure_type, DW_TAG_module]).map { Int32($0) }
        var path = [unit] + scopes(below: unit, holding: pc, containers: containers)
        if !path.contains(where: { var die = $0; return dwarf_tag(&die) == Int32(DW_TAG_subprogram) }) {
            // A function nested in another's entry but outside its ranges (a C++ lambda's
            // operator() inside main's entry): search the whole unit for it.
            var root = unit
            guard let function = function(holding: pc, under: &root) else { return nil }
            path = [unit, function] + scopes(below: function, holding: pc, containers: [])
        }
        return path.reversed()
    }

    private static let scopeTags = [DW_TAG_subprogram, DW_TAG_inlined_subroutine, DW_TAG_lexical_block].map { Int32($0) }

    /// The chain of scopes under `start` whose ranges hold `pc`, outermost first.
    private func scopes(below start: Dwarf_Die, holding pc: UInt64, containers: [Int32]) -> [Dwarf_Die] {
        var path: [Dwarf_Die] = []
        var parent = start
        descend: while true {
            var child = Dwarf_Die()
            guard dwarf_child(&parent, &child) == 0 else { break }
            repeat {
                let tag = dwarf_tag(&child)
                if Self.scopeTags.contains(tag), dwarf_haspc(&child, pc) == 1 {
                    path.append(child)
                    parent = child
                    continue descend
                }
                if containers.contains(tag), dwarf_haschildren(&child) != 0, let inner = containedScope(&child, pc: pc, containers: containers) {
                    path.append(inner)
                    parent = inner
                    continue descend
                }
            } while nextSibling(&child)
            break
        }
        return path
    }

    /// A scope holding `pc` somewhere inside a namespace or class (C++ methods, Swift types).
    private func containedScope(_ container: inout Dwarf_Die, pc: UInt64, containers: [Int32], depth: Int = 0) -> Dwarf_Die? {
        var child = Dwarf_Die()
        guard depth < 32, dwarf_child(&container, &child) == 0 else { return nil }
        repeat {
            let tag = dwarf_tag(&child)
            if Self.scopeTags.contains(tag), dwarf_haspc(&child, pc) == 1 { return child }
            if containers.contains(tag), dwarf_haschildren(&child) != 0,
               let inner = containedScope(&child, pc: pc, containers: containers, depth: depth + 1) {
                return inner
            }
        } while nextSibling(&child)
        return nil
    }

    /// Depth-first search of the whole tree under `parent` for the subprogram holding `pc`.
    private func function(holding pc: UInt64, under parent: inout Dwarf_Die, depth: Int = 0) -> Dwarf_Die? {
        var child = Dwarf_Die()
        guard depth < 32, dwarf_child(&parent, &child) == 0 else { return nil }
        repeat {
            if dwarf_tag(&child) == Int32(DW_TAG_subprogram), dwarf_haspc(&child, pc) == 1 { return child }
            if dwarf_haschildren(&child) != 0, let found = function(holding: pc, under: &child, depth: depth + 1) { return found }
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
        return SourceLine(file: absolutePath(String(cString: name), unit: &unit), line: Int(min(line, UInt64(Int32.max))), rowStart: 0)
    }
}

extension ModuleSymbols {
    /// The parameter list of the function starting at link-time `address`, from its DWARF
    /// subprogram (`(int, const void *, size_t, int)`, `(void)`, `(const char *, ...)`); nil
    /// without DWARF for it.
    public func prototype(at address: UInt64) -> String? {
        guard let signature = signature(ofFunctionAt: address) else { return nil }
        let types = signature.parameters.map(\.cName) + (signature.variadic ? ["..."] : [])
        return "(" + (types.isEmpty ? "void" : types.joined(separator: ", ")) + ")"
    }

    /// The parameter types of the function starting at link-time `address`, in order, and
    /// whether it takes more (`...`); nil without DWARF for it.
    public func signature(ofFunctionAt address: UInt64) -> (parameters: [TypeLayout], variadic: Bool)? {
        guard var function = subprogram(beginningAt: address) else { return nil }
        var parameters: [TypeLayout] = []
        var variadic = false
        var child = Dwarf_Die()
        if dwarf_child(&function, &child) == 0 {
            repeat {
                switch dwarf_tag(&child) {
                case Int32(DW_TAG_formal_parameter): parameters.append(layout(ofTypeOf: &child, depth: 3))
                case Int32(DW_TAG_unspecified_parameters): variadic = true
                default: break
                }
            } while nextSibling(&child) && parameters.count < 64
        }
        return (parameters, variadic)
    }

    /// The return type of the function starting at link-time `address`; nil without DWARF
    /// for it, or for a function that returns nothing.
    public func returnType(ofFunctionAt address: UInt64) -> TypeLayout? {
        guard var function = subprogram(beginningAt: address) else { return nil }
        let type = layout(ofTypeOf: &function, depth: 3)
        return type.kind == .void ? nil : type
    }

    /// The DWARF subprogram one of whose ranges begins at `address` (a function split into hot
    /// and cold parts has its cold part, often lower, as its lowest address).
    private func subprogram(beginningAt address: UInt64) -> Dwarf_Die? {
        guard var (_, scopes) = scopes(at: address),
              let index = scopes.indices.first(where: { dwarf_tag(&scopes[$0]) == Int32(DW_TAG_subprogram) }) else { return nil }
        var function = scopes[index]
        var base: Dwarf_Addr = 0, start: Dwarf_Addr = 0, end: Dwarf_Addr = 0
        var offset = dwarf_ranges(&function, 0, &base, &start, &end)
        while offset > 0 {
            if start == address { return function }
            offset = dwarf_ranges(&function, offset, &base, &start, &end)
        }
        return nil
    }
}
