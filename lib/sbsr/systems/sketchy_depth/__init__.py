"""SketchyDepth: RGB images and depth maps from freehand scene sketches (thesis ch. 3, App. A).

:mod:`.data` procedural scenes (RGB, z-buffer depth, scene sketch, masks, partial images, fb/bo, splits);
:mod:`.models` the pix2pix U-Net and PatchGAN; :mod:`.train` the baseline, the two ablations, the full model
and the monocular-depth stand-in for MiDaS (``--retrain`` for the shipped quick checkpoints); :mod:`.metrics`
FD on encoder features, SSIM, depth errors; :mod:`.effects` depth-driven effects and the 3D photo;
:mod:`.experiments` the chapter's drivers; :mod:`.claims` §3.4.3-3.4.4 checked; :mod:`.figures` plotly figures.
The GAN and L1 losses are shared: :mod:`sbsr.losses.gan`.
"""
