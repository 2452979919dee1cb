"""IIC for segmentation (Ji, Henriques and Vedaldi, ICCV 2019, sec. 3.3, eq. 5): cluster every pixel.

Two views of one crop: view 1, and view 2 = the same crop with brightness/contrast jitter and a
horizontal flip (p = 0.5). The network's per-pixel cluster probabilities of view 2 are mapped back
into view 1's frame (the flip undone by flipping the output back), and for every displacement
``t`` in the ``(2T+1)^2`` window ``|t_y|, |t_x| <= T`` the joint distribution of the cluster of
pixel ``u`` in view 1 and of pixel ``u + t`` in view 2 is

    P_t = 1/(n |G|) sum_images sum_u  Phi_u(x) Phi'_{u+t}(x')^T                       (eq. 5)

symmetrised and normalised; the loss is the mean over ``t`` of ``-I(P_t)`` with the marginal weight
lambda (the authors' ``IID_segmentation_loss_uncollapsed``, the setting of their paper runs).
Pixels where ``u + t`` leaves the frame, and pixels a ``mask`` marks 0, add nothing.

All ``P_t`` come from ONE convolution, the authors' ``conv2d(x1^T, x2^T, padding=T)`` trick: the
``k`` channels of view 1 are the batch of the convolution, its images the input channels, and view 2
is the kernel (``h x w``, ``n`` inputs, ``k`` outputs). Cross-correlating the zero-padded view 1 with
it gives ``out[i, T + t_y, T + t_x, j] = sum_{n, u} p1[n, u + t, i] p2[n, u, j] = P_t[i, j]``.

The model: a fully convolutional trunk (conv-BN-ReLU blocks, max-pools, dilated convs; the
authors' net10a), main and overclustering heads of ``n_subheads`` 1x1-conv softmax sub-heads,
upsampled bilinearly to the input size, trained with :func:`~unsuplab.iic.train.fit_iic`
(heads in alternation, the lowest-loss sub-head kept), like the classifier.
"""

import keras
import numpy as np
from keras import layers, ops

from ..validation import as_images, number_at_least, positive_int
from .loss import EPS, mutual_information
from .model import BatchStatNormalization, IICClusterer, IICTrainer, check_heads
from .refine import refine_segmentation
from .transforms import jitter, sobel


def _check_probabilities(p1, p2, displacement, mask):
    p1, p2 = ops.convert_to_tensor(p1, "float32"), ops.convert_to_tensor(p2, "float32")
    if len(p1.shape) != 4 or len(p2.shape) != 4:
        raise ValueError(f"`p1` and `p2` must be per-pixel probabilities of shape (n, h, w, k), got shapes "
                         f"{tuple(p1.shape)} and {tuple(p2.shape)}.")
    if tuple(p1.shape[1:]) != tuple(p2.shape[1:]) or (None not in (p1.shape[0], p2.shape[0])
                                                      and p1.shape[0] != p2.shape[0]):
        raise ValueError(f"`p1` and `p2` must have the same shape (n, h, w, k): view 2 mapped back into view 1's "
                         f"frame, same clusters; got {tuple(p1.shape)} and {tuple(p2.shape)}.")
    t = positive_int(displacement, "displacement", minimum=0)
    h, w = p1.shape[1], p1.shape[2]
    if h is not None and w is not None and t >= min(h, w):
        raise ValueError(f"`displacement` T must be smaller than the side of the probability maps "
                         f"{min(h, w)}, got {t}.")
    if mask is not None:
        mask = ops.convert_to_tensor(mask, "float32")
        if len(mask.shape) == 3:
            mask = mask[..., None]
        if len(mask.shape) != 4 or tuple(mask.shape[1:3]) != tuple(p1.shape[1:3]) or mask.shape[-1] != 1:
            raise ValueError(f"`mask` must have shape (n, h, w) like the probabilities {tuple(p1.shape[:3])}, "
                             f"got {tuple(mask.shape)}.")
    return p1, p2, t, mask


