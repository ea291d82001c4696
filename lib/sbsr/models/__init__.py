"""Trainable modules (thesis §4.2.2.2): the feature modulation layer that weights or masks CLIP features."""

from .modulation import MODES, FeatureModulation, load_modulation, save_modulation

__all__ = ["FeatureModulation", "MODES", "save_modulation", "load_modulation"]
