"""Lifter checkpoints: the model configuration and weights in one ``.pt`` file (see docs/formats.md).

A videopose checkpoint is a dict saved with ``torch.save``::

    {"format": "videopose-lifter", "version": 1, "config": LifterConfig.to_dict(),
     "model_pos": state dict, "model_traj": state dict or None, "metadata": {...}}

:func:`load_checkpoint` also reads checkpoints of the original VideoPose3D code (``{"model_pos": ...,
"model_traj": ..., "epoch": ..., "lr": ..., "optimizer": ...}``), inferring the architecture from
the tensor shapes. Every file is read with ``torch.load(weights_only=True)``: loading never runs code
from the file.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from videopose.lifter.model import TemporalModel, TemporalModelStrided
from videopose.core.errors import VideoposeError
from videopose.core.fileio import atomic_output
from videopose.core.layouts import LAYOUTS, get_layout

FORMAT_TAG = "videopose-lifter"
FORMAT_VERSION = 1

# Numpy globals the original code's checkpoints need (its ``random_state`` is a numpy RNG state):
# plain numeric arrays only, no arbitrary classes.
_NUMPY_SAFE_GLOBALS = [np.core.multiarray._reconstruct, np.ndarray, np.dtype] + [
    type(np.dtype(kind)) for kind in (np.bool_, np.uint8, np.int32, np.int64, np.uint32, np.float32, np.float64)
]


@dataclass(frozen=True)
class LifterConfig:
    """The lifter's architecture and the joint layouts it reads and writes.

    filter_widths: per block temporal kernel width, e.g. (3, 3, 3, 3, 3) for the 243-frame model.
    input_layout / output_layout: names from :mod:`videopose.core.layouts` (2D input, 3D output).
    in_features: numbers per input joint (2: normalised x, y).
    """

    filter_widths: tuple[int, ...]
    channels: int = 1024
    causal: bool = False
    dropout: float = 0.25
    input_layout: str = "coco17"
    output_layout: str = "h36m17"
    in_features: int = 2

    def __post_init__(self) -> None:
        widths = tuple(int(width) for width in self.filter_widths)
        if not widths or any(width < 1 or width % 2 == 0 for width in widths):
            raise VideoposeError(f"filter widths must be odd and positive, got {widths}")
        if self.channels < 1 or self.in_features < 1:
            raise VideoposeError(f"channels and in_features must be positive, got {self.channels}, {self.in_features}")
        get_layout(self.input_layout)
        get_layout(self.output_layout)
        object.__setattr__(self, "filter_widths", widths)

    @property
    def num_joints_in(self) -> int:
        return get_layout(self.input_layout).num_joints

    @property
    def num_joints_out(self) -> int:
        return get_layout(self.output_layout).num_joints

    @property
    def receptive_field(self) -> int:
        """Input frames per output frame: the product of the filter widths (27, 81, 243, ...)."""
        return int(np.prod(self.filter_widths))

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["filter_widths"] = list(self.filter_widths)
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "LifterConfig":
        known = {name for name in cls.__dataclass_fields__}
        unknown = sorted(set(values) - known)
        if unknown or "filter_widths" not in values:
            raise VideoposeError(
                f"lifter config has unknown keys {unknown}" if unknown else "lifter config lacks filter_widths"
            )
        return cls(**{**values, "filter_widths": tuple(values["filter_widths"])})


def build_model(
    config: LifterConfig, strided: bool = False, num_joints_out: int | None = None
) -> TemporalModel | TemporalModelStrided:
    """A fresh (untrained) model for ``config``: dilated for sequences, or ``strided`` for 1-frame training.

    ``num_joints_out`` defaults to the output layout's joints; the trajectory model uses 1.
    """
    model_class = TemporalModelStrided if strided else TemporalModel
    return model_class(
        config.num_joints_in, config.in_features,
        config.num_joints_out if num_joints_out is None else num_joints_out,
        list(config.filter_widths), causal=config.causal, dropout=config.dropout, channels=config.channels,
    )


@dataclass(frozen=True)
class LifterCheckpoint:
    """A configuration with trained weights for the pose model and, optionally, the trajectory model.

    The trajectory model (Sec. 4, semi-supervised training) has the same architecture with one
    output joint: the pelvis position in the camera frame, metres.
    metadata: plain data (numbers, strings, lists, dicts) such as training info and errors.
    """

    config: LifterConfig
    pose_state: dict[str, torch.Tensor]
    trajectory_state: dict[str, torch.Tensor] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def has_trajectory(self) -> bool:
        return self.trajectory_state is not None

    def pose_model(self, strided: bool = False) -> TemporalModel | TemporalModelStrided:
        """The pose model with these weights (in eval mode), on the CPU."""
        return _loaded_model(self.config, self.pose_state, strided, None, "pose model (model_pos)")

    def trajectory_model(self, strided: bool = False) -> TemporalModel | TemporalModelStrided | None:
        """The trajectory model with these weights (eval mode), or None if the checkpoint has none."""
        if self.trajectory_state is None:
            return None
        return _loaded_model(self.config, self.trajectory_state, strided, 1, "trajectory model (model_traj)")


def _loaded_model(config: LifterConfig, state: Mapping[str, torch.Tensor], strided: bool,
                  num_joints_out: int | None, what: str) -> TemporalModel | TemporalModelStrided:
    model = build_model(config, strided=strided, num_joints_out=num_joints_out)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        details = " ".join(str(error).split())
        raise VideoposeError(
            f"the checkpoint's {what} weights do not fit its configuration {config.to_dict()}: {details[:600]}; "
            "the file was edited or saved by an incompatible tool: re-save it with videopose.lifter.checkpoint.save_checkpoint "
            "or train a new one with `videopose train`"
        ) from None
    return model.eval()


def _plain_metadata(value: Any, where: str = "metadata") -> Any:
    """Metadata as types ``torch.load(weights_only=True)`` reads back: numbers, strings, lists, dicts."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, Mapping):
        return {str(key): _plain_metadata(inner, f"{where}[{key!r}]") for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_metadata(inner, f"{where}[{index}]") for index, inner in enumerate(value)]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise VideoposeError(f"checkpoint {where} holds a {type(value).__name__}: use numbers, strings, lists and dicts")


