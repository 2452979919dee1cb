"""Benchmark: every autoencoder application of lessons 08-14 against its classical baseline.

Run ``python benchmarks/applications.py`` (full mode; ``UNSUPLAB_FAST=1`` for a smoke run) or
``python benchmarks/applications.py denoise retrieval`` for some of them. Prints a table
(application, metric, model, baseline, target, wall time) and writes it to
``benchmarks/results/applications.md``. Wall times on a shared 2-core CPU are inflated by the sharing.

Lesson 08's strongest classical row, BM3D (Dabov et al., 2007), needs the ``bm3d`` package, which the course
does not install (it is for this benchmark only): ``pip install -r requirements-benchmarks.txt``. Without it
the row says so.
"""

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

RESULTS = Path(__file__).parent / "results" / "applications.md"
pick = config.pick
FASHION_EPOCHS = pick(5, 1)  # 10 AEs on 6,000 images each: 5 epochs keep the run near 25 min on 2 shared cores


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
    """Lesson 09's model and sizes; baselines: mean training image and biharmonic inpainting."""
    d = mnist()
    size = 10
    holed = [degrade.random_square_mask(d.x_train, size, seed=s) for s in range(2)]
    x_in, m_in = (np.concatenate([h[i] for h in holed]).astype("float32") for i in (0, 1))
    y_in = np.concatenate([d.x_train] * 2)
    masked_test, mask = degrade.random_square_mask(d.x_test, size, seed=100)
    model = build_inpainter((28, 28, 1), filters=(32, 64))  # the mask as a second input; known pixels kept
    model.compile("adam", "binary_crossentropy")
    model.fit([x_in, m_in], y_in, epochs=pick(10, 1), batch_size=64, verbose=0)
    out = model.predict([masked_test, mask.astype("float32")], verbose=0)
    mean_fill = np.where(mask, d.x_train.mean(0), masked_test)
    a, b = metrics.masked_psnr(d.x_test, out, mask), metrics.masked_psnr(d.x_test, mean_fill, mask)
    c = metrics.masked_psnr(d.x_test, biharmonic_fill(masked_test, mask), mask)
    return [("09 inpainting 10x10", "PSNR dB in the hole", f"{a:.2f}", f"mean image {b:.2f}", "+3 dB",
             f"{a - b:+.2f} dB", a - b >= 3),
            ("09 inpainting 10x10 vs biharmonic", "PSNR dB in the hole", f"{a:.2f}", f"biharmonic {c:.2f}",
             "> biharmonic", f"{a - c:+.2f} dB", a > c)]


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
    """Lesson 11's model and sizes: `build_super_resolver` (bicubic + learned residual) at x2 and x3."""
    rows = []
    x_train, x_test = _photo_split(36, pick(2000, 200), pick(500, 50))
    for factor in (2, 3):
        low_train, low_test = degrade.downsample(x_train, factor), degrade.downsample(x_test, factor)
        up_train, up_test = degrade.bicubic_upsample(low_train, factor), degrade.bicubic_upsample(low_test, factor)
        model = build_super_resolver(factor)
        model.compile(keras.optimizers.Adam(1e-3), "mse")
        model.fit([low_train, up_train], x_train, epochs=pick(6, 1), batch_size=32, verbose=0)
        out = np.clip(model.predict([low_test, up_test], verbose=0), 0, 1)
        a, b = metrics.psnr(x_test, out), metrics.psnr(x_test, up_test)
        rows.append((f"11 super-resolution x{factor}", "PSNR dB", f"{a:.2f}", f"bicubic {b:.2f}",
                     "+0.5 dB" if factor == 3 else "-", f"{a - b:+.2f} dB", a - b >= 0.5 if factor == 3 else None))
    return rows


def _ae_score(epochs, code_size=16):
    def score(normal, test):
        ae = build_dense_autoencoder(normal.shape[1:], code_size=code_size, hidden=(128,))
        ae.compile("adam", "mse")
        ae.fit(normal, normal, epochs=epochs, batch_size=32, verbose=0)
        return np.mean((ae.reconstruct(test) - test) ** 2, axis=(1, 2, 3))
    return score


def _pca_score(normal, test, k=16):
    rec, _, _ = baselines.pca_reconstruct(normal, test, min(k, len(normal) - 1))
    return np.mean((rec - test) ** 2, axis=(1, 2, 3))


