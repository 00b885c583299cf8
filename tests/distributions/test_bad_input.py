"""Every public distribution given input at the edge of what it accepts.

For each class in `relaxtfp.distributions.__all__` (with `hard=False` and
`hard=True` where the class has both laws), the inputs below, each of which
must give either the right answer or an error that names the argument or
the rule, never a NaN or a silently wrong result:

* integer inputs: a NumPy integer array for a float parameter (one at a
  time, and all at once) gives the same samples and log-probabilities as
  the same values as float32 (relaxtfp converts integers to the float
  dtype, where TFP's own classes fail in a kernel), or a `TypeError` that
  names the argument; GumbelSoftmaxTopK's `k`
  as a NumPy integer or an integer tensor gives the Python int's result or
  an error naming `k`;
* extreme logits (or locations): +-1e30 and +-50 give finite samples, and
  neither their `log_prob` nor the gradients with respect to any parameter
  (of a weighted sum of the sample and of the sum of `log_prob`) are NaN;
* boundary probabilities: `probs` with entries exactly 0 and 1 (documented
  as valid) give finite samples, a finite `log_prob` of those samples (they
  are possible values), and finite gradients with respect to `probs` of a
  weighted sum of the sample and of `sum(log_prob(sample))`;
* values outside an argument's domain, with `validate_args=True`: an error
  that names the argument;
* broadcasting: a parameter given as a scalar gives the result of the
  same value broadcast to its full shape (or, where the class needs a rank,
  a `ValueError` naming the argument when it is built);
* shape mismatches: parameters whose shapes do not broadcast (a batch
  parameter against another batch size or against the event size, an event
  parameter of the wrong size) raise `ValueError` or `InvalidArgumentError`
  whose message names an argument or says the shapes are incompatible, as
  TFP's own shape checks do, rather than an error of a TensorFlow kernel
  deep inside the computation.

Small shapes (a batch of 3, K = 4 categories or D = 3 coordinates), fixed
seeds, no statistics. Runs on both substrates.
"""

import dataclasses
import inspect
import re

import numpy as np
import pytest

from tests import substrates

sub = substrates.current()
tf, rd = sub.tf, sub.rtd

_F = np.float32
# Integer-valued parameters, so that their integer arrays are the same values.
_LOGITS = _F([-1., 0., 2.])
_TEMPERATURE = _F([1., 2., 3.])
_LOGITS_K = _F([[1., 0., -1., 2.], [0., 0., 3., -2.], [-1., 1., 0., 0.]])
_VALUES = _F([0., 1., 3., -1.])
_COVARIANCE = _F([[2., 1., 0., 0.], [1., 2., 0., 0.], [0., 0., 1., 0.], [0., 0., 0., 1.]])

# Extreme logits by magnitude, batch of 3: for one scalar per batch member,
# and per category (including ties at the top and a row of only -big).
_EXTREME = {
    "1e30": (_F([1e30, -1e30, 0.]),
             _F([[1e30, 0., -1e30, 0.], [-1e30, -1e30, 1e30, 1e30],
                 [-1e30, -1e30, -1e30, -1e30]])),
    "50": (_F([50., -50., 0.]),
           _F([[50., 0., -50., 0.], [-50., -50., 50., 50.], [-50., -50., -50., -50.]])),
}

_PROBS = _F([0., 1., 0.3])
_PROBS_K = _F([[0., 0.5, 0.5, 0.], [1., 0., 0., 0.], [0.1, 0.2, 0.3, 0.4]])
# A top-2 subset needs two categories of positive probability.
_PROBS_TOP_2 = _F([[0., 0.5, 0.5, 0.], [0.7, 0.3, 0., 0.], [0.1, 0.2, 0.3, 0.4]])
_PROBS_D = _F([[0., 1., 0.3], [1., 1., 0.], [0.2, 0.5, 0.9]])


def _covariance_argument():
    """The name of `LogisticNormalSoftmax`'s full-covariance argument: TFP's
    `covariance_matrix` where the class has it, else `covariance`."""
    names = inspect.signature(rd.LogisticNormalSoftmax).parameters
    return "covariance_matrix" if "covariance_matrix" in names else "covariance"


_COV = _covariance_argument()


