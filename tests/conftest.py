"""Test-suite configuration shared by every test module."""

import os

# Quiet TensorFlow's C++ start-up logging (oneDNN, CPU feature lines).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Fixed default seed, overridable to vary the seed as TFP's --vary_seed does.
TEST_SEED = int(os.environ.get("RELAXTFP_TEST_SEED", "17"))


@pytest.fixture
def seed():
    """A stateless seed pair derived from RELAXTFP_TEST_SEED."""
    return (TEST_SEED, 42)


@pytest.fixture
def rng():
    """A NumPy generator seeded from RELAXTFP_TEST_SEED."""
    return np.random.default_rng(TEST_SEED)


@pytest.fixture(autouse=True)
def _reset_eager():
    # Keep every test independent of functions compiled by another.
    tf.config.run_functions_eagerly(False)
    yield
