"""Training IIC: the main and overclustering heads in alternation (Ji et al., 2019, sec. 3.3).

Each epoch runs the schedule ``("main", "main", "over")`` (the authors' MNIST setting:
main head twice, overclustering head once), each phase one pass over the images with
Adam. The two heads share the trunk; each has its own compiled :class:`IICTrainer`.
At the end every main sub-head is scored on fresh random pairs of up to ``select_size``
training images (:meth:`IICClusterer.pair_losses`, the trained weights, no labels) and the
lowest-loss one is kept as ``model.best_subhead`` (label-free selection, as in the paper).
Fresh pairs rather than the last epoch's running training loss: that average mixes the
weights of a whole epoch. Measured (3 seeds, 1,500 MNIST digits, 4 epochs on CPU,
``benchmarks/results/iic_subhead_selection_cpu.md``): both rules picked the same sub-head twice; once the
fresh-pairs rule picked a more accurate one (ACC 0.462 against 0.453).
"""

import time

import keras
import numpy as np

from ..training import callback_list, history_of
from ..validation import positive_int


def _check_schedule(model, schedule):
    if isinstance(schedule, str) or not isinstance(schedule, (tuple, list)) or not schedule:
        raise ValueError(f"`schedule` must be a non-empty tuple of head names, e.g. ('main', 'main', 'over') or "
                         f"('main',), got {schedule!r}.")
    for name in schedule:
        if name not in ("main", "over"):
            raise ValueError(f"`schedule` entries must be 'main' or 'over', got {name!r}.")
        if name == "over" and model.over_head is None:
            raise ValueError("`schedule` trains the 'over' head, but this model has none (built with "
                             "n_overclusters=0): pass schedule=('main',).")
    return tuple(schedule)


def fit_iic(model, x, epochs=10, batch_size=140, learning_rate=1e-4, schedule=("main", "main", "over"),
            callbacks=None, time_limit=None, verbose=0, seed=0, loss_fn=None, select_size=2000):
    """Train an :class:`~unsuplab.iic.model.IICClusterer` on images ``x``; return its ``keras.callbacks.History``.

    ``batch_size`` counts images; each step sees ``batch_size * repeats`` pairs. An epoch is one pass of the
    schedule; ``callbacks`` (Keras callbacks, ``self.model`` the clusterer) run after each (e.g. to draw ``P``),
    and ``time_limit`` (seconds) stops after the epoch that passes it (:mod:`unsuplab.training`).
    ``loss_fn(p, q, marginal_weight=...)`` replaces the objective
    (default :func:`~unsuplab.iic.loss.iic_loss`); for a segmentation model, ``loss_fn(p1, p2, displacement,
    mask, marginal_weight=...)`` (default :func:`~unsuplab.iic.segmentation.segmentation_loss`).
    ``history.history`` keys, one value per epoch: ``main_loss``, ``over_loss``, ``main_subhead_losses``
    (n_subheads: running training loss), ``seconds`` (cumulative wall time). After training
    ``model.selection_losses`` (n_subheads: fresh pairs) picks ``model.best_subhead``.
    """
    x = model.check_training_images(x)  # every check before any training (a failed JAX step loses the weights)
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size", minimum=2)
    select_size = positive_int(select_size, "select_size", minimum=2)
    schedule = _check_schedule(model, schedule)
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.integer, np.floating)) \
            or not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"`learning_rate` must be a positive number, got {learning_rate!r}.")
    if loss_fn is not None and not callable(loss_fn):
        signature = "(p1, p2, displacement, mask, marginal_weight=...)" if model.per_pixel else \
            "(p, q, marginal_weight=...)"
        raise TypeError(f"`loss_fn` must be a function {signature} -> loss, got {loss_fn!r}.")
    for name in schedule:
        k = model.head(name).output.shape[-1]
        if batch_size < k and not model.per_pixel:
            raise ValueError(f"`batch_size` ({batch_size}) must be at least the number of clusters of the "
                             f"{name!r} head ({k}): a batch smaller than k cannot fill P.")
    if len(x) < batch_size:
        raise ValueError(f"`x` has {len(x)} images, fewer than `batch_size` ({batch_size}).")
    trainers = {}
    for name in dict.fromkeys(schedule):
        trainer = model.trainer(name)
        if loss_fn is not None and trainer.loss_fn is not loss_fn:
            trainer.loss_fn = loss_fn
            trainer.compiled = False  # recompile: the traced train step holds the old loss
        if not trainer.compiled:
            trainer.compile(optimizer=keras.optimizers.Adam(learning_rate))
        trainers[name] = trainer
    listed, _ = callback_list(callbacks, model, time_limit, epochs=epochs)
    rng = np.random.default_rng(seed)
    n_steps = len(x) // batch_size
    start = time.perf_counter()
    listed.on_train_begin()
    for epoch in range(epochs):
        listed.on_epoch_begin(epoch)
        losses, subhead_losses = {}, [np.nan] * model.n_subheads
        for name in schedule:
            order = rng.permutation(len(x))[: n_steps * batch_size]
            log = trainers[name].fit(x[order], batch_size=batch_size, epochs=1, shuffle=False, verbose=0).history
            losses.setdefault(name, []).append(log["loss"][-1])
            if name == "main":
                subhead_losses = [log[f"loss_{j}"][-1] for j in range(model.n_subheads)]
        logs = {"main_loss": float(np.mean(losses.get("main", [np.nan]))),
                "over_loss": float(np.mean(losses.get("over", [np.nan]))),
                "main_subhead_losses": subhead_losses, "seconds": time.perf_counter() - start}
        if verbose:
            print(f"epoch {epoch + 1}/{epochs}: main loss {logs['main_loss']:.4f}, "
                  f"over loss {logs['over_loss']:.4f}, {logs['seconds']:.0f} s", flush=True)
        listed.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    listed.on_train_end()
    if "main" in schedule:
        sample = rng.permutation(len(x))[:select_size]
        model.selection_losses = model.pair_losses(x[sample], "main", batch_size=max(batch_size, 256)).astype("float64")
        model.best_subhead = int(np.argmin(model.selection_losses))
    return history_of(listed)
