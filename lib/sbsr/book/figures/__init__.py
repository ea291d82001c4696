"""Plotly figure builders used by the chapters (one module per concern; import the module you need):

- :mod:`.gallery`    image grids, 3D meshes, domain comparisons (data chapter)
- :mod:`.study`      heatmaps with confidence intervals (CLIP view study, Fig. 4.1/4.2)
- :mod:`.sweeps`     accuracy-versus-parameter plots (Tables 4.1, 4.2)
- :mod:`.embedding`  t-SNE maps of feature spaces coloured by class and domain (Song Fig. 3, Ji Fig. 5)
- :mod:`.retrieval`  query + top-k retrieval examples with the ground truth highlighted (Fig. 4.3, 4.4, B.1)
"""
