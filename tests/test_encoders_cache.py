"""sbsr.encoders.cache: keys, hits without encoding, corruption, atomic writes, fp16 bound, streaming."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from sbsr.encoders import CacheCorruptionWarning, FeatureCache, content_key, encode_with_cache, get_encoder
from sbsr.encoders import cache as cache_mod
from sbsr.encoders.cache import iter_encode_with_cache


@pytest.fixture(scope="module")
def encoder():
    """minclip's untrained image tower: small and fast, spatial tap (128,14,14) = 25,088 values."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SBSR_MINCLIP", "/nonexistent/minclip.safetensors")
        enc = get_encoder("minclip-procedural-v1", device="cpu", allow_random=True)
    assert enc.taps["layer3"] == (128, 14, 14)
    return enc


@pytest.fixture()
def counted(encoder, monkeypatch):
    """Count the images that reach the network."""
    calls = []
    original = type(encoder).encode_uint8

    def spy(self, batch, tap="layer3"):
        calls.append(batch.shape[0])
        return original(self, batch, tap)

    monkeypatch.setattr(type(encoder), "encode_uint8", spy)
    return calls


def make_images(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (224, 224), dtype=np.uint8) for _ in range(n)]


def test_second_call_hits_without_encoding(encoder, counted, tmp_path):
    imgs = make_images(5)
    cache = FeatureCache(tmp_path)
    first = encode_with_cache(encoder, imgs, "layer3", cache, batch_size=2)
    assert sum(counted) == 5 and cache.stats.as_dict() == {"hits": 0, "misses": 5, "writes": 5, "corrupt": 0}
    assert first.dtype == np.float16 and first.shape == (5, 128, 14, 14)
    counted.clear()
    second = encode_with_cache(encoder, imgs, "layer3", FeatureCache(tmp_path), batch_size=2)
    assert counted == []
    assert np.array_equal(first, second)
    # a mixed batch only encodes the new image
    third = encode_with_cache(encoder, imgs[:2] + make_images(1, seed=9), "layer3", cache, batch_size=3)
    assert counted == [1]
    assert np.array_equal(third[:2], first[:2])


def test_keys_follow_content_and_transform(encoder, tmp_path):
    img = make_images(1)[0]
    changed = img.copy()
    changed[0, 0] ^= 1
    assert content_key(img) != content_key(changed)
    assert content_key(img) == content_key(img.copy())
    assert content_key(img) != content_key(img.reshape(112, 448))  # shape is part of the key
    cache = FeatureCache(tmp_path)
    ns = cache.namespace(encoder, "layer3")
    assert ns.key != cache.namespace(encoder, "layer2").key
    other = dataclasses.replace(encoder.preprocess, interpolation="bilinear")
    orig = encoder.preprocess
    try:
        encoder.preprocess = other
        assert cache.namespace(encoder, "layer3").key != ns.key
    finally:
        encoder.preprocess = orig
    assert FeatureCache(tmp_path, storage_dtype="float32").namespace(encoder, "layer3").key != ns.key
    assert cache.namespace(encoder, "layer3").key == ns.key  # stable


def test_corrupt_entries_are_detected_and_recomputed(encoder, counted, tmp_path):
    imgs = make_images(2)
    cache = FeatureCache(tmp_path)
    ref = encode_with_cache(encoder, imgs, "layer3", cache)
    ns = cache.namespace(encoder, "layer3")
    p0, p1 = (ns.entry_path(content_key(im)) for im in imgs)
    p0.write_bytes(p0.read_bytes()[:100])  # truncated
    raw = bytearray(p1.read_bytes())
    raw[-5] ^= 0xFF  # one flipped bit pattern in the data
    p1.write_bytes(bytes(raw))
    counted.clear()
    with pytest.warns(CacheCorruptionWarning) as rec:
        again = encode_with_cache(encoder, imgs, "layer3", cache)
    assert len(rec) == 2 and any("checksum" in str(w.message) for w in rec)
    assert counted == [2] and cache.stats.corrupt == 2
    assert np.array_equal(again, ref)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(ns.get(content_key(imgs[0])), ref[0])  # rewritten, valid


