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
        try FileManager.default.copyItem(atPath: BuiltProducts.path(name), toPath: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }
}
