/// What a piece of output is, for colour on a terminal (none in pipes, logs or with `NO_COLOR`).
enum Style {
    case address, symbol, source, error, current, event

    /// The ANSI SGR parameters.
    var code: String {
        switch self {
        case .address: "36"
        case .symbol: "32"
        case .source: "33"
        case .error: "1;31"
        case .current: "1"
        case .event: "1;35"
        }
    }
}

extension Interpreter {
    /// `text` in the colour of `style` when the output takes colour.
    func paint(_ text: String, _ style: Style) -> String {
        guard output.colors, !text.isEmpty else { return text }
        return "\u{1b}[\(style.code)m\(text)\u{1b}[0m"
    }
}
