"""Throughput of one training step of every relaxtfp distribution.

A "step" is the work a training loop does with a distribution once per
iteration: build it from its parameters, draw `sample`, score the draw with
`log_prob`, and take the gradient of `sum(sample) + sum(log_prob)` with
respect to every float parameter (`--step sample`: no `log_prob`, and the
gradient of a weighted sum of the sample, the step of a model that only
decodes the sample). Each step is timed eagerly, under
`tf.function` and under `tf.function(jit_compile=True)` (XLA), at element
counts from 1e3 to 1e7, next to its *floor*: drawing as many stateless
Philox uniforms (or normals, whichever the sampler draws) as the sampler
needs, multiplied by a parameter of the same shape and summed, in the same
mode. TFP's `RelaxedBernoulli` and `RelaxedOneHotCategorical` are timed the
same way as reference points.

`--backend jax` times the same steps with `relaxtfp.substrates.jax` and TFP's
JAX substrate, eagerly and under `jax.jit` (the gradient by
`jax.value_and_grad`, each call waited for with `block_until_ready`); the
floor draws with `jax.random` (JAX's default generator). That run needs JAX,
not TensorFlow: the backend is chosen before either is imported.

Elements: for an elementwise (Bernoulli-family) class, one element is one
scalar random variable (parameters of shape `[N]`). For a class whose event
is a K-vector, elements = batch x K (parameters of shape `[N // K, K]`).

Run `python benchmarks/throughput.py --help`; `--quick` runs in about a
minute on an idle 2-core machine. See `benchmarks/README.md`.
"""

import argparse
import dataclasses
import functools
import importlib
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

# Run from a checkout without installing: the repository root is the parent
# of this file's folder.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_io  # noqa: E402

BACKENDS = ("tensorflow", "jax")
# The modes each backend times a step in, by default all of them.
BACKEND_MODES = {"tensorflow": ("eager", "function", "xla"), "jax": ("eager", "jit")}
MODES = BACKEND_MODES["tensorflow"]

SIZES = (10**3, 10**4, 10**5, 10**6, 10**7)
CATEGORIES = (10, 100, 10_000)
QUICK_SIZES = (10**3, 10**6)
QUICK_CATEGORIES = (100,)

TFP_RELAXED_BERNOULLI = "tfd.RelaxedBernoulli"
TFP_RELAXED_ONE_HOT = "tfd.RelaxedOneHotCategorical"


@dataclasses.dataclass(frozen=True)
class Spec:
    """How to benchmark one distribution class.

    Attributes:
      event: "scalar" (parameters `[N]`) or "vector" (parameters `[B, K]`,
        `B = N // K`).
      noise: "uniform" or "normal": what the sampler draws (the floor draws
        the same).
      params: `(n_or_b, k, rng) -> dict` of float32 NumPy parameters; `n_or_b`
        is N for "scalar" and B for "vector" classes.
      build: `(module, **tensors) -> distribution`; `module` is where the
        class lives (the distributions package or its own module).
      noise_shape: `(n_or_b, k) -> shape` of the draws the sampler makes.
      categories: the K values at which a "vector" class is timed.
      quick_categories: the K values used under `--quick`.
      tfp_reference: name of the TFP built-in it is compared with, or None.
      module: the module that defines the class (for classes not yet listed
        in `relaxtfp.distributions.__all__`; see `--include-unexported`).
    """

    event: str
    noise: str
    params: callable
    build: callable
    noise_shape: callable = None
    categories: tuple = CATEGORIES
    quick_categories: tuple = QUICK_CATEGORIES
    tfp_reference: str = None
    module: str = None

    def shape_of_noise(self, m, k):
        if self.noise_shape is not None:
            return tuple(self.noise_shape(m, k))
        return (m,) if self.event == "scalar" else (m, k)


def _f32(x):
    return np.asarray(x, np.float32)


def _logits(rng, *shape):
    return _f32(rng.normal(size=shape))


def _equicorrelation_cholesky(d, rho=0.3):
    corr = np.full((d, d), rho) + (1. - rho) * np.eye(d)
    return _f32(np.linalg.cholesky(corr))


