"""The contract every relaxtfp distribution satisfies, as a test base class.

The contract runs on the substrate of the test run (TensorFlow or JAX, see
`tests/substrates.py`). A test module subclasses `DistributionContract` (the
subclass's name starts with `Test`, so pytest collects the inherited tests)
and implements, using `self.tf` (TensorFlow, or TFP's TF-API shim on JAX) and
`self.rtd` (the substrate's relaxtfp distributions):

  * `make(dtype)`: a distribution whose parameters have *different* shapes
    that broadcast to `BATCH_SHAPE`;
  * `make_iid(n, dtype)`: a distribution of batch shape [n] whose elements
    all have the same parameters, built so that at least one parameter is
    scalar-shaped (the reference library shared one noise draw across the
    batch exactly in that situation);
  * `parameters(dtype)`: `(build, params)`, a list of float parameter
    tensors and a function that builds the distribution from them, for the
    gradient checks (`build(*params)`);
  * `extreme_cases(dtype)`: a list of `(build, params)` pairs with extreme
    parameters (temperatures 1e-3..1e3, logits +-50) that must give finite
    samples, log-probs and gradients;
  * `EVENT_SHAPE`, and `REPARAMETERIZED` (whether gradients flow through
    samples).

`dtype` is a NumPy dtype name ("float32" or "float64"), which both
substrates accept.

What it checks: shapes over sample shapes x broadcast batch shapes, slicing,
float32 and float64, seeds (same seed -> same sample, different seeds ->
different samples), independent noise across elements, identical results
eagerly, in graph mode and under XLA for a constant seed (on JAX: eagerly
and under `jax.jit`), determinism under XLA for run-time seeds (whose
Philox stream on TensorFlow differs from the eager one), no retracing for
new seeds, use as a `CompositeTensor` (on JAX: a pytree passed through
`jax.jit`), finite gradients with respect to every parameter, deferred
`tf.Variable` parameters (TensorFlow only: JAX has no variables), and
finiteness at the extremes.
"""

import numpy as np
import pytest

BATCH_SHAPE = (2, 3)
SAMPLE_SHAPES = [(), (5,), (4, 2)]
DTYPES = ["float32", "float64"]


