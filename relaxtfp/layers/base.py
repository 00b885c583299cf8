"""The base class of relaxtfp's Keras 3 latent layers."""

import math
import numbers

import keras
import numpy as np
import tensorflow as tf

from relaxtfp.internal import backend
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import tensorshape_util

__all__ = ["INFERENCE_MODES", "LatentLayer"]

INFERENCE_MODES = ("hard", "mode", "relaxed")

# Compute dtypes too narrow for the distributions: the layers widen them to
# float32 (see `LatentLayer.distribution_dtype`).
_HALF_DTYPES = ("float16", "bfloat16")


# The Keras backend that each substrate's layers run on, and the module that
# holds them (`relaxtfp.layers` is loaded a second time, import statements
# rewritten, as `relaxtfp.substrates.jax.layers`; see `internal.backend`).
_KERAS_BACKEND = "jax" if backend.JAX_MODE else "tensorflow"
_LAYERS_MODULE = {"tensorflow": "relaxtfp.layers", "jax": "relaxtfp.substrates.jax.layers"}

# The package of the layers' registered Keras names (`relaxtfp>HardConcreteLatent`).
_PACKAGE = "relaxtfp"


def check_backend():
    """Raises `RuntimeError` unless Keras runs on this module's backend.

    `relaxtfp.layers` is built on TFP for TensorFlow and runs on Keras'
    TensorFlow backend; `relaxtfp.substrates.jax.layers` is the same code on
    TFP's JAX substrate and runs on Keras' JAX backend. TFP has no substrate
    for PyTorch, so neither runs on Keras' torch backend.
    """
    active = keras.backend.backend()
    if active == _KERAS_BACKEND:
        return
    here = _LAYERS_MODULE[_KERAS_BACKEND]
    if active in _LAYERS_MODULE:
        raise RuntimeError(
            f"{here} needs Keras 3 with the {_KERAS_BACKEND!r} backend, but the "
            f"active Keras backend is {active!r}: use {_LAYERS_MODULE[active]} "
            "on that backend, or set the environment variable "
            f"KERAS_BACKEND={_KERAS_BACKEND} before Keras is first imported.")
    raise RuntimeError(
        f"relaxtfp's latent layers need Keras 3 with the 'tensorflow' backend "
        f"(relaxtfp.layers) or the 'jax' backend (relaxtfp.substrates.jax.layers), "
        f"but the active Keras backend is {active!r}; TensorFlow Probability, "
        "which they are built on, has no substrate for it. Set the environment "
        "variable KERAS_BACKEND before Keras is first imported.")


def register(cls):
    """Registers a layer class with Keras when Keras runs on its backend.

    Both substrates' layers register under the same names
    (`relaxtfp>HardConcreteLatent`, ...), so a `.keras` file saved on one
    Keras backend loads on the other. Only the module of the active backend
    registers them: the other module's classes cannot be built anyway (see
    `check_backend`), and its registration must not replace the working
    classes when both modules are imported.
    """
    if keras.backend.backend() != _KERAS_BACKEND:
        return cls
    return keras.saving.register_keras_serializable(package=_PACKAGE)(cls)


def read_variable(variable):
    """The value of a Keras variable as a tensor of the backend.

    On JAX, Keras substitutes variable values inside its compiled training
    step, and `keras.ops.convert_to_tensor` reads the substituted value.
    """
    return keras.ops.convert_to_tensor(variable)


def check_positive_float(value, name):
    """`float(value)`, after checking that it is a finite positive number."""
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or not math.isfinite(value) or value <= 0.):
        raise ValueError(
            f"Argument `{name}` must be a finite positive number. "
            f"Received: {name}={value!r}")
    return float(value)


def config_value(value):
    """A JSON-friendly copy of a float, list or array hyperparameter."""
    if value is None:
        return None
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return float(array)
    return array.tolist()


