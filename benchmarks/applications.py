"""Benchmark: every autoencoder application of lessons 08-14 against its classical baseline.

Run ``python benchmarks/applications.py`` (full mode; ``UNSUPLAB_FAST=1`` for a smoke run) or
``python benchmarks/applications.py denoise retrieval`` for some of them. Prints a table
(application, metric, model, baseline, target, wall time) and writes it to
``benchmarks/results/applications.md``. Wall times on a shared 2-core CPU are inflated by the sharing.

Lesson 08's strongest classical row, BM3D (Dabov et al., 2007), needs the ``bm3d`` package, which the course
does not install (it is for this benchmark only): ``pip install -r requirements-benchmarks.txt``. Without it
the row says so.
"""

import hashlib
import sys
import time
from pathlib import Path

import keras
import numpy as np
import report

from unsuplab import baselines, config, datasets, degrade, metrics, recommender, retrieval
from unsuplab.models import (
    build_colorizer,
    build_conv_autoencoder,
    build_dense_autoencoder,
    build_inpainter,
    build_super_resolver,
)
from unsuplab.selfsupervised.models import RotationNet, build_encoder

RESULTS = Path(__file__).parent / "results" / "applications.md"
pick = config.pick
SEEDS = pick((0, 1, 2), (0,))  # the rows that report a spread over seeds
FASHION_EPOCHS = pick(5, 1)  # 10 AEs on 6,000 images each: 5 epochs keep the run near 25 min on 2 shared cores
ROTATION_EPOCHS = pick(8, 1)  # 10 RotationNets per seed, about 15 min per seed on 2 cores


def mnist():
    return datasets.load("mnist_small", n_train=pick(None, 300), n_test=pick(None, 100))


def _median_filter(images, footprint):
    from skimage.filters import median

    return np.stack([median(im[..., 0], footprint)[..., None] for im in images]).astype("float32")


def _nl_means(images, h, sigma):
    from skimage.restoration import denoise_nl_means

    return np.stack([denoise_nl_means(im[..., 0], h=h, sigma=sigma, patch_size=5, patch_distance=6,
                                      fast_mode=True)[..., None] for im in images]).astype("float32")


def _bm3d(images, sigma):
    import bm3d

    return np.stack([bm3d.bm3d(im[..., 0], sigma_psd=sigma)[..., None] for im in images]).clip(0, 1).astype(
        "float32")


def bm3d_denoiser(x_train, noisy_train, noisy_test, n_tune=pick(50, 4)):
    """BM3D (Dabov et al., 2007), its noise level tuned for PSNR on training pairs only (about 0.5 s an image
    of 28 x 28 on one core, so fewer tuning pairs than the filters); None when ``bm3d`` is not installed."""
    try:
        import bm3d  # noqa: F401
    except ImportError:
        return None
    clean, noisy = x_train[:n_tune], noisy_train[:n_tune]
    sigma = float(np.std(noisy_train - x_train))
    f = max((0.6, 0.8, 1.0), key=lambda f: metrics.psnr(clean, _bm3d(noisy, f * sigma)))
    return f"BM3D sigma_psd={f} sigma", _bm3d(noisy_test, f * sigma)


def classical_denoisers(x_train, noisy_train, noisy_test, n_tune=300):
    """Lesson 08's baselines: median filter and non-local means, each tuned for PSNR on training pairs only."""
    from skimage.morphology import disk

    clean, noisy = x_train[:n_tune], noisy_train[:n_tune]
    footprints = {"3x3": np.ones((3, 3), bool), "5x5": np.ones((5, 5), bool), "disk 1": disk(1), "disk 2": disk(2)}
    fp = max(footprints, key=lambda k: metrics.psnr(clean, _median_filter(noisy, footprints[k])))
    sigma = float(np.std(noisy_train - x_train))  # the clipped noise's real spread
    f = max((0.2, 0.35, 0.5, 0.8), key=lambda f: metrics.psnr(clean, _nl_means(noisy, f * sigma, sigma)))
    return {f"median {fp}": _median_filter(noisy_test, footprints[fp]),
            f"NL-means h={f} sigma": _nl_means(noisy_test, f * sigma, sigma)}


