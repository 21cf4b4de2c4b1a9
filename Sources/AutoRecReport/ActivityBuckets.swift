/// Users grouped by how many training interactions (ratings) they have, for the figures by
/// activity: a model can serve heavy users well and newcomers badly.
public enum ActivityBuckets {
    /// The first count of each bucket; the last is open-ended.
    public static let lowerBounds = [1, 11, 26, 51, 101, 251]

    public static var labels: [String] {
        lowerBounds.indices.map { b in
            b + 1 < lowerBounds.count ? "\(lowerBounds[b])-\(lowerBounds[b + 1] - 1)" : "\(lowerBounds[b])+"
        }
    }

    /// The bucket of a user with `count` training interactions (0 counts as the first).
    public static func bucket(of count: Int) -> Int {
        lowerBounds.lastIndex { count >= $0 } ?? 0
    }
}
