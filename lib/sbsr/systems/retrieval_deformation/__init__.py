"""Joint learning of 3D shape retrieval and deformation (Uy et al. 2021, seed 001, §2-3).

:mod:`.data` builds per class a source database and disjoint targets from the procedural generator (part
labels from :mod:`sbsr.shapes`, images from :mod:`sbsr.render`); :mod:`.models` holds the structure-aware
deformation module (§2.2), the target encoders and the retrieval embedding; :mod:`.train` the soft retrieval
(Eq. 1), the embedding loss (Eq. 2-3), the weighted deformation loss (Eq. 4), alternating updates and the
inner deformation optimisation (IDO); :mod:`.experiments` the rows of Tables 1 and 2; :mod:`.claims` the
statements of §3.1; :mod:`.figures` Figs. 1-4.
"""
