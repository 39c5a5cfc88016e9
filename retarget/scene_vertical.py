"""The world's up axis from the scene's vertical lines, seen by a static camera (docs/grounding.md).

Vertical lines in the world (walls' corners, door and window frames, posts) meet in the picture at one
vanishing point; through the camera's intrinsics it is the up axis in the camera frame, with no depth in it.
On the Gaussian sphere of the camera each segment is the plane through the camera centre and its two ends,
and a vanishing direction lies in the planes of its lines (:func:`vertical_lines`):

1. RANSAC on pairs of segments near the expected up (the body's vertical) for the direction most planes
   contain (within ``INLIER_DEGREES``), weighted by the angle each segment spans.
2. The dominant other vanishing points (the floor's and walls' edges, at least 45 degrees from it) take
   their lines out, and the vertical is fitted again. Without that, floor edges running away from the camera
   near the picture's centre line (nearly in line with a vertical vanishing point below the picture) pulled
   pose2sim cam02's vertical 6 degrees off; with it the four cameras are 0.6-1.8 degrees off at the default
   field of view (0.3-0.6 with the calibrated focal length: what is left is the focal length).

:func:`scene_up` turns the inliers into an up axis and its uncertainty for the floor's fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INLIER_DEGREES = 0.5  # a segment's plane within this of a vanishing direction belongs to it
OTHER_DIRECTIONS = 3  # the other (horizontal) vanishing points whose lines are taken out of the vertical's
_OTHER_MIN_DEGREES = 45.0  # ... at least this far from the vertical
_PAIRS = 1500  # RANSAC hypotheses per vanishing point


def segment_planes(segments_px: np.ndarray, intrinsics: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 4) pixel segments, (3, 3) intrinsics -> (n, 3) unit normals of the planes through the camera centre
    and each segment (camera frame), (n,) the angles (radians) the segments span seen from the camera."""
    segments_px = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    inverse = np.linalg.inv(intrinsics)
    starts = np.c_[segments_px[:, :2], np.ones(len(segments_px))] @ inverse.T
    ends = np.c_[segments_px[:, 2:], np.ones(len(segments_px))] @ inverse.T
    starts /= np.linalg.norm(starts, axis=1, keepdims=True)
    ends /= np.linalg.norm(ends, axis=1, keepdims=True)
    normals = np.cross(starts, ends)
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    return normals, np.arccos(np.clip((starts * ends).sum(axis=1), -1.0, 1.0))


def _vanishing_direction(normals: np.ndarray, spans: np.ndarray, candidates: np.ndarray, accept,
                         rng: np.random.Generator) -> tuple[np.ndarray | None, np.ndarray]:
    """RANSAC over pairs of candidate segments (weighted by span) for the direction most of their planes
    contain (within INLIER_DEGREES), ``accept``-ed ((k, 3) -> (k,) bool), refined on its inliers -> the
    unit direction (or None) and the (n,) inlier mask."""
    index = np.flatnonzero(candidates)
    none = np.zeros(len(normals), dtype=bool)
    if len(index) < 2:
        return None, none
    tolerance = np.sin(np.radians(INLIER_DEGREES))
    pairs = rng.choice(index, size=(_PAIRS, 2), p=spans[index] / spans[index].sum())
    directions = np.cross(normals[pairs[:, 0]], normals[pairs[:, 1]])
    sizes = np.linalg.norm(directions, axis=1)
    keep = sizes > 1e-6
    directions = directions[keep] / sizes[keep, None]
    directions = directions[accept(directions)]
    if not len(directions):
        return None, none
    scores = ((np.abs(directions @ normals[candidates].T) < tolerance) * spans[candidates]).sum(axis=1)
    direction = directions[np.argmax(scores)]
    for _ in range(3):
        inliers = candidates & (np.abs(normals @ direction) < tolerance)
        refined = np.linalg.eigh((normals[inliers] * spans[inliers, None]).T @ normals[inliers])[1][:, 0]
        direction = refined if refined @ direction >= 0 else -refined
    return direction, candidates & (np.abs(normals @ direction) < tolerance)


def vertical_mask(segments_px: np.ndarray, intrinsics: np.ndarray, expected_up: np.ndarray,
                  max_degrees: float = 15.0, seed: int = 0) -> np.ndarray:
    """(n, 4) pixel segments, (3, 3) intrinsics -> (n,) bool: the segments that meet at the vertical vanishing
    point within ``max_degrees`` of ``expected_up`` ((3,) camera frame), after the lines of the
    OTHER_DIRECTIONS dominant other vanishing points are taken out (see the module docstring); all False where
    no two segments meet there. Deterministic for one ``seed``."""
    segments_px = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    expected_up = np.asarray(expected_up, dtype=np.float64) / np.linalg.norm(expected_up)
    rng = np.random.default_rng(seed)
    normals, spans = segment_planes(segments_px, intrinsics)
    near_up = np.abs(normals @ expected_up) < np.sin(np.radians(max_degrees))

    def near(reference: np.ndarray, degrees: float):
        return lambda directions: np.abs(directions @ reference) >= np.cos(np.radians(degrees))

    up, inliers = _vanishing_direction(normals, spans, near_up, near(expected_up, max_degrees), rng)
    for _ in range(2):
        if up is None:
            return np.zeros(len(segments_px), dtype=bool)
        taken = _other_directions(normals, spans, up, OTHER_DIRECTIONS, rng)[1]
        refit, refit_inliers = _vanishing_direction(normals, spans, near_up & ~taken, near(expected_up, max_degrees),
                                                    rng)
        if refit is None:
            break
        up, inliers = refit, refit_inliers
    return inliers