# Class name -> how to build it for N elements (and K). Every name in
# `relaxtfp.distributions.__all__` must be here: `main` fails otherwise.
FACTORIES = {
    "HardConcrete": Spec(
        event="scalar", noise="uniform",
        params=lambda n, k, rng: dict(temperature=_f32(0.5),
                                      logits=_logits(rng, n)),
        build=lambda m, **p: m.HardConcrete(**p),
        tfp_reference=TFP_RELAXED_BERNOULLI,
        module="relaxtfp.distributions.hard_concrete"),
    "StraightThroughBernoulli": Spec(
        event="scalar", noise="uniform",
        params=lambda n, k, rng: dict(logits=_logits(rng, n)),
        build=lambda m, **p: m.StraightThroughBernoulli(**p),
        module="relaxtfp.distributions.straight_through_bernoulli"),
    "StraightThroughRelaxedBernoulli": Spec(
        event="scalar", noise="uniform",
        params=lambda n, k, rng: dict(temperature=_f32(0.5),
                                      logits=_logits(rng, n)),
        build=lambda m, **p: m.StraightThroughRelaxedBernoulli(**p),
        tfp_reference=TFP_RELAXED_BERNOULLI,
        module="relaxtfp.distributions.straight_through_relaxed_bernoulli"),
    "RebarRelaxation": Spec(
        event="scalar", noise="uniform",
        params=lambda n, k, rng: dict(temperature=_f32(0.5),
                                      logits=_logits(rng, n)),
        build=lambda m, **p: m.RebarRelaxation(**p),
        tfp_reference=TFP_RELAXED_BERNOULLI,
        module="relaxtfp.distributions.rebar_relaxation"),
    "StochasticTimesSmooth": Spec(
        event="scalar", noise="uniform",
        params=lambda n, k, rng: dict(logits=_logits(rng, n)),
        build=lambda m, **p: m.StochasticTimesSmooth(**p),
        module="relaxtfp.distributions.stochastic_times_smooth"),
    "GaussianRelaxedBernoulli": Spec(
        event="scalar", noise="normal",
        params=lambda n, k, rng: dict(loc=_f32(0.5 + 0.2 * rng.normal(size=n)),
                                      scale=_f32(0.5)),
        build=lambda m, **p: m.GaussianRelaxedBernoulli(**p),
        module="relaxtfp.distributions.gaussian_relaxed_bernoulli"),
    "CorrelatedRelaxedBernoulli": Spec(
        # K is the event size D; one correlation factor [D, D] shared by
        # the whole batch (its own noise is D normals per event).
        event="vector", noise="normal",
        params=lambda b, k, rng: dict(
            temperature=_f32(0.5), logits=_logits(rng, b, k),
            correlation_cholesky=_equicorrelation_cholesky(k)),
        build=lambda m, **p: m.CorrelatedRelaxedBernoulli(**p),
        categories=(10, 100), quick_categories=(10,),
        module="relaxtfp.distributions.correlated_relaxed_bernoulli"),
    "StraightThroughGumbelSoftmax": Spec(
        event="vector", noise="uniform",
        params=lambda b, k, rng: dict(temperature=_f32(0.5),
                                      logits=_logits(rng, b, k)),
        build=lambda m, **p: m.StraightThroughGumbelSoftmax(**p),
        tfp_reference=TFP_RELAXED_ONE_HOT,
        module="relaxtfp.distributions.straight_through_gumbel_softmax"),
    "DecoupledStraightThroughGumbelSoftmax": Spec(
        event="vector", noise="uniform",
        params=lambda b, k, rng: dict(forward_temperature=_f32(1.),
                                      backward_temperature=_f32(0.5),
                                      logits=_logits(rng, b, k)),
        build=lambda m, **p: m.DecoupledStraightThroughGumbelSoftmax(**p),
        tfp_reference=TFP_RELAXED_ONE_HOT,
        module=("relaxtfp.distributions."
                "decoupled_straight_through_gumbel_softmax")),
    "GeneralizedGumbelSoftmax": Spec(
        # Relaxed (hard=False) weights scored by their Concrete density;
        # `values` (0, 1, ..., K-1) is a float parameter as well.
        event="vector", noise="uniform",
        params=lambda b, k, rng: dict(values=_f32(np.arange(k)),
                                      temperature=_f32(0.5),
                                      logits=_logits(rng, b, k)),
        build=lambda m, **p: m.GeneralizedGumbelSoftmax(**p),
        tfp_reference=TFP_RELAXED_ONE_HOT,
        module="relaxtfp.distributions.generalized_gumbel_softmax"),
    "GumbelSoftmaxTopK": Spec(
        # hard=True: `log_prob` scores k-hot subsets only; k = 5.
        event="vector", noise="uniform",
        params=lambda b, k, rng: dict(temperature=_f32(0.5),
                                      logits=_logits(rng, b, k)),
        build=lambda m, **p: m.GumbelSoftmaxTopK(k=5, hard=True, **p),
        module="relaxtfp.distributions.gumbel_softmax_top_k"),
    "InvertibleGaussian": Spec(
        # A K-category IGR draws K - 1 normals per event.
        event="vector", noise="normal",
        params=lambda b, k, rng: dict(loc=_logits(rng, b, k - 1),
                                      scale=_f32(np.full((b, k - 1), 0.5)),
                                      temperature=_f32(0.5)),
        build=lambda m, **p: m.InvertibleGaussian(**p),
        noise_shape=lambda b, k: (b, k - 1),
        module="relaxtfp.distributions.invertible_gaussian"),
    "LogisticNormalSoftmax": Spec(
        # Diagonal covariance (per-coordinate `scale`).
        event="vector", noise="normal",
        params=lambda b, k, rng: dict(loc=_logits(rng, b, k),
                                      scale=_f32(np.full((b, k), 0.5))),
        build=lambda m, **p: m.LogisticNormalSoftmax(**p),
        module="relaxtfp.distributions.logistic_normal_softmax"),
}

