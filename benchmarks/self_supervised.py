"""Which unsupervised objective gives the most useful features? One protocol for every representation.

    python benchmarks/self_supervised.py --dataset mnist_small --seeds 0,1,2
    python benchmarks/self_supervised.py --dataset fashion_mnist --seeds 0,1,2 --pretrain-size 10000 --epochs 3

Each row is a representation of the images: pixels, PCA, an autoencoder's code (dense, conv, denoising; lessons
01, 03, 05), the VAE's means (07), the IIC trunk (15), rotation prediction, SimCLR and MoCo v2
(unsuplab.selfsupervised). Each is learnt without labels on (a subset of) the training images, frozen, and scored
on the test images by the protocol of unsuplab.selfsupervised.probe: a standardised logistic-regression probe and
5-NN (cosine), trained with 1%, 10% and 100% of the training labels (stratified). Mean and min-max over seeds; the
seed sets the weights, the augmentations and the label subsets. Writes ``benchmarks/results/self_supervised_<tag>.md``.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import report

ROWS = ("pixels", "pca", "dense_ae", "conv_ae", "denoising_ae", "vae", "iic", "rotation", "simclr", "simclr_b64",
        "moco_b64")
NAMES = {"pixels": "pixels (784)", "pca": "PCA (50)", "dense_ae": "dense AE code (32)",
         "conv_ae": "conv AE code (128)", "denoising_ae": "denoising dense AE code (32)", "vae": "VAE means (16)",
         "iic": "IIC trunk (1024)",
         "rotation": "rotation prediction (128)", "simclr": "SimCLR, batch 256 (128)",
         "simclr_b64": "SimCLR, batch 64 (128)", "moco_b64": "MoCo v2, batch 64, queue 4096 (128)"}

PEERS = ("Peers (their settings, not rerun here): the SimCLR and MoCo papers score a linear classifier on the "
         "frozen features of a ResNet-50 pretrained on ImageNet for hundreds of epochs with batches of 256-4096 "
         "(SimCLR 69.3% top-1 with 1000 epochs, MoCo v2 71.1% with 800); the keras-io examples (SimCLR for "
         "semi-supervised STL-10, SimSiam on CIFAR-10) pretrain a small ResNet for a few dozen epochs on a GPU "
         "and report a linear or fine-tuned probe. Our rows are the same protocol at toy scale: a 3-layer conv "
         "encoder, minutes of 2-core CPU time.")


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist_small")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--rows", default=",".join(ROWS), help=f"any of {','.join(ROWS)}")
    p.add_argument("--epochs", type=int, default=15, help="pretraining epochs of every learnt row")
    p.add_argument("--pretrain-size", type=int, default=None, help="pretrain on this many training images")
    p.add_argument("--temperature", type=float, default=0.2)
    p.add_argument("--tag", default=None)
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    return p.parse_args(argv)


def autoencoder_codes(kind, x_fit, x_all, epochs, seed):
    """Train one of the course's autoencoders on ``x_fit`` and return the codes of ``x_all``."""
    import keras

    from unsuplab.models import build_conv_autoencoder, build_denoising_autoencoder, build_dense_autoencoder, build_vae

    if kind == "vae":
        model = build_vae(x_fit.shape[1:], code_size=16, hidden=(512,), seed=seed)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit(x_fit, epochs=epochs, batch_size=128, verbose=0)
        return np.asarray(model.encoder.predict(x_all, batch_size=512, verbose=0)[0])  # the means of q(z|x)
    if kind == "dense_ae":
        model = build_dense_autoencoder(x_fit.shape[1:], code_size=32, hidden=(128,))
    elif kind == "denoising_ae":
        model = build_denoising_autoencoder(kind="gaussian", amount=0.5, seed=seed, input_shape=x_fit.shape[1:],
                                            code_size=32, hidden=(128,))
    else:
        model = build_conv_autoencoder(x_fit.shape[1:], filters=(32, 64, 128), code_size=128, decoder="upsample")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    model.fit(x_fit, x_fit, epochs=epochs, batch_size=128, verbose=0)
    return np.asarray(model.encode(x_all))