def save_checkpoint(checkpoint: LifterCheckpoint, path: str | os.PathLike, half: bool = False) -> None:
    """Write ``checkpoint`` to ``path`` atomically; ``half`` stores float weights as float16 (half the size)."""

    def stored(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {
            name: (tensor.detach().cpu().half() if half and tensor.is_floating_point() else tensor.detach().cpu()).clone()
            for name, tensor in state.items()
        }

    # Fail now (not at load time) if the weights do not fit the configuration.
    checkpoint.pose_model()
    checkpoint.trajectory_model()
    payload = {
        "format": FORMAT_TAG,
        "version": FORMAT_VERSION,
        "config": checkpoint.config.to_dict(),
        "model_pos": stored(checkpoint.pose_state),
        "model_traj": None if checkpoint.trajectory_state is None else stored(checkpoint.trajectory_state),
        "metadata": _plain_metadata(dict(checkpoint.metadata)),
    }
    with atomic_output(path) as temp_path:
        torch.save(payload, temp_path)


def _strip_data_parallel(state: Mapping[str, Any]) -> dict[str, Any]:
    """State dicts saved from ``nn.DataParallel`` prefix every name with ``module.``."""
    if state and all(name.startswith("module.") for name in state):
        return {name[len("module."):]: tensor for name, tensor in state.items()}
    return dict(state)


def _as_float32(state: Mapping[str, Any], path: Path, what: str) -> dict[str, torch.Tensor]:
    if not isinstance(state, Mapping) or not all(isinstance(tensor, torch.Tensor) for tensor in state.values()):
        raise VideoposeError(f"{path}: '{what}' is not a state dict of tensors; is this a lifter checkpoint?")
    broken = [name for name, tensor in state.items()
              if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())]
    if broken:
        raise VideoposeError(f"{path}: the '{what}' weights hold NaN or infinite numbers ({', '.join(broken[:3])}"
                             f"{' ...' if len(broken) > 3 else ''}): training diverged or the file is damaged; "
                             "use another checkpoint")
    return {
        name: tensor.float() if tensor.is_floating_point() else tensor
        for name, tensor in _strip_data_parallel(state).items()
    }


