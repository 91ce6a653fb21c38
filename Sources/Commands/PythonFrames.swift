import Arch
import Engine
import Expressions
import Symbols

/// `!py` — a debuggee's CPython 3.11, as gdb's `py-bt` shows it: `!py.bt` the Python frames of
/// the current thread (function, file, line), `!py.threads` every Python thread with its
/// innermost frame. Laid out from libpython's own DWARF (`_PyRuntime`, `PyThreadState`,
/// `_PyCFrame`, `_PyInterpreterFrame`, `PyCodeObject`, `PyASCIIObject`, `PyBytesObject`); the line
/// comes from the code object's location table as CPython decodes it.
extension Interpreter {
    static let pythonFrameCommands: [CommandSpec] = [
        CommandSpec(names: ["!py.bt"], summary: "the current thread's Python frames: !py.bt [-n] (-n: among the native frames)") { i, inv throws(CommandError) in
            let python = try PythonRuntime(i)
            guard let state = try python.threadStates().first(where: { $0.nativeID == i.session.process?.current.tid }) else {
                throw CommandError("!py.bt: this thread runs no Python (no PyThreadState for it)")
            }
            switch inv.arguments.trimmed() {
            case "":
                i.output.line("Traceback (most recent call first):")
                for frame in python.frames(of: state) { i.output.line("  File \"\(frame.file)\", line \(frame.line), in \(frame.function)") }
            case "-n":
                try i.showInterleaved(python, state)
            default:
                throw CommandError("Usage: !py.bt [-n]")
            }
        },
        CommandSpec(names: ["!py.locals"], summary: "a Python frame's locals (0: innermost): !py.locals [frame]") { i, inv throws(CommandError) in
            let python = try PythonRuntime(i)
            let index = inv.arguments.trimmed().isEmpty ? 0 : Int(inv.arguments.trimmed()) ?? -1
            guard let state = try python.threadStates().first(where: { $0.nativeID == i.session.process?.current.tid }) else {
                throw CommandError("!py.locals: this thread runs no Python (no PyThreadState for it)")
            }
            let frames = python.frames(of: state)
            guard frames.indices.contains(index) else { throw CommandError("!py.locals: no Python frame \(inv.arguments.trimmed()) (the thread has \(frames.count))") }
            i.output.line("Locals of \(frames[index].function) (\(frames[index].file):\(frames[index].line)):")
            for (name, value) in python.locals(frames[index]) { i.output.line("    \(name) = \(value)") }
        },
        CommandSpec(names: ["!py.threads"], summary: "every Python thread and its innermost frame: !py.threads") { i, _ throws(CommandError) in
            let python = try PythonRuntime(i)
            for state in try python.threadStates() {
                let top = python.frames(of: state).first.map { "\($0.function) (\($0.file):\($0.line))" } ?? "<no Python frame>"
                let index = i.session.process?.thread(state.nativeID)?.index.description ?? "?"
                i.output.line("  ~\(index) tid \(state.nativeID) PyThreadState \(formatAddress(state.address)): \(top)")
            }
        },
    ]
}

extension Interpreter {
    /// `!py.bt -n`: the native stack with, under each `_PyEval_EvalFrameDefault` call, the
    /// Python frames that call evaluates (up to the frame it was entered with).
    fileprivate func showInterleaved(_ python: PythonRuntime, _ state: PythonRuntime.ThreadState) throws(CommandError) {
        let process = try requireProcess()
        var groups = python.frameGroups(of: state)
        for (number, frame) in session.stack(process.current).enumerated() {
            let name = frame.inlined ?? session.symbolize(frame.lookupAddress) ?? formatAddress(frame.pc)
            output.line(String(number).leftPadded(to: 2, with: "0") + " " + formatAddress(frame.pc) + " " + name)
            if name.contains("!_PyEval_EvalFrameDefault"), !groups.isEmpty {
                for python in groups.removeFirst() { output.line("       Python: \(python.function) (\(python.file):\(python.line))") }
            }
        }
    }
}

