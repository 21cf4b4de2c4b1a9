/// Size arithmetic on numbers read from files. Any overflow makes the result nil: a crafted header
/// could otherwise choose a layer size whose wrapped product equals the real array length, pass the
/// shape check and send every later index out of bounds.
public struct CheckedSize: Equatable, Sendable {
    public let value: Int?

    public init(_ value: Int) { self.value = value >= 0 ? value : nil }
    private init(optional: Int?) { value = optional }

    public static func * (a: CheckedSize, b: CheckedSize) -> CheckedSize {
        guard let x = a.value, let y = b.value else { return CheckedSize(optional: nil) }
        let (r, overflow) = x.multipliedReportingOverflow(by: y)
        return CheckedSize(optional: overflow ? nil : r)
    }

    public static func + (a: CheckedSize, b: CheckedSize) -> CheckedSize {
        guard let x = a.value, let y = b.value else { return CheckedSize(optional: nil) }
        let (r, overflow) = x.addingReportingOverflow(y)
        return CheckedSize(optional: overflow ? nil : r)
    }
}
