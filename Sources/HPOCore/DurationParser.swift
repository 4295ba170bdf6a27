/// Durations, in study files and on the command line alike: `90s`, `30m`, `2h`, `1h30m`, `1d`, `1.5h`, `500ms`,
/// or a number of seconds.
public enum DurationParser {
    public static let expectation = "a duration such as 90s, 30m, 2h, 1h30m or 500ms, or a number of seconds"

    /// Seconds, or nil when `text` is not a duration. Units (`d`, `h`, `m`, `s`, `ms`, `us`) appear at most once
    /// each, largest first; every part is a non-negative decimal number.
    public static func seconds(in text: String) -> Double? {
        let units: [(String, Double)] = [
            ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1), ("ms", 0.001), ("us", 0.000_001),
        ]
        var remaining = Substring(text.filter { !$0.isWhitespace }.lowercased())
        guard !remaining.isEmpty else { return nil }
        if let plain = Double(remaining) { return plain.isFinite && plain >= 0 ? plain : nil }
        var total = 0.0
        var nextUnit = 0
        while !remaining.isEmpty {
            let digits = remaining.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let number = Double(digits), number.isFinite else { return nil }
            remaining = remaining.dropFirst(digits.count)
            let unit = remaining.prefix { $0.isLetter }
            guard let index = units[nextUnit...].firstIndex(where: { $0.0 == unit }) else { return nil }
            total += number * units[index].1
            nextUnit = index + 1
            remaining = remaining.dropFirst(unit.count)
        }
        return total
    }
}
