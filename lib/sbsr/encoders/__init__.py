"""Image encoders, feature taps and the feature cache (thesis §4.2: the CLIP ``layer3`` embedding).

* :func:`list_encoders`, :func:`get_encoder` - the registry (:mod:`.registry`); names appear in every
  results table. ``python -m sbsr.encoders list`` tells which are available here and why not.
* :class:`Encoder` - ``encode(images, tap="layer3"|"embedding", batch_size=32) -> Tensor (N, ...)``,
  ``name``, ``taps``, ``preprocess``, ``weights_source`` (:mod:`.base`, taps in :mod:`.taps`).
* :class:`FeatureCache`, :func:`encode_with_cache`, :func:`iter_encode_with_cache` (:mod:`.cache`).
* :mod:`.minclip` - the small CLIP-style model trained offline (``minclip-procedural-v1``).
"""

from .base import RANDOM_WEIGHTS_MISSING, Encoder, EncoderInfo, UnknownTapError
from .cache import (CacheCorruptionWarning, FeatureCache, content_key, default_cache_root, encode_with_cache,
                    iter_encode_with_cache)
from .preprocess import Preprocess
from .registry import (ENCODER_NAMES, EncoderChoice, encoder_table, get_encoder, list_encoders, load_encoders,
                       weights_instructions)
from .weights import WeightsFormatError, WeightsNotFoundError

__all__ = [
    "EncoderChoice", "encoder_table", "load_encoders",
    "ENCODER_NAMES",
    "RANDOM_WEIGHTS_MISSING",
    "CacheCorruptionWarning",
    "Encoder",
    "EncoderInfo",
    "FeatureCache",
    "Preprocess",
    "UnknownTapError",
    "WeightsFormatError",
    "WeightsNotFoundError",
    "content_key",
    "default_cache_root",
    "encode_with_cache",
    "get_encoder",
    "iter_encode_with_cache",
    "list_encoders",
    "weights_instructions",
]
