"""SketchyDepth: RGB images and depth maps from freehand scene sketches (thesis ch. 3, App. A)."""
