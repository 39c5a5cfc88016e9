"""Rest skeletons and bone maps of the built-in rig presets (``--rig rigify|metarig|mixamo|ue5|cmu|smpl``).

Each preset is the same dictionary a user's bone-map JSON holds (docs/formats.md, "Bone maps"):
``joints`` (name, parent, rest head position in the world frame: metres, Z up, facing -Y, the
performer's left towards +X), ``map`` (target bone -> canonical source joint), ``end_sites`` (leaf
joints written as BVH ``End Site``; they are optional when the preset's map is applied to a user's
own armature that lacks them) and ``rest_pose``.

Proportions are those of an adult about 1.75 m tall (CMU: the offsets of the Daz-friendly CMU BVH
conversion, subject ~1.65 m). Rigify, Mixamo, CMU and SMPL rest in a T-pose; the UE5 mannequin in
its A-pose (arms ~40 degrees below horizontal). Which canonical joint drives which bone:

==============  ==================  =================  ==============  ================  ==============
canonical       Rigify (DEF-)       Mixamo             UE5             CMU (Daz)         SMPL
==============  ==================  =================  ==============  ================  ==============
pelvis          DEF-spine           Hips               pelvis          hip               pelvis
spine           DEF-spine.001       Spine              spine_01        abdomen           spine1
thorax          DEF-spine.003       Spine2             spine_05        chest             spine3
neck_nose       DEF-spine.006       Head               head            head              head
head            DEF-spine.006_end   HeadTop_End        -               -                 -
left_hip        DEF-thigh.L         LeftUpLeg          thigh_l         lThigh            left_hip
left_knee       DEF-shin.L          LeftLeg            calf_l          lShin             left_knee
left_ankle      DEF-foot.L          LeftFoot           foot_l          lFoot             left_ankle
left_shoulder   DEF-upper_arm.L     LeftArm            upperarm_l      lShldr            left_shoulder
left_elbow      DEF-forearm.L       LeftForeArm        lowerarm_l      lForeArm          left_elbow
left_wrist      DEF-hand.L          LeftHand           hand_l          lHand             left_wrist
==============  ==================  =================  ==============  ================  ==============

(right side likewise; Mixamo names carry the ``mixamorig:`` prefix). Unmapped bones (twist bones,
clavicles, extra spine and neck bones, toes) keep their rest pose relative to their parent.
"""

from __future__ import annotations

import numpy as np

Joint = tuple[str, str | None, tuple[float, float, float]]


def _arm_direction(side: float, droop_degrees: float) -> np.ndarray:
    angle = np.radians(droop_degrees)
    return np.array([side * np.cos(angle), 0.0, -np.sin(angle)])


def _body(droop_degrees: float = 0.0) -> dict[str, np.ndarray]:
    """Landmarks of a ~1.75 m adult (T-pose when ``droop_degrees`` = 0); ``l_``/``r_`` = performer's sides."""
    points = {
        "pelvis": (0.0, 0.0, 0.98), "spine_a": (0.0, 0.0, 1.08), "spine_b": (0.0, 0.01, 1.20),
        "chest": (0.0, 0.01, 1.32), "neck": (0.0, 0.02, 1.50), "neck_b": (0.0, 0.015, 1.55),
        "head": (0.0, 0.01, 1.61), "head_top": (0.0, 0.01, 1.78),
    }
    for prefix, side in (("l_", 1.0), ("r_", -1.0)):
        shoulder = np.array([side * 0.17, 0.02, 1.46])
        arm = _arm_direction(side, droop_degrees)
        points.update({
            prefix + "clavicle": (side * 0.03, -0.01, 1.46), prefix + "shoulder": tuple(shoulder),
            prefix + "upper_arm_mid": tuple(shoulder + 0.145 * arm), prefix + "elbow": tuple(shoulder + 0.29 * arm),
            prefix + "forearm_mid": tuple(shoulder + 0.42 * arm), prefix + "wrist": tuple(shoulder + 0.55 * arm),
            prefix + "hip": (side * 0.095, 0.0, 0.93), prefix + "thigh_mid": (side * 0.095, -0.005, 0.725),
            prefix + "knee": (side * 0.095, -0.01, 0.52), prefix + "shin_mid": (side * 0.095, 0.01, 0.305),
            prefix + "ankle": (side * 0.095, 0.03, 0.09), prefix + "ball": (side * 0.095, -0.09, 0.025),
            prefix + "toe": (side * 0.095, -0.16, 0.02),
        })
    return {name: np.asarray(point, dtype=np.float64) for name, point in points.items()}


