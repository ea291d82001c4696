"""DSMN and the semantic focus loss: unsupervised image-based 3D model retrieval (Song et al. 2023, seed 000).

Labelled natural images are the queries, unlabelled 3D models (12 Phong views each) the gallery. Modules:
:mod:`.data` (procedural MI3DOR / MI3DOR-2 stand-ins, the real MI3DOR folder adapter, cached backbone
features), :mod:`.models` (backbone, DSMN of Eq. 1, bottleneck, classifier, discriminator), :mod:`.train`
(L_ce, L_adv, L_sf, JAN, one loop; ``python -m sbsr.systems.dsmn.experiments --retrain``), :mod:`.experiments`
(the runs behind Tables 1-5), :mod:`.claims` (§4.4 checked), :mod:`.figures` (Figs. 2-5). The six metrics are
the shared :mod:`sbsr.retrieval.class_metrics`; the losses the shared :mod:`sbsr.losses.domain`.
"""
