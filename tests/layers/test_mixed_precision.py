"""The latent layers under Keras mixed precision and on integer inputs.

Under `mixed_float16` and `mixed_bfloat16` each layer must train with `fit`,
return its sample in the compute dtype, and add its divergence in float32,
equal to the float32 layer's on the same inputs.
"""

import keras
import numpy as np
import pytest

from tests import substrates

sub = substrates.current()
tf = sub.tf
rl = sub.layers

# (id, class, kwargs, input shape, whether the input holds logits that may be
# extreme). Every latent layer, plus the divergence and prior variants whose
# computation differs.
CASES = [
    ("straight_through_bernoulli", rl.StraightThroughBernoulliLatent, {},
     (4, 5), True),
    ("straight_through_relaxed_bernoulli", rl.StraightThroughRelaxedBernoulliLatent,
     {"temperature": 0.7}, (4, 5), True),
    ("stochastic_times_smooth", rl.StochasticTimesSmoothLatent,
     {"learn_prior": True}, (4, 5), True),
    ("hard_concrete", rl.HardConcreteLatent, {}, (4, 5), True),
    ("hard_concrete_l0", rl.HardConcreteLatent, {"divergence": "l0"}, (4, 5), True),
    ("gaussian_relaxed_bernoulli", rl.GaussianRelaxedBernoulliLatent,
     {"scale": 0.7, "prior_probs": 0.3}, (4, 5), True),
    ("correlated", rl.CorrelatedRelaxedBernoulliLatent, {}, (4, 5), True),
    ("correlated_mc", rl.CorrelatedRelaxedBernoulliLatent,
     {"divergence": "mc", "learn_prior": True}, (4, 5), False),
    ("straight_through_gumbel_softmax", rl.StraightThroughGumbelSoftmaxLatent,
     {"prior_probs": [0.1, 0.2, 0.3, 0.4]}, (4, 3, 4), True),
    ("decoupled_straight_through_gumbel_softmax",
     rl.DecoupledStraightThroughGumbelSoftmaxLatent, {"forward_temperature": 2.},
     (4, 3, 4), True),
    ("gumbel_softmax_top_k", rl.GumbelSoftmaxTopKLatent, {"k": 2}, (4, 3, 4), True),
    ("generalized_gumbel_softmax", rl.GeneralizedGumbelSoftmaxLatent,
     {"values": [0., 1., 2.5, 4.]}, (4, 3, 4), True),
    ("invertible_gaussian", rl.InvertibleGaussianLatent,
     {"prior_loc": 0.5, "prior_scale": 2.}, (4, 3, 6), False),
    ("logistic_normal_softmax", rl.LogisticNormalSoftmaxLatent, {}, (4, 3, 6), False),
]
IDS = [c[0] for c in CASES]
POLICIES = {"mixed_float16": tf.float16, "mixed_bfloat16": tf.bfloat16}


def _name(dtype):
    """'float16' for a dtype of either substrate (or a Keras dtype string)."""
    return dtype if isinstance(dtype, str) else sub.dtype_name(dtype)


def test_cases_cover_every_latent_layer():
    latent = {getattr(rl, name) for name in rl.__all__
              if isinstance(getattr(rl, name), type)
              and issubclass(getattr(rl, name), rl.LatentLayer)
              and getattr(rl, name) is not rl.LatentLayer}
    assert len(latent) == 12
    assert {case[1] for case in CASES} == latent


@pytest.fixture(params=sorted(POLICIES))
def policy(request):
    """Sets the global dtype policy for one test; restores float32 after."""
    previous = keras.config.dtype_policy()
    keras.mixed_precision.set_global_policy(request.param)
    try:
        yield request.param
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _inputs(shape, extreme, compute_dtype, seed=0):
    """Float32 inputs that the compute dtype represents exactly.

    When `extreme`, a few logits are +-30 (exp(30) overflows float16, whose
    largest value is 65504) so that a float16 computation would show.
    """
    x = np.random.default_rng(seed).normal(scale=2., size=shape).astype(np.float32)
    if extreme:
        flat = x.reshape(-1)
        flat[:4] = [30., -30., 12., -12.]
    return np.asarray(tf.cast(tf.cast(x, compute_dtype), tf.float32))


