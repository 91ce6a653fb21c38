import Arch

/// WinDbg-style module names for ELF files: the file name cut at `.so`, every character outside
/// `[A-Za-z0-9_]` turned into `_` (`libc.so.6` → `libc`, `ld-linux-x86-64.so.2` → `ld_linux_x86_64`,
/// `python3.11` → `python3_11`), so `module!symbol` stays a valid expression token.
public func moduleName(forPath path: String) -> String {
    var file = Substring(path.split(separator: "/").last ?? Substring(path))
    if file.hasSuffix(" (deleted)") { file = file.dropLast(10) }
    // Cut at a ".so" that ends the name or is followed by a version (".so.6").
    var index = file.startIndex
    while let range = file[index...].firstRange(of: ".so") {
        if range.upperBound == file.endIndex || file[range.upperBound] == "." {
            file = file[..<range.lowerBound]
            break
        }
        index = range.upperBound
    }
    let mapped = file.unicodeScalars.map { scalar -> Character in
        let v = scalar.value
        let ok = (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5a) || (v >= 0x61 && v <= 0x7a) || v == 0x5f
        return ok ? Character(scalar) : "_"
    }
    let name = String(mapped)
    return name.isEmpty ? "module" : name
}
