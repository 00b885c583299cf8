"""Private helpers shared by relaxtfp's modules.

Everything relaxtfp takes from `tensorflow_probability.python.internal` is
imported here and only here (see `tfp_internal`), so that a change in TFP's
private API touches one file.
"""