def segmentation_joint(p1, p2, displacement=1, mask=None):
    """The ``(2T+1)^2`` joint matrices ``P_t`` (2T+1, 2T+1, k, k) of eq. 5, from one ``keras.ops.conv``.

    ``p1``, ``p2``: per-pixel cluster probabilities (n, h, w, k) of view 1 and of view 2 mapped back
    into view 1's frame; ``P_t[i, j]`` (``t = (a - T, b - T)`` at index ``[a, b]``) pairs the cluster
    ``i`` of pixel ``u + t`` in view 1 with the cluster ``j`` of pixel ``u`` in view 2, summed over
    images and pixels; pixels outside the frame count as zero. ``mask`` (n, h, w) zeroes pixels of
    both views (e.g. those a warp moved out of the frame). Each ``P_t`` is normalised to sum 1, then
    symmetrised ``(P_t + P_t^T) / 2`` (eq. 3).
    """
    p1, p2, t, mask = _check_probabilities(p1, p2, displacement, mask)
    if mask is not None:
        p1, p2 = p1 * mask, p2 * mask
    x = ops.pad(ops.transpose(p1, (3, 1, 2, 0)), ((0, 0), (t, t), (t, t), (0, 0)))  # (k, h+2T, w+2T, n)
    kernel = ops.transpose(p2, (1, 2, 0, 3))  # (h, w, n, k): view 2's maps are the filters
    joint = ops.transpose(ops.conv(x, kernel, padding="valid"), (1, 2, 0, 3))  # (2T+1, 2T+1, k, k)
    joint = joint / ops.maximum(ops.sum(joint, axis=(-2, -1), keepdims=True), EPS)
    return (joint + ops.swapaxes(joint, -1, -2)) / 2.0


def segmentation_loss(p1, p2, displacement=1, mask=None, marginal_weight=1.0, eps=EPS):
    """Mean over the displacements ``t`` of ``-I(P_t)`` (eq. 5; lambda = ``marginal_weight``, see
    :func:`~unsuplab.iic.loss.mutual_information`), from :func:`segmentation_joint`."""
    joint = segmentation_joint(p1, p2, displacement, mask)
    return -ops.mean(mutual_information(joint, eps, marginal_weight))


def upsample_maps(probs, factor):
    """Bilinear upsampling of per-pixel probabilities (b, n_subheads, h, w, k) by ``factor`` (they still sum to 1)."""
    if positive_int(factor, "factor") == 1:
        return probs
    shape = ops.shape(probs)
    b, s, h, w, k = (shape[i] for i in range(5))
    flat = ops.reshape(ops.transpose(probs, (0, 2, 3, 1, 4)), (b, h, w, s * k))
    flat = ops.image.resize(flat, (h * factor, w * factor), interpolation="bilinear")
    return ops.transpose(ops.reshape(flat, (b, h * factor, w * factor, s, k)), (0, 3, 1, 2, 4))


def unflip(outputs, flips, axis=2):
    """Undo a horizontal flip of the images marked by ``flips`` (n,) (1 = flipped): flip their rows back
    along ``axis`` (the width axis; 2 for (n, h, w, ...) arrays)."""
    keep = ops.reshape(ops.cast(flips, "bool"), (-1,) + (1,) * (len(outputs.shape) - 1))
    return ops.where(keep, ops.flip(outputs, axis=axis), outputs)


def translate(images, dx, dy):
    """Integer translation of (n, h, w, c) images by (``dx``, ``dy``) (n,) pixels each, zeros coming in:
    ``out[y, x] = images[y - dy, x - dx]`` (exact: nearest neighbour at whole pixels)."""
    n = ops.shape(images)[0]
    one, zero = ops.ones((n,)), ops.zeros((n,))
    rows = ops.stack([one, zero, -ops.cast(dx, "float32"), zero, one, -ops.cast(dy, "float32"), zero, zero], axis=1)
    return ops.image.affine_transform(images, rows, interpolation="nearest", fill_mode="constant",
                                      data_format="channels_last")


def shift_back(maps, shifts, step=1):
    """Map per-pixel outputs (n, n_subheads, h, w, k) of view 2, whose crop was shifted by ``shifts`` (n, 2)
    = (dx, dy) input pixels from view 1's, into view 1's frame; ``step`` input pixels per output pixel.
    Returns the maps and the mask (n, h, w) of view-1 pixels that view 2 also saw (1) or not (0)."""
    n, s, h, w, k = (ops.shape(maps)[i] for i in range(5))
    dx, dy = shifts[:, 0] / step, shifts[:, 1] / step
    flat = ops.reshape(ops.transpose(maps, (0, 2, 3, 1, 4)), (n, h, w, s * k))
    moved = ops.transpose(ops.reshape(translate(flat, dx, dy), (n, h, w, s, k)), (0, 3, 1, 2, 4))
    return moved, translate(ops.ones((n, h, w, 1)), dx, dy)[..., 0]


