"""Check cells of lesson 17 (IIC segmentation, Ji et al., ICCV 2019, sec. 3.3, eq. 5)."""

import numpy as np

from ..iic import segmentation_joint as reference_joint
from . import Wrong, backend_specific_call, exercise, expect_close, to_numpy


def loop_joint(p1, p2, T):
    """eq. 5 by a direct loop over the displacements: ``P_t[i, j] = sum_{images, u} p1[u + t, i] p2[u, j]`` over
    pixels u with u + t inside, at index [T + t_y, T + t_x]; each P_t normalised, then symmetrised."""
    p1, p2 = np.asarray(p1, "float64"), np.asarray(p2, "float64")
    _, h, w, k = p1.shape
    out = np.zeros((2 * T + 1, 2 * T + 1, k, k))
    for a in range(2 * T + 1):
        for b in range(2 * T + 1):
            ty, tx = a - T, b - T
            y0, y1, x0, x1 = max(0, -ty), min(h, h - ty), max(0, -tx), min(w, w - tx)  # u with u + t inside
            P = np.einsum("nyxi,nyxj->ij", p1[:, y0 + ty:y1 + ty, x0 + tx:x1 + tx], p2[:, y0:y1, x0:x1])
            P = P / P.sum()
            out[a, b] = (P + P.T) / 2
    return out


def _probabilities(shape, seed):
    return np.random.default_rng(seed).dirichlet(np.ones(shape[-1]), shape[:-1]).astype("float32")


def _call(student_fn, p1, p2, T, what):
    try:
        value = student_fn(p1, p2, T)
    except (NotImplementedError, Wrong):
        raise
    except Exception as exc:  # a layout slip surfaces as a backend's shape error: say what it usually means
        text = str(exc)
        if "ncompatible shapes" in text or "broadcast" in text or "must match the size" in text:
            raise Wrong(f"{what}: your code failed with a shape error ({type(exc).__name__}). The conv's output "
                        "is still in its layout (k, 2T+1, 2T+1, k): move the window axes first, "
                        "ops.transpose(P, (1, 2, 0, 3)), before you symmetrise or normalise.") from None
        raise
    if value is None:
        raise Wrong(f"{what}: your function returned None; `return` the stack of joint matrices.")
    value = to_numpy(value).astype("float64")
    k = p1.shape[-1]
    want = (2 * T + 1, 2 * T + 1, k, k)
    if value.shape != want:
        hint = ""
        if value.ndim == 4 and value.shape[0] == value.shape[3] == k and value.shape[1] == value.shape[2] == 2 * T + 1:
            hint = " It looks like the conv's layout, (k, 2T+1, 2T+1, k): move the window axes first."
        elif value.ndim == 4 and value.shape[2:] == (k, k):
            hint = (" The window is the wrong size: pad view 1 by T pixels on each side of its height and width "
                    "(ops.pad), then convolve with padding='valid' and view 2's whole h x w maps as the kernel.")
        raise Wrong(f"{what}: expected shape {want} (one k x k matrix per displacement in the "
                    f"(2T+1) x (2T+1) window), got {value.shape}.{hint}")
    if not np.all(np.isfinite(value)):
        raise Wrong(f"{what}: your joint matrices contain NaN or infinity.")
    return value


def _unsymmetrised(p1, p2, T):
    out = loop_joint(p1, p2, T)  # symmetric; undo the symmetrisation by recomputing without it
    p1, p2 = np.asarray(p1, "float64"), np.asarray(p2, "float64")
    _, h, w, k = p1.shape
    for a in range(2 * T + 1):
        for b in range(2 * T + 1):
            ty, tx = a - T, b - T
            y0, y1, x0, x1 = max(0, -ty), min(h, h - ty), max(0, -tx), min(w, w - tx)
            P = np.einsum("nyxi,nyxj->ij", p1[:, y0 + ty:y1 + ty, x0 + tx:x1 + tx], p2[:, y0:y1, x0:x1])
            out[a, b] = P / P.sum()
    return out


@exercise("Exercise 1 (the displacement-window joint matrices, in one convolution)",
          reference="unsuplab.iic.segmentation:segmentation_joint")
def displacement_joint(student_fn):
    """``student_fn(p1, p2, T)`` -> the (2T+1, 2T+1, k, k) joints ``P_t`` of eq. 5 for per-pixel probabilities
    (n, h, w, k) of two views, each normalised and symmetrised; compared with a loop over displacements."""
    if backend_specific_call(student_fn):
        raise Wrong("use keras.ops (ops.pad, ops.transpose, ops.conv), not a backend's own functions, so that "
                    "it runs on every Keras backend.")
    p1, p2 = _probabilities((2, 6, 7, 3), 0), _probabilities((2, 6, 7, 3), 1)
    T = 2
    got = _call(student_fn, p1, p2, T, "random probabilities, T = 2")
    want = loop_joint(p1, p2, T)
    if np.allclose(got, want, atol=1e-5):
        pass
    elif np.allclose(got, want[::-1, ::-1], atol=1e-5):
        raise Wrong("your window is reversed: index [T + t_y, T + t_x] must pair pixel u + t of view 1 with "
                    "pixel u of view 2. Make view 1 (zero-padded by T) the conv's input and view 2 the kernel, "
                    "not the other way round.")
    elif np.allclose(got, _unsymmetrised(p1, p2, T), atol=1e-5):
        raise Wrong("you forgot to symmetrise: P_t <- (P_t + P_t^T) / 2 (eq. 3), the two views play the same "
                    "role.")
    else:
        sums = got.sum(axis=(-2, -1))
        if not np.allclose(sums, 1.0, atol=1e-4):
            if np.isclose(got.sum(), 1.0, atol=1e-4):
                raise Wrong("all your P_t together sum to 1; normalise each displacement's P_t on its own "
                            "(sum over its k x k entries), as the paper averages the MI over t.")
            raise Wrong(f"your P_t are not normalised: their sums range from {sums.min():.4g} to "
                        f"{sums.max():.4g}; divide each P_t by the sum of its k x k entries.")
        expect_close(got, want, "your P_t (against a loop over the displacements)", atol=1e-5)
    expect_close(_call(student_fn, p1, p2, 0, "T = 0"), to_numpy(reference_joint(p1, p2, 0)),
                 "your P for T = 0 (no displacement: the classifier's joint of matching pixels)", atol=1e-5)
    q1, q2 = _probabilities((3, 5, 5, 4), 2), _probabilities((3, 5, 5, 4), 3)
    expect_close(_call(student_fn, q1, q2, 1, "k = 4, T = 1"), loop_joint(q1, q2, 1),
                 "your P_t for 3 images of 5 x 5 pixels, k = 4, T = 1", atol=1e-5)
    return "one convolution gives all (2T+1)^2 joint matrices, each normalised and symmetrised, as the loop does."


@exercise("Exercise 1 (the displacement-window joint matrices, in one convolution), hidden cases",
          reference="unsuplab.iic.segmentation:segmentation_joint")
def hidden_displacement_joint(student_fn):
    """Non-square images (4 x 9), k = 2, T = 3: the window reaches past the border in both directions."""
    p1, p2 = _probabilities((2, 4, 9, 2), 5), _probabilities((2, 4, 9, 2), 6)
    expect_close(_call(student_fn, p1, p2, 3, "4 x 9 images, k = 2, T = 3"), loop_joint(p1, p2, 3),
                 "your P_t for 4 x 9 images, k = 2, T = 3", atol=1e-5)
