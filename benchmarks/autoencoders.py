"""Train every autoencoder builder on mnist_small and compare test reconstruction error with PCA.

    python benchmarks/autoencoders.py            # full mode: 4,000 training images, 30 epochs (conv: 10)
    UNSUPLAB_FAST=1 python benchmarks/autoencoders.py   # smoke run
    UNSUPLAB_BENCH_ONLY="dense 784" python benchmarks/autoencoders.py   # re-run only the dense row

Prints a table and writes it to benchmarks/results/autoencoders.md: test MSE (VAE: decoded from
the posterior mean) and, for the VAEs, the test ELBO in nats per image; PCA at the same code size
is the baseline row. Seconds per epoch are the median over epochs after the first (no tracing).
With ``UNSUPLAB_BENCH_ONLY`` the re-run rows replace theirs in the existing table and the other rows are kept,
marked as carried over from an earlier run.
"""

import os
import time
from pathlib import Path

import keras
import numpy as np
import report

from unsuplab import baselines, config, datasets
from unsuplab.models import (
    VAE,
    build_contractive_autoencoder,
    build_conv_autoencoder,
    build_deep_autoencoder,
    build_denoising_autoencoder,
    build_dense_autoencoder,
    build_sparse_autoencoder,
    build_vae,
)

CODE = 32
RESULTS = Path(__file__).parent / "results" / "autoencoders.md"

CONFIGS = {
    # lesson 01's recipe: linear code layer (a ReLU code loses units that never fire), MSE, 100 epochs
    "dense 784-128-32": lambda: build_dense_autoencoder(code_size=CODE, code_activation="linear"),
    "deep 784-1000-500-250-32": lambda: build_deep_autoencoder(code_size=CODE),
    "conv, unpool (switches)": lambda: build_conv_autoencoder(filters=(16, 32), code_size=CODE, decoder="unpool"),
    "conv, upsample": lambda: build_conv_autoencoder(filters=(16, 32), code_size=CODE, decoder="upsample"),
    "conv, transpose": lambda: build_conv_autoencoder(filters=(16, 32), code_size=CODE, decoder="transpose"),
    "sparse L1": lambda: build_sparse_autoencoder(code_size=CODE, hidden=(128,), penalty="l1"),
    "sparse KL (rho 0.05)": lambda: build_sparse_autoencoder(code_size=CODE, hidden=(128,), penalty="kl"),
    "denoising (gaussian 0.3)": lambda: build_denoising_autoencoder(kind="gaussian", amount=0.3, code_size=CODE),
    "contractive, closed form": lambda: build_contractive_autoencoder(code_size=CODE),
    "contractive, estimate": lambda: build_contractive_autoencoder(code_size=CODE, hidden=(128,), method="estimate"),
    "VAE dense": lambda: build_vae(code_size=CODE, hidden=(256,)),
    "VAE conv": lambda: build_vae(code_size=CODE, hidden=(128,), conv=True),
}


# conv models cost ~10x more per epoch than the dense ones: fewer epochs keep each config under a minute;
# the dense AE is cheap and still improving at 30 epochs, so it gets lesson 01's 100
EPOCHS = {"dense 784-128-32": 100, "conv, unpool (switches)": 10, "conv, upsample": 10, "conv, transpose": 10,
          "VAE conv": 10, "deep 784-1000-500-250-32": 15}


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def run(name, build, x_train, x_test, epochs, batch_size=128):
    keras.utils.set_random_seed(0)
    model = build()
    is_vae = isinstance(model, VAE)
    model.compile(keras.optimizers.Adam(1e-3), None if is_vae else "mse")
    timer = EpochTimer()
    model.fit(x_train, None if is_vae else x_train, epochs=epochs, batch_size=batch_size, verbose=0,
              callbacks=[timer])
    test_mse = baselines.mse(model.reconstruct(x_test), x_test)
    elbo = model.evaluate(x_test, verbose=0, return_dict=True)["elbo"] if is_vae else None
    per_epoch = float(np.median(timer.times[1:] if len(timer.times) > 1 else timer.times))
    params = sum(m.count_params() for m in (getattr(model, "pooling_encoder", model.encoder), model.decoder))
    return dict(name=name, mse=test_mse, elbo=elbo, seconds=per_epoch, params=params)


CARRIED = " (carried over)"


def carried_over(lines, rows):
    """Rows of the saved table that this (partial) run did not re-measure, marked as such, plus a footnote."""
    if not RESULTS.exists():
        return []
    fresh = {r["name"] for r in rows}
    kept = []
    for line in RESULTS.read_text().splitlines():
        if not line.startswith("| ") or line.startswith("| model ") or line.startswith("|---"):
            continue
        name = line.split(" | ")[0][2:].removesuffix(CARRIED)
        if name in fresh:
            continue
        line = line.replace(f"| {name}{CARRIED} |", f"| {name} |")
        kept.append(line.replace(f"| {name} |", f"| {name}{CARRIED} |", 1))
    note = ["", f"Rows marked{CARRIED} were not re-run with the rows above; their numbers come from an earlier "
            "run of this script (possibly on an earlier version of the data or the library)."]
    return kept + note if kept else []


def main():
    config.banner()
    split = datasets.load("mnist_small")
    n_train, n_test = config.pick(full=4000, fast=256), config.pick(full=1000, fast=128)
    full_epochs = 30
    x_train, x_test = split.x_train[:n_train], split.x_test[:n_test]
    names = os.environ.get("UNSUPLAB_BENCH_ONLY")
    rows = [dict(name=f"PCA, {CODE} components (baseline)", mse=baselines.pca_reconstruct(x_train, x_test, CODE)[2],
                 elbo=None, seconds=None, params=None, epochs=None)]
    for name, build in CONFIGS.items():
        if names and not any(part in name for part in names.split(",")):
            continue
        epochs = config.pick(full=EPOCHS.get(name, full_epochs), fast=1)
        rows.append(run(name, build, x_train, x_test, epochs))
        rows[-1]["epochs"] = epochs
        print(f"{name:28s} test MSE {rows[-1]['mse']:.5f}  {rows[-1]['seconds']:.2f} s/epoch", flush=True)

    lines = [f"# Autoencoder builders on mnist_small ({config.mode_name()} mode)", "",
             f"{n_train} training / {n_test} test images, code size {CODE}, Adam 1e-3, batch 128. "
             f"Machine: {report.machine()}. Command: `{report.command()}`", "",
             "| model | parameters | epochs | test MSE | test ELBO (nats) | s / epoch |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        params = "" if r["params"] is None else f"{r['params']:,}"
        elbo = "" if r["elbo"] is None else f"{r['elbo']:.1f}"
        seconds = "" if r["seconds"] is None else f"{r['seconds']:.2f}"
        epochs = "" if r["epochs"] is None else r["epochs"]
        lines.append(f"| {r['name']} | {params} | {epochs} | {r['mse']:.5f} | {elbo} | {seconds} |")
    if names and not config.is_fast():
        lines += carried_over(lines, rows)
    lines += ["", report.load_note()]
    print("\n".join(lines))
    if not config.is_fast():
        report.write(RESULTS, lines)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
