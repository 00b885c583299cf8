"""Every public distribution inside TFP's composite and inference tools.

For each class in `relaxtfp.distributions.__all__` (with `hard=False` and
`hard=True` where the class has both laws):

* `log_prob` of the class's own samples is finite, or raises
  `NotImplementedError`, inside `tfd.Independent`, `tfd.Sample` and
  `tfd.JointDistributionCoroutineAutoBatched`: a NaN there would spread
  silently through VI or HMC, an error at least says what is missing;
* `tfp.experimental.util.make_trainable` (on JAX, which has no variables,
  `make_trainable_stateless`) builds a working instance from the class's
  `parameter_properties` alone (only the Python arguments `k` and
  `hard`, and GeneralizedGumbelSoftmax's `values`, are passed): its samples
  and `log_prob` are finite and every trainable variable gets a finite
  gradient.

Small shapes (a batch of 3, K = 4 categories or D = 3 coordinates) and
fixed seeds: no statistics here. Runs on both substrates.
"""

import dataclasses
import inspect

import numpy as np
import pytest

from tests import substrates

sub = substrates.current()
tf, tfp, tfd, rd = sub.tf, sub.tfp, sub.tfd, sub.rtd

_F = np.float32
_LOGITS = _F([-1., 0., 2.])
_TEMPERATURE = _F([0.5, 1., 2.])
_LOGITS_K = _F([[1., 0., -1., 2.], [0., 0., 3., -2.], [-1., 1., 0., 0.]])
_VALUES = _F([0., 1., 2.5, -1.])
_CORRELATION = _F([[1., 0.3, 0.1], [0.3, 1., -0.2], [0.1, -0.2, 1.]])
_COVARIANCE = _F([[2., 0.5, 0., 0.], [0.5, 1., 0.2, 0.], [0., 0.2, 1., 0.], [0., 0., 0., 0.5]])


def _covariance_argument():
    """The name of `LogisticNormalSoftmax`'s full-covariance argument: TFP's
    `covariance_matrix` where the class has it, else `covariance`."""
    names = inspect.signature(rd.LogisticNormalSoftmax).parameters
    return "covariance_matrix" if "covariance_matrix" in names else "covariance"


@dataclasses.dataclass(frozen=True)
class Case:
    """One public class with constructor arguments.

    kwargs: the parameters, batch shape [3].
    fixed: the arguments make_trainable is given too: the Python ones (`k`,
      `hard`) and `values` of GeneralizedGumbelSoftmax, which labels the
      categories and enters neither `sample` nor `log_prob` (so it would be
      a variable without a gradient).
    shape: `batch_and_event_shape` for make_trainable.
    """

    name: str
    cls: type
    kwargs: dict
    fixed: dict
    shape: tuple

    def make(self):
        return self.cls(**self.kwargs, **self.fixed)


