"""The core paper: sketch-based 3D shape retrieval with CLIP features (thesis §4.2, App. B, supplement 002)."""