def _joints(rows: list[tuple[str, str | None, str]], body: dict[str, np.ndarray]) -> list[dict]:
    return [{"name": name, "parent": parent, "head": [round(float(v), 5) for v in body[landmark]]}
            for name, parent, landmark in rows]


def _sided(template: list[tuple[str, str | None, str]], left: str, right: str) -> list[tuple[str, str | None, str]]:
    """Expand rows containing ``{s}`` (bone side tag) and ``{p}`` (landmark prefix) into left and right rows."""
    rows = []
    for tag, prefix in ((left, "l_"), (right, "r_")):
        for name, parent, landmark in template:
            rows.append((name.format(s=tag), parent.format(s=tag) if parent else parent, landmark.format(p=prefix)))
    return rows


def _sided_map(template: dict[str, str], left: str, right: str) -> dict[str, str]:
    mapping = {}
    for tag, side in ((left, "left"), (right, "right")):
        for bone, joint in template.items():
            mapping[bone.format(s=tag)] = joint.format(side=side)
    return mapping


_LIMB_MAP = {"hip": "{side}_hip", "knee": "{side}_knee", "ankle": "{side}_ankle",
             "shoulder": "{side}_shoulder", "elbow": "{side}_elbow", "wrist": "{side}_wrist"}


def _limb_map(names: dict[str, str], left: str, right: str) -> dict[str, str]:
    return _sided_map({names[key]: joint for key, joint in _LIMB_MAP.items()}, left, right)


def rigify() -> dict:
    rows = [("DEF-spine", None, "pelvis"), ("DEF-spine.001", "DEF-spine", "spine_a"),
            ("DEF-spine.002", "DEF-spine.001", "spine_b"), ("DEF-spine.003", "DEF-spine.002", "chest"),
            ("DEF-spine.004", "DEF-spine.003", "neck"), ("DEF-spine.005", "DEF-spine.004", "neck_b"),
            ("DEF-spine.006", "DEF-spine.005", "head"), ("DEF-spine.006_end", "DEF-spine.006", "head_top")]
    rows += _sided([
        ("DEF-shoulder.{s}", "DEF-spine.003", "{p}clavicle"), ("DEF-upper_arm.{s}", "DEF-shoulder.{s}", "{p}shoulder"),
        ("DEF-upper_arm.{s}.001", "DEF-upper_arm.{s}", "{p}upper_arm_mid"),
        ("DEF-forearm.{s}", "DEF-upper_arm.{s}.001", "{p}elbow"),
        ("DEF-forearm.{s}.001", "DEF-forearm.{s}", "{p}forearm_mid"), ("DEF-hand.{s}", "DEF-forearm.{s}.001", "{p}wrist"),
        ("DEF-thigh.{s}", "DEF-spine", "{p}hip"), ("DEF-thigh.{s}.001", "DEF-thigh.{s}", "{p}thigh_mid"),
        ("DEF-shin.{s}", "DEF-thigh.{s}.001", "{p}knee"), ("DEF-shin.{s}.001", "DEF-shin.{s}", "{p}shin_mid"),
        ("DEF-foot.{s}", "DEF-shin.{s}.001", "{p}ankle"), ("DEF-toe.{s}", "DEF-foot.{s}", "{p}ball"),
        ("DEF-toe.{s}_end", "DEF-toe.{s}", "{p}toe"),
    ], "L", "R")
    mapping = {"DEF-spine": "pelvis", "DEF-spine.001": "spine", "DEF-spine.003": "thorax",
               "DEF-spine.006": "neck_nose", "DEF-spine.006_end": "head"}
    mapping.update(_limb_map({"hip": "DEF-thigh.{s}", "knee": "DEF-shin.{s}", "ankle": "DEF-foot.{s}",
                              "shoulder": "DEF-upper_arm.{s}", "elbow": "DEF-forearm.{s}", "wrist": "DEF-hand.{s}"},
                             "L", "R"))
    return {"name": "rigify", "rest_pose": "T", "joints": _joints(rows, _body()), "map": mapping,
            "end_sites": ["DEF-spine.006_end", "DEF-toe.L_end", "DEF-toe.R_end"]}