def _other_directions(normals: np.ndarray, spans: np.ndarray, up: np.ndarray, count: int, rng: np.random.Generator,
                      taken: np.ndarray | None = None) -> tuple[list[tuple[np.ndarray, int]], np.ndarray]:
    """The ``count`` strongest vanishing directions at least _OTHER_MIN_DEGREES from ``up`` among the segments
    not ``taken``, one after the other (each takes its lines) -> [(direction (3,), its lines)], the (n,) mask of
    the segments taken (``taken`` included)."""
    taken = np.zeros(len(normals), dtype=bool) if taken is None else taken.copy()
    found = []
    for _ in range(count):
        other, other_inliers = _vanishing_direction(
            normals, spans, ~taken, lambda directions: np.abs(directions @ up) < np.cos(np.radians(_OTHER_MIN_DEGREES)), rng)
        if other is None:
            break
        taken |= other_inliers
        found.append((other, int(other_inliers.sum())))
    return found, taken


def vertical_lines(segments_px: np.ndarray, intrinsics: np.ndarray, expected_up: np.ndarray,
                   max_degrees: float = 15.0, seed: int = 0) -> np.ndarray:
    """The (m, 4) segments of :func:`vertical_mask` ((0, 4) where none)."""
    segments_px = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    return segments_px[vertical_mask(segments_px, intrinsics, expected_up, max_degrees, seed)]


SCENE_SIGMA_DEGREES = 1.5  # the up axis from the scene's lines errs by at least this: the field of view's error
LINE_SIGMA_DEGREES = 0.25  # a line's own error (not quite vertical, not quite straight, the lens)
FULL_SPAN_RADIANS = 0.1  # a line spanning this angle seen from the camera counts fully; shorter, in proportion
MIN_LINES = 4
MAX_SIGMA_DEGREES = 4.0  # lines that leave the up axis less sure than this in some direction are not used
MAX_FROM_BODY_DEGREES = 15.0  # the vertical is looked for this close to the body's


@dataclass(frozen=True)
class SceneVertical:
    """The up axis from the scene's vertical lines: ``up`` (3,) unit, camera frame; ``information`` (3, 3),
    per radian squared, about a normal's tilt away from it (zero along ``up``); ``lines`` how many lines."""

    up: np.ndarray
    information: np.ndarray
    lines: int

    def sigma_degrees(self) -> np.ndarray:
        """(2,) the up axis's standard deviations (degrees) in its least and best known directions."""
        values = np.linalg.eigvalsh(self.information)[1:]
        return np.degrees(1.0 / np.sqrt(np.maximum(values, 1e-12)))[::-1]


def _tangent_basis(direction: np.ndarray) -> np.ndarray:
    """(2, 3) two unit vectors perpendicular to ``direction`` and each other."""
    helper = np.eye(3)[int(np.argmin(np.abs(direction)))]
    first = np.cross(direction, helper)
    first /= np.linalg.norm(first)
    return np.stack([first, np.cross(direction, first)])


def scene_up(segments_px: np.ndarray, intrinsics: np.ndarray, body_up: np.ndarray,
             max_degrees: float = MAX_FROM_BODY_DEGREES) -> SceneVertical | None:
    """(n, 4) pixel segments of the background (``Keypoints2D.extras["background_lines_px"]``), (3, 3)
    intrinsics, (3,) the body's vertical (camera frame) -> the scene's up axis within ``max_degrees`` of it,
    or None where fewer than MIN_LINES vertical lines are found or they leave it less sure than
    MAX_SIGMA_DEGREES in some direction (lines bunched in one place: one post, one box edge).

    Its uncertainty: each line's plane known to LINE_SIGMA_DEGREES (in proportion to its span up to
    FULL_SPAN_RADIANS), plus SCENE_SIGMA_DEGREES in every direction for what the lines cannot say (the focal
    length: at the default 70 degrees pose2sim's verticals are 0.6-1.8 degrees off, 0.3-0.6 at the true one)."""
    body_up = np.asarray(body_up, dtype=np.float64) / np.linalg.norm(body_up)
    lines = vertical_lines(segments_px, intrinsics, body_up, max_degrees)
    if len(lines) < MIN_LINES:
        return None
    normals, spans = segment_planes(lines, intrinsics)
    weights = np.minimum(1.0, spans / FULL_SPAN_RADIANS)
    up = np.linalg.eigh((normals * weights[:, None]).T @ normals)[1][:, 0]
    up = up if up @ body_up >= 0 else -up
    tangent = _tangent_basis(up)
    lines_information = (tangent @ normals.T * weights) @ (normals @ tangent.T) / np.radians(LINE_SIGMA_DEGREES) ** 2
    covariance = np.linalg.inv(lines_information + 1e-6 * np.eye(2)) + np.eye(2) * np.radians(SCENE_SIGMA_DEGREES) ** 2
    if np.degrees(np.sqrt(np.linalg.eigvalsh(covariance).max())) > MAX_SIGMA_DEGREES:
        return None
    return SceneVertical(up, tangent.T @ np.linalg.inv(covariance) @ tangent, int(len(lines)))


