"""Deep clustering in one table: k-means, PCA + k-means, AE + k-means, DEC, IDEC, JULE and IIC on the same images.

    python benchmarks/clustering.py --tag cpu            # mnist_small, all 5,000 digits, seeds 0,1,2, every method
    python benchmarks/clustering.py --methods ae,dec,idec --pretrain sgd --ae-epochs 300 --tag dec_cpu
    python benchmarks/clustering.py --methods kmeans,jule --dataset fashion_mnist --size 2000 --jule-epochs 3 \
        --tag jule_2000_cpu                             # 2,000 Fashion-MNIST images drawn with --sample-seed 0
    python benchmarks/clustering.py --methods kmeans,pca,jule --dataset digits --side 28 --jule-epochs 3 \
        --tag jule_28_cpu                               # scikit-learn's 8x8 digits at MNIST's size: unseen digits
    python benchmarks/clustering.py --methods kmeans,jule --jule-epochs 3 --jule-augment --seeds 0,1,2,3,4,5 \
        --tag jule_augment_cpu                          # JULE's CNN trained on turned and shifted digits
    python benchmarks/clustering.py --methods kmeans,jule --jule-epochs 3 --jule-augment --jule-min-size-ratio 0.333 \
        --seeds 0,1,2,3,4,5 --tag jule_augment_third_cpu      # ... and no final cluster under a third of the mean
    python benchmarks/clustering.py --methods kmeans,jule --jule-epochs 3 --jule-min-steps 150 --jule-augment \
        --jule-min-size-ratio 0.333 --size 2000 --seeds 0,1,2,3,4,5 --tag jule_2000_augment_third_steps150_cpu
    python benchmarks/clustering.py --methods kmeans,jule --jule-augment --jule-min-size-ratio 0.333 \
        --seeds 0,1,2,3,4,5 --tag jule_augment_third_e20_cpu        # the same two options, the authors' 20 epochs
    KERAS_BACKEND=jax python benchmarks/clustering.py --dataset fashion_mnist --tag gpu \\
        --iic="--channels 64,128,256,512 --kernel 5 --lr 1e-4 --epochs 20 --marginal-weight 1"

Every method clusters all images (train + test) and is scored against their labels (transductive, as in the
papers); ACC, NMI, ARI as mean and spread (min-max) over the seeds. Every row is a clusterer of
:mod:`unsuplab.clustering`, run by one loop: build it, ``fit(x, callbacks=[TimeLimit(...)], ...)``, score its
``labels_``. Rows (``--methods`` picks them):

* ``kmeans``, ``pca``: ``KMeansClustering``: k-means on pixels and PCA (50) + k-means.
* ``ae``: ``AutoencoderKMeans`` of DEC's autoencoder (Xie et al., 2016), 784-500-500-2000-10 with ReLU, a linear
  code and a mirrored decoder, trained end to end by the recipe ``--pretrain``, then k-means (20 restarts) on
  the raw codes: the start of DEC and IDEC (their ``initial_labels``). ``sgd`` is the recipe of the common Keras
  port of DEC (XifengGuo/DEC-keras): ``VarianceScaling(1/3, fan_in, uniform)`` initialisation, zero biases,
  linear output, SGD with lr 1 and momentum 0.9, batch 256. ``adam``: the library's default (Glorot
  initialisation, sigmoid output, Adam 1e-3), the baseline of benchmarks/iic.py. ``--ae-noise 0.2`` makes it a
  denoising autoencoder (masking noise, as the input dropout of DEC's original layer-wise pretraining).
* ``dec``, ``idec``: ``DECClustering`` (:func:`unsuplab.dec.fit_dec`) from that autoencoder (DEC; IDEC of Guo et
  al., 2017, with gamma 0.1), P refreshed every 140 steps, stopped when under 0.1% of the labels change.
  Selecting either one trains the autoencoder, and its row is shown (the start DEC must beat).
* ``jule``: ``JULEClustering`` (:func:`unsuplab.jule.fit_jule`; Yang, Parikh and Batra, 2016), the authors'
  defaults; ``--jule-augment`` trains its CNN on turned and shifted images, ``--jule-min-size-ratio`` sets the
  smallest final cluster against the mean size (0.1) and ``--jule-min-steps`` the fewest CNN batches a period
  (0: ``--jule-epochs`` alone; all three ours).
* ``iic``: ``IICClustering`` built by ``iic_clusterer`` of benchmarks/iic.py with that script's settings (its
  defaults: the CPU setting of lesson 15); ``--iic="..."`` passes iic.py options (with ``=``: the value starts
  with ``--``).

``--time-limit`` caps each method's training per seed (``ae`` the pretraining, ``dec``/``idec`` the fine-tuning,
checked after every batch, ``iic`` after every epoch; ``jule`` goes to its final pass when the time is up): one
number for all, or ``method=seconds`` pairs over the defaults. ``--side N`` resizes the images to N x N first.
``--size N`` (or ``--limit``) clusters N images drawn at random (``--sample-seed``) from train + test; the JULE rows
note the final cluster sizes. Fast mode (``UNSUPLAB_FAST=1``): 500 images, one epoch or a few steps per method, seed
0, the table written to the temporary directory unless ``--out`` says otherwise.
Writes ``<out>/clustering_<dataset>_<tag>.md`` (default out: benchmarks/results) with the command and machine.

AE + k-means on 2 CPU cores stays near 0.50-0.67 ACC on mnist_small, short of the literature's 0.82-0.88 on
MNIST, which needs about 80k optimiser steps of 256 digits (DEC-keras: 300 epochs of 70k), hours on 2 cores.
Recipes measured within about 10 minutes per seed, each levelling off: SGD (the default) at batch 256, 64 and
32: 0.55-0.67; Adam with or without 20% masking noise: 0.55-0.62; Adam with +/-2 pixel shifts: 0.62; DEC's
original layer-wise denoising pretraining (dropout 0.2, SGD 0.1, 5 minutes for the four layers) then 5 minutes
end to end: 0.30 stacked, 0.50 after fine-tuning (seed 0); a DCEC-style convolutional AE (32-64-128, Adam):
8 s per epoch on one core, too slow for the budget.
"""