CASES = [
    Case("CorrelatedRelaxedBernoulli", rd.CorrelatedRelaxedBernoulli,
         dict(temperature=_TEMPERATURE, logits=_LOGITS_K[:, :3], correlation=_CORRELATION),
         {}, (3, 3)),
    Case("DecoupledStraightThroughGumbelSoftmax", rd.DecoupledStraightThroughGumbelSoftmax,
         dict(forward_temperature=_TEMPERATURE, backward_temperature=_TEMPERATURE[::-1],
              logits=_LOGITS_K), {}, (3, 4)),
    Case("GaussianRelaxedBernoulli", rd.GaussianRelaxedBernoulli,
         dict(loc=_LOGITS / 4. + 0.5, scale=_TEMPERATURE), {}, (3,)),
    Case("GeneralizedGumbelSoftmax", rd.GeneralizedGumbelSoftmax,
         dict(temperature=_TEMPERATURE, logits=_LOGITS_K),
         dict(values=_VALUES), (3, 4)),
    Case("GeneralizedGumbelSoftmax-hard", rd.GeneralizedGumbelSoftmax,
         dict(temperature=_TEMPERATURE, logits=_LOGITS_K),
         dict(values=_VALUES, hard=True), (3, 4)),
    Case("GumbelSoftmaxTopK", rd.GumbelSoftmaxTopK,
         dict(temperature=_TEMPERATURE, logits=_LOGITS_K), dict(k=2), (3, 4)),
    Case("GumbelSoftmaxTopK-hard", rd.GumbelSoftmaxTopK,
         dict(temperature=_TEMPERATURE, logits=_LOGITS_K), dict(k=2, hard=True), (3, 4)),
    Case("HardConcrete", rd.HardConcrete,
         dict(temperature=_TEMPERATURE, logits=_LOGITS), {}, (3,)),
    Case("InvertibleGaussian", rd.InvertibleGaussian,
         dict(loc=_LOGITS_K[:, :3], scale=np.full((3, 3), 0.7, _F), temperature=_TEMPERATURE),
         {}, (3, 4)),
    Case("LogisticNormalSoftmax", rd.LogisticNormalSoftmax,
         dict(loc=_LOGITS_K, scale=np.full((3, 4), 0.7, _F)), {}, (3, 4)),
    Case("LogisticNormalSoftmax-covariance", rd.LogisticNormalSoftmax,
         {"loc": _LOGITS_K, _covariance_argument(): _COVARIANCE}, {}, (3, 4)),
    Case("RebarRelaxation", rd.RebarRelaxation,
         dict(temperature=_TEMPERATURE, logits=_LOGITS), {}, (3,)),
    Case("StochasticTimesSmooth", rd.StochasticTimesSmooth, dict(logits=_LOGITS), {}, (3,)),
    Case("StraightThroughBernoulli", rd.StraightThroughBernoulli,
         dict(logits=_LOGITS), {}, (3,)),
    Case("StraightThroughGumbelSoftmax", rd.StraightThroughGumbelSoftmax,
         dict(temperature=_TEMPERATURE, logits=_LOGITS_K), {}, (3, 4)),
    Case("StraightThroughRelaxedBernoulli", rd.StraightThroughRelaxedBernoulli,
         dict(temperature=_TEMPERATURE, logits=_LOGITS), {}, (3,)),
]
_IDS = [c.name for c in CASES]
# make_trainable builds one instance per class from its parameter_properties;
# the covariance variant of LogisticNormalSoftmax is the same class.
_TRAINABLE = [c for c in CASES if c.name != "LogisticNormalSoftmax-covariance"]


def test_every_public_class_is_covered():
    assert {c.cls.__name__ for c in CASES} == set(rd.__all__)
    for cls in {c.cls for c in CASES}:
        if "hard" in inspect.signature(cls).parameters:
            assert {c.fixed.get("hard", False) for c in CASES if c.cls is cls} == {False, True}


def _log_prob_finite_or_not_implemented(dist, seed, sample_shape=()):
    """Samples `dist` and checks that the `log_prob` of the samples is
    finite, and returns it; a `NotImplementedError` is an accepted answer
    (None is returned)."""
    x = dist.sample(sample_shape, seed=seed)
    assert all(np.all(np.isfinite(np.asarray(part))) for part in tf.nest.flatten(x)), x
    try:
        lp = dist.log_prob(x)
    except NotImplementedError:
        return None
    assert np.all(np.isfinite(np.asarray(lp))), (dist, lp)
    return lp


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_log_prob_of_own_samples_inside_independent(case):
    d = tfd.Independent(case.make(), reinterpreted_batch_ndims=1)
    assert tuple(d.batch_shape) == ()
    _log_prob_finite_or_not_implemented(d, sub.seed(1, 2))


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_log_prob_of_own_samples_inside_sample(case):
    d = tfd.Sample(case.make(), sample_shape=3)
    assert tuple(d.batch_shape) == (3,)
    _log_prob_finite_or_not_implemented(d, sub.seed(3, 4))


