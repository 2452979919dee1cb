"""The IIC objective (Ji, Henriques and Vedaldi, ICCV 2019, eq. 1-3).

For paired samples ``(x, x')`` with cluster probabilities ``p = Phi(x)``, ``q = Phi(x')``
(rows of softmax outputs), the joint distribution of the two assignments is

    P = 1/n sum_i p_i q_i^T,    symmetrised  P <- (P + P^T) / 2        (eq. 3)

and IIC maximises its mutual information

    I(z, z') = sum_cc' P_cc' ln( P_cc' / (P_c P_c') )                  (eq. 2)

with ``P_c``, ``P_c'`` the marginals. ``I <= ln C``, reached by a balanced,
perfectly consistent assignment; a single cluster, or independent assignments,
give ``I = 0``. The loss is ``-I``. Entries are clamped at ``eps`` before the log
(as the authors do), so empty clusters give a finite loss and finite gradients.

Since ``I = H(z) + H(z') - H(z, z')``, a ``marginal_weight`` lambda > 1 maximises
``lambda (H(z) + H(z')) - H(z, z')`` instead: balanced clusters count more, which pushes
a head out of an optimum where two classes share a cluster (the authors' public code
has the same weight as ``lamb``; 1 is the paper's eq. 3).
"""

from keras import ops

EPS = 1e-7  # clamp before the log; float32 machine epsilon is 1.2e-7


def joint_distribution(p, q):
    """Symmetric, normalised joint ``P`` (C, C) of two batches of cluster probabilities (n, C) (eq. 3)."""
    joint = ops.matmul(ops.transpose(p), q) / ops.cast(ops.shape(p)[0], p.dtype)
    joint = (joint + ops.transpose(joint)) / 2.0
    return joint / ops.sum(joint)


def mutual_information(joint, eps=EPS, marginal_weight=1.0):
    """``I(z, z')`` of a joint distribution ``P`` (C, C) in nats (eq. 2), clamped at ``eps``;
    with ``marginal_weight`` lambda: ``sum P (ln P - lambda ln P_c - lambda ln P_c')``.
    A stack of joints (..., C, C) gives one value per joint (segmentation's ``P_t``)."""
    joint = ops.maximum(joint, eps)
    row = ops.sum(joint, axis=-1, keepdims=True)
    col = ops.sum(joint, axis=-2, keepdims=True)
    return ops.sum(joint * (ops.log(joint) - marginal_weight * (ops.log(row) + ops.log(col))), axis=(-2, -1))


def iic_loss(p, q, eps=EPS, marginal_weight=1.0):
    """``-I(z, z')`` for paired cluster probabilities ``p``, ``q`` of shape (n, C): the IIC loss."""
    return -mutual_information(joint_distribution(p, q), eps, marginal_weight)

