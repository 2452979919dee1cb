"""IIC against the clustering baselines of its Table 1 (Ji et al., 2019), one table.

    python benchmarks/iic.py --tag mnist_small_cpu     # mnist_small, 3 seeds, the CPU setting (lesson 15)
    KERAS_BACKEND=jax python benchmarks/iic.py --dataset fashion_mnist --channels 64,128,256,512 \
        --kernel 5 --lr 1e-4 --epochs 20 --time-limit 420 --marginal-weight 1 --no-baselines --tag gpu  # GPU

The defaults are the CPU setting of lesson 15, with the marginal weight 1.5 (balanced
clusters count more; see ``unsuplab.iic.loss``). The stored GPU results (results/iic_*_gpu.md, each
with its exact command) ran before the weight existed, i.e. with 1, the paper's loss.

Clustering is transductive (as in the paper): all images (train + test) are clustered and
scored with their labels. IIC's row is the main sub-head with the lowest IIC loss on
fresh pairs after training (chosen without labels; the per-seed table also shows the sub-head
the last epoch's running training loss would pick), mean and spread over seeds; every
sub-head's accuracy and the cluster-size entropy (collapse detector) are reported too.
Writes ``benchmarks/results/iic_<tag>.md``.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import report


def time_views(model, x, batch_size, steps=20):
    """Seconds per batch for the pair transforms alone (warmed up, jitted where the backend allows)."""
    import keras
    from keras import ops

    views = model.views

    def make(batch):
        a, b = views(batch, training=True)  # training: the random pairs (inference gives the centre view)
        return ops.sum(a) + ops.sum(b)

    fn = make
    if keras.backend.backend() == "jax":
        import jax

        gen_vars = [views.seed_generator.state]
        state = [v.value for v in gen_vars]

        def pure(batch, s):
            from keras import StatelessScope

            with StatelessScope(state_mapping=list(zip(gen_vars, s))) as scope:
                out = make(batch)
            return out, [scope.get_current_value(v) for v in gen_vars]

        jitted = jax.jit(pure)
        batch = ops.convert_to_tensor(x[:batch_size])
        out, state = jitted(batch, state)
        out.block_until_ready()
        t = time.perf_counter()
        for _ in range(steps):
            out, state = jitted(batch, state)
        out.block_until_ready()
        return (time.perf_counter() - t) / steps
    if keras.backend.backend() == "tensorflow":  # compiled, as inside the train step
        import tensorflow as tf

        fn = tf.function(make)
    batch = ops.convert_to_tensor(x[:batch_size])
    float(fn(batch))
    t = time.perf_counter()
    for _ in range(steps):
        r = fn(batch)
    float(r)
    return (time.perf_counter() - t) / steps


def iic_clusterer(args, x, k, seed):
    """IIC with this script's settings, seeded: ``(clusterer, keyword arguments of its fit)``."""
    import keras

    from unsuplab.clustering import IICClustering
    from unsuplab.iic import build_iic

    keras.utils.set_random_seed(seed)
    model = build_iic(x.shape[1:], n_clusters=k, n_overclusters=args.over * k, n_subheads=args.subheads,
                      filters=args.channels, kernel_size=args.kernel, out_size=args.out_size,
                      repeats=args.repeats, marginal_weight=args.marginal_weight, seed=seed)
    method = IICClustering(model, learning_rate=args.lr, schedule=args.schedule, seed=seed)
    return method, dict(epochs=args.epochs, batch_size=args.batch, time_limit=args.time_limit, verbose=1)


