"""Autoencoder builders. Each returns an :class:`Autoencoder` with ``.encoder`` and ``.decoder``.

==============================  ============================================================
builder                         model
==============================  ============================================================
build_dense_autoencoder         784-128-32-128-784 (the lecture)
build_deep_autoencoder          784-1000-500-250-30 (Hinton and Salakhutdinov, 2006)
build_conv_autoencoder          Conv + max-pool; unpool (switches) / upsample / transpose decoder
build_sparse_autoencoder        L1 or KL sparsity on the code (Ng)
build_denoising_autoencoder     training-only corruption in front of any builder (Vincent et al., 2008)
build_contractive_autoencoder   ||J_f(x)||_F^2 penalty (Rifai et al., 2011)
build_vae                       VAE, dense or conv, beta, Bernoulli or Gaussian (Kingma and Welling, 2014)
build_colorizer                 L -> ab encoder-decoder for colorization (lesson 10; not an Autoencoder)
build_super_resolver            bicubic + learned residual, starts as bicubic (lesson 11; not an Autoencoder)
build_inpainter                 [holed image, mask] -> known pixels + a conv AE's guess in the hole (lesson 09)
==============================  ============================================================

One argument glossary, for every builder and fit helper of the library (the models here, ``unsuplab.iic``,
``unsuplab.dec``, ``unsuplab.jule``, ``unsuplab.selfsupervised``, ``unsuplab.recommender``):

=================  ===================================================================================
``input_shape``    one sample's shape, without the batch axis, e.g. ``(28, 28, 1)``
``channels``       the number of image channels (1 grey, 3 colour); never a layer width
``filters``        convolution widths: a tuple, one per block (an int where the network has one width)
``hidden``         dense widths: a tuple, one per hidden layer, from the input towards the code
``code_size``      the width of the learnt representation: an autoencoder's code, a VAE's latent
                   ``z``, JULE's features (word vectors keep word2vec's own ``dim``)
``n_clusters``     clusters of a clustering method (``n_overclusters``: IIC's second head)
``epochs``,        the training budget of a fit (``steps`` where a method counts optimiser steps: DEC)
``steps``
``batch_size``     samples per optimiser step
``callbacks``,     ``keras.callbacks.Callback`` list and seconds (:mod:`unsuplab.training`); every fit
``time_limit``     helper returns a ``keras.callbacks.History``
``optimizer``      a Keras optimiser or its name; ``learning_rate`` where a method builds its own
                   optimisers (IIC: one per head; word2vec: a schedule)
``seed``           every random draw of the call (weights, views, k-means, shuffling)
=================  ===================================================================================

Builders never compile: train with ``model.compile("adam", "mse"); model.fit(x, x)`` (VAE: ``compile("adam");
fit(x)``).
``model.save(path)`` (or :func:`save_model`) writes atomically: a failed save leaves the old file.
Importing this module registers its custom layers and models with Keras (as importing ``unsuplab.iic``,
``unsuplab.dec``... registers theirs), so ``keras.models.load_model`` reads a saved ``.keras`` file with no
``custom_objects``; :func:`load_model` imports every registering module first, then loads.

Where models live: the trainable autoencoder builders are here (one module per family, shared pieces
in :mod:`.blocks`); the IIC clusterer is in :mod:`unsuplab.iic` (its own losses, views and training
loop); AutoRec is in :mod:`unsuplab.recommender` (it works on rating matrices, not images). Layers are
in :mod:`unsuplab.layers`, loss terms in :mod:`unsuplab.losses`, saving in :mod:`unsuplab.serialization`.
"""

from .. import layers  # noqa: F401  (registers the custom layers)
from ..serialization import load_model, save_model
from .base import Autoencoder
from .contractive import build_contractive_autoencoder
from .conv import SwitchAutoencoder, build_conv_autoencoder
from .denoising import build_denoising_autoencoder
from .dense import build_deep_autoencoder, build_dense_autoencoder
from .image_to_image import build_colorizer, build_inpainter, build_super_resolver
from .sparse import build_sparse_autoencoder
from .training_data import check_training_data
from .vae import VAE, build_vae

__all__ = ["Autoencoder", "SwitchAutoencoder", "VAE", "build_dense_autoencoder", "build_deep_autoencoder",
           "build_conv_autoencoder", "build_sparse_autoencoder", "build_denoising_autoencoder",
           "build_contractive_autoencoder", "build_vae", "build_colorizer", "build_super_resolver", "build_inpainter",
           "check_training_data", "save_model", "load_model"]