@dataclasses.dataclass(frozen=True)
class Case:
    """One public class and the inputs to try on it.

    kwargs: float parameters (integer-valued), batch shape [3].
    fixed: Python arguments (`k`, `hard`).
    location: the argument whose extremes are tried (`logits`, or `loc` for
      the classes parameterized by a location), or None.
    probs: boundary `probs` replacing `logits`, for classes that take probs.
    mismatches: {label: overrides of kwargs whose shapes do not broadcast}.
    """

    name: str
    cls: type
    kwargs: dict
    fixed: dict = dataclasses.field(default_factory=dict)
    location: str = "logits"
    probs: np.ndarray = None
    mismatches: dict = dataclasses.field(default_factory=dict)

    def make(self, **overrides):
        return self.cls(**dict(self.kwargs, **overrides), **self.fixed)


def _batch(n):
    return np.ones(n, _F)


CASES = [
    Case("CorrelatedRelaxedBernoulli", rd.CorrelatedRelaxedBernoulli,
         dict(temperature=_TEMPERATURE, logits=_LOGITS_K[:, :3], correlation=np.eye(3, dtype=_F)),
         probs=_PROBS_D,
         mismatches={"temperature-batch": dict(temperature=_batch(2)),
                     "correlation-size": dict(correlation=np.eye(4, dtype=_F))}),
    Case("DecoupledStraightThroughGumbelSoftmax", rd.DecoupledStraightThroughGumbelSoftmax,
         dict(forward_temperature=_TEMPERATURE, backward_temperature=_TEMPERATURE[::-1],
              logits=_LOGITS_K),
         probs=_PROBS_K,
         mismatches={"forward_temperature-batch": dict(forward_temperature=_batch(2)),
                     "backward_temperature-event": dict(backward_temperature=_batch(4))}),
    Case("GaussianRelaxedBernoulli", rd.GaussianRelaxedBernoulli,
         dict(loc=_LOGITS, scale=_TEMPERATURE), location="loc",
         mismatches={"scale-batch": dict(scale=_batch(2))}),
    Case("GeneralizedGumbelSoftmax", rd.GeneralizedGumbelSoftmax,
         dict(values=_VALUES, temperature=_TEMPERATURE, logits=_LOGITS_K), probs=_PROBS_K,
         mismatches={"temperature-batch": dict(temperature=_batch(2)),
                     "temperature-event": dict(temperature=_batch(4)),
                     "values-size": dict(values=np.arange(5, dtype=_F))}),
    Case("GeneralizedGumbelSoftmax-hard", rd.GeneralizedGumbelSoftmax,
         dict(values=_VALUES, temperature=_TEMPERATURE, logits=_LOGITS_K), dict(hard=True),
         probs=_PROBS_K,
         mismatches={"temperature-batch": dict(temperature=_batch(2)),
                     "values-size": dict(values=np.arange(5, dtype=_F))}),
    Case("GumbelSoftmaxTopK", rd.GumbelSoftmaxTopK,
         dict(temperature=_TEMPERATURE, logits=_LOGITS_K), dict(k=2), probs=_PROBS_TOP_2,
         mismatches={"temperature-batch": dict(temperature=_batch(2)),
                     "temperature-event": dict(temperature=_batch(4))}),
    Case("GumbelSoftmaxTopK-hard", rd.GumbelSoftmaxTopK,
         dict(temperature=_TEMPERATURE, logits=_LOGITS_K), dict(k=2, hard=True),
         probs=_PROBS_TOP_2,
         mismatches={"temperature-batch": dict(temperature=_batch(2))}),
    Case("HardConcrete", rd.HardConcrete,
         dict(temperature=_TEMPERATURE, logits=_LOGITS, low=_F(-1.), high=_F(2.)),
         probs=_PROBS,
         mismatches={"temperature-batch": dict(temperature=_batch(2)),
                     "low-batch": dict(low=-_batch(2))}),
    Case("InvertibleGaussian", rd.InvertibleGaussian,
         dict(loc=_LOGITS_K[:, :3], scale=np.ones((3, 3), _F), temperature=_TEMPERATURE,
              delta=_F(2.)), location="loc",
         mismatches={"scale-event": dict(scale=np.ones((3, 2), _F)),
                     "temperature-batch": dict(temperature=_batch(2)),
                     "delta-batch": dict(delta=_batch(2))}),
    Case("LogisticNormalSoftmax", rd.LogisticNormalSoftmax,
         dict(loc=_LOGITS_K, scale=_TEMPERATURE[:, None] * np.ones(4, _F)), location="loc",
         mismatches={"scale-event": dict(scale=np.ones((3, 3), _F)),
                     "scale-batch": dict(scale=np.ones((2, 4), _F))}),
    Case("LogisticNormalSoftmax-covariance", rd.LogisticNormalSoftmax,
         {"loc": _LOGITS_K, _COV: _COVARIANCE}, location="loc",
         mismatches={"covariance-size": {_COV: np.eye(3, dtype=_F)},
                     "covariance-batch": {_COV: np.stack([np.eye(4, dtype=_F)] * 2)}}),
    Case("RebarRelaxation", rd.RebarRelaxation,
         dict(temperature=_TEMPERATURE, logits=_LOGITS), probs=_PROBS,
         mismatches={"temperature-batch": dict(temperature=_batch(2))}),
    # One parameter: nothing to mismatch.
    Case("StochasticTimesSmooth", rd.StochasticTimesSmooth, dict(logits=_LOGITS), probs=_PROBS),
    Case("StraightThroughBernoulli", rd.StraightThroughBernoulli, dict(logits=_LOGITS),
         probs=_PROBS),
    Case("StraightThroughGumbelSoftmax", rd.StraightThroughGumbelSoftmax,
         dict(temperature=_TEMPERATURE, logits=_LOGITS_K), probs=_PROBS_K,
         mismatches={"temperature-batch": dict(temperature=_batch(2)),
                     "temperature-event": dict(temperature=_batch(4))}),
    Case("StraightThroughRelaxedBernoulli", rd.StraightThroughRelaxedBernoulli,
         dict(temperature=_TEMPERATURE, logits=_LOGITS), probs=_PROBS,
         mismatches={"temperature-batch": dict(temperature=_batch(2))}),
]


