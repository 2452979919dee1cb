"""Plot helpers for the lessons: plain matplotlib, fine in a notebook and headless."""

import matplotlib.pyplot as plt  # picks Agg by itself where there is no display
import numpy as np


def _show(img, ax, cmap):
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 1:  # a flat vector: make it as square as possible
        side = int(round(np.sqrt(img.size)))
        img = img.reshape(side, -1) if side * (img.size // side) == img.size else img[None]
    ax.imshow(np.clip(img, 0, 1) if img.ndim == 3 else img, cmap=None if img.ndim == 3 else cmap,
              vmin=None if img.ndim == 3 else 0.0, vmax=None if img.ndim == 3 else 1.0,
              interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def image_row(axes, images, label=None, cmap="gray", fontsize=8):
    """Draw ``images`` into a row of existing ``axes`` (axes beyond the images stay blank, frameless), with
    ``label`` on the left: for figures built from sub-figures, where :func:`image_grid` cannot make its own."""
    for j, ax in enumerate(axes):
        if j < len(images):
            _show(images[j], ax, cmap)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.spines[:].set_visible(False)
    if label is not None:
        axes[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=fontsize)


def image_grid(rows, n=10, title=None, cmap="gray", scale=1.1, col_titles=None):
    """Draw images in rows, each row with its title on the left.

    ``rows`` maps a row title to an array of images, e.g.
    ``{"original": x, "noisy": x_noisy, "denoised": x_hat}``; the first ``n`` of each are shown, and a row
    shorter than the others leaves its last cells empty (nothing is dropped from the longer rows). A row may
    be a list with ``None`` in a slot to leave that cell empty, e.g. ``[x[a]] + [None] * 8 + [x[b]]``.
    Returns the figure.
    """
    if not isinstance(rows, dict):
        rows = {"": rows}
    longest = max((len(v) for v in rows.values()), default=0)
    if not longest or n < 1:
        raise ValueError(f"`rows` must hold at least one image and `n` must be >= 1, got {len(rows)} rows of at "
                         f"most {longest} images and n={n}.")
    n = min(n, longest)
    fig, axes = plt.subplots(len(rows), n, figsize=(scale * n, scale * len(rows) + (0.3 if title else 0)),
                             squeeze=False)
    for r, (label, images) in enumerate(rows.items()):
        for c in range(n):
            if c < len(images) and images[c] is not None:
                _show(images[c], axes[r, c], cmap)
            elif c == 0:  # empty, but keeps the row's label visible
                axes[r, c].set_frame_on(False)
                axes[r, c].set_xticks([])
                axes[r, c].set_yticks([])
            else:
                axes[r, c].axis("off")
            if col_titles is not None and r == 0:
                axes[r, c].set_title(str(col_titles[c]), fontsize=8)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def training_curves(history, keys=None, title=None, logy=False):
    """Plot the metrics of a Keras ``History`` (or its ``.history`` dict) against the epoch."""
    hist = getattr(history, "history", history)
    keys = keys or [k for k in hist if not k.startswith("val_")]
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3), squeeze=False)
    for ax, key in zip(axes[0], keys):
        epochs = np.arange(1, len(hist[key]) + 1)
        ax.plot(epochs, hist[key], "o-", label="train")
        if f"val_{key}" in hist:
            ax.plot(epochs, hist[f"val_{key}"], "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        if logy:
            ax.set_yscale("log")
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def latent_scatter(z, labels=None, title=None, ax=None, s=6, class_names=None):
    """Scatter 2-D codes ``z`` coloured by ``labels`` (one colour per class)."""
    z = np.asarray(z)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"`z` must have shape (n, 2), got {z.shape}; reduce it to 2-D first.")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=s)
    else:
        labels = np.asarray(labels)
        for c in np.unique(labels):
            pts = z[labels == c]
            name = class_names[c] if class_names is not None else str(c)
            ax.scatter(pts[:, 0], pts[:, 1], s=s, label=name, color=plt.cm.tab10(int(c) % 10))
        ax.legend(markerscale=3, fontsize=7, loc="best", ncol=2)
    if title:
        ax.set_title(title)
    return ax.figure


def line_plot(x, series, xlabel, ylabel, title=None, logx=False, logy=False, ax=None):
    """Plot several named series against one x axis: ``series = {"AE": [...], "PCA": [...]}``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    for name, ys in series.items():
        ax.plot(x, ys, "o-", label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax.figure
