/// Durations of a study file: `90s`, `30m`, `2h`, `1h30m`, `1d`, `1.5h`, or a number of seconds.
enum DurationParser {
    static let expectation = "a duration such as 90s, 30m, 2h or 1h30m, or a number of seconds, greater than 0"

    /// Seconds, or nil when `text` is not a duration. Units (`d`, `h`, `m`, `s`) appear at most once each, largest
    /// first; every part is a non-negative decimal number.
    static func seconds(in text: String) -> Double? {
        let units: [(Character, Double)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
        var remaining = Substring(text.filter { !$0.isWhitespace })
        guard !remaining.isEmpty else { return nil }
        if let plain = Double(remaining) { return plain.isFinite && plain >= 0 ? plain : nil }
        var total = 0.0
        var nextUnit = 0
        while !remaining.isEmpty {
            let digits = remaining.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let number = Double(digits) else { return nil }
            remaining = remaining.dropFirst(digits.count)
            guard let unit = remaining.first,
                let index = units[nextUnit...].firstIndex(where: { $0.0 == unit })
            else { return nil }
            total += number * units[index].1
            nextUnit = index + 1
            remaining = remaining.dropFirst()
        }
        return total
    }
}