def denoise():
    """Lesson 08's library model (the exercise's fallback) against the noisy input and three tuned classical
    denoisers."""
    d = mnist()
    noisy_train = degrade.add_gaussian_noise(d.x_train, 0.5, seed=0)
    noisy_test = degrade.add_gaussian_noise(d.x_test, 0.5, seed=1)
    model = build_conv_autoencoder((28, 28, 1), filters=(32, 32), decoder="upsample")
    model.compile("adam", "binary_crossentropy")
    model.fit(noisy_train, d.x_train, epochs=pick(10, 1), batch_size=64, verbose=0)
    out = model.predict(noisy_test, verbose=0)
    a, b = metrics.psnr(d.x_test, out), metrics.psnr(d.x_test, noisy_test)
    model_text = f"{a:.2f} ({metrics.ssim(d.x_test, out):.3f})"
    rows = [("08 noise removal", "PSNR dB (SSIM)", model_text,
             f"noisy input {b:.2f} ({metrics.ssim(d.x_test, noisy_test):.3f})", "+8 dB", f"{a - b:+.2f} dB",
             a - b >= 8)]

    def versus(label, name, filtered, target):
        c = metrics.psnr(d.x_test, filtered)
        return (f"08 noise removal vs {label}", "PSNR dB (SSIM)", model_text,
                f"{name} {c:.2f} ({metrics.ssim(d.x_test, filtered):.3f})", target, f"{a - c:+.2f} dB", a > c)

    rows += [versus(name.split()[0], name, filtered, "> filter")
             for name, filtered in classical_denoisers(d.x_train, noisy_train, noisy_test).items()]
    bm3d = bm3d_denoiser(d.x_train, noisy_train, noisy_test)
    rows.append(versus("BM3D", *bm3d, "> BM3D") if bm3d else
                ("08 noise removal vs BM3D", "PSNR dB (SSIM)", model_text,
                 "not run: pip install -r requirements-benchmarks.txt", "> BM3D", "-", None))
    return rows


def biharmonic_fill(masked, mask):
    """Lesson 09's second baseline: ``skimage.restoration.inpaint_biharmonic`` image by image."""
    from skimage.restoration import inpaint_biharmonic

    out = np.stack([inpaint_biharmonic(im[..., 0], m[..., 0])[..., None] for im, m in zip(masked, mask)])
    return np.where(mask, np.clip(out, 0, 1), masked).astype("float32")


def inpaint():
    """Lesson 09's model and sizes (3 seeds); baselines: mean training image and biharmonic inpainting."""
    d = mnist()
    size = 10
    holed = [degrade.random_square_mask(d.x_train, size, seed=s) for s in range(2)]
    x_in, m_in = (np.concatenate([h[i] for h in holed]).astype("float32") for i in (0, 1))
    y_in = np.concatenate([d.x_train] * 2)
    masked_test, mask = degrade.random_square_mask(d.x_test, size, seed=100)
    ours = []
    for seed in SEEDS:
        keras.utils.set_random_seed(seed)
        model = build_inpainter((28, 28, 1), filters=(32, 64), context=(128, 128))  # mask as an input; known kept
        model.compile("adam", "binary_crossentropy")
        model.fit([x_in, m_in], y_in, epochs=pick(10, 1), batch_size=64, verbose=0)
        ours.append(metrics.masked_psnr(d.x_test, model.predict([masked_test, mask.astype("float32")], verbose=0),
                                        mask))
    mean_fill = np.where(mask, d.x_train.mean(0), masked_test)
    a, b = report.mean_spread(ours, ".2f"), metrics.masked_psnr(d.x_test, mean_fill, mask)
    c = metrics.masked_psnr(d.x_test, biharmonic_fill(masked_test, mask), mask)
    return [("09 inpainting 10x10", "PSNR dB in the hole", a, f"mean image {b:.2f}", "+3 dB",
             f"{min(ours) - b:+.2f} dB (worst seed)", min(ours) - b >= 3),
            ("09 inpainting 10x10 vs biharmonic", "PSNR dB in the hole", a, f"biharmonic {c:.2f}",
             "biharmonic + 1 dB", f"{min(ours) - c:+.2f} dB (worst seed)", min(ours) - c >= 1)]