def test_every_public_class_is_covered():
    assert {c.cls.__name__ for c in CASES} == set(rd.__all__)
    for case in CASES:
        params = inspect.signature(case.cls).parameters
        if "hard" in params:
            assert {c.fixed.get("hard", False) for c in CASES if c.cls is case.cls} == {
                False, True}
        assert (case.probs is not None) == ("probs" in params), case.name
        assert case.location is None or case.location in case.kwargs, case.name
        if len(case.kwargs) > 1:
            assert case.mismatches, case.name


def _finite(x):
    return np.all(np.isfinite(np.asarray(x)))


def _weighted_sum(x):
    """`sum(x * w)` with weights 1..2 along the last axis: for a sample on
    the simplex `sum(x)` is 1 whatever the parameters, so its gradient would
    be zero by construction and would test nothing."""
    return tf.reduce_sum(x * tf.linspace(tf.ones([], x.dtype), 2., x.shape[-1]))


def _log_prob_or_none(dist, x):
    """`dist.log_prob(x)`, or None where the class raises NotImplementedError
    (a law without a density says so, as TFP's classes do, rather than
    returning NaN)."""
    try:
        return dist.log_prob(x)
    except NotImplementedError:
        return None


def _sample_and_log_prob(dist, seed=(1, 2)):
    x = dist.sample(5, seed=seed)
    lp = _log_prob_or_none(dist, x)
    return np.asarray(x), None if lp is None else np.asarray(lp)


def _gradients(case, params, seed):
    """The sample and log-prob of `case.cls(**params)`, and the gradients
    with respect to every parameter of a weighted sum of the sample and of
    `sum(log_prob)` (of the stopped sample): {source: {param: gradient}}."""
    names = list(params)

    def evaluate(*values):
        dist = case.cls(**dict(zip(names, values)), **case.fixed)
        x = dist.sample(20, seed=seed)
        return x, _log_prob_or_none(dist, tf.stop_gradient(x))

    x, lp = evaluate(*params.values())
    sources = {"weighted sum(sample)": lambda *v: _weighted_sum(evaluate(*v)[0])}
    if lp is not None:
        sources["sum(log_prob)"] = lambda *v: tf.reduce_sum(evaluate(*v)[1])
    grads = {name: dict(zip(names, sub.gradients(f, *params.values())))
             for name, f in sources.items()}
    return x, lp, grads


def _assert_same(got, want):
    """Samples and log-probabilities agree (both None where the class has no
    `log_prob`)."""
    for a, b in zip(got, want):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6)


# -- integer inputs -------------------------------------------------------------

_INTEGER_CASES = [(c, p) for c in CASES for p in [*c.kwargs, "all"]]


@pytest.mark.parametrize("case,param", _INTEGER_CASES,
                         ids=[f"{c.name}-{p}" for c, p in _INTEGER_CASES])
