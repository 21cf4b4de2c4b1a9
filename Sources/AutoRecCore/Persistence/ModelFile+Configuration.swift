import Foundation

/// A model's configuration kept whole in its file's header, as its Codable value (one JSON object
/// under `configurationKey`, keys in snake_case like the rest of the header) rather than one header
/// entry per setting.
extension ModelFile {
    public static let configurationKey = "configuration"

    /// snake_case keys ("batch_size"), the spelling the header used before configurations were whole.
    private static var configurationEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    /// Reads snake_case keys, and the camelCase ones the first RecVAE files were written with.
    private static var configurationDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// `configuration` as a JSON object in the header.
    package mutating func store<Configuration: Encodable>(configuration: Configuration) {
        let data = (try? Self.configurationEncoder.encode(configuration)) ?? Data("{}".utf8)
        header[Self.configurationKey] = (try? JSONSerialization.jsonObject(with: data)) ?? [:]
    }

    /// The configuration the file keeps: the whole value under `configuration`, or, in a file written
    /// before configurations were kept whole, the flat header entries named by the type's coding
    /// keys, each missing one taken from `defaults` (`legacy` first rewrites entries whose old
    /// spelling differs, such as Mult's "600,200" layer sizes).
    package func configuration<Configuration: Codable>(_ type: Configuration.Type, defaults: Configuration, path: String,
                                                       legacy: (inout [String: Any]) -> Void = { _ in }) throws -> Configuration {
        if header[Self.configurationKey] != nil { return try configuration(type, path: path) }
        guard let data = try? Self.configurationEncoder.encode(defaults), var merged = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelFileError(path: path, message: "\(type) has no JSON form", kind: .headerValue)
        }
        var flat = header
        legacy(&flat)
        for key in merged.keys { if let value = flat[key] { merged[key] = value } }
        guard JSONSerialization.isValidJSONObject(merged), let mergedData = try? JSONSerialization.data(withJSONObject: merged) else {
            throw ModelFileError(path: path, message: "the header's settings are not JSON values", kind: .headerValue)
        }
        return try Self.decode(type, from: mergedData, path: path, what: "the header's settings")
    }

    /// `type` from JSON; the error names the setting that does not fit.
    private static func decode<Configuration: Decodable>(_ type: Configuration.Type, from data: Data, path: String,
                                                         what: String) throws -> Configuration {
        do {
            return try configurationDecoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw ModelFileError(path: path, message: "\(what) do not make a \(type): \(describe(error)) (a damaged file or one written by another version)",
                                 kind: .headerValue)
        }
    }

    /// Which setting failed to decode, and how.
    private static func describe(_ error: DecodingError) -> String {
        func name(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context): return "'\(name(context.codingPath + [key]))' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "'\(name(context.codingPath))' has the wrong type or value"
        @unknown default: return "\(error)"
        }
    }

    /// The header's configuration; a clear error when it is absent or not of this type.
    package func configuration<Configuration: Decodable>(_ type: Configuration.Type, path: String) throws -> Configuration {
        guard let object = header[Self.configurationKey] as? [String: Any], JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object) else {
            throw ModelFileError(path: path, message: "the header's '\(Self.configurationKey)' is missing or not a \(type) (a damaged file or one written by another version)",
                                 kind: .headerValue)
        }
        return try Self.decode(type, from: data, path: path, what: "the header's '\(Self.configurationKey)'")
    }
}
