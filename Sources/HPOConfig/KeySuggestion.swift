/// Finds the known key nearest to a misspelled one, for "did you mean" hints.
enum KeySuggestion {
    /// The closest of `candidates` to `key` when it is near enough to be a likely typo (edit distance at most 2, and
    /// less than half the key's length), nil otherwise.
    static func closest(to key: String, among candidates: [String]) -> String? {
        let scored = candidates.map { (candidate: $0, distance: editDistance(key.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        let limit = min(2, max(1, key.count / 2))
        return best.distance <= limit ? best.candidate : nil
    }

    /// Levenshtein distance, with a transposition of two neighbours counted as one edit.
    static func editDistance(_ left: String, _ right: String) -> Int {
        let a = Array(left)
        let b = Array(right)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previousPrevious[j - 2] + 1)
                }
            }
            previousPrevious = previous
            previous = current
        }
        return previous[b.count]
    }

    /// `unknown key "lowr" (did you mean "low"?; allowed: a, b)` style text for an unknown key.
    static func unknownKeyMessage(_ key: String, allowed: [String], what: String = "key") -> String {
        var message = "unknown \(what)"
        if let near = closest(to: key, among: allowed) { message += " (did you mean \(near)?)" }
        return message + "; allowed: " + allowed.joined(separator: ", ")
    }
}