/// One look at a CPython 3.11 runtime in the target.
struct PythonRuntime {
    struct ThreadState {
        let address: UInt64
        let nativeID: Int32
    }

    struct Frame {
        let function: String
        let file: String
        let line: Int
        /// The `_PyInterpreterFrame` and its code object, for its locals.
        let address: UInt64
        let code: UInt64
    }

    let interpreter: Interpreter
    private let runtime: UInt64
    private let offsets: [String: Int]
    private let asciiSize: Int

    /// `None`, `True` and `False`, which are known by address.
    private let singletons: [UInt64: String]

    init(_ interpreter: Interpreter) throws(CommandError) {
        self.interpreter = interpreter
        let process = try interpreter.requireProcess()
        guard let library = process.modules.modules.first(where: { $0.name.hasPrefix("libpython3") }) ?? process.modules.modules.first(where: { $0.isMainProgram }),
              let files = library.symbolFiles else { throw CommandError("!py: no CPython in this process") }
        let scope = FrameScope(session: interpreter.session, thread: process.current)
        guard let runtime = scope.global(named: "_PyRuntime", in: [library]), let address = runtime.address else {
            throw CommandError("!py: no CPython runtime (_PyRuntime) with debug information in this process")
        }
        self.runtime = address
        var offsets: [String: Int] = [:]
        func member(_ type: String, _ path: String) throws(CommandError) {
            guard var layout = files.typeLayout(named: type).map(files.expanded) else { throw CommandError("!py: libpython's DWARF has no \(type)") }
            var offset = 0
            for part in path.split(separator: ".") {
                guard let found = files.expanded(layout).members.first(where: { $0.name == part }) else { throw CommandError("!py: \(type) has no \(path) (not CPython 3.11?)") }
                offset += found.offset
                layout = files.expanded(found.type)
            }
            offsets["\(type).\(path)"] = offset
        }
        try member("pyruntimestate", "interpreters.head")
        try member("_is", "threads.head")
        try member("_ts", "next")
        try member("_ts", "native_thread_id")
        try member("_ts", "cframe")
        try member("_PyCFrame", "current_frame")
        try member("_PyInterpreterFrame", "f_code")
        try member("_PyInterpreterFrame", "previous")
        try member("_PyInterpreterFrame", "prev_instr")
        try member("_PyInterpreterFrame", "owner")
        try member("_PyInterpreterFrame", "is_entry")
        try member("PyCodeObject", "co_firstlineno")
        try member("PyCodeObject", "co_linetable")
        try member("PyCodeObject", "co_filename")
        try member("PyCodeObject", "co_qualname")
        try member("PyCodeObject", "co_code_adaptive")
        try member("PyASCIIObject", "length")
        try member("PyASCIIObject", "state")
        try member("PyVarObject", "ob_size")
        try member("PyBytesObject", "ob_sval")
        try member("_PyInterpreterFrame", "localsplus")
        try member("PyCodeObject", "co_localsplusnames")
        try member("PyTupleObject", "ob_item")
        try member("PyObject", "ob_type")
        try member("PyTypeObject", "tp_name")
        try member("PyLongObject", "ob_digit")
        try member("PyFloatObject", "ob_fval")
        self.offsets = offsets
        var singletons: [UInt64: String] = [:]
        for (symbol, shown) in [("_Py_NoneStruct", "None"), ("_Py_TrueStruct", "True"), ("_Py_FalseStruct", "False")] {
            if let address = library.address(of: symbol) { singletons[address] = shown }
        }
        self.singletons = singletons
        guard let ascii = files.typeLayout(named: "PyASCIIObject") else { throw CommandError("!py: libpython's DWARF has no PyASCIIObject") }
        asciiSize = ascii.size
    }

    private func word(_ address: UInt64) -> UInt64 {
        let bytes = interpreter.session.readMemory(address, count: 8)
        return bytes.count == 8 ? bytes.littleEndian(at: 0) : 0
    }

