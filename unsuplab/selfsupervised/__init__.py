"""Self-supervised learning: labels made from the data themselves (lesson 20).

* :mod:`.augment`: :class:`ContrastiveViews`, random views of small images inside the model (any backend);
* :mod:`.losses`: :func:`nt_xent` (SimCLR, Chen et al., ICML 2020) and :func:`info_nce` (MoCo, He et al., CVPR 2020);
* :mod:`.models`: :func:`build_encoder` (conv 32-64-128 + global pooling), :class:`SimCLR`, :class:`MoCo`
  (v2: momentum key encoder, queue of negatives, MLP head) and :class:`RotationNet` (Gidaris et al., ICLR 2018);
  each trains with ``model.fit(x)`` and gives frozen features with ``model.encode(x)``;
* :mod:`.probe`: one evaluation protocol, frozen features -> linear probe and k-NN with a fraction of the labels.
"""

from .augment import ContrastiveViews
from .losses import info_nce, nt_xent
from .models import MoCo, RotationNet, SimCLR, build_encoder, build_projector, ema_update, enqueue, rotate_batch
from .probe import LABEL_FRACTIONS, evaluate, knn_accuracy, label_subset, linear_probe

__all__ = ["ContrastiveViews", "nt_xent", "info_nce", "build_encoder", "build_projector", "SimCLR", "MoCo",
           "RotationNet", "ema_update", "enqueue", "rotate_batch", "LABEL_FRACTIONS", "label_subset",
           "linear_probe", "knn_accuracy", "evaluate"]
