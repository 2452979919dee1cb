"""Training IIC: the main and overclustering heads in alternation (Ji et al., 2019, sec. 3.3).

Each epoch runs the schedule ``("main", "main", "over")`` (the authors' MNIST setting:
main head twice, overclustering head once), each phase one pass over the images with
Adam. The two heads share the trunk; each has its own compiled :class:`IICTrainer`.
At the end the main sub-head with the lowest IIC loss on fresh pairs is kept as
``model.best_subhead`` (label-free selection, as in the paper).
"""

import time

import keras
import numpy as np

from ..validation import positive_int


def fit_iic(model, x, epochs=10, batch_size=140, learning_rate=1e-4, schedule=("main", "main", "over"),
            verbose=0, on_epoch_end=None, time_limit=None, seed=0):
    """Train an :class:`~unsuplab.iic.model.IICClusterer` on images ``x``; return a history dict.

    ``batch_size`` counts images; each step sees ``batch_size * repeats`` pairs. ``on_epoch_end(epoch,
    model, history)`` runs after each epoch (e.g. to draw ``P``). ``time_limit`` (seconds) stops
    after the epoch that passes it. History keys: ``main_loss``, ``over_loss`` (per epoch),
    ``main_subhead_losses`` (epochs, n_subheads), ``seconds`` (cumulative wall time).
    """
    x = model.check_images(x)
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size", minimum=2)
    for name in schedule:
        k = model.head(name).output.shape[2]
        if batch_size < k:
            raise ValueError(f"`batch_size` ({batch_size}) must be at least the number of clusters of the "
                             f"{name!r} head ({k}): a batch smaller than k cannot fill P.")
    if len(x) < batch_size:
        raise ValueError(f"`x` has {len(x)} images, fewer than `batch_size` ({batch_size}).")
    trainers = {}
    for name in dict.fromkeys(schedule):
        trainer = model.trainer(name)
        if not trainer.compiled:
            trainer.compile(optimizer=keras.optimizers.Adam(learning_rate))
        trainers[name] = trainer
    history = {"main_loss": [], "over_loss": [], "main_subhead_losses": [], "seconds": []}
    rng = np.random.default_rng(seed)
    n_steps = len(x) // batch_size
    start = time.perf_counter()
    for epoch in range(epochs):
        losses = {}
        for name in schedule:
            order = rng.permutation(len(x))[: n_steps * batch_size]
            log = trainers[name].fit(x[order], batch_size=batch_size, epochs=1, shuffle=False, verbose=0).history
            losses.setdefault(name, []).append(log["loss"][-1])
            if name == "main":
                history["main_subhead_losses"].append([log[f"loss_{j}"][-1] for j in range(model.n_subheads)])
        history["main_loss"].append(float(np.mean(losses.get("main", [np.nan]))))
        history["over_loss"].append(float(np.mean(losses.get("over", [np.nan]))))
        history["seconds"].append(time.perf_counter() - start)
        if verbose:
            print(f"epoch {epoch + 1}/{epochs}: main loss {history['main_loss'][-1]:.4f}, "
                  f"over loss {history['over_loss'][-1]:.4f}, {history['seconds'][-1]:.0f} s", flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch, model, history)
        if time_limit is not None and history["seconds"][-1] > time_limit:
            break
    if history["main_subhead_losses"]:
        model.best_subhead = int(np.argmin(history["main_subhead_losses"][-1]))
    history["best_subhead"] = model.best_subhead
    return history