    private func at(_ base: UInt64, _ key: String) -> UInt64 { base &+ UInt64(offsets[key] ?? 0) }

    /// The main interpreter's thread states (`_PyRuntime.interpreters.head`; subinterpreters
    /// are not followed).
    func threadStates() throws(CommandError) -> [ThreadState] {
        var states: [ThreadState] = []
        let interpreterState = word(at(runtime, "pyruntimestate.interpreters.head"))
        var state = interpreterState == 0 ? 0 : word(at(interpreterState, "_is.threads.head"))
        while state != 0, states.count < 4096 {
            let native = interpreter.session.readMemory(at(state, "_ts.native_thread_id"), count: 4)
            states.append(ThreadState(address: state, nativeID: native.count == 4 ? Int32(truncatingIfNeeded: native.littleEndian(at: 0, size: 4)) : 0))
            state = word(at(state, "_ts.next"))
        }
        guard !states.isEmpty else { throw CommandError("!py: the runtime has no thread states yet") }
        return states
    }

    /// A thread's frames, innermost first; C-owned entry frames (owner 3) are skipped.
    func frames(of state: ThreadState) -> [Frame] { frameGroups(of: state).flatMap { $0 } }

    /// The frames in the groups each C call of the evaluation loop runs, innermost first: a
    /// group ends with the frame the loop was entered with (`is_entry`).
    func frameGroups(of state: ThreadState) -> [[Frame]] {
        var groups: [[Frame]] = [[]]
        var frames: [Frame] { get { groups[groups.count - 1] } set { groups[groups.count - 1] = newValue } }
        var frame = word(at(word(at(state.address, "_ts.cframe")), "_PyCFrame.current_frame"))
        while frame != 0, frames.count < 4096 {
            let owner = interpreter.session.readMemory(at(frame, "_PyInterpreterFrame.owner"), count: 1).first ?? 0
            let code = word(at(frame, "_PyInterpreterFrame.f_code"))
            if owner != 3, code != 0 {
                let instruction = word(at(frame, "_PyInterpreterFrame.prev_instr"))
                let start = at(code, "PyCodeObject.co_code_adaptive")
                let offset = instruction >= start ? Int((instruction - start) / 2) : 0
                frames.append(Frame(function: text(word(at(code, "PyCodeObject.co_qualname"))), file: text(word(at(code, "PyCodeObject.co_filename"))),
                                    line: line(code: code, instruction: offset), address: frame, code: code))
                if interpreter.session.readMemory(at(frame, "_PyInterpreterFrame.is_entry"), count: 1).first ?? 0 != 0 { groups.append([]) }
            }
            frame = word(at(frame, "_PyInterpreterFrame.previous"))
        }
        return groups.filter { !$0.isEmpty }
    }

    /// A `str`'s text: compact ASCII (its characters after the header), or `?` otherwise.
    private func text(_ object: UInt64) -> String {
        guard object != 0 else { return "?" }
        let length = Int(truncatingIfNeeded: word(at(object, "PyASCIIObject.length")))
        let state = interpreter.session.readMemory(at(object, "PyASCIIObject.state"), count: 1).first ?? 0
        // state: interned (2 bits), kind (3), compact (1), ascii (1).
        guard (0...4096).contains(length), state & 0x20 != 0, state & 0x40 != 0 else { return "?" }
        return String(decoding: interpreter.session.readMemory(object &+ UInt64(asciiSize), count: length), as: UTF8.self)
    }

