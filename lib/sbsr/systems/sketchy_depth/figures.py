"""Plotly figures of the SketchyDepth chapter, from arrays and tables the experiments computed
(the counterparts of thesis Fig. 3.1-3.7 and A.1-A.7). Image grids use :func:`sbsr.book.figures.retrieval.image_grid`."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ...book.figures.retrieval import image_grid, png_data_uri
from .data import FAR
from .models import count_parameters

#: Colours of the class masks (sky, grass, tree, bush, cloud, object).
CLASS_COLOURS = np.array([[135, 190, 235], [90, 170, 70], [30, 100, 40], [120, 160, 60], [245, 245, 250],
                          [220, 80, 60]], np.uint8)


def depth_to_image(depth: np.ndarray, far: float = FAR) -> np.ndarray:
    """(H,W) depth -> (H,W,3) uint8, near bright and far dark (the convention of the thesis' figures)."""
    d = np.clip(np.asarray(depth, np.float64) / far, 0, 1)
    g = np.round(255 * (1 - d) ** 1.5).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def classes_to_image(classes: np.ndarray) -> np.ndarray:
    return CLASS_COLOURS[np.clip(classes, 0, len(CLASS_COLOURS) - 1)]


def gallery(scenes, idx, thumb: int = 64, title: str = "") -> go.Figure:
    """One row per scene: scene sketch, partial image, RGB, true depth, class mask."""
    rows = [[np.repeat(np.minimum(scenes["sketch_fg"][i], scenes["sketch_bg"][i])[..., None], 3, 2),
             scenes["partial"][i], scenes["rgb"][i], depth_to_image(scenes["depth"][i]),
             classes_to_image(scenes["classes"][i])] for i in idx]
    return image_grid(rows, col_labels=["scene sketch", "partial image", "RGB", "true depth", "classes"],
                      row_labels=[f"scene {i} ({scenes['kind'][i]})" for i in idx], thumb_size=thumb,
                      cell_px=thumb + 24, title=title)


def generation_grid(scenes, idx, outputs: dict, labels: dict, title: str, thumb: int = 64) -> go.Figure:
    """Partial image, then each variant's generated image, then the true image (Fig. 3.3, A.5)."""
    pos = {int(i): k for k, i in enumerate(scenes.indices("test"))}
    rows = [[scenes["partial"][i]] + [outputs[v]["rgb"][pos[int(i)]] for v in labels] + [scenes["rgb"][i]]
            for i in idx]
    return image_grid(rows, col_labels=["partial image"] + list(labels.values()) + ["true image"],
                      row_labels=[f"scene {i} ({scenes['kind'][i]})" for i in idx], thumb_size=thumb,
                      cell_px=thumb + 24, title=title)


def depth_grid(scenes, idx, image, joint, mono, title: str, thumb: int = 64) -> go.Figure:
    """Generated image, G_d's depth, the monocular depth of that image, the true depth (Fig. 3.4, A.6);
    ``image``, ``joint``, ``mono`` are indexed like ``scenes.indices("test")``."""
    pos = {int(i): k for k, i in enumerate(scenes.indices("test"))}
    rows = [[image[pos[int(i)]], depth_to_image(joint[pos[int(i)]]), depth_to_image(mono[pos[int(i)]]),
             depth_to_image(scenes["depth"][i])] for i in idx]
    return image_grid(rows, col_labels=["generated image", "generated depth (G_d)",
                                        "monocular depth (MiDaS stand-in)", "true depth"],
                      row_labels=[f"scene {i}" for i in idx], thumb_size=thumb, cell_px=thumb + 24, title=title)


def effects_grid(rows: list[list[np.ndarray]], row_labels, col_labels, title: str, thumb: int = 64) -> go.Figure:
    return image_grid(rows, row_labels=row_labels, col_labels=col_labels, thumb_size=thumb, cell_px=thumb + 24,
                      title=title)


def photo3d_figure(frames: np.ndarray, title: str, scale: int = 3) -> go.Figure:
    """An animation (plotly frames, play button) of uint8 frames (T,H,W,3), enlarged ``scale`` times."""
    def img(f):
        big = np.kron(f, np.ones((scale, scale, 1), np.uint8))
        return go.Image(source=png_data_uri(big))

    h, w = frames.shape[1] * scale, frames.shape[2] * scale
    fig = go.Figure(data=[img(frames[0])], frames=[go.Frame(data=[img(f)], name=str(k)) for k, f in enumerate(frames)])
    fig.update_layout(
        title=title, width=w + 80, height=h + 140, xaxis=dict(visible=False), yaxis=dict(visible=False),
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=-0.05, buttons=[
            dict(label="play", method="animate",
                 args=[None, dict(frame=dict(duration=120, redraw=True), fromcurrent=True, mode="immediate")])])],
        sliders=[dict(steps=[dict(method="animate", label=str(k), args=[[str(k)], dict(mode="immediate",
                      frame=dict(duration=0, redraw=True))]) for k in range(len(frames))], x=0.15, len=0.85)])
    return fig