def _photo_split(size, n_train, n_test):
    x_train, _ = datasets.photo_patches(size, n_train, "train", seed=0)
    x_test, _ = datasets.photo_patches(size, n_test, "test", seed=1)
    return x_train, x_test


def colorize():
    """Lesson 10's model and sizes: L -> ab with `build_colorizer`, gray and L-only baselines."""
    x_train, x_test = _photo_split(32, pick(3000, 200), pick(500, 50))

    l_train, ab_train = degrade.split_lab(x_train)
    l_test, _ = degrade.split_lab(x_test)
    model = build_colorizer()
    model.compile("adam", "mse")
    model.fit(l_train, ab_train, epochs=pick(5, 1), batch_size=64, verbose=0)
    ab_pred = model.predict(l_test, verbose=0)
    out = degrade.join_lab(l_test, ab_pred)
    gray = degrade.gray_to_rgb(degrade.to_gray(x_test))
    lab_gray = degrade.join_lab(l_test, np.zeros_like(ab_pred))
    a, b = metrics.psnr(x_test, out), metrics.psnr(x_test, gray)
    c, g = metrics.colourfulness(out).mean(), metrics.psnr(x_test, lab_gray)
    return [("10 colorization", "PSNR dB RGB (colourfulness)", f"{a:.2f} ({c:.1f})",
             f"gray x3 {b:.2f}; L with a=b=0 {g:.2f} "
             f"(truth colourfulness {metrics.colourfulness(x_test).mean():.1f})", "> gray",
             f"{a - b:+.2f} dB", a > b)]


def super_resolution():
    """Lesson 11's model and sizes (3 seeds): `build_super_resolver` (bicubic + learned residual) at x2 and x3,
    trained on 20,000 turned and mirrored patches with a cosine learning-rate decay."""
    rows = []
    epochs, batch = pick(20, 1), 32
    photos = datasets.load("photos", size=36, n_train=pick(20000, 200), n_test=pick(500, 50), augment=True)
    x_train, x_test = photos.x_train, photos.x_test
    steps = epochs * -(-len(x_train) // batch)  # the cosine decay spans every step of the training
    for factor in (2, 3):
        low_train, low_test = degrade.downsample(x_train, factor), degrade.downsample(x_test, factor)
        up_train, up_test = degrade.bicubic_upsample(low_train, factor), degrade.bicubic_upsample(low_test, factor)
        ours = []
        for seed in SEEDS:
            keras.utils.set_random_seed(seed)
            model = build_super_resolver(factor)
            model.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, steps)), "mse")
            model.fit([low_train, up_train], x_train, epochs=epochs, batch_size=batch, verbose=0)
            ours.append(metrics.psnr(x_test, np.clip(model.predict([low_test, up_test], verbose=0), 0, 1)))
        b = metrics.psnr(x_test, up_test)
        target = 1.2 if factor == 3 else None
        rows.append((f"11 super-resolution x{factor}", "PSNR dB", report.mean_spread(ours, ".2f"), f"bicubic {b:.2f}",
                     f"+{target} dB" if target else "-", f"{min(ours) - b:+.2f} dB (worst seed)",
                     min(ours) - b >= target if target else None))
    return rows


def _ae_score(epochs, code_size=16):
    def score(normal, test):
        ae = build_dense_autoencoder(normal.shape[1:], code_size=code_size, hidden=(128,))
        ae.compile("adam", "mse")
        ae.fit(normal, normal, epochs=epochs, batch_size=32, verbose=0)
        return _per_image_mse(ae.reconstruct(test), test)
    return score


def _conv_detector(normal, epochs, code_size=32):
    """Lesson 12's detector: a conv AE (16 and 32 filters, a 32-number code, upsampling decoder)."""
    ae = build_conv_autoencoder(normal.shape[1:], filters=(16, 32), code_size=code_size, decoder="upsample")
    ae.compile("adam", "mse")
    ae.fit(normal, normal, epochs=epochs, batch_size=32, verbose=0)
    return ae


def _per_image_mse(x_hat, x):
    """The anomaly score of lesson 12 (``unsuplab.layers.ReconstructionError``), in NumPy: one MSE per image."""
    return np.mean((x_hat - x) ** 2, axis=(1, 2, 3))


