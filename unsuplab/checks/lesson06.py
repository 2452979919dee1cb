"""Checks for lesson 06 (the contractive autoencoder).

The reference Jacobian is computed by central finite differences in float64 NumPy, so the check
needs no backend's autodiff and runs the same on TensorFlow and JAX.
"""


import numpy as np

from . import Wrong, backend_specific_call, exercise, expect_close, to_numpy


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def numerical_jacobian(f, x, step=1e-5):
    """``J[n, j, i] = d f(x)[n, j] / d x[n, i]`` by central differences, ``(f(x + s e_i) - f(x - s e_i)) / 2s``.

    ``f`` maps a (batch, d) float64 array to (batch, k); each sample is differentiated on its own.
    """
    x = np.asarray(x, dtype="float64")
    columns = []
    for i in range(x.shape[1]):
        e = np.zeros_like(x)
        e[:, i] = step
        columns.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * step))
    return np.stack(columns, axis=-1)


def sigmoid_layer_problem(seed=0, batch=5, inputs=6, units=4):
    """A small sigmoid layer ``h = sigmoid(x W + b)`` and its exact ``||J||_F^2`` per sample (by finite differences)."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch, inputs))
    w = rng.normal(scale=0.8, size=(inputs, units))
    b = rng.normal(scale=0.5, size=units)
    jac = numerical_jacobian(lambda v: _sigmoid(v @ w + b), x)
    return x, w, b, np.sum(jac ** 2, axis=(1, 2))


def _looks_like(got, candidate):
    return got.shape == candidate.shape and np.allclose(got, candidate, rtol=1e-4, atol=1e-9)


@exercise("Exercise 2 (closed-form contractive penalty of a sigmoid layer)")
def sigmoid_penalty(student_fn):
    """``student_fn(x, W, b)`` -> ``||J||_F^2`` per sample for ``h = sigmoid(x W + b)``, shape (batch,)."""
    x, w, b, want = sigmoid_layer_problem()
    got = to_numpy(student_fn(x.astype("float32"), w.astype("float32"), b.astype("float32"))).astype("float64")
    h = _sigmoid(x @ w + b)
    a = x @ w + b
    col_norms = np.sum(w ** 2, axis=0)
    if got.shape == ():
        if np.isclose(got, want.mean(), rtol=1e-3):
            raise Wrong(f"you returned the batch mean ({float(got):.5g}); "
                        f"return one value per sample, shape ({len(x)},).")
        raise Wrong(f"return one value per sample, shape ({len(x)},), not a single number.")
    if got.shape != want.shape:
        raise Wrong(f"the penalty should have one value per sample, shape {want.shape}, but has shape {got.shape}. "
                    "Sum over the code units j (and the inputs i) but not over the batch.")
    mistakes = [
        (np.sqrt(want), "you returned ||J||_F; the penalty is its square, ||J||_F^2 = sum_ij J_ij^2."),
        (np.sum(h * (1 - h) * col_norms, axis=1),
         "the slope h(1 - h) must be squared: J_ij = h_j(1 - h_j) W_ij, so J_ij^2 carries (h_j(1 - h_j))^2."),
        (np.sum((h * (1 - h)) ** 2, axis=1),
         "the weights are missing: J_ij = h_j(1 - h_j) W_ij, so multiply by sum_i W_ij^2 (column j of W)."),
        (np.sum((h * (1 - h)) ** 2 * np.sum(np.abs(w), axis=0), axis=1),
         "square the weights: sum_i W_ij^2, not sum_i |W_ij|."),
        (np.sum(h ** 2 * col_norms, axis=1),
         "the sigmoid's derivative is h(1 - h), not h: d sigmoid(a)/da = sigmoid(a)(1 - sigmoid(a))."),
        (np.sum((a * (1 - a)) ** 2 * col_norms, axis=1),
         "use the activation h = sigmoid(x W + b) in h(1 - h), not the pre-activation a = x W + b."),
        (np.sum((h * (1 - h)) ** 2, axis=1) * np.sum(w ** 2),
         "each unit j has its own weight norm: multiply (h_j(1 - h_j))^2 by sum_i W_ij^2 before summing over j, "
         "not by the norm of the whole matrix."),
    ]
    if not np.allclose(got, want, rtol=1e-4, atol=1e-9):
        for candidate, message in mistakes:
            if _looks_like(got, candidate):
                raise Wrong(message)
    expect_close(got, want, "your penalty", rtol=1e-4, atol=1e-9)
    worst = float(np.max(np.abs(got - want) / want))
    return f"It matches the squared Jacobian norm from finite differences (largest relative gap {worst:.1e})."


# ----------------------------------------------------------------------------- Exercise: the penalty as a Keras layer

def relu_layer_problem(seed=1, batch=6, inputs=5, units=4):
    """Inputs, weights and bias of a small ReLU layer with both active and inactive units, and its exact
    ``||J||_F^2`` per sample by central finite differences (at these seeds no pre-activation lies within the
    step of the ReLU's kink; a test asserts it)."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch, inputs))
    w = rng.normal(scale=0.8, size=(inputs, units))
    b = rng.normal(scale=0.5, size=units) - 0.5  # about a third of the units active
    jac = numerical_jacobian(lambda v: np.maximum(v @ w + b, 0.0), x)
    return x, w, b, np.sum(jac ** 2, axis=(1, 2))


def _build_layer(layer_class, weight, w, b):
    """An instance of the student's class, built for ``w``'s shape, with ``w`` and ``b`` as its weights."""
    import keras

    layer = layer_class(w.shape[1], weight=weight)
    if not isinstance(layer, keras.layers.Dense):
        raise Wrong(f"your class should be a keras.layers.Dense subclass, got {type(layer).__name__}.")
    layer.build((None, w.shape[0]))
    layer.kernel.assign(w.astype("float32"))
    layer.bias.assign(b.astype("float32"))
    return layer


def _added_losses(layer):
    return [float(to_numpy(value)) for value in layer.losses]


@exercise("Exercise 1 (the contractive penalty as a Keras layer)", reference="unsuplab.layers:ContractiveDense")
def contractive_layer(layer_class, weight=0.5):
    """``layer_class(units, weight=...)``: a ReLU ``Dense`` whose ``call`` returns the code and adds
    ``weight * mean_batch ||J_f(x)||_F^2`` with ``add_loss``; the penalty's gradient must reach the kernel."""
    import keras

    found = backend_specific_call(layer_class)
    if found:
        raise Wrong(f"your layer uses {found!r}, which only runs on one backend; use keras.ops "
                    "(ops.sum, ops.square, ops.cast, ...) so it runs on TensorFlow, JAX and PyTorch.")
    x, w, b, per_sample = relu_layer_problem()
    want = weight * per_sample.mean()
    layer = _build_layer(layer_class, weight, w, b)
    try:
        code = layer(keras.ops.convert_to_tensor(x.astype("float32")))
    except ValueError as exc:
        if "add_loss" not in str(exc):
            raise
        raise Wrong("add_loss received a plain number: compute the penalty as a tensor with keras.ops from the "
                    "code and self.kernel (NumPy, float() or .numpy() cut the gradient).") from exc
    if code is None:
        raise Wrong("call returns None; return the code h = relu(x W + b) (the output of super().call(inputs)).")
    expect_close(code, np.maximum(x @ w + b, 0.0), "the layer's output (the code relu(x W + b))", rtol=1e-4, atol=1e-5)
    added = _added_losses(layer)
    if not added:
        raise Wrong("the penalty is not added to the loss: call self.add_loss(weight * penalty) inside call, "
                    "so that fit() minimises it with the reconstruction error.")
    if len(added) > 1:
        raise Wrong(f"call added {len(added)} losses ({[round(v, 5) for v in added]}); add the penalty once.")
    got = np.float64(added[0])
    h = np.maximum(x @ w + b, 0.0)
    col_norms = np.sum(w ** 2, axis=0)
    mistakes = [
        (per_sample.mean(), "the loss you added is the penalty without its weight: multiply by self.weight (lambda)."),
        (weight * per_sample.sum(), "you summed the penalty over the batch; take its mean over the batch "
                                    "(as the reconstruction error is), so lambda does not depend on the batch size."),
        (weight * np.sqrt(per_sample).mean(), "you added ||J||_F; the penalty is its square, ||J||_F^2."),
        (weight * np.sum(w ** 2),
         "the ReLU's slope is missing: an inactive unit (h_j = 0) does not move with x, so multiply each "
         "column norm sum_i W_ij^2 by 1[h_j > 0] before summing over j."),
        (weight * np.mean(np.sum(h * col_norms, axis=1)),
         "the slope of a ReLU is 1[h_j > 0], not h_j: use ops.cast(h > 0, h.dtype)."),
        (weight * np.mean(np.sum(h ** 2 * col_norms, axis=1)),
         "the slope of a ReLU is 1[h_j > 0], not h_j: use ops.cast(h > 0, h.dtype)."),
        (weight * np.mean(np.sum((h > 0) * np.sum(np.abs(w), axis=0), axis=1)),
         "square the weights: sum_i W_ij^2, not sum_i |W_ij|."),
        (weight * np.mean(np.sum(h > 0, axis=1)) * np.sum(w ** 2),
         "each unit j has its own weight norm: multiply 1[h_j > 0] by sum_i W_ij^2 (column j of the kernel), "
         "not by the norm of the whole kernel."),
    ]
    if not np.isclose(got, want, rtol=1e-4, atol=1e-9):
        for candidate, message in mistakes:
            if np.isclose(got, candidate, rtol=1e-4, atol=1e-9):
                raise Wrong(message)
    expect_close(got, want, "the loss your layer adds (weight * mean over the batch of ||J||_F^2)",
                 rtol=1e-4, atol=1e-8)
    _gradient_probe(layer_class, weight, x, w, b)
    return (f"your layer returns relu(x W + b) and adds {got:.5g} = weight x the batch mean of ||J||_F^2, "
            "matching finite differences, and one SGD step on it moves the kernel as the closed form says.")


def _gradient_probe(layer_class, weight, x, w, b, lr=0.1):
    """One SGD step on the added penalty alone; compares the kernel's change with ``-lr * weight * 2 W * mean(1[h>0])``.

    The model's output is its own target (zero reconstruction error and zero MSE gradient), so only the penalty moves
    the kernel; the ReLU's mask has zero derivative, so the expected step is exact.
    """
    import keras

    inputs = keras.Input((w.shape[0],))
    layer = layer_class(w.shape[1], weight=weight)
    model = keras.Model(inputs, layer(inputs))
    layer.kernel.assign(w.astype("float32"))
    layer.bias.assign(b.astype("float32"))
    x32 = x.astype("float32")
    target = np.maximum(x @ w + b, 0.0).astype("float32")
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse", run_eagerly=True)
    try:
        model.train_on_batch(x32, target)
    except Exception as exc:
        while (exc.__cause__ or exc.__context__) is not None:  # the student's error, not Keras' wrapper
            exc = exc.__cause__ or exc.__context__
        raise Wrong(f"no gradient can flow through your penalty ({type(exc).__name__}: {str(exc)[:120]}). "
                    "Compute it with keras.ops only, no NumPy.") from exc
    moved = to_numpy(layer.kernel) - w
    active = (x @ w + b > 0).mean(axis=0)
    expected = -lr * weight * 2 * w * active[None, :]
    if np.allclose(moved, 0, atol=1e-7):
        raise Wrong("no gradient of the penalty reaches the kernel: compute it from self.kernel with keras.ops "
                    "(NumPy, float() or ops.stop_gradient cut the graph).")
    if not np.allclose(moved, expected, rtol=1e-3, atol=1e-6):
        raise Wrong("the penalty's gradient with respect to the kernel is wrong (one SGD step moved it by "
                    f"{np.round(moved[0], 5).tolist()} in its first row, "
                    f"expected {np.round(expected[0], 5).tolist()}).")


@exercise("Exercise 2 (closed-form contractive penalty of a sigmoid layer), hidden cases")
def hidden_sigmoid_penalty(student_fn):
    """Another layer: 7 samples, 3 inputs, 9 units (more units than inputs), another seed."""
    x, w, b, want = sigmoid_layer_problem(seed=5, batch=7, inputs=3, units=9)
    got = student_fn(x.astype("float32"), w.astype("float32"), b.astype("float32"))
    expect_close(got, want, "||J||_F^2 per sample of a 3 -> 9 sigmoid layer", rtol=1e-3, atol=1e-6)


@exercise("Exercise 1 (the contractive penalty as a Keras layer), hidden cases",
          reference="unsuplab.layers:ContractiveDense")
def hidden_contractive_layer(layer_class, weight=0.5):
    """Another layer and weight: 7 inputs, 3 units, weight 2, a batch of 4 where one sample has no active unit
    (its penalty is 0)."""
    import keras

    x, w, b, per_sample = relu_layer_problem(seed=11, batch=4, inputs=7, units=3)
    layer = _build_layer(layer_class, 2.0, w, b)
    expect_close(layer(keras.ops.convert_to_tensor(x.astype("float32"))), np.maximum(x @ w + b, 0.0),
                 "the code of a 7 -> 3 layer", rtol=1e-4, atol=1e-5)
    added = _added_losses(layer)
    if len(added) != 1:
        raise Wrong(f"one call added {len(added)} losses; add the penalty once.")
    expect_close(added[0], 2.0 * per_sample.mean(), "the loss a 7 -> 3 layer with weight=2 adds (weight * mean "
                 "over the batch of ||J||_F^2)", rtol=1e-4, atol=1e-8)
