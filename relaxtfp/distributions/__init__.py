"""Relaxed and straight-through discrete distributions, as TFP distributions."""

from relaxtfp.distributions.hard_concrete import HardConcrete

__all__ = [
    "HardConcrete",
]
