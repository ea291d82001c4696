"""Optional Blender Freestyle backend for line renderings, as in the thesis (§4.2.3.1: Blender Freestyle,
silhouettes and creases, stroke width 2.2, camera distance 2.5, zenith 20°).

Used by ``render(..., backend="blender")`` when a ``blender`` executable is on PATH. The mesh is written to
a temporary OBJ (ShapeNet axes, unchanged), read back by a small script inside Blender that builds the
mesh directly (no importer axis conversion), places a camera with exactly :class:`Camera`'s pose and
projection, enables Freestyle with the requested edge types and a line style ``line_width`` pixels thick (absolute
base thickness 1 px), renders surfaces white over a white world with Cycles and the "Standard" view transform,
and saves a PNG that is read back as the (H,W) uint8 lines image.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from .camera import Camera
from .mesh import prepare_mesh

_SCRIPT = r'''
import json, sys, math
import bpy
from mathutils import Matrix

args = json.loads(sys.argv[sys.argv.index("--") + 1])
verts, faces = [], []
with open(args["obj"]) as fh:
    for line in fh:
        if line.startswith("v "):
            verts.append(tuple(float(x) for x in line.split()[1:4]))
        elif line.startswith("f "):
            faces.append(tuple(int(x.split("/")[0]) - 1 for x in line.split()[1:4]))

bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
mesh = bpy.data.meshes.new("shape")
mesh.from_pydata(verts, [], faces)
mesh.update()
obj = bpy.data.objects.new("shape", mesh)
scene.collection.objects.link(obj)

mat = bpy.data.materials.new("white")
mat.use_nodes = True
nodes = mat.node_tree.nodes
nodes.clear()
emit = nodes.new("ShaderNodeEmission")
emit.inputs["Color"].default_value = (1, 1, 1, 1)
emit.inputs["Strength"].default_value = 1.0
out = nodes.new("ShaderNodeOutputMaterial")
mat.node_tree.links.new(emit.outputs["Emission"], out.inputs["Surface"])
obj.data.materials.append(mat)

world = bpy.data.worlds.new("white")
world.use_nodes = True
bg = world.node_tree.nodes.get("Background")
bg.inputs["Color"].default_value = (1, 1, 1, 1)
bg.inputs["Strength"].default_value = 1.0
scene.world = world

cam_data = bpy.data.cameras.new("camera")
if args["projection"] == "orthographic":
    cam_data.type = "ORTHO"
    cam_data.ortho_scale = 2.0 * args["ortho_scale"]
else:
    cam_data.type = "PERSP"
    cam_data.sensor_fit = "VERTICAL"
    cam_data.angle_y = math.radians(args["fov"])
cam_data.clip_start = 0.01
cam_data.clip_end = 100.0
cam = bpy.data.objects.new("camera", cam_data)
cam.matrix_world = Matrix(args["camera_to_world"])
scene.collection.objects.link(cam)
scene.camera = cam

r = scene.render
r.engine = "CYCLES"
scene.cycles.samples = 32
scene.cycles.device = "CPU"
scene.cycles.use_denoising = False
for _vl in scene.view_layers:
    _vl.cycles.denoising_store_passes = False
r.resolution_x = r.resolution_y = args["size"]
r.resolution_percentage = 100
r.film_transparent = False
r.image_settings.file_format = "PNG"
r.image_settings.color_mode = "BW"
scene.view_settings.view_transform = "Standard"
r.use_freestyle = True
r.line_thickness_mode = "ABSOLUTE"
r.line_thickness = 1.0          # base thickness in pixels; the line style multiplies it

layer = scene.view_layers[0]
fs = layer.freestyle_settings
fs.crease_angle = math.radians(180.0 - args["crease_angle"])
ls = fs.linesets[0] if len(fs.linesets) else fs.linesets.new("lines")
ls.select_by_visibility = True
ls.visibility = "VISIBLE"
ls.select_by_edge_types = True
for name in ("silhouette", "border", "crease", "ridge_valley", "suggestive_contour", "material_boundary",
             "contour", "external_contour", "edge_mark"):
    setattr(ls, "select_" + name, False)
for kind in args["kinds"]:
    setattr(ls, "select_" + kind, True)
if "silhouette" in args["kinds"]:
    ls.select_contour = True
    ls.select_external_contour = True
style = ls.linestyle
if style is None:
    style = ls.linestyle = bpy.data.linestyles.new("lines")
style.color = (0, 0, 0)
style.thickness = args["line_width"]
style.thickness_position = "CENTER"
r.filepath = args["png"]
bpy.ops.render.render(write_still=True)
'''


def blender_available() -> bool:
    return shutil.which("blender") is not None


def write_obj(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    lines = [f"v {x:.9g} {y:.9g} {z:.9g}" for x, y, z in vertices]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces]
    Path(path).write_text("\n".join(lines) + "\n")


def render_lines_blender(mesh, camera: Camera, line_width: float = 2.2,
                         kinds=("silhouette", "crease", "border"), crease_angle: float = 30.0,
                         timeout: float = 300.0) -> np.ndarray:
    """Freestyle line image (H,W) uint8, 255 background, of ``mesh`` from ``camera``.

    ``crease_angle`` is our convention (angle between face normals); Freestyle's threshold is the angle
    between the faces, ``180 - crease_angle``.
    """
    exe = shutil.which("blender")
    if exe is None:
        raise RuntimeError("backend='blender' needs a 'blender' executable on PATH; none was found")
    data = prepare_mesh(mesh)
    with tempfile.TemporaryDirectory(prefix="sbsr-blender-") as tmp:
        tmp = Path(tmp)
        obj, png, script = tmp / "mesh.obj", tmp / "lines.png", tmp / "freestyle.py"
        write_obj(obj, data.vertices, data.faces)
        script.write_text(_SCRIPT)
        args = {
            "obj": str(obj), "png": str(png), "size": int(camera.image_size),
            "projection": camera.projection, "fov": float(camera.fov), "ortho_scale": float(camera.ortho_scale),
            "camera_to_world": camera.camera_to_world().tolist(), "line_width": float(line_width),
            "kinds": list(kinds), "crease_angle": float(crease_angle),
        }
        cmd = [exe, "-b", "--factory-startup", "--python", str(script), "--", json.dumps(args)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONNOUSERSITE": "1"})
        if proc.returncode != 0 or not png.exists():
            tail = (proc.stdout + proc.stderr)[-2000:]
            raise RuntimeError(f"blender failed (exit {proc.returncode}) rendering {obj}:\n{tail}")
        img = np.asarray(Image.open(png).convert("L"))
    return img.copy()
