// swift-tools-version:5.9
// autorec: autoencoder recommendation engine. No Swift package dependencies by design;
// OpenBLAS and libpq come in as system libraries.
import PackageDescription

let package = Package(
    name: "autorec",
    products: [
        .executable(name: "autorec", targets: ["autorec"]),
        .library(name: "AutoRec", targets: ["AutoRec", "AutoRecReport", "AutoRecRepresentation", "AutoRecModels", "AutoRecCore"]),
        .library(name: "Linalg", targets: ["Linalg"]),
        .library(name: "AutoRecStore", targets: ["AutoRecStore"]),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            // Headers only: Linalg loads libopenblas itself on first use (OpenBLASLibrary.swift).
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // The vector kernels (pointer arithmetic over validated shapes) are the only code built
        // without bounds and overflow checks; everything that reads files, JSON or the network
        // (Linalg's containers, AutoRec's readers and models, the store) keeps them.
        .target(
            name: "LinalgKernels",
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]
        ),
        .target(
            name: "Linalg",
            dependencies: ["CBLAS", "LinalgKernels"]
        ),
        // The layers, each seeing only those beneath it (docs/ARCHITECTURE.md): ids, data, model
        // files, the faces (Ranker, RatingPredictor), metrics, settings and the shared training
        // loop; the models; the representation autoencoders; the catalogue of kinds; the report.
        .target(
            name: "AutoRecCore",
            dependencies: ["Linalg"]
        ),
        .target(
            name: "AutoRecModels",
            dependencies: ["AutoRecCore", "Linalg"]
        ),
        .target(
            name: "AutoRecRepresentation",
            dependencies: ["AutoRecModels", "AutoRecCore", "Linalg"]
        ),
        .target(
            name: "AutoRec",
            dependencies: ["AutoRecModels", "AutoRecCore", "Linalg"]
        ),
        .target(
            name: "AutoRecReport",
            dependencies: ["AutoRec", "AutoRecRepresentation", "AutoRecModels", "AutoRecCore", "Linalg"]
        ),
        .target(
            name: "AutoRecStore",
            dependencies: ["CLibPQ", "AutoRec", "AutoRecReport", "AutoRecRepresentation", "AutoRecModels", "AutoRecCore"]
        ),
        .executableTarget(
            name: "autorec",
            dependencies: ["AutoRec", "AutoRecReport", "AutoRecRepresentation", "AutoRecModels", "AutoRecCore",
                           "AutoRecStore", "Linalg"]
        ),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
        .testTarget(name: "AutoRecTests", dependencies: ["AutoRec", "AutoRecReport", "AutoRecRepresentation",
                                                          "AutoRecModels", "AutoRecCore", "Linalg"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "AutoRecStoreTests", dependencies: ["AutoRecStore", "AutoRec", "AutoRecModels", "AutoRecCore"]),
        // Runs the built executable; depends on it so that it is built first.
        .testTarget(name: "CLITests", dependencies: ["autorec"]),
    ]
)