@keras.saving.register_keras_serializable(package="unsuplab")
class SegmentationViews(keras.layers.Layer):
    """The two views of segmentation IIC (Ji et al., 2019, sec. 3.3): view 1 a random ``out_size`` crop
    (the whole image when ``out_size`` is None); view 2 a crop of the same size shifted by up to ``shift``
    pixels (multiples of ``shift_step``, the trunk's stride, so the shift is whole output pixels), jittered
    in brightness/contrast and flipped horizontally with probability 0.5 (the paper's COCO setting; the
    shift stands in for its random affine, and breaks solutions that cluster by position in the crop).

    ``call(images, training=True)`` returns ``(view1, view2, flips, shifts)``: flips (n,) is 1 where view 2
    was mirrored (:func:`unflip` maps its outputs back), shifts (n, 2) the (dx, dy) of its crop
    (:func:`shift_back`). At inference both views are the whole image unchanged, no flip, no shift.
    ``use_sobel`` appends the Sobel gradients (x, y) of the grey image as two more channels (the
    authors' Sobel + image input for COCO).
    """

    repeats = 1  # one view 2 per image (the classifier's views draw several)

    def __init__(self, out_size=None, brightness=0.4, contrast=0.4, flip=True, use_sobel=False, shift=0,
                 shift_step=1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.out_size = None if out_size is None else positive_int(out_size, "out_size", minimum=4)
        self.brightness = number_at_least(brightness, "brightness", 0.0)
        self.contrast = number_at_least(contrast, "contrast", 0.0)
        self.shift, self.shift_step = positive_int(shift, "shift", minimum=0), positive_int(shift_step, "shift_step")
        if self.shift and self.out_size is None:
            raise ValueError("`shift` needs a training crop `out_size` smaller than the images.")
        self.flip, self.use_sobel, self.seed = bool(flip), bool(use_sobel), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def prepare(self, images):
        """The network input for images: themselves, plus their Sobel gradients when ``use_sobel``."""
        images = ops.convert_to_tensor(images, "float32")
        return ops.concatenate([images, sobel(images)], axis=-1) if self.use_sobel else images

    evaluation_view = prepare

    def check_room(self, side_lengths, name="x"):
        """Raise unless images of these (height, width) hold the training crop: ``out_size`` + 2 ``shift``."""
        s, d = self.out_size, self.shift
        if s is not None and s + 2 * d > min(side_lengths):
            raise ValueError(f"`{name}` images ({side_lengths[0]} x {side_lengths[1]}) are too small to train on: the "
                             f"training crop `out_size` {s} plus twice the `shift` {d} needs {s + 2 * d} pixels on "
                             "a side.")

    def _draw(self, n, count):
        """``n`` random integers in [0, count) (count may be a tensor)."""
        u = keras.random.uniform((n,), seed=self.seed_generator)
        count = ops.cast(count, "float32")
        return ops.minimum(ops.floor(u * count), count - 1)

    def call(self, images, training=None):
        images = ops.convert_to_tensor(images, "float32")
        n = ops.shape(images)[0]
        if not training:
            x = self.prepare(images)
            return x, x, ops.zeros((n,)), ops.zeros((n, 2))
        s, d = self.out_size, self.shift
        if s is None:
            x, shifts = images, ops.zeros((n, 2))
            gx = x
        else:
            if None not in images.shape[1:3]:
                self.check_room(images.shape[1:3])
            h, w = ops.shape(images)[1], ops.shape(images)[2]  # dynamic: TensorFlow may trace unknown sides
            ox, oy = d + self._draw(n, w - s - 2 * d + 1), d + self._draw(n, h - s - 2 * d + 1)
            m = d // self.shift_step
            dx, dy = [(self._draw(n, 2 * m + 1) - m) * self.shift_step for _ in range(2)]
            x = translate(images, -ox, -oy)[:, :s, :s, :]
            gx = translate(images, -(ox + dx), -(oy + dy))[:, :s, :s, :]
            shifts = ops.stack([dx, dy], axis=1)
        gx = jitter(gx, self.seed_generator, self.brightness, self.contrast)
        if self.flip:
            flips = ops.cast(keras.random.uniform((n,), seed=self.seed_generator) < 0.5, "float32")
            gx = unflip(gx, flips)  # flipping is its own inverse
        else:
            flips = ops.zeros((n,))
        return self.prepare(x), self.prepare(gx), flips, shifts

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        if self.out_size is not None:
            h = w = self.out_size
        c = c + 2 if self.use_sobel else c
        return (n, h, w, c), (n, h, w, c), (n,), (n, 2)

    def get_config(self):
        return {**super().get_config(), "out_size": self.out_size, "brightness": self.brightness,
                "contrast": self.contrast, "flip": self.flip, "use_sobel": self.use_sobel, "shift": self.shift,
                "shift_step": self.shift_step, "seed": self.seed}


@keras.saving.register_keras_serializable(package="unsuplab")
class SubheadMaps(layers.Layer):
    """Per-pixel softmax of ``n_subheads`` sub-heads of ``k`` clusters, bilinearly upsampled by ``stride``:
    (b, h, w, n_subheads * k) logits -> (b, n_subheads, h * stride, w * stride, k) probabilities."""

    def __init__(self, n_subheads, k, stride=1, **kwargs):
        super().__init__(**kwargs)
        self.n_subheads, self.k, self.stride = int(n_subheads), int(k), int(stride)
        self.upsample = layers.UpSampling2D(self.stride, interpolation="bilinear") if self.stride > 1 else None

    def build(self, input_shape):
        self.built = True  # no weights; the upsampling is a fixed bilinear resize

    def call(self, logits):
        shape = ops.shape(logits)
        probs = ops.softmax(ops.reshape(logits, (shape[0], shape[1], shape[2], self.n_subheads, self.k)), axis=-1)
        if self.upsample is not None:  # upsample the probabilities (the authors' order); they still sum to 1
            probs = self.upsample(ops.reshape(probs, shape))
        shape = ops.shape(probs)
        probs = ops.reshape(probs, (shape[0], shape[1], shape[2], self.n_subheads, self.k))
        return ops.transpose(probs, (0, 3, 1, 2, 4))

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        h = None if h is None else h * self.stride
        w = None if w is None else w * self.stride
        return (b, self.n_subheads, h, w, self.k)

    def get_config(self):
        return {**super().get_config(), "n_subheads": self.n_subheads, "k": self.k, "stride": self.stride}


@keras.saving.register_keras_serializable(package="unsuplab")
class ReflectPadding(layers.Layer):
    """Pads height and width by ``pad`` pixels, mirrored (``ops.pad`` mode "reflect"). Before a 'valid' conv it
    replaces zero padding, which lets a deep fully convolutional net locate the image border and cluster pixels
    by their position (bands along the edges; it does, on texture mosaics, with zero padding)."""

    def __init__(self, pad, **kwargs):
        super().__init__(**kwargs)
        self.pad = int(pad)

    def call(self, x):
        p = self.pad
        return ops.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, None if h is None else h + 2 * self.pad, None if w is None else w + 2 * self.pad, c)

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


