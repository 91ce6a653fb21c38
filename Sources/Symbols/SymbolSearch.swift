import Arch
import CDebuginfod
import Glibc

/// Where separate debug files are looked for, as WinDbg's symbol path says it: folders, and
/// symbol servers written `srv*` (the debuginfod servers of `DEBUGINFOD_URLS`), `srv*URL` or
/// `srv*CACHE*URL`. With `noisy` (`!sym noisy`) every place tried is reported.
public final class SymbolSearch {
    /// The path elements as typed (`.sympath`), in search order after /usr/lib/debug.
    public var path: [String] = []
    public var noisy = false
    /// Where the search narrates itself (the session's output).
    public var log: (String) -> Void = { _ in }
    /// Where long symbol loads report how far they got (a terminal's status line; an empty
    /// text clears it). Nothing by default: transcripts stay free of it.
    public var progress: (String) -> Void = { _ in }

    public init() {}

    /// A symbol server element: its cache folder and server URLs (nil: the environment's).
    struct Server {
        let cache: String?
        let urls: String?
    }

    var folders: [String] { path.filter { Self.server(from: $0) == nil } }

    var servers: [Server] { path.compactMap(Self.server(from:)) }

    /// `srv*`, `srv*URL`, `srv*CACHE*URL` (`symsrv*symsrv.dll*…` as well, the dll ignored).
    static func server(from element: String) -> Server? {
        var parts = element.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard let kind = parts.first?.lowercased(), kind == "srv" || kind == "symsrv" else { return nil }
        parts.removeFirst()
        if kind == "symsrv", !parts.isEmpty { parts.removeFirst() }
        let urls = parts.filter { $0.contains("://") }
        let folders = parts.filter { !$0.isEmpty && !$0.contains("://") }
        return Server(cache: folders.first, urls: urls.isEmpty ? nil : urls.joined(separator: " "))
    }

    func note(_ text: String) {
        if noisy { log(text) }
    }

    /// A problem with a symbol file, reported whether noisy or not.
    func warning(_ text: String) { log(text) }

    /// Asks each symbol server for the debug file of a build ID; the path of the file
    /// debuginfod downloaded (or had cached), or nil.
    func fetchDebugFile(buildID: [UInt8], module: String) -> String? {
        fetch(buildID: buildID, module: module, executable: false)
    }

    /// The executable or library with this build ID, for a dump whose file is missing or
    /// another build: `.build-id/xx/rest` in the folders (a distribution's links to the
    /// files), then the symbol servers' `executable` by build ID. Checked before it is given.
    public func locateImage(buildID: [UInt8], module: String) -> ElfImage? {
        let hex = hexDigits(buildID)
        let found = (["/usr/lib/debug"] + folders).map { "\($0)/.build-id/\(hex.prefix(2))/\(hex.dropFirst(2))" }.first { access($0, R_OK) == 0 }
            ?? fetch(buildID: buildID, module: module, executable: true)
        guard let found, let image = try? ElfImage(path: found), image.buildID == buildID else {
            note("DBGHELP: \(module) - no image with build ID \(hex) in the symbol path")
            return nil
        }
        note("DBGHELP: \(module) - image by build ID: \(found)")
        return image
    }

    private func fetch(buildID: [UInt8], module: String, executable: Bool) -> String? {
        let hex = hexDigits(buildID)
        for server in servers {
            let urls = server.urls ?? getenv("DEBUGINFOD_URLS").map { String(cString: $0) } ?? ""
            guard !urls.trimmed().isEmpty else {
                note("SYMSRV:  \(module): no server to ask (DEBUGINFOD_URLS is not set)")
                continue
            }
            guard cdi_available() != 0 else {
                warning("*** WARNING: libdebuginfod.so.1 could not be loaded - symbol servers are not available")
                return nil
            }
            note("SYMSRV:  \(module): asking \(urls) for build ID \(hex)")
            if let path = DebuginfodQuery(urls: urls, cache: server.cache).find(buildID, executable: executable) {
                note("SYMSRV:  \(module): \(urls) build ID \(hex) - found \(path)")
                return path
            }
            note("SYMSRV:  \(module): \(urls) build ID \(hex) - not found")
        }
        return nil
    }
}

/// One libdebuginfod request (the library is loaded on the first). libdebuginfod reads its
/// servers and cache folder from the environment, so they are set for the call and put
/// back after it; on a terminal the download shows its progress.
private struct DebuginfodQuery {
    let urls: String
    let cache: String?

    func find(_ buildID: [UInt8], executable: Bool) -> String? {
        let names: [String] = ["DEBUGINFOD_URLS", "DEBUGINFOD_CACHE_PATH", "DEBUGINFOD_TIMEOUT"]
        let saved = names.map { name in (name, getenv(name).map { String(cString: $0) }) }
        setenv("DEBUGINFOD_URLS", urls, 1)
        if let cache { setenv("DEBUGINFOD_CACHE_PATH", cache, 1) }
        // libdebuginfod waits 90 s for a silent server by default; a debugger session should
        // not stall that long on each module (DEBUGINFOD_TIMEOUT still decides when set).
        setenv("DEBUGINFOD_TIMEOUT", "10", 0)
        defer {
            for (name, value) in saved {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }
        var path: UnsafeMutablePointer<CChar>? = nil
        let descriptor = buildID.withUnsafeBufferPointer {
            cdi_find($0.baseAddress, Int32($0.count), &path, isatty(STDERR_FILENO) == 1 ? 1 : 0, executable ? 1 : 0)
        }
        guard descriptor >= 0, let path else { return nil }
        close(descriptor)
        defer { free(path) }
        return String(cString: path)
    }
}
