import Foundation

/// A model's configuration kept whole in its file's header, as its Codable value (one JSON object
/// under `configurationKey`) rather than one header entry per setting.
extension ModelFile {
    static let configurationKey = "configuration"

    /// `configuration` as a JSON object in the header.
    package mutating func store<Configuration: Encodable>(configuration: Configuration) {
        let data = (try? JSONEncoder().encode(configuration)) ?? Data("{}".utf8)
        header[Self.configurationKey] = (try? JSONSerialization.jsonObject(with: data)) ?? [:]
    }

    /// The header's configuration; a clear error when it is absent or not of this type.
    package func configuration<Configuration: Decodable>(_ type: Configuration.Type, path: String) throws -> Configuration {
        guard let object = header[Self.configurationKey] as? [String: Any], JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object),
              let configuration = try? JSONDecoder().decode(type, from: data) else {
            throw ModelFileError(path: path, message: "the header's '\(Self.configurationKey)' is missing or not a \(type) (a damaged file or one written by another version)",
                                 kind: .headerValue)
        }
        return configuration
    }
}
