"""IIC segmentation (Ji et al., 2019, sec. 3.3, eq. 5) against classical texture segmentation, one table.

    python benchmarks/iic_segmentation.py            # 3 seeds, the CPU setting of lesson 17
    UNSUPLAB_FAST=1 python benchmarks/iic_segmentation.py --seeds 0 --tag fast   # smoke run

Data: Prague-style texture mosaics (``unsuplab.datasets.texture_mosaics``, 128 x 128, brick / grass / gravel).
IIC trains on mosaics cut from the left half of each texture photo and is scored on held-out mosaics from the
right half (the same test mosaics for every seed and method; no test pixel was seen in training). IIC's maps
come from the lowest-loss main sub-head (chosen without labels) and are scored with ONE Hungarian matching of
clusters to textures over all test pixels (as the paper scores COCO-Stuff and Potsdam). The baselines
(``unsuplab.texture_features``) run k-means on per-pixel features: each image on its own with its own matching
(their classical setting, which favours them), and one k-means over the whole test set with one matching.
Pixel accuracy and mean IoU (``unsuplab.metrics``), mean and min-max over seeds. Writes
``benchmarks/results/iic_segmentation<_tag>.md``.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
import report

BORDER_PIXELS = 4  # errors this close to a border between textures are counted apart (one output pixel = 4)


def parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--n-train", type=int, default=64, help="training mosaics (left halves of the textures)")
    p.add_argument("--n-test", type=int, default=32, help="held-out test mosaics (right halves)")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--textures", default="brick,grass,gravel")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--time-limit", type=float, default=150.0, help="seconds of training per seed (per epoch check)")
    p.add_argument("--batch", type=int, default=4, help="mosaics per step")
    p.add_argument("--crop", type=int, default=96, help="training crop side")
    p.add_argument("--shift", type=int, default=16, help="largest shift of view 2's crop, pixels")
    p.add_argument("--displacement", type=int, default=2, help="T, in output pixels (stride 4)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--marginal-weight", type=float, default=1.5)
    p.add_argument("--over", type=int, default=15, help="overclusters")
    p.add_argument("--subheads", type=int, default=3)
    p.add_argument("--blocks", default=None, help="trunk, e.g. 16,M,32,M,64,64:2,64:2 (width:dilation; M max-pool, "
                   "A average pool); default the library's DEFAULT_BLOCKS")
    p.add_argument("--no-sobel", action="store_true")
    p.add_argument("--no-baselines", action="store_true")
    p.add_argument("--tag", default=None)
    p.add_argument("--out", default=str(Path(__file__).parent / "results"))
    return p


def iic_settings(args):
    """Keyword arguments of ``build_iic_segmentation`` and ``fit_iic`` for these options."""
    build = dict(blocks=parse_blocks(args.blocks), n_overclusters=args.over, n_subheads=args.subheads,
                 displacement=args.displacement, out_size=args.crop, shift=args.shift,
                 marginal_weight=args.marginal_weight, use_sobel=not args.no_sobel)
    fit = dict(epochs=args.epochs, batch_size=args.batch, learning_rate=args.lr, time_limit=args.time_limit)
    return build, fit


def run_iic(args, x_train, x_test, y_test, k, seed):
    import keras

    from unsuplab import metrics
    from unsuplab.iic import build_iic_segmentation, fit_iic

    keras.utils.set_random_seed(seed)
    build, fit = iic_settings(args)
    model = build_iic_segmentation(1, k, seed=seed, **build)
    curve = []

    def track(epoch, logs):
        if (epoch + 1) % 5 == 0:
            acc = metrics.pixel_accuracy(model.assign(x_test), y_test)
            curve.append((epoch + 1, logs["seconds"], acc))

    start = time.perf_counter()
    history = fit_iic(model, x_train, seed=seed, callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=track)],
                      select_size=32, **fit).history
    seconds = time.perf_counter() - start
    maps = model.assign(x_test)
    start = time.perf_counter()
    refined = model.assign(x_test, refine=True)  # the same model, borders placed by per-image self-training
    refine_s = time.perf_counter() - start
    return dict(acc=metrics.pixel_accuracy(maps, y_test), miou=metrics.mean_iou(maps, y_test), seconds=seconds,
                epochs=len(history["seconds"]), train_s=history["seconds"][-1], curve=curve,
                acc_per_image=metrics.pixel_accuracy(maps, y_test, per_image=True),
                near_border=errors_near_borders(maps, y_test),
                refined=dict(acc=metrics.pixel_accuracy(refined, y_test), miou=metrics.mean_iou(refined, y_test),
                             seconds=seconds + refine_s, near_border=errors_near_borders(refined, y_test)))


def errors_near_borders(maps, y, within=BORDER_PIXELS):
    """(share of the pixels, share of the wrong pixels) closer than ``within`` pixels to a border between two
    textures, after the one matching of clusters to textures over all images."""
    from unsuplab import metrics
    matched, labels = metrics.matched_segmentation(maps, y)  # -1 for a cluster left unmatched: wrong
    wrong = (matched != labels).reshape(y.shape)
    near = metrics.border_distance(y) < within
    return float(near.mean()), float(wrong[near].sum() / max(wrong.sum(), 1))


def run_baselines(x_test, y_test, k, seed):
    from unsuplab import metrics, texture_features

    out = {}
    for name, fn in (("Gabor-energy k-means", texture_features.segment_gabor),
                     ("LBP-histogram k-means", texture_features.segment_lbp),
                     ("intensity k-means", texture_features.segment_intensity)):
        for fit, per_image in (("image", True), ("set", False)):
            start = time.perf_counter()
            maps = fn(x_test, k, fit=fit, seed=seed)
            seconds = time.perf_counter() - start
            label = f"{name} ({'each image on its own, own matching' if per_image else 'one fit, one matching'})"
            out[label] = dict(acc=metrics.pixel_accuracy(maps, y_test, per_image=per_image),
                              miou=metrics.mean_iou(maps, y_test, per_image=per_image), seconds=seconds)
    return out


def main(argv=None):
    args = parser().parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    textures = tuple(args.textures.split(","))
    k = len(textures)

    from unsuplab import config, datasets

    config.banner()
    if config.is_fast():
        args.n_train, args.n_test, args.epochs, args.time_limit = 8, 4, 1, 30.0
    x_test, y_test = datasets.texture_mosaics(args.n_test, args.size, textures, split="test", seed=12345)
    header = [f"# IIC segmentation and classical texture segmentation on held-out {k}-texture mosaics", "",
              f"{args.n_test} test mosaics {args.size} x {args.size} ({', '.join(textures)}), cut from the right "
              f"halves of the texture photos; IIC trained on {args.n_train} mosaics from the left halves. "
              f"Machine: {report.machine()}; this process may run on {usable_cpus()} of the CPUs. "
              f"Command: `{report.command(argv)}`", ""]
    results, details = {}, []
    build, fit = iic_settings(args)

    def write():
        lines = header + ["| method | seeds | pixel accuracy mean | spread (min-max) | mIoU mean | spread (min-max) | "
                          "seconds per seed |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, rs in results.items():
            acc, miou = (report.mean_spread([r[key] for r in rs], sep=" | ") for key in ("acc", "miou"))
            lines.append(f"| {name} | {len(rs)} | {acc} | {miou} | {np.mean([r['seconds'] for r in rs]):.0f} |")
        lines += ["", f"IIC settings: {build}, {fit}; Adam, heads main-main-over.", "",
                  "| seed | epochs | train s | pixel accuracy | mIoU | accuracy, matching each image on its own | "
                  f"wrong pixels within {BORDER_PIXELS} px of a border (pixels there) | refined: pixel accuracy, "
                  f"wrong pixels within {BORDER_PIXELS} px | accuracy over training |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"] + details
        name = f"iic_segmentation{'_' + args.tag if args.tag else ''}.md"
        return report.write(Path(args.out) / name, lines + ["", report.load_note()])

    for seed in seeds:
        x_train, _ = datasets.texture_mosaics(args.n_train, args.size, textures, split="train", seed=seed)
        r = run_iic(args, x_train, x_test, y_test, k, seed)
        results.setdefault("IIC segmentation (lowest-loss sub-head, one matching)", []).append(r)
        results.setdefault("IIC + per-image refinement (`assign(refine=True)`, one matching)", []).append(r["refined"])
        details.append(f"| {seed} | {r['epochs']} | {r['train_s']:.0f} | {r['acc']:.4f} | {r['miou']:.4f} | "
                       f"{r['acc_per_image']:.4f} | {r['near_border'][1]:.0%} ({r['near_border'][0]:.0%}) | "
                       f"{r['refined']['acc']:.4f}, {r['refined']['near_border'][1]:.0%} | "
                       f"{'; '.join(f'ep {e}: {s:.0f} s {a:.3f}' for e, s, a in r['curve'])} |")
        print(f"seed {seed} IIC: pixel accuracy {r['acc']:.4f}, mIoU {r['miou']:.4f} ({r['seconds']:.0f} s); "
              f"refined {r['refined']['acc']:.4f}", flush=True)
        if not args.no_baselines:
            for name, b in run_baselines(x_test, y_test, k, seed).items():
                results.setdefault(name, []).append(b)
                print(f"seed {seed} {name}: pixel accuracy {b['acc']:.4f}, mIoU {b['miou']:.4f}", flush=True)
        write()
    print(write())


def usable_cpus():
    """CPUs this process may run on (``taskset`` narrows them; Linux), else all of them."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def parse_blocks(text):
    """``16,M,32,M,64,64:2`` -> ``(16, "M", 32, "M", 64, (64, 2))``; None -> the library's DEFAULT_BLOCKS."""
    from unsuplab.iic.segmentation import DEFAULT_BLOCKS

    if text is None:
        return DEFAULT_BLOCKS
    return tuple(b if b in ("M", "A") else tuple(int(v) for v in b.split(":")) if ":" in b else int(b)
                 for b in text.split(","))


if __name__ == "__main__":
    main()
