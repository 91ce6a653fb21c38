import Arch
import Engine

/// `r`: the register block, single registers, assignments, xmm registers.
extension Interpreter {
    static let registerCommands: [CommandSpec] = [
        CommandSpec(names: ["r"], summary: "registers: r, r rax, r rax=expr, r xmm0, r $t0=expr") { i, inv throws(CommandError) in try i.registersCommand(inv) },
    ]

    private func registersCommand(_ invocation: Invocation) throws(CommandError) {
        let text = invocation.arguments.trimmed()
        let threads = try selectedThreads(invocation.threads, defaultAll: false)
        if text.isEmpty {
            for thread in threads {
                let saved = session.process?.current
                if let saved, saved !== thread { session.setCurrentThread(thread) }
                showCurrentState(everything: true)
                if let saved { session.setCurrentThread(saved) }
            }
            return
        }
        // `r rip, rsp`: the registers asked for on one line, as WinDbg prints them.
        var shown: [String] = []
        for item in text.split(separator: ",") {
            let part = item.trimmed()
            if let equals = part.firstIndex(of: "=") {
                let name = part[..<equals].trimmed().lowercased().trimmingPrefix("@")
                try assign(String(name), part[part.index(after: equals)...])
            } else {
                shown.append(try describeRegister(String(part.lowercased().trimmingPrefix("@"))))
            }
        }
        if !shown.isEmpty { output.line(shown.joined(separator: " ")) }
    }

    private func assign(_ name: String, _ text: Substring) throws(CommandError) {
        if let (index, wide) = vectorRegister(name) { return try assignVector(index: index, wide: wide, text) }
        let value = try evaluate(text)
        if name.hasPrefix("$t"), let index = Int(name.dropFirst(2)), (0..<20).contains(index) {
            session.userRegisters[index] = value
            return
        }
        if name == "mxcsr" {
            var area = try engine { () throws(EngineError) in try session.vectorState() }
            guard area.mxcsr != nil else { throw CommandError("Bad register error at 'mxcsr'") }
            area.mxcsr = UInt32(truncatingIfNeeded: value)
            try engine { () throws(EngineError) in try session.setVectorState(area) }
            return
        }
        var registers = try currentRegisters()
        guard registers.setValue(value, named: name) else { throw CommandError("Bad register error at '\(name)'") }
        do { try session.setRegisters(registers) } catch { throw CommandError(error.description) }
    }

    /// `r xmm0=4 3 2 1` (lanes as `r xmm0` shows them, highest first), `r ymm1=…` with eight;
    /// one number sets the lowest lane and clears the others.
    private func assignVector(index: Int, wide: Bool, _ text: Substring) throws(CommandError) {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let lanes = wide ? 8 : 4
        guard words.count == 1 || words.count == lanes else { throw CommandError("\(wide ? "ymm" : "xmm")\(index) takes 1 or \(lanes) float values") }
        var values: [Float] = []
        for word in words.reversed() {
            guard let value = Float(word) else { throw CommandError("Bad float value '\(word)'") }
            values.append(value)
        }
        while values.count < lanes { values.append(0) }
        var area = try engine { () throws(EngineError) in try session.vectorState() }
        guard area.setLanes(index, values.map(\.bitPattern)) else { throw CommandError("Bad register error at '\(wide ? "ymm" : "xmm")\(index)'") }
        try engine { () throws(EngineError) in try session.setVectorState(area) }
    }

    private func describeRegister(_ name: String) throws(CommandError) -> String {
        if name.hasPrefix("$") {
            guard let value = SessionContext(self).pseudoRegisterValue(name) else { throw CommandError("Bad register error at '\(name)'") }
            return "\(name)=\(zeroPaddedHex(value, digits: 16))"
        }
        if let (index, wide) = vectorRegister(name) {
            _ = try requireProcess()
            let area = try engine { () throws(EngineError) in try session.vectorState() }
            guard let lanes = area.lanes(index, wide: wide) else { throw CommandError("Bad register error at '\(name)'") }
            return "\(name)=\(lanes.reversed().map { formatShortFloat(Float(bitPattern: $0)) }.joined(separator: " "))"
        }
        if name == "mxcsr" {
            _ = try requireProcess()
            let area = try engine { () throws(EngineError) in try session.vectorState() }
            return "mxcsr=\(zeroPaddedHex(UInt64(area.mxcsr ?? 0), digits: 8))"
        }
        let registers = try currentRegisters()
        guard let value = registers.value(named: name) else { throw CommandError("Bad register error at '\(name)'") }
        let digits: Int
        switch name {
        case "efl": digits = 8
        case "cs", "ss", "ds", "es", "fs", "gs": digits = 4
        default: digits = max(1, (X86Registers.width(of: name) ?? 64) / 4)
        }
        return "\(name)=\(zeroPaddedHex(value, digits: digits))"
    }
}

/// `xmm3` → (3, false), `ymm15` → (15, true): WinDbg shows their lanes as floats.
private func vectorRegister(_ name: String) -> (index: Int, wide: Bool)? {
    guard name.hasPrefix("xmm") || name.hasPrefix("ymm"), let index = Int(name.dropFirst(3)), (0..<16).contains(index) else { return nil }
    return (index, name.hasPrefix("y"))
}

/// WinDbg's short float form in `r xmm0`: `%g`-like, e.g. `1.5 0 0 0`.
func formatShortFloat(_ value: Float) -> String {
    cFormat("%g", Double(value))
}

extension Substring {
    func trimmingPrefix(_ prefix: Character) -> Substring { first == prefix ? dropFirst() : self }
}

extension String {
    func trimmingPrefix(_ prefix: Character) -> Substring { Substring(self).trimmingPrefix(prefix) }
}
