"""Bad and extreme input for every estimator: a clear error or a right answer.

Each case either checks that the call raises the stated error type with a
message naming the argument ("Argument `seed` must ..."), or that the result
is right: finite where the true gradient is finite, exactly zero where the
true gradient is zero (infinite logits), equal to the result on an
equivalent ordinary input (integer logits, a temperature of another dtype),
or NaN where the input is NaN (never a finite number computed from it).
No case is statistical: every check is exact for a fixed seed.

On JAX, run-time assertions (`validate_args=True`) raise `ValueError` when
the estimator runs eagerly (TFP's assertions on JAX do the same) and are
dropped under `jax.jit`, as TensorFlow drops them under XLA.
"""

import numpy as np
import pytest

from tests import substrates

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
estimators = sub.estimators
MovingAverageBaseline = estimators.MovingAverageBaseline
relax_control_variate = estimators.relax_control_variate
# What a failed run-time assertion raises, eagerly.
ASSERTION_ERROR = ValueError if sub.is_jax else tf.errors.InvalidArgumentError

NAMES = list(estimators.ESTIMATORS)
CATEGORICAL_NAMES = [n for n in NAMES if n != "disarm"]
TEMPERATURE_NAMES = ["rebar", "gumbel_rao", "reinmax"]
# Every (estimator, categorical) pair that exists: disarm is Bernoulli only.
NAME_AND_CATEGORICAL = [(n, c) for n in NAMES for c in (False, True)
                        if n in CATEGORICAL_NAMES or not c]


def _f(b):
    """A smooth f reducing every latent axis: [m] + logits.shape -> [m]."""
    return tf.reduce_sum((b - 0.45) ** 2, axis=list(range(1, len(b.shape))))


def _call(estimator, logits, f=_f, watch=True, **options):
    """Runs the estimator named `estimator`; returns the surrogate (and, for rebar/relax,
    the variance objective) and the gradient w.r.t. `logits` (None when
    `logits` cannot be watched)."""
    options.setdefault("seed", (1, 2))
    options.setdefault("num_samples", 2)
    if estimator == "relax" and "control_variate" not in options:
        options["control_variate"] = relax_control_variate(
            f, temperature=0.5, categorical=options.get("categorical", False))
    def outputs(logits):
        out = getattr(estimators, estimator)(f, logits, **options)
        outs = list(out) if isinstance(out, tuple) else [out]
        return outs[0], outs

    if watch:
        (_, outs), grad = tfp.math.value_and_gradient(
            outputs, logits, has_aux=True)
    else:
        outs, grad = outputs(logits)[1], None
    return ([np.asarray(o) for o in outs],
            None if grad is None else np.asarray(grad))


def _graph_call(estimator, logits, f=_f, **options):
    """`_call` for a `tf.function`: returns tensors (the outputs, then the
    gradient w.r.t. `logits`)."""
    options.setdefault("seed", (1, 2))
    options.setdefault("num_samples", 2)
    if estimator == "relax" and "control_variate" not in options:
        options["control_variate"] = relax_control_variate(
            f, temperature=0.5, categorical=options.get("categorical", False))
    def outputs(logits):
        out = getattr(estimators, estimator)(f, logits, **options)
        outs = list(out) if isinstance(out, tuple) else [out]
        return outs[0], outs

    (_, outs), grad = tfp.math.value_and_gradient(outputs, logits, has_aux=True)
    return outs + [grad]


# Errors -----------------------------------------------------------------------

_L = tf.constant([1., 0., -2.])
_CAT = tf.constant([[1., 0., -2.]])


def _round_f(b):
    return tf.reduce_sum(tf.round(b), axis=-1)


def _numpy_f(b):
    return np.sum(np.asarray(b), axis=-1)


# Checks that only TensorFlow can make: on JAX a function without a
# gradient (`round`, a constant, NumPy values) differentiates to zeros, not
# to a missing gradient, so REBAR/RELAX cannot tell it from a flat one, and
# NumPy arrays are valid JAX values.
_TF_ONLY_CASES = {
    "control_variate_returns_numpy", "control_variate_without_gradient",
    "control_variate_constant", "rebar_f_without_gradient",
    "straight_through_f_returns_numpy"}