def anomaly():
    rows = []
    d = mnist()
    ae = np.mean(list(metrics.one_class_aurocs(_ae_score(pick(30, 1)), *d).values()))
    pca = np.mean(list(metrics.one_class_aurocs(_pca_score, *d).values()))
    rows.append((f"12 anomaly, mnist_small ({pick(30, 1)} epochs)", "mean AUROC (10 classes)", f"{ae:.3f}",
                 f"PCA-16 {pca:.3f}",
                 "printed", "-", None))
    f = datasets.load("fashion_mnist", n_train=pick(60000, 1000), n_test=pick(None, 500))
    keep = np.concatenate([np.flatnonzero(f.y_train == c)[:6000] for c in range(10)])  # all 6,000 per class
    x_train, y_train = f.x_train[keep], f.y_train[keep]
    ae_scores = metrics.one_class_aurocs(_ae_score(FASHION_EPOCHS), x_train, y_train, f.x_test, f.y_test)
    ae = np.mean(list(ae_scores.values()))
    pca = np.mean(list(metrics.one_class_aurocs(_pca_score, x_train, y_train, f.x_test, f.y_test).values()))
    rows.append((f"12 anomaly, Fashion-MNIST ({len(x_train) // 10} train per class, {len(f.x_test)} test, "
                 f"{FASHION_EPOCHS} epochs)", "mean AUROC (10 classes)", f"{ae:.3f}", f"PCA-16 {pca:.3f}",
                 "0.90", f"{ae - 0.90:+.3f}", ae >= 0.90))
    return rows


def retrieval_codes():
    """Lesson 13's model: 784-512-128-32 sigmoid code, trained as a denoiser (half the pixels masked)."""
    d = mnist()
    bits = 32
    ae = build_dense_autoencoder((28, 28, 1), code_size=bits, hidden=(512, 128), code_activation="sigmoid",
                                 corruption={"kind": "mask_pixels", "amount": 0.5})
    ae.compile("adam", "binary_crossentropy")
    ae.fit(d.x_train, d.x_train, epochs=pick(40, 1), batch_size=64, verbose=0)
    z_db, z_q = ae.encode(d.x_train), ae.encode(d.x_test)
    pca = baselines.fit_pca(d.x_train, bits)
    p_db, p_q = pca.transform(baselines.flat(d.x_train)), pca.transform(baselines.flat(d.x_test))

    def score(q, db, metric):
        dist = retrieval.pairwise_distances(q, db, metric)
        return (metrics.mean_average_precision(dist, d.y_test, d.y_train),
                metrics.precision_at_k(dist, d.y_test, d.y_train, 10))

    raw = score(baselines.flat(d.x_test), baselines.flat(d.x_train), "euclidean")
    ae_real, pca_real = score(z_q, z_db, "euclidean"), score(p_q, p_db, "euclidean")
    ae_cos, pca_cos = score(z_q, z_db, "cosine"), score(p_q, p_db, "cosine")
    zb, th = retrieval.binarize(z_db)
    pb, tp = retrieval.binarize(p_db)
    ae_bits = score(retrieval.binarize(z_q, th)[0], zb, "hamming")
    pca_bits = score(retrieval.binarize(p_q, tp)[0], pb, "hamming")
    fmt = "{:.3f} / {:.3f}".format
    best_base = max(pca_real[0], pca_cos[0], raw[0])
    return [("13 retrieval, 32 real, Euclidean", "mAP / P@10", fmt(*ae_real),
             f"PCA-32 {fmt(*pca_real)}; raw 784 {fmt(*raw)}", "AE > PCA, raw",
             f"{ae_real[0] - max(pca_real[0], raw[0]):+.3f} mAP", ae_real[0] > max(pca_real[0], raw[0])),
            ("13 retrieval, 32 real, cosine", "mAP / P@10", fmt(*ae_cos), f"PCA-32 {fmt(*pca_cos)}",
             "AE > PCA, raw (any metric)", f"{ae_cos[0] - best_base:+.3f} mAP", ae_cos[0] > best_base),
            ("13 retrieval, 32 bits, Hamming", "mAP / P@10", fmt(*ae_bits), f"PCA-32 median bits {fmt(*pca_bits)}",
             "AE > PCA", f"{ae_bits[0] - pca_bits[0]:+.3f} mAP", ae_bits[0] > pca_bits[0])]


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
APPLICATIONS = {"anomaly": anomaly, "retrieval": retrieval_codes, "recommend": recommend, "denoise": denoise,
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
    """Rows of the saved table whose lesson number was not rerun now, so `applications.py NAME` updates in place."""
    if not RESULTS.exists():
        return []
    rerun = {r[0].split()[0] for r in rows}
    old = [line for line in RESULTS.read_text(encoding="utf-8").splitlines()
           if line.startswith("| ") and line[2:4].isdigit()]
    return [tuple(c.strip() for c in line.strip("|").split(" | ")) for line in old if line[2:4] not in rerun]


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
