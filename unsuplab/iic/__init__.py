"""Invariant Information Clustering (Ji, Henriques and Vedaldi, ICCV 2019).

``loss`` (the objective, eq. 1-3), ``transforms`` (batched pair views), ``model``
(trunk, sub-heads, :func:`build_iic`) and ``train`` (:func:`fit_iic`, heads in alternation).
"""

from .loss import iic_loss, joint_distribution, mutual_information
from .model import BatchStatNormalization, IICClusterer, IICTrainer, build_iic
from .train import fit_iic
from .transforms import PairViews, centre_view, jitter, sobel

__all__ = ["iic_loss", "joint_distribution", "mutual_information", "BatchStatNormalization", "IICClusterer",
           "IICTrainer", "build_iic", "fit_iic", "PairViews", "centre_view", "jitter", "sobel"]
