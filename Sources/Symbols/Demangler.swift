import Arch
import CDemangle
import Glibc

/// Turns C++ (Itanium) and Swift linkage names into what people write: `geometry::scale`,
/// `main.Shape.area`. The short form (no parameter list, no return type) is what stacks and
/// `x` show, as WinDbg shows `module!ns::Class::method`; the full form tells overloads apart.
public enum Demangler {
    /// The short and full demangled forms, or nil for a name that is not mangled.
    public static func demangle(_ name: String) -> (short: String, full: String)? {
        if name.hasPrefix("_Z") {
            guard let full = call(cd_demangle_cxx, name) else { return nil }
            // gcc's clones (`… [clone .isra.0]`) keep their suffix, as C names do (`f.isra.0`).
            guard let range = full.firstRange(of: " [clone "), full.hasSuffix("]") else { return (cxxShortName(full), full) }
            let clones = String(full[range.lowerBound...]).replacing(" [clone ", with: "").replacing("]", with: "")
            return (cxxShortName(String(full[..<range.lowerBound])) + clones, full)
        }
        if name.hasPrefix("$s") || name.hasPrefix("_$s") || name.hasPrefix("$S") || name.hasPrefix("_T0") {
            guard let full = call(cd_demangle_swift, name), full != name else { return nil }
            return (swiftShortName(full), full)
        }
        return nil
    }

    private static func call(_ demangler: (UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>?, _ name: String) -> String? {
        guard let result = demangler(name) else { return nil }
        defer { free(result) }
        return String(cString: result)
    }

    /// `int geometry::largest<int>(int, int)` → `geometry::largest<int>`;
    /// `geometry::Rectangle::area() const` → `geometry::Rectangle::area`.
    static func cxxShortName(_ full: String) -> String {
        let characters = Array(full)
        let scan = maskingOperatorNames(characters)
        // The parameter list is the last top-level parenthesis group followed only by qualifiers.
        var depth = 0
        var open: Int?
        var cut: Int?
        for (index, character) in scan.enumerated() {
            switch character {
            case "(":
                if depth == 0 { open = index }
                depth += 1
            case ")":
                depth -= 1
                if depth == 0, let start = open, isQualifiers(characters[(index + 1)...]) { cut = start }
            default: break
            }
        }
        guard let cut else { return full }
        // A return type (template functions carry one) ends at the last space outside brackets.
        var nesting = 0
        var nameStart = 0
        for index in 0..<cut {
            switch scan[index] {
            case "<", "(": nesting += 1
            case ">", ")": nesting -= 1
            case " " where nesting == 0: nameStart = index + 1
            default: break
            }
        }
        return String(characters[nameStart..<cut])
    }

    /// Hides the symbols of `operator<`, `operator()`, `operator new` … from bracket counting.
    private static func maskingOperatorNames(_ characters: [Character]) -> [Character] {
        var scan = characters
        let keyword = Array("operator")
        var index = 0
        while index + keyword.count <= scan.count {
            guard Array(scan[index..<(index + keyword.count)]) == keyword else { index += 1; continue }
            var position = index + keyword.count
            if position + 1 < scan.count, scan[position] == "(", scan[position + 1] == ")" {
                scan[position] = "x"; scan[position + 1] = "x"
                position += 2
            }
            while position < scan.count, scan[position] != "(" { scan[position] = "x"; position += 1 }
            index = position
        }
        return scan
    }

    private static func isQualifiers(_ rest: ArraySlice<Character>) -> Bool {
        String(rest).split(separator: " ").allSatisfy { ["const", "volatile", "&", "&&", "noexcept"].contains(String($0)) }
    }

    /// `main.Shape.area() -> Swift.Double` → `main.Shape.area`; `main.counter : Swift.Int` →
    /// `main.counter`; generic clauses go (`main.largest<A where A: Swift.Comparable>(A, A) -> A`
    /// → `main.largest`). Closures and other descriptive names stay whole.
    static func swiftShortName(_ full: String) -> String {
        var head = ""
        var depth = 0
        var index = full.startIndex
        while index < full.endIndex, depth > 0 || (full[index] != "(" && full[index] != " ") {
            let character = full[index]
            if character == "<" { depth += 1 } else if character == ">" { depth -= 1 } else if depth == 0 { head.append(character) }
            index = full.index(after: index)
        }
        let rest = full[index...]
        let endsName = rest.isEmpty || rest.hasPrefix("(") || rest.hasPrefix(" : ")
        return head.isEmpty || !endsName ? full : head
    }
}
