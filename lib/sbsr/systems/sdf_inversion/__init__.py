"""CLIP-guided 3D reconstruction from sketches by inverting a style-based SDF generator (thesis §4.3)."""
