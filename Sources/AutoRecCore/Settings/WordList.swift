/// Names as a sentence lists them: "a", "a or b", "a, b or c"; help texts and errors use it.
public enum WordList {
    public static func or(_ names: [String]) -> String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