# The focal length from three orthogonal vanishing points: the vertical and the two strongest horizontal ones
# (a room's walls and floor edges). Each pair (v1, v2), in pixels about the principal point c, gives
# f^2 = -(v1 - c) . (v2 - c) (zero skew, square pixels, the centre in the middle).
FOCAL_AGREEMENT = 1.10  # the three pairs' focal lengths within this ratio of each other, or none is trusted
MIN_DIRECTION_LINES = 10  # lines each horizontal vanishing point needs
MAX_VANISHING_DISTANCE = 10.0  # x the focal length: a vanishing point farther from the centre pins nothing
FOCAL_FOV_DEGREES = (40.0, 100.0)  # the diagonal fields of view a found focal length may give


def scene_focal_px(segments_px: np.ndarray, intrinsics: np.ndarray, width: int, height: int,
                   body_up: np.ndarray, max_degrees: float = MAX_FROM_BODY_DEGREES) -> float | None:
    """(n, 4) pixel segments of the background, (3, 3) a first guess of the intrinsics (the default field of
    view), the frame size, (3,) the body's vertical (camera frame) -> the focal length (pixels) from the
    background's three orthogonal vanishing points, or None.

    The first guess only finds the vertical near ``body_up`` and tells the other directions apart: the
    vanishing points are where the lines meet in the picture, which no focal length moves. None where fewer
    than MIN_LINES vertical lines or fewer than two horizontal directions (MIN_DIRECTION_LINES lines each, at
    least 45 degrees from the vertical) are found, where a vanishing point lies more than
    MAX_VANISHING_DISTANCE focal lengths from the centre (a level camera's verticals are parallel in the
    picture and say nothing of the focal length), where the three pairs disagree by more than
    FOCAL_AGREEMENT (directions not at right angles: a street's buildings at odd angles), or where the
    result's diagonal field of view is outside FOCAL_FOV_DEGREES. The pairs' f^2 are combined by their inverse
    variances (a far vanishing point pins little); on pose2sim 1651 / 1667 / 1675 / 1677 px against the
    calibrated 1681 / 1674 / 1682 / 1675 (their median: 1651 / 1604 / 1670 / 1666)."""
    segments_px = np.asarray(segments_px, dtype=np.float64).reshape(-1, 4)
    body_up = np.asarray(body_up, dtype=np.float64) / np.linalg.norm(body_up)
    vertical = vertical_mask(segments_px, intrinsics, body_up, max_degrees)
    if vertical.sum() < MIN_LINES:
        return None
    normals, spans = segment_planes(segments_px, intrinsics)
    up = np.linalg.eigh((normals[vertical] * spans[vertical, None]).T @ normals[vertical])[1][:, 0]
    others, _ = _other_directions(normals, spans, up, 2, np.random.default_rng(0), taken=vertical)
    if len(others) < 2 or min(lines for _, lines in others) < MIN_DIRECTION_LINES:
        return None
    centre, focal = intrinsics[:2, 2], intrinsics[0, 0]
    points = []
    for direction in [up] + [direction for direction, _ in others]:
        projected = intrinsics @ direction
        if abs(projected[2]) < 1e-9 * np.linalg.norm(projected):
            return None
        point = projected[:2] / projected[2] - centre
        if np.linalg.norm(point) > MAX_VANISHING_DISTANCE * focal:
            return None
        points.append(point)
    pairs = ((0, 1), (0, 2), (1, 2))
    squares = np.array([-(points[a] @ points[b]) for a, b in pairs])
    if squares.min() <= 0:
        return None
    focals = np.sqrt(squares)
    if focals.max() > FOCAL_AGREEMENT * focals.min():
        return None
    # Each pair's f^2 weighted by its inverse variance: a vanishing point r focal lengths from the centre, found
    # to a given angle on the sphere, is known in the picture to (1 + r^2) times that (far ones pin little).
    spreads = [1.0 + (np.linalg.norm(point) / focal) ** 2 for point in points]
    variances = np.array([np.linalg.norm(points[b]) ** 2 * spreads[a] ** 2 + np.linalg.norm(points[a]) ** 2 * spreads[b] ** 2
                          for a, b in pairs])
    found = float(np.sqrt(np.sum(squares / variances) / np.sum(1.0 / variances)))
    fov = float(np.degrees(2 * np.arctan(np.hypot(width, height) / 2 / found)))
    return found if FOCAL_FOV_DEGREES[0] <= fov <= FOCAL_FOV_DEGREES[1] else None
