"""Collaborative filtering with an autoencoder on user rows (U-AutoRec; Sedhain et al., 2015).

There is no MovieLens file offline, so ``synthetic_ratings`` generates a rating
matrix from a stated latent-factor model (Koren et al., 2009)::

    r_ui = clip(round(mu + b_u + b_i + p_u . q_i / sqrt(rank) + noise), 1, 5),
    p_u, q_i ~ N(0, I_rank),  b_u ~ N(0, 0.5^2),  b_i ~ N(0, 0.5^2),  noise ~ N(0, noise^2)

and observes a random ``density`` share of it (popular items more often).
``load_movielens`` reads a real file (``u.data`` of MovieLens 100k, tab separated,
or ``ratings.csv`` of the newer releases) into the same :class:`Ratings`.

The autoencoder reconstructs a user's row of ratings; its loss counts only the
observed entries of the batch, ``sum_ui m_ui (r_ui - r_hat_ui)^2 / sum_ui m_ui``
(``observed_squared_error``), and Keras adds the L2 weight penalty (``self.losses``).
``masked_rmse`` (the held-out score) lives in :mod:`unsuplab.metrics`.

``build_autorec`` returns an uncompiled model; train with
``model.compile(optimizer=keras.optimizers.Adam(1e-2)); model.fit(train.matrix, train.matrix)``.
"""

import csv
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np
from keras import layers, ops

from .validation import number_at_least, positive_int


class Ratings(NamedTuple):
    matrix: np.ndarray   # (users, items) float32, 0 where not rated
    mask: np.ndarray     # (users, items) bool, True where rated
    user_ids: np.ndarray
    item_ids: np.ndarray


def _fraction(value, name, low=0.0, high=1.0):
    value = float(value)
    if not low < value < high:
        raise ValueError(f"`{name}` must lie strictly between {low} and {high}, got {value}.")
    return value


def synthetic_ratings(n_users=800, n_items=400, rank=4, density=0.1, noise=0.5, mean=3.5, seed=0):
    """A user x item rating matrix (1..5 stars) from the latent-factor model in the module docstring."""
    n_users, n_items = positive_int(n_users, "n_users", 2), positive_int(n_items, "n_items", 2)
    rank = positive_int(rank, "rank")
    density = _fraction(density, "density", 0.0, 1.0 + 1e-9)
    noise = number_at_least(noise, "noise", 0.0)
    mean = number_at_least(mean, "mean", -np.inf)
    rng = np.random.default_rng(seed)
    p, q = rng.standard_normal((n_users, rank)), rng.standard_normal((n_items, rank))
    b_u, b_i = 0.5 * rng.standard_normal(n_users), 0.5 * rng.standard_normal(n_items)
    score = mean + b_u[:, None] + b_i[None, :] + p @ q.T / np.sqrt(rank)
    score += noise * rng.standard_normal(score.shape)
    full = np.clip(np.round(score), 1, 5).astype("float32")
    popularity = rng.pareto(2.0, n_items) + 1.0                    # a few items are rated far more often
    prob = np.clip(density * popularity / popularity.mean(), 0, 1)
    mask = rng.random((n_users, n_items)) < prob[None, :]
    mask[np.arange(n_users), rng.integers(0, n_items, n_users)] = True  # every user rated something
    return Ratings(np.where(mask, full, 0).astype("float32"), mask, np.arange(n_users), np.arange(n_items))


