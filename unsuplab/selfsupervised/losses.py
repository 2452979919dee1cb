"""Contrastive losses in ``keras.ops``: NT-Xent (SimCLR) and InfoNCE against a queue (MoCo).

Both are a softmax cross-entropy that picks the one positive among negatives by cosine similarity divided by a
temperature ``tau``; with similarities that carry no information the loss is ``log(number of candidates)``.
"""

from keras import ops


def _unit(z):
    return z / ops.sqrt(ops.maximum(ops.sum(ops.square(z), axis=-1, keepdims=True), 1e-12))


def nt_xent(z1, z2, temperature=0.5):
    """NT-Xent (Chen et al., ICML 2020, eq. 1), the mean over all 2N anchors.

    ``z1[i]`` and ``z2[i]`` are projections of two views of image ``i``. For anchor ``i`` (of the 2N), with
    ``s`` the cosine similarity, ``l_i = -log( exp(s(i, pos)/tau) / sum_{j != i} exp(s(i, j)/tau) )``: the
    positive is the other view of the same image, the 2N - 2 views of the other images are the negatives.
    """
    if temperature <= 0:
        raise ValueError(f"`temperature` must be positive, got {temperature}.")
    z = _unit(ops.concatenate([z1, z2], axis=0))
    n2 = ops.shape(z)[0]
    n = n2 // 2
    logits = ops.matmul(z, ops.transpose(z)) / temperature
    logits = logits - 1e9 * ops.eye(n2, dtype=logits.dtype)  # an anchor is never its own candidate
    positive = ops.concatenate([ops.arange(n) + n, ops.arange(n)], axis=0)
    log_prob = ops.log_softmax(logits, axis=-1)
    picked = ops.take_along_axis(log_prob, ops.expand_dims(positive, 1), axis=1)
    return -ops.mean(picked)


def info_nce(query, key, queue, temperature=0.2):
    """InfoNCE of MoCo (He et al., CVPR 2020, eq. 1):
    ``-log( exp(q.k+/tau) / (exp(q.k+/tau) + sum_k- exp(q.k-/tau)) )``.

    ``query`` (N, d) and ``key`` (N, d) are two views of the same N images (the key from the momentum encoder,
    no gradient); ``queue`` (K, d) holds the K negatives (keys of earlier batches). All are L2-normalised here.
    """
    if temperature <= 0:
        raise ValueError(f"`temperature` must be positive, got {temperature}.")
    q = _unit(ops.convert_to_tensor(query))  # NumPy in: ops.stop_gradient needs a tensor on PyTorch
    k = _unit(ops.stop_gradient(ops.convert_to_tensor(key)))
    negatives = _unit(ops.stop_gradient(ops.convert_to_tensor(queue)))
    positive = ops.sum(q * k, axis=-1, keepdims=True)
    logits = ops.concatenate([positive, ops.matmul(q, ops.transpose(negatives))], axis=1) / temperature
    return -ops.mean(ops.log_softmax(logits, axis=-1)[:, 0])
