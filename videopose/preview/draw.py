"""Drawing skeletons on images with OpenCV (2D keypoints over video frames, and the 3D preview).

Colour convention, shared by every picture videopose makes (2D overlays and the 3D view):
the performer's own LEFT side is BLUE, their RIGHT side is ORANGE, and the centre line
(pelvis, spine, neck, head, and bones joining left to right) is GREEN.  A bone takes the side of
its joints: left-left is left, left-centre is left (a clavicle or a hip bone), left-right is centre.

Images are OpenCV's BGR ``uint8`` ``(height, width, 3)``; keypoints are pixels (x right, y down).
A joint's score is its opacity: score 1 is drawn solid, 0.5 half blended into the image, and a
score of 0 or a NaN coordinate is not drawn at all.  All drawing goes into one overlay and one
alpha mask over the skeleton's bounding box, then a single blend, so a 720p frame with 17 joints
costs well under a millisecond or two.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from videopose.core.errors import VideoposeError
from videopose.core.layouts import Layout, get_layout, joint_sides

LEFT_BGR = (235, 140, 40)      # blue
RIGHT_BGR = (30, 140, 250)     # orange
CENTRE_BGR = (90, 200, 60)     # green
_SUBPIXEL_BITS = 4             # cv2 ``shift``: coordinates in 1/16 pixel
_SUBPIXEL = 1 << _SUBPIXEL_BITS


def _side_bgr(side: int) -> tuple[int, int, int]:
    return LEFT_BGR if side < 0 else RIGHT_BGR if side > 0 else CENTRE_BGR


def side_colors(layout: Layout | str) -> np.ndarray:
    """(joints, 3) uint8 BGR colour of each joint: left blue, right orange, centre green."""
    layout = get_layout(layout) if isinstance(layout, str) else layout
    return np.array([_side_bgr(side) for side in joint_sides(layout.names)], dtype=np.uint8).reshape(-1, 3)


def edge_colors(layout: Layout | str) -> np.ndarray:
    """(edges, 3) uint8 BGR colour of each of ``layout.edges`` by the side its joints are on."""
    layout = get_layout(layout) if isinstance(layout, str) else layout
    sides = joint_sides(layout.names)
    colors = []
    for a, b in layout.edges:
        side_a, side_b = int(sides[a]), int(sides[b])
        colors.append(_side_bgr(side_a + side_b if side_a * side_b >= 0 else 0))
    return np.array(colors, dtype=np.uint8).reshape(-1, 3)


def default_thickness(height: int, width: int) -> int:
    """Line thickness in pixels that reads at any size: 4 px on a 720p frame, 2 px on 360p."""
    return max(1, int(round(min(height, width) / 180)))


def layout_from_parents(names: Sequence[str], parents: Sequence[int], name: str = "skeleton") -> Layout:
    """A drawable layout for any joint tree (e.g. a retargeted :class:`videopose.core.animation.Skeleton`)."""
    parents = tuple(int(p) for p in parents)
    edges = tuple((parent, child) for child, parent in enumerate(parents) if parent >= 0)
    return Layout(name, tuple(str(n) for n in names), edges, parents)


def draw_segments(
    image_bgr: np.ndarray,
    points: np.ndarray,
    opacities: np.ndarray,
    edges: Sequence[tuple[int, int]] | np.ndarray,
    edge_bgr: np.ndarray,
    joint_bgr: np.ndarray,
    thickness: int,
    edge_order: np.ndarray | None = None,
    joint_radius: int | None = None,
    outline: bool = True,
    in_place: bool = False,
) -> np.ndarray:
    """Alpha-blended bones and joint dots: the drawing primitive behind the 2D and 3D views.

    points: (joints, 2) pixels; opacities: (joints,) in [0, 1] (NaN/0 -> not drawn); a bone's opacity
    is the smaller of its two joints'.  edges: (edges, 2) joint pairs with edge_bgr (edges, 3) colours;
    joint_bgr: (joints, 3).  edge_order: draw order of the bones (painter's order for a 3D view),
    default as given; dots are drawn after all bones.  ``outline`` adds a 1-pixel dark rim.  Returns a new image unless ``in_place``.
    """
    output = image_bgr if in_place else image_bgr.copy()
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    opacities = np.nan_to_num(np.asarray(opacities, dtype=np.float64).reshape(-1), nan=0.0)
    visible = np.isfinite(points).all(axis=1) & (opacities > 0)
    opacities = np.where(visible, np.clip(opacities, 0.0, 1.0), 0.0)
    if not visible.any():
        return output
    height, width = output.shape[:2]
    radius = joint_radius if joint_radius is not None else max(2, int(round(thickness * 1.3)))
    margin = max(radius, thickness) + 3

    # Work on the skeleton's bounding box only (clipped to the image): one overlay, one mask, one blend.
    visible_points = points[visible]
    x0 = int(max(0, np.floor(visible_points[:, 0].min()) - margin))
    y0 = int(max(0, np.floor(visible_points[:, 1].min()) - margin))
    x1 = int(min(width, np.ceil(visible_points[:, 0].max()) + margin + 1))
    y1 = int(min(height, np.ceil(visible_points[:, 1].max()) + margin + 1))
    if x1 <= x0 or y1 <= y0:
        return output
    region = output[y0:y1, x0:x1]
    fixed = np.round((np.nan_to_num(points) - (x0, y0)) * _SUBPIXEL).astype(np.int64)
    # Keep far-off points (a wild detection) within int32 for OpenCV; the clipping happens in cv2.
    fixed = np.clip(fixed, -(1 << 26), 1 << 26).tolist()
    alpha_levels = np.round(255 * opacities).astype(int).tolist()

    # Fully opaque skeletons (the 3D view) are drawn straight onto the image; otherwise into an
    # overlay plus an alpha mask, blended once.  The overlay's colour reaches past the mask's
    # anti-aliased fringe so the fringe has colour under it.
    opaque = bool((opacities[visible] >= 1.0).all())
    canvas = region if opaque else region.copy()
    alpha = None if opaque else np.zeros(region.shape[:2], dtype=np.uint8)
    border = 1 if outline else 0  # a thin dark rim keeps light colours readable on light backgrounds
    reach, under_type = (0, cv2.LINE_AA) if opaque else (2, cv2.LINE_8)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2).tolist()
    order = range(len(edges)) if edge_order is None else np.asarray(edge_order).tolist()
    edge_bgr = np.asarray(edge_bgr, dtype=np.int64).reshape(-1, 3)
    joint_bgr = np.asarray(joint_bgr, dtype=np.int64).reshape(-1, 3)
    edge_under = (edge_bgr // 3 if outline else edge_bgr).tolist()
    joint_under = (joint_bgr // 3 if outline else joint_bgr).tolist()
    edge_bgr, joint_bgr = edge_bgr.tolist(), joint_bgr.tolist()
    for index in order:
        a, b = edges[index]
        level = min(alpha_levels[a], alpha_levels[b])
        if level <= 0:
            continue
        start, end = fixed[a], fixed[b]
        if outline or not opaque:
            cv2.line(canvas, start, end, edge_under[index], thickness + 2 * border + reach, under_type, _SUBPIXEL_BITS)
        cv2.line(canvas, start, end, edge_bgr[index], thickness, cv2.LINE_AA, _SUBPIXEL_BITS)
        if alpha is not None:
            cv2.line(alpha, start, end, level, thickness + 2 * border, cv2.LINE_AA, _SUBPIXEL_BITS)
    for joint in np.flatnonzero(visible).tolist():
        center = fixed[joint]
        if outline or not opaque:
            cv2.circle(canvas, center, (radius + border) * _SUBPIXEL + reach * 8, joint_under[joint], -1, under_type, _SUBPIXEL_BITS)
        cv2.circle(canvas, center, radius * _SUBPIXEL, joint_bgr[joint], -1, cv2.LINE_AA, _SUBPIXEL_BITS)
        if alpha is not None:
            cv2.circle(alpha, center, (radius + border) * _SUBPIXEL, alpha_levels[joint], -1, cv2.LINE_AA, _SUBPIXEL_BITS)

    if alpha is not None:
        weights = cv2.multiply(alpha, 1.0 / 255, dtype=cv2.CV_32F)
        region[:] = cv2.blendLinear(canvas, region, weights, cv2.subtract(1.0, weights))
    return output


def draw_skeleton_2d(
    image_bgr: np.ndarray,
    keypoints: np.ndarray,
    scores: np.ndarray,
    layout: Layout | str,
    thickness: int | None = None,
) -> np.ndarray:
    """A new image with the skeleton drawn over ``image_bgr`` (height, width, 3) BGR uint8.

    keypoints: (joints, 2) pixels in ``layout``'s order; scores: (joints,) used as opacity (0 or NaN
    hides a joint and its bones).  Colours: performer's left blue, right orange, centre green.
    thickness: line width in pixels, default scaled to the image (:func:`default_thickness`).
    """
    layout = get_layout(layout) if isinstance(layout, str) else layout
    keypoints = np.asarray(keypoints)
    if keypoints.shape != (layout.num_joints, 2):
        raise VideoposeError(f"keypoints must have shape ({layout.num_joints}, 2) for layout {layout.name}, got {keypoints.shape}")
    if thickness is None:
        thickness = default_thickness(*image_bgr.shape[:2])
    return draw_segments(
        image_bgr, keypoints, scores, layout.edges, edge_colors(layout), side_colors(layout), thickness
    )


def draw_text_banner(
    image_bgr: np.ndarray,
    text: str,
    corner: str = "top-left",
    scale: float | None = None,
    in_place: bool = False,
) -> np.ndarray:
    """``text`` in white on a translucent dark box in one corner (``top-left``, ``top-right``,
    ``bottom-left``, ``bottom-right``) of a (height, width, 3) BGR image; font scaled to the image."""
    output = image_bgr if in_place else image_bgr.copy()
    height, width = output.shape[:2]
    if scale is None:
        scale = max(0.35, min(height, width) / 900)
    font = cv2.FONT_HERSHEY_SIMPLEX
    weight = max(1, int(round(scale * 2)))
    (text_width, text_height), baseline = cv2.getTextSize(text, font, scale, weight)
    pad = max(3, int(round(text_height * 0.4)))
    box_width, box_height = text_width + 2 * pad, text_height + baseline + 2 * pad
    x0 = 0 if corner.endswith("left") else max(0, width - box_width)
    y0 = 0 if corner.startswith("top") else max(0, height - box_height)
    x1, y1 = min(width, x0 + box_width), min(height, y0 + box_height)
    region = output[y0:y1, x0:x1]
    region[:] = (region.astype(np.uint16) * 2 // 5).astype(np.uint8)  # darken to 40 %
    cv2.putText(output, text, (x0 + pad, y0 + pad + text_height), font, scale, (255, 255, 255), weight, cv2.LINE_AA)
    return output