def _pca_score(normal, test, k=16):
    rec, _, _ = baselines.pca_reconstruct(normal, test, min(k, len(normal) - 1))
    return _per_image_mse(rec, test)


def _mean_auroc(score_fn, data):
    """The one-class protocol's mean AUROC over the classes; ``data`` is (x_train, y_train, x_test, y_test)."""
    return float(np.mean(list(metrics.one_class_aurocs(score_fn, *data).values())))


def anomaly():
    """mnist_small: lesson 12's conv AE alone and with PCA-32 (``metrics.combine_scores``), 3 seeds, against PCA
    with 16 and 32 components (PCA's best number here: 24 to 32)."""
    d = mnist()
    epochs = pick(30, 1)
    pca = {k: _mean_auroc(lambda n, t, k=k: _pca_score(n, t, k), d) for k in (16, 32)}
    alone, both = [], []
    for seed in SEEDS:
        keras.utils.set_random_seed(seed)
        per_class = []
        for c in range(10):  # the one-class protocol (metrics.one_class_aurocs), one AE for both rows
            normal = d.x_train[d.y_train == c]
            ae = _conv_detector(normal, epochs)
            scores = [_per_image_mse(ae.reconstruct(x), x) for x in (d.x_test, normal)]
            pca32 = [_pca_score(normal, x, 32) for x in (d.x_test, normal)]
            combined = metrics.combine_scores([scores[0], pca32[0]], [scores[1], pca32[1]])
            per_class.append([metrics.auroc(s, d.y_test != c) for s in (scores[0], combined)])
        mean_alone, mean_both = np.mean(per_class, axis=0)
        alone.append(mean_alone)
        both.append(mean_both)
    best = max(pca.values())
    baseline = f"PCA-16 {pca[16]:.4f}; PCA-32 {pca[32]:.4f}"
    return [(f"12 anomaly, mnist_small (conv AE, {epochs} epochs)", "mean AUROC (10 classes)",
             report.mean_spread(alone, ".4f"), baseline, "> PCA-16, PCA-32", f"{min(alone) - best:+.4f} (worst seed)",
             min(alone) > best),
            (f"12 anomaly, mnist_small, conv AE + PCA-32 ({epochs} epochs)", "mean AUROC (10 classes)",
             report.mean_spread(both, ".4f"), baseline, "> PCA-16, PCA-32", f"{min(both) - best:+.4f} (worst seed)",
             min(both) > best)]


def fashion():
    """Fashion-MNIST for the one-class protocol: all 6,000 training images per class, the 10,000 test images."""
    f = datasets.load("fashion_mnist", n_train=pick(60000, 1000), n_test=pick(None, 500))
    keep = np.concatenate([np.flatnonzero(f.y_train == c)[:6000] for c in range(10)])
    return f.x_train[keep], f.y_train[keep], f.x_test, f.y_test


def anomaly_fashion():
    data = fashion()
    ae, pca = _mean_auroc(_ae_score(FASHION_EPOCHS), data), _mean_auroc(_pca_score, data)
    return [(f"12 anomaly, Fashion-MNIST ({len(data[0]) // 10} train per class, {len(data[2])} test, "
             f"{FASHION_EPOCHS} epochs)", "mean AUROC (10 classes)", f"{ae:.3f}", f"PCA-16 {pca:.3f}",
             "0.90", f"{ae - 0.90:+.3f}", ae >= 0.90)]


def _pixel_knn(normal, test, cache):
    """The pixel 5-NN distances of ``test`` and of ``normal`` (each leaving itself out) for one class, computed once:
    ``cache`` (a dict) keeps them for the baseline row and every seed."""
    key = hashlib.sha1(normal.tobytes() + test.tobytes()).hexdigest()
    if key not in cache:
        cache[key] = baselines.knn_distance(normal, test), baselines.knn_distance(normal)
    return cache[key]


