"""DSMN and the semantic focus loss: unsupervised image-based 3D model retrieval (Song et al. 2023, seed 000)."""