def iic_features(x_fit, x_all, epochs, seed):
    """Train lesson 15's IIC (its CPU setting, benchmarks/iic.py's defaults) on ``x_fit``; return the trunk's
    features of ``x_all`` (the centre views, 4 x 4 x 64 flattened): what the clustering heads read."""
    from unsuplab.iic import build_iic, fit_iic

    model = build_iic(x_fit.shape[1:], n_clusters=10, n_overclusters=50, filters=(16, 32, 64), out_size=16,
                      repeats=3, marginal_weight=1.5, seed=seed)
    history = fit_iic(model, x_fit, epochs=epochs, batch_size=100, learning_rate=1e-3, seed=seed)
    return model.features(x_all), history.history["main_loss"]


def self_supervised_features(kind, x_fit, x_all, epochs, seed, temperature):
    import keras

    from unsuplab.selfsupervised import MoCo, RotationNet, SimCLR, build_encoder

    encoder = build_encoder(x_fit.shape[1:])
    batch = 256 if kind == "simclr" else 64
    if kind == "rotation":
        model, batch = RotationNet(encoder), 128
    elif kind == "moco_b64":
        model = MoCo(encoder, queue_size=4096, momentum=0.99, temperature=temperature)
    else:
        model = SimCLR(encoder, temperature=temperature)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(x_fit, epochs=epochs, batch_size=batch, verbose=0)
    return model.encode(x_all), model.encode(x_all, pooled=False), history.history["loss"]


def features(kind, split, x_fit, args, seed):
    """({table name: features of train + test images}, note) for one row. The pretext models give two
    entries: the encoder's pooled features (what the papers probe) and the map before its global pooling."""
    from unsuplab.baselines import fit_pca, flat

    x_all = np.concatenate([split.x_train, split.x_test])
    if kind == "pixels":
        return {NAMES[kind]: flat(x_all)}, ""
    if kind == "pca":
        pca = fit_pca(x_fit, 50, seed=seed)
        return {NAMES[kind]: pca.transform(flat(x_all))}, ""
    if kind in ("dense_ae", "conv_ae", "denoising_ae", "vae"):
        return {NAMES[kind]: autoencoder_codes(kind, x_fit, x_all, args.epochs, seed)}, ""
    if kind == "iic":
        f, losses = iic_features(x_fit, x_all, args.epochs, seed)
        return {NAMES[kind]: f}, f"main-head loss {losses[0]:.3f} -> {losses[-1]:.3f}"
    pooled, maps, losses = self_supervised_features(kind, x_fit, x_all, args.epochs, seed, args.temperature)
    unpooled = f"{NAMES[kind].rsplit(' (', 1)[0]}, map before pooling ({maps.shape[1]})"
    return {NAMES[kind]: pooled, unpooled: maps}, f"loss {losses[0]:.3f} -> {losses[-1]:.3f}"