def _rotation_knn_score(epochs, pixel_cache):
    """Lesson 20's rotation prediction as a one-class detector: a RotationNet trained on the normal class alone;
    the score is the 5-NN distance among its L2-normalised features plus the 5-NN distance among pixels
    (:func:`_pixel_knn`), each divided by its median over the normal images (``metrics.combine_scores``)."""
    def score(normal, test):
        model = RotationNet(build_encoder(normal.shape[1:]))
        model.compile(keras.optimizers.Adam(1e-3))
        model.fit(normal, epochs=epochs, batch_size=64, verbose=0)
        f_normal, f_test = (f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-8)
                            for f in (model.encode(normal), model.encode(test)))
        pixel_test, pixel_normal = _pixel_knn(normal, test, pixel_cache)
        return metrics.combine_scores([baselines.knn_distance(f_normal, f_test), pixel_test],
                                      [baselines.knn_distance(f_normal), pixel_normal])
    return score


def anomaly_fashion_rotation():
    """Issue 29's Fashion-MNIST target (GEOM, Golan and El-Yaniv 2018: 0.935), 3 seeds, against the strongest
    classical detector we measured: the 5-NN distance among pixels (PCA-16: 0.902)."""
    data = fashion()
    pixel_cache, ours = {}, []
    knn = _mean_auroc(lambda normal, test: _pixel_knn(normal, test, pixel_cache)[0], data)
    for seed in SEEDS:
        keras.utils.set_random_seed(seed)
        ours.append(_mean_auroc(_rotation_knn_score(ROTATION_EPOCHS, pixel_cache), data))
    return [(f"12 anomaly, Fashion-MNIST, rotation features + pixel 5-NN ({ROTATION_EPOCHS} epochs, "
             f"{len(data[0]) // 10} train per class)", "mean AUROC (10 classes)", report.mean_spread(ours, ".4f"),
             f"pixel 5-NN {knn:.4f}", "0.935 (GEOM)", f"{min(ours) - 0.935:+.4f} (worst seed)", min(ours) >= 0.935)]


def retrieval_codes():
    """Lesson 13's model: 784-512-128-32 sigmoid code, trained as a denoiser that also undoes a shift (seeds 0-2)."""
    d = mnist()
    bits = 32
    pca = baselines.fit_pca(d.x_train, bits)
    p_db, p_q = pca.transform(baselines.flat(d.x_train)), pca.transform(baselines.flat(d.x_test))

    def score(q, db, metric):
        dist = retrieval.pairwise_distances(q, db, metric)
        return (metrics.mean_average_precision(dist, d.y_test, d.y_train),
                metrics.precision_at_k(dist, d.y_test, d.y_train, 10))

    ae_real, ae_cos, ae_bits = [], [], []
    for seed in SEEDS:
        keras.utils.set_random_seed(seed)
        ae = build_dense_autoencoder((28, 28, 1), code_size=bits, hidden=(512, 128), code_activation="sigmoid",
                                     corruption=[keras.layers.RandomTranslation(1 / 28, 1 / 28, fill_mode="constant"),
                                                 {"kind": "mask_pixels", "amount": 0.5}])
        ae.compile("adam", "binary_crossentropy")
        ae.fit(d.x_train, d.x_train, epochs=pick(120, 1), batch_size=64, verbose=0)
        z_db, z_q = ae.encode(d.x_train), ae.encode(d.x_test)
        ae_real.append(score(z_q, z_db, "euclidean"))
        ae_cos.append(score(z_q, z_db, "cosine"))
        zb, th = retrieval.binarize(z_db)
        ae_bits.append(score(retrieval.binarize(z_q, th)[0], zb, "hamming"))
    raw = score(baselines.flat(d.x_test), baselines.flat(d.x_train), "euclidean")
    pca_real, pca_cos = score(p_q, p_db, "euclidean"), score(p_q, p_db, "cosine")
    pb, tp = retrieval.binarize(p_db)
    pca_bits = score(retrieval.binarize(p_q, tp)[0], pb, "hamming")
    fmt = "{:.3f} / {:.3f}".format
    best = [max(p[i] for p in (pca_real, pca_cos, raw)) for i in (0, 1)]  # the best baseline on each metric

    def row(name, runs, baseline, target, versus):
        runs = np.asarray(runs)
        cell = " / ".join(report.mean_spread(runs[:, i], ".3f") for i in (0, 1))
        worst = runs.min(axis=0)
        return (name, "mAP / P@10", cell, baseline, target,
                f"{worst[0] - versus[0]:+.3f} mAP, {worst[1] - versus[1]:+.3f} P@10 (worst seed)",
                bool(worst[0] > versus[0] and worst[1] > versus[1]))

    return [row("13 retrieval, 32 real, Euclidean", ae_real, f"PCA-32 {fmt(*pca_real)}; raw 784 {fmt(*raw)}",
                "AE > PCA, raw", [max(pca_real[i], raw[i]) for i in (0, 1)]),
            row("13 retrieval, 32 real, cosine", ae_cos, f"PCA-32 {fmt(*pca_cos)}", "AE > PCA, raw (any metric)",
                best),
            row("13 retrieval, 32 bits, Hamming", ae_bits, f"PCA-32 median bits {fmt(*pca_bits)}", "AE > PCA",
                pca_bits)]