def test_writes_are_atomic(encoder, tmp_path, monkeypatch):
    cache = FeatureCache(tmp_path)
    encode_with_cache(encoder, make_images(3), "layer3", cache)
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]
    ns = cache.namespace(encoder, "layer3")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("safetensors.numpy.save_file", boom)
    key = content_key(make_images(1, seed=5)[0])
    with pytest.raises(OSError, match="disk full"):
        ns.put(key, np.zeros(ns.shape, np.float32))
    assert key not in ns
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]


def test_fp16_storage_error_bound(encoder, tmp_path):
    imgs = make_images(3, seed=1)
    exact = encoder.encode(imgs, "layer3").numpy()
    stored = encode_with_cache(encoder, imgs, "layer3", FeatureCache(tmp_path), dtype=np.float32)
    err = np.abs(stored - exact)
    # round-to-nearest fp16: relative 2^-11 for normal numbers, absolute 2^-25 in the subnormal range
    assert (err <= 2.0**-11 * np.abs(exact) + 2.0**-25).all()
    assert err.max() > 0  # fp16 really was used
    # embeddings stay fp32 under "auto"
    emb = encode_with_cache(encoder, imgs, "embedding", FeatureCache(tmp_path))
    assert emb.dtype == np.float32
    np.testing.assert_array_equal(emb, encoder.encode(imgs, "embedding").numpy())


def test_values_outside_fp16_range_are_refused(encoder, tmp_path):
    ns = FeatureCache(tmp_path).namespace(encoder, "layer3")
    with pytest.raises(ValueError, match="float16"):
        ns.put("ab" * 32, np.full(ns.shape, 1e5, np.float32))


def test_paths_memmap_and_generators(encoder, tmp_path):
    imgs = make_images(4, seed=3)
    paths = []
    for i, im in enumerate(imgs):
        p = tmp_path / f"{i}.png"
        Image.fromarray(im).save(p)
        paths.append(p)
    cache = FeatureCache(tmp_path / "cache")
    ref = encode_with_cache(encoder, imgs, "layer3", cache, batch_size=3)
    out = encode_with_cache(encoder, paths, "layer3", cache, batch_size=3, out=tmp_path / "feats.npy")
    assert isinstance(out, np.memmap) or out.base is not None
    assert np.array_equal(np.asarray(out), ref)
    assert cache.stats.hits == 4  # png content == array content
    gen = (im for im in imgs)
    threaded = encode_with_cache(encoder, gen, "layer3", None, batch_size=3, n=4, num_workers=2)
    np.testing.assert_allclose(threaded, ref.astype(np.float32), rtol=2.0**-10, atol=1e-7)
    starts = [s for s, _ in iter_encode_with_cache(encoder, iter(imgs), "layer3", cache, batch_size=3)]
    assert starts == [0, 3]
    rows = cache.summary()
    assert len(rows) == 1 and rows[0]["entries"] == 4 and rows[0]["storage_dtype"] == "float16"
    assert rows[0]["bytes"] > 4 * 128 * 14 * 14 * 2


def test_threaded_writer_completes(encoder, tmp_path):
    cache = FeatureCache(tmp_path)
    encode_with_cache(encoder, make_images(5, seed=4), "layer3", cache, batch_size=2, num_workers=2)
    assert cache.stats.writes == 5
    assert len(cache.namespace(encoder, "layer3")) == 5


def test_check_fp16_range_accepts_tensors():
    cache_mod.check_fp16_range(torch.ones(3), {"encoder": "x", "tap": "y"})
    with pytest.raises(ValueError):
        cache_mod.check_fp16_range(torch.tensor([float("inf")]), {"encoder": "x", "tap": "y"})