import argparse
import shlex
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import report
from iic import iic_clusterer, parse

from unsuplab import degrade, metrics
from unsuplab.agglomeration import MIN_SIZE_RATIO
from unsuplab.training import TimeLimit
from unsuplab.validation import positive_int

METHODS = ("kmeans", "pca", "ae", "dec", "idec", "jule", "iic")
NAMES = {"kmeans": "k-means on pixels", "pca": "PCA (50) + k-means", "ae": "AE + k-means (DEC's start)",
         "dec": "DEC", "idec": "IDEC (gamma 0.1)", "jule": "JULE", "iic": "IIC (lowest-loss sub-head)"}
LIMITS = {"ae": 900.0, "dec": 600.0, "idec": 600.0, "jule": 1200.0, "iic": 420.0}  # seconds per seed

# The papers' MNIST ACC (all 70,000 digits), from ../shared/notes/deep-clustering-reference.md.
PAPERS = [("kmeans", "0.572", "IIC Table 1 (Ji et al., 2019)"),
          ("ae", "0.818; 0.88 (mean of 10 trials, DEC-keras)", "IDEC paper (Guo et al., 2017); XifengGuo/DEC-keras"),
          ("dec", "0.843", "Xie et al., 2016 (IIC Table 1)"),
          ("idec", "0.881", "Guo et al., 2017"),
          ("jule", "0.964 (NMI 0.913)", "Yang et al., 2016, JULE-RC"),
          ("iic", "0.992", "Ji et al., 2019, Table 1")]