class DistributionContract:
    """Base class; see the module docstring."""

    EVENT_SHAPE = ()
    REPARAMETERIZED = True

    @pytest.fixture(autouse=True)
    def _use_substrate(self, substrate):
        self.sub = substrate
        self.tf = substrate.tf
        self.rtd = substrate.rtd

    def make(self, dtype):
        raise NotImplementedError

    def make_iid(self, n, dtype):
        raise NotImplementedError

    def extreme_cases(self, dtype):
        raise NotImplementedError

    def parameters(self, dtype):
        """Returns (build, [parameters]); see the module docstring."""
        raise NotImplementedError

    def _grads_finite(self, build, params, sample_shape, seed):
        """Gradients of the sample (if reparameterized) and of the log-prob of
        the stopped sample, with respect to every parameter, are finite."""
        tf = self.tf
        sources = (["sample"] if self.REPARAMETERIZED else []) + ["log_prob"]
        for source in sources:
            def loss(*p, source=source):
                d = build(*p)
                x = d.sample(sample_shape, seed=seed)
                if source == "sample":
                    return tf.reduce_sum(x)
                return tf.reduce_sum(d.log_prob(tf.stop_gradient(x)))
            grads = self.sub.gradients(loss, *params)
            for g in grads:
                assert g is not None, source
                assert np.all(np.isfinite(self.sub.numpy(g))), (source, build(*params))

    # -- shapes ---------------------------------------------------------------

    @pytest.mark.parametrize("sample_shape", SAMPLE_SHAPES)
    def test_sample_and_log_prob_shapes(self, sample_shape):
        d = self.make("float32")
        assert tuple(d.batch_shape) == BATCH_SHAPE
        assert tuple(d.event_shape) == tuple(self.EVENT_SHAPE)
        np.testing.assert_array_equal(d.batch_shape_tensor(), BATCH_SHAPE)
        np.testing.assert_array_equal(d.event_shape_tensor(), self.EVENT_SHAPE)
        x = d.sample(sample_shape, seed=self.sub.seed(1, 2))
        assert tuple(x.shape) == sample_shape + BATCH_SHAPE + tuple(self.EVENT_SHAPE)
        lp = d.log_prob(x)
        assert tuple(lp.shape) == sample_shape + BATCH_SHAPE
        assert np.all(np.isfinite(self.sub.numpy(lp)))

    def test_samples_of_rank_above_five(self):
        """Sample shape [2, 1, 2, 1] on the batch: TensorFlow's CPU Softmax
        kernel rejects inputs of rank > 5, which such shapes reach."""
        d = self.make("float32")
        sample_shape = (2, 1, 2, 1)
        x = d.sample(sample_shape, seed=self.sub.seed(3, 4))
        assert tuple(x.shape) == sample_shape + BATCH_SHAPE + tuple(self.EVENT_SHAPE)
        lp = d.log_prob(x)
        assert tuple(lp.shape) == sample_shape + BATCH_SHAPE
        assert np.all(np.isfinite(self.sub.numpy(lp)))

    def test_slicing(self):
        d = self.make("float32")
        assert tuple(d[0].batch_shape) == BATCH_SHAPE[1:]
        assert tuple(d[:, 1:].batch_shape) == (BATCH_SHAPE[0], BATCH_SHAPE[1] - 1)
        x = d[1, 2].sample(3, seed=self.sub.seed(1, 2))
        assert tuple(x.shape) == (3,) + tuple(self.EVENT_SHAPE)

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_dtype(self, dtype):
        d = self.make(dtype)
        assert self.sub.dtype_name(d.dtype) == dtype
        x = d.sample(4, seed=self.sub.seed(1, 2))
        assert self.sub.dtype_name(x.dtype) == dtype
        assert self.sub.dtype_name(d.log_prob(x).dtype) == dtype

    # -- seeds and independence -----------------------------------------------

    def test_seeds(self):
        d = self.make("float64")
        a = self.sub.numpy(d.sample(50, seed=self.sub.seed(7, 8)))
        b = self.sub.numpy(d.sample(50, seed=self.sub.seed(7, 8)))
        c = self.sub.numpy(d.sample(50, seed=self.sub.seed(7, 9)))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)

    def test_independent_noise_across_elements(self):
        # If all n elements shared one noise draw, the mean over the batch
        # would vary across draws as much as a single element does. With
        # independent noise its variance is var / n. With n = 512 and 400
        # draws, the ratio below is ~1/512 when correct and ~1 when noise is
        # shared; the chance that a correct sampler exceeds 16/512 is far
        # below 1e-9 (chi-square with 399 degrees of freedom at 16x its mean).
        n, draws = 512, 400
        d = self.make_iid(n, "float64")
        x = self.sub.numpy(d.sample(draws, seed=self.sub.seed(3, 4)))
        x = x.reshape(draws, n, -1)[..., 0]
        element_var = x.var()
        assert element_var > 0.
        batch_mean_var = x.mean(axis=1).var()
        assert batch_mean_var / element_var < 16. / n

    # -- execution modes ------------------------------------------------------

    def test_eager_function_and_xla_agree(self):
        def run():
            d = self.make("float32")
            x = d.sample(6, seed=self.sub.seed(5, 6))
            return x, d.log_prob(x)

        x0, lp0 = run()
        x1, lp1 = self.sub.function(run)()
        x2, lp2 = self.sub.xla(run)()
        for x, lp in ((x1, lp1), (x2, lp2)):
            np.testing.assert_allclose(x, x0, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(lp, lp0, rtol=1e-4, atol=1e-4)

    def test_xla_with_run_time_seeds_is_deterministic(self):
        # Under XLA on TensorFlow, Philox streams for run-time seeds differ
        # from eager ones (see relaxtfp.internal.noise); what must hold is
        # that the same seed gives the same sample and another seed another.
        d = self.make("float32")
        f = self.sub.xla(lambda s: d.sample(4, seed=s))
        a = self.sub.numpy(f(self.sub.seed(3, 4)))
        b = self.sub.numpy(f(self.sub.seed(3, 4)))
        c = self.sub.numpy(f(self.sub.seed(3, 5)))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
        assert np.all(np.isfinite(a))

    def test_no_retracing(self):
        d = self.make("float32")
        traces = []

        def sample(s):
            traces.append(None)
            return d.sample(3, seed=s)

        f = self.sub.function(sample)
        for i in range(4):
            f(self.sub.seed(i, 1))
        assert len(traces) == 1

    def test_composite_tensor(self):
        # TFP's distributions are CompositeTensors on TensorFlow and pytrees
        # on JAX: either way they pass into a compiled function as arguments.
        d = self.make("float32")
        seed = self.sub.seed(1, 2)
        f = self.sub.function(lambda dist: dist.log_prob(dist.sample(seed=seed)))
        lp = f(d)
        assert tuple(lp.shape) == BATCH_SHAPE
        np.testing.assert_allclose(lp, d.log_prob(d.sample(seed=seed)), rtol=1e-5, atol=1e-5)

    def test_gradients_with_respect_to_parameters(self):
        build, params = self.parameters("float32")
        self._grads_finite(build, params, 8, self.sub.seed(1, 2))

    def test_variable_parameters(self):
        if self.sub.is_jax:
            pytest.skip("JAX has no variables; see test_gradients_with_respect_to_parameters")
        tf = self.tf
        build, params = self.parameters("float32")
        variables = [tf.Variable(p) for p in params]
        d = build(*variables)
        assert len(d.trainable_variables) == len(variables)
        with tf.GradientTape() as tape:
            x = d.sample(8, seed=(1, 2))
            loss = tf.reduce_sum(d.log_prob(tf.stop_gradient(x)))
            if self.REPARAMETERIZED:
                loss += tf.reduce_sum(x)
        grads = tape.gradient(loss, variables)
        for g in grads:
            assert g is not None
            assert np.all(np.isfinite(tf.convert_to_tensor(g).numpy()))

    # -- extremes ----------------------------------------------------------------

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_finite_at_extremes(self, dtype):
        for build, params in self.extreme_cases(dtype):
            d = build(*params)
            x = d.sample(200, seed=self.sub.seed(1, 2))
            lp = d.log_prob(x)
            assert np.all(np.isfinite(self.sub.numpy(x))), d
            assert np.all(np.isfinite(self.sub.numpy(lp))), (d, lp)
            self._grads_finite(build, params, 200, self.sub.seed(1, 2))
