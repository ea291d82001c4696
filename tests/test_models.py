"""FeatureModulation (Eq. 4.2 / 4.3): forward values, straight-through gradients, safetensors round trip."""

import pytest
import torch

from sbsr.retrieval.modulation import FeatureModulation, load_modulation, save_modulation
from sbsr.retrieval.modulation import modulation_metadata

W = torch.tensor([0.5, 0.05, 0.1, -1.0])
X = torch.tensor([[1.0, 2.0, 3.0, 4.0]])


def _layer(mode):
    m = FeatureModulation((4,), mode=mode, threshold=0.1)
    with torch.no_grad():
        m.weight.copy_(W)
    return m


def test_parameter_count_rn101_layer3():
    m = FeatureModulation((1024, 14, 14), mode="binary")
    assert sum(p.numel() for p in m.parameters()) == 200_704
    assert m.weight.shape == (1024, 14, 14) and (m.weight == 1.0).all()
    assert m.kept_fraction() == 1.0


def test_forward_continuous_and_binary_by_hand():
    torch.testing.assert_close(_layer("continuous")(X), torch.tensor([[0.5, 0.1, 0.3, -4.0]]))
    # binary: 1[w >= 0.1] = (1, 0, 1, 0); 0.1 itself is kept (Eq. 4.3 uses >=)
    torch.testing.assert_close(_layer("binary")(X), torch.tensor([[1.0, 0.0, 3.0, 0.0]]))
    assert _layer("binary").kept_fraction() == 0.5


def test_binary_backward_is_straight_through():
    c = torch.tensor([[1.0, -1.0, 2.0, 0.5]])
    grads = {}
    for mode in ("continuous", "binary"):
        layer = _layer(mode)
        (layer(X) * c).sum().backward()  # linear loss: d/dw = x * c in both modes
        grads[mode] = layer.weight.grad.clone()
    torch.testing.assert_close(grads["binary"], grads["continuous"])
    torch.testing.assert_close(grads["binary"], (X * c)[0])
    # non-linear loss: dL/dw = dL/dm * x, with dL/dm evaluated at the binary output
    layer = _layer("binary")
    (layer(X) ** 2).sum().backward()
    torch.testing.assert_close(layer.weight.grad, torch.tensor([2.0, 0.0, 18.0, 0.0]))
    layer = _layer("continuous")
    (layer(X) ** 2).sum().backward()
    torch.testing.assert_close(layer.weight.grad, torch.tensor([1.0, 0.4, 1.8, -32.0]))


def test_feature_map_and_flat_inputs():
    m = FeatureModulation((2, 3, 3), mode="continuous", init=0.5)
    x = torch.ones(5, 2, 3, 3)
    torch.testing.assert_close(m(x), 0.5 * x)
    torch.testing.assert_close(m(x.reshape(5, -1)), 0.5 * x.reshape(5, -1))
    with pytest.raises(ValueError, match="cannot take"):
        m(torch.ones(5, 7))
    with pytest.raises(ValueError, match="mode"):
        FeatureModulation((3,), mode="ternary")


def test_safetensors_round_trip(tmp_path):
    m = _layer("binary")
    path = save_modulation(m, tmp_path / "mask.safetensors", metadata={"epoch": 3})
    back = load_modulation(path)
    assert back.mode == "binary" and back.threshold == 0.1 and back.shape == (4,)
    torch.testing.assert_close(back.weight.data, W)
    torch.testing.assert_close(back(X), m(X))
    assert modulation_metadata(path) == {"epoch": 3}
    assert FeatureModulation.load(m.save(tmp_path / "again.safetensors")).mode == "binary"
    assert not list(tmp_path.glob(".*tmp*"))  # atomic write leaves no temporary file


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="safetensors"):
        save_modulation(_layer("binary"), tmp_path / "mask.pt")
    with pytest.raises(FileNotFoundError, match="missing.safetensors"):
        load_modulation(tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="bad.safetensors"):
        load_modulation(bad)
    from safetensors.torch import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.ones(3)}, str(foreign))
    with pytest.raises(ValueError, match="metadata"):
        load_modulation(foreign)