def test_integer_inputs_give_the_float_result(case, param):
    """Integer arrays are the same numbers as the float32 arrays: the same
    dtype, samples and log-probabilities, or a TypeError naming the
    argument."""
    names = list(case.kwargs) if param == "all" else [param]
    integers = {n: np.asarray(case.kwargs[n]).astype(np.int64) for n in names}
    for n in names:
        np.testing.assert_array_equal(integers[n], case.kwargs[n])  # integer-valued
    expected = _sample_and_log_prob(case.make())
    try:
        dist = case.make(**integers)
        got = _sample_and_log_prob(dist)
    except TypeError as error:
        assert any(re.search(rf"\b{n}\b", str(error)) for n in names), error
        return
    assert sub.dtype_name(dist.dtype) == "float32"
    _assert_same(got, expected)


_K_CASES = [c for c in CASES if "k" in c.fixed]


@pytest.mark.parametrize("case", _K_CASES, ids=[c.name for c in _K_CASES])
@pytest.mark.parametrize("k", [np.int64(2), np.int32(2), tf.constant(2)],
                         ids=["np.int64", "np.int32", "int-tensor"])
def test_integer_k_of_another_type_gives_the_python_int_result(case, k):
    """`k` as a NumPy integer or an integer tensor: the result of the Python
    int, or an error that names `k` (a class may take Python ints only)."""
    expected = _sample_and_log_prob(case.make())
    fixed = dict(case.fixed, k=k)
    try:
        dist = case.cls(**case.kwargs, **fixed)
        got = _sample_and_log_prob(dist)
    except (TypeError, ValueError) as error:
        assert re.search(r"\bk\b", str(error)), error
        return
    _assert_same(got, expected)


# -- extreme logits -------------------------------------------------------------

_LOCATION_CASES = [(c, m) for c in CASES if c.location for m in _EXTREME]


@pytest.mark.parametrize("case,magnitude", _LOCATION_CASES,
                         ids=[f"{c.name}-{m}" for c, m in _LOCATION_CASES])
def test_extreme_logits(case, magnitude):
    """Finite samples; no NaN in the log-probabilities of the samples, nor
    in the gradients of a weighted sum of the sample and of `sum(log_prob)`
    with respect to any parameter."""
    shape = np.shape(case.kwargs[case.location])
    scalar, per_category = _EXTREME[magnitude]
    extreme = scalar if len(shape) == 1 else per_category[:, :shape[-1]]
    params = {k: tf.constant(v) for k, v in dict(case.kwargs, **{case.location: extreme}).items()}
    x, lp, grads = _gradients(case, params, seed=(3, 4))
    assert _finite(x), x
    assert lp is None or not np.any(np.isnan(np.asarray(lp))), lp
    for name, by_param in grads.items():
        for param, grad in by_param.items():
            assert grad is None or not np.any(np.isnan(np.asarray(grad))), (name, param, grad)


# -- boundary probabilities -----------------------------------------------------

_PROBS_CASES = [c for c in CASES if c.probs is not None]


@pytest.mark.parametrize("case", _PROBS_CASES, ids=[c.name for c in _PROBS_CASES])
def test_boundary_probabilities(case):
    """`probs` with exact 0 and 1 entries: finite samples, a finite
    `log_prob` of them (each is a possible value), and finite gradients with
    respect to `probs`."""
    kwargs = {k: tf.constant(v) for k, v in case.kwargs.items() if k != "logits"}
    x, lp, grads = _gradients(case, dict(probs=tf.constant(case.probs), **kwargs), seed=(5, 6))
    assert _finite(x), x
    assert lp is None or _finite(lp), lp
    for name, by_param in grads.items():
        grad = by_param["probs"]
        assert grad is None or _finite(grad), (name, grad)


# -- values outside the domain --------------------------------------------------

_POSITIVE = ("temperature", "forward_temperature", "backward_temperature", "scale", "delta")
_NOT_POSITIVE_DEFINITE = _F([[1., 0.9, 0.9], [0.9, 1., -0.9], [0.9, -0.9, 1.]])


def _invalid_inputs(case):
    """{label: (argument, overrides)} of values outside each argument's
    domain: non-positive scales and temperatures, probabilities outside
    [0, 1] or off the simplex, and the class-specific rules."""
    out = {}
    for name in _POSITIVE:
        if name in case.kwargs:
            out[f"{name}-negative"] = (name, {name: -np.abs(case.kwargs[name])})
            out[f"{name}-zero"] = (name, {name: np.zeros_like(case.kwargs[name])})
    if case.probs is not None:
        bad = case.probs.copy()
        bad.flat[2] = 1.5                  # above 1; for a vector, off the simplex too
        out["probs-above-one"] = ("probs", {"probs": bad})
    if case.cls is rd.HardConcrete:
        out["low-positive"] = ("low", {"low": _F(0.5)})
        out["high-below-one"] = ("high", {"high": _F(0.5)})
    if case.cls is rd.CorrelatedRelaxedBernoulli:
        out["correlation-not-positive-definite"] = (
            "correlation", {"correlation": _NOT_POSITIVE_DEFINITE})
        out["correlation-diagonal"] = ("correlation", {"correlation": 2. * np.eye(3, dtype=_F)})
    if _COV in case.kwargs:
        out["covariance-not-symmetric"] = (_COV, {_COV: np.triu(_COVARIANCE)})
    return out


