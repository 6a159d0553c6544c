// swift-tools-version:6.0
import PackageDescription

// Layering (DESIGN.md): executables -> AgentServer / AgentClient -> core modules -> C shims.
// AgentPolicy and AgentProtocol are pure and import only the standard library.
let package = Package(
    name: "git-gatekeeper",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "command-agent", targets: ["command-agent"]),
        .executable(name: "git-remote-agent", targets: ["git-remote-agent"]),
        .executable(name: "agent-status", targets: ["agent-status"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/GraphQLSwift/GraphQL", from: "4.3.0"),
        // RS256 for GitHub App JWTs (_CryptoExtras), no hand-written RSA.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // C
        .target(name: "CAgentShims", cSettings: [.define("_GNU_SOURCE")]),
        .target(name: "CTestSupportShims", cSettings: [.define("_GNU_SOURCE")]),
        .systemLibrary(name: "CLibGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        // zlib: the agent's own object reader inflates the workspace's loose objects and packs.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Core (leaf) modules
        .target(name: "AgentPolicy"),
        .target(name: "AgentProtocol"),
        .target(
            name: "AgentSystem",
            dependencies: ["CAgentShims", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(name: "AgentGit", dependencies: ["CLibGit2", "CZlib", "AgentPolicy", "AgentSystem"]),
        .target(name: "AgentAPIPolicy", dependencies: ["AgentPolicy"]),
        // Pure decisions of the workspace guard (git's config format, the key allowlist, what
        // changed since the baseline), kept out of AgentPolicy, which decides refs and API calls.
        .target(name: "AgentWorkspaceGuard", dependencies: ["AgentPolicy"]),

        // Services and clients
        .target(
            name: "AgentServer",
            dependencies: [
                "AgentPolicy", "AgentAPIPolicy", "AgentProtocol", "AgentSystem", "AgentGit", "AgentWorkspaceGuard",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "AgentClient", dependencies: ["AgentProtocol", "AgentSystem"]),

        // Executables: parse options, start things.
        .executableTarget(
            name: "command-agent",
            dependencies: ["AgentServer", "AgentClient", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "git-remote-agent",
            dependencies: ["AgentClient", "AgentProtocol"]
        ),
        .executableTarget(
            name: "agent-status",
            dependencies: ["AgentClient", "AgentSystem", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // Test support and tests
        .executableTarget(
            name: "fixture-servers",
            dependencies: ["AgentTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "agent-benchmarks",
            dependencies: [
                "AgentTestSupport", "AgentAPIPolicy", "AgentPolicy", "AgentClient", "AgentProtocol",
                .product(name: "GraphQL", package: "GraphQL"),
            ],
            path: "Benchmarks/Sources/agent-benchmarks"
        ),
        .target(
            name: "AgentTestSupport",
            dependencies: [
                "AgentProtocol", "AgentSystem", "CTestSupportShims",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // The fixture GitHub API verifies the App JWTs the agent signs.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "AgentPolicyTests", dependencies: ["AgentPolicy", "AgentTestSupport"]),
        // GraphQLSwift is the reference the policy's own GraphQL parser is checked against.
        .testTarget(
            name: "AgentAPIPolicyTests",
            dependencies: ["AgentAPIPolicy", "AgentPolicy", "AgentTestSupport", .product(name: "GraphQL", package: "GraphQL")]
        ),
        .testTarget(name: "AgentProtocolTests", dependencies: ["AgentProtocol"]),
        .testTarget(name: "AgentWorkspaceGuardTests", dependencies: ["AgentWorkspaceGuard", "AgentTestSupport"]),
        .testTarget(name: "AgentSystemTests", dependencies: ["AgentSystem"]),
        .testTarget(name: "AgentGitTests", dependencies: ["AgentGit", "AgentSystem", "AgentTestSupport"]),
        .testTarget(
            name: "AgentServerTests",
            dependencies: [
                "AgentServer", "AgentTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "AgentCLITests", dependencies: ["AgentClient", "AgentProtocol", "AgentSystem", "AgentTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system && !target.name.hasPrefix("C") {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
