/// A two-way map between external ids (text, as real systems use UUIDs) and dense indices 0..<count.
/// Ids are compared as bytes (`ExternalID`): canonically equivalent ids stay two ids.
public struct IDMap: Equatable, Sendable {
    public private(set) var externalIDs: [String] = []
    private var indexByID: [ExternalID: Int32] = [:]

    public init() {}

    public init(_ ids: [String]) {
        for id in ids { _ = insert(id) }
    }

    public var count: Int { externalIDs.count }

    /// The index of `id`, adding it at the end when it is new.
    @discardableResult
    public mutating func insert(_ id: String) -> Int32 {
        let key = ExternalID(id)
        if let i = indexByID[key] { return i }
        let i = Int32(externalIDs.count)
        externalIDs.append(id)
        indexByID[key] = i
        return i
    }

    /// The dense index of `id`, or nil when it is unknown.
    public func index(of id: String) -> Int32? { indexByID[ExternalID(id)] }

    /// The external id at dense index `i`.
    public func id(at i: Int) -> String { externalIDs[i] }

    public static func == (a: IDMap, b: IDMap) -> Bool { a.externalIDs.map(ExternalID.init) == b.externalIDs.map(ExternalID.init) }
}