def network_diagram(nets: dict, title: str = "SketchyDepth as built (cf. Fig. 3.2)") -> go.Figure:
    """Boxes and arrows of the networks of the full model with their parameter counts."""
    def p(k):
        return f"{count_parameters(nets[k]) / 1e6:.2f} M" if k in nets else "—"

    boxes = {  # name: (x, y, text, colour)
        "i_p": (0, 1, "partial image i_p<br>(sketch + pasted objects)", "#eeeeee"),
        "G_d": (1.3, 1.6, f"G_d U-Net<br>{p('G_d')}", "#aec7e8"),
        "d": (2.6, 1.6, "d_gen", "#dddddd"),
        "G_i": (2.6, 0.4, f"G_i U-Net<br>{p('G_i')}", "#aec7e8"),
        "i": (3.9, 0.4, "i_gen", "#dddddd"),
        "D_d": (3.9, 2.3, f"D_d PatchGAN<br>(i_p, d) {p('D_d')}", "#ffbb78"),
        "D_i": (5.2, 0.9, f"D_i PatchGAN<br>(i_p, d, i) {p('D_i')}", "#ffbb78"),
        "D_j": (5.2, 1.9, f"D_j PatchGAN<br>(i_p, d, i) {p('D_j')}", "#ff9896"),
    }
    arrows = [("i_p", "G_d"), ("G_d", "d"), ("i_p", "G_i"), ("d", "G_i"), ("G_i", "i"), ("d", "D_d"),
              ("i", "D_i"), ("d", "D_i"), ("i", "D_j"), ("d", "D_j")]
    fig = go.Figure()
    for a, b in arrows:
        (x0, y0, *_), (x1, y1, *_) = boxes[a], boxes[b]
        fig.add_annotation(x=x1 - 0.45 * np.sign(x1 - x0) if x1 != x0 else x1, y=y1, ax=x0, ay=y0, xref="x",
                           yref="y", axref="x", ayref="y", showarrow=True, arrowhead=2, arrowwidth=1.5,
                           arrowcolor="#555")
    for name, (x, y, text, colour) in boxes.items():
        fig.add_shape(type="rect", x0=x - 0.5, x1=x + 0.5, y0=y - 0.28, y1=y + 0.28, fillcolor=colour,
                      line=dict(color="#333"), layer="below")
        fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=11))
    fig.update_layout(title=title, xaxis=dict(visible=False, range=[-0.7, 5.9]),
                      yaxis=dict(visible=False, range=[-0.1, 2.8]), height=380, plot_bgcolor="white",
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def fd_bars(rows, fd_name: str, title: str) -> go.Figure:
    """Table 3.1's FD per row (bars) beside SSIM (markers on a second axis)."""
    rows = rows.dropna(subset=["value"])
    fid = rows[rows.metric == "FID"]
    ss = rows[rows.metric == "SSIM"]
    fig = go.Figure([go.Bar(x=fid.row, y=fid.value, name=fd_name),
                     go.Scatter(x=ss.row, y=ss.value, name="SSIM", yaxis="y2", mode="markers",
                                marker=dict(size=12, symbol="diamond"))])
    fig.update_layout(title=title, yaxis=dict(title=fd_name), yaxis2=dict(title="SSIM", overlaying="y", side="right"),
                      height=380, legend=dict(orientation="h", y=-0.25))
    return fig


__all__ = ["classes_to_image", "depth_grid", "depth_to_image", "effects_grid", "fd_bars", "gallery",
           "generation_grid", "network_diagram", "photo3d_figure"]