# TFP built-ins, timed as reference points (same parameters as above); `m` is
# the backend's `tfp.distributions`.
REFERENCES = {
    TFP_RELAXED_BERNOULLI: Spec(
        event="scalar", noise="uniform",
        params=lambda n, k, rng: dict(temperature=_f32(0.5),
                                      logits=_logits(rng, n)),
        build=lambda m, **p: m.RelaxedBernoulli(**p)),
    TFP_RELAXED_ONE_HOT: Spec(
        event="vector", noise="uniform",
        params=lambda b, k, rng: dict(temperature=_f32(0.5),
                                      logits=_logits(rng, b, k)),
        build=lambda m, **p: m.RelaxedOneHotCategorical(**p)),
}


# ---------------------------------------------------------------------------
# Steps and floors.


STEPS = ("sample+log_prob", "sample")
STEP_DESCRIPTIONS = {
    "sample+log_prob": "sample + log_prob + gradient of sum(sample) + sum(log_prob)",
    "sample": "sample + gradient of a weighted sum of the sample",
}


def _loss(dist, seed, with_log_prob, ops):
    """The step's loss: `sum(x) + sum(log_prob(x))`, or, without `log_prob`,
    `sum(w * x)` with weights 1, 2, ... along the last axis (a plain sum of a
    point of the simplex is constant, and its gradient zero). `ops` is
    TensorFlow or TFP's TF-API shim on JAX."""
    x = dist.sample(seed=seed)
    if with_log_prob:
        return ops.reduce_sum(x) + ops.reduce_sum(dist.log_prob(x))
    size = x.shape[-1]  # Static where it is known (always under jax.jit).
    size = ops.shape(x)[-1] if size is None else size
    weights = ops.cast(ops.range(1, size + 1), x.dtype)
    return ops.reduce_sum(x * weights)


# TensorFlow steps.