def check_probabilities(value, name, allow_none=False):
    """Checks a prior probability (or vector of them) in the open (0, 1)."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"Argument `{name}` must be given. Received: {name}=None")
    array = np.asarray(value, dtype=np.float64)
    if not np.all((array > 0.) & (array < 1.)):
        raise ValueError(
            f"Argument `{name}` must lie in the open interval (0, 1). "
            f"Received: {name}={value!r}")
    return config_value(value)


def prior_axes(prior, units, name, rule):
    """The input axes that a prior array fixes, after checking it fits.

    A prior of shape `np.shape(prior)` must broadcast against `units` (the
    shape of the matching values of one example, `None` for an unknown
    dimension) without changing it; otherwise broadcasting would add axes or
    repeat values and the divergence would be silently wrong.

    Args:
      prior: Float or nested list, the prior hyperparameter.
      units: Tuple, the shape it must broadcast against.
      name: Python `str`, the argument's name for the error.
      rule: Python `str`, what the argument must be, for the error.

    Returns:
      Dict from negative axis (counted from the end of `units`) to the size
      the prior gives it, for each of the prior's dimensions other than 1.

    Raises:
      ValueError: if the prior does not fit `units`.
    """
    shape = np.shape(prior)
    fits = len(shape) <= len(units) and all(
        p == 1 or u is None or u == p
        for p, u in zip(reversed(shape), reversed(units)))
    if not fits:
        raise ValueError(f"Argument `{name}` must {rule}. Received: {name}={prior!r}")
    return {-j: shape[-j] for j in range(1, len(shape) + 1) if shape[-j] != 1}


def check_input_shape(layer, shape):
    """Checks `shape` against `layer.input_spec` as Keras' `__call__` does.

    `distribution` and `divergence` take inputs without `__call__`, so they
    check here, with Keras' message, that the input fits the state the layer
    was built for.
    """
    spec = layer.input_spec
    if spec is None or tensorshape_util.rank(shape) is None:
        return
    dims = tuple(tensorshape_util.as_list(shape))
    prefix = f"Input 0 of layer '{layer.name}' is incompatible with the layer: "
    if spec.ndim is not None and len(dims) != spec.ndim:
        raise ValueError(prefix + f"expected ndim={spec.ndim}, found ndim={len(dims)}. "
                         f"Full shape received: {dims}")
    if spec.min_ndim is not None and len(dims) < spec.min_ndim:
        raise ValueError(prefix + f"expected min_ndim={spec.min_ndim}, found "
                         f"ndim={len(dims)}. Full shape received: {dims}")
    for axis, value in spec.axes.items():
        if value is not None and dims[axis] not in (value, None):
            raise ValueError(prefix + f"expected axis {axis} of input shape to have "
                             f"value {value}, but received input with shape {dims}")


def _symbolic_trace(inputs):
    """Whether Keras traces `call` for shapes only, with symbolic dimensions.

    On JAX, Keras infers shapes (`compute_output_spec`, and `fit`'s first
    build of a model) by tracing `call` with `jax.export` symbolic
    dimensions for the unknown ones. TFP's JAX substrate cannot sample with
    such dimensions, so the layer answers these traces from
    `compute_output_shape`.
    """
    if not backend.JAX_MODE or all(isinstance(d, int) for d in inputs.shape):
        return False
    from keras.src.backend.common.symbolic_scope import in_symbolic_scope
    if not in_symbolic_scope():
        raise ValueError(
            "relaxtfp's latent layers need static input shapes on JAX (TFP's "
            "JAX substrate cannot sample with symbolic dimensions). Received: "
            f"inputs.shape={inputs.shape}")
    return True


def reduce_per_example(x):
    """Sums every axis of `x` except the first (the batch axis)."""
    rank = tensorshape_util.rank(x.shape)
    if rank is None:
        return tf.reduce_sum(x, axis=ps.range(1, ps.rank(x)))
    if rank <= 1:
        return x
    return tf.reduce_sum(x, axis=list(range(1, rank)))


class StraightThroughHooks:
    """Inference hooks for layers whose training sample is already hard.

    The straight-through layers' forward value is the discrete sample itself,
    so the hard value behind it is the sample and the mode is the
    distribution's `mode()`. Mix in before the `LatentLayer` base.
    """

    def _hard(self, dist, sample):
        return sample

    def _mode(self, dist):
        return dist.mode()


class LatentLayer(keras.layers.Layer):
    """Base class of the latent layers: parameters in, a sample tensor out.

    A subclass builds a relaxtfp distribution from the layer's input (the
    encoder's parameters) in `distribution(inputs)`, and `call` returns a
    tensor:

    * while training (`training=True`), a sample of that distribution (a
      relaxed sample, or a straight-through one: hard forward values whose
      gradient is that of a relaxation);
    * at inference, according to `inference_mode`: `'hard'`, a sample of the
      discrete law behind the relaxation; `'mode'`, a deterministic choice
      (each subclass documents which); `'relaxed'`, the same kind of sample
      as in training.

    When `kl_weight > 0`, `call` adds `kl_weight * mean_over_batch(d)` with
    `add_loss`, where `d` is the per-example divergence to the prior that the
    subclass documents (summed over all latent axes); `divergence(inputs)`
    returns `d`. Layers with a temperature hold it in a non-trainable weight
    `temperature` (saved with the model), which
    `relaxtfp.layers.TemperatureAnnealing` anneals. Every draw takes its seed
    from the layer's `keras.random.SeedGenerator`, so two layers built with
    the same `seed` (or whose generators hold the same state) give identical
    outputs for identical inputs, eagerly, in graph mode and under XLA.
    Under a `tf.distribute` strategy with several replicas the replica id is
    folded into each seed, so replicas draw independent noise.

    #### Dtypes and mixed precision

    The layer follows Keras' mixed-precision convention (variables in the
    variable dtype, the output in the compute dtype, losses in float32).
    Its weights (`temperature`, and where a subclass has them `prior_logits`
    and `correlation_params`) are in the variable dtype, float32 under the
    `mixed_float16` and `mixed_bfloat16` policies, and are read without
    autocasting. Keras casts float inputs to the compute dtype in `__call__`;
    the layer then casts them (and integer inputs, which Keras passes
    through) to `distribution_dtype`: the compute dtype, widened to float32
    when it is float16 or bfloat16. It builds the distribution, draws the
    sample and computes the divergence in that dtype, and casts only the
    returned value to the compute dtype. So under mixed precision the loss
    added with `add_loss` and the result of `divergence` are float32 (they
    add to Keras' float32 loss) and equal a float32 layer's on the same
    inputs, and the output is the float32 value rounded once. The 16-bit
    dtypes cannot carry these computations: `exp` overflows float16 above
    about 11.09 (65504), so logits of a dozen give `inf`, and bfloat16's
    8 significant bits are too few for log-densities and divergences. The
    cost is the latent layer's own arithmetic in float32, small next to the
    encoder and decoder, which keep the compute dtype. Under a `float64`
    policy everything is float64.

    Inputs of any other dtype than float or integer (bool, complex, string)
    raise `TypeError` naming the argument.

    #### Input shapes

    After `build`, the layer sets `input_spec` to the input axes that its
    state depends on, as Keras layers do:

    * Bernoulli-family layers (one logit or mean per unit): with
      `learn_prior=True`, the rank and every axis after the batch axis (one
      prior logit per unit); with a list `prior_probs`, the trailing axes
      where it has more than one value (it must broadcast against the units
      of one example without changing their shape, else `build` raises);
      with a scalar prior, none, so inputs of any shape work.
      `CorrelatedRelaxedBernoulliLatent` also fixes the last axis, its `D`
      gates.
    * Categorical layers: the last axis, the K classes that `prior_probs`,
      `k` or `values` were checked against.
    * Simplex layers: the last axis (loc and raw scale), and any middle axis
      where `prior_loc`, `prior_scale` or `prior_concentration` has more
      than one value.

    An input that does not fit raises Keras' `ValueError` naming the layer
    and the expected shape, in `call` (and when a model is connected) as
    well as in `distribution` and `divergence`; the layer never broadcasts
    its state against an input of another shape.

    #### Arguments shared by every layer

    Each layer's constructor documents its own arguments; these it passes
    to `LatentLayer`, with defaults that its docstring names where they
    differ. Every argument is keyword-only, except the required `k` of
    `GumbelSoftmaxTopKLatent` and `values` of
    `GeneralizedGumbelSoftmaxLatent`.

    * `temperature`: positive float, the initial value of the `temperature`
      weight, for the layers that have one (`TemperatureAnnealing` anneals
      it).
    * `kl_weight`: non-negative float, the weight (beta) of the divergence
      loss; 0 adds no loss. Default 1.
    * `inference_mode`: `'hard'` (default), `'mode'` or `'relaxed'`: what
      the layer returns when not training. Fixed at construction (see
      below).
    * `divergence`: the loss added, for the layers that offer more than one
      (`'kl'`, `'l0'` or `'mc'`, as the layer documents); default the
      first of them.
    * `seed`: optional integer seed of the layer's
      `keras.random.SeedGenerator`.
    * `prior_probs`, `learn_prior` (Bernoulli-family layers):
      `prior_probs` is a float, or a list of floats broadcasting against
      the units, in (0, 1): the prior probability of a 1 (of an open gate).
      Default 0.5. With `learn_prior=True` the prior's logits are a
      trainable weight `prior_logits`, one per unit, started at
      `logit(prior_probs)` and trained with the divergence (a learned
      factorized prior). Default `False`.
    * `prior_probs` (categorical layers): `None` (uniform, the default) or
      a list of K prior class probabilities (positive, summing to 1).
    * Any other keyword argument of `keras.layers.Layer` (`name`, `dtype`,
      ...).

    #### Inference, determinism and the scale of the loss

    * `inference_mode='hard'` (the default) draws a fresh sample at every
      call: `predict` on the same input twice gives two different outputs,
      as a stochastic layer should. For a deterministic output at test time
      construct the layer with `inference_mode='mode'`. The mode only
      decides what the layer returns when not training; training always
      uses samples, so there is no reason to switch modes after training.
    * `inference_mode` is fixed at construction and is a read-only
      property: Keras traces and caches `predict` on its first call, so a
      mode changed afterwards would silently have no effect. For another
      mode, build a new layer, e.g. from
      `{**layer.get_config(), "inference_mode": "mode"}` with
      `type(layer).from_config`, and copy the weights with `set_weights`.
    * The divergence is summed over all latent axes of an example and
      averaged over the batch, as the negative ELBO wants. Keras' built-in
      losses average over the output's last axis too
      (`keras.losses.BinaryCrossentropy` is the mean over pixels), which
      puts the reconstruction term on a per-pixel scale, hundreds of times
      below the KL of a VAE. Sum the reconstruction over the example's
      values instead, e.g. with a loss function that returns
      `tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(x, logits), -1)`
      per example (Keras then averages it over the batch; see the example
      below).

    Recommended set-ups: an L0 gate (feature selection, pruning) is
    `HardConcreteLatent(divergence="l0", kl_weight=lambda_,
    inference_mode="mode")`, deterministic at test time (the test-time gate
    of Louizos et al.); a VAE uses the default `divergence="kl"` and
    `kl_weight=1`, a summed reconstruction loss as above, and
    `inference_mode='mode'` for deterministic reconstructions (or `'hard'`
    to sample the discrete latent).

    #### Examples

    ```python
    import keras
    import numpy as np
    import relaxtfp

    # One layer under mixed precision (or set the global policy with
    # keras.mixed_precision.set_global_policy("mixed_float16")).
    layer = relaxtfp.layers.HardConcreteLatent(dtype="mixed_float16", seed=1)
    logits = np.linspace(-30., 30., 20, dtype="float32").reshape(2, 10)
    z = layer(logits, training=True)
    assert z.dtype == "float16" and layer.losses[0].dtype == "float32"
    assert layer.distribution(logits).dtype == layer.distribution_dtype == "float32"
    ```

    ```python
    import keras
    import numpy as np
    import tensorflow as tf
    import relaxtfp

    # A binary VAE: the reconstruction is summed over the pixels, like the KL.
    inputs = keras.Input((784,))
    logits = keras.layers.Dense(32)(inputs)
    z = relaxtfp.layers.StraightThroughRelaxedBernoulliLatent(
        inference_mode="mode", seed=1)(logits)
    model = keras.Model(inputs, keras.layers.Dense(784)(z))

    def reconstruction(x, x_logits):
        return tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=x, logits=x_logits), axis=-1)

    model.compile(optimizer="adam", loss=reconstruction)
    x = np.random.default_rng(0).integers(0, 2, (8, 784)).astype("float32")
    # 'mode': predict is deterministic.
    np.testing.assert_array_equal(model.predict(x, verbose=0),
                                  model.predict(x, verbose=0))
    ```
    """

    # Subclasses set these: whether the layer has a temperature and its
    # default, the divergences it offers (the first is the default), and
    # `_CONFIG`, the names of its own constructor arguments, each stored in
    # the attribute of that name in a JSON-friendly form; `get_config`
    # collects them over the class hierarchy.
    _HAS_TEMPERATURE = True
    _DEFAULT_TEMPERATURE = 1.
    _DIVERGENCES = ("kl",)
    _CONFIG = ()

    def __init__(self,
                 *,
                 temperature=None,
                 kl_weight=1.,
                 inference_mode="hard",
                 divergence=None,
                 seed=None,
                 **kwargs):
        """Creates the layer: see "Arguments shared by every layer" above.

        Raises:
          ValueError: if an argument breaks its rule (the message names it).
        """
        check_backend()
        super().__init__(**kwargs)
        if (not isinstance(kl_weight, numbers.Real) or isinstance(kl_weight, bool)
                or not math.isfinite(kl_weight) or kl_weight < 0.):
            raise ValueError(
                "Argument `kl_weight` must be a finite non-negative number. "
                f"Received: kl_weight={kl_weight!r}")
        if inference_mode not in INFERENCE_MODES:
            raise ValueError(
                f"Argument `inference_mode` must be one of {INFERENCE_MODES}. "
                f"Received: inference_mode={inference_mode!r}")
        if divergence is None:
            divergence = self._DIVERGENCES[0]
        if divergence not in self._DIVERGENCES:
            raise ValueError(
                f"Argument `divergence` must be one of {self._DIVERGENCES}. "
                f"Received: divergence={divergence!r}")
        if seed is not None and (not isinstance(seed, numbers.Integral)
                                 or isinstance(seed, bool)):
            raise ValueError(
                f"Argument `seed` must be an integer or None. Received: seed={seed!r}")
        self.kl_weight = float(kl_weight)
        self._inference_mode = inference_mode
        self.divergence_type = divergence
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        if self._HAS_TEMPERATURE:
            if temperature is None:
                temperature = self._DEFAULT_TEMPERATURE
            self._initial_temperature = check_positive_float(
                temperature, "temperature")
            self.temperature = self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(self._initial_temperature),
                trainable=False,
                autocast=False,
                name="temperature")
        else:
            if temperature is not None:
                raise ValueError(
                    f"{type(self).__name__} has no temperature. "
                    f"Received: temperature={temperature!r}")
            self._initial_temperature = None
            self.temperature = None

    @property
    def inference_mode(self):
        """What the layer returns when not training, fixed at construction.

        `'hard'`, `'mode'` or `'relaxed'` (see the class docstring). Read
        only: Keras caches the traced `predict` function, so a later change
        would not reach it; build a new layer for another mode.
        """
        return self._inference_mode

    @inference_mode.setter
    def inference_mode(self, value):
        raise AttributeError(
            f"`inference_mode` of layer '{self.name}' is fixed at construction "
            f"(Keras caches the traced predict function, so a change would have "
            f"no effect). Build a new layer instead, e.g. "
            f"type(layer).from_config({{**layer.get_config(), "
            f"'inference_mode': {value!r}}}), and copy the weights with "
            f"set_weights.")

    # -- hooks for subclasses ---------------------------------------------------

    def _make_distribution(self, inputs):
        raise NotImplementedError

    def _divergence_elements(self, dist, sample):
        """Divergence per latent element or variable (summed by the caller)."""
        raise NotImplementedError

    def _hard(self, dist, sample):
        """The discrete value behind the training-time `sample`."""
        raise NotImplementedError

    def _mode(self, dist):
        raise NotImplementedError

    def _sample(self, dist, seed):
        return dist.sample(seed=seed)

    def _to_output(self, dist, value):
        return value

    def _set_input_spec(self, input_shape, axes, min_ndim=1, ndim=None):
        """Sets `input_spec` for `build` and checks the building shape.

        Args:
          input_shape: The shape passed to `build`.
          axes: Dict from axis to the size the layer's state fixes.
          min_ndim: Minimum rank of the input (ignored when `ndim` is given).
          ndim: Exact rank of the input, or `None`.
        """
        if ndim is None:
            self.input_spec = keras.InputSpec(min_ndim=min_ndim, axes=axes)
        else:
            self.input_spec = keras.InputSpec(ndim=ndim, axes=axes)
        check_input_shape(self, tuple(input_shape))

    def _check_min_rank(self, input_shape, min_ndim, what):
        """Raises `ValueError` in `build` if the input has fewer than `min_ndim` axes."""
        if len(input_shape) < min_ndim:
            raise ValueError(
                f"{type(self).__name__} needs inputs of rank >= {min_ndim} "
                f"({what}). Received: input_shape={tuple(input_shape)}")

    # -- public API ---------------------------------------------------------------

    @property
    def distribution_dtype(self):
        """The dtype of the distribution, the sample and the divergence.

        The compute dtype, widened to `'float32'` when it is `'float16'` or
        `'bfloat16'` (see the class docstring); the layer's output is cast
        back to the compute dtype.
        """
        dtype = self.compute_dtype
        return "float32" if dtype in _HALF_DTYPES else dtype

    def temperature_value(self, dtype):
        """The current temperature as a `Tensor` of `dtype`."""
        return tf.cast(read_variable(self.temperature), dtype)

    def _convert_inputs(self, inputs):
        """`inputs` as `call` sees them, cast to `distribution_dtype`."""
        inputs = tf.convert_to_tensor(inputs)
        dtype = inputs.dtype
        if dtype_util.is_floating(dtype):
            # As Keras' `__call__` does: float inputs are first rounded to
            # the compute dtype (so `divergence(x)` is the loss `call(x)`
            # adds), unless the layer was made with `autocast=False`.
            if self.autocast:
                inputs = tf.cast(inputs, self.compute_dtype)
        elif not dtype_util.is_integer(dtype):
            raise TypeError(
                f"Argument `inputs` of layer '{self.name}' must be a float or "
                f"integer tensor. Received dtype {dtype_util.name(dtype)}")
        if not self.built:
            # Build as the first call would: weights such as a learned
            # prior or correlation take their shape from the input.
            self.build(tuple(inputs.shape))
        check_input_shape(self, inputs.shape)
        return tf.cast(inputs, self.distribution_dtype)

    def distribution(self, inputs):
        """The relaxtfp distribution that the layer samples for `inputs`.

        Keras 3 layers must return tensors, so the layer exposes its
        distribution through this method instead: it is built from the same
        parameters, temperature and hyperparameters as in `call`, and from
        `inputs` cast as `call` casts them (see the class docstring).

        Args:
          inputs: Float or integer `Tensor`, the layer's input.

        An unbuilt layer is first built for the shape of `inputs`, as by a
        call.

        Returns:
          A `tfp.distributions.Distribution` of dtype `distribution_dtype`
          (float32 under the mixed-precision policies) whose batch shape
          covers the leading axes of `inputs`.

        Raises:
          TypeError: if `inputs` is neither float nor integer.
          ValueError: if the layer is built and `inputs` does not fit its
            `input_spec`.
        """
        return self._make_distribution(self._convert_inputs(inputs))

    def divergence(self, inputs, seed=None):
        """The per-example divergence to the prior that `call` adds as a loss.

        Args:
          inputs: Float or integer `Tensor`, the layer's input, batch axis
            first.
          seed: A stateless seed, used only by Monte Carlo divergences, which
            score one sample drawn with it; `None` draws the seed from the
            layer's seed generator.

        Returns:
          `Tensor` of shape `[batch]` and dtype `distribution_dtype`: the
          divergence summed over all latent axes (the loss added by `call`
          is `kl_weight` times its batch mean).
        """
        dist = self.distribution(inputs)
        sample = None
        if self.divergence_type == "mc":
            sample = self._sample(dist, self._next_seed() if seed is None else seed)
        return reduce_per_example(self._divergence_elements(dist, sample))

    def _next_seed(self):
        if backend.JAX_MODE:
            # The generator's state is a JAX key's raw uint32 data, which
            # relaxtfp's samplers take as a seed.
            return self.seed_generator.next()
        seed = tf.cast(self.seed_generator.next(), tf.int32)
        if tf.distribute.has_strategy() and tf.distribute.in_cross_replica_context():
            return seed
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            seed = tf.random.experimental.stateless_fold_in(
                seed, context.replica_id_in_sync_group)
        return seed

    def call(self, inputs, training=None):
        if _symbolic_trace(inputs):
            return keras.ops.zeros(self.compute_output_shape(inputs.shape),
                                   self.compute_dtype)
        dist = self.distribution(inputs)
        sample = self._sample(dist, self._next_seed())
        if self.kl_weight > 0.:
            divergence = reduce_per_example(
                self._divergence_elements(dist, sample))
            self.add_loss(self.kl_weight * tf.reduce_mean(divergence))
        if self.inference_mode == "relaxed":
            inference = sample
        elif self.inference_mode == "hard":
            inference = self._hard(dist, sample)
        else:
            inference = tf.broadcast_to(self._mode(dist), ps.shape(sample))
        if training is None or isinstance(training, bool):
            value = sample if training else inference
        else:
            value = tf.where(tf.cast(training, tf.bool), sample, inference)
        return tf.cast(self._to_output(dist, value), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        """The shared arguments and every name in the classes' `_CONFIG`."""
        config = super().get_config()
        if self._HAS_TEMPERATURE:
            config["temperature"] = self._initial_temperature
        config.update({
            "kl_weight": self.kl_weight,
            "inference_mode": self.inference_mode,
            "seed": self.seed,
        })
        if len(self._DIVERGENCES) > 1:
            config["divergence"] = self.divergence_type
        for cls in reversed(type(self).__mro__):
            for key in vars(cls).get("_CONFIG", ()):
                config[key] = getattr(self, key)
        return config