# (case id, estimator names, keyword arguments of `_call`, error, argument).
ERROR_CASES = [
    ("seed_string", NAMES, dict(seed="abc"), TypeError, "seed"),
    ("seed_of_length_3", NAMES, dict(seed=(1, 2, 3)), ValueError, "seed"),
    ("seed_float", NAMES, dict(seed=(1.5, 2.)), TypeError, "seed"),
    ("seed_float_tensor", NAMES, dict(seed=tf.constant([1., 2.])), TypeError,
     "seed"),
    ("f_not_callable", NAMES, dict(f=3), TypeError, "f"),
    ("f_returns_none", NAMES, dict(f=lambda b: None), TypeError, "f"),
    ("f_returns_bool", NAMES, dict(f=lambda b: tf.reduce_sum(b, -1) > 0),
     TypeError, "f"),
    ("f_returns_a_scalar", NAMES, dict(f=tf.reduce_sum), ValueError, "f"),
    ("num_samples_0", NAMES, dict(num_samples=0), ValueError, "num_samples"),
    ("num_samples_negative", NAMES, dict(num_samples=-1), ValueError,
     "num_samples"),
    ("num_samples_float", NAMES, dict(num_samples=2.), ValueError,
     "num_samples"),
    ("num_samples_tensor", NAMES, dict(num_samples=tf.constant(2)),
     ValueError, "num_samples"),
    ("num_samples_bool", NAMES, dict(num_samples=True), ValueError,
     "num_samples"),
    ("categorical_string", NAMES, dict(categorical="yes"), TypeError,
     "categorical"),
    ("categorical_tensor", NAMES, dict(categorical=tf.constant(True)),
     TypeError, "categorical"),
    ("validate_args_int", NAMES, dict(validate_args=1), TypeError,
     "validate_args"),
    ("name_int", NAMES, dict(name=3), TypeError, "name"),
    ("logits_string", NAMES, dict(logits="abc"), TypeError, "logits"),
    ("logits_bool", NAMES, dict(logits=tf.constant([True, False])), TypeError,
     "logits"),
    ("logits_integer_variable", NAMES, dict(logits=tf.Variable([1, 0])),
     TypeError, "logits"),
    ("categorical_scalar_logits", CATEGORICAL_NAMES,
     dict(logits=tf.constant(1.), categorical=True), ValueError, "logits"),
    ("categorical_zero_categories", CATEGORICAL_NAMES,
     dict(logits=tf.zeros([2, 0]), categorical=True), ValueError, "logits"),
    ("temperature_0", TEMPERATURE_NAMES, dict(temperature=0.), ValueError,
     "temperature"),
    ("temperature_negative", TEMPERATURE_NAMES, dict(temperature=-1.),
     ValueError, "temperature"),
    ("temperature_inf", TEMPERATURE_NAMES, dict(temperature=np.inf),
     ValueError, "temperature"),
    ("temperature_nan", TEMPERATURE_NAMES, dict(temperature=np.nan),
     ValueError, "temperature"),
    ("temperature_string", TEMPERATURE_NAMES, dict(temperature="a"),
     TypeError, "temperature"),
    ("temperature_none", TEMPERATURE_NAMES, dict(temperature=None),
     TypeError, "temperature"),
    ("temperature_wrong_shape", TEMPERATURE_NAMES,
     dict(temperature=[0.5, 0.5]), ValueError, "temperature"),
    ("temperature_bool_tensor", TEMPERATURE_NAMES,
     dict(temperature=tf.constant(True)), TypeError, "temperature"),
    ("scale_inf", ["rebar"], dict(scale=np.inf), ValueError, "scale"),
    ("scale_nan", ["rebar"], dict(scale=np.nan), ValueError, "scale"),
    ("scale_string", ["rebar"], dict(scale="a"), TypeError, "scale"),
    ("num_rao_samples_0", ["gumbel_rao"], dict(num_rao_samples=0), ValueError,
     "num_rao_samples"),
    ("num_rao_samples_float", ["gumbel_rao"], dict(num_rao_samples=2.),
     ValueError, "num_rao_samples"),
    ("baseline_callable", ["reinforce"], dict(baseline=lambda v: 0.),
     TypeError, "baseline"),
    ("baseline_module", ["reinforce"], dict(baseline=tf.Module(name="m")), TypeError,
     "baseline"),
    ("baseline_string", ["reinforce"], dict(baseline="abc"), TypeError,
     "baseline"),
    ("baseline_not_broadcastable", ["reinforce"],
     dict(baseline=tf.constant([1., 2., 3.])), ValueError, "baseline"),
    ("baseline_broadcast_widens", ["reinforce"],
     dict(baseline=tf.zeros([2, 3])), ValueError, "baseline"),
    ("control_variate_not_callable", ["relax"], dict(control_variate="x"),
     TypeError, "control_variate"),
    ("control_variate_returns_numpy", ["relax"],
     dict(control_variate=lambda z: np.zeros([4], np.float32)), TypeError,
     "control_variate"),
    ("control_variate_returns_int", ["relax"],
     dict(control_variate=lambda z: tf.zeros([4], tf.int32)), TypeError,
     "control_variate"),
    ("control_variate_wrong_shape", ["relax"],
     dict(control_variate=lambda z: z), ValueError, "control_variate"),
    ("control_variate_without_gradient", ["relax"],
     dict(control_variate=lambda z: tf.reduce_sum(tf.round(z), -1)),
     ValueError, "control_variate"),
    ("control_variate_constant", ["relax"],
     dict(control_variate=lambda z: tf.zeros([4])), ValueError,
     "control_variate"),
    ("rebar_f_without_gradient", ["rebar"], dict(f=_round_f), ValueError,
     "f"),
    ("straight_through_f_returns_int", ["gumbel_rao", "reinmax"],
     dict(f=lambda b: tf.cast(tf.reduce_sum(b, -1), tf.int32)), TypeError,
     "f"),
    ("straight_through_f_returns_numpy", ["gumbel_rao", "reinmax"],
     dict(f=_numpy_f), TypeError, "f"),
]
ERROR_PARAMS = [pytest.param(name, kwargs, error, argument,
                             id=f"{case}-{name}",
                             marks=[substrates.tensorflow_only(
                                 "a missing gradient; see _TF_ONLY_CASES")]
                             if case in _TF_ONLY_CASES else [])
                for case, names, kwargs, error, argument in ERROR_CASES
                for name in names]


