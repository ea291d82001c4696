"""sbsr: sketch- and image-based 3D shape retrieval, the library behind the companion book.

Subpackages, one per concern:

- :mod:`sbsr.config`     profiles, devices, seeding, project paths
- :mod:`sbsr.reproduce`  the papermill batch runner (``python -m sbsr.reproduce``)
- :mod:`sbsr.book`       helpers for notebooks: results tables beside the published ones, plotting set-up
- :mod:`sbsr.shapes`     procedural 3D shape collections with part labels
- :mod:`sbsr.render`     camera model, rasterizer, line renderings
- :mod:`sbsr.sketch`     the freehand-sketch simulator
- :mod:`sbsr.data`       named datasets, real-data adapters, caches
- :mod:`sbsr.encoders`   CLIP and other image encoders, feature taps, feature cache
- :mod:`sbsr.retrieval`  distances, view aggregation, metrics, feature modulation, the retrieval pipeline
- :mod:`sbsr.losses`     training objectives that more than one system uses
- :mod:`sbsr.systems`    one home per reproduced system (``systems/<name>/``: data, models, train,
                         experiments, claims, figures), the core paper's being ``clip_retrieval``
"""

__version__ = "0.1.0"