def make_step(spec, module, names, with_log_prob=True):
    """The TensorFlow training-step function of `spec`: `(seed, *params) ->
    scalar`.

    `params` are positional tensors in the order of `names`, so a
    `tf.function` of it traces once per shape. It returns the loss (see
    `_loss`) plus the sum of every gradient, a scalar whose value depends on
    all the work.
    """
    import tensorflow as tf

    def step(seed, *params):
        with tf.GradientTape() as tape:
            tape.watch(params)
            dist = spec.build(module, **dict(zip(names, params)))
            loss = _loss(dist, seed, with_log_prob, tf)
        grads = tape.gradient(loss, params,
                              unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return loss + tf.add_n([tf.reduce_sum(g) for g in grads])

    return step


def _floor_step(noise, shape):
    import tensorflow as tf
    draw = (tf.random.stateless_uniform if noise == "uniform"
            else tf.random.stateless_normal)
    size = int(np.prod(shape))

    def floor(seed, param):
        # Drawn and used as one flat vector: the cheapest way to get the
        # numbers. Under XLA on CPU a draw fused with a [B, K] operand took
        # about 3.5 times as long as the same draw at shape [B * K] (2 cores,
        # TF 2.21); see docs/benchmarks.md.
        u = draw([size], seed=seed, dtype=tf.float32, alg="philox")
        return tf.reduce_sum(u * tf.reshape(param, [size]))

    return floor


def compile_in_mode(fn, mode):
    if mode == "eager":
        return fn
    import tensorflow as tf
    return tf.function(fn, jit_compile=(mode == "xla"), autograph=False)


def tracing_count(fn):
    return fn.experimental_get_tracing_count() if hasattr(
        fn, "experimental_get_tracing_count") else None


def max_intermediate_elements(spec, module, tensors, names):
    """Largest static tensor (number of elements) in the step's top-level
    graph, forward and backward. Ops inside nested function bodies (while
    loops) are not inspected."""
    import tensorflow as tf
    fn = tf.function(make_step(spec, module, names), autograph=False)
    graph = fn.get_concrete_function(
        tf.constant([0, 0], tf.int32), *tensors).graph
    largest = 0
    for op in graph.get_operations():
        for out in op.outputs:
            if out.shape.is_fully_defined():
                largest = max(largest, out.shape.num_elements())
    return largest


# JAX steps.


def make_jax_step(spec, module, names, with_log_prob=True):
    """The JAX training-step function of `spec`: `(seed, *params) -> scalar`,
    the same step as `make_step`, with the gradient by `jax.value_and_grad`.
    `seed` is a raw JAX key (`uint32[2]`)."""
    import jax
    import jax.numpy as jnp
    from tensorflow_probability.python.internal.backend.jax import compat
    ops = compat.v2

    def step(seed, *params):
        def loss(*params):
            dist = spec.build(module, **dict(zip(names, params)))
            return _loss(dist, seed, with_log_prob, ops)

        value, grads = jax.value_and_grad(loss, argnums=tuple(range(len(params))))(*params)
        return value + sum(jnp.sum(g) for g in grads)

    return step


def _jax_floor_step(noise, shape):
    import jax
    import jax.numpy as jnp
    draw = jax.random.uniform if noise == "uniform" else jax.random.normal
    size = int(np.prod(shape))

    def floor(seed, param):
        # Drawn flat, as the TensorFlow floor is.
        u = draw(seed, [size], dtype=jnp.float32)
        return jnp.sum(u * jnp.reshape(param, [size]))

    return floor


class _CountingJit:
    """`jax.jit(fn)` that counts how many times JAX traced `fn` (the
    Python function runs once per trace)."""

    def __init__(self, fn):
        import jax
        self.traces = 0

        def counted(*args):
            self.traces += 1
            return fn(*args)

        self._jitted = jax.jit(counted)

    def __call__(self, *args):
        return self._jitted(*args)


def jax_max_intermediate_elements(spec, module, arrays, names):
    """Largest array (number of elements) in the JAX step's jaxpr, forward
    and backward, nested jaxprs (jitted helpers, loop bodies) included."""
    import jax
    import jax.numpy as jnp
    from jax.extend import core as jax_core

    def largest_in(jaxpr):
        largest = 0
        for eqn in jaxpr.eqns:
            for var in eqn.outvars:
                shape = getattr(var.aval, "shape", ())
                largest = max(largest, int(np.prod(shape, dtype=np.int64)))
            for param in eqn.params.values():
                for sub in param if isinstance(param, (tuple, list)) else (param,):
                    if isinstance(sub, jax_core.ClosedJaxpr):
                        largest = max(largest, largest_in(sub.jaxpr))
                    elif isinstance(sub, jax_core.Jaxpr):
                        largest = max(largest, largest_in(sub))
        return largest

    closed = jax.make_jaxpr(make_jax_step(spec, module, names))(
        jnp.zeros([2], jnp.uint32), *arrays)
    return largest_in(closed.jaxpr)


# ---------------------------------------------------------------------------
# Backends.


@dataclasses.dataclass(frozen=True)
class Backend:
    """What the driver needs from one backend.

    Attributes:
      name: "tensorflow" or "jax".
      modes: the modes a step can be timed in.
      distributions: relaxtfp's distributions package on this backend.
      tfd: TFP's distributions on this backend.
      versions: library versions for the results' metadata.
      module_name: maps a `Spec.module` (a `relaxtfp.distributions` module)
        to its name on this backend.
      constant: NumPy array -> tensor.
      seeds: `count -> list` of distinct seeds the step accepts.
      make_step, floor_step: as `make_step` and `_floor_step`.
      compile: `(fn, mode) -> callable`.
      call: `(compiled, seed, *args) -> None`, waiting for the result.
      tracing_count: `compiled -> int or None`.
      max_intermediate_elements: as `max_intermediate_elements`, read from
        the step's graph (TensorFlow) or jaxpr (JAX).
    """

    name: str
    modes: tuple
    distributions: object
    tfd: object
    versions: dict
    module_name: callable
    constant: callable
    seeds: callable
    make_step: callable
    floor_step: callable
    compile: callable
    call: callable
    tracing_count: callable
    max_intermediate_elements: callable


@functools.lru_cache(maxsize=None)
def load_backend(name):
    """Imports the libraries of backend `name` and returns its `Backend`."""
    if name == "tensorflow":
        import tensorflow as tf
        import tensorflow_probability as tfp

        import relaxtfp
        import relaxtfp.distributions as rd
        return Backend(
            name=name, modes=BACKEND_MODES[name], distributions=rd,
            tfd=tfp.distributions,
            versions=dict(relaxtfp=relaxtfp.__version__, tensorflow=tf.__version__,
                          tensorflow_probability=tfp.__version__),
            module_name=lambda module: module,
            constant=tf.constant,
            seeds=lambda count: [tf.constant([i, 1234], tf.int32) for i in range(count)],
            make_step=make_step, floor_step=_floor_step, compile=compile_in_mode,
            call=lambda fn, seed, *args: fn(seed, *args).numpy(),
            tracing_count=tracing_count,
            max_intermediate_elements=max_intermediate_elements)
    if name == "jax":
        import jax
        import jax.numpy as jnp
        import jaxlib
        from tensorflow_probability.substrates import jax as tfp

        import relaxtfp
        from relaxtfp.substrates import jax as rj
        device = jax.devices()[0]

        def compile_jax(fn, mode):
            return _CountingJit(fn) if mode == "jit" else fn

        return Backend(
            name=name, modes=BACKEND_MODES[name], distributions=rj.distributions,
            tfd=tfp.distributions,
            versions=dict(relaxtfp=relaxtfp.__version__, jax=jax.__version__,
                          jaxlib=jaxlib.__version__,
                          tensorflow_probability=tfp.__version__,
                          device=f"{device.platform} ({device.device_kind})"),
            module_name=lambda module: module.replace(
                "relaxtfp.", "relaxtfp.substrates.jax.", 1),
            constant=jnp.asarray,
            seeds=lambda count: [jnp.asarray([i, 1234], jnp.uint32) for i in range(count)],
            make_step=make_jax_step, floor_step=_jax_floor_step, compile=compile_jax,
            call=lambda fn, seed, *args: fn(seed, *args).block_until_ready(),
            tracing_count=lambda fn: fn.traces if isinstance(fn, _CountingJit) else None,
            max_intermediate_elements=jax_max_intermediate_elements)
    raise ValueError(f"backend must be one of {BACKENDS}; got {name!r}.")


def time_callable(call, budget_s, min_repeats, max_repeats, seeds):
    """Median wall time (s) of `call(seed)` after one warm-up call; the number
    of repeats is chosen so that the cell costs about `budget_s`."""
    call(seeds[0])  # Warm-up: tracing, XLA compilation, allocations.
    t0 = time.perf_counter()
    call(seeds[1])
    times = [time.perf_counter() - t0]
    repeats = int(min(max_repeats,
                      max(min_repeats, budget_s / max(times[0], 1e-6))))
    for i in range(1, repeats):
        seed = seeds[(i + 1) % len(seeds)]
        t0 = time.perf_counter()
        call(seed)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


# ---------------------------------------------------------------------------
# Driver.


def resolve_classes(include_unexported=False, factories=None, backend=None):
    """(name, spec, module) for every class to time on `backend` (a
    `Backend`; by default TensorFlow's). Raises if a class in
    `relaxtfp.distributions.__all__` has no entry in `FACTORIES`."""
    factories = FACTORIES if factories is None else factories
    backend = load_backend("tensorflow") if backend is None else backend
    rd = backend.distributions
    exported = list(rd.__all__)
    missing = [name for name in exported if name not in factories]
    if missing:
        raise KeyError(
            "benchmarks/throughput.py has no FACTORIES entry for "
            f"{missing}: add one (how to build it for N elements and K) so "
            "that every exported distribution is benchmarked.")
    out = [(name, factories[name], rd) for name in exported]
    if include_unexported:
        for name, spec in factories.items():
            if name in exported or spec.module is None:
                continue
            try:
                module = importlib.import_module(backend.module_name(spec.module))
            except ImportError:
                continue
            if hasattr(module, name):
                out.append((name, spec, module))
    return out


def cells(spec, sizes, categories, quick=False):
    """(N, K or None, leading size m) for each cell the spec is timed at.
    `categories` (from `--categories`) overrides the spec's own K values."""
    if categories is None:
        categories = spec.quick_categories if quick else spec.categories
    for n in sizes:
        if spec.event == "scalar":
            yield n, None, n
        else:
            for k in categories:
                if n // k >= 1:
                    yield n, k, n // k


def _error_line(error):
    """`Type: first line of the message`, at most 300 characters."""
    message = str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0] if message else ''}"[:300]