def load_movielens(path):
    """Read a MovieLens ratings file: ``u.data`` (user, item, rating, time; tab separated) or
    ``ratings.csv`` (header userId,movieId,rating,timestamp). Ids are mapped to rows and columns."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path` {path} is not a file; give MovieLens's u.data or ratings.csv.")
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        first = f.readline()
        f.seek(0)
        if "\t" in first:
            reader = csv.reader(f, delimiter="\t")
        elif first.lower().startswith("userid"):
            reader = csv.reader(f)
            next(reader)
        elif "::" in first:
            reader = (line.strip().split("::") for line in f)
        else:
            reader = csv.reader(f)
        for number, fields in enumerate(reader, 1):
            if not fields or not "".join(fields).strip():
                continue
            try:
                rows.append((int(fields[0]), int(fields[1]), float(fields[2])))
            except (ValueError, IndexError):
                raise ValueError(f"{path}, record {number}: expected user, item, rating, got {fields!r}.") from None
            if not np.isfinite(rows[-1][2]):
                raise ValueError(f"{path}, record {number}: the rating {fields[2]!r} is not a finite number.")
    if not rows:
        raise ValueError(f"{path} holds no ratings.")
    data = np.asarray(rows, dtype="float64")
    if (data[:, 2] <= 0).any():
        raise ValueError(f"{path} holds ratings <= 0; 0 is reserved for 'not rated'.")
    user_ids, users = np.unique(data[:, 0].astype("int64"), return_inverse=True)
    item_ids, items = np.unique(data[:, 1].astype("int64"), return_inverse=True)
    matrix = np.zeros((len(user_ids), len(item_ids)), "float32")
    matrix[users, items] = data[:, 2]
    mask = np.zeros(matrix.shape, bool)
    mask[users, items] = True
    return Ratings(matrix, mask, user_ids, item_ids)


def split_ratings(ratings, test_fraction=0.1, seed=0):
    """Hide a random ``test_fraction`` of the observed ratings: returns (train Ratings, test Ratings)."""
    test_fraction = _fraction(test_fraction, "test_fraction")
    rng = np.random.default_rng(seed)
    test = ratings.mask & (rng.random(ratings.mask.shape) < test_fraction)
    train = ratings.mask & ~test
    return (Ratings(np.where(train, ratings.matrix, 0).astype("float32"), train, ratings.user_ids, ratings.item_ids),
            Ratings(np.where(test, ratings.matrix, 0).astype("float32"), test, ratings.user_ids, ratings.item_ids))


def bias_baseline(train, shrink=5.0):
    """r_hat_ui = mu + b_u + b_i with shrunk user and item offsets (the classic baseline predictor)."""
    m, r = np.asarray(train.mask, bool), np.asarray(train.matrix, "float64")
    if m.shape != r.shape or not m.any():
        raise ValueError(f"`train` must mark at least one rating (mask {m.shape}, matrix {r.shape}).")
    if not np.all(np.isfinite(r[m])):
        raise ValueError("`train.matrix` holds NaN or infinite ratings on its mask.")
    shrink = number_at_least(shrink, "shrink", 0.0)
    mu = r[m].mean()
    b_i = ((r - mu) * m).sum(0) / (m.sum(0) + shrink)
    b_u = ((r - mu - b_i[None, :]) * m).sum(1) / (m.sum(1) + shrink)
    return np.clip(mu + b_u[:, None] + b_i[None, :], 1, 5).astype("float32")


def observed_squared_error(ratings, predicted, sample_weight=None):
    """sum_ui w_u m_ui (r_ui - r_hat_ui)^2 / sum_ui w_u m_ui, with m_ui = [r_ui != 0] (unrated entries are 0).

    ``sample_weight`` (one weight per user row, optional) weights users; the result is a scalar.
    """
    observed = ops.cast(ops.not_equal(ratings, 0), predicted.dtype)
    if sample_weight is not None:
        observed = observed * ops.reshape(ops.cast(sample_weight, predicted.dtype), (-1, 1))
    ratings = ops.cast(ratings, predicted.dtype)
    return ops.sum(observed * ops.square(ratings - predicted)) / ops.maximum(ops.sum(observed), 1.0)


@keras.saving.register_keras_serializable(package="unsuplab")
class AutoRec(keras.Model):
    """U-AutoRec (Sedhain et al., 2015): r_hat = f(W' g(V r + mu) + b) on a user's rating row.

    ``compute_loss`` counts only observed (non-zero) ratings (``observed_squared_error``); Keras adds
    the L2 weight penalty and any compiled loss. The metric ``observed_mse`` reports the first term alone,
    averaged over an epoch with each batch weighted by its size (as Keras weights ``loss``).
    """

    def __init__(self, n_items, hidden=200, activation="sigmoid", l2=1e-3, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.n_items = positive_int(n_items, "n_items")
        self.hidden = positive_int(hidden, "hidden")
        self.activation, self.l2, self.dropout = activation, float(l2), float(dropout)
        reg = keras.regularizers.L2(self.l2) if self.l2 else None
        self.drop = layers.Dropout(self.dropout)
        self.encode_layer = layers.Dense(self.hidden, activation=activation, kernel_regularizer=reg, name="users_code")
        self.decode_layer = layers.Dense(self.n_items, kernel_regularizer=reg, name="ratings")
        self.observed_tracker = keras.metrics.Mean(name="observed_mse")

    def call(self, inputs, training=None):
        return self.decode_layer(self.encode_layer(self.drop(inputs, training=training)))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        error = observed_squared_error(y, y_pred, sample_weight)
        self.observed_tracker.update_state(error, sample_weight=ops.shape(y_pred)[0])
        if self.losses or self.loss is not None:
            # Keras' own sum of the compiled loss and of self.losses (the L2 penalty), with its dtype handling
            error = error + super().compute_loss(x, y, y_pred, sample_weight, training)
        return error

    def predict_ratings(self, matrix, batch_size=256):
        """Predicted ratings for every (user, item), clipped to [1, 5]."""
        matrix = np.asarray(matrix, "float32")
        if matrix.ndim != 2 or matrix.shape[1] != self.n_items or len(matrix) == 0:
            raise ValueError(f"`matrix` must have shape (users, {self.n_items}), got {matrix.shape}.")
        if not np.all(np.isfinite(matrix)):
            raise ValueError("`matrix` holds NaN or infinite values; unrated entries are 0.")
        return np.clip(self.predict(matrix, batch_size=batch_size, verbose=0), 1, 5)

    def get_config(self):
        config = super().get_config()
        config.update(n_items=self.n_items, hidden=self.hidden, activation=self.activation,
                      l2=self.l2, dropout=self.dropout)
        return config


def build_autorec(n_items, hidden=200, activation="sigmoid", l2=1e-3, dropout=0.0):
    """An uncompiled :class:`AutoRec` with its weights created (every builder leaves compiling to its caller).

    Compile it with an optimizer and no ``loss``: ``compute_loss`` supplies the masked squared error and Keras
    the L2 penalty, and a compiled loss would be added to them. The course's recipe (lesson 14, the benchmarks)::

        model.compile(optimizer=keras.optimizers.Adam(1e-2))
        model.fit(train.matrix, train.matrix, epochs=..., batch_size=32)
    """
    model = AutoRec(n_items, hidden, activation, l2, dropout)
    model(np.zeros((1, model.n_items), "float32"))  # create the weights
    return model
