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
            verbose=0, on_epoch_end=None, time_limit=None, seed=0, loss_fn=None, select_size=2000):
    """Train an :class:`~unsuplab.iic.model.IICClusterer` on images ``x``; return a history dict.

    ``batch_size`` counts images; each step sees ``batch_size * repeats`` pairs. ``on_epoch_end(epoch,
    model, history)`` runs after each epoch (e.g. to draw ``P``). ``time_limit`` (seconds) stops
    after the epoch that passes it. ``loss_fn(p, q, marginal_weight=...)`` replaces the objective
    (default :func:`~unsuplab.iic.loss.iic_loss`); for a segmentation model, ``loss_fn(p1, p2, displacement,
    mask, marginal_weight=...)`` (default :func:`~unsuplab.iic.segmentation.segmentation_loss`).
    History keys: ``main_loss``, ``over_loss`` (per epoch), ``main_subhead_losses`` (epochs, n_subheads:
    running training loss), ``seconds`` (cumulative wall time), ``selection_losses`` (n_subheads: fresh pairs,
    what picks ``best_subhead``) and ``best_subhead``.
    """
    x = model.check_images(x)
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
    if "main" in schedule:
        sample = rng.permutation(len(x))[:select_size]
        history["selection_losses"] = model.pair_losses(x[sample], "main", batch_size=max(batch_size, 256)).tolist()
        model.best_subhead = int(np.argmin(history["selection_losses"]))
    history["best_subhead"] = model.best_subhead
    return history