@pytest.mark.parametrize("name,kwargs,error,argument", ERROR_PARAMS)
def test_bad_argument_raises_naming_it(name, kwargs, error, argument):
    kwargs = dict(kwargs)
    logits = kwargs.pop("logits", _CAT if kwargs.get("categorical") is True
                        else _L)
    with pytest.raises(error, match=f"Argument `{argument}`"):
        _call(name, logits, watch=False, **kwargs)


@substrates.tensorflow_only("JAX arrays always have a static rank")
@pytest.mark.parametrize("name", NAMES)
def test_logits_of_unknown_rank_raise(name):
    """Inside a `tf.function` traced for any shape, the rank of `logits` is
    unknown; the estimators need it to build the graph."""
    run = tf.function(lambda x: _graph_call(name, x),
                      input_signature=[tf.TensorSpec(None, tf.float32)])
    with pytest.raises(ValueError, match="Argument `logits` must have a "
                       "statically known rank"):
        run.get_concrete_function()


def test_relax_control_variate_checks_its_arguments():
    with pytest.raises(TypeError, match="Argument `f`"):
        relax_control_variate(3, temperature=0.5)
    with pytest.raises(TypeError, match="Argument `network`"):
        relax_control_variate(_f, temperature=0.5, network="net")
    with pytest.raises(ValueError, match="Argument `temperature`"):
        relax_control_variate(_f, temperature=0.)
    with pytest.raises(ValueError, match="Argument `scale`"):
        relax_control_variate(_f, temperature=0.5, scale=np.nan)
    with pytest.raises(TypeError, match="Argument `categorical`"):
        relax_control_variate(_f, temperature=0.5, categorical=None)


def test_moving_average_baseline_of_the_wrong_shape_raises():
    baseline = MovingAverageBaseline(shape=[3])
    with pytest.raises(ValueError, match="Argument `baseline`"):
        estimators.reinforce(_f, _L, seed=(1, 2), baseline=baseline)


@pytest.mark.parametrize("kwargs,error,argument", [
    (dict(decay=1.), ValueError, "decay"),
    (dict(decay=-0.1), ValueError, "decay"),
    (dict(decay=np.nan), ValueError, "decay"),
    (dict(decay="0.5"), TypeError, "decay"),
    (dict(decay=None), TypeError, "decay"),
    (dict(decay=True), TypeError, "decay"),
    (dict(shape=(-1,)), ValueError, "shape"),
    (dict(shape="a"), TypeError, "shape"),
    (dict(shape=(None,)), ValueError, "shape"),
    (dict(dtype=tf.int32), TypeError, "dtype"),
    (dict(dtype="not a dtype"), TypeError, "dtype"),
])
def test_moving_average_baseline_bad_arguments(kwargs, error, argument):
    with pytest.raises(error, match=f"Argument `{argument}`"):
        MovingAverageBaseline(**kwargs)


