/// The rule every human-chosen name follows (workspaces, projects, connections, tokens): at most 100
/// characters, no control characters, and something other than spaces. Surrounding spaces are trimmed.
/// Names are labels; ids are what code relies on.
///
/// "Space" is an explicit list rather than a platform notion of whitespace, so that this rule and the
/// OpenAPI document's pattern (`Names.pattern`) accept exactly the same strings.
public enum Names {
    public static let maximumLength = 100

    /// Space characters trimmed from both ends: space, no-break and the Unicode typographic spaces.
    static let spaces: Set<Unicode.Scalar> = Set(
        ([0x20, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF] + Array(0x2000...0x200A))
            .compactMap(Unicode.Scalar.init))

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// The same rule as a regular expression (ECMA-262 and Python agree on it).
    public static let pattern: String = {
        let space = "\\u0020\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF"
        let control = "\\u0000-\\u001F\\u007F-\\u009F"
        return "^[\(space)]*[^\(space)\(control)]([^\(control)]*[^\(space)\(control)])?[\(space)]*$"
    }()

    public static func validated(_ raw: String, field: String = "name") throws -> String {
        // Counted in Unicode scalars, as JSON Schema's maxLength counts.
        guard raw.unicodeScalars.count <= maximumLength else {
            throw KeywardError.invalidField(field, "must be at most \(maximumLength) characters")
        }
        guard !raw.unicodeScalars.contains(where: isControl) else {
            throw KeywardError.invalidField(field, "must not contain control characters")
        }
        var scalars = Substring(raw).unicodeScalars
        while let first = scalars.first, spaces.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, spaces.contains(last) { scalars.removeLast() }
        guard !scalars.isEmpty else {
            throw KeywardError.invalidField(field, "must not be empty", hint: "Give a short descriptive name.")
        }
        return String(scalars)
    }
}