def mixamo() -> dict:
    m = "mixamorig:"
    rows = [(m + "Hips", None, "pelvis"), (m + "Spine", m + "Hips", "spine_a"), (m + "Spine1", m + "Spine", "spine_b"),
            (m + "Spine2", m + "Spine1", "chest"), (m + "Neck", m + "Spine2", "neck"), (m + "Head", m + "Neck", "head"),
            (m + "HeadTop_End", m + "Head", "head_top")]
    rows += _sided([
        (m + "{s}Shoulder", m + "Spine2", "{p}clavicle"), (m + "{s}Arm", m + "{s}Shoulder", "{p}shoulder"),
        (m + "{s}ForeArm", m + "{s}Arm", "{p}elbow"), (m + "{s}Hand", m + "{s}ForeArm", "{p}wrist"),
        (m + "{s}UpLeg", m + "Hips", "{p}hip"), (m + "{s}Leg", m + "{s}UpLeg", "{p}knee"),
        (m + "{s}Foot", m + "{s}Leg", "{p}ankle"), (m + "{s}ToeBase", m + "{s}Foot", "{p}ball"),
        (m + "{s}Toe_End", m + "{s}ToeBase", "{p}toe"),
    ], "Left", "Right")
    mapping = {m + "Hips": "pelvis", m + "Spine": "spine", m + "Spine2": "thorax", m + "Head": "neck_nose",
               m + "HeadTop_End": "head"}
    mapping.update(_limb_map({"hip": m + "{s}UpLeg", "knee": m + "{s}Leg", "ankle": m + "{s}Foot",
                              "shoulder": m + "{s}Arm", "elbow": m + "{s}ForeArm", "wrist": m + "{s}Hand"},
                             "Left", "Right"))
    return {"name": "mixamo", "rest_pose": "T", "joints": _joints(rows, _body()), "map": mapping,
            "end_sites": [m + "HeadTop_End", m + "LeftToe_End", m + "RightToe_End"]}


def ue5() -> dict:
    body = _body(droop_degrees=40.0)
    body["root"] = np.zeros(3)
    for index, height in enumerate((1.06, 1.14, 1.23, 1.32, 1.42), start=1):
        body[f"spine_{index}"] = np.array([0.0, 0.01, height])
    rows = [("root", None, "root"), ("pelvis", "root", "pelvis"), ("spine_01", "pelvis", "spine_1"),
            ("spine_02", "spine_01", "spine_2"), ("spine_03", "spine_02", "spine_3"), ("spine_04", "spine_03", "spine_4"),
            ("spine_05", "spine_04", "spine_5"), ("neck_01", "spine_05", "neck"), ("neck_02", "neck_01", "neck_b"),
            ("head", "neck_02", "head")]
    rows += _sided([
        ("clavicle_{s}", "spine_05", "{p}clavicle"), ("upperarm_{s}", "clavicle_{s}", "{p}shoulder"),
        ("lowerarm_{s}", "upperarm_{s}", "{p}elbow"), ("hand_{s}", "lowerarm_{s}", "{p}wrist"),
        ("thigh_{s}", "pelvis", "{p}hip"), ("calf_{s}", "thigh_{s}", "{p}knee"), ("foot_{s}", "calf_{s}", "{p}ankle"),
        ("ball_{s}", "foot_{s}", "{p}ball"),
    ], "l", "r")
    mapping = {"pelvis": "pelvis", "spine_01": "spine", "spine_05": "thorax", "head": "neck_nose"}
    mapping.update(_limb_map({"hip": "thigh_{s}", "knee": "calf_{s}", "ankle": "foot_{s}",
                              "shoulder": "upperarm_{s}", "elbow": "lowerarm_{s}", "wrist": "hand_{s}"}, "l", "r"))
    return {"name": "ue5", "rest_pose": "A", "joints": _joints(rows, body), "map": mapping, "end_sites": []}


# Offsets of the Daz-friendly CMU BVH conversion (/work/shared/mocap/cmu/daz), read in metres and Z up.
_CMU_OFFSETS = {
    "hip": (None, (0.0, 0.0, 0.95)), "abdomen": ("hip", (0.0, 0.0073, 0.2069)),
    "chest": ("abdomen", (0.0, 0.0049, 0.117)), "neck": ("chest", (0.0, 0.0219, 0.2219)),
    "head": ("neck", (0.0, -0.0122, 0.0707)),
    "{s}Collar": ("chest", (0.0268, 0.0488, 0.1926)), "{s}Shldr": ("{s}Collar", (0.0878, -0.0146, -0.0195)),
    "{s}ForeArm": ("{s}Shldr", (0.2817, -0.0049, -0.0171)), "{s}Hand": ("{s}ForeArm", (0.2259, -0.0707, 0.0077)),
    "{s}Buttock": ("hip", (0.0878, -0.0122, 0.0435)), "{s}Thigh": ("{s}Buttock", (0.0, 0.0219, -0.0171)),
    "{s}Shin": ("{s}Thigh", (0.0, -0.0073, -0.3682)), "{s}Foot": ("{s}Shin", (-0.0073, 0.0512, -0.4511)),
    "{s}Foot_end": ("{s}Foot", (0.0, -0.12, -0.04)),
}


