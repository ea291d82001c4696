"""Cross-domain encoding of 3D voxels and 2D images with a triplet loss (Ji & Wang, seed 004)."""
