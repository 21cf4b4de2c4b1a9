/// The autoencoder variants that learn embeddings (issue 5). Each adds its own term to the
/// reconstruction loss; see `RepresentationNetwork`.
public enum RepresentationKind: String, CaseIterable, Sendable {
    /// Reconstruction error alone.
    case plain
    /// Plus beta x the KL divergence of each code unit's mean activation to a target rho.
    case sparse
    /// Inputs masked and perturbed with Gaussian noise; the clean input is the target.
    case denoising
    /// Plus lambda x the squared Frobenius norm of the encoder's Jacobian (exact for sigmoid codes).
    case contractive
    /// Variational: a Gaussian code (mean and log-variance), the reparameterisation trick, and the
    /// KL divergence to N(0, I) with weight 1 (the ELBO with a Gaussian likelihood).
    case vae
    /// The same with weight beta on the KL term (Higgins et al. 2017).
    case betaVAE = "beta-vae"
    /// Wasserstein autoencoder (Tolstikhin et al. 2018): a linear code pulled towards N(0, I) by
    /// lambda x the MMD between the batch's codes and prior samples, inverse multiquadric kernel.
    case wasserstein
    /// Adversarial autoencoder (Makhzani et al. 2016): a linear code, and a discriminator (one tanh
    /// layer) trained in turn to tell prior samples N(0, I) from codes, which the encoder learns to fool.
    case adversarial
    /// Adversarially learned inference (Dumoulin et al. 2017): an encoder, a decoder and a
    /// discriminator on joint (x, z) pairs, no reconstruction term (`ALINetwork`).
    case ali

    /// Whether the code is a sampled Gaussian (embedding = its mean).
    public var isVariational: Bool { self == .vae || self == .betaVAE }
    /// Whether the model can draw profiles from its prior through its decoder (`sample`).
    public var isGenerative: Bool { isVariational || self == .ali }
    /// Whether the code has no sigmoid (it is matched to a Gaussian prior).
    public var hasLinearCode: Bool { isVariational || self == .wasserstein || self == .adversarial }
}

/// Hyperparameters of a representation autoencoder.
public struct RepresentationConfig: Sendable, Equatable {
    public var kind: RepresentationKind
    /// Embedding size (code units).
    public var dim = 32
    /// Units of the tanh layer between the input and the code, mirrored in the decoder; 0 for a
    /// one-layer encoder (the contractive variant's exact Jacobian penalty needs one layer).
    public var hiddenUnits = 0
    public var epochs = 60
    public var batchSize = 64
    public var learningRate: Float = 3e-3
    public var l2: Float = 1e-4
    /// Sparse: target mean activation rho and weight beta.
    public var sparsityTarget: Float = 0.05
    public var sparsityWeight: Float = 0.1
    /// Denoising: share of observed inputs hidden, and the standard deviation of the noise added to the others.
    public var maskProbability: Float = 0.3
    public var noise: Float = 0.1
    /// Contractive: weight lambda of the Jacobian penalty.
    public var contraction: Float = 0.1
    /// Adversarial: weight of the encoder's "fool the discriminator" term, and the discriminator's width.
    public var adversarialWeight: Float = 1
    public var discriminatorWidth = 16
    /// Wasserstein: weight of the MMD term.
    public var mmdWeight: Float = 10
    /// beta-VAE: weight of the KL term (the plain VAE uses 1).
    public var klWeight: Float = 4
    /// The KL weight in effect for this kind.
    public var effectiveKLWeight: Float { kind == .vae ? 1 : kind == .betaVAE ? klWeight : 0 }
    public var seed: UInt64 = 1

    public init(kind: RepresentationKind) { self.kind = kind }
}
