/// A problem with a scenario file (or a file it names), with where it is and what was expected.
///
/// Printed like a compiler diagnostic:
/// `Scenarios/x.json:12:20: $.models.ocr.concurrency: expected a whole number ≥ 1, found "four"`
/// followed by a `hint:` line when there is a suggestion.
/// An error that knows where in Headroom's source it was raised (`Module/File.swift:line`).
/// Never shown to users: the error-message audit uses it to prove every throw site has a
/// case that reaches it.
public protocol RaisedError: Error {
    var raisedAt: String { get }
}

public struct ScenarioError: RaisedError, CustomStringConvertible, Equatable, Sendable {
    /// The file, as the user named it.
    public var file: String
    /// 1-based line and column, when known.
    public var line: Int?
    public var column: Int?
    /// The JSON path (`$.models.ocr.concurrency`) or a column name for CSV files.
    public var path: String?
    /// What is wrong and what was expected.
    public var message: String
    /// What to do about it ("did you mean 'concurrency'?").
    public var suggestion: String?

    /// Where in Headroom's source the error was raised (`Module/File.swift:line`): never
    /// shown to users; the error-message audit test uses it to prove every throw site has a
    /// case that reaches it.
    public var raisedAt: String

    public init(file: String, line: Int? = nil, column: Int? = nil, path: String? = nil,
                message: String, suggestion: String? = nil, raisedIn sourceFile: String = #fileID, at sourceLine: Int = #line) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
        self.suggestion = suggestion
        self.raisedAt = "\(sourceFile):\(sourceLine)"
    }

    /// Errors are equal when they say the same thing to the user, wherever they were raised.
    public static func == (a: ScenarioError, b: ScenarioError) -> Bool {
        a.file == b.file && a.line == b.line && a.column == b.column && a.path == b.path && a.message == b.message && a.suggestion == b.suggestion
    }

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        var text = "\(place): "
        if let path { text += "\(path): " }
        text += message
        if let suggestion { text += "\n  hint: \(suggestion)" }
        return text
    }
}

/// Suggestions for misspelt keys and names.
public enum Suggest {
    /// The candidate closest to `word` by edit distance, if it is close enough to be a likely
    /// typo (at most a third of the word's length, and at least 1 edit allowed).
    ///
    /// A word longer than 64 characters gets no suggestion (it is not a typo of a name), and
    /// candidates whose length differs from it by more than the allowed edits are skipped
    /// (their distance is at least that difference): the work stays bounded by
    /// candidates × 64², where two 20,000-character names took a minute and gigabytes.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let length = word.unicodeScalars.count
        guard length <= 64 else { return nil }
        let limit = Swift.max(1, word.count / 3)
        var best: String?
        var bestDistance = Int.max
        let lowered = word.lowercased()
        for candidate in candidates {
            guard abs(candidate.unicodeScalars.count - length) <= limit else { continue }
            let d = distance(lowered, candidate.lowercased())
            if d < bestDistance || (d == bestDistance && best.map { candidate < $0 } == true) {
                best = candidate
                bestDistance = d
            }
        }
        return bestDistance <= limit ? best : nil
    }

    /// "did you mean 'x'?" or the list of valid choices when nothing is close.
    public static func hint(for word: String, in candidates: [String], noun: String = "") -> String {
        if let match = closest(to: word, in: candidates) { return "did you mean '\(match)'?" }
        if candidates.isEmpty { return "there are none defined" }
        let list = candidates.prefix(40).map { "'\($0)'" }.joined(separator: ", ")
        return (noun.isEmpty ? "expected one of" : noun) + " \(list)\(candidates.count > 40 ? ", …" : "")"
    }

    /// Edit distance counting insertions, deletions, substitutions and swaps of two
    /// neighbouring characters as one edit each (optimal string alignment), so "rnu" is one
    /// edit from "run".
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }
}