def cmu() -> dict:
    positions: dict[str, np.ndarray] = {}
    joints = []
    for tag, side in (("", 0.0), ("l", 1.0), ("r", -1.0)):
        for name, (parent, offset) in _CMU_OFFSETS.items():
            if ("{s}" in name) != bool(tag):
                continue
            name, parent = name.format(s=tag), parent.format(s=tag) if parent else None
            offset = np.array(offset) * (np.array([side, 1.0, 1.0]) if tag else 1.0)
            positions[name] = (positions[parent] if parent else 0.0) + offset
            joints.append({"name": name, "parent": parent, "head": [round(float(v), 5) for v in positions[name]]})
    mapping = {"hip": "pelvis", "abdomen": "spine", "chest": "thorax", "head": "neck_nose"}
    mapping.update(_limb_map({"hip": "{s}Thigh", "knee": "{s}Shin", "ankle": "{s}Foot", "shoulder": "{s}Shldr",
                              "elbow": "{s}ForeArm", "wrist": "{s}Hand"}, "l", "r"))
    return {"name": "cmu", "rest_pose": "T", "joints": joints, "map": mapping, "end_sites": ["lFoot_end", "rFoot_end"]}


# SMPL's 24 joints in its own order, with offsets (metres, Z up) close to the neutral template's.
_SMPL = (
    ("pelvis", None, (0.0, 0.0, 0.93)), ("left_hip", "pelvis", (0.06, 0.0, -0.09)),
    ("right_hip", "pelvis", (-0.06, 0.0, -0.09)), ("spine1", "pelvis", (0.0, 0.0, 0.11)),
    ("left_knee", "left_hip", (0.04, 0.0, -0.38)), ("right_knee", "right_hip", (-0.04, 0.0, -0.38)),
    ("spine2", "spine1", (0.0, -0.01, 0.13)), ("left_ankle", "left_knee", (-0.01, 0.04, -0.40)),
    ("right_ankle", "right_knee", (0.01, 0.04, -0.40)), ("spine3", "spine2", (0.0, 0.0, 0.06)),
    ("left_foot", "left_ankle", (0.02, -0.12, -0.05)), ("right_foot", "right_ankle", (-0.02, -0.12, -0.05)),
    ("neck", "spine3", (0.0, 0.03, 0.21)), ("left_collar", "spine3", (0.07, 0.02, 0.12)),
    ("right_collar", "spine3", (-0.07, 0.02, 0.12)), ("head", "neck", (0.0, -0.05, 0.09)),
    ("left_shoulder", "left_collar", (0.12, 0.01, 0.03)), ("right_shoulder", "right_collar", (-0.12, 0.01, 0.03)),
    ("left_elbow", "left_shoulder", (0.26, 0.0, 0.0)), ("right_elbow", "right_shoulder", (-0.26, 0.0, 0.0)),
    ("left_wrist", "left_elbow", (0.25, 0.0, 0.0)), ("right_wrist", "right_elbow", (-0.25, 0.0, 0.0)),
    ("left_hand", "left_wrist", (0.08, 0.0, 0.0)), ("right_hand", "right_wrist", (-0.08, 0.0, 0.0)),
)


def smpl() -> dict:
    positions: dict[str, np.ndarray] = {}
    joints = []
    for name, parent, offset in _SMPL:
        positions[name] = (positions[parent] if parent else 0.0) + np.array(offset)
        joints.append({"name": name, "parent": parent, "head": [round(float(v), 5) for v in positions[name]]})
    mapping = {"pelvis": "pelvis", "spine1": "spine", "spine3": "thorax", "head": "neck_nose"}
    mapping.update(_limb_map({key: "{s}_" + key for key in _LIMB_MAP}, "left", "right"))
    return {"name": "smpl", "rest_pose": "T", "joints": joints, "map": mapping, "end_sites": []}


def metarig() -> dict:
    """Rigify's human metarig (the rig before "Generate Rig"): the DEF bones' names without ``DEF-``. Its
    bones carry no constraints, so keying them animates it directly."""
    data = rigify()

    def plain(name: str) -> str:
        return name[len("DEF-"):] if name.startswith("DEF-") else name

    joints = [{**joint, "name": plain(joint["name"]), "parent": plain(joint["parent"]) if joint["parent"] else None}
              for joint in data["joints"]]
    return {"name": "metarig", "rest_pose": "T", "joints": joints,
            "map": {plain(bone): joint for bone, joint in data["map"].items()},
            "end_sites": [plain(name) for name in data["end_sites"]]}


PRESETS = {"rigify": rigify, "metarig": metarig, "mixamo": mixamo, "ue5": ue5, "cmu": cmu, "smpl": smpl}