    /// The line of code unit `instruction` from the location table (co_linetable, 3.11's
    /// format): entries of a first byte (bit 7 set, code in bits 3–6, length in units − 1 in
    /// bits 0–2) and the varints their code calls for.
    private func line(code: UInt64, instruction: Int) -> Int {
        let firstLine = Int(Int32(truncatingIfNeeded: interpreter.session.readMemory(at(code, "PyCodeObject.co_firstlineno"), count: 4).littleEndian(at: 0, size: 4)))
        let table = word(at(code, "PyCodeObject.co_linetable"))
        let size = Int(truncatingIfNeeded: word(at(table, "PyVarObject.ob_size")))
        guard table != 0, (0...1 << 20).contains(size) else { return firstLine }
        let bytes = interpreter.session.readMemory(at(table, "PyBytesObject.ob_sval"), count: size)
        var index = 0, line = firstLine, unit = 0
        func varint() -> Int {
            var value = 0, shift = 0
            while index < bytes.count {
                let byte = Int(bytes[index])
                index += 1
                value |= (byte & 0x3f) << shift
                shift += 6
                if byte & 0x40 == 0 { break }
            }
            return value
        }
        func signedVarint() -> Int {
            let value = varint()
            return value & 1 != 0 ? -(value >> 1) : value >> 1
        }
        while index < bytes.count {
            let first = bytes[index]
            index += 1
            let kind = Int(first >> 3) & 15
            let length = Int(first & 7) + 1
            var entryLine: Int? = line
            switch kind {
            case 15: entryLine = nil
            case 14:
                line += signedVarint()
                entryLine = line
                _ = varint(); _ = varint(); _ = varint()
            case 13:
                line += signedVarint()
                entryLine = line
            case 10...12:
                line += kind - 10
                entryLine = line
                index += 2
            default:
                index += 1
            }
            if instruction < unit + length { return entryLine ?? line }
            unit += length
        }
        return line
    }

    /// A frame's locals by name (its code object's `co_localsplusnames`), each value as `repr`
    /// would show an int, float, str, bool or None, other objects by their type's name.
    func locals(_ frame: Frame) -> [(String, String)] {
        let names = word(at(frame.code, "PyCodeObject.co_localsplusnames"))
        let count = Int(truncatingIfNeeded: word(at(names, "PyVarObject.ob_size")))
        guard names != 0, (0...4096).contains(count) else { return [] }
        return (0..<count).map { index in
            let name = text(word(at(names, "PyTupleObject.ob_item") &+ UInt64(8 * index)))
            let value = word(at(frame.address, "_PyInterpreterFrame.localsplus") &+ UInt64(8 * index))
            return (name, value == 0 ? "<unbound>" : shown(value))
        }
    }

    private func shown(_ object: UInt64) -> String {
        if let singleton = singletons[object] { return singleton }
        let type = word(at(object, "PyObject.ob_type"))
        let typeName = cString(word(at(type, "PyTypeObject.tp_name")))
        switch typeName {
        case "int":
            // ob_size: the digit count, negative for a negative number; 30-bit digits.
            let size = Int64(bitPattern: word(at(object, "PyVarObject.ob_size")))
            let count = Int(size.magnitude)
            guard size.magnitude <= 2 else { return "<int object at \(formatAddress(object))>" }
            let digits = interpreter.session.readMemory(at(object, "PyLongObject.ob_digit"), count: 4 * count)
            guard digits.count == 4 * count else { return "<int object at \(formatAddress(object))>" }
            var magnitude: UInt64 = 0
            for index in stride(from: count - 1, through: 0, by: -1) { magnitude = magnitude << 30 | digits.littleEndian(at: 4 * index, size: 4) }
            return size < 0 ? "-\(magnitude)" : "\(magnitude)"
        case "float":
            return "\(Double(bitPattern: word(at(object, "PyFloatObject.ob_fval"))))"
        case "str":
            let value = text(object)
            return value == "?" ? "<str object at \(formatAddress(object))>" : "'\(value)'"
        default:
            return "<\(typeName) object at \(formatAddress(object))>"
        }
    }

    private func cString(_ address: UInt64) -> String {
        String(decoding: interpreter.session.readMemory(address, count: 64).prefix { $0 != 0 }, as: UTF8.self)
    }
}
