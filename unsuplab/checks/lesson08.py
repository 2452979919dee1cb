"""Check cells of lesson 08 (noise removal)."""


import numpy as np

from .. import metrics
from . import (
    CONV_TYPES,
    Wrong,
    all_layers,
    call_on_images,
    exercise,
    expect_close,
    expect_number,
    student_model,
    to_numpy,
    two_steps_update,
)


@exercise("Exercise 1 (a convolutional denoiser)")
def conv_denoiser(student_fn, input_shape=(28, 28, 1)):
    """``student_fn(input_shape)`` -> an uncompiled Keras model, images in, images of the same shape out.

    Checks: no backend-only calls, at least one convolution, output shape = input shape, outputs in [0, 1]
    (sigmoid), finite, and two training steps that change the first convolution's kernel.
    """

    model = student_model(student_fn, input_shape)
    convs = [layer for layer in all_layers(model) if type(layer).__name__ in CONV_TYPES]
    if not convs:
        kinds = sorted({type(layer).__name__ for layer in all_layers(model)} - {"InputLayer"})
        raise Wrong(f"the model has no convolution layer (its layers: {', '.join(kinds) or 'none'}). "
                    "This exercise asks for a convolutional denoiser: use layers.Conv2D(filters, 3, "
                    "padding='same', activation='relu').")
    rng = np.random.default_rng(0)
    x, out = call_on_images(model, input_shape, 4, rng)
    if out.shape != x.shape:
        if out.ndim == 4 and out.shape[1:3] == x.shape[1:3]:
            hint = f" The last layer needs {input_shape[-1]} filter(s), one per image channel."
        elif out.ndim == 4:
            hint = (" Each MaxPooling2D halves the height and width and each UpSampling2D (or Conv2DTranspose "
                    "with strides=2) doubles them: use as many of each, all with padding='same'. "
                    "28 -> 14 -> 7 -> 14 -> 28 works; a third pooling gives 4, which doubles to 8, not 7.")
        else:
            hint = " End with a convolution that keeps the image layout (no Flatten or Dense at the end)."
        raise Wrong(f"the output should have the input's shape {x.shape}, but has shape {out.shape}.{hint}")
    if not np.all(np.isfinite(out)):
        raise Wrong("the output contains NaN or infinity.")
    big = to_numpy(model(1000 * rng.normal(size=(4, *input_shape)).astype("float32")))
    if not np.all(np.isfinite(big)) or np.any(big < 0) or np.any(big > 1):
        raise Wrong("outputs outside [0, 1]: pixels lie in [0, 1], so the last layer needs activation='sigmoid'.")
    noisy = np.clip(x + 0.5 * rng.normal(size=x.shape), 0, 1).astype("float32")
    two_steps_update(model, convs[0], "binary_crossentropy", noisy, x, "the image input to the output")
    return (f"{len(convs)} convolution layer(s), output {input_shape} in [0, 1]; two training steps update "
            "the first convolution.")


@exercise("Exercise 2 (PSNR)", reference="unsuplab.metrics:psnr")
def psnr(student_psnr):
    """``student_psnr(reference, estimate)`` -> mean over images of 10 log10(1 / MSE)."""
    rng = np.random.default_rng(0)
    ref = rng.random((3, 8, 8, 1)).astype("float32")
    est = np.clip(ref + 0.05 * rng.standard_normal(ref.shape), 0, 1).astype("float32")
    got = to_numpy(student_psnr(ref, est)).astype("float64")
    if got.size == len(ref) and got.ndim == 1:
        raise Wrong(f"you return one PSNR per image ({got.size} numbers); return their mean, one number.")
    got = expect_number(got, "your PSNR (the mean over the images)", "look for a log of a negative number or "
                        "of 0. The MSE squares the differences before averaging them.")
    want = metrics.psnr(ref, est)
    per_pixel = 10 * np.log10(1.0 / np.mean((ref - est) ** 2))  # one MSE over every pixel: also accepted
    if abs(got - want) <= 1e-3 or abs(got - per_pixel) <= 1e-3:
        return f"{got:.2f} dB, as scikit-image computes it."
    if abs(got - np.sqrt(np.mean((ref - est) ** 2))) < 1e-6 or abs(got - np.mean((ref - est) ** 2)) < 1e-6 or got < 1:
        raise Wrong("this looks like an error, not a PSNR in dB: take 10 * log10(1 / MSE).")
    if abs(got - 20 * np.log10(1.0 / np.mean((ref - est) ** 2))) < 1e-3:
        raise Wrong("use 10 * log10 of 1 / MSE (or 20 * log10 of 1 / RMSE), not 20 * log10(1 / MSE).")
    expect_close(got, want, "your PSNR", rtol=1e-4)
    return f"{got:.2f} dB, as scikit-image computes it."


@exercise("Exercise 2 (PSNR), hidden cases", reference="unsuplab.metrics:psnr")
def hidden_psnr(student_psnr):
    """Colour images of another size, and images whose errors differ a lot (the mean of per-image PSNRs)."""
    rng = np.random.default_rng(9)
    ref = rng.random((4, 5, 7, 3)).astype("float32")
    est = np.clip(ref + rng.choice([0.01, 0.2], (4, 1, 1, 1)) * rng.standard_normal(ref.shape), 0, 1)
    got = expect_number(to_numpy(student_psnr(ref, est.astype("float32"))), "your PSNR", "log of 0?")
    per_pixel = 10 * np.log10(1.0 / np.mean((ref - est) ** 2))
    if abs(got - metrics.psnr(ref, est)) > 1e-3 and abs(got - per_pixel) > 1e-3:
        raise Wrong(f"on 4 colour images of 5 x 7 pixels your PSNR is {got:.4f} dB, expected "
                    f"{metrics.psnr(ref, est):.4f} dB (the mean over the images of 10 log10(1 / MSE)).")


@exercise("Exercise 1 (a convolutional denoiser), hidden cases")
def hidden_conv_denoiser(student_fn):
    """Other images: 12x16 in colour and 20x20 in grey; images of the same shape out, in [0, 1] (no training)."""
    rng = np.random.default_rng(8)
    for input_shape in ((12, 16, 3), (20, 20, 1)):
        model = student_model(student_fn, input_shape)
        x, out = call_on_images(model, input_shape, 2, rng)
        if out.shape != x.shape:
            raise Wrong(f"for images of shape {input_shape} the output should have shape {x.shape}, but has "
                        f"shape {out.shape}: build the model from input_shape (channels included).")
        if not np.all(np.isfinite(out)) or out.min() < 0 or out.max() > 1:
            raise Wrong(f"for images of shape {input_shape} the outputs are not all in [0, 1].")