# Stride 4, receptive field 50 pixels. Measured on the held-out texture mosaics (seed 0, 2 min on one CPU core):
# with dilations (2, 4, 8) (receptive field 130 pixels, larger than most regions) or (2, 4) (66) one cluster
# became a band along the borders between textures (pixel accuracy 0.66 and 0.64, falling as the loss fell);
# (2, 2) gave 0.90 at the same cost, 0.918 over 3 seeds (benchmarks/results/iic_segmentation.md). The best
# classical window (LBP histograms, texture_features.LBP_WINDOW) is 41 pixels.
DEFAULT_BLOCKS = (16, "M", 32, "M", 64, (64, 2), (64, 2))


def build_segmentation_trunk(channels=1, blocks=DEFAULT_BLOCKS, kernel_size=3, name="trunk"):
    """Fully convolutional trunk on images of any size (h, w, ``channels``): each block a conv (no bias,
    after mirror padding, :class:`ReflectPadding`) -> batch-statistics BatchNorm -> ReLU; ``"M"`` a 2x2
    max-pool, ``"A"`` a 2x2 average pool; ``(width, dilation)`` a dilated conv (the authors' net10a:
    ``64, 128, M, 256, 256, (512, 2), (512, 2)``). Returns (model, output stride)."""
    x = keras.Input((None, None, positive_int(channels, "channels")), name="view")
    h, stride = x, 1
    for i, block in enumerate(blocks):
        if block in ("M", "A"):
            pool = layers.MaxPooling2D if block == "M" else layers.AveragePooling2D
            h = pool(2, name=f"pool_{i}")(h)
            stride *= 2
            continue
        width, dilation = block if isinstance(block, (tuple, list)) else (block, 1)
        dilation = positive_int(dilation, "blocks (a dilation)")
        h = ReflectPadding(int(dilation) * (kernel_size // 2), name=f"pad_{i}")(h)
        h = layers.Conv2D(positive_int(width, "blocks"), kernel_size, dilation_rate=int(dilation), use_bias=False,
                          name=f"conv_{i}")(h)
        h = BatchStatNormalization(name=f"bn_{i}")(h)
        h = layers.ReLU(name=f"relu_{i}")(h)
    return keras.Model(x, h, name=name), stride


def mirror_min_side(trunk):
    """The smallest image side ``trunk`` takes: each :class:`ReflectPadding` of ``pad`` pixels after ``s``-fold
    pooling needs a map of at least ``pad + 1`` pixels there, so an image side of ``s * (pad + 1)``."""
    scale, side = 1, 1
    for layer in trunk.layers:
        if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
            scale *= 2
        elif isinstance(layer, ReflectPadding):
            side = max(side, scale * (layer.pad + 1))
    return side


def build_segmentation_head(n_features, k, n_subheads, stride, name):
    """``n_subheads`` 1x1-conv softmax sub-heads of ``k`` clusters, upsampled by ``stride`` to the input size."""
    f = keras.Input((None, None, n_features), name=f"{name}_in")
    logits = layers.Conv2D(n_subheads * k, 1, name=f"{name}_logits")(f)
    return keras.Model(f, SubheadMaps(n_subheads, k, stride, name=f"{name}_maps")(logits), name=name)


@keras.saving.register_keras_serializable(package="unsuplab")
class SegmentationTrainer(IICTrainer):
    """Trains the trunk and one head of a :class:`SegmentationClusterer` on the two views: the loss is
    the sum over sub-heads of :func:`segmentation_loss` (eq. 5) with window ``displacement`` T.
    ``loss_fn`` replaces it (same signature as ``segmentation_loss``; lesson 17 trains the student's joint);
    it is not saved."""

    def __init__(self, trunk, head, views, marginal_weight=1.0, displacement=1, step=1, **kwargs):
        super().__init__(trunk, head, views, marginal_weight, **kwargs)
        self.loss_fn = segmentation_loss
        self.displacement = positive_int(displacement, "displacement", minimum=0)
        self.step = positive_int(step, "step")  # input pixels per pixel of the head's output

    def call(self, images, training=None):
        """Outputs of view 1, of view 2 mapped into view 1's frame, and the mask of pixels both saw
        (broadcast to the outputs' shape), stacked: (3n, n_subheads, h, w, k)."""
        x, gx, flips, shifts = self.views(images, training=training)
        out = self.head(self.trunk(ops.concatenate([x, gx], axis=0), training=training), training=training)
        n = ops.shape(x)[0]
        back, mask = shift_back(unflip(out[n:], flips, axis=3), shifts, self.step)
        return ops.concatenate([out[:n], back, ops.broadcast_to(mask[:, None, :, :, None], ops.shape(back))], 0)

    def head_losses(self, x, y_pred):
        n = ops.shape(x)[0]
        mask = y_pred[2 * n:, 0, :, :, 0]
        return ops.stack([self.loss_fn(y_pred[:n, j], y_pred[n:2 * n, j], self.displacement, mask,
                                       marginal_weight=self.marginal_weight)
                          for j in range(y_pred.shape[1])])

    def get_config(self):
        return {**super().get_config(), "displacement": self.displacement, "step": self.step}


@keras.saving.register_keras_serializable(package="unsuplab")
class SegmentationClusterer(IICClusterer):
    """Trunk + main head (+ overclustering head) + :class:`SegmentationViews`, fully convolutional.

    ``model(x)`` gives the main head's per-pixel probabilities (batch, n_subheads, h, w, n_clusters) at
    the input size (sides multiples of the trunk's stride); :meth:`assign` the (batch, h, w) cluster map of
    one sub-head. Train with :func:`~unsuplab.iic.train.fit_iic`. Predict in batches of several images:
    BatchNorm uses the batch's statistics (as in the classifier)."""

    per_pixel = True

    def __init__(self, trunk, main_head, views, over_head=None, marginal_weight=1.0, displacement=1, stride=1,
                 upsample=1, **kwargs):
        super().__init__(trunk, main_head, views, over_head, marginal_weight, **kwargs)
        self.displacement = positive_int(displacement, "displacement", minimum=0)
        self.stride = positive_int(stride, "stride")
        self.upsample = positive_int(upsample, "upsample")  # applied after the heads: the rest of the stride
        self.min_side = mirror_min_side(trunk)
        if self.views.out_size is not None and self.views.out_size < self.min_side:
            raise ValueError(f"`out_size` (the training crop, {self.views.out_size}) must be at least "
                             f"{self.min_side} pixels: the trunk's mirror padding needs maps larger than the pad.")

    def call(self, images, training=None):
        probs = self.main_head(self.trunk(self.views.evaluation_view(images), training=training), training=training)
        return upsample_maps(probs, self.upsample)

    def build(self, input_shape):
        self.image_shape = (None, None, int(input_shape[-1]))
        if not self.views.built:
            self.views.build(input_shape)
        self.built = True

    def trainer(self, which):
        store = self._trainers.items
        if which not in store:
            store[which] = SegmentationTrainer(self.trunk, self.head(which), self.views, self.marginal_weight,
                                               self.displacement, self.upsample, name=f"iic_{which}")
        return store[which]

    def check_images(self, x, name="x"):
        channels = self.trunk.input.shape[-1] - (2 if self.views.use_sobel else 0)
        x = as_images(x, name, channels=channels)
        h, w = x.shape[1:3]
        if min(h, w) < self.min_side:
            raise ValueError(f"`{name}` images must be at least {self.min_side} pixels on a side for this trunk "
                             f"(its mirror padding needs each feature map larger than the pad), got shape "
                             f"{x.shape}; upsample small images first, or build with fewer pooling or dilated "
                             "blocks.")
        if h % self.stride or w % self.stride:
            raise ValueError(f"`{name}` images must have sides that are multiples of the trunk's stride "
                             f"{self.stride}, got shape {x.shape}.")
        return x  # any size: the model is fully convolutional (training crops check their own size)

    def check_training_images(self, x, name="x"):
        """:meth:`check_images`, and room for the training crop: ``out_size`` plus twice the ``shift``."""
        x = self.check_images(x, name)
        self.views.check_room(x.shape[1:3], name)
        return x

    def cluster_probabilities(self, x, head="main", batch_size=32):
        """Per-pixel probabilities (N, n_subheads, h, w, k) of the whole images at their size (bilinear
        upsampling), in near-equal batches."""
        net = self.head(head)
        return self.on_centre_views(lambda views: upsample_maps(net(self.trunk(views)), self.upsample), x,
                                    batch_size)

    def pixel_features(self, x, batch_size=32):
        """The trunk's finer features (N, h, w, f) at the images' size (bilinear): the last ReLU before the last
        pooling (for the default blocks, 32 channels at stride 2, a window of some 10 pixels), or the first
        block's when no ReLU comes before a pooling. What :func:`~unsuplab.iic.refine.refine_segmentation` places
        borders with."""
        pools = [i for i, layer in enumerate(self.trunk.layers)
                 if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D))]
        relus = [i for i, layer in enumerate(self.trunk.layers) if isinstance(layer, layers.ReLU)]
        before = [i for i in relus if pools and i < pools[-1]] or relus[:1]  # none before it: the first block's
        finer = keras.Model(self.trunk.input, self.trunk.layers[before[-1]].output)

        def upsampled(views):
            f = finer(views)
            return ops.image.resize(f, ops.shape(views)[1:3], interpolation="bilinear")

        return self.on_centre_views(upsampled, x, batch_size)

    def assign(self, x, head="main", subhead=None, batch_size=32, refine=False):
        """Cluster map (N, h, w) from one sub-head (default: the lowest-loss one found by ``fit_iic``);
        ``refine=True``: borders placed by per-image self-training on the trunk's finer features
        (:func:`~unsuplab.iic.refine.refine_segmentation` with its defaults)."""
        if not refine:
            return super().assign(x, head, subhead, batch_size)
        j = self.check_subhead(subhead)
        probs = self.cluster_probabilities(x, head, batch_size)[:, j]
        return refine_segmentation(probs, self.pixel_features(x, batch_size))

    def joint_matrix(self, x, head="main", subhead=None):
        """The joints ``P_t`` (2T+1, 2T+1, k, k) of one sub-head on one fresh pair of views of ``x``."""
        x = self.check_images(x)
        j = self.check_subhead(subhead)
        y, n = self.trainer(head)(x, training=True), len(x)
        mask = y[2 * n:, 0, :, :, 0]
        return ops.convert_to_numpy(segmentation_joint(y[:n, j], y[n:2 * n, j], self.displacement, mask))

    def pair_losses(self, x, head="main", batch_size=16):
        """Mean segmentation loss of each sub-head on fresh view pairs of ``x`` (no labels), in batches
        of at most 16 images (the training batch; whole mosaics are large): shape (n_subheads,)."""
        return super().pair_losses(x, head, min(batch_size, 16))

    def get_config(self):
        return {**super().get_config(), "displacement": self.displacement, "stride": self.stride,
                "upsample": self.upsample}