def time_limits(text):
    """``"600"`` -> every method 600 s; ``"ae=900,jule=1200"`` -> those two changed; ``None`` -> :data:`LIMITS`."""
    limits = dict(LIMITS)
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, _, value = item.rpartition("=")
        if name and name not in limits:
            raise SystemExit(f"--time-limit: no time limit for {name!r}; methods with one: {', '.join(limits)}")
        for method in [name] if name else list(limits):
            limits[method] = float(value)
    return limits


def clusterer(method, args, iic_args, x, k, seed, fitted):
    """The row ``method`` as a :mod:`unsuplab.clustering` clusterer: ``(clusterer, keyword arguments of its fit)``.
    ``fitted``: the clusterers of this seed so far (DEC and IDEC start from the AE row's autoencoder and labels)."""
    from unsuplab import clustering
    from unsuplab.dec import build_dec_autoencoder, recipe_optimizer

    if method in ("kmeans", "pca"):
        return clustering.KMeansClustering(k, n_components=50 if method == "pca" else None, seed=seed), {}
    if method == "ae":
        keras.utils.set_random_seed(seed)
        ae = build_dec_autoencoder(x.shape[1:], args.ae_code, recipe=args.pretrain, noise=args.ae_noise, seed=seed)
        method = clustering.AutoencoderKMeans(ae, k, optimizer=recipe_optimizer(args.pretrain, args.ae_lr), seed=seed)
        return method, dict(epochs=args.ae_epochs, batch_size=args.ae_batch)
    if method in ("dec", "idec"):
        start = fitted["ae"]
        method = clustering.DECClustering(start.autoencoder, k, idec=method == "idec", gamma=0.1,
                                          update_interval=args.dec_interval, seed=seed)
        return method, dict(steps=args.dec_steps, initial_labels=start.labels_)
    if method == "jule":
        method = clustering.JULEClustering(k, augment=args.jule_augment, min_size_ratio=args.jule_min_size_ratio,
                                           seed=seed)
        return method, dict(epochs=args.jule_epochs, min_steps=args.jule_min_steps, verbose=1)
    return iic_clusterer(iic_args, x, k, seed)


def note(name, method, history, limit, y):
    """The notes cell of a row: how far training went and why it stopped."""
    cut = " (time limit)" if limit.hit else ""
    logs = history.history
    if name in ("kmeans", "pca"):
        return "10 restarts"
    if name == "ae":
        return f"{len(logs['loss'])} epochs{cut}, final MSE {logs['loss'][-1]:.5f}"
    if name in ("dec", "idec"):
        why = "converged" if method.converged_ else "time limit" if limit.hit else "max steps"
        start = metrics.cluster_accuracy(method.initial_labels_, y)
        return f"start {start:.4f}, {int(logs['step'][-1])} steps ({why})"
    if name == "jule":
        sizes = np.sort(np.bincount(method.labels_, minlength=method.n_clusters))
        return (f"{int(logs['clusters'][0])} initial clusters, {logs['stage'].count('merge')} periods, "
                f"{len(history.epoch_losses)} CNN epochs{' (time limit)' if history.stopped_by_time else ''}; "
                f"cluster sizes {sizes.tolist()}, smallest {sizes[0] / len(method.labels_):.1%}")
    return f"{len(logs['seconds'])} epochs{cut}, sub-head {method.model.best_subhead}"


def quoted_iic(dataset):
    """``(file name, cells of its IIC row)`` from benchmarks/iic.py's CPU table on ``dataset``, or None."""
    for name in (f"iic_{dataset}_cpu_iic.md", f"iic_{dataset}_cpu.md"):  # the IIC-only re-run first
        path = Path(__file__).parent / "results" / name
        for line in path.read_text().splitlines() if path.exists() else ():
            if line.startswith("| IIC"):
                return path.name, [cell.strip() for cell in line.strip("|").split("|")]
    return None


