/// The rule every human-chosen name follows (workspaces, projects, connections, tokens): 1 to 100
/// characters after trimming, no control characters. Names are labels; ids are what code relies on.
public enum Names {
    public static let maximumLength = 100

    public static func validated(_ raw: String, field: String = "name") throws -> String {
        let trimmed = raw.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw KeywardError.invalidField(field, "must not be empty", hint: "Give a short descriptive name.")
        }
        guard trimmed.count <= maximumLength else {
            throw KeywardError.invalidField(field, "must be at most \(maximumLength) characters")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw KeywardError.invalidField(field, "must not contain control characters")
        }
        return trimmed
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
