"""The shared retrieval layer: distances, view aggregation, metrics, image-space transforms, robust
(augmented) features, feature modulation and the retrieval pipeline (framing, views, aggregation, masks).

Submodules: :mod:`.distances` (Eq. 4.1), :mod:`.metrics` (acc@k, CIs, Eq. 4.4/4.5, Table B.1),
:mod:`.transforms` (OBB, affine), :mod:`.augment` (Table 4.2 / B.4), :mod:`.modulation` (feature masks and
weights), :mod:`.pipeline` (the retrieval method end to end). The core paper's experiment drivers, sweeps,
claims and mask training live in :mod:`sbsr.systems.clip_retrieval`.
"""

from .augment import (PAPER_ROTATION, PAPER_TRANSLATION, SPEC_NAMES, AugmentSpec, augmented_views,
                      average_features, parse_augment_spec)
from .distances import (best_matching_view, mse_distance_matrix, shape_distances, shape_distances_and_views,
                        view_distances)
from .metrics import (ConfidenceInterval, StudyMatrix, accuracy_at_k, accuracy_ci, accuracy_table,
                      aggregated_feature_distance, bootstrap_ci, hits_at_k, mean_ci, object_matching_accuracy,
                      per_view_object_distances, ranks_of_targets, view_distance_matrix, view_level_accuracy_table,
                      view_level_ranks, view_matching_accuracy)
from .modulation import MODES, FeatureModulation, load_modulation, save_modulation
from .transforms import (BASELINE_FRACTION, OBB_FRACTION, AffineParams, BBox, affine, affine_matrix, apply_affine,
                         fit_to_box, foreground_mask, object_bbox, random_affine)

__all__ = [
    # distances (Eq. 4.1)
    "mse_distance_matrix", "view_distances", "shape_distances", "shape_distances_and_views",
    "best_matching_view",
    # metrics
    "ranks_of_targets", "hits_at_k", "accuracy_at_k", "accuracy_table", "accuracy_ci", "bootstrap_ci",
    "mean_ci", "ConfidenceInterval", "view_level_ranks", "view_level_accuracy_table",
    "per_view_object_distances", "aggregated_feature_distance", "view_distance_matrix", "StudyMatrix",
    "object_matching_accuracy", "view_matching_accuracy",
    # transforms
    "object_bbox", "foreground_mask", "BBox", "fit_to_box", "affine", "affine_matrix", "apply_affine",
    "AffineParams", "random_affine", "OBB_FRACTION", "BASELINE_FRACTION",
    # augment
    "AugmentSpec", "parse_augment_spec", "augmented_views", "average_features", "SPEC_NAMES",
    "PAPER_TRANSLATION", "PAPER_ROTATION",
    # feature modulation (learned masks / weights)
    "FeatureModulation", "MODES", "load_modulation", "save_modulation",
]
