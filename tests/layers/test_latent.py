"""Tests of the Keras 3 latent layers in `relaxtfp.layers`."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import scipy.stats

from tests import substrates

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
rl = sub.layers
CorrelatedRelaxedBernoulli = sub.rtd.CorrelatedRelaxedBernoulli
DecoupledStraightThroughGumbelSoftmax = sub.rtd.DecoupledStraightThroughGumbelSoftmax
GaussianRelaxedBernoulli = sub.rtd.GaussianRelaxedBernoulli
GeneralizedGumbelSoftmax = sub.rtd.GeneralizedGumbelSoftmax
GumbelSoftmaxTopK = sub.rtd.GumbelSoftmaxTopK
HardConcrete = sub.rtd.HardConcrete
InvertibleGaussian = sub.rtd.InvertibleGaussian
LogisticNormalSoftmax = sub.rtd.LogisticNormalSoftmax
StochasticTimesSmooth = sub.rtd.StochasticTimesSmooth
StraightThroughBernoulli = sub.rtd.StraightThroughBernoulli
StraightThroughGumbelSoftmax = sub.rtd.StraightThroughGumbelSoftmax
StraightThroughRelaxedBernoulli = sub.rtd.StraightThroughRelaxedBernoulli

tfd = tfp.distributions

KL_WEIGHT = 0.7


def _softplus(x):
    return np.logaddexp(0., x)


def _bern_kl(p, prior=0.5):
    """KL(Bernoulli(p) || Bernoulli(prior)) in float64, elementwise."""
    return p * np.log(p / prior) + (1. - p) * np.log((1. - p) / (1. - prior))


def _cat_kl(logits, prior=None):
    logq = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    k = logits.shape[-1]
    logp = np.full(k, -np.log(k)) if prior is None else np.log(prior)
    return np.sum(np.exp(logq) * (logq - logp), axis=-1)


def _sigmoid(x):
    return 1. / (1. + np.exp(-x))


def _sum_rows(a):
    return a.reshape(a.shape[0], -1).sum(axis=1)


# Each case: (id, class, kwargs, input shape, distribution class, kind of
# hard value, expected per-example divergence (inputs float64, layer, sample)).
CASES = [
    ("hard_concrete", rl.HardConcreteLatent, {}, (6, 5), HardConcrete, "binary",
     lambda x, l, z: _sum_rows(_bern_kl(_sigmoid(
         x - np.asarray(l.temperature) * np.log(0.1 / 1.1))))),
    ("hard_concrete_l0", rl.HardConcreteLatent, {"divergence": "l0"}, (6, 5),
     HardConcrete, "binary",
     lambda x, l, z: _sum_rows(_sigmoid(
         x - np.asarray(l.temperature) * np.log(0.1 / 1.1)))),
    ("gaussian_relaxed_bernoulli", rl.GaussianRelaxedBernoulliLatent,
     {"scale": 0.7, "prior_probs": 0.3}, (6, 5), GaussianRelaxedBernoulli,
     "binary",
     lambda x, l, z: _sum_rows(_bern_kl(scipy.stats.norm.cdf(x / 0.7), 0.3))),
    ("straight_through_bernoulli", rl.StraightThroughBernoulliLatent, {},
     (6, 5), StraightThroughBernoulli, "binary",
     lambda x, l, z: _sum_rows(_bern_kl(_sigmoid(x)))),
    ("straight_through_relaxed_bernoulli",
     rl.StraightThroughRelaxedBernoulliLatent, {"temperature": 0.8}, (6, 5),
     StraightThroughRelaxedBernoulli, "binary",
     lambda x, l, z: _sum_rows(_bern_kl(_sigmoid(x)))),
    ("stochastic_times_smooth", rl.StochasticTimesSmoothLatent, {}, (6, 5),
     StochasticTimesSmooth, "sts",
     lambda x, l, z: _sum_rows(_bern_kl(np.sqrt(_sigmoid(x))))),
    ("correlated_kl", rl.CorrelatedRelaxedBernoulliLatent, {}, (6, 5),
     CorrelatedRelaxedBernoulli, "binary",
     lambda x, l, z: _sum_rows(_bern_kl(_sigmoid(x)))),
    ("correlated_mc", rl.CorrelatedRelaxedBernoulliLatent,
     {"divergence": "mc",
      "correlation": (0.5 * np.eye(5) + 0.5).tolist()}, (6, 5),
     CorrelatedRelaxedBernoulli, "binary",
     lambda x, l, z: (
         np.asarray(CorrelatedRelaxedBernoulli(0.5, logits=x, correlation=(
             0.5 * np.eye(5) + 0.5)).log_prob(z.astype(np.float64)))
         - np.sum(np.asarray(tfd.RelaxedBernoulli(
             np.float64(2. / 3.), probs=np.float64(0.5)).log_prob(
                 z.astype(np.float64))), axis=-1)) if False else None),
    ("straight_through_gumbel_softmax", rl.StraightThroughGumbelSoftmaxLatent,
     {}, (6, 3, 4), StraightThroughGumbelSoftmax, "onehot",
     lambda x, l, z: _sum_rows(_cat_kl(x))),
    ("decoupled_straight_through_gumbel_softmax",
     rl.DecoupledStraightThroughGumbelSoftmaxLatent,
     {"forward_temperature": 2., "prior_probs": [0.1, 0.2, 0.3, 0.4]},
     (6, 3, 4), DecoupledStraightThroughGumbelSoftmax, "onehot",
     lambda x, l, z: _sum_rows(_cat_kl(x / 2., [0.1, 0.2, 0.3, 0.4]))),
    ("gumbel_softmax_top_k", rl.GumbelSoftmaxTopKLatent, {"k": 2}, (6, 3, 4),
     GumbelSoftmaxTopK, "twohot", lambda x, l, z: _sum_rows(_cat_kl(x))),
    ("generalized_gumbel_softmax", rl.GeneralizedGumbelSoftmaxLatent,
     {"values": [0., 1., 2.5, 4.]}, (6, 3, 4), GeneralizedGumbelSoftmax,
     "value", lambda x, l, z: _sum_rows(_cat_kl(x))),
    ("invertible_gaussian", rl.InvertibleGaussianLatent,
     {"prior_loc": 0.5, "prior_scale": 2.}, (6, 3, 6), InvertibleGaussian,
     "onehot",
     lambda x, l, z: _sum_rows(np.sum(
         np.log(2. / (_softplus(x[..., 3:]) + 1e-6))
         + 0.5 * (((_softplus(x[..., 3:]) + 1e-6) / 2.) ** 2
                  + ((x[..., :3] - 0.5) / 2.) ** 2) - 0.5, axis=-1))),
    ("logistic_normal_softmax", rl.LogisticNormalSoftmaxLatent, {}, (6, 3, 6),
     LogisticNormalSoftmax, "onehot", None),
]
IDS = [c[0] for c in CASES]


def _inputs(shape, seed=0, scale=1.5):
    return np.random.default_rng(seed).normal(scale=scale, size=shape).astype(
        np.float32)


def _expected_divergence(case, x, layer, z):
    name, cls, kwargs = case[:3]
    x64 = x.astype(np.float64)
    z64 = np.asarray(z, np.float64)
    if name == "correlated_mc":
        corr = np.asarray(kwargs["correlation"])
        tau = np.float64(np.asarray(layer.temperature))
        q = CorrelatedRelaxedBernoulli(tau, logits=x64, correlation=corr)
        p = tfd.RelaxedBernoulli(tau, probs=np.float64(0.5))
        return (np.asarray(q.log_prob(z64))
                - np.sum(np.asarray(p.log_prob(z64)), axis=-1))
    if name == "logistic_normal_softmax":
        q = LogisticNormalSoftmax(loc=x64[..., :3],
                                  scale=_softplus(x64[..., 3:]) + 1e-6)
        p = tfd.Dirichlet(np.ones(3))
        return _sum_rows(np.asarray(q.log_prob(z64)) - np.asarray(p.log_prob(z64)))
    return case[6](x64, layer, z64)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shapes_and_inference_modes(case):
    name, cls, kwargs, shape, dist_cls, kind, _ = case
    x = _inputs(shape)
    expected_shape = cls(**kwargs).compute_output_shape(shape)
    symbolic = cls(**kwargs)(keras.Input(shape[1:]))
    assert tuple(symbolic.shape) == (None,) + tuple(expected_shape[1:])
    outputs = {}
    for mode in ("hard", "mode", "relaxed"):
        layer = cls(inference_mode=mode, seed=3, **kwargs)
        train = np.asarray(layer(x, training=True))
        infer = np.asarray(layer(x, training=False))
        assert train.shape == infer.shape == tuple(expected_shape)
        assert np.all(np.isfinite(train)) and np.all(np.isfinite(infer))
        outputs[mode] = infer
        assert isinstance(layer.distribution(x), dist_cls)
    # `mode` is deterministic; `hard` takes discrete values.
    layer = cls(inference_mode="mode", seed=4, **kwargs)
    np.testing.assert_array_equal(np.asarray(layer(x)), outputs["mode"])
    hard = outputs["hard"]
    if kind == "binary":
        assert set(np.unique(hard)) <= {0., 1.}
    elif kind in ("onehot", "twohot"):
        assert set(np.unique(hard)) <= {0., 1.}
        np.testing.assert_array_equal(hard.sum(-1), 2. if kind == "twohot" else 1.)
    elif kind == "value":
        assert set(np.unique(hard)) <= set(kwargs["values"])
    elif kind == "sts":
        s = np.sqrt(_sigmoid(x.astype(np.float64)))
        assert np.all((hard == 0.) | np.isclose(hard, s, rtol=1e-6))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_adds_one_loss_equal_to_the_documented_divergence(case):
    name, cls, kwargs, shape = case[:4]
    x = _inputs(shape, seed=1)
    layer = cls(kl_weight=KL_WEIGHT, inference_mode="relaxed", seed=5, **kwargs)
    if name.startswith("generalized"):
        layer = cls(kl_weight=KL_WEIGHT, inference_mode="relaxed",
                    output_type="weights", seed=5, **kwargs)
    z = np.asarray(layer(x, training=True))
    assert len(layer.losses) == 1
    expected = _expected_divergence(case, x, layer, z)
    np.testing.assert_allclose(np.asarray(layer.losses[0]),
                               KL_WEIGHT * np.mean(expected), rtol=2e-5,
                               atol=1e-6)
    if name not in ("correlated_mc", "logistic_normal_softmax"):
        np.testing.assert_allclose(np.asarray(layer.divergence(x)), expected,
                                   rtol=2e-5, atol=1e-6)
    silent = cls(kl_weight=0., seed=5, **kwargs)
    silent(x, training=True)
    assert silent.losses == []


def test_xla_training_lowers_the_loss_of_every_layer():
    """A tiny autoencoder per layer, all in one model compiled with
    `jit_compile=True` (one XLA compilation): every branch's loss drops."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    prototypes = rng.integers(0, 2, size=(4, 12)).astype(np.float32)
    data = prototypes[rng.integers(0, 4, size=128)]
    inputs = keras.Input((12,))
    outputs = {}
    for name, cls, kwargs, shape, *_ in CASES:
        params = keras.layers.Dense(int(np.prod(shape[1:])))(inputs)
        params = keras.layers.Reshape(shape[1:])(params)
        z = cls(kl_weight=1e-3, seed=7, **kwargs)(params)
        if len(z.shape) == 1:
            z = keras.layers.Reshape((1,))(z)
        outputs[name] = keras.layers.Dense(12, name=name)(
            keras.layers.Flatten()(z))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss={name: "mse" for name in outputs}, jit_compile=True)
    assert model.jit_compile
    history = model.fit(data, {name: data for name in outputs}, batch_size=32,
                        epochs=8, verbose=0).history
    for name in outputs:
        losses = history[f"{name}_loss"]
        assert np.all(np.isfinite(losses)), (name, losses)
        assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:2]), (name, losses)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_config_round_trip(case):
    name, cls, kwargs, shape = case[:4]
    layer = cls(kl_weight=0.3, inference_mode="mode", seed=11, name="latent",
                **kwargs)
    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer))
    assert type(revived) is cls
    assert revived.get_config() == config
    x = _inputs(shape)
    np.testing.assert_array_equal(np.asarray(layer(x, training=True)),
                                  np.asarray(clone(x, training=True)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_keras_file_round_trip_gives_identical_outputs(case, tmp_path):
    name, cls, kwargs, shape = case[:4]
    inputs = keras.Input(shape[1:])
    layer = cls(seed=13, **kwargs)
    model = keras.Model(inputs, layer(keras.layers.Dense(shape[-1])(inputs)))
    x = _inputs(shape)
    model(x, training=True)                  # Advance the seed generator.
    if layer.temperature is not None:
        layer.temperature.assign(0.37)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    loaded_layer = loaded.layers[-1]
    assert type(loaded_layer) is cls
    if layer.temperature is not None:
        np.testing.assert_allclose(np.asarray(loaded_layer.temperature), 0.37)
    # The seed generator's state is not a saved weight: set it equal.
    loaded_layer.seed_generator.state.assign(layer.seed_generator.state)
    for training in (True, False):
        np.testing.assert_array_equal(np.asarray(model(x, training=training)),
                                      np.asarray(loaded(x, training=training)))


def test_same_seed_same_outputs_and_fresh_noise_per_call():
    x = _inputs((64, 8))
    a = rl.StraightThroughRelaxedBernoulliLatent(seed=21)
    b = rl.StraightThroughRelaxedBernoulliLatent(seed=21)
    first = np.asarray(a(x, training=True))
    np.testing.assert_array_equal(first, np.asarray(b(x, training=True)))
    assert not np.array_equal(first, np.asarray(a(x, training=True)))
    c = rl.StraightThroughRelaxedBernoulliLatent(seed=22)
    assert not np.array_equal(first, np.asarray(c(x, training=True)))


@substrates.tensorflow_only("tf.function and its XLA mode; test_jit_stateless_call_* on JAX")
def test_same_seed_reproducible_in_each_execution_mode():
    """Eager and `tf.function` agree bit for bit; XLA reproduces itself.

    XLA's CPU lowering of the stateless Philox generator yields other draws
    than TensorFlow's kernel for the same runtime seed (measured: max abs
    difference 0.96 over 1000 uniforms), so eager and XLA outputs are not
    compared.
    """
    layer = rl.InvertibleGaussianLatent(seed=5)
    x = tf.constant(_inputs((4, 3, 6)))
    eager = np.asarray(layer(x, training=True))
    layer.seed_generator.state.assign([5, 0])
    graph = np.asarray(tf.function(lambda t: layer(t, training=True))(x))
    np.testing.assert_array_equal(graph, eager)
    compiled = tf.function(lambda t: layer(t, training=True), jit_compile=True)
    layer.seed_generator.state.assign([5, 0])
    first = np.asarray(compiled(x))
    layer.seed_generator.state.assign([5, 0])
    np.testing.assert_array_equal(np.asarray(compiled(x)), first)
    assert not np.array_equal(np.asarray(compiled(x)), first)


def test_jit_stateless_call_reproduces_eager_draws_and_advances_the_seed():
    """Under `jax.jit`, Keras' `stateless_call` draws what the eager call
    draws from the same seed-generator state, and returns the advanced state,
    from which the next draw differs (JAX: Keras' own compiled steps)."""
    if not sub.is_jax:
        pytest.skip("jax.jit and Keras' stateless_call on the JAX backend")
    layer = rl.StraightThroughRelaxedBernoulliLatent(seed=5, temperature=0.5)
    x = _inputs((4, 6))
    layer.build(x.shape)
    state = [v.value for v in layer.non_trainable_variables]
    eager = np.asarray(layer(x, training=True))
    step = sub.jax.jit(lambda ntv, x: layer.stateless_call(
        [v.value for v in layer.trainable_variables], ntv, x, training=True))
    compiled, advanced = step(state, x)
    np.testing.assert_allclose(np.asarray(compiled), eager, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(step(state, x)[0]), np.asarray(compiled))
    assert not np.array_equal(np.asarray(step(advanced, x)[0]), np.asarray(compiled))


@substrates.tensorflow_only("Jacobians from TensorFlow's GradientTape")
def test_regression_igr_split_is_along_the_last_axis():
    """A split of loc and scale along the batch axis would pair rows of
    different examples. Each example's output must depend only on its own
    input row."""
    layer = rl.InvertibleGaussianLatent(seed=9)
    x = tf.constant(_inputs((5, 2, 6)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        z = layer(x, training=True)
    jac = np.asarray(tape.batch_jacobian(z, x))       # [5, 2, 4, 2, 6]
    assert np.any(jac != 0.)
    full = tf.GradientTape(persistent=True)
    with full:
        full.watch(x)
        layer.seed_generator.state.assign([9, 0])
        z = layer(x, training=True)
    cross = np.asarray(full.jacobian(z, x))           # [5, 2, 4, 5, 2, 6]
    for i in range(5):
        for j in range(5):
            if i != j:
                np.testing.assert_array_equal(cross[i, :, :, j], 0.)
    # Changing example 3's row leaves the others' outputs unchanged.
    layer.seed_generator.state.assign([9, 0])
    base = np.asarray(layer(x, training=True))
    layer.seed_generator.state.assign([9, 0])
    changed = np.asarray(layer(tf.tensor_scatter_nd_add(x, [[3]], tf.ones([1, 2, 6])),
                    training=True))
    np.testing.assert_array_equal(np.delete(base, 3, 0), np.delete(changed, 3, 0))
    assert not np.array_equal(base[3], changed[3])
    # loc is the first half and scale the second half of the last axis.
    dist = layer.distribution(x)
    np.testing.assert_array_equal(np.asarray(dist.loc), np.asarray(x)[..., :3])


def test_params_size():
    assert rl.StraightThroughBernoulliLatent.params_size(16) == 16
    assert rl.HardConcreteLatent.params_size([4, 5]) == 20
    assert rl.StraightThroughGumbelSoftmaxLatent.params_size(10, 20) == 200
    assert rl.InvertibleGaussianLatent.params_size(10, 20) == 360
    assert rl.LogisticNormalSoftmaxLatent.params_size(10, 20) == 400


@pytest.mark.parametrize("cls, kwargs, message", [
    (rl.StraightThroughBernoulliLatent, {"kl_weight": -1.},
     "Argument `kl_weight` must be a finite non-negative number. Received: kl_weight=-1.0"),
    (rl.StraightThroughBernoulliLatent, {"inference_mode": "sample"},
     "Argument `inference_mode` must be one of ('hard', 'mode', 'relaxed'). "
     "Received: inference_mode='sample'"),
    (rl.StraightThroughGumbelSoftmaxLatent, {"temperature": 0.},
     "Argument `temperature` must be a finite positive number. Received: temperature=0.0"),
    (rl.HardConcreteLatent, {"divergence": "mc"},
     "Argument `divergence` must be one of ('kl', 'l0'). Received: divergence='mc'"),
    (rl.HardConcreteLatent, {"low": 0.1},
     "Argument `low` must be a negative number. Received: low=0.1"),
    (rl.StraightThroughBernoulliLatent, {"prior_probs": 1.},
     "Argument `prior_probs` must lie in the open interval (0, 1). Received: prior_probs=1.0"),
    (rl.GaussianRelaxedBernoulliLatent, {"scale": -1.},
     "Argument `scale` must be a finite positive number. Received: scale=-1.0"),
    (rl.StraightThroughGumbelSoftmaxLatent, {"prior_probs": [0.5, 0.6]},
     "Argument `prior_probs` must be a vector of positive probabilities summing to 1"),
    (rl.GumbelSoftmaxTopKLatent, {"k": 0},
     "Argument `k` must be a positive integer. Received: k=0"),
    (rl.GeneralizedGumbelSoftmaxLatent, {"values": [1.], },
     "Argument `values` must be a list of at least 2 finite numbers."),
    (rl.CorrelatedRelaxedBernoulliLatent, {"correlation": [[1., 2.], [2., 1.]]},
     "Argument `correlation` must be a symmetric positive definite matrix"),
    (rl.InvertibleGaussianLatent, {"prior_scale": 0.},
     "Argument `prior_scale` must be finite and positive. Received: prior_scale=0.0"),
    (rl.StraightThroughBernoulliLatent, {"seed": 1.5},
     "Argument `seed` must be an integer or None. Received: seed=1.5"),
])
def test_invalid_arguments_raise_with_the_rule(cls, kwargs, message):
    with pytest.raises(ValueError) as info:
        cls(**kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize("cls, kwargs, shape, message", [
    (rl.GumbelSoftmaxTopKLatent, {"k": 4}, (2, 4),
     "Argument `k` must be smaller than the number of classes 4"),
    (rl.InvertibleGaussianLatent, {}, (2, 5), "needs an even, known last input"),
    (rl.GeneralizedGumbelSoftmaxLatent, {"values": [0., 1.]}, (2, 3),
     "must equal the number of values 2"),
    (rl.StraightThroughGumbelSoftmaxLatent, {"prior_probs": [0.5, 0.5]}, (2, 3),
     "Argument `prior_probs` must have 3 entries"),
])
def test_shape_mismatch_raises_at_build(cls, kwargs, shape, message):
    with pytest.raises(ValueError) as info:
        cls(**kwargs)(_inputs(shape))
    assert message in str(info.value)


@pytest.mark.parametrize("other", ["tensorflow", "jax", "torch"])
def test_other_backend_is_refused(monkeypatch, other):
    own = "jax" if sub.is_jax else "tensorflow"
    if other == own:
        pytest.skip("the layers' own backend")
    monkeypatch.setattr(keras.backend, "backend", lambda: other)
    modules = {"tensorflow": "relaxtfp.layers", "jax": "relaxtfp.substrates.jax.layers"}
    expected = ("has no substrate" if other == "torch" else
                f"needs Keras 3 with the '{own}' backend.*use {modules[other]}")
    with pytest.raises(RuntimeError, match=expected):
        rl.StraightThroughBernoulliLatent()
    assert rl._backend_check.backend_error() is not None


_MIRRORED_SCRIPT = textwrap.dedent("""
    import os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from relaxtfp import layers as rl

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    data = rng.integers(0, 2, size=(64, 12)).astype("float32")
    for make in (lambda: rl.StraightThroughGumbelSoftmaxLatent(seed=1),
                 lambda: rl.InvertibleGaussianLatent(seed=1)):
        with strategy.scope():
            latent = make()
            inputs = keras.Input((12,))
            h = keras.layers.Reshape((3, 4))(keras.layers.Dense(12)(inputs))
            z = latent(h)
            out = keras.layers.Dense(12)(keras.layers.Flatten()(z))
            model = keras.Model(inputs, out)
            model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
        losses = model.fit(data, data, batch_size=16, epochs=4,
                           verbose=0).history["loss"]
        assert np.all(np.isfinite(losses)), losses
        assert losses[-1] < losses[0], losses
        # Replicas draw different noise for identical inputs (of the shape
        # the layer was built for).
        same = tf.constant(rng.normal(size=(4, 3, 4)).astype("float32"))
        per_replica = strategy.run(lambda: latent(same, training=True))
        a, b = strategy.experimental_local_results(per_replica)
        assert not np.array_equal(a.numpy(), b.numpy())
    print("MIRRORED-OK")
""")


@substrates.tensorflow_only("tf.distribute strategies are TensorFlow's")
def test_trains_under_mirrored_strategy_on_two_logical_cpus():
    """Run in a subprocess: logical devices must be set before TF starts."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep
               + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-c", _MIRRORED_SCRIPT],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "MIRRORED-OK" in result.stdout
