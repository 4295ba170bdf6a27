// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "hpo",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hpo", targets: ["hpo"]),
        .executable(name: "hpo-bench", targets: ["hpo-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
    ],
    targets: [
        .target(name: "HPOCore", swiftSettings: strict),
        // The Parzen estimator's kernel loop, compiled for SSE2, AVX2 and AVX-512 and chosen at run time.
        .target(name: "CParzen"),
        .target(name: "HPOAlgorithms", dependencies: ["HPOCore", "CParzen"], swiftSettings: strict),
        // A SQLite VFS that writes each write-ahead-log frame with one system call (see its header).
        .target(name: "CSQLiteVFS", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "HPOStorage",
            dependencies: [
                "HPOCore", "CSQLiteVFS", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // OpenBLAS (libopenblas0) is loaded when a trainer first calls it (HPOTraining/OpenBLAS.swift), not linked.
        .target(
            name: "HPOTraining",
            dependencies: ["HPOCore"],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        .target(name: "HPOConfig", dependencies: ["HPOCore", "Yams"], swiftSettings: strict),
        .target(
            name: "HPORuntime",
            dependencies: [
                "HPOCore", "HPOAlgorithms", "HPOStorage", "HPOTraining", "HPOConfig",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "HPOServer",
            dependencies: [
                "HPORuntime", "HPOConfig", "HPOStorage", "HPOCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "hpo",
            dependencies: [
                "HPORuntime", "HPOConfig", "HPOStorage", "HPOCore", "HPOServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "hpo-bench",
            dependencies: ["HPOCore", "HPOAlgorithms", "HPOStorage", "HPORuntime", "HPOTraining"],
            swiftSettings: strict
        ),
        .target(name: "HPOTestSupport", dependencies: ["HPOCore"], swiftSettings: strict),
        .testTarget(name: "HPOCoreTests", dependencies: ["HPOCore", "HPOTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "HPOAlgorithmsTests",
            dependencies: ["HPOAlgorithms", "HPOTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HPOStorageTests",
            dependencies: [
                "HPOStorage", "HPOTestSupport", "CSQLiteVFS", .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "HPOTrainingTests", dependencies: ["HPOTraining", "HPOTestSupport"], swiftSettings: strict),
        .testTarget(name: "HPOConfigTests", dependencies: ["HPOConfig", "HPOTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "HPORuntimeTests", dependencies: ["HPORuntime", "HPOStorage", "HPOTestSupport"], swiftSettings: strict
        ),
        .testTarget(name: "hpoTests", dependencies: ["HPOTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "HPOServerTests",
            dependencies: [
                "HPOServer", "HPORuntime", "HPOStorage", "HPOConfig", "HPOTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
    ]
)
