import Foundation
import AutoRec
import AutoRecStore
import AutoRecCore
import AutoRecModels
import AutoRecRepresentation

/// `autorec embed`: trains a representation autoencoder on rating vectors and writes the embeddings.
enum EmbedCommand: Command {
    static let spec = CommandSpec(
        name: "embed",
        abstract: "Learn item (or user) embeddings with an autoencoder variant and write them as TSV.",
        discussion: """
        Each item is read as its vector of ratings by user (--of users: each user's ratings by item),
        divided by the top rating. Variants: plain, sparse (KL of mean code activation to --rho,
        weight --beta), denoising (--mask share hidden, --noise Gaussian sigma), contractive (Jacobian
        penalty --lambda), vae and beta-vae (Gaussian code, KL weight 1 or --kl-weight; the
        embedding is the mean), wasserstein (MMD to N(0, I), weight --mmd-weight), adversarial (a
        discriminator trained in turn tells N(0, I) samples from codes), ali (an encoder, a decoder
        and a discriminator on joint (x, z) pairs, no reconstruction term; it reconstructs loosely).
        --json reports the reconstruction RMSE over the observed entries. --autorec MODEL takes the
        hidden codes of a trained AutoRec file instead.
        """,
        options: [
            SharedOptions.kind(help: "plain, sparse, denoising, contractive, vae, beta-vae, wasserstein, adversarial or ali.", default: "denoising"),
            .value("--autorec", as: "model", help: "Use the hidden codes of this I-AutoRec (items) or U-AutoRec (users) file."),
            .value("--of", as: "items|users", help: "What to embed.", default: "items"),
            .value("--hidden", as: "n", help: "Units of a tanh layer between input and code, mirrored in the decoder (0: one layer).", default: "0"),
        ] + SharedOptions.representationTraining() + [
            .value("--lr", as: "x", help: "Adam learning rate.", default: "0.003"),
            .value("--l2", as: "x", help: "L2 weight on the weights.", default: "0.0001"),
            .value("--rho", as: "x", help: "Sparse: target mean activation.", default: "0.05"),
            .value("--beta", as: "x", help: "Sparse: weight of the KL term.", default: "0.1"),
            .value("--mask", as: "p", help: "Denoising: share of observed inputs hidden.", default: "0.3"),
            .value("--noise", as: "sigma", help: "Denoising: Gaussian noise on the others.", default: "0.1"),
            .value("--lambda", as: "x", help: "Contractive: weight of the Jacobian penalty.", default: "0.1"),
            .value("--kl-weight", as: "x", help: "beta-VAE: weight of the KL term.", default: "4"),
            .value("--mmd-weight", as: "x", help: "Wasserstein: weight of the MMD term.", default: "10"),
            .value("--out", as: "file", help: "Where to write the embeddings (TSV: id, dim_0, ...)."),
            .flag("--store", help: "Keep the item embeddings in the store (item_embeddings); prints their id."),
            .flag("--json", help: "Print one JSON object: kind, rows, dim, seconds, final loss."),
        ] + SharedOptions.ratingsSource(verb: "Learn from"))

    static func run(_ args: ParsedArguments) throws {
        let t0 = monotonicSeconds()
        let (embeddings, loss, reconstruction) = try build(args)
        let seconds = monotonicSeconds() - t0
        if let out = args.string("--out") { try FileAccess.write(embeddings.tsv(), to: out) }
        var storedID: Int? = nil
        if args.flag("--store") {
            guard args.string("--of") != "users" else { throw CLIError(message: "the store keeps item embeddings; use --out for users") }
            storedID = try EmbeddingStore(connection: try Connection(url: args.string("--database"))).save(
                embeddings, hyperparameters: ["dim": embeddings.vectors.cols, "loss": loss ?? NSNull()])
        }
        if args.flag("--json") {
            Output.json(["kind": embeddings.source, "rows": embeddings.vectors.rows, "dim": embeddings.vectors.cols,
                         "seconds": rounded(seconds, 3), "loss": loss.map { rounded($0) } ?? NSNull(),
                         "reconstruction_rmse": reconstruction.map { rounded($0) } ?? NSNull(),
                         "out": args.string("--out") ?? NSNull(), "stored_id": storedID ?? NSNull(),
                         "peak_memory_mb": rounded(peakMemoryMiB(), 1)] as [String: Any])
        } else {
            print("\(embeddings.source): \(embeddings.vectors.rows) embeddings of \(embeddings.vectors.cols) dimensions in \(fixed(seconds, 2)) s" +
                  (args.string("--out").map { ", written to \($0)" } ?? "") +
                  (storedID.map { "; stored as embeddings \($0)" } ?? ""))
        }
    }

    /// The embeddings the options ask for, and the final training loss when something was trained.
    static func build(_ args: ParsedArguments) throws -> (Embeddings, loss: Double?, reconstruction: Double?) {
        if let path = args.string("--autorec") {
            return (try ModelCatalogue.loadAutoRec(from: path).ownEmbeddings, nil, nil)
        }
        let ratings = try SharedOptions.representationRatings(args)
        let of = try args.choice("--of", as: RatingVectors.Of.self)!
        var c = try SharedOptions.representationConfig(try args.choice("--kind", as: RepresentationKind.self)!, args)
        c.learningRate = Float(try args.double("--lr", range: 1e-9...10)!)
        c.l2 = Float(try args.double("--l2", range: 0...1e6)!)
        c.sparsityTarget = Float(try args.double("--rho", range: 1e-4...0.9999)!)
        c.sparsityWeight = Float(try args.double("--beta", range: 0...1e6)!)
        c.maskProbability = Float(try args.double("--mask", range: 0...0.95)!)
        c.noise = Float(try args.double("--noise", range: 0...10)!)
        c.contraction = Float(try args.double("--lambda", range: 0...1e6)!)
        c.klWeight = Float(try args.double("--kl-weight", range: 0...1e6)!)
        c.mmdWeight = Float(try args.double("--mmd-weight", range: 0...1e6)!)
        let data = RatingVectors(ratings, of: of)
        var last = 0.0
        let model = RepresentationAutoencoder.fit(data, config: c) { epoch, loss in
            last = loss
            Output.progress("epoch \(epoch)  loss \(String(format: "%.5g", loss))")
        }
        return (try model.embeddings(of: data), last, model.observedReconstructionRMSE(data))
    }
}
