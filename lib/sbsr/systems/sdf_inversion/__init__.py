"""CLIP-guided 3D reconstruction from sketches by inverting a style-based SDF generator (thesis §4.3).

* :mod:`.models` - the style-based SDF generator (mapping z -> w, per-layer style vectors modulating 3D
  convolutions from a learned constant, trilinear look-up + MLP -> SDF) and its checkpoints;
* :mod:`.train` - auto-decoder training on procedural chairs (``python -m sbsr.systems.sdf_inversion.train
  --retrain`` rewrites the shipped checkpoint in ``weights/``);
* :mod:`.data` - target chairs: sketches and signed distance grids (cached);
* :mod:`.inversion` - style-level inversion with 3D (Eq. 4.6) and encoder-feature (Eq. 4.7) losses, the
  argmax variant, the L1 pull and multi-view extensions;
* :mod:`.experiments` - the chapter's drivers and tables; :mod:`.claims`; :mod:`.figures`.

The differentiable SDF renderer is shared: :mod:`sbsr.render.sdf`. Chapter: ``notebooks/41_sdf_inversion.py``.
"""