def build_iic_segmentation(channels=1, n_clusters=3, n_overclusters=None, n_subheads=1, blocks=DEFAULT_BLOCKS,
                           kernel_size=3, displacement=None, out_size=None, marginal_weight=1.0, brightness=0.4,
                           contrast=0.4, flip=True, shift=0, use_sobel=False, full_resolution_loss=False, seed=None,
                           name="iic_segmentation"):
    """Build a :class:`SegmentationClusterer` for images with ``channels`` channels (any size).

    ``n_overclusters`` defaults to 5x ``n_clusters`` (0: none); ``out_size`` is the training crop (None: whole
    images); ``shift`` moves view 2's crop by up to that many pixels (rounded down to the trunk's stride);
    ``use_sobel`` adds Sobel gradient channels. ``full_resolution_loss``: the heads upsample to the
    input size and the loss pairs input pixels (the authors'; ``displacement`` T defaults to the trunk's
    stride); otherwise (the default, 16x cheaper for stride 4) the loss pairs the trunk's output pixels
    (T defaults to 1 output pixel = one stride) and only predictions are upsampled. The authors' COCO-Stuff-3
    setting: k 3 and 15, one sub-head, T 10 at full resolution, lambda 1.5. Images (and the training crop) must be
    at least ``model.min_side`` pixels on a side (:func:`mirror_min_side`: 12 for the default blocks), so 8x8
    ``digits`` are too small.
    """
    n_clusters, n_overclusters, n_subheads = check_heads(n_clusters, n_overclusters, n_subheads)
    if not isinstance(blocks, (tuple, list)) or not any(b not in ("M", "A") for b in blocks):
        raise ValueError(f"`blocks` must be a tuple of conv widths, (width, dilation) pairs, 'M' (max-pool) and "
                         f"'A' (average pool) "
                         f"with at least one conv, got {blocks!r}.")
    channels = positive_int(channels, "channels")
    trunk, stride = build_segmentation_trunk(channels + (2 if use_sobel else 0), blocks, kernel_size)
    views = SegmentationViews(out_size, brightness, contrast, flip, use_sobel, shift, stride, seed, name="views")
    head_stride, after = (stride, 1) if full_resolution_loss else (1, stride)
    if displacement is None:
        displacement = stride if full_resolution_loss else 1
    displacement = positive_int(displacement, "displacement", minimum=0)
    n_features = trunk.output.shape[-1]
    main = build_segmentation_head(n_features, n_clusters, n_subheads, head_stride, "main_head")
    over = build_segmentation_head(n_features, n_overclusters, n_subheads, head_stride, "over_head") \
        if n_overclusters else None
    model = SegmentationClusterer(trunk, main, views, over, marginal_weight, displacement, stride, after, name=name)
    side = -(-model.min_side // stride) * stride  # the smallest side mirror padding and the stride allow
    model(np.zeros((2, side, side, channels), "float32"))  # build
    return model
