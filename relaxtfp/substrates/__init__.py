"""relaxtfp on the substrates that TFP supports besides TensorFlow.

`relaxtfp.substrates.jax` is relaxtfp for `tfp.substrates.jax` and Keras 3 on
the JAX backend. It holds the same public modules as `relaxtfp`
(`distributions`, `estimators`, `laplace_bridge`, `layers`) and is made from
the same source files: see `relaxtfp.substrates.jax` and the design page
`docs/substrates.md`.
"""