def main(argv=None):
    args = parse(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = [r for r in args.rows.split(",") if r]
    unknown = sorted(set(rows) - set(ROWS))
    if unknown:
        raise SystemExit(f"unknown --rows {unknown}; choose from {ROWS}")

    import keras

    from unsuplab import config, datasets
    from unsuplab.selfsupervised import LABEL_FRACTIONS, evaluate

    config.banner()
    split = datasets.load(args.dataset, **({"n_train": 600, "n_test": 200} if config.is_fast() else {}))
    n_train = len(split.x_train)
    print(f"{args.dataset}: {n_train} train / {len(split.x_test)} test images; {report.machine()}", flush=True)
    command = report.command(argv)
    results, notes, seconds = {}, {}, {}

    def write():
        cols = [f"{kind} {f:.0%}" for kind in ("linear", "5-NN") for f in LABEL_FRACTIONS]
        lines = [f"# Frozen features on {args.dataset}: linear probe and 5-NN with 1/10/100% of the labels", "",
                 f"Machine: {report.machine()}. Mode: {config.mode_name()}. Command: `{command}`", "",
                 f"{n_train} training images ({len(x_fit)} used for pretraining, no labels), {len(split.x_test)} "
                 f"test images; {args.epochs} pretraining epochs for every learnt row; seeds {args.seeds}. "
                 "Each cell: test accuracy, mean (min-max over seeds).", "",
                 "| features | " + " | ".join(cols) + " | seconds per seed | seeds |",
                 "| --- |" + " --- |" * (len(cols) + 2)]
        for name, runs in results.items():
            cells = []
            for kind in ("linear", "knn"):
                for f in LABEL_FRACTIONS:
                    v = np.array([r[kind][f] for r in runs])
                    cells.append(f"{v.mean():.4f} ({v.min():.3f}-{v.max():.3f})" if len(v) > 1 else f"{v[0]:.4f}")
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {np.mean(seconds[name]):.0f} | {len(runs)} |")
        lines += ["", "Settings: encoder for rotation/SimCLR/MoCo `build_encoder()` (conv 32-64-128, BatchNorm, "
                  "ReLU, max-pool, global average pooling; features are its 128 outputs, and in the rows 'map before "
                  "pooling' the last feature map that the pooling averages, 7 x 7 x 128 flattened, from the same "
                  "training); projection 128-64; "
                  f"NT-Xent / InfoNCE temperature {args.temperature}; views `ContrastiveViews()` (random resized "
                  "crop 0.6-1.0 of the side, brightness/contrast 0.4, no flip); Adam 1e-3; SimCLR batch 256 "
                  "(and 64), MoCo v2 batch 64, queue 4096, momentum 0.99; rotation batch 128 (x4 rotations). "
                  "Autoencoders: dense 784-128-32, denoising the same with Gaussian noise 0.5, conv 32-64-128 "
                  "+ dense code 128 with upsampling decoder, all MSE, Adam 1e-3, batch 128; VAE 784-512-16, "
                  "Bernoulli likelihood, its means. IIC: lesson 15's CPU setting (trunk conv 16-32-64 on 16 x 16 "
                  "centre crops, 10 + 50 clusters, 5 sub-heads, 3 pairs per image, batch 100, Adam 1e-3, marginal "
                  "weight 1.5; an epoch is one pass of its main, main, over schedule); its features are the "
                  "flattened trunk the heads read. PCA: 50 components fitted on the pretraining images. "
                  "Probe: StandardScaler + LogisticRegression(C=1, max_iter=500); 5-NN cosine.", ""]
        lines += [PEERS, ""]
        lines += [f"- {NAMES[row]}, seed {s}: {n}" for row in rows for s, n in notes.get(row, []) if n]
        lines += ["", report.load_note()]
        path = Path(args.out) / f"self_supervised_{args.tag or args.dataset}.md"
        report.write(path, lines)
        return path

    for seed in seeds:
        rng = np.random.default_rng(seed)
        x_fit = split.x_train
        if args.pretrain_size and args.pretrain_size < n_train:
            x_fit = split.x_train[np.sort(rng.choice(n_train, args.pretrain_size, replace=False))]
        for row in rows:
            keras.utils.set_random_seed(seed)
            started = time.monotonic()
            learnt, note = features(row, split, x_fit, args, seed)
            took = time.monotonic() - started
            notes.setdefault(row, []).append((seed, f"{note}; {took:.0f} s to learn and encode".lstrip("; ")))
            for name, f in learnt.items():
                scores = evaluate(f[:n_train], split.y_train, f[n_train:], split.y_test, seed=seed)
                results.setdefault(name, []).append(scores)
                seconds.setdefault(name, []).append(took)
                print(f"seed {seed} {name}: linear " + " ".join(f"{v:.4f}" for v in scores["linear"].values())
                      + " | 5-NN " + " ".join(f"{v:.4f}" for v in scores["knn"].values()) + f" ({took:.0f} s) "
                      f"{note}", flush=True)
            write()
    print(write().read_text())


if __name__ == "__main__":
    main()