def run_iic(args, x, y, seed):
    import keras

    from unsuplab import metrics

    k = int(y.max() + 1)
    method, fit = iic_clusterer(args, x, k, seed)
    model = method.model
    curve = []

    def on_epoch_end(epoch, logs):
        if args.eval_every and (epoch + 1) % args.eval_every == 0:
            probs = model.cluster_probabilities(x)
            best = int(np.argmin(logs["main_subhead_losses"]))
            acc = metrics.cluster_accuracy(probs[:, best].argmax(-1), y)
            curve.append((epoch + 1, logs["seconds"], acc))
            print(f"  seed {seed} epoch {epoch + 1}: {logs['seconds']:.0f} s, lowest-loss sub-head {best} "
                  f"acc {acc:.4f}", flush=True)

    t = time.perf_counter()
    hist = method.fit(x, callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)], **fit).history
    train_s = time.perf_counter() - t
    probs = model.cluster_probabilities(x)
    accs = [metrics.cluster_accuracy(probs[:, j].argmax(-1), y) for j in range(model.n_subheads)]
    best = model.best_subhead  # lowest IIC loss on fresh pairs after training (fit_iic)
    last_epoch = int(np.argmin(hist["main_subhead_losses"][-1]))  # the old rule: last epoch's training loss
    assigned = probs[:, best].argmax(-1)
    s = metrics.cluster_scores(assigned, y, k)
    epochs_run = len(hist["seconds"])
    pairs = epochs_run * len(args.schedule) * (len(x) // args.batch) * args.batch * args.repeats
    step_s = train_s / max(1, epochs_run * len(args.schedule) * (len(x) // args.batch))
    view_s = time_views(model, x, args.batch)
    return dict(seed=seed, acc=s["acc"], nmi=s["nmi"], ari=s["ari"], entropy=s["size_entropy"],
                collapsed=s["collapsed"], subhead_accs=accs, best=best, last_epoch=last_epoch,
                seconds=train_s, epochs=epochs_run,
                pairs_per_s=pairs / train_s, step_s=step_s, view_s=view_s, curve=curve)


def run_baselines(args, x, y, seed, autoencoders=True):
    import keras

    from unsuplab import clustering, metrics, models

    k = int(y.max() + 1)
    rows = {}
    t = time.perf_counter()
    rows["k-means on pixels"] = (clustering.kmeans_pixels(x, k, seed), time.perf_counter() - t)
    t = time.perf_counter()
    rows["PCA (50) + k-means"] = (clustering.pca_kmeans(x, k, 50, seed), time.perf_counter() - t)
    # Autoencoders in the DEC shape (Xie et al., 2016): 784-500-500-2000-code, mirrored; codes standardised
    # before k-means (clustering.AutoencoderKMeans, standardize=True). Dense/denoising: linear code; sparse: KL
    # sigmoid code; VAE: the mean of q(z|x).
    shape, hidden, code = x.shape[1:], (500, 500, 2000), args.ae_code
    builders = {
        "dense AE": lambda: models.build_dense_autoencoder(shape, code, hidden, code_activation="linear"),
        "sparse AE (KL)": lambda: models.build_sparse_autoencoder(shape, code, hidden, penalty="kl"),
        "denoising AE (Gaussian 0.3)": lambda: models.build_denoising_autoencoder(
            models.build_dense_autoencoder, kind="gaussian", amount=0.3, seed=seed, input_shape=shape,
            code_size=code, hidden=hidden, code_activation="linear"),
        "VAE": lambda: models.build_vae(shape, code, hidden, seed=seed),
    }
    for name, build in (builders.items() if autoencoders else ()):
        keras.utils.set_random_seed(seed)
        t = time.perf_counter()
        try:
            ae = build()
            if isinstance(ae, models.VAE):
                ae.compile(optimizer="adam")
            keras.utils.set_random_seed(seed)
            assigned = clustering.AutoencoderKMeans(ae, k, standardize=True, n_init=10, seed=seed).fit_predict(
                x, epochs=args.ae_epochs, batch_size=256)
            rows[f"{name} codes + k-means"] = (assigned, time.perf_counter() - t)
        except Exception as exc:  # report, do not hide
            print(f"{name}: failed ({type(exc).__name__}: {exc})", flush=True)
    return {name: (metrics.cluster_scores(a, y, k), sec) for name, (a, sec) in rows.items()}


def parser():
    """The command line of this script (its defaults: the CPU setting of lesson 15); clustering.py reuses it."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist_small")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--time-limit", type=float, default=420, help="seconds of training per seed")
    p.add_argument("--batch", type=int, default=100, help="images per step (x repeats = pairs)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--channels", default="16,32,64")
    p.add_argument("--kernel", type=int, default=3)
    p.add_argument("--out-size", type=int, default=16)
    p.add_argument("--over", type=int, default=5, help="overclustering factor")
    p.add_argument("--marginal-weight", type=float, default=1.5,
                   help="weight of the marginal entropies in the loss (1 = the paper's mutual information)")
    p.add_argument("--subheads", type=int, default=5)
    p.add_argument("--eval-every", type=int, default=1)
    p.add_argument("--limit", type=int, default=None, help="use only this many images")
    p.add_argument("--ae-epochs", type=int, default=30)
    p.add_argument("--ae-code", type=int, default=10, help="code size of the autoencoder baselines")
    p.add_argument("--ae-seeds", default=None, help="seeds of the autoencoder baselines (default: --seeds)")
    p.add_argument("--no-baselines", action="store_true")
    p.add_argument("--no-iic", action="store_true")
    p.add_argument("--tag", default=None)
    p.add_argument("--out", default=str(Path(__file__).parent / "results"))
    return p


def parse(argv=None):
    """The parsed options, ready for :func:`run_iic` (channels as a tuple, the head schedule)."""
    args = parser().parse_args(argv)
    args.channels = tuple(int(c) for c in args.channels.split(","))
    args.schedule = ("main", "main", "over")
    return args


def main(argv=None):
    args = parse(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    ae_seeds = seeds if args.ae_seeds is None else [int(s) for s in args.ae_seeds.split(",")]

    from unsuplab import config, datasets

    config.banner()
    split = datasets.load(args.dataset)
    x = np.concatenate([split.x_train, split.x_test])
    y = np.concatenate([split.y_train, split.y_test])
    if args.limit:
        keep = np.random.default_rng(0).permutation(len(x))[: args.limit]
        x, y = x[keep], y[keep]
    print(f"{args.dataset}: {len(x)} images {x.shape[1:]}, machine: {report.machine()}", flush=True)

    header = [f"# IIC and clustering baselines on {args.dataset} ({len(x)} images, train + test, transductive)", "",
              f"Machine: {report.machine()}. Command: `{report.command(argv or None)}`", ""]
    base, iic, details = {}, [], []

    def row(name, results):
        return (f"| {name} | {len(results)} | {report.mean_spread([r['acc'] for r in results], sep=' | ')} | "
                f"{np.mean([r['nmi'] for r in results]):.4f} | {np.mean([r['ari'] for r in results]):.4f} | "
                f"{np.mean([r['entropy'] for r in results]):.3f} | "
                f"{sum(r['collapsed'] for r in results)}/{len(results)} | "
                f"{np.mean([r['seconds'] for r in results]):.0f} |")

    def write():
        """Write the table so far (after every seed: a long run that is cut short keeps its results)."""
        lines = header + ["| method | seeds | ACC mean | ACC spread (min-max) | NMI | ARI | size entropy | collapsed | "
                          "seconds per seed |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        lines += [row(name, results) for name, results in base.items()]
        if iic:
            lines.append(row("IIC (lowest-loss sub-head)", iic))
        if base:
            lines += ["", f"Autoencoder baselines: DEC shape (Xie et al., 2016) 784-500-500-2000-{args.ae_code}, "
                      f"mirrored decoder, Adam, {args.ae_epochs} epochs, batch 256; dense and denoising (Gaussian "
                      "0.3) with a linear code, sparse with a KL-penalised sigmoid code, VAE using the mean of "
                      "q(z|x); codes standardised per dimension, then k-means (10 restarts)."]
        if iic:
            lines += ["", f"IIC settings: channels {args.channels}, kernel {args.kernel}, input {args.out_size}, "
                      f"batch {args.batch} images x {args.repeats} repeats, Adam lr {args.lr}, marginal weight "
                      f"{args.marginal_weight}, heads "
                      f"k={int(y.max() + 1)} and {args.over}x, {args.subheads} sub-heads, schedule main-main-over, "
                      f"at most {args.epochs} epochs, time limit {args.time_limit} s per seed (checked after "
                      "each epoch).", "",
                      "| seed | epochs | train s | best sub-head (fresh pairs) | ACC | "
                      "lowest last-epoch training loss: sub-head, ACC | every sub-head's ACC | size entropy | "
                      "pairs/s | ms per step | ms per batch of views alone | accuracy over time |",
                      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"] + details
        return report.write(Path(args.out) / f"iic_{args.tag or args.dataset}.md", lines + ["", report.load_note()])

    if not args.no_iic:
        for seed in seeds:
            r = run_iic(args, x, y, seed)
            iic.append(r)
            print(f"seed {seed} IIC: acc {r['acc']:.4f} sub-heads {np.round(r['subhead_accs'], 4).tolist()} "
                  f"({r['seconds']:.0f} s, {r['pairs_per_s']:.0f} pairs/s)", flush=True)
            details.append(f"| {seed} | {r['epochs']} | {r['seconds']:.0f} | {r['best']} | {r['acc']:.4f} | "
                           f"{r['last_epoch']}, {r['subhead_accs'][r['last_epoch']]:.4f} | "
                           f"{', '.join(f'{a:.4f}' for a in r['subhead_accs'])} | {r['entropy']:.3f} | "
                           f"{r['pairs_per_s']:.0f} | {1000 * r['step_s']:.1f} | {1000 * r['view_s']:.1f} | "
                           f"{'; '.join(f'ep {e}: {s:.0f} s {a:.3f}' for e, s, a in r['curve'])} |")
            write()
    if not args.no_baselines:
        for seed in seeds:
            for name, (s, sec) in run_baselines(args, x, y, seed, seed in ae_seeds).items():
                base.setdefault(name, []).append(dict(acc=s["acc"], nmi=s["nmi"], ari=s["ari"],
                                                      entropy=s["size_entropy"], collapsed=s["collapsed"],
                                                      seconds=sec))
                print(f"seed {seed} {name}: acc {s['acc']:.4f} ({sec:.0f} s)", flush=True)
            write()
    print(write())

if __name__ == "__main__":
    main()
