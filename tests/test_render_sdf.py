"""sbsr.render.sdf: lattice, trilinear look-up, rays, the differentiable SDF renderer, marching cubes."""

import numpy as np
import pytest
import torch

from sbsr.render import Camera
from sbsr.render.sdf import (EmptySurfaceError, camera_rays, grid_gradient, grid_lookup, lattice_points, ray_box,
                             render_sdf, sdf_to_mesh)


def _linear_volume():
    # 2x2x2 lattice over [-1, 1]^3 with v[i, j, k] = i + 2 j + 4 k, i.e. f(x, y, z) = (x+1)/2 + (y+1) + 2 (z+1)
    i, j, k = np.meshgrid(np.arange(2), np.arange(2), np.arange(2), indexing="ij")
    return torch.tensor(i + 2 * j + 4 * k, dtype=torch.float32)


def _sphere_grid(r=0.3, res=48, bound=0.5):
    pts = lattice_points(res, bound)
    return torch.tensor(np.linalg.norm(pts, axis=1) - r, dtype=torch.float32).reshape(res, res, res)


def test_lattice_points_are_in_ijk_order():
    pts = lattice_points(3, 1.0).reshape(3, 3, 3, 3)
    # [i, j, k] -> (x_i, y_j, z_k) with x_i = -1 + i
    assert pts[2, 0, 1].tolist() == [1.0, -1.0, 0.0]
    assert pts[0, 1, 2].tolist() == [-1.0, 0.0, 1.0]
    with pytest.raises(ValueError):
        lattice_points(1, 1.0)


def test_grid_lookup_matches_hand_computed_trilinear_values():
    v = _linear_volume()
    # (0, 0.5, -0.5): fractions (0.5, 0.75, 0.25) -> 0.5 + 2*0.75 + 4*0.25 = 3.0
    out = grid_lookup(v, torch.tensor([[0.0, 0.5, -0.5]]), bound=1.0)
    assert out.shape == (1,)
    assert out.item() == pytest.approx(3.0, abs=1e-6)
    # only corner (1,1,1) set to 1: trilinear weight fx*fy*fz = 0.5*0.75*0.25 = 0.09375
    corner = torch.zeros(2, 2, 2)
    corner[1, 1, 1] = 1.0
    assert grid_lookup(corner, torch.tensor([[0.0, 0.5, -0.5]]), 1.0).item() == pytest.approx(0.09375, abs=1e-7)
    # lattice points return the stored values, whatever the channel/batch layout
    feats = torch.stack([v, -v])  # (2, 2, 2, 2)
    p = torch.tensor([[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]])  # [1,0,1] = 5 and [0,1,0] = 2
    assert grid_lookup(feats, p, 1.0).tolist() == [[5.0, -5.0], [2.0, -2.0]]
    assert grid_lookup(feats[None].repeat(3, 1, 1, 1, 1), p, 1.0).shape == (3, 2, 2)


def test_grid_gradient_of_a_linear_field():
    # f = (x+1)/2 + (y+1) + 2 (z+1): gradient (0.5, 1, 2) everywhere (pitch 2, differences 1, 2, 4)
    g = grid_gradient(_linear_volume(), bound=1.0)
    assert g.shape == (3, 2, 2, 2)
    assert torch.allclose(g[:, 0, 1, 0], torch.tensor([0.5, 1.0, 2.0]))


@pytest.mark.parametrize("projection", ["orthographic", "perspective"])
def test_camera_rays_pass_through_their_pixel_centres(projection):
    cam = Camera(azimuth=30, elevation=20, projection=projection, image_size=8)
    o, d = camera_rays(cam)
    for idx in (0, 9, 63):
        pix, _ = cam.project((o[idx] + 2.0 * d[idx]).double().numpy()[None])
        i, j = divmod(idx, 8)
        assert pix[0] == pytest.approx([j + 0.5, i + 0.5], abs=1e-4)


