"""Package-level checks: public names, version, and the pinned TF stack."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

import relaxtfp


def test_version_is_single_sourced():
    from relaxtfp import _version
    assert relaxtfp.__version__ == _version.__version__


def test_public_names_are_tfp_distributions():
    for name in relaxtfp.distributions.__all__:
        cls = getattr(relaxtfp.distributions, name)
        assert issubclass(cls, tfp.distributions.Distribution), name
        assert issubclass(cls, tfp.distributions.AutoCompositeTensorDistribution), name


def test_star_import_works():
    """`from relaxtfp.distributions import *` works (relaxit 1.2.1's `__all__`
    joined two names with a missing comma, so its star import raised)."""
    namespace = {}
    exec("from relaxtfp.distributions import *", namespace)
    for name in relaxtfp.distributions.__all__:
        assert name in namespace


def test_softmax_centered_works_with_installed_numpy():
    """TFP 0.25's Pad bijector passes `newshape`, removed in NumPy 2.4; the
    package pins numpy<2.4. This fails if that pin is lost."""
    bij = tfp.bijectors.SoftmaxCentered()
    y = bij.forward(tf.constant([0.5, -1.], tf.float64))
    np.testing.assert_allclose(tf.reduce_sum(y), 1., rtol=1e-12)
    np.testing.assert_allclose(bij.inverse(y), [0.5, -1.], rtol=1e-12)