def _load_average():
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def time_class(name, spec, module, backend, args, sizes, categories, seeds,
               floor_cache, largest_mode):
    """The rows of one class, one per cell and mode."""
    rows = []
    for n, k, m in cells(spec, sizes, categories, args.quick):
        rng = np.random.default_rng(0)
        params = spec.params(m, k, rng)
        names = tuple(sorted(params))
        tensors = [backend.constant(params[p]) for p in names]
        noise_shape = spec.shape_of_noise(m, k)
        floor_param = backend.constant(rng.normal(size=noise_shape).astype(np.float32))
        largest = (backend.max_intermediate_elements(spec, module, tensors, names)
                   if largest_mode in args.modes and not args.no_graph_check else None)
        for mode in args.modes:
            fn = backend.compile(
                backend.make_step(spec, module, names, args.step == STEPS[0]), mode)
            step_s, reps = time_callable(
                lambda seed: backend.call(fn, seed, *tensors), args.budget,
                args.min_repeats, args.max_repeats, seeds)
            key = (spec.noise, noise_shape, mode)
            if key not in floor_cache:
                ffn = backend.compile(backend.floor_step(spec.noise, noise_shape), mode)
                floor_cache[key] = time_callable(
                    lambda seed: backend.call(ffn, seed, floor_param), args.budget,
                    args.min_repeats, args.max_repeats, seeds)[0]
            floor_s = floor_cache[key]
            row = dict(
                distribution=name, k=k, elements=n,
                noise=spec.noise, noise_draws=int(np.prod(noise_shape)),
                mode=mode, step_ms=1e3 * step_s, floor_ms=1e3 * floor_s,
                ratio_to_floor=step_s / floor_s, repeats=reps,
                tracing_count=backend.tracing_count(fn),
                max_intermediate_elements=largest,
                tfp_reference=spec.tfp_reference)
            rows.append(row)
            if args.verbose:
                print(f"{name:40s} K={k!s:6s} N={n:>9d} {mode:8s} "
                      f"{row['step_ms']:9.3f} ms  floor {row['floor_ms']:8.3f} ms"
                      f"  x{row['ratio_to_floor']:.2f}", file=sys.stderr,
                      flush=True)
    return rows


