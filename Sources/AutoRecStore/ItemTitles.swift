/// The items' titles as the store holds them (imported from an item catalogue), by external id:
/// what `recommend` and `similar` show beside the ids.
public enum ItemTitles {
    public static func read(_ connection: Connection) throws -> [String: String] {
        var titles: [String: String] = [:]
        for row in try connection.execute("SELECT external_id, title FROM items WHERE title IS NOT NULL").rows {
            if let id = row[0], let title = row[1] { titles[id] = title }
        }
        return titles
    }
}
