"""BlazePose's own skeleton against the mocap's: body proportions (issue 12, item 5).

    python benchmarks/train_blazepose_proportions.py --data /tmp/vp/mocap.npz \
        [--out benchmarks/results/training_blazepose_proportions.json]

BlazePose's hips and shoulders are landmarks on the body's outline, not joint centres. The four-camera
pose2sim clip gives BlazePose's 3D skeleton (``benchmarks/real_video.py``'s reference: the 33 landmarks
triangulated from the four calibrated views, cached in ``benchmarks/results/real_video_reference.npz``);
its proportions (median lengths over frames) are compared with those of every mocap body of the
prepared dataset (one clip per body: the two retargeted figures ``daz`` and ``cc`` and each real
subject). Ratios, so that the size of the person does not enter: hip width / leg, shoulder width / arm,
torso (hip centre to shoulder centre) / leg, thigh / shin, upper arm / forearm. One performer against ten
bodies: a ratio outside the mocap's range is a systematic difference of the landmark definitions.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

import real_video  # noqa: E402
from videopose.core.fileio import atomic_output  # noqa: E402
from videopose.core.layouts import MEDIAPIPE33  # noqa: E402

PARTS = ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")


def lengths(point) -> dict[str, float]:
    """``point(name)`` (frames, 3) for left_/right_ hip..wrist -> median lengths (m)."""
    def dist(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.nanmedian(np.linalg.norm(a - b, axis=-1)))

    def both(a: str, b: str) -> float:
        return (dist(point(f"left_{a}"), point(f"left_{b}")) + dist(point(f"right_{a}"), point(f"right_{b}"))) / 2

    hips = (point("left_hip") + point("right_hip")) / 2
    shoulders = (point("left_shoulder") + point("right_shoulder")) / 2
    return {"hip_width": dist(point("left_hip"), point("right_hip")),
            "shoulder_width": dist(point("left_shoulder"), point("right_shoulder")),
            "thigh": both("hip", "knee"), "shin": both("knee", "ankle"), "upper_arm": both("shoulder", "elbow"),
            "forearm": both("elbow", "wrist"), "torso": dist(hips, shoulders)}


def ratios(size: dict[str, float]) -> dict[str, float]:
    leg, arm = size["thigh"] + size["shin"], size["upper_arm"] + size["forearm"]
    return {"hip_width/leg": size["hip_width"] / leg, "shoulder_width/arm": size["shoulder_width"] / arm,
            "torso/leg": size["torso"] / leg, "thigh/shin": size["thigh"] / size["shin"],
            "upper_arm/forearm": size["upper_arm"] / size["forearm"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="prepared mocap dataset (videopose prepare-data ../shared/mocap)")
    parser.add_argument("--out", type=Path, default=BENCHMARKS / "results" / "training_blazepose_proportions.json")
    args = parser.parse_args()
    from videopose.lifter.datasets import MocapDataset
    from videopose.lifter.mocap import MOCAP_NAMES

    data = np.load(real_video.REFERENCE_CACHE, allow_pickle=False)
    landmarks = np.asarray(data["landmarks"], dtype=np.float64)
    index = {name: i for i, name in enumerate(MEDIAPIPE33.names)}
    blazepose = lengths(lambda name: landmarks[:, index[name]])
    bodies: dict[str, dict[str, float]] = {}
    for clip in MocapDataset.load(args.data).clips:
        body = clip.skeleton if clip.skeleton in ("daz", "cc") else clip.subject
        if body not in bodies:
            bodies[body] = lengths(lambda name, points=clip.points: points[:, MOCAP_NAMES.index(name)])
    mocap = np.array([list(ratios(size).values()) for size in bodies.values()])
    table = {}
    for column, (name, value) in enumerate(ratios(blazepose).items()):
        values = mocap[:, column]
        table[name] = {"blazepose": round(value, 3), "mocap_mean": round(float(values.mean()), 3),
                       "mocap_sd": round(float(values.std()), 3), "mocap_min": round(float(values.min()), 3),
                       "mocap_max": round(float(values.max()), 3),
                       "outside_mocap_range": bool(value < values.min() or value > values.max())}
    result = {"definition": __doc__.split("\n\n", 2)[1].strip(), "ratios": table,
              "blazepose_lengths_cm": {k: round(100 * v, 1) for k, v in blazepose.items()},
              "mocap_lengths_cm": {body: {k: round(100 * v, 1) for k, v in size.items()} for body, size in bodies.items()}}
    with atomic_output(args.out, overwrite=True) as temp:
        Path(temp).write_text(json.dumps(result, indent=2))
    for name, row in table.items():
        print(f"{name:20s} BlazePose {row['blazepose']:.3f}  mocap {row['mocap_mean']:.3f} +- {row['mocap_sd']:.3f} "
              f"({row['mocap_min']:.3f}-{row['mocap_max']:.3f}){'  OUTSIDE' if row['outside_mocap_range'] else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
