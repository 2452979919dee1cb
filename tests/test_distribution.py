"""Scale-out path: an autoencoder and the IIC clusterer train under ``keras.distribution.DataParallel`` (JAX,
2 virtual CPU devices) and reach the same losses as on one device. Runs in a subprocess so the device flag
touches no other test."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax", reason="keras.distribution runs on the JAX backend")

# Each script defines train() -> per-epoch losses; the runner trains once on one device, once on two.
RUNNER = textwrap.dedent("""
    single = train()
    devices = keras.distribution.list_devices("cpu")
    assert len(devices) == 2, devices
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    parallel = train()
    print(json.dumps({"single": single, "parallel": parallel}))
""")

AUTOENCODER = textwrap.dedent("""
    import json
    import keras
    import numpy as np
    from unsuplab.models import build_dense_autoencoder

    x = np.random.default_rng(0).random((64, 28, 28, 1)).astype("float32")

    def train():
        keras.utils.set_random_seed(0)
        model = build_dense_autoencoder(code_size=8, hidden=(32,))
        model.compile(keras.optimizers.Adam(1e-2), "mse")
        return model.fit(x, x, epochs=3, batch_size=16, shuffle=False, verbose=0).history["loss"]
""")

IIC = textwrap.dedent("""
    import json
    import keras
    import numpy as np
    from unsuplab.iic import build_iic, fit_iic

    x = np.random.default_rng(0).random((48, 16, 16, 1)).astype("float32")

    def train():
        keras.utils.set_random_seed(0)
        model = build_iic((16, 16, 1), n_clusters=3, n_overclusters=6, n_subheads=2, filters=(4,), out_size=12,
                          repeats=2, seed=0)
        history = fit_iic(model, x, epochs=2, batch_size=16, learning_rate=1e-2, seed=0, select_size=48)
        return history.history["main_loss"]
""")


def one_and_two_devices(script):
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
           "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", script + RUNNER], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    losses = json.loads(done.stdout.strip().splitlines()[-1])
    return losses["single"], losses["parallel"]


def test_data_parallel_on_two_devices_matches_one_device():
    single, parallel = one_and_two_devices(AUTOENCODER)
    assert parallel[-1] < parallel[0]  # it trains
    np.testing.assert_allclose(parallel, single, rtol=1e-3)


def test_iic_trains_data_parallel_on_two_devices_like_one_device():
    """fit_iic under DataParallel: the same per-epoch losses as on one device (random views included)."""
    single, parallel = one_and_two_devices(IIC)
    np.testing.assert_allclose(parallel, single, rtol=1e-3, atol=1e-4)