def run(args):
    """Times every class of `args` on `args.backend`; returns `{meta, rows,
    failures}`. A class that raises is recorded in `failures` (with the
    error's first line) and reported on stderr, and the run goes on."""
    backend = load_backend(args.backend)
    sizes = tuple(s for s in (args.sizes or (QUICK_SIZES if args.quick else SIZES))
                  if s <= args.max_elements)
    categories = tuple(args.categories) if args.categories else None

    classes = resolve_classes(args.include_unexported, backend=backend)
    if args.classes:
        wanted = set(args.classes)
        classes = [c for c in classes if c[0] in wanted]
    refs = [(name, spec, backend.tfd) for name, spec in REFERENCES.items()]
    if not args.no_tfp:
        classes = classes + refs

    seeds = backend.seeds(8)
    # The graph inspection runs where the compiled mode has a graph to read.
    largest_mode = "function" if backend.name == "tensorflow" else "jit"
    floor_cache = {}
    rows, failures = [], []
    load_start = _load_average()
    t_start = time.perf_counter()
    for name, spec, module in classes:
        try:
            rows.extend(time_class(name, spec, module, backend, args, sizes, categories,
                                   seeds, floor_cache, largest_mode))
        except Exception as error:  # noqa: BLE001 (reported, and the run goes on)
            failures.append(dict(distribution=name, error=_error_line(error)))
            print(f"{name}: FAILED on {backend.name}: {_error_line(error)}",
                  file=sys.stderr, flush=True)
    # "vs TFP": step time over the TFP built-in's step time in the same cell.
    by_cell = {(r["distribution"], r["k"], r["elements"], r["mode"]): r
               for r in rows}
    for r in rows:
        ref = r["tfp_reference"]
        other = by_cell.get((ref, r["k"], r["elements"], r["mode"])) if ref else None
        r["vs_tfp"] = r["step_ms"] / other["step_ms"] if other else None
    return dict(
        meta=dict(
            backend=backend.name, **backend.versions, python=platform.python_version(),
            machine=platform.machine(), cpu_count=os.cpu_count(),
            quick=bool(args.quick), modes=list(args.modes), sizes=list(sizes),
            categories=None if categories is None else list(categories),
            budget_s=args.budget,
            min_repeats=args.min_repeats, max_repeats=args.max_repeats,
            dtype="float32", statistic="median", step=args.step,
            load_average_start=load_start, load_average_end=_load_average(),
            wall_s=time.perf_counter() - t_start),
        rows=rows, failures=failures)