def test_moving_average_baseline_accepts_a_tensor_decay():
    assert MovingAverageBaseline(decay=tf.constant(0.5)).decay == 0.5


@pytest.mark.parametrize("name", NAMES)
def test_validate_args_refuses_nan_logits(name):
    logits = tf.constant([np.nan, 0.])
    with pytest.raises(ASSERTION_ERROR,
                       match="Argument `logits` must not contain NaN"):
        _call(name, logits, validate_args=True)


@pytest.mark.parametrize("name", CATEGORICAL_NAMES)
@pytest.mark.parametrize("logits,message", [
    ([[np.inf, 0., 0.]], "Argument `logits` must be below \\+inf"),
    ([[-np.inf, -np.inf], [0., 1.]], "Argument `logits` must have a logit "
     "above -inf"),
])
def test_validate_args_refuses_invalid_categorical_logits(name, logits,
                                                          message):
    with pytest.raises(ASSERTION_ERROR, match=message):
        _call(name, tf.constant(logits), categorical=True, validate_args=True)


@substrates.tensorflow_only("run-time assertions inside a tf.function; JAX "
                            "drops them under jit")
@pytest.mark.parametrize("name", TEMPERATURE_NAMES)
def test_validate_args_checks_a_run_time_temperature(name):
    """Inside a `tf.function` a computed temperature has no static value;
    `validate_args=True` checks it when the function runs."""

    @tf.function
    def run(temperature):
        return _graph_call(name, _L, temperature=temperature,
                           validate_args=True)[0]

    assert np.isfinite(run(tf.constant(0.5)).numpy())
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Argument `temperature` must be positive"):
        run(tf.constant(0.))


@pytest.mark.parametrize("name", NAMES)
def test_validate_args_compiles_under_xla(name):
    """TensorFlow drops assertions under XLA; the estimator still compiles,
    and gives the result it gives there without `validate_args` (compared
    under XLA: seeds split at run time give other, equally valid, Philox
    streams under XLA than eagerly)."""
    results = [
        sub.xla(lambda x, v=v: _graph_call(name, x, validate_args=v))(_L)
        for v in (False, True)]
    for a, b in zip(*results):
        assert np.all(np.isfinite(np.asarray(a)))
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("name,categorical", NAME_AND_CATEGORICAL)
def test_validate_args_on_valid_input_changes_nothing(name, categorical):
    logits = _CAT if categorical else _L
    plain = _call(name, logits, categorical=categorical)
    checked = _call(name, logits, categorical=categorical, validate_args=True)
    for a, b in zip(plain[0] + [plain[1]], checked[0] + [checked[1]]):
        np.testing.assert_array_equal(a, b)


# Right answers ----------------------------------------------------------------

@pytest.mark.parametrize("name,categorical", NAME_AND_CATEGORICAL)
@pytest.mark.parametrize("convert", [
    np.array, tf.constant, lambda x: x], ids=["numpy", "tensor", "list"])
def test_integer_logits_are_converted_to_float32(name, categorical, convert):
    values = [[1, 0, -2]] if categorical else [1, 0, -2]
    as_float = _call(name, tf.constant(values, tf.float32), watch=False,
                     categorical=categorical)[0]
    as_int = _call(name, convert(values), watch=False,
                   categorical=categorical)[0]
    assert as_int[0].dtype == np.float32
    for a, b in zip(as_int, as_float):
        np.testing.assert_array_equal(a, b)


