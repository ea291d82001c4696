"""Joint learning of 3D shape retrieval and deformation (Uy et al. 2021, seed 001)."""
