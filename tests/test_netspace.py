"""NetSpace: PRep and its inverse, batch-norm fusion (App. C.6), the encoder's fixed embedding, the
architectures' parameter counts (Table C.1)."""

import pytest
import torch
from torch import nn

from sbsr.systems.netspace.models import ARCHITECTURES, Spec, build, count_parameters
from sbsr.systems.netspace.netspace import ClassIdHead, Decoder, Encoder, NetSpace
from sbsr.systems.netspace.prep import (
    Layout,
    forward_with,
    from_prep,
    fuse_batchnorm,
    fuse_conv_bn,
    prep_shape,
    to_prep,
)


def test_prep_shape_rounds_height_up_to_a_multiple_of_4():
    # 100 params in rows of 8: ceil(100/8) = 13 rows -> 16; 9 params: 2 rows -> 4
    assert prep_shape(100, 8) == (16, 8)
    assert prep_shape(9, 8) == (4, 8)
    assert prep_shape(32, 8) == (4, 8)
    with pytest.raises(ValueError, match="multiple of 8"):
        prep_shape(10, 12)


def test_prep_of_a_toy_network_by_hand():
    # Fig. C.2's toy: one conv and one linear layer; their 4 + 1 + 2 + 1 = 8 parameters fill one row of 8,
    # then three rows of zero padding (height 4)
    net = nn.Sequential(nn.Conv2d(1, 1, 2), nn.Flatten(), nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
        net[0].bias.fill_(5.0)
        net[2].weight.copy_(torch.tensor([[6.0, 7.0]]))
        net[2].bias.fill_(8.0)
    p = to_prep(net, width=8)
    assert p.shape == (4, 8)
    assert p[0].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert p[1:].abs().sum() == 0


@pytest.mark.parametrize("arch", ["LeNetLike", "ResNet8"])
def test_prep_round_trip_is_exact(arch):
    torch.manual_seed(0)
    net = build(arch, 10, 32, width=0.25, bn=False)
    layout = Layout.of(net)
    prep = to_prep(net, width=64)
    back = from_prep(prep, layout)
    for name, p in net.named_parameters():
        assert torch.equal(back[name], p)
    # a network rebuilt from the PRep has the same PRep again
    net2 = build(arch, 10, 32, width=0.25, bn=False)
    net2.load_state_dict(back, strict=False)
    assert torch.equal(to_prep(net2, prep.shape), prep)
    with pytest.raises(ValueError, match="fewer than"):
        from_prep(prep[:1], layout)


def test_fuse_conv_bn_by_hand():
    # W_BN = gamma / sqrt(var + eps) = 2 / sqrt(3 + 1) = 1; b_BN = beta - 1 * mean = 1 - 2 = -1
    # W = 1 * 3 = 3; b = 1 * 0.5 + (-1) = -0.5
    conv = nn.Conv2d(1, 1, 1)
    bn = nn.BatchNorm2d(1, eps=1.0)
    with torch.no_grad():
        conv.weight.fill_(3.0)
        conv.bias.fill_(0.5)
        bn.weight.fill_(2.0)
        bn.bias.fill_(1.0)
        bn.running_mean.fill_(2.0)
        bn.running_var.fill_(3.0)
    w, b = fuse_conv_bn(conv, bn)
    assert w.item() == pytest.approx(3.0) and b.item() == pytest.approx(-0.5)


@pytest.mark.parametrize("arch", ["ResNet8", "VanillaCNN"])
def test_fused_network_equals_unfused_in_eval_mode(arch):
    torch.manual_seed(1)
    net = build(arch, 5, 32, width=0.25, bn=True)
    # give batch norm non-trivial statistics and affine parameters
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(8, 3, 32, 32) * 2 + 0.5)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    net.eval()
    plain = fuse_batchnorm(net, build(arch, 5, 32, width=0.25, bn=False))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in plain.modules())
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        ref = net(x)
        assert torch.allclose(plain(x), ref, atol=1e-5)
        assert torch.allclose(forward_with(plain, to_prep(plain, width=64), x), ref, atol=1e-5)


def test_parameter_counts_match_table_c1_for_resnets_and_lenet():
    # Table C.1, CIFAR-10 (32 px, 10 classes) and Tiny-ImageNet (64 px, 200 classes)
    assert count_parameters(build("LeNetLike", 10, 32)) == 62006
    assert count_parameters(build("ResNet8", 10, 32)) == 78042
    assert count_parameters(build("ResNet32", 10, 32)) == 466906
    assert count_parameters(build("ResNet56", 10, 32)) == 855770
    assert count_parameters(build("ResNet8", 200, 64)) == 128792
    assert count_parameters(build("ResNet56", 200, 64)) == 906520
    with pytest.raises(KeyError, match="unknown architecture"):
        build("ResNet9")


@pytest.mark.parametrize("height", [4, 36, 200])
def test_encoder_gives_a_fixed_size_embedding_for_any_prep_height(height):
    enc = Encoder(embedding=32, channels=(4, 8), height_channels=(16,))
    assert enc(torch.randn(3, height, 64)).shape == (3, 32)
    assert enc(torch.randn(1, height, 16)).shape == (1, 32)


def test_decoder_and_classid_shapes_and_errors():
    dec = Decoder((36, 64), embedding=32, channels=(8, 4, 4))
    e = torch.randn(2, 32)
    assert dec(e).shape == (2, 36, 64)
    assert ClassIdHead(32, 4)(e).shape == (2, 4)
    ns = NetSpace((36, 64), 32, n_classes=4, enc_channels=(4,), enc_height_channels=(8,), dec_channels=(8, 4))
    emb, pred = ns(torch.randn(2, 36, 64))
    assert emb.shape == (2, 32) and pred.shape == (2, 36, 64)
    with pytest.raises(ValueError, match=r"\(B, H, W\)"):
        ns.encoder(torch.randn(36, 64))


def test_every_architecture_runs_at_both_sizes():
    for arch in ARCHITECTURES:
        for n, s in ((10, 32), (20, 16)):
            net = Spec(arch, n, s, width=0.25).make()
            assert net.eval()(torch.randn(2, 3, s, s)).shape == (2, n)