# TFP warns that with a stateless (pair) seed it vectorizes the sampler by an
# explicit loop, which is slow for many draws; 2 draws with a fixed seed are
# what this test wants.
@pytest.mark.filterwarnings("ignore:Saw Tensor seed:UserWarning")
@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_log_prob_of_own_samples_inside_joint_distribution(case):
    """A two-node model: the distribution, then a Normal whose mean is the
    sum of its sample; a batch of 2 joint draws (as VI draws them), which the
    auto-batched joint distribution vectorizes over the model."""
    dist = case.make()

    def model():
        z = yield dist
        yield tfd.Normal(tf.reduce_sum(z), 1.)

    jd = tfd.JointDistributionCoroutineAutoBatched(model)
    lp = _log_prob_finite_or_not_implemented(jd, sub.seed(5, 6), sample_shape=2)
    assert lp is None or lp.shape == (2,)


def _trainable_loss(dist):
    """A weighted sum of a sample and its log-density, and the sample: a
    straight-through `log_prob` need not depend on the temperature, and the
    sum of a simplex-valued sample is constant, so both terms are needed."""
    x = dist.sample(4, seed=sub.seed(3, 4))
    try:
        lp = dist.log_prob(tf.stop_gradient(x))
    except NotImplementedError:
        lp = tf.zeros([])
    weights = tf.linspace(1., 2., x.shape[-1])
    return tf.reduce_sum(x * weights) + tf.reduce_sum(lp), x, lp


@substrates.tensorflow_only("tf.Variable parameters; JAX: test_make_trainable_stateless")
@pytest.mark.parametrize("case", _TRAINABLE, ids=[c.name for c in _TRAINABLE])
def test_make_trainable(case):
    """An instance from `make_trainable` with only the Python arguments
    given: the shapes asked for, finite samples and `log_prob`, and a finite
    gradient for every variable."""
    dist = tfp.experimental.util.make_trainable(
        case.cls, batch_and_event_shape=case.shape, seed=(1, 2), **case.fixed)
    assert tuple(dist.batch_shape) + tuple(dist.event_shape) == case.shape
    variables = dist.trainable_variables
    assert variables
    with tf.GradientTape() as tape:
        loss, x, lp = _trainable_loss(dist)
    assert tuple(x.shape) == (4,) + case.shape
    assert np.all(np.isfinite(np.asarray(x))) and np.all(np.isfinite(np.asarray(lp))), (x, lp)
    for variable, grad in zip(variables, tape.gradient(loss, variables)):
        assert grad is not None, variable.name
        assert np.all(np.isfinite(np.asarray(tf.convert_to_tensor(grad)))), variable.name


@pytest.mark.parametrize("case", _TRAINABLE, ids=[c.name for c in _TRAINABLE])
def test_make_trainable_stateless(case):
    """The same from `make_trainable_stateless` (TFP's form for JAX, which
    has no variables): every parameter gets a finite gradient."""
    init_fn, apply_fn = tfp.experimental.util.make_trainable_stateless(
        case.cls, batch_and_event_shape=case.shape, **case.fixed)
    params = init_fn(sub.seed(1, 2))
    dist = apply_fn(params)
    assert tuple(dist.batch_shape) + tuple(dist.event_shape) == case.shape
    leaves = tf.nest.flatten(params)
    assert leaves

    def loss(*flat):
        return _trainable_loss(apply_fn(tf.nest.pack_sequence_as(params, list(flat))))[0]

    _, x, lp = _trainable_loss(dist)
    assert tuple(x.shape) == (4,) + case.shape
    assert np.all(np.isfinite(np.asarray(x))) and np.all(np.isfinite(np.asarray(lp))), (x, lp)
    for i, grad in enumerate(sub.gradients(loss, *leaves)):
        assert grad is not None, i
        assert np.all(np.isfinite(np.asarray(grad))), i
