import Arch
import Glibc
import Targets

/// `.srcpath`: where sources of programs built elsewhere are found. Each element is a folder,
/// searched with the file's trailing path components (`/build/src/a/b.c` is looked for as
/// `FOLDER/build/src/a/b.c`, `FOLDER/src/a/b.c`, `FOLDER/a/b.c`, `FOLDER/b.c`), or a remapping
/// `OLD=NEW` that replaces a path prefix (gdb's `set substitute-path`).
struct SourcePath {
    enum Element: Equatable {
        case folder(String)
        case remap(from: String, to: String)
    }

    var elements: [Element] = []

    init(_ text: String = "") { elements = Self.parse(text) }

    static func parse(_ text: String) -> [Element] {
        text.split(separator: ";").map { String($0.trimmed()) }.filter { !$0.isEmpty }.map { element in
            if let equals = element.firstIndex(of: "="), equals != element.startIndex {
                return .remap(from: String(element[..<equals]), to: String(element[element.index(after: equals)...]))
            }
            return .folder(element)
        }
    }

    var text: String {
        elements.map { element in
            switch element {
            case .folder(let folder): folder
            case .remap(let from, let to): "\(from)=\(to)"
            }
        }.joined(separator: ";")
    }

    /// The readable file for a path from the debug information: remapped first, then as it
    /// is, then in each folder; nil when none exists.
    func locate(_ file: String) -> String? {
        for case .remap(let from, let to) in elements where Self.isPathPrefix(from, of: file) {
            let candidate = to + file.dropFirst(from.count)
            if isReadable(candidate) { return candidate }
        }
        if isReadable(file) { return file }
        let components = file.split(separator: "/")
        for case .folder(let folder) in elements {
            for start in components.indices {
                let candidate = folder + "/" + components[start...].joined(separator: "/")
                if isReadable(candidate) { return candidate }
            }
        }
        return nil
    }

    /// `/build` is a prefix of `/build/a.c` but not of `/buildroot/a.c`, as in gdb's
    /// `substitute-path`.
    static func isPathPrefix(_ prefix: String, of path: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        return prefix.hasSuffix("/") || path.count == prefix.count || path.dropFirst(prefix.count).first == "/"
    }

    private func isReadable(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && access(path, R_OK) == 0
    }
}
