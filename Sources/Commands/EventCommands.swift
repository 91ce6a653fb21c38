import Engine

/// `sx sxe sxd sxn sxi .lastevent`: the event filter table.
extension Interpreter {
    static let eventCommands: [CommandSpec] = [
        CommandSpec(names: ["sx"], summary: "list event filters") { i, _ throws(CommandError) in i.listFilters() },
        CommandSpec(names: ["sxe"], summary: "break on first chance: sxe [-c \"cmds\"] event[:module]") { i, inv throws(CommandError) in try i.setFilter(inv, .breakFirst) },
        CommandSpec(names: ["sxd"], summary: "break on second chance only") { i, inv throws(CommandError) in try i.setFilter(inv, .breakSecond) },
        CommandSpec(names: ["sxn"], summary: "output a line and continue") { i, inv throws(CommandError) in try i.setFilter(inv, .output) },
        CommandSpec(names: ["sxi"], summary: "ignore the event") { i, inv throws(CommandError) in try i.setFilter(inv, .ignore) },
        CommandSpec(names: [".lastevent"], summary: "show the last event") { i, _ throws(CommandError) in
            i.output.line("Last event: \(i.session.lastEventLine ?? "<none>")")
        },
    ]

    private func listFilters() {
        for filter in session.filters.filters {
            var line = "\(filter.code.leftPadded(to: 8)) - \(filter.description) - \(filter.action.word)"
            if let argument = filter.argument, !argument.isEmpty { line += " (only \(argument))" }
            if let commands = filter.commands { line += " - command \"\(commands)\"" }
            output.line(line)
        }
    }

    private func setFilter(_ invocation: Invocation, _ action: FilterAction) throws(CommandError) {
        var scanner = invocation.scanner
        var commands: String?
        if scanner.accept("-c") {
            guard let text = scanner.quoted() else { throw CommandError("       ^ Syntax error: -c needs a quoted command") }
            commands = text
        }
        guard let event = scanner.word() else { throw CommandError("       ^ Syntax error in '\(invocation.name)\(invocation.arguments)'") }
        let parts = event.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let code = String(parts[0])
        let argument = parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : nil
        guard session.filters.set(code, action: action, commands: commands, argument: argument) else {
            throw CommandError("Unknown event filter '\(code)'")
        }
    }
}

extension FilterAction {
    var word: String {
        switch self {
        case .breakFirst: "break"
        case .breakSecond: "second-chance break"
        case .output: "output"
        case .ignore: "ignore"
        }
    }
}