def infer_original_config(
    pose_state: Mapping[str, torch.Tensor], causal: bool = False, input_layout: str | None = None
) -> LifterConfig:
    """The architecture of an original VideoPose3D ``model_pos`` state dict, from its tensor shapes.

    expand_conv.weight (channels, joints_in * in_features, width_0); layers_conv.(2k).weight
    (channels, channels, width_k+1); shrink.weight (joints_out * 3, channels, 1). Causality leaves no
    trace in the weights, hence the ``causal`` argument. Without ``input_layout``, 2 features per joint
    are assumed and the layout is picked by joint count: 17 -> coco17 (the COCO-keypoint models; pass
    ``input_layout="h36m17"`` for models trained on Human3.6M's own 2D joints).
    """
    try:
        expand = pose_state["expand_conv.weight"]
        shrink = pose_state["shrink.weight"]
    except KeyError as missing:
        raise VideoposeError(
            f"the checkpoint's model_pos weights lack {missing.args[0]}: not a VideoPose3D or videopose lifter checkpoint"
        ) from None
    channels, flat_inputs, first_width = (int(size) for size in expand.shape)
    widths = [first_width]
    block = 0
    while f"layers_conv.{2 * block}.weight" in pose_state:
        widths.append(int(pose_state[f"layers_conv.{2 * block}.weight"].shape[2]))
        block += 1
    if input_layout is None:
        in_features = 2
        joints_in = flat_inputs // in_features
        candidates = [name for name, layout in LAYOUTS.items() if layout.num_joints == joints_in and name != "h36m17"]
        if flat_inputs % in_features or not candidates:
            raise VideoposeError(
                f"the checkpoint's model reads {flat_inputs} numbers per frame, which fits no known 2D layout "
                f"({', '.join(f'{name}: {layout.num_joints} joints' for name, layout in LAYOUTS.items())}); "
                "pass input_layout explicitly"
            )
        input_layout = "coco17" if "coco17" in candidates else candidates[0]
    else:
        joints_in = get_layout(input_layout).num_joints
        if flat_inputs % joints_in:
            raise VideoposeError(
                f"the checkpoint's model reads {flat_inputs} numbers per frame, not a multiple of "
                f"{input_layout}'s {joints_in} joints"
            )
        in_features = flat_inputs // joints_in
    joints_out = int(shrink.shape[0]) // 3
    outputs = [name for name, layout in LAYOUTS.items() if layout.num_joints == joints_out and layout.parents]
    if int(shrink.shape[0]) % 3 or not outputs:
        raise VideoposeError(
            f"the checkpoint's model predicts {int(shrink.shape[0])} numbers per frame; videopose needs 17 joints x 3 (h36m17)"
        )
    return LifterConfig(tuple(widths), channels=channels, causal=causal, input_layout=input_layout,
                        output_layout="h36m17" if "h36m17" in outputs else outputs[0], in_features=in_features)


def _load_failure(error: Exception) -> str:
    """The useful part of torch's (long) message for a file it cannot load."""
    text = str(error).strip()
    if "WeightsUnpickler error:" in text:
        detail = text.split("WeightsUnpickler error:", 1)[1].strip().splitlines()[0].strip()
        refused = re.search(r"GLOBAL (\S+) was not an allowed global", detail)
        if refused:
            return f"it holds a Python object ({refused.group(1)}) besides weights, which a safe load refuses"
        return f"not PyTorch weights: {detail}"
    first_sentence = text.splitlines()[0].split(". ")[0] if text else type(error).__name__
    return first_sentence[:300]


