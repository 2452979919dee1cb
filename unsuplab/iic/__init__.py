"""Invariant Information Clustering (Ji, Henriques and Vedaldi, ICCV 2019).

``loss`` (the objective, eq. 1-3), ``transforms`` (batched pair views), ``model``
(trunk, sub-heads, :func:`build_iic`), ``train`` (:func:`fit_iic`, heads in alternation) and
``segmentation`` (per-pixel IIC, eq. 5: :func:`segmentation_loss`, :func:`build_iic_segmentation`) and
``refine`` (:func:`refine_segmentation`: borders placed by per-image self-training).
"""

from .loss import iic_loss, joint_distribution, mutual_information
from .model import BatchStatNormalization, IICClusterer, IICTrainer, build_iic
from .refine import refine_segmentation
from .segmentation import SegmentationClusterer, build_iic_segmentation, segmentation_joint, segmentation_loss, unflip
from .train import fit_iic
from .transforms import PairViews, centre_view, jitter, sobel

__all__ = ["iic_loss", "joint_distribution", "mutual_information", "BatchStatNormalization", "IICClusterer",
           "IICTrainer", "build_iic", "fit_iic", "PairViews", "centre_view", "jitter", "sobel", "SegmentationClusterer",
           "build_iic_segmentation", "refine_segmentation", "segmentation_joint",
           "segmentation_loss", "unflip"]
