import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a path cannot be read or written, as one sentence that names it and says what to do.
public struct FileAccessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The one way the library reads a whole input file and writes an output file: an output path must
/// be a regular file or not exist yet, in a folder that exists (never a device, pipe or folder, which
/// a rename as root would replace); an input may be a regular file or a pipe (`/dev/stdin`, `<(...)`).
public enum FileAccess {
    /// Refuses an output path that exists and is not a regular file, or whose folder does not exist.
    public static func checkOutput(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw FileAccessError("\(path) is \(kind(info.st_mode)), not a regular file; name a new file or a regular one to replace")
            }
            return
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var folderInfo = stat()
        guard stat(folder, &folderInfo) == 0, folderInfo.st_mode & S_IFMT == S_IFDIR else {
            throw FileAccessError("\(path) cannot be written: the folder \(folder) does not exist; create it or choose another path")
        }
    }

    /// Writes `text` to `path` atomically (a temporary file renamed into place) after `checkOutput`.
    public static func write(_ text: String, to path: String) throws {
        try checkOutput(path)
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw FileAccessError("\(path) cannot be written (\(reason(error)))")
        }
    }

    /// The bytes of `path`: mapped when it is a regular file, read to the end when it is a pipe.
    public static func read(_ path: String) throws -> Data {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw FileAccessError("\(path) cannot be read (\(String(cString: strerror(errno)))); check the path and the working directory")
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: throw FileAccessError("\(path) is a directory, not a file")
        case S_IFREG:
            do { return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) } catch {
                throw FileAccessError("\(path) cannot be read (\(reason(error))); check its permissions")
            }
        case S_IFIFO, S_IFCHR:
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw FileAccessError("\(path) cannot be opened (\(String(cString: strerror(errno))))")
            }
            defer { try? handle.close() }
            do { return try handle.readToEnd() ?? Data() } catch {
                throw FileAccessError("\(path) cannot be read (\(reason(error)))")
            }
        default: throw FileAccessError("\(path) is \(kind(info.st_mode)), not a file")
        }
    }

    /// A file error in words: the system's reason, not Foundation's dictionary dump.
    public static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFCHR, S_IFBLK: return "a device"
        case S_IFIFO: return "a pipe"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }
}
