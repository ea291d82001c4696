"""sbsr.render: camera maths, z-buffer, normals, part maps, hidden-line removal, stroke drawing."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from sbsr.render import Camera, draw_polylines, render, visible_polylines
from sbsr.render.raster import rasterize

SIZE = 224
CENTRE = SIZE / 2


class Mesh:
    """Minimal mesh duck type: vertices, faces, optional part_ids."""

    def __init__(self, vertices, faces, part_ids=None):
        self.vertices = np.asarray(vertices, dtype=float)
        self.faces = np.asarray(faces, dtype=np.int64)
        if part_ids is not None:
            self.part_ids = np.asarray(part_ids)


def box(extents, centre=(0, 0, 0)):
    m = trimesh.creation.box(extents=extents)
    m.apply_translation(centre)
    return m


def concat(*meshes, part_ids=None):
    m = trimesh.util.concatenate(meshes)
    pid = None if part_ids is None else np.concatenate([np.full(len(x.faces), p) for x, p in zip(meshes, part_ids)])
    return Mesh(m.vertices, m.faces, pid)


def focal(cam):
    return CENTRE / np.tan(np.radians(cam.fov) / 2)


# --- camera ---------------------------------------------------------------------------------------------

def test_camera_position_and_inverse():
    cam = Camera(azimuth=30, elevation=20)
    pos = cam.position
    assert np.isclose(np.linalg.norm(pos), 2.5)
    assert np.isclose(pos[1], 2.5 * np.sin(np.radians(20)))
    assert pos[0] < 0 and pos[2] < 0                  # positive azimuth moves towards -X from -Z (the front)
    assert np.allclose(cam.world_to_camera() @ cam.camera_to_world(), np.eye(4))
    assert np.allclose(Camera(azimuth=0, elevation=0).position, [0, 0, -2.5])


def test_project_known_points():
    cam = Camera(azimuth=0, elevation=0)
    xy, depth = cam.project(np.array([[0, 0, 0], [-0.5, 0, 0], [0, 0.5, 0], [0, 0, -0.5]]))
    f = focal(cam)
    assert np.allclose(xy[0], [CENTRE, CENTRE]) and np.isclose(depth[0], 2.5)
    assert np.allclose(xy[1], [CENTRE + f * 0.5 / 2.5, CENTRE])      # seen from the front (-Z), -X is on the right
    assert np.allclose(xy[2], [CENTRE, CENTRE - f * 0.5 / 2.5])      # +Y above (smaller row)
    assert np.allclose(xy[3], [CENTRE, CENTRE]) and np.isclose(depth[3], 2.0)
    # camera on -X (azimuth 90, the object's left): the front (-Z) appears on the left
    xy90, d90 = Camera(azimuth=90, elevation=0).project(np.array([[0, 0, -0.5], [-0.5, 0, 0]]))
    assert xy90[0, 0] < CENTRE - 10 and np.allclose(xy90[1], [CENTRE, CENTRE]) and np.isclose(d90[1], 2.0)
    # looking down at 20 degrees the origin stays centred, points above the origin go up
    xy20, _ = Camera(elevation=20).project(np.array([[0, 0, 0], [0, 0.3, 0]]))
    assert np.allclose(xy20[0], [CENTRE, CENTRE]) and xy20[1, 1] < CENTRE


def test_orthographic_scale():
    cam = Camera(azimuth=0, elevation=0, projection="orthographic", ortho_scale=1.2)
    xy, depth = cam.project(np.array([[-0.6, 0, 0], [-0.6, 0, 0.9], [0, -1.2, 0]]))
    assert np.allclose(xy[0], [CENTRE + CENTRE * 0.6 / 1.2, CENTRE])
    assert np.allclose(xy[1], xy[0]) and np.isclose(depth[1], 3.4)     # no foreshortening
    assert np.allclose(xy[2], [CENTRE, SIZE])                           # bottom edge of the frame
    back = Camera(azimuth=180, elevation=0, projection="orthographic").project(np.array([[-0.6, 0, 0]]))[0]
    assert back[0, 0] < CENTRE                                          # seen from behind, -X is on the left


def test_camera_validation():
    with pytest.raises(ValueError):
        Camera(projection="fisheye")
    with pytest.raises(ValueError):
        Camera(distance=0)


def Cam(azimuth: float = 0.0, **kwargs) -> Camera:
    """A camera whose azimuth 0 looks at +Z: the scenes of the renderer tests below were built with their
    front on +Z, while the world's front is -Z (:mod:`sbsr.shapes.orientation`), so they are seen from
    ``azimuth + 180`` (the same pose up to rounding)."""
    return Camera(azimuth=azimuth + 180.0, **kwargs)


# --- z-buffer outputs -----------------------------------------------------------------------------------

def test_depth_of_fronto_parallel_plane():
    plane = Mesh([[-0.3, -0.3, 0.2], [0.3, -0.3, 0.2], [0.3, 0.3, 0.2], [-0.3, 0.3, 0.2]], [[0, 1, 2], [0, 2, 3]])
    res = render(plane, Cam(elevation=0), outputs=("depth",))
    d = res.depth
    assert d.dtype == np.float32
    assert np.allclose(d[res.mask], 2.3, atol=1e-5)
    assert np.all(np.isinf(d[~res.mask]))
    # its projected square: half side f * 0.3 / 2.3 pixels around the centre
    half = focal(Cam()) * 0.3 / 2.3
    rows = np.flatnonzero(res.mask.any(axis=1))
    assert abs((rows[-1] - rows[0] + 1) - 2 * half) <= 1.5


def test_depth_of_tilted_plane_matches_ray_intersection():
    cam = Cam(azimuth=15, elevation=20)
    ground = Mesh([[-0.5, -0.2, -0.5], [0.5, -0.2, -0.5], [0.5, -0.2, 0.5], [-0.5, -0.2, 0.5]],
                  [[0, 2, 1], [0, 3, 2]])
    d = rasterize(ground, cam).depth
    f = focal(cam)
    i, j = np.nonzero(np.isfinite(d))
    ray_cam = np.stack([(j + 0.5 - CENTRE) / f, -(i + 0.5 - CENTRE) / f, -np.ones_like(i, dtype=float)], axis=1)
    ray_world = ray_cam @ cam.world_to_camera()[:3, :3]          # R^T r
    t = (-0.2 - cam.position[1]) / ray_world[:, 1]
    assert len(i) > 1000
    assert np.allclose(d[i, j], t, rtol=1e-9)


def test_nearest_surface_wins_and_mask():
    near = box((0.4, 0.4, 0.1), (0, 0, 0.3))
    far = box((0.8, 0.8, 0.1), (0, 0, -0.3))
    res = render(concat(near, far, part_ids=[0, 1]), Cam(elevation=0), outputs=("depth", "parts"))
    c = int(CENTRE)
    assert np.isclose(res.depth[c, c], 2.5 - 0.35, atol=1e-6)
    assert res.parts[c, c] == 0
    assert res.parts[c, c + 50] == 1 and np.isclose(res.depth[c, c + 50], 2.5 + 0.25, atol=1e-6)
    assert res.parts[0, 0] == -1 and not res.mask[0, 0]


def test_cube_face_normals_in_camera_space():
    cube = box((0.6, 0.6, 0.6))
    cam = Cam(azimuth=30, elevation=20)
    res = render(cube, cam, outputs=("normals", "rgb"))
    n = res.normals
    assert n.dtype == np.float32 and np.all(n[~res.mask] == 0)
    assert np.allclose(np.linalg.norm(n[res.mask], axis=1), 1, atol=1e-5)
    # top face (world +Y) -> (0, cos 20, sin 20); front face (world +Z) -> (sin 30 ... )
    top_cam = cam.world_to_camera()[:3, :3] @ [0, 1, 0]
    front_cam = cam.world_to_camera()[:3, :3] @ [0, 0, 1]
    assert np.allclose(top_cam, [0, np.cos(np.radians(20)), np.sin(np.radians(20))])
    top_px = cam.project(np.array([[0, 0.3, 0]]))[0][0].astype(int)
    front_px = cam.project(np.array([[0, 0, 0.3]]))[0][0].astype(int)
    assert np.allclose(n[top_px[1], top_px[0]], top_cam, atol=1e-6)
    assert np.allclose(n[front_px[1], front_px[0]], front_cam, atol=1e-6)
    # Lambert shading: the three visible faces get three different grey levels on white
    assert res.rgb.dtype == np.uint8 and np.all(res.rgb[~res.mask] == 255)
    assert len({tuple(res.rgb[top_px[1], top_px[0]]), tuple(res.rgb[front_px[1], front_px[0]])}) == 2


def test_part_map_and_part_colours():
    left = box((0.3, 0.3, 0.3), (-0.25, 0, 0))
    right = box((0.3, 0.3, 0.3), (0.25, 0, 0))
    mesh = concat(left, right, part_ids=[3, 7])
    res = render(mesh, Cam(elevation=0), outputs=("parts", "rgb"), part_colors=True)
    assert res.parts.dtype == np.int16
    assert set(np.unique(res.parts)) == {-1, 3, 7}
    c = int(CENTRE)
    off = int(focal(Cam()) * 0.25 / 2.35)
    assert res.parts[c, c - off] == 3 and res.parts[c, c + off] == 7
    assert tuple(res.rgb[c, c - off]) != tuple(res.rgb[c, c + off])
    # without part ids every face is part 0
    assert set(np.unique(render(left, Cam(), outputs=("parts",)).parts)) == {-1, 0}


# --- lines ----------------------------------------------------------------------------------------------

CUBE = 0.6
H = CUBE / 2


def _edge_samples(cam, a, b, n=25, t0=0.2, t1=0.8):
    t = np.linspace(t0, t1, n)[:, None]
    xy, _ = cam.project(np.asarray(a) + t * (np.asarray(b) - np.asarray(a)))
    return xy


def _ink_min3(lines, xy):
    """Darkest value in the 3x3 neighbourhood of each point."""
    out = []
    for x, y in xy:
        j, i = int(np.floor(x)), int(np.floor(y))
        out.append(lines[max(i - 1, 0):i + 2, max(j - 1, 0):j + 2].min())
    return np.array(out)


def _dist_to_segment(p, a, b):
    t = np.clip(np.dot(p - a, b - a) / np.dot(b - a, b - a), 0, 1)
    return np.linalg.norm(p - (a + t * (b - a)))


def _value_at(lines, xy):
    return np.array([lines[int(np.floor(y)), int(np.floor(x))] for x, y in xy])


CUBE_EDGES = {
    # name: endpoints (x, y, z)
    "top_front": ((-H, H, H), (H, H, H)), "top_back": ((-H, H, -H), (H, H, -H)),
    "top_left": ((-H, H, -H), (-H, H, H)), "top_right": ((H, H, -H), (H, H, H)),
    "bottom_front": ((-H, -H, H), (H, -H, H)), "bottom_back": ((-H, -H, -H), (H, -H, -H)),
    "bottom_left": ((-H, -H, -H), (-H, -H, H)), "bottom_right": ((H, -H, -H), (H, -H, H)),
    "front_left": ((-H, -H, H), (-H, H, H)), "front_right": ((H, -H, H), (H, H, H)),
    "back_left": ((-H, -H, -H), (-H, H, -H)), "back_right": ((H, -H, -H), (H, H, -H)),
}


@pytest.mark.parametrize("open_bottom", [False, True])
@pytest.mark.parametrize("azimuth, hidden", [
    (0, ["bottom_back", "back_left", "back_right", "bottom_left", "bottom_right"]),
    (30, ["bottom_back", "bottom_left", "back_left"]),
])
def test_cube_visible_and_hidden_edges(azimuth, hidden, open_bottom):
    cam = Cam(azimuth=azimuth, elevation=20)
    cube = box((CUBE, CUBE, CUBE))
    if open_bottom:
        # without its bottom the cube is open: it is rendered two-sided and the back edges (now borders
        # and creases between back faces) can only be removed by the z-buffer test
        keep = cube.face_normals[:, 1] > -0.5
        cube = Mesh(cube.vertices, cube.faces[keep])
    lines = render(cube, cam, outputs=("lines",)).lines
    assert lines.dtype == np.uint8 and lines.shape == (SIZE, SIZE)
    visible = [name for name in CUBE_EDGES if name not in hidden]
    if azimuth == 0:
        # the side faces are seen exactly edge-on from the front except for perspective; only the front
        # and top faces are visible
        visible = ["top_front", "top_back", "top_left", "top_right", "bottom_front", "front_left", "front_right"]
    for name in visible:
        xy = _edge_samples(cam, *CUBE_EDGES[name])
        assert np.all(_ink_min3(lines, xy) < 100), f"visible edge {name} missing at azimuth {azimuth}"
    visible_2d = [cam.project(np.array(CUBE_EDGES[name]))[0] for name in visible]
    for name in hidden:
        xy = _edge_samples(cam, *CUBE_EDGES[name], n=40, t0=0.0, t1=1.0)
        # only test samples far (> 3 px) from every visible edge, where any ink would be wrong
        far = np.array([min(_dist_to_segment(p, a, b) for a, b in visible_2d) > 3.0 for p in xy])
        assert far.sum() >= 10
        assert np.all(_value_at(lines, xy[far]) == 255), f"hidden edge {name} drawn at azimuth {azimuth}"
    # the triangulation diagonals are not feature lines: the centre of the front face stays white
    c = cam.project(np.array([[0, 0, H]]))[0][0]
    assert lines[int(c[1]) - 3:int(c[1]) + 4, int(c[0]) - 3:int(c[0]) + 4].min() == 255


def test_hidden_box_contributes_no_lines():
    big = box((0.8, 0.8, 0.2), (0, 0, 0.2))
    small = box((0.3, 0.3, 0.3), (0.05, 0, -0.3))
    cam = Cam(azimuth=0, elevation=20)
    alone = render(big, cam, outputs=("lines",)).lines
    both = render(concat(big, small), cam, outputs=("lines",)).lines
    small_alone = render(small, cam, outputs=("lines",)).lines
    assert (small_alone < 128).sum() > 100            # the small box on its own does produce lines
    assert np.array_equal(alone, both)
    polys = visible_polylines(concat(big, small, part_ids=[0, 1]), cam)
    assert polys and all(p.part_id == 0 for p in polys)


def test_partially_hidden_box_is_drawn_where_visible():
    front = box((0.4, 0.4, 0.2), (-0.15, 0, 0.2))
    back = box((0.4, 0.4, 0.2), (0.15, 0.0, -0.3))
    cam = Cam(azimuth=0, elevation=0)
    lines = render(concat(front, back), cam, outputs=("lines",)).lines
    # the back box's right side (x = 0.35) is visible, its left side (x = -0.05) is behind the front box
    right = _edge_samples(cam, (0.35, -0.2, -0.2), (0.35, 0.2, -0.2))
    left = _edge_samples(cam, (-0.05, -0.1, -0.2), (-0.05, 0.1, -0.2))
    assert np.all(_ink_min3(lines, right) < 100)
    assert np.all(_value_at(lines, left) == 255)


def test_sphere_silhouette_circle():
    r = 0.4
    cam = Cam(elevation=20)
    lines = render(trimesh.creation.icosphere(subdivisions=3, radius=r), cam, outputs=("lines",)).lines
    radius_px = focal(cam) * np.tan(np.arcsin(r / 2.5))
    ang = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    ring = np.stack([CENTRE + radius_px * np.cos(ang), CENTRE + radius_px * np.sin(ang)], axis=1)
    assert np.all(_ink_min3(lines, ring) < 128)
    inner = np.stack([CENTRE + 0.8 * radius_px * np.cos(ang), CENTRE + 0.8 * radius_px * np.sin(ang)], axis=1)
    assert np.all(_value_at(lines, inner) == 255)


def test_cylinder_silhouettes_and_rims():
    cyl = trimesh.creation.cylinder(radius=0.25, height=0.8, sections=48)
    cyl.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))   # axis along +Y
    cam = Cam(elevation=20)
    polys = visible_polylines(cyl, cam)
    kinds = {p.kind for p in polys}
    assert kinds == {"silhouette", "crease"}
    lines = render(cyl, cam, outputs=("lines",)).lines
    for side in (-1, 1):    # the two vertical outline lines at x = +-r
        xy = _edge_samples(cam, (side * 0.25, -0.3, 0), (side * 0.25, 0.3, 0))
        assert np.all(_ink_min3(lines, xy) < 128)
    # the front half of the bottom rim is visible, the back half hidden behind the body
    front = cam.project(np.array([[0, -0.4, 0.25]]))[0][0]
    back = cam.project(np.array([[0, -0.4, -0.25]]))[0][0]
    assert _ink_min3(lines, [front])[0] < 100 and _value_at(lines, [back])[0] == 255


def test_border_edges_of_open_mesh():
    # a tube (no caps): its rims are borders and it is rendered two-sided
    cyl = trimesh.creation.cylinder(radius=0.25, height=0.8, sections=32)
    side = np.abs(cyl.face_normals[:, 2]) < 0.5
    tube = Mesh(cyl.vertices, cyl.faces[side])
    polys = visible_polylines(tube, Cam(elevation=20))
    assert "border" in {p.kind for p in polys}
    assert all(p.points.shape[1] == 2 and len(p.points) == len(p.depth) for p in polys)
    # crease lines are only the rims: without borders and silhouettes nothing remains
    assert visible_polylines(tube, Cam(), kinds=("crease",)) == []


def test_polylines_are_chained():
    cam = Cam(azimuth=30)
    polys = visible_polylines(box((CUBE, CUBE, CUBE)), cam)
    # 9 visible edges, chained through shared corners into few polylines
    assert 1 <= len(polys) <= 6
    total = sum(np.linalg.norm(np.diff(p.points, axis=0), axis=1).sum() for p in polys)
    expected = 0.0
    for name in ("top_front", "top_back", "top_left", "top_right", "bottom_front", "bottom_right",
                 "front_left", "front_right", "back_right"):
        a, b = cam.project(np.array(CUBE_EDGES[name]))[0]
        expected += np.linalg.norm(b - a)
    assert abs(total - expected) < 0.02 * expected


def test_draw_horizontal_segment():
    ink = draw_polylines([np.array([[20.0, 100.0], [200.0, 100.0]])], image_size=SIZE, width=2.0)
    assert ink.dtype == np.float32 and ink.shape == (SIZE, SIZE)
    # the line y = 100 lies between rows 99 and 100 (centres 99.5 and 100.5): both fully inked
    assert np.allclose(ink[99, 30:190], 1) and np.allclose(ink[100, 30:190], 1)
    assert np.all(ink[:98] == 0) and np.all(ink[102:] == 0)
    assert np.allclose(ink[98, 30:190], 0) and np.allclose(ink[101, 30:190], 0)
    # round caps: nothing well beyond the ends
    assert np.all(ink[:, :18] == 0) and np.all(ink[:, 203:] == 0)
    # width 2.2 adds a faint 0.1 fringe, intensity scales the ink
    ink22 = draw_polylines([np.array([[20.0, 100.0], [200.0, 100.0]])], SIZE, width=2.2, intensity=0.5)
    assert np.allclose(ink22[98, 50], 0.05) and np.allclose(ink22[99, 50], 0.5)
    assert np.isclose(ink22[:, 100].sum(), 0.5 * 2.2)


def test_draw_per_line_widths_and_empty():
    lines = [np.array([[10.0, 50.5], [100.0, 50.5]]), np.array([[10.0, 150.5], [100.0, 150.5]])]
    ink = draw_polylines(lines, SIZE, width=[1.0, 5.0])
    assert (ink[:, 50] > 0.5).sum() == 1 + 5
    assert draw_polylines([], SIZE).max() == 0
    with pytest.raises(ValueError):
        draw_polylines(lines, SIZE, width=[1.0])


def test_render_is_deterministic_and_validates():
    mesh = concat(box((0.5, 0.2, 0.5)), trimesh.creation.icosphere(2, 0.2), part_ids=[0, 1])
    a = render(mesh, Cam(azimuth=75))
    b = render(mesh, Cam(azimuth=75))
    for name in ("rgb", "depth", "normals", "parts", "lines", "mask"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    only = render(mesh, Cam(), outputs=("depth",))
    assert only.rgb is None and only.lines is None and only.depth is not None
    with pytest.raises(ValueError):
        render(mesh, Cam(), outputs=("colour",))
    with pytest.raises(TypeError):
        render(mesh, Cam(), line_colour=3)
    with pytest.raises(TypeError):
        render(object(), Cam())


def test_orthographic_back_view_lines():
    cam = Cam(azimuth=180, projection="orthographic")
    lines = render(box((CUBE, CUBE, CUBE)), cam, outputs=("lines",)).lines
    # orthographic: the back face's vertical edges project to x = 112 -+ 112 * 0.3 / 1.2
    for x in (CENTRE - CENTRE * H / 1.2, CENTRE + CENTRE * H / 1.2):
        col = lines[:, int(round(x)) - 2:int(round(x)) + 2].min(axis=1)
        assert (col < 100).sum() > 40


def test_rasterizer_matches_brute_force():
    """Scanline z-buffer == per-pixel barycentric test of every triangle with exact depth."""
    rng = np.random.default_rng(0)
    size = 40
    cam = Cam(azimuth=10, elevation=15, image_size=size)
    centres = rng.uniform(-0.4, 0.4, (30, 1, 3))
    tris = centres + rng.normal(0, 0.15, (30, 3, 3))
    mesh = Mesh(tris.reshape(-1, 3), np.arange(90).reshape(30, 3))
    r = rasterize(mesh, cam, cull_backfaces=False)
    xy, depth = cam.project(tris.reshape(-1, 3))
    xy, depth = xy.reshape(30, 3, 2), depth.reshape(30, 3)
    jj, ii = np.meshgrid(np.arange(size) + 0.5, np.arange(size) + 0.5)
    best = np.full((size, size), np.inf)
    for (a, b, c), (da, db, dc) in zip(xy, depth):
        den = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])
        w1 = ((jj - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (ii - a[1])) / den
        w2 = ((b[0] - a[0]) * (ii - a[1]) - (jj - a[0]) * (b[1] - a[1])) / den
        w0 = 1 - w1 - w2
        inside = (w0 >= 1e-9) & (w1 >= 1e-9) & (w2 >= 1e-9)
        d = 1.0 / (w0 / da + w1 / db + w2 / dc)           # perspective-correct depth
        best = np.where(inside & (d < best), d, best)
    strict = np.isfinite(best)
    assert strict.sum() > 200
    # every pixel strictly inside some triangle is covered, with the nearest depth
    assert np.all(r.mask[strict]) and np.allclose(r.depth[strict], best[strict], rtol=1e-9)
    # and the rasterizer covers nothing else (up to centres lying exactly on an edge)
    assert (r.mask & ~strict).sum() <= 2


def test_triangle_soup_is_welded_for_lines():
    cube = box((CUBE, CUBE, CUBE))
    soup = Mesh(cube.triangles.reshape(-1, 3), np.arange(3 * len(cube.faces)).reshape(-1, 3))
    assert len(soup.vertices) == 36
    cam = Cam(azimuth=30)
    assert np.array_equal(render(soup, cam, outputs=("lines",)).lines, render(cube, cam, outputs=("lines",)).lines)


def test_cache_follows_in_place_edits():
    mesh = Mesh(box((0.4, 0.4, 0.4)).vertices.copy(), box((0.4, 0.4, 0.4)).faces)
    before = render(mesh, Cam(), outputs=("depth",)).mask.sum()
    mesh.vertices *= 1.5
    after = render(mesh, Cam(), outputs=("depth",)).mask.sum()
    assert after > 1.8 * before


def test_mask_outline_of_sphere():
    from sbsr.render import mask_outline

    r = 0.4
    cam = Cam(elevation=20)
    raster = rasterize(trimesh.creation.icosphere(subdivisions=3, radius=r), cam)
    outline = mask_outline(raster)
    assert len(outline) == 1 and outline[0].kind == "silhouette"
    radius_px = focal(cam) * np.tan(np.arcsin(r / 2.5))
    dist = np.linalg.norm(outline[0].points - CENTRE, axis=1)
    assert np.all(np.abs(dist - radius_px) < 1.5)
    # depth of the occluding contour is (d^2 - r^2) / d; outline depths are read from the z-buffer nearby
    assert np.allclose(outline[0].depth, (2.5 ** 2 - r ** 2) / 2.5, atol=0.1)


def test_paper_and_gallery_views():
    from sbsr.render import matching_ortho_scale, paper_views, schlachter_views

    assert [c.azimuth for c in paper_views("chair")] == [0, 30, 75]
    assert [c.azimuth for c in paper_views("lamp")] == [0, 45, 90]
    assert all(c.elevation == 20 and c.distance == 2.5 for c in paper_views("chair"))
    ortho0, ortho180, persp30 = schlachter_views()
    assert (ortho0.projection, ortho180.azimuth, persp30.projection) == ("orthographic", 180, "perspective")
    # matching scale: a point on the plane through the origin lands on the same pixel in both projections
    p = np.array([[0.3, 0.2, 0.0]])
    xy_o = Cam(elevation=0, projection="orthographic", ortho_scale=matching_ortho_scale()).project(p)[0]
    xy_p = Cam(elevation=0).project(p)[0]
    assert np.allclose(xy_o, xy_p)


def test_integer_and_float_angles_give_the_same_camera():
    from sbsr.render import Camera

    a, b = Cam(azimuth=30, elevation=20, distance=2), Cam(azimuth=30.0, elevation=20.0, distance=2.0)
    assert a == b and repr(a) == repr(b) and hash(a) == hash(b)
    assert isinstance(a.azimuth, float)