def resized(x, side):
    """Images (N, H, W, C) resized to (N, side, side, C), bilinear, values kept in [0, 1]."""
    side = positive_int(side, "side")
    return degrade.resize_each(x, (side, side, x.shape[-1]), order=1)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist_small")
    p.add_argument("--seeds", default=None, help="default 0,1,2 (fast mode: 0)")
    p.add_argument("--methods", default=",".join(METHODS), help=f"rows to run, of {','.join(METHODS)}")
    p.add_argument("--time-limit", default=None,
                   help="seconds per method and seed: one number, or pairs like ae=900,jule=1200 (defaults: "
                        f"{', '.join(f'{m}={s:.0f}' for m, s in LIMITS.items())})")
    p.add_argument("--limit", "--size", type=int, default=None,
                   help="use only this many images, drawn at random (fast mode: 500)")
    p.add_argument("--sample-seed", type=int, default=0, help="seed of the draw of --size images (and their order)")
    p.add_argument("--side", type=int, default=None,
                   help="resize every image to SIDE x SIDE first (bilinear), e.g. 28 for digits' 8x8 (JULE's CNN "
                   "needs sides of at least 14)")
    p.add_argument("--pretrain", choices=("sgd", "adam"), default="sgd", help="autoencoder recipe (see above)")
    p.add_argument("--ae-epochs", type=int, default=300)
    p.add_argument("--ae-lr", type=float, default=None, help="default: 1 for sgd, 0.001 for adam")
    p.add_argument("--ae-batch", type=int, default=256)
    p.add_argument("--ae-code", type=int, default=10)
    p.add_argument("--ae-noise", type=float, default=0.0,
                   help="masking noise: fraction of pixels zeroed in training (DEC's input dropout: 0.2)")
    p.add_argument("--dec-steps", type=int, default=20000, help="most DEC/IDEC steps")
    p.add_argument("--dec-interval", type=int, default=140, help="steps between refreshes of P")
    p.add_argument("--jule-epochs", type=int, default=20, help="CNN epochs per JULE period (authors: 20)")
    p.add_argument("--jule-min-steps", type=int, default=0, help="at least this many CNN batches per JULE period "
                   "(more epochs on a small set: fit_jule's min_steps_per_period; 150 = 3 epochs on 5,000 images)")
    p.add_argument("--jule-augment", action="store_true", help="train JULE's CNN on turned and shifted images "
                   "(fit_jule(augment=True); not the authors')")
    p.add_argument("--jule-min-size-ratio", type=float, default=MIN_SIZE_RATIO, help="JULE's final pass leaves no "
                   "cluster under this fraction of the mean size (fit_jule's min_size_ratio; 0: the authors')")
    p.add_argument("--iic", default="",
                   help='options of benchmarks/iic.py for the IIC row, e.g. --iic="--epochs 20 --lr 1e-4"')
    p.add_argument("--tag", default=None)
    p.add_argument("--out", default=None, help="folder of the table (default benchmarks/results; fast: temp)")
    args = p.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        p.error(f"--methods: unknown {', '.join(unknown)}; choose from {', '.join(METHODS)}")
    if {"dec", "idec"} & set(methods) and "ae" not in methods:
        methods.append("ae")  # DEC and IDEC start from it: its row is their start
    methods = [m for m in METHODS if m in methods]
    limits = time_limits(args.time_limit)

    from unsuplab import config, datasets

    fast = config.is_fast()
    seeds = [int(s) for s in (args.seeds or config.pick("0,1,2", "0")).split(",")]
    limit = args.limit or config.pick(None, 500)
    if fast:  # a smoke run: the whole script in about a minute
        args.ae_epochs, args.dec_steps, args.dec_interval, args.jule_epochs = 1, 10, 5, 1
    iic_args = parse(shlex.split(args.iic) + (["--epochs", "1"] if fast else []))
    out = Path(args.out or (Path(tempfile.gettempdir()) / "unsuplab-benchmarks" if fast
                            else Path(__file__).parent / "results"))

    config.banner()
    split = datasets.load(args.dataset)
    x = np.concatenate([split.x_train, split.x_test])
    y = np.concatenate([split.y_train, split.y_test])
    if limit:
        keep = np.random.default_rng(args.sample_seed).permutation(len(x))[:limit]
        x, y = x[keep], y[keep]
    if args.side:
        x = resized(x, args.side)
    k = int(y.max() + 1)
    print(f"{args.dataset}: {len(x)} images {x.shape[1:]}, {k} classes, machine: {report.machine()}", flush=True)

    command = report.command(argv, "benchmarks/clustering.py", env=("KERAS_BACKEND", config.FAST_ENV))
    header = [f"# Deep clustering on {args.dataset} ({len(x)} images, train + test, transductive)", "",
              f"Machine: {report.machine()}. Command: `{command}`", ""]
    if args.side:
        header += [f"Images resized to {args.side} x {args.side} pixels (bilinear) before clustering.", ""]
    if fast:
        header += ["FAST mode (UNSUPLAB_FAST=1): tiny data, one epoch; these numbers mean nothing.", ""]
    results = {m: [] for m in methods}

    def spread(rows, key):
        return report.mean_spread([r[key] for r in rows], sep=" | ")

    def write():
        """Write the table so far (after every method and seed: a run cut short keeps its results)."""
        lines = header + ["| method | seeds | ACC mean | ACC min-max | NMI mean | NMI min-max | ARI mean | "
                          "ARI min-max | size entropy | collapsed | seconds per seed |",
                          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for m, rows in results.items():
            if rows:
                lines.append(f"| {NAMES[m]} | {len(rows)} | {spread(rows, 'acc')} | {spread(rows, 'nmi')} | "
                             f"{spread(rows, 'ari')} | {np.mean([r['size_entropy'] for r in rows]):.3f} | "
                             f"{sum(r['collapsed'] for r in rows)}/{len(rows)} | "
                             f"{np.mean([r['seconds'] for r in rows]):.0f} |")
        quoted = None if "iic" in methods or limit else quoted_iic(args.dataset)  # only on the same images
        if quoted:
            name, row = quoted
            lines += ["", f"IIC was not re-run for this table: benchmarks/results/{name} (benchmarks/iic.py, the "
                      f"same {len(x)} images, seeds 0-2) has ACC {row[2]} ({row[3]}), NMI {row[4]}, ARI {row[5]}, "
                      f"{row[8]} s per seed."]
        lines += ["", f"Time limits per method and seed (s): "
                  f"{', '.join(f'{m} {limits[m]:.0f}' for m in methods if m in limits)}. Seconds: training and "
                  "clustering of the method alone; DEC and IDEC start from the AE row's autoencoder, whose "
                  "pretraining time is in the AE row."]
        if "ae" in methods:
            recipe = ("VarianceScaling(1/3, fan_in, uniform) initialisation, linear output, SGD lr "
                      f"{args.ae_lr or 1.0} momentum 0.9" if args.pretrain == "sgd"
                      else f"Glorot initialisation, sigmoid output, Adam lr {args.ae_lr or 1e-3}")
            lines += ["", f"Autoencoder: 784-500-500-2000-{args.ae_code} (ReLU, linear code, mirrored), recipe "
                      f"`{args.pretrain}`: {recipe}, batch {args.ae_batch}, at most {args.ae_epochs} epochs, MSE, "
                      f"masking noise {args.ae_noise} (fraction of pixels zeroed in training); "
                      "k-means with 20 restarts on the raw codes. DEC/IDEC: P every "
                      f"{args.dec_interval} steps, at most {args.dec_steps} steps, tol 0.001, batch 256."]
        if "jule" in methods:
            lines += ["", f"JULE: unsuplab.jule.fit_jule defaults (K_s 20, K_c 5, eta 0.9, the authors' MNIST CNN), "
                      f"{args.jule_epochs} CNN epochs per period"
                      + (f" (more where that is under {args.jule_min_steps} batches)" if args.jule_min_steps else "")
                      + ("; the CNN trained on randomly turned and shifted images (augment=True, ours)"
                         if args.jule_augment else "")
                      + f"; no final cluster under {args.jule_min_size_ratio:g} of the mean size."]
        if "iic" in methods:
            lines += ["", f"IIC: benchmarks/iic.py settings (options `{args.iic}`): channels {iic_args.channels}, "
                      f"kernel {iic_args.kernel}, input {iic_args.out_size}, batch {iic_args.batch} x "
                      f"{iic_args.repeats} repeats, Adam lr {iic_args.lr}, marginal weight "
                      f"{iic_args.marginal_weight}, {iic_args.subheads} sub-heads, at most {iic_args.epochs} epochs."]
        lines += ["", "| seed | method | ACC | NMI | ARI | seconds | notes |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {r['seed']} | {NAMES[m]} | {r['acc']:.4f} | {r['nmi']:.4f} | {r['ari']:.4f} | "
                  f"{r['seconds']:.0f} | {r['note']} |" for s in seeds for m, rows in results.items()
                  for r in rows if r["seed"] == s]
        for m in ("dec", "idec"):
            pairs = [(r["start"], r["acc"]) for r in results.get(m, [])]
            if pairs:
                above = sum(a > s for s, a in pairs)
                lines += ["", f"{NAMES[m]} above its own AE + k-means start on {above}/{len(pairs)} seeds: "
                          + ", ".join(f"{s:.4f} -> {a:.4f}" for s, a in pairs) + "."]
        ours = {m: f"{np.mean([r['acc'] for r in rows]):.4f}" for m, rows in results.items() if rows}
        if quoted:
            ours["iic"] = f"{quoted[1][2]} ({quoted[0]})"
        lines += ["", f"## The papers' numbers (MNIST, all 70,000 digits) beside ours ({args.dataset}, {len(x)} "
                  "images)", "",
                  "The papers cluster all 70,000 MNIST digits (train + test); this table clusters "
                  f"{len(x)} images of {args.dataset}"
                  + (f", {70000 / len(x):.0f} times fewer digits (more data helps the deep methods: the "
                     "autoencoder, JULE's kNN graph and IIC all learn from the images they cluster)."
                     if args.dataset.startswith("mnist") else
                     ": a different data set, so the MNIST numbers are only a reference point.")
                  + " The papers' networks and training schedules differ from ours too (settings above).", "",
                  "| method | paper's ACC (MNIST 70k) | source | ours, ACC mean |", "| --- | --- | --- | --- |"]
        lines += [f"| {NAMES[m]} | {acc} | {src} | {ours.get(m, '-')} |"
                  for m, acc, src in PAPERS]
        name = f"clustering_{args.dataset}_{args.tag or ('fast' if fast else 'run')}.md"
        return report.write(out / name, lines + ["", report.load_note()])

    def record(method, seed, labels, seconds, note, **extra):
        s = metrics.cluster_scores(labels, y, k)
        results[method].append(dict(seed=seed, seconds=seconds, note=note, **s, **extra))
        print(f"seed {seed} {NAMES[method]}: acc {s['acc']:.4f} nmi {s['nmi']:.4f} ari {s['ari']:.4f} "
              f"({seconds:.0f} s; {note})", flush=True)
        write()

    iic_args.time_limit = limits["iic"]
    for seed in seeds:
        fitted = {}
        for m in methods:  # every method through the same three calls: build, fit, labels_
            t = time.perf_counter()
            method, fit = clusterer(m, args, iic_args, x, k, seed, fitted)
            limit = TimeLimit(limits.get(m))
            history = method.fit(x, callbacks=[limit], **fit)
            fitted[m] = method
            extra = {}
            if m in ("dec", "idec"):
                extra["start"] = metrics.cluster_accuracy(method.initial_labels_, y)
            record(m, seed, method.labels_, time.perf_counter() - t, note(m, method, history, limit, y),
                   **extra)
    print(write())
    return results


if __name__ == "__main__":
    main()
