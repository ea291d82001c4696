"""Line renderings of messy meshes (real ShapeNet defects, :func:`sbsr.render.messy.messy`) match those of
the clean mesh, and the preprocessing that makes them so is a no-op on clean meshes."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import trimesh

from sbsr.render import Camera, prepare_mesh, render
from sbsr.render.messy import DEFECTS, messy
from sbsr.shapes import generate_shape

SHAPES = [("chair", 0), ("table", 0), ("lamp", 0), ("cabinet", 0), ("airplane", 0)]
AZIMUTHS = (0.0, 30.0, 75.0)
#: Line-pixel IoU a defect may cost. The clean lines are 2.2 px strokes; a single extra or missing edge of
#: 40 px on a typical view (about 1500 line pixels) costs about 0.06, so 0.95 allows rounding-level
#: differences but not one false line across a face.
MIN_IOU = 0.95


class Mesh:
    def __init__(self, vertices, faces, part_ids=None):
        self.vertices, self.faces, self.part_ids = np.asarray(vertices, float), np.asarray(faces), part_ids


def _iou(a, b):
    a, b = a < 128, b < 128
    return (a & b).sum() / max((a | b).sum(), 1)


def _worst_iou(defects, seed=1):
    worst = 1.0
    for category, index in SHAPES:
        shape = generate_shape(category, 0, index)
        bad = messy(shape, seed=seed, defects=defects)
        for azimuth in AZIMUTHS:
            cam = Camera(azimuth=azimuth, image_size=160)
            clean = render(shape, cam, outputs=("lines",)).lines
            worst = min(worst, _iou(clean, render(bad, cam, outputs=("lines",)).lines))
    return worst


@pytest.mark.parametrize("defect", DEFECTS)
def test_lines_of_a_messy_mesh_match_the_clean_ones(defect):
    assert _worst_iou((defect,)) >= MIN_IOU


def test_lines_with_all_defects_together():
    assert _worst_iou(DEFECTS) >= MIN_IOU


# ------------------------------------------------------------------------------------- messy() itself
def test_messy_is_deterministic_and_keeps_the_surface():
    shape = generate_shape("chair", 0, 0)
    a, b = messy(shape, seed=3), messy(shape, seed=3)
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.faces, b.faces)
    assert not np.array_equal(messy(shape, seed=4).faces, a.faces)
    assert len(a.faces) == len(a.part_ids) > len(shape.faces)
    # "flipped" and "double_sided" keep the surface: same mask from every side
    for defect in ("flipped", "double_sided", "unmerged"):
        bad = messy(shape, seed=0, defects=defect)
        for azimuth in (0.0, 130.0):
            cam = Camera(azimuth=azimuth, image_size=96)
            np.testing.assert_array_equal(render(bad, cam, outputs=()).mask, render(shape, cam, outputs=()).mask)
    with pytest.raises(ValueError, match="unknown mesh defects"):
        messy(shape, defects=("holes",))
    assert DEFECTS == ("unmerged", "slivers", "flipped", "double_sided", "interior", "fins")


def test_interior_copies_and_fins_stay_inside_convex_bodies():
    # a lamp's arched tube is not convex: shrunk towards a centre it would come out of itself, so it gets
    # neither an inner copy nor fins; its convex shade and base get both
    lamp = generate_shape("lamp", 0, 0)
    inner = messy(lamp, seed=0, defects="interior")
    data = prepare_mesh(inner)
    assert data.face_interior.any() and not data.face_interior[:len(lamp.faces)].any()
    cam = Camera(azimuth=30, image_size=96)
    np.testing.assert_array_equal(render(inner, cam, outputs=()).mask, render(lamp, cam, outputs=()).mask)
    finned = messy(lamp, seed=0, defects="fins")
    np.testing.assert_array_equal(render(finned, cam, outputs=()).mask, render(lamp, cam, outputs=()).mask)


# ------------------------------------------------------------------------------- preprocessing by hand
SQUARE = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]]


def test_flipped_neighbour_is_no_crease():
    # two triangles of the unit square; the second wound the other way: normals (0,0,1) and (0,0,-1), an
    # oriented angle of 180 degrees (today's crease); locally consistent they are coplanar: 0 degrees
    data = prepare_mesh(Mesh(SQUARE, [[0, 1, 2], [0, 3, 2]]))
    diag = [i for i, e in enumerate(data.edges) if set(e) == {0, 2}][0]
    assert data.edge_flipped[diag] and data.dihedral[diag] == pytest.approx(0.0)
    clean = prepare_mesh(Mesh(SQUARE, [[0, 1, 2], [0, 2, 3]]))
    assert not clean.edge_flipped.any() and clean.dihedral.max() == pytest.approx(0.0)


def test_double_sided_copy_leaves_the_topology():
    data = prepare_mesh(Mesh(SQUARE, [[0, 1, 2], [0, 2, 3], [2, 1, 0]]))   # face 2 = face 0 reversed
    np.testing.assert_array_equal(data.face_group, [0, 1, 0])
    assert not data.edge_nonmanifold.any()                               # edge 0-2 keeps 2 faces, not 3
    assert len(data.edges) == 5 and (data.edge_faces[:, 1] < 0).sum() == 4  # 4 borders + the diagonal


def test_closed_mesh_with_a_flipped_face_is_reoriented():
    box = trimesh.creation.box((1, 1, 1))
    faces = np.asarray(box.faces).copy()
    faces[3] = faces[3][::-1]
    data = prepare_mesh(Mesh(box.vertices, faces))
    assert data.closed and data.face_flip.tolist() == [i == 3 for i in range(12)]
    # culling uses the re-oriented faces: the front view has no hole
    cam = Camera(azimuth=0, elevation=20, image_size=64)
    np.testing.assert_array_equal(render(Mesh(box.vertices, faces), cam, outputs=()).mask,
                                  render(box, cam, outputs=()).mask)


def test_sliver_borrows_its_neighbours_normal():
    # square (0,1,2),(0,2,3) with face (0,1,2) split around m, 1e-9 above edge 0-1: (0,1,m) is a sliver
    m = [0.5, 1e-9, 0.0]
    v = SQUARE + [m]
    data = prepare_mesh(Mesh(v, [[0, 1, 4], [1, 2, 4], [2, 0, 4], [0, 2, 3]]))
    assert data.face_proxy[0] in (1, 2) and not data.face_proxy_flip[0]
    assert list(data.face_proxy[1:]) == [1, 2, 3]
    assert data.dihedral.max() == pytest.approx(0.0, abs=1e-6)


def test_fin_on_a_flat_surface_is_no_crease():
    # the square's diagonal 0-2 carries a third face going down (a fin): odd count, coplanar pair on both
    # sides of it -> not a crease; the same fin on a real fold (faces at 90 degrees) stays one
    v = SQUARE + [[0.5, 0.5, -1.0]]
    data = prepare_mesh(Mesh(v, [[0, 1, 2], [0, 2, 3], [0, 2, 4]]))
    diag = [i for i, e in enumerate(data.edges) if set(e) == {0, 2}][0]
    assert not data.edge_nonmanifold[diag] and data.dihedral[diag] == 0.0
    folded = SQUARE[:3] + [[0, 0, 1], [0.8, 0.2, -0.5]]        # face (0,2,3) folded up to the z axis
    fold = prepare_mesh(Mesh(folded, [[0, 1, 2], [0, 2, 3], [0, 2, 4]]))
    diag = [i for i, e in enumerate(fold.edges) if set(e) == {0, 2}][0]
    assert fold.edge_nonmanifold[diag]


@pytest.mark.parametrize("category", ["chair", "lamp", "cabinet", "airplane", "vase", "sofa"])
def test_preprocessing_is_a_no_op_on_clean_procedural_meshes(category):
    for index in range(3):
        data = prepare_mesh(generate_shape(category, 0, index))
        n = len(data.faces)
        assert data.closed
        assert not data.edge_flipped.any() and not data.face_flip.any()
        # thin faces of clean meshes (a few sofas) stand in for themselves or a coplanar neighbour
        own = data.face_proxy == np.arange(n)
        proxied = np.flatnonzero(~own)
        assert np.all(data.face_proxy[proxied] >= 0) and not data.face_proxy_flip.any()
        cos = np.abs(np.einsum("ij,ij->i", data.face_normals[proxied], data.face_normals[data.face_proxy[proxied]]))
        assert np.all((cos > np.cos(np.radians(1.0))) | (np.linalg.norm(data.face_normals[proxied], axis=1) == 0))
        assert (data.face_group != np.arange(n)).sum() <= 2               # the airplane's two twin faces


# ------------------------------------------------------------------------------- the chapter's study
def test_line_iou_by_hand():
    from sbsr.render.benchmark import line_iou

    a = np.full((4, 4), 255, np.uint8)
    b = a.copy()
    a[0, :3] = 0          # 3 line pixels
    b[0, 1:] = 0          # 3 line pixels, 2 shared: IoU = 2 / 4
    assert line_iou(a, b) == pytest.approx(0.5)
    assert line_iou(np.full((4, 4), 255, np.uint8), np.full((4, 4), 255, np.uint8)) == 1.0


def test_line_chamfer_by_hand():
    from sbsr.render.benchmark import line_chamfer

    a = np.full((5, 5), 255, np.uint8)
    b = a.copy()
    a[0, 0] = 0
    b[0, 3] = 0                       # one pixel each, 3 apart both ways
    assert line_chamfer(a, b) == pytest.approx(3.0)
    a[0, 1] = 0                       # a = (0,0), (0,1): distances to b 3 and 2; b to a: 2 -> 7 / 3
    assert line_chamfer(a, b) == pytest.approx(7 / 3)
    assert line_chamfer(b, b) == 0.0 and line_chamfer(b, np.full((5, 5), 255, np.uint8)) == float("inf")


@pytest.mark.blender
@pytest.mark.skipif(shutil.which("blender") is None, reason="no blender executable on PATH")
def test_freestyle_on_messy_meshes():
    # Freestyle renders the first view clean and messy; a flipped face is a false line for Freestyle (its
    # IoU drops), not for the NumPy renderer, and the two renderers' strokes lie within a pixel or two
    from sbsr.render.benchmark import messy_lines_study

    shape = generate_shape("chair", 0, 0)
    table, images = messy_lines_study([shape], azimuths=(30.0, 75.0), defects=("flipped",), image_size=160,
                                      blender_views=1, keep_images=True)
    first = table[table["azimuth"] == 30.0].iloc[0]
    assert first["IoU numpy"] >= MIN_IOU and first["IoU freestyle"] < first["IoU numpy"]
    assert 0 < first["chamfer numpy-freestyle px"] < 2.0
    assert table[table["azimuth"] == 75.0]["IoU freestyle"].isna().all()     # only the first view
    clean, messy_lines, fs_messy, fs_clean = images[(shape.shape_id, 30.0, "flipped")]
    assert fs_messy.shape == fs_clean.shape == (160, 160) and (fs_clean < 128).sum() > 300


def test_messy_lines_study_table():
    from sbsr.render.benchmark import messy_lines_study

    shape = generate_shape("table", 0, 0)
    table, images = messy_lines_study([shape], azimuths=(30.0,), defects=("flipped", "fins"), image_size=96,
                                      blender=False, keep_images=True)
    assert list(table["defect"]) == ["flipped", "fins", "all"]            # one at a time, then together
    assert (table["faces messy"] > 0).all() and "IoU freestyle" not in table
    assert table.set_index("defect").loc["flipped", "IoU numpy"] >= MIN_IOU
    clean, bad = images[(shape.shape_id, 30.0, "fins")]
    assert clean.shape == bad.shape == (96, 96)


def test_fin_on_a_fold_keeps_the_crease_and_hides_its_borders():
    # a unit box (closed) and a fin hanging inside it from one of its 90-degree edges
    box = trimesh.creation.box((1, 1, 1))
    clean = prepare_mesh(Mesh(box.vertices, box.faces))
    fold = int(np.flatnonzero(clean.dihedral > 45)[0])
    a, b = clean.edges[fold]
    v = np.vstack([box.vertices, [[0.0, 0.0, 0.0]]])                 # the tip: the box's centre
    data = prepare_mesh(Mesh(v, np.vstack([box.faces, [[a, b, 8]]])))
    e = [i for i, ed in enumerate(data.edges) if set(ed) == {a, b}][0]
    assert not data.edge_nonmanifold[e] and data.dihedral[e] == pytest.approx(90.0)
    assert data.face_dangling.tolist() == [False] * 12 + [True]
    assert 12 not in data.edge_faces[e]


def test_min_line_length_drops_short_chains_only():
    from sbsr.render import visible_polylines
    from sbsr.render.lines import projected_length

    assert projected_length(type("P", (), {"points": np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 10.0]])})()) == 11.0
    mesh = generate_shape("chair", 0, 0)
    cam = Camera(azimuth=30)
    every = visible_polylines(mesh, cam)
    lengths = np.array([projected_length(p) for p in every])
    cut = float(np.median(lengths))
    kept = visible_polylines(mesh, cam, min_length=cut)
    assert len(kept) == int((lengths >= cut).sum()) and 0 < len(kept) < len(every)
    # the render style keyword, default 0 (everything drawn)
    assert np.array_equal(render(mesh, cam, outputs=("lines",)).lines,
                          render(mesh, cam, outputs=("lines",), min_line_length=0.0).lines)
    assert (render(mesh, cam, outputs=("lines",), min_line_length=cut).lines < 128).sum() < \
        (render(mesh, cam, outputs=("lines",)).lines < 128).sum()


# ------------------------------------------------------------------------------- interior bodies by hand
def test_inside_test_by_ray_parity():
    from sbsr.render.mesh import _inside_closed

    box = trimesh.creation.box((1, 1, 1))
    tri = np.asarray(box.vertices)[np.asarray(box.faces)]
    pts = np.array([[0, 0, 0], [0.4, -0.4, 0.45], [2, 0, 0], [0, 0.6, 0], [-0.3, 0.2, -0.51]])
    assert _inside_closed(pts, tri).tolist() == [True, True, False, False, False]
    # parity needs no winding: the same answers with every other face turned
    turned = tri.copy()
    turned[::2] = turned[::2, ::-1]
    assert _inside_closed(pts, turned).tolist() == [True, True, False, False, False]


def _boxes(*boxes):
    vs, fs, offset = [], [], 0
    for extents, centre in boxes:
        b = trimesh.creation.box(extents)
        vs.append(np.asarray(b.vertices) + centre)
        fs.append(np.asarray(b.faces) + offset)
        offset += len(b.vertices)
    return Mesh(np.vstack(vs), np.vstack(fs))


def test_a_body_inside_a_closed_body_is_interior():
    inside = prepare_mesh(_boxes(((1, 1, 1), (0, 0, 0)), ((0.5, 0.5, 0.5), (0.1, 0, 0))))
    assert inside.face_interior.tolist() == [False] * 12 + [True] * 12
    # a box poking out of the other (x up to 0.65 > 0.5) is not interior, nor are two separate boxes
    poking = prepare_mesh(_boxes(((1, 1, 1), (0, 0, 0)), ((0.5, 0.5, 0.5), (0.4, 0, 0))))
    apart = prepare_mesh(_boxes(((1, 1, 1), (0, 0, 0)), ((0.5, 0.5, 0.5), (2, 0, 0))))
    assert not poking.face_interior.any() and not apart.face_interior.any()
    # an open sheet (one triangle) inside the box is an interior wall; the box inside an open sheet is not
    box = trimesh.creation.box((1, 1, 1))
    sheet = Mesh(np.vstack([box.vertices, [[0.2, 0, 0], [0, 0.2, 0], [0, 0, 0.2]]]),
                 np.vstack([box.faces, [[8, 9, 10]]]))
    assert prepare_mesh(sheet).face_interior.tolist() == [False] * 12 + [True]
    # interior bodies draw no lines: the inner box leaves the rendering as it is
    cam = Camera(azimuth=30, image_size=96)
    outer = _boxes(((1, 1, 1), (0, 0, 0)))
    np.testing.assert_array_equal(render(inside, cam, outputs=("lines",)).lines,
                                  render(outer, cam, outputs=("lines",)).lines)


def test_fin_borders_do_not_open_a_closed_surface():
    box = trimesh.creation.box((1, 1, 1))
    a, b = box.faces[0][:2]
    finned = prepare_mesh(Mesh(np.vstack([box.vertices, [[0.0, 0.0, 0.0]]]), np.vstack([box.faces, [[a, b, 8]]])))
    assert finned.closed and finned.face_dangling[-1]
    # two fins on one edge: both dangle and the edge is decided on the box's two faces
    two = prepare_mesh(Mesh(np.vstack([box.vertices, [[0.0, 0.0, 0.0], [0.1, 0.1, 0.1]]]),
                            np.vstack([box.faces, [[a, b, 8], [b, a, 9]]])))
    assert two.closed and two.face_dangling[-2:].all() and not two.edge_nonmanifold.any()
