import Foundation

/// JSON encoding that cannot fail on numbers: NaN and infinities (a diverged loss, an empty
/// evaluation) become null instead of an exception, everywhere the project writes JSON.
public enum JSONValue {
    /// A copy of `value` with every non-finite number replaced by NSNull.
    public static func sanitized(_ value: Any) -> Any {
        switch value {
        // A boolean parsed from JSON is an NSNumber that also casts to Double: keep it a boolean.
        case let n as NSNumber where String(cString: n.objCType) == "c": return n.boolValue
        case let d as Double: return d.isFinite ? d : NSNull()
        case let f as Float: return f.isFinite ? Double(f) : NSNull()
        case let a as [Any]: return a.map(sanitized)
        case let o as [String: Any]: return o.mapValues(sanitized)
        default: return value
        }
    }

    /// UTF-8 JSON text of `value` (objects with sorted keys), non-finite numbers as null.
    public static func encode(_ value: Any, pretty: Bool = false) throws -> String {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .fragmentsAllowed]
        if pretty { options.insert(.prettyPrinted) }
        return String(decoding: try JSONSerialization.data(withJSONObject: sanitized(value), options: options), as: UTF8.self)
    }
}
