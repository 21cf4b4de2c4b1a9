import AutoRec
import AutoRecCore
import AutoRecModels

/// The items' titles as the store holds them (imported from an item catalogue), by external id:
/// what `recommend` and `similar` show beside the ids.
public enum ItemTitles {
    public static func read(_ connection: Connection) throws -> IDDictionary<String> {
        var titles = IDDictionary<String>()
        try connection.copyOutBinary("COPY (SELECT external_id, title FROM items WHERE title IS NOT NULL) TO STDOUT (FORMAT binary)") { row in
            titles[row.text(0)] = row.text(1)
        }
        return titles
    }
}
