"""IIC against the clustering baselines of its Table 1 (Ji et al., 2019), one table.

    python benchmarks/iic.py                                   # mnist_small, 3 seeds, CPU
    KERAS_BACKEND=jax python benchmarks/iic.py --dataset fashion_mnist --channels 64,128,256,512 \
        --kernel 5 --epochs 20 --time-limit 420 --no-baselines --tag gpu   # on a GPU

Clustering is transductive (as in the paper): all images (train + test) are clustered and
scored with their labels. IIC's row is the lowest-loss main sub-head (chosen without
labels), mean and spread over seeds; every sub-head's accuracy and the cluster-size
entropy (collapse detector) are reported too. Writes ``benchmarks/results/iic_<tag>.md``.
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np


def machine():
    import keras

    dev = "cpu"
    if keras.backend.backend() == "jax":
        import jax

        dev = str(jax.devices()[0].device_kind)
    return f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, {dev}, Keras {keras.__version__} " \
           f"({keras.backend.backend()})"


def time_views(model, x, batch_size, steps=20):
    """Seconds per batch for the pair transforms alone (warmed up, jitted where the backend allows)."""
    import keras
    from keras import ops

    views = model.views

    def make(batch):
        a, b = views(batch)
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
    batch = ops.convert_to_tensor(x[:batch_size])
    float(fn(batch))
    t = time.perf_counter()
    for _ in range(steps):
        r = fn(batch)
    float(r)
    return (time.perf_counter() - t) / steps


def run_iic(args, x, y, seed):
    import keras

    from unsuplab import clustering
    from unsuplab.iic import build_iic, fit_iic

    keras.utils.set_random_seed(seed)
    k = int(y.max() + 1)
    model = build_iic(x.shape[1:], n_clusters=k, n_overclusters=args.over * k, n_subheads=args.subheads,
                      channels=args.channels, kernel_size=args.kernel, out_size=args.out_size,
                      repeats=args.repeats, seed=seed)
    curve = []

    def on_epoch_end(epoch, m, hist):
        if args.eval_every and (epoch + 1) % args.eval_every == 0:
            probs = m.cluster_probabilities(x)
            best = int(np.argmin(hist["main_subhead_losses"][-1]))
            acc = clustering.cluster_accuracy(probs[:, best].argmax(-1), y)
            curve.append((epoch + 1, hist["seconds"][-1], acc))
            print(f"  seed {seed} epoch {epoch + 1}: {hist['seconds'][-1]:.0f} s, lowest-loss sub-head {best} "
                  f"acc {acc:.4f}", flush=True)

    t = time.perf_counter()
    hist = fit_iic(model, x, epochs=args.epochs, batch_size=args.batch, learning_rate=args.lr,
                   time_limit=args.time_limit, on_epoch_end=on_epoch_end, seed=seed, verbose=1)
    train_s = time.perf_counter() - t
    probs = model.cluster_probabilities(x)
    accs = [clustering.cluster_accuracy(probs[:, j].argmax(-1), y) for j in range(model.n_subheads)]
    best = model.best_subhead
    assigned = probs[:, best].argmax(-1)
    s = clustering.scores(assigned, y, k)
    epochs_run = len(hist["seconds"])
    pairs = epochs_run * len(args.schedule) * (len(x) // args.batch) * args.batch * args.repeats
    step_s = train_s / max(1, epochs_run * len(args.schedule) * (len(x) // args.batch))
    view_s = time_views(model, x, args.batch)
    return dict(seed=seed, acc=s["acc"], nmi=s["nmi"], ari=s["ari"], entropy=s["size_entropy"],
                collapsed=s["collapsed"], subhead_accs=accs, best=best, seconds=train_s, epochs=epochs_run,
                pairs_per_s=pairs / train_s, step_s=step_s, view_s=view_s, curve=curve)


def run_baselines(args, x, y, seed):
    import keras

    from unsuplab import clustering, models

    k = int(y.max() + 1)
    rows = {}
    t = time.perf_counter()
    rows["k-means on pixels"] = (clustering.kmeans_pixels(x, k, seed), time.perf_counter() - t)
    t = time.perf_counter()
    rows["PCA (50) + k-means"] = (clustering.pca_kmeans(x, k, 50, seed), time.perf_counter() - t)
    builders = {"dense AE": lambda: models.build_dense_autoencoder(x.shape[1:], 10, (500, 500, 2000))}
    if hasattr(models, "build_sparse_autoencoder"):
        builders["sparse AE"] = lambda: models.build_sparse_autoencoder(x.shape[1:], 10, (500, 500, 2000))
    if hasattr(models, "build_denoising_autoencoder"):
        builders["denoising AE"] = lambda: models.build_denoising_autoencoder(x.shape[1:], 10, (500, 500, 2000))
    if hasattr(models, "build_vae"):
        builders["VAE"] = lambda: models.build_vae(x.shape[1:], 10, (500, 500, 2000))
    for name, build in builders.items():
        keras.utils.set_random_seed(seed)
        t = time.perf_counter()
        try:
            ae = build()
            rows[f"{name} codes + k-means"] = (clustering.autoencoder_kmeans(ae, x, k, epochs=args.ae_epochs,
                                                                             seed=seed), time.perf_counter() - t)
        except Exception as exc:  # report, do not hide
            print(f"{name}: failed ({type(exc).__name__}: {exc})", flush=True)
    return {name: (clustering.scores(a, y, k), sec) for name, (a, sec) in rows.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist_small")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--time-limit", type=float, default=None, help="seconds of training per seed")
    p.add_argument("--batch", type=int, default=140, help="images per step (x repeats = pairs)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--channels", default="32,64,128")
    p.add_argument("--kernel", type=int, default=3)
    p.add_argument("--out-size", type=int, default=24)
    p.add_argument("--over", type=int, default=5, help="overclustering factor")
    p.add_argument("--subheads", type=int, default=5)
    p.add_argument("--eval-every", type=int, default=1)
    p.add_argument("--limit", type=int, default=None, help="use only this many images")
    p.add_argument("--ae-epochs", type=int, default=30)
    p.add_argument("--no-baselines", action="store_true")
    p.add_argument("--no-iic", action="store_true")
    p.add_argument("--tag", default=None)
    p.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = p.parse_args(argv)
    args.channels = tuple(int(c) for c in args.channels.split(","))
    args.schedule = ("main", "main", "over")
    seeds = [int(s) for s in args.seeds.split(",")]

    from unsuplab import config, datasets

    config.banner()
    split = datasets.load(args.dataset)
    x = np.concatenate([split.x_train, split.x_test])
    y = np.concatenate([split.y_train, split.y_test])
    if args.limit:
        keep = np.random.default_rng(0).permutation(len(x))[: args.limit]
        x, y = x[keep], y[keep]
    print(f"{args.dataset}: {len(x)} images {x.shape[1:]}, machine: {machine()}", flush=True)

    lines = [f"# IIC and clustering baselines on {args.dataset} ({len(x)} images, train + test, transductive)", "",
             f"Machine: {machine()}. Command: `{' '.join([Path(sys.argv[0]).name] + (argv or sys.argv[1:]))}`", "",
             "| method | seeds | ACC mean | ACC spread (min-max) | NMI | ARI | size entropy | collapsed | "
             "seconds per seed |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]

    def row(name, results):
        accs = np.array([r["acc"] for r in results])
        lines.append(f"| {name} | {len(results)} | {accs.mean():.4f} | {accs.min():.4f}-{accs.max():.4f} | "
                     f"{np.mean([r['nmi'] for r in results]):.4f} | {np.mean([r['ari'] for r in results]):.4f} | "
                     f"{np.mean([r['entropy'] for r in results]):.3f} | "
                     f"{sum(r['collapsed'] for r in results)}/{len(results)} | "
                     f"{np.mean([r['seconds'] for r in results]):.0f} |")

    if not args.no_baselines:
        base = {}
        for seed in seeds:
            for name, (s, sec) in run_baselines(args, x, y, seed).items():
                base.setdefault(name, []).append(dict(acc=s["acc"], nmi=s["nmi"], ari=s["ari"],
                                                      entropy=s["size_entropy"], collapsed=s["collapsed"],
                                                      seconds=sec))
                print(f"seed {seed} {name}: acc {s['acc']:.4f} ({sec:.0f} s)", flush=True)
        for name, results in base.items():
            row(name, results)
    details = []
    if not args.no_iic:
        iic = []
        for seed in seeds:
            r = run_iic(args, x, y, seed)
            iic.append(r)
            print(f"seed {seed} IIC: acc {r['acc']:.4f} sub-heads {np.round(r['subhead_accs'], 4).tolist()} "
                  f"({r['seconds']:.0f} s, {r['pairs_per_s']:.0f} pairs/s)", flush=True)
            details.append(f"| {seed} | {r['epochs']} | {r['seconds']:.0f} | {r['best']} | {r['acc']:.4f} | "
                           f"{', '.join(f'{a:.4f}' for a in r['subhead_accs'])} | {r['entropy']:.3f} | "
                           f"{r['pairs_per_s']:.0f} | {1000 * r['step_s']:.1f} | {1000 * r['view_s']:.1f} | "
                           f"{'; '.join(f'ep {e}: {s:.0f} s {a:.3f}' for e, s, a in r['curve'])} |")
        row("IIC (lowest-loss sub-head)", iic)
        lines += ["", f"IIC settings: channels {args.channels}, kernel {args.kernel}, input {args.out_size}, "
                  f"batch {args.batch} images x {args.repeats} repeats, Adam lr {args.lr}, heads k={int(y.max() + 1)} "
                  f"and {args.over}x, {args.subheads} sub-heads, schedule main-main-over, "
                  f"time limit {args.time_limit} s per seed.", "",
                  "| seed | epochs | train s | best sub-head | ACC | every sub-head's ACC | size entropy | "
                  "pairs/s | ms per step | ms per batch of views alone | accuracy over time |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"] + details
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"iic_{args.tag or args.dataset}.md").write_text(text)


if __name__ == "__main__":
    main()