def _torch_load(path: Path) -> Any:
    with open(path, "rb") as stream:
        magic = stream.read(4)
    # torch.save writes a zip archive (PK..) since PyTorch 1.6; older files are a raw pickle (0x80).
    if not (magic.startswith(b"PK\x03\x04") or magic.startswith(b"\x80")):
        kind = "text" if all(32 <= byte < 127 or byte in (9, 10, 13) for byte in magic) else "another kind of data"
        raise VideoposeError(f"cannot read lifter checkpoint {path}: it is not a PyTorch file (it starts with {kind}, {magic!r}): "
                             "pass a .pt file saved by `videopose train` or VideoPose3D")
    try:
        with torch.serialization.safe_globals(_NUMPY_SAFE_GLOBALS):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for damaged or foreign files
        raise VideoposeError(
            f"cannot read lifter checkpoint {path} ({_load_failure(error)}): the file is damaged, not a PyTorch "
            "checkpoint, or holds objects other than weights; get a fresh copy or train one with `videopose train`"
        ) from None


def load_checkpoint(
    path: str | os.PathLike, causal: bool | None = None, input_layout: str | None = None
) -> LifterCheckpoint:
    """Read a videopose or an original VideoPose3D checkpoint; weights come back as float32.

    ``causal`` and ``input_layout`` matter only for original checkpoints, whose files do not record
    them (defaults: not causal; input layout by joint count, 17 -> coco17); for videopose checkpoints
    they must agree with the stored configuration.
    """
    source = Path(path)
    if not source.is_file():
        raise VideoposeError(f"lifter checkpoint not found: {source} (pass --checkpoint PATH to a .pt file)")
    if source.stat().st_size == 0:
        raise VideoposeError(f"lifter checkpoint is empty (0 bytes): {source}")
    content = _torch_load(source)
    if not isinstance(content, Mapping) or "model_pos" not in content:
        found = f"keys {sorted(map(str, content))[:8]}" if isinstance(content, Mapping) else f"a {type(content).__name__}"
        raise VideoposeError(
            f"{source} is not a lifter checkpoint: expected a dict with 'model_pos' weights, found {found}"
        )
    pose_state = _as_float32(content["model_pos"], source, "model_pos")
    trajectory_state = None
    if content.get("model_traj") is not None:
        trajectory_state = _as_float32(content["model_traj"], source, "model_traj")

    if "format" in content:
        if content["format"] != FORMAT_TAG:
            raise VideoposeError(f"{source} has format {content['format']!r}, not {FORMAT_TAG!r}")
        version = int(content.get("version", 0))
        if version > FORMAT_VERSION:
            raise VideoposeError(
                f"{source} is checkpoint format version {version}; this videopose reads up to {FORMAT_VERSION}: upgrade videopose"
            )
        if not isinstance(content.get("config"), Mapping):
            raise VideoposeError(f"{source} lacks its 'config' dict: re-save it with videopose.lifter.checkpoint.save_checkpoint")
        config = LifterConfig.from_dict(content["config"])
        for name, override in (("causal", causal), ("input_layout", input_layout)):
            if override is not None and getattr(config, name) != override:
                raise VideoposeError(
                    f"{source} was trained with {name}={getattr(config, name)!r}; it cannot be used with {name}={override!r}"
                )
        metadata = dict(content.get("metadata") or {})
    else:
        config = infer_original_config(pose_state, causal=bool(causal), input_layout=input_layout)
        metadata = {"source": "VideoPose3D", **{key: content[key] for key in ("epoch", "lr") if key in content}}

    checkpoint = LifterCheckpoint(config, pose_state, trajectory_state, metadata)
    checkpoint.pose_model()  # raise now if the weights do not fit the configuration
    checkpoint.trajectory_model()
    return checkpoint


def default_checkpoint_path() -> Path:
    """Where the shipped weights live: ``lifter/weights/default.pt``."""
    return Path(__file__).resolve().parent / "weights" / "default.pt"


def resolve_checkpoint(path: str | os.PathLike | None) -> Path:
    """The checkpoint file to use: ``path`` if given (it must exist), else the shipped default weights."""
    if path is None:
        default = default_checkpoint_path()
        if not default.is_file():
            raise VideoposeError(
                "no default weights are installed; pass --checkpoint PATH (train one with `videopose train`)"
            )
        return default
    chosen = Path(path).expanduser()
    if not chosen.is_file():
        raise VideoposeError(f"lifter checkpoint not found: {chosen} (pass --checkpoint PATH to a .pt file)")
    return chosen