def _fmt(x, spec=".3g"):
    return "" if x is None else format(x, spec)


def markdown_table(result):
    meta = result["meta"]
    step = (STEP_DESCRIPTIONS[meta["step"]] if "step" in meta
            else STEP_DESCRIPTIONS[STEPS[0]])
    if meta.get("backend", "tensorflow") == "jax":
        versions = (f"JAX {meta['jax']} on {meta['device']}, "
                    f"TFP {meta['tensorflow_probability']} (JAX substrate)")
    else:
        versions = f"TF {meta['tensorflow']}, TFP {meta['tensorflow_probability']}"
    load = meta.get("load_average_start")
    lines = [
        f"Step = {step}, "
        f"float32, median wall time. relaxtfp {meta['relaxtfp']}, {versions}, "
        f"{meta['cpu_count']} CPUs ({meta['machine']})"
        + (f", load average {load[0]:.2f} at the start"
           f" and {meta['load_average_end'][0]:.2f} at the end." if load else "."),
        "",
        "| distribution | K | elements | mode | step (ms) | floor (ms) "
        "| x floor | vs TFP | traces |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['distribution']} | {'' if r['k'] is None else r['k']} "
            f"| {r['elements']:.0e} | {r['mode']} | {r['step_ms']:.3g} "
            f"| {r['floor_ms']:.3g} | {r['ratio_to_floor']:.2f} "
            f"| {_fmt(r['vs_tfp'], '.2f')} "
            f"| {'' if r['tracing_count'] is None else r['tracing_count']} |")
    failures = result.get("failures") or []
    if failures:
        lines += ["", f"Failed on {meta.get('backend', 'tensorflow')} (not timed):", ""]
        lines += [f"* {f['distribution']}: `{f['error']}`" for f in failures]
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", choices=BACKENDS, default="tensorflow",
                   help="tensorflow: relaxtfp and TFP on TensorFlow; jax: "
                   "relaxtfp.substrates.jax and TFP's JAX substrate, under jax.jit "
                   "(needs JAX, not TensorFlow) (default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="elements 1e3 and 1e6, K = 100 only (10 for "
                   "CorrelatedRelaxedBernoulli), short timing budget")
    p.add_argument("--max-elements", type=float, default=float("inf"),
                   help="skip cells with more elements than this")
    p.add_argument("--sizes", type=lambda s: int(float(s)), nargs="+",
                   help="element counts (default 1e3 .. 1e7)")
    p.add_argument("--categories", type=int, nargs="+",
                   help="K values for vector classes (default: each class's "
                   "own, 10 100 10000 for most)")
    p.add_argument("--modes", nargs="+", choices=sorted({m for modes in BACKEND_MODES.values()
                                                         for m in modes}),
                   help="default: every mode of the backend; " + "; ".join(
                       f"{b}: {' '.join(m)}" for b, m in BACKEND_MODES.items()))
    p.add_argument("--classes", nargs="+", help="only these distributions")
    p.add_argument("--step", choices=STEPS, default=STEPS[0],
                   help="what a step does: " + "; ".join(
                       f"{k}: {v}" for k, v in STEP_DESCRIPTIONS.items())
                   + " (default: %(default)s)")
    p.add_argument("--include-unexported", action="store_true",
                   help="also time FACTORIES entries whose class exists in its "
                   "module but is not yet in relaxtfp.distributions.__all__")
    p.add_argument("--no-tfp", action="store_true",
                   help="skip the TFP reference distributions")
    p.add_argument("--no-graph-check", action="store_true",
                   help="skip the largest-intermediate-tensor graph inspection")
    p.add_argument("--budget", type=float,
                   help="seconds of timed calls per cell (default 1, quick 0.15)")
    p.add_argument("--min-repeats", type=int, help="default 5, quick 3")
    p.add_argument("--max-repeats", type=int, help="default 200, quick 15")
    p.add_argument("--json", help="default: benchmarks/results/throughput.json (with "
                   "--backend jax, throughput_jax.json), with --quick under "
                   "bench_output/; '' for none")
    p.add_argument("--markdown", help="default: benchmarks/results/throughput.md (with "
                   "--backend jax, throughput_jax.md), with --quick under "
                   "bench_output/; '' for none")
    p.add_argument("--verbose", action="store_true",
                   help="print each cell to stderr as it finishes")
    args = p.parse_args(argv)
    if args.modes is None:
        args.modes = list(BACKEND_MODES[args.backend])
    wrong = [m for m in args.modes if m not in BACKEND_MODES[args.backend]]
    if wrong:
        p.error(f"--modes: {wrong} are not modes of --backend {args.backend}; "
                f"its modes are {list(BACKEND_MODES[args.backend])}")
    if args.budget is None:
        args.budget = 0.15 if args.quick else 1.0
    if args.min_repeats is None:
        args.min_repeats = 3 if args.quick else 5
    if args.max_repeats is None:
        args.max_repeats = 15 if args.quick else 200
    stem = "throughput" if args.backend == "tensorflow" else f"throughput_{args.backend}"
    return bench_io.resolve_outputs(
        args, {"json": f"{stem}.json", "markdown": f"{stem}.md"}, args.quick)


def main(argv=None):
    args = parse_args(argv)
    result = run(args)
    table = markdown_table(result)
    for path in (args.json, args.markdown):
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if args.json:
        with open(args.json, "w") as f:
            # One row per line: small, and diffs well between runs.
            f.write('{"meta": %s,\n "rows": [\n  %s\n ],\n "failures": %s}\n' % (
                json.dumps(result["meta"]),
                ",\n  ".join(json.dumps(r) for r in result["rows"]),
                json.dumps(result["failures"])))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table)
    print(table)
    return result


if __name__ == "__main__":
    main()