def _assert_matches_finite_stand_in(name, logits, stand_in, categorical):
    """At infinite logits the result is finite, the gradient there is exactly
    0 (the true derivative), and everything else equals the result at a
    finite stand-in (logits of +-100, whose samples are the same: in
    float32 their probabilities round to 0 or 1 against the noise)."""
    logits = tf.constant(logits)
    outs, grad = _call(name, logits, categorical=categorical)
    ref_outs, ref_grad = _call(name, tf.constant(stand_in),
                               categorical=categorical)
    assert all(np.all(np.isfinite(o)) for o in outs) and np.all(
        np.isfinite(grad)), (outs, grad)
    infinite = np.isinf(np.asarray(logits))
    assert np.all(grad[infinite] == 0.), grad
    for a, b in zip(outs, ref_outs):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(grad[~infinite], ref_grad[~infinite],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_infinite_bernoulli_logits_are_point_masses(name):
    _assert_matches_finite_stand_in(name, [np.inf, -np.inf, 0.3],
                                    [100., -100., 0.3], categorical=False)


@pytest.mark.parametrize("name", CATEGORICAL_NAMES)
def test_minus_infinite_categorical_logits_are_impossible_categories(name):
    _assert_matches_finite_stand_in(
        name, [[-np.inf, 0.2, -0.5], [0.1, -np.inf, -np.inf]],
        [[-100., 0.2, -0.5], [0.1, -100., -100.]], categorical=True)


@pytest.mark.parametrize("name,categorical", NAME_AND_CATEGORICAL)
@pytest.mark.parametrize("dtype,big", [
    (tf.float32, 1e30), (tf.float32, 3e38), (tf.float16, 6e4),
    (tf.float64, 1e300)])
def test_huge_finite_logits_give_finite_results(name, categorical, dtype,
                                                big):
    """The value is the mean of f at the samples, which are those of logits
    +-100 (so the values agree), and the gradient is finite: the surrogate's
    gradient term cannot overflow."""
    shape = (lambda x: [x]) if categorical else (lambda x: x)
    logits = tf.constant(shape([big, -big, 0.]), dtype)
    outs, grad = _call(name, logits, categorical=categorical)
    assert all(np.all(np.isfinite(o)) for o in outs) and np.all(
        np.isfinite(grad)), (outs, grad)
    reference = _call(name, tf.constant(shape([100., -100., 0.]), dtype),
                      categorical=categorical)[0]
    np.testing.assert_array_equal(outs[0], reference[0])


@pytest.mark.parametrize("categorical,logits", [
    (False, [np.inf, -np.inf, 0.3]), (False, [3e38, -3e38, 0.3]),
    (True, [[-np.inf, 0.2, -0.5]]), (True, [[3e38, -3e38, 0.]])])
def test_rebar_variance_gradient_finite_at_extreme_logits(categorical, logits):
    """The temperature and scale get finite variance gradients: the
    relaxation clips its pre-activation before `z / temperature` overflows."""
    def objective(log_temperature, scale):
        return estimators.rebar(
            _f, tf.constant(logits), seed=(1, 2), num_samples=3,
            categorical=categorical, temperature=tf.exp(log_temperature),
            scale=scale)[1]

    variance, grads = sub.value_and_gradient(
        objective, tf.constant(np.log(0.5), tf.float32), tf.constant(1.))
    assert np.isfinite(np.asarray(variance))
    assert all(np.isfinite(np.asarray(g)) for g in grads), grads


@pytest.mark.parametrize("name", NAMES)
def test_nan_logits_give_a_nan_gradient_there(name):
    """A NaN logit must not produce a finite gradient (ARM's per-sample
    weight does not involve the logit, so it did)."""
    outs, grad = _call(name, tf.constant([np.nan, 0.3]))
    assert np.isnan(outs[0]) and np.isnan(grad[0]), (outs, grad)


@pytest.mark.parametrize("name", CATEGORICAL_NAMES)
@pytest.mark.parametrize("logits", [
    [[-np.inf, -np.inf]], [[-np.inf, -np.inf], [0., 1.]], [[np.inf, 0., 0.]],
    [[np.inf, np.inf, 0.]]])
def test_categorical_logits_that_define_no_distribution_give_nan(name,
                                                                 logits):
    """A variable whose logits are all -inf, or with a +inf logit, is no
    distribution (softmax is undefined): the result is NaN, never a finite
    number (the argmin of ARSM would pick a category and give one)."""
    outs, _ = _call(name, tf.constant(logits), categorical=True)
    assert np.isnan(outs[0]), outs


@pytest.mark.parametrize("name", CATEGORICAL_NAMES)
def test_one_category_has_a_zero_gradient(name):
    """With K = 1 the expectation does not depend on the logits: the
    gradient is 0 (not missing)."""
    outs, grad = _call(name, tf.constant([[0.3], [1.]]), categorical=True)
    assert np.all(np.isfinite(outs[0]))
    assert grad is not None and np.all(grad == 0.), grad


@pytest.mark.parametrize("name,categorical", NAME_AND_CATEGORICAL)
def test_empty_batch(name, categorical):
    logits = tf.zeros([0, 3] if categorical else [0])
    outs, grad = _call(name, logits, categorical=categorical)
    assert all(o == 0. for o in outs) and grad.shape == logits.shape


@pytest.mark.parametrize("name,categorical", NAME_AND_CATEGORICAL)
def test_float16_logits(name, categorical):
    logits = tf.constant([[1., 0., -2.]] if categorical else [1., 0., -2.],
                         tf.float16)
    outs, grad = _call(name, logits, categorical=categorical)
    assert outs[0].dtype == np.float16 and grad.dtype == np.float16
    assert all(np.all(np.isfinite(o)) for o in outs)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("name", TEMPERATURE_NAMES)
@pytest.mark.parametrize("temperature", [
    tf.constant(2), tf.constant(2., tf.float64), np.int32(2), 2],
    ids=["int32_tensor", "float64_tensor", "numpy_int", "python_int"])
def test_temperature_of_another_dtype_is_cast_to_the_logits_dtype(
        name, temperature):
    """As Keras casts variables to a layer's compute dtype, a temperature of
    any real dtype is cast to the dtype of `logits`."""
    expected = _call(name, _L, temperature=2.)
    got = _call(name, _L, temperature=temperature)
    for a, b in zip(got[0] + [got[1]], expected[0] + [expected[1]]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", TEMPERATURE_NAMES)
@pytest.mark.parametrize("categorical", [False, True])
def test_one_temperature_per_variable(name, categorical):
    """A temperature per variable (the batch shape) equals the scalar
    temperature when all entries are equal."""
    logits = tf.constant([[1., 0., -2.], [0.5, 0.2, 0.1]])
    if not categorical:
        logits = logits[0]
    per_variable = tf.fill(logits.shape[:1], 0.7)
    expected = _call(name, logits, categorical=categorical, temperature=0.7)
    got = _call(name, logits, categorical=categorical,
                temperature=per_variable)
    for a, b in zip(got[0] + [got[1]], expected[0] + [expected[1]]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("name", ["reinforce", "rloo", "arm", "disarm",
                                  "relax"])
def test_integer_values_of_f_are_converted(name):
    """Estimators that never differentiate f accept integer values (a count
    of ones, a reward) as their float equivalent."""
    def int_f(b):
        return tf.cast(tf.reduce_sum(b, -1), tf.int32)

    def float_f(b):
        return tf.reduce_sum(b, -1)

    options = {}
    if name == "relax":
        options["control_variate"] = relax_control_variate(
            float_f, temperature=0.5)
    expected = _call(name, _L, f=float_f, **options)
    got = _call(name, _L, f=int_f, **options)
    for a, b in zip(got[0] + [got[1]], expected[0] + [expected[1]]):
        np.testing.assert_array_equal(a, b)


@substrates.tensorflow_only("variables read under tf.GradientTape")
@pytest.mark.parametrize("make", ["tf", "keras"])
def test_temperature_variable_keeps_its_gradient(make):
    """A variable passed as `temperature` is cast, not copied: the variance
    objective still has a gradient with respect to it."""
    import keras
    temperature = (tf.Variable if make == "tf" else keras.Variable)(0.5)
    with tf.GradientTape() as tape:
        _, variance = estimators.rebar(_f, _L, seed=(1, 2), num_samples=3,
                                       temperature=temperature)
    grad = tape.gradient(variance, temperature)
    assert grad is not None and np.isfinite(np.asarray(grad)) and grad != 0.


@pytest.mark.parametrize("baseline", [
    tf.constant(1), np.float64(1.), np.array([1., 1.]), 1],
    ids=["int_tensor", "numpy_float64", "per_sample_array", "python_int"])
def test_baseline_of_another_dtype_is_cast(baseline):
    expected = _call("reinforce", _L, baseline=tf.constant(1.))
    got = _call("reinforce", _L, baseline=baseline)
    for a, b in zip(got[0] + [got[1]], expected[0] + [expected[1]]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", [
    5, np.array([1, 2], np.int64), tf.constant([1, 2], tf.int64), [1, 2]],
    ids=["python_int", "numpy_int64", "tensor_int64", "list"])
def test_integer_seeds_of_any_dtype(seed):
    outs, grad = _call("reinforce", _L, seed=seed)
    assert np.all(np.isfinite(outs[0])) and np.all(np.isfinite(grad))