def recommend():
    ratings = recommender.synthetic_ratings(n_users=pick(800, 100), n_items=pick(400, 60), seed=0)
    train, test = recommender.split_ratings(ratings, 0.1, seed=0)
    model = recommender.build_autorec(train.matrix.shape[1], hidden=pick(100, 16), l2=1e-3)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))  # the recipe of build_autorec's docstring
    model.fit(train.matrix, train.matrix, epochs=pick(100, 2), batch_size=32, verbose=0)
    a = metrics.masked_rmse(test.matrix, model.predict_ratings(train.matrix), test.mask)
    b = metrics.masked_rmse(test.matrix, recommender.bias_baseline(train), test.mask)
    return [("14 recommender (synthetic)", "held-out RMSE", f"{a:.3f}", f"mu+b_u+b_i {b:.3f}", "< baseline",
             f"{a - b:+.3f}", a < b)]


# lessons 12-14 first: their rows are written (the file is rewritten after every application) even if a
# slow shared machine forces the run to stop during the image-to-image ones
APPLICATIONS = {"anomaly": anomaly, "anomaly_fashion": anomaly_fashion,
                "anomaly_fashion_rotation": anomaly_fashion_rotation, "retrieval": retrieval_codes,
                "recommend": recommend, "denoise": denoise,
                "inpaint": inpaint, "colorize": colorize, "super_resolution": super_resolution}


def main(names):
    unknown = set(names) - set(APPLICATIONS)
    if unknown:
        raise SystemExit(f"unknown application(s) {sorted(unknown)}; choose from {sorted(APPLICATIONS)}")
    line = config.banner_line()
    print(line)
    header = ("application", "metric", "model", "baseline", "target", "vs target/baseline", "met", "wall s")
    rows = []
    for name in names or APPLICATIONS:
        keras.utils.set_random_seed(0)
        start = time.perf_counter()
        out = APPLICATIONS[name]()
        wall = time.perf_counter() - start
        for row in out:
            met = {True: "yes", False: "NO", None: "-"}[row[-1]]
            rows.append((*row[:-1], met, f"{wall:.0f}"))
            print(" | ".join(rows[-1]), flush=True)
        text = _write(header, rows, line)
    print(text)


def _kept_rows(rows):
    """Rows of the saved table not rerun now (matched by the name before any bracket), so `applications.py NAME`
    updates in place."""
    if not RESULTS.exists():
        return []
    rerun = {_row_key(r[0]) for r in rows}
    old = [line for line in RESULTS.read_text(encoding="utf-8").splitlines()
           if line.startswith("| ") and line[2:4].isdigit()]
    old = [tuple(c.strip() for c in line.strip("|").split(" | ")) for line in old]
    return [r for r in old if _row_key(r[0]) not in rerun]


def _row_key(application):
    """A row's name without its bracketed details, which may change between runs (epochs, sizes)."""
    return application.split(" (")[0]


def _write(header, rows, line):
    kept = _kept_rows(rows) if not config.is_fast() else []
    rows = sorted(kept + rows, key=lambda r: r[0][:2])
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    table += ["| " + " | ".join(r) + " |" for r in rows]
    text = "\n".join(table)
    if not config.is_fast():
        report.write(RESULTS, ["# Applications benchmark", "", line, "",
                               f"Machine: {report.machine()}. Command: `{report.command()}`"
                               + (" (the rows of the other lessons are kept from earlier runs)" if kept else ""), "",
                               "Wall times (s, per application): shared 2-core CPU, inflated by other jobs.", "",
                               text, "", report.load_note()])
    return text


if __name__ == "__main__":
    main(sys.argv[1:])
