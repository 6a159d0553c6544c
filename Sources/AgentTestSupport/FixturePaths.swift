import Foundation

/// Where the shared test fixtures and the built executables are.
public enum FixturePaths {
    /// The repository's `Fixtures/` directory.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }
}

/// The executables `swift build` made, beside the running test bundle.
public enum BuiltProducts {
    public static let directory: URL = {
        // The benchmarks run the binaries as the images ship them, from their own build folder.
        if let override = ProcessInfo.processInfo.environment["AGENT_PRODUCTS_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // On Linux the test binary is `<bin>/<Package>PackageTests.xctest`.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("command-agent").path),
            directory.path != "/"
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }()

    public static func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }
}

/// A copy of a built product in a fresh directory under `/tmp` that every uid can enter.
///
/// A test that runs a product as another user (`setpriv --reuid=65534`) cannot count on that
/// user reaching the build folder: a checkout may lie in a directory only its owner can enter
/// (a clone under `/root`, a `mktemp -d` folder).
public final class ProductCopy: Sendable {
    public let path: String
    private let directory: TemporaryDirectory

    public init(_ name: String) throws {
        directory = try TemporaryDirectory(prefix: "product", mode: 0o755)
        path = directory.sub(name)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: BuiltProducts.path(name)))
        // Written through a descriptor closed on exec: a process another test starts meanwhile
        // would otherwise inherit it open for writing, and running the copy fail with "Text file
        // busy" (ETXTBSY).
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress.map { $0 + written }, bytes.count - written) }
            guard count > 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
            written += count
        }
        guard fchmod(descriptor, 0o755) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }
}
