import Arch
import Commands
import Engine
import Symbols

/// `disassemble`, `readMemory`, `writeMemory`, `modules`, `loadedSources`.
extension DebugAdapter {
    static let memoryRequests: [String: RequestHandler] = [
        "readMemory": { a, arguments throws(AdapterError) in
            _ = try a.requireProcess()
            guard let reference = arguments["memoryReference"]?.string, let base = parseAddress(reference) else { throw AdapterError("'readMemory' needs a memoryReference address") }
            let address = base &+ UInt64(bitPattern: Int64(arguments["offset"]?.int ?? 0))
            guard let count = arguments["count"]?.int, count >= 0, count <= 1 << 24 else { throw AdapterError("'count' must be 0 to 16 MiB") }
            let bytes = a.session.readMemory(address, count: count)
            return .members([("address", .string("0x" + String(address, radix: 16))), ("data", .string(base64(bytes))),
                             ("unreadableBytes", bytes.count < count ? .integer(Int64(count - bytes.count)) : nil)])
        },
        "writeMemory": { a, arguments throws(AdapterError) in
            _ = try a.requireProcess()
            guard let reference = arguments["memoryReference"]?.string, let base = parseAddress(reference) else { throw AdapterError("'writeMemory' needs a memoryReference address") }
            guard let text = arguments["data"]?.string, let bytes = unbase64(text) else { throw AdapterError("'data' must be base64") }
            let address = base &+ UInt64(bitPattern: Int64(arguments["offset"]?.int ?? 0))
            try a.engine { () throws(EngineError) in try a.session.writeMemory(address, bytes) }
            return .object([("bytesWritten", .integer(Int64(bytes.count)))])
        },
        "disassemble": { a, arguments throws(AdapterError) in
            let process = try a.requireProcess()
            guard let reference = arguments["memoryReference"]?.string, let base = parseAddress(reference) else { throw AdapterError("'disassemble' needs a memoryReference address") }
            guard let count = arguments["instructionCount"]?.int, count > 0, count <= 10_000 else { throw AdapterError("'instructionCount' must be 1 to 10000") }
            let address = base &+ UInt64(bitPattern: Int64(arguments["offset"]?.int ?? 0))
            // Ten thousand instructions either way at most: an offset is a window, not a scan.
            let offset = max(-10_000, min(10_000, arguments["instructionOffset"]?.int ?? 0))
            let window = a.instructions(around: address, offset: offset, count: count, process)
            return .object([("instructions", .array(window.map(a.instructionJSON)))])
        },
        "modules": { a, arguments throws(AdapterError) in
            let modules = a.session.process?.modules.modules ?? []
            let start = max(0, arguments["startModule"]?.int ?? 0)
            let count = arguments["moduleCount"]?.int.flatMap { $0 > 0 ? $0 : nil } ?? modules.count
            return .object([("modules", .array(modules.dropFirst(start).prefix(count).map(a.moduleJSON))), ("totalModules", .integer(Int64(modules.count)))])
        },
        "loadedSources": { a, _ throws(AdapterError) in
            var files: Set<String> = []
            for module in a.session.process?.modules.modules ?? [] {
                for file in module.symbolFiles?.sourceFiles ?? [] where file.hasPrefix("/") { files.insert(file) }
            }
            return .object([("sources", .array(files.sorted().map { file in
                .object([("name", .string(String(file.split(separator: "/").last ?? ""))), ("path", .string(file))])
            }))])
        },
    ]

    func moduleJSON(_ module: Module) -> JSON {
        .members([
            ("id", .string(module.name)), ("name", .string(module.name)), ("path", .string(module.path)),
            ("symbolStatus", .string(module.symbolState)),
            ("addressRange", .string("0x\(String(module.start, radix: 16))-0x\(String(module.end, radix: 16))")),
        ])
    }

    /// `count` instructions from `offset` instructions away from `address` (negative: before
    /// it, decoded forward from the function's start, or from a little before when there is no
    /// symbol); places that do not decode are entries of their own, so the count holds.
    func instructions(around address: UInt64, offset: Int, count: Int, _ process: DebuggedProcess) -> [(UInt64, Instruction?)] {
        var before: [(UInt64, Instruction?)] = []
        if offset < 0 {
            let wanted = -offset
            var cursor = address &- UInt64(min(wanted * 15, 1 << 16))
            if let symbol = process.modules.module(containing: address)?.symbol(at: address), symbol.offset <= 1 << 16 { cursor = address - symbol.offset }
            while cursor < address {
                let instruction = session.decode(at: cursor)
                before.append((cursor, instruction))
                cursor &+= UInt64(instruction?.length ?? 1)
            }
            // Short of the instructions asked for: the places before are unknown.
            while before.count < wanted {
                let first = before.first?.0 ?? address
                before.insert((first &- 1, nil), at: 0)
            }
        }
        var after: [(UInt64, Instruction?)] = []
        var cursor = address
        let needed = max(0, offset + count)
        while after.count < needed {
            let instruction = session.decode(at: cursor)
            after.append((cursor, instruction))
            cursor &+= UInt64(instruction?.length ?? 1)
        }
        let all = before + after
        let start = before.count + offset
        return Array(all[max(0, start)..<min(all.count, max(0, start) + count)])
    }

    func instructionJSON(_ entry: (UInt64, Instruction?)) -> JSON {
        let (address, instruction) = entry
        let line = session.sourceLine(at: address)
        let bytes: [String] = instruction?.bytes.map { zeroPaddedHex(UInt64($0), digits: 2) } ?? []
        let text: String = instruction.map { "\($0.mnemonic) \($0.operands)" } ?? "??"
        return .members([
            ("address", .string("0x" + String(address, radix: 16))),
            ("instructionBytes", instruction == nil ? nil : .string(bytes.joined(separator: " "))),
            ("instruction", .string(text.trimmingBlanks)),
            ("symbol", session.symbolize(address).map(JSON.string)),
            ("location", line.map { .object([("path", .string($0.file)), ("name", .string(String($0.file.split(separator: "/").last ?? "")))]) }),
            ("line", line.map { .integer(Int64($0.line)) }),
            ("presentationHint", instruction == nil ? .string("invalid") : nil),
        ])
    }
}

private let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

/// DAP carries memory as base64.
func base64(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index < bytes.count {
        let chunk = bytes[index..<min(index + 3, bytes.count)]
        let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << UInt32(16 - 8 * $1.offset) }
        for position in 0..<4 {
            out.append(position <= chunk.count ? base64Alphabet[Int(value >> UInt32(18 - 6 * position)) & 63] : UInt8(ascii: "="))
        }
        index += 3
    }
    return String(decoding: out, as: UTF8.self)
}

/// Base64 back to bytes; nil for text that is not base64.
func unbase64(_ text: String) -> [UInt8]? {
    var lookup = [Int8](repeating: -1, count: 256)
    for (index, character) in base64Alphabet.enumerated() { lookup[Int(character)] = Int8(index) }
    let characters = Array(text.utf8).filter { $0 != UInt8(ascii: "=") && $0 != 10 && $0 != 13 }
    var out: [UInt8] = []
    var accumulator: UInt32 = 0, bits = 0
    for character in characters {
        let value = lookup[Int(character)]
        guard value >= 0 else { return nil }
        accumulator = accumulator << 6 | UInt32(value)
        bits += 6
        if bits >= 8 {
            bits -= 8
            out.append(UInt8((accumulator >> UInt32(bits)) & 0xff))
        }
    }
    return out
}