def test_ray_box_entry_and_exit():
    near, far, hit = ray_box(torch.tensor([[0.0, 0.0, 3.0], [5.0, 5.0, 3.0]]),
                             torch.tensor([[0.0, 0.0, -1.0], [0.0, 0.0, -1.0]]), bound=1.0)
    assert hit.tolist() == [True, False]
    assert (near[0].item(), far[0].item()) == pytest.approx((2.0, 4.0))


@pytest.mark.parametrize("projection", ["orthographic", "perspective"])
def test_sphere_renders_a_disc_of_the_right_radius(projection):
    r, n = 0.3, 64
    cam = Camera(azimuth=40, elevation=20, projection=projection, ortho_scale=0.8, image_size=n)
    out = render_sdf(_sphere_grid(r), cam, bound=0.5, tau=0.005)
    radius_px = np.sqrt((out.silhouette > 0.5).sum().item() / np.pi)
    if projection == "orthographic":  # r * focal, focal = (n/2) / ortho_scale = 40 px per unit -> 12 px
        expected = r * cam.focal_px
    else:  # a sphere at distance D subtends asin(r / D); its image radius is f tan(asin(r / D))
        expected = cam.focal_px * np.tan(np.arcsin(r / cam.distance))
    assert radius_px == pytest.approx(expected, abs=0.6)
    # centred: the silhouette's centroid is the image centre
    ys, xs = np.nonzero(out.silhouette.numpy() > 0.5)
    assert (xs.mean() + 0.5, ys.mean() + 0.5) == pytest.approx((n / 2, n / 2), abs=0.3)
    # white background, shaded object, depth ~ distance - r in front
    assert out.image[0, 0].item() == pytest.approx(1.0)
    assert out.image[n // 2, n // 2].item() < 0.99
    if projection == "perspective":
        assert out.depth[n // 2, n // 2].item() == pytest.approx(cam.distance - r, abs=0.03)


def test_callable_field_renders_like_its_grid():
    cam = Camera(azimuth=0, image_size=32)
    a = render_sdf(_sphere_grid(0.3), cam, bound=0.5, tau=0.005).silhouette > 0.5
    b = render_sdf(lambda p: p.norm(dim=-1) - 0.3, cam, bound=0.5, tau=0.005).silhouette > 0.5
    assert (a != b).sum().item() <= 4  # boundary pixels only


def test_gradients_flow_from_the_image_to_the_grid():
    g = (_sphere_grid(0.3, res=16) * 1.0).requires_grad_(True)
    out = render_sdf(g, Camera(image_size=24), bound=0.5, n_samples=24)
    out.image.mean().backward()
    assert torch.isfinite(g.grad).all()
    assert g.grad.abs().sum().item() > 0


def test_render_rejects_unknown_options_and_bad_grids():
    with pytest.raises(TypeError, match="unknown"):
        render_sdf(_sphere_grid(), Camera(image_size=8), bound=0.5, sharpness=3)
    with pytest.raises(ValueError):
        render_sdf(torch.zeros(4, 4), Camera(image_size=8), bound=0.5)


def test_marching_cubes_sphere_volume_and_orientation():
    mesh = sdf_to_mesh(_sphere_grid(0.3), 0.5)
    # outward normals give a positive volume close to 4/3 pi r^3 = 0.1131
    assert mesh.volume == pytest.approx(4 / 3 * np.pi * 0.3 ** 3, rel=0.03)
    assert np.abs(np.linalg.norm(mesh.vertices, axis=1) - 0.3).max() < 0.01


def test_marching_cubes_without_a_surface():
    with pytest.raises(EmptySurfaceError, match="no surface"):
        sdf_to_mesh(torch.ones(8, 8, 8), 0.5)
    nan = np.full((4, 4, 4), np.nan)
    with pytest.raises(EmptySurfaceError, match="non-finite"):
        sdf_to_mesh(nan, 0.5)
    empty = sdf_to_mesh(-torch.ones(8, 8, 8), 0.5, empty="empty")
    assert len(empty.faces) == 0 and len(empty.vertices) == 0
