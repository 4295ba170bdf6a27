import Foundation

/// Datetimes as Optuna 5.0 stores them in SQLite: naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff`.
public enum OptunaDateTime {
    /// `date` as naive UTC text with microseconds, e.g. `2026-11-27 22:27:04.794659`.
    public static func format(_ date: Date) -> String {
        let (seconds, fraction) = wholeSecondsAndMicros(date)
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        guard (0...9999).contains(year) else {
            return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + " " + pad(secondOfDay / 3600, 2) + ":"
                + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2) + "." + pad(fraction, 6)
        }
        // The common case, written digit by digit into the 26 bytes of the text (a trial's start and completion
        // times are formatted in its transactions).
        return String(unsafeUninitializedCapacity: 26) { text in
            func put(_ value: Int64, width: Int, at start: Int) {
                var rest = value
                for index in stride(from: start + width - 1, through: start, by: -1) {
                    text[index] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                    rest /= 10
                }
            }
            put(year, width: 4, at: 0)
            put(month, width: 2, at: 5)
            put(day, width: 2, at: 8)
            put(secondOfDay / 3600, width: 2, at: 11)
            put(secondOfDay / 60 % 60, width: 2, at: 14)
            put(secondOfDay % 60, width: 2, at: 17)
            put(fraction, width: 6, at: 20)
            (text[4], text[7], text[10]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: " "))
            (text[13], text[16], text[19]) = (UInt8(ascii: ":"), UInt8(ascii: ":"), UInt8(ascii: "."))
            return 26
        }
    }

    /// `date` rounded to whole microseconds, as whole seconds since 1970 (rounded down) and the microseconds
    /// beyond them (0 to 999,999).
    private static func wholeSecondsAndMicros(_ date: Date) -> (Int64, Int64) {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        return (seconds, fraction)
    }

    /// Reads `YYYY-MM-DD HH:MM:SS`, with an optional fraction of any length, a `T` instead of the space, and
    /// an optional `Z` or `±HH:MM` offset (text without one is UTC). Nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                fraction += Double(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offsetSeconds: Int64 = 0
        if index < bytes.count {
            let sign = bytes[index]
            if sign == UInt8(ascii: "Z"), index + 1 == bytes.count {
                index += 1
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), bytes.count == index + 6,
                bytes[index + 3] == UInt8(ascii: ":"), let hours = number(index + 1..<index + 3),
                let minutes = number(index + 4..<index + 6)
            {
                offsetSeconds = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "+") ? 1 : -1)
                index = bytes.count
            } else {
                return nil
            }
        }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let whole = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        // Whole seconds and microseconds are added separately so the result is exact to the microsecond.
        let micros = (fraction * 1_000_000).rounded()
        return Date(timeIntervalSince1970: Double(whole) + micros / 1_000_000)
    }

    /// `date` cut to whole microseconds, the resolution of the stored text.
    /// The same date as `parse(format(date))`, computed without the text.
    public static func rounded(_ date: Date) -> Date {
        let (seconds, fraction) = wholeSecondsAndMicros(date)
        let days = (seconds >= 0 ? seconds : seconds - 86_399) / 86_400
        guard (0...9999).contains(civilDate(daysSinceEpoch: days).0) else { return parse(format(date)) ?? date }
        return Date(timeIntervalSince1970: Double(seconds) + Double(fraction) / 1_000_000)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    private static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    private static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
