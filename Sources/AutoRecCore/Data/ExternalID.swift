/// An external id as the bytes it was read as. Swift's `String` equality and hashing merge
/// canonically equivalent text ("café" as `c3 a9` and as `65 cc 81` are equal strings), which would
/// make two users one; this type compares and hashes the UTF-8 bytes, so two ids are the same only
/// when their bytes are. Every map keyed by an id (`IDMap`, `IDDictionary`) keys by it. Swift
/// strings keep the bytes they were made from, so the text itself travels as a `String`.
public struct ExternalID: Hashable, Sendable, CustomStringConvertible {
    public let text: String

    public init(_ text: String) { self.text = text }

    public var description: String { text }

    public static func == (a: ExternalID, b: ExternalID) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

    public func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The longest id accepted, in bytes (PostgreSQL's btree index refuses keys past about 2.7 KB).
    public static let maximumLength = 1000

    /// Why `bytes` cannot be an id, or nil: the one rule for every input (ratings, items, users,
    /// embeddings). Empty, longer than `maximumLength`, a NUL byte (PostgreSQL text cannot hold it)
    /// or not valid UTF-8.
    public static func problem(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if bytes.isEmpty { return "is empty" }
        if bytes.count > maximumLength { return "is \(bytes.count) bytes long; ids are at most \(maximumLength) bytes" }
        if bytes.contains(0) { return "contains a NUL byte" }
        if String(validating: bytes, as: UTF8.self) == nil { return "is not valid UTF-8 text" }
        return nil
    }

    /// `problem` for an id held as a `String` (which is valid UTF-8 by construction).
    public static func problem(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { problem($0) }
    }
}

/// A dictionary keyed by external ids compared as bytes (`ExternalID`), read and written with the
/// ids as strings: titles, genres and attributes by item id.
public struct IDDictionary<Value>: Sequence {
    private var storage: [ExternalID: Value] = [:]

    public init() {}

    public subscript(id: String) -> Value? {
        get { storage[ExternalID(id)] }
        set { storage[ExternalID(id)] = newValue }
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }
    public var values: Dictionary<ExternalID, Value>.Values { storage.values }

    public func makeIterator() -> AnyIterator<(id: String, value: Value)> {
        var inner = storage.makeIterator()
        return AnyIterator { inner.next().map { ($0.key.text, $0.value) } }
    }
}

extension IDDictionary: Sendable where Value: Sendable {}