def _make(cls, kwargs, **extra):
    return cls(seed=5, **kwargs, **extra)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fit_trains_and_the_output_has_the_compute_dtype(case, policy):
    name, cls, kwargs, shape, _ = case
    compute_dtype = POLICIES[policy]
    keras.utils.set_random_seed(0)
    width = int(np.prod(shape[1:]))
    inputs = keras.Input((6,))
    params = keras.layers.Reshape(shape[1:])(keras.layers.Dense(width)(inputs))
    latent = _make(cls, kwargs, kl_weight=0.5)
    z = latent(params)
    assert _name(z.dtype) == _name(compute_dtype)
    outputs = keras.layers.Dense(6, dtype="float32")(keras.layers.Flatten()(z))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    data = np.random.default_rng(1).normal(size=(8, 6)).astype(np.float32)
    losses = model.fit(data, data, batch_size=4, epochs=1, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)), losses
    value = latent(_inputs(shape, False, compute_dtype), training=True)
    assert _name(value.dtype) == _name(compute_dtype)
    assert value.dtype == latent(_inputs(shape, False, compute_dtype)).dtype


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_divergence_in_float32_agrees_with_the_float32_layer(case, policy):
    # The mixed layer casts its (exactly representable) inputs up to float32
    # and computes the distribution, the divergence and the loss there, from
    # float32 weights read without autocasting, so it agrees with the float32
    # layer to float32 rounding. A divergence computed in the 16-bit compute
    # dtype would miss by its precision (2^-11 relative for float16, 2^-8 for
    # bfloat16), far above rtol=1e-5, or overflow at the +-30 logits.
    name, cls, kwargs, shape, extreme = case
    compute_dtype = POLICIES[policy]
    x = _inputs(shape, extreme, compute_dtype)
    mixed = _make(cls, kwargs, kl_weight=0.5)
    reference = _make(cls, kwargs, kl_weight=0.5, dtype="float32")
    assert mixed.compute_dtype == _name(compute_dtype)
    assert reference.compute_dtype == "float32"
    seed = tf.constant([3, 4])
    d_mixed = mixed.divergence(x, seed=seed)
    d_reference = reference.divergence(x, seed=seed)
    assert _name(d_mixed.dtype) == _name(tf.float32)
    assert np.all(np.isfinite(np.asarray(d_reference)))
    np.testing.assert_allclose(np.asarray(d_mixed), np.asarray(d_reference), rtol=1e-5, atol=1e-6)
    # The loss added by `call` is float32 and equals kl_weight times the
    # batch mean of the divergence of the float32 layer (same generator state).
    z_mixed = mixed(x, training=True)
    reference(x, training=True)
    assert _name(z_mixed.dtype) == _name(compute_dtype)
    assert len(mixed.losses) == 1
    loss = mixed.losses[0]
    assert _name(loss.dtype) == _name(tf.float32)
    np.testing.assert_allclose(np.asarray(loss), np.asarray(reference.losses[0]),
                               rtol=1e-5, atol=1e-6)
    dist = mixed.distribution(x)
    assert _name(dist.dtype) == _name(tf.float32)
    assert mixed.distribution_dtype == "float32"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sample_is_the_float32_sample_rounded_to_the_compute_dtype(case, policy):
    # The noise and the sample are computed in float32 and only the returned
    # value is cast: the mixed output equals the float32 layer's output
    # rounded once (no overflow to inf or NaN at the +-30 logits).
    name, cls, kwargs, shape, extreme = case
    compute_dtype = POLICIES[policy]
    x = _inputs(shape, extreme, compute_dtype, seed=2)
    mixed = _make(cls, kwargs)
    reference = _make(cls, kwargs, dtype="float32")
    for training in (True, False):
        value = mixed(x, training=training)
        expected = tf.cast(reference(x, training=training), compute_dtype)
        np.testing.assert_array_equal(np.asarray(value), np.asarray(expected))
    assert np.all(np.isfinite(np.asarray(tf.cast(value, tf.float32))))


def test_weights_are_float32_and_read_without_autocasting(policy):
    # The temperature 2/3 is not representable in 16 bits; read through
    # Keras' autocast scope in `call` it would be rounded, and the loss
    # (which depends on it through P(gate open)) would move by ~1e-4.
    layer = rl.CorrelatedRelaxedBernoulliLatent(learn_prior=True, prior_probs=0.3, seed=1)
    layer(np.zeros((2, 4), np.float32))
    for weight in (layer.temperature, layer.prior_logits, layer.correlation_params):
        assert weight.dtype == "float32"
    gates = rl.HardConcreteLatent(divergence="l0", kl_weight=1., seed=1)
    x = np.linspace(-3., 3., 10, dtype=np.float32).reshape(2, 5)
    gates(x, training=True)
    x64 = np.asarray(tf.cast(tf.cast(x, POLICIES[policy]), tf.float64))
    expected = np.mean(np.sum(1. / (1. + np.exp(-(x64 - 2. / 3. * np.log(0.1 / 1.1)))), 1))
    np.testing.assert_allclose(np.asarray(gates.losses[0]), expected, rtol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_integer_inputs_are_cast_like_float_inputs(case):
    name, cls, kwargs, shape, _ = case
    x = np.random.default_rng(3).integers(-3, 4, size=shape)
    layer = _make(cls, kwargs)
    reference = _make(cls, kwargs)
    for training in (True, False):
        value = layer(x, training=training)
        assert _name(value.dtype) == _name(tf.float32)
        np.testing.assert_array_equal(
            np.asarray(value), np.asarray(reference(x.astype(np.float32), training=training)))
    seed = sub.seed(1, 2)
    np.testing.assert_array_equal(np.asarray(layer.divergence(x, seed=seed)),
                                  np.asarray(reference.divergence(x.astype(np.float32),
                                                       seed=seed)))
    assert _name(layer.distribution(x.astype(np.int32)).dtype) == _name(tf.float32)


@pytest.mark.parametrize("value", [
    np.ones((2, 3), bool), np.ones((2, 3), np.complex64), np.full((2, 3), "a")])
def test_other_input_dtypes_raise_naming_the_argument(value):
    if sub.is_jax and value.dtype.kind == "U":
        pytest.skip("JAX has no string arrays: Keras rejects them before the layer")
    layer = rl.HardConcreteLatent(seed=1)
    with pytest.raises(TypeError, match=r"Argument `inputs` of layer 'gates' must be a "
                                        r"float or integer tensor\. Received dtype"):
        rl.HardConcreteLatent(seed=1, name="gates")(value)
    with pytest.raises(TypeError, match="Argument `inputs`"):
        layer.divergence(value)