_INVALID_CASES = [(c, label, arg, overrides) for c in CASES
                  for label, (arg, overrides) in _invalid_inputs(c).items()]
_INVALID_CASES += [(c, f"k-{k}", "k", {"k": k}) for c in _K_CASES for k in (0, 4)]


@pytest.mark.parametrize("case,label,arg,overrides", _INVALID_CASES,
                         ids=[f"{c.name}-{label}" for c, label, _, _ in _INVALID_CASES])
def test_invalid_value_with_validate_args_names_the_argument(case, label, arg, overrides):
    """With `validate_args=True` (TFP's switch for checks that cost run
    time), a value outside the argument's domain raises an error that
    names the argument, when the distribution is built or at the latest
    when it is sampled and scored."""
    kwargs = dict(case.kwargs, **{k: v for k, v in overrides.items() if k != "k"})
    if "probs" in overrides:
        kwargs.pop("logits")
    fixed = dict(case.fixed, **{k: v for k, v in overrides.items() if k == "k"})
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError)) as info:
        dist = case.cls(**kwargs, **fixed, validate_args=True)
        x = dist.sample(2, seed=(9, 10))
        _log_prob_or_none(dist, x)
    assert re.search(rf"\b{arg}\b", str(info.value)), info.value


# -- shapes that broadcast --------------------------------------------------------

# A parameter given as a scalar, against the same value broadcast to its full
# shape. Not tried: the parameter that fixes the event size (`logits`, `loc`)
# and the matrices (a scalar correlation or covariance is not one).
_SCALAR_CASES = [(c, p) for c in CASES for p, v in c.kwargs.items()
                 if p != c.location and np.ndim(v) > 0 and p not in ("correlation", _COV)]


@pytest.mark.parametrize("case,param", _SCALAR_CASES,
                         ids=[f"{c.name}-{p}" for c, p in _SCALAR_CASES])
def test_scalar_parameter_broadcasts(case, param):
    """A scalar broadcasts as in TFP (`tfd.MultivariateNormalDiag` takes a
    scalar `scale_diag`): the same result as the full-shape array; or, where
    a class documents a rank it needs, a `ValueError` naming the argument
    (an error of the class's own check, not of a kernel)."""
    full = case.kwargs[param]
    scalar = _F(np.asarray(full).flat[0])
    expected = case.make(**{param: np.full(np.shape(full), scalar)})
    try:
        dist = case.make(**{param: scalar})
    except ValueError as error:
        assert re.search(rf"\b{param}\b", str(error)), error
        return
    assert dist.batch_shape == expected.batch_shape
    assert dist.event_shape == expected.event_shape
    _assert_same(_sample_and_log_prob(dist), _sample_and_log_prob(expected))


# -- shape mismatches -----------------------------------------------------------

_MISMATCH_CASES = [(c, label) for c in CASES for label in c.mismatches]


@pytest.mark.parametrize("case,label", _MISMATCH_CASES,
                         ids=[f"{c.name}-{label}" for c, label in _MISMATCH_CASES])
def test_shape_mismatch_is_an_error_naming_an_argument(case, label):
    """Building the distribution, or at the latest sampling and scoring it,
    raises; the message names an argument or says the shapes are
    incompatible (not a silent result of the wrong shape, nor a TensorFlow
    kernel's error from inside the computation)."""
    overrides = case.mismatches[label]
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError)) as info:
        dist = case.make(**overrides)
        x = dist.sample(2, seed=(7, 8))
        _log_prob_or_none(dist, x)
    message = str(info.value)
    # A kernel's own error ("Incompatible shapes: [3,2] vs. [2,3,3] [Op:Mul]")
    # comes from deep inside the computation, with internal shapes: it names
    # neither the argument nor the rule.
    assert "[Op:" not in message and "{{function_node" not in message, message
    names = list(case.kwargs)
    assert (any(re.search(rf"\b{n}\b", message) for n in names)
            or re.search(r"incompatible|not compatible", message, re.IGNORECASE)), message
