"""NetSpace: an encoder-decoder over trained networks (thesis ch. 5, App. C).

Modules: :mod:`.data` (the image tasks and chairs' SDFs), :mod:`.models` (LeNetLike, VanillaCNN, ResNet8/32/56,
SIREN), :mod:`.prep` (batch-norm fusion, Eq. C.1-C.7; the PRep and its inverse, App. C.2), :mod:`.netspace`
(encoder, decoder, ClassId head), :mod:`.populations` (cached populations of trained instances),
:mod:`.train` (training loops, latent space optimisation), :mod:`.experiments` (drivers returning tables),
:mod:`.claims` (§5.4's statements checked) and :mod:`.figures` (plotly). The losses are shared:
:mod:`sbsr.losses.distill`.
"""
