import AutoRec

/// The model settings on the command line: one option for every setting some catalogue kind reads
/// (`ModelCatalogue.options`), with its help here, and the explicitly given ones as `ModelSettings`.
/// A kind refuses the options it does not read (`ModelKind.check`), so nothing is silently ignored.
enum ModelOptions {
    /// Value names and help, by option; an option a new kind adds without help here still works.
    static let help: [String: (valueName: String, help: String)] = [
        "--seed": ("n", "Random seed (weights, validation split, batches) (default: 1)."),
        "--validation": ("fraction", "Held-out share for early stopping: ratings for AutoRec (0.05), each user's items for the neural top-N models (0.1); 0 turns it off (EASE, popularity: a reported probe, default 0)."),
        "--positive": ("x", "Top-N models: ratings of at least x are interactions (default: every rating)."),
        "--hidden": ("n", "Hidden units (AutoRec 500, CDAE 400)."),
        "--encoder": ("activation", "AutoRec encoder, CDAE hidden layer: sigmoid, identity, relu, elu or tanh (default: sigmoid)."),
        "--decoder": ("activation", "AutoRec output activation (default: identity)."),
        "--epochs": ("n", "Most epochs (L-BFGS: iterations)."),
        "--l2": ("x", "L2 weight lambda on the weights (EASE: its lambda)."),
        "--optimizer": ("name", "AutoRec: adam (the default) or lbfgs (full batch, the paper's choice)."),
        "--lr": ("x", "Adam learning rate."),
        "--batch": ("n", "Mini-batch size (AutoRec: samples per Adam step, 0 is the full batch, the default)."),
        "--patience": ("n", "Epochs without validation improvement before stopping (AutoRec 15-20, CF-NADE 15, Mult and CDAE 30)."),
        "--center": ("yes|no", "AutoRec: feed ratings minus the mean to the encoder."),
        "--lbfgs-memory": ("n", "AutoRec: L-BFGS history length."),
        "--dropout": ("p", "Input dropout probability (AutoRec: Adam only)."),
        "--kept-weight": ("w", "AutoRec with --dropout: loss weight of the ratings the encoder saw (hidden ones weigh 1)."),
        "--input-scaling": ("none|sqrt|count", "AutoRec: scale each input vector by 1/sqrt(n) or 1/n of its n ratings."),
        "--averaging": ("decay", "Adam: moving average of the weights with this decay per step; 0 is off."),
        "--optimizer-state": ("auto|full|compact", "AutoRec's Adam: keep the first moment and the weight average in 16 bits (auto: from 64M parameters)."),
        "--refit": ("yes|no", "Retrain on all the data for the best epoch count found on --validation (default yes)."),
        "--dims": ("list", "Mult-VAE/DAE encoder widths, input side first (600,200)."),
        "--beta-cap": ("x", "Mult-VAE: largest KL weight."),
        "--anneal-steps": ("n", "Mult-VAE: updates over which the KL weight grows to its cap."),
        "--negatives": ("n", "CDAE: negatives sampled per positive; 0 uses every item."),
        "--loss": ("bce|squared", "CDAE: output loss."),
        "--normalize": ("yes|no", "CDAE: scale each user's input to unit length before the corruption."),
        "--features": ("model", "DFC-VAE: the model file (mult-dae) whose first layer is the frozen feature network (default: one trained first)."),
        "--feature-weight": ("x", "DFC-VAE: weight of the feature term |phi(x) - phi(decoded)|^2 (default 0.3)."),
        "--orientation": ("item|user", "CF-NADE: each item's ratings by user (item, the default) or each user's by item are one sample."),
        "--ordinal": ("x", "CF-NADE: weight of the ordinal cost against the softmax cost (0 to 1, default 0)."),
        "--sharing": ("yes|no", "CF-NADE: share weights across rating levels (a rating r uses levels 1..r; default yes)."),
    ]

    /// The options of every catalogue setting, no defaults declared (each kind has its own).
    static var specs: [OptionSpec] {
        ModelCatalogue.options.map { name in
            let entry = help[name] ?? ("value", "A setting of a registered model kind.")
            return .value(name, as: entry.valueName, help: entry.help)
        }
    }

    /// The model settings given on the command line.
    static func settings(_ args: ParsedArguments) -> ModelSettings {
        let options = Set(ModelCatalogue.options)
        return ModelSettings(args.values.filter { options.contains($0.key) })
    }
}
