"""The temporal dilated-convolution lifting network of Pavllo et al., CVPR 2019 (VideoPose3D), Sec. 3.

Input (batch, frames, joints_in, features) 2D poses -> output (batch, frames - receptive_field + 1,
joints_out, 3). Block k has a dilated convolution of width ``filter_widths[k]`` and dilation
``prod(filter_widths[:k])``, then a 1x1 convolution; each with batch norm, ReLU and dropout; a residual
skip that *slices* the input sequence to the output length (no zero padding anywhere, Sec. 3).

:class:`TemporalModel` runs over whole sequences (inference, evaluation); :class:`TemporalModelStrided`
is the single-frame training variant of Sec. 3 ("optimized for single-frame predictions") that replaces
dilation by stride; both hold exactly the same parameters, so a state dict loads into either.
Parameter names follow the original code (``expand_conv``, ``expand_bn``, ``layers_conv.N``,
``layers_bn.N``, ``shrink``) so that original checkpoints load as they are.
"""

from __future__ import annotations

import torch
from torch import nn


class _TemporalBase(nn.Module):
    def __init__(
        self,
        num_joints_in: int,
        in_features: int,
        num_joints_out: int,
        filter_widths: list[int] | tuple[int, ...],
        causal: bool,
        dropout: float,
        channels: int,
    ) -> None:
        super().__init__()
        filter_widths = [int(width) for width in filter_widths]
        if not filter_widths or any(width % 2 == 0 or width < 1 for width in filter_widths):
            raise ValueError(f"filter widths must be odd and positive, got {filter_widths}")
        self.num_joints_in = num_joints_in
        self.in_features = in_features
        self.num_joints_out = num_joints_out
        self.filter_widths = filter_widths
        self.causal = causal
        self.channels = channels
        self.drop = nn.Dropout(dropout)
        self.relu = nn.ReLU(inplace=True)
        self.expand_bn = nn.BatchNorm1d(channels, momentum=0.1)
        self.shrink = nn.Conv1d(channels, num_joints_out * 3, 1)
        self.layers_conv = nn.ModuleList()
        self.layers_bn = nn.ModuleList()
        # Per block: frames trimmed from each side (pad) and, for the causal model, how far the
        # window is shifted into the past (causal_shift), both in input frames.
        self.pad: list[int] = [filter_widths[0] // 2]
        self.causal_shift: list[int] = [filter_widths[0] // 2 if causal else 0]
        dilation = filter_widths[0]
        for width in filter_widths[1:]:
            self.pad.append((width - 1) * dilation // 2)
            self.causal_shift.append((width // 2) * dilation if causal else 0)
            self.layers_bn.append(nn.BatchNorm1d(channels, momentum=0.1))
            self.layers_bn.append(nn.BatchNorm1d(channels, momentum=0.1))
            dilation *= width

    def set_bn_momentum(self, momentum: float) -> None:
        """Set every batch-norm layer's momentum (the paper decays it from 0.1 to 0.001)."""
        self.expand_bn.momentum = momentum
        for bn in self.layers_bn:
            bn.momentum = momentum

    def receptive_field(self) -> int:
        """Input frames needed for one output frame (27, 81, 243 for widths 3x3x3, 3x3x3x3, 3x3x3x3x3)."""
        return 1 + 2 * sum(self.pad)

    def total_causal_shift(self) -> int:
        """How many frames the causal model's window lies in the past: inputs are padded by this on the left."""
        return sum(self.causal_shift)

    def forward(self, poses_2d: torch.Tensor) -> torch.Tensor:
        """(batch, frames, joints_in, features) -> (batch, frames - receptive_field + 1, joints_out, 3)."""
        if poses_2d.ndim != 4 or poses_2d.shape[2:] != (self.num_joints_in, self.in_features):
            raise ValueError(
                f"expected input (batch, frames, {self.num_joints_in}, {self.in_features}), got {tuple(poses_2d.shape)}"
            )
        batch, frames = poses_2d.shape[:2]
        features = poses_2d.reshape(batch, frames, -1).permute(0, 2, 1)
        features = self._blocks(features)
        return features.permute(0, 2, 1).reshape(batch, -1, self.num_joints_out, 3)

    def _blocks(self, features: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class TemporalModel(_TemporalBase):
    """Dilated temporal convolutions over a whole sequence (Sec. 3, Fig. 2)."""

    def __init__(
        self,
        num_joints_in: int,
        in_features: int,
        num_joints_out: int,
        filter_widths: list[int] | tuple[int, ...],
        causal: bool = False,
        dropout: float = 0.25,
        channels: int = 1024,
    ) -> None:
        super().__init__(num_joints_in, in_features, num_joints_out, filter_widths, causal, dropout, channels)
        self.expand_conv = nn.Conv1d(num_joints_in * in_features, channels, self.filter_widths[0], bias=False)
        dilation = self.filter_widths[0]
        for width in self.filter_widths[1:]:
            self.layers_conv.append(nn.Conv1d(channels, channels, width, dilation=dilation, bias=False))
            self.layers_conv.append(nn.Conv1d(channels, channels, 1, bias=False))
            dilation *= width

    def _blocks(self, features: torch.Tensor) -> torch.Tensor:
        features = self.drop(self.relu(self.expand_bn(self.expand_conv(features))))
        for block in range(len(self.pad) - 1):
            pad, shift = self.pad[block + 1], self.causal_shift[block + 1]
            # The skip path keeps the centre (or, causal, the most recent) frames the convolution sees.
            residual = features[:, :, pad + shift: features.shape[2] - pad + shift]
            features = self.drop(self.relu(self.layers_bn[2 * block](self.layers_conv[2 * block](features))))
            features = residual + self.drop(self.relu(self.layers_bn[2 * block + 1](self.layers_conv[2 * block + 1](features))))
        return self.shrink(features)


class TemporalModelStrided(_TemporalBase):
    """Single-frame training variant (Sec. 3): strided instead of dilated convolutions.

    Each training sample is one receptive field of input and yields one output frame, so no
    computation is spent on frames the batch does not need. Same parameters as :class:`TemporalModel`.
    """

    def __init__(
        self,
        num_joints_in: int,
        in_features: int,
        num_joints_out: int,
        filter_widths: list[int] | tuple[int, ...],
        causal: bool = False,
        dropout: float = 0.25,
        channels: int = 1024,
    ) -> None:
        super().__init__(num_joints_in, in_features, num_joints_out, filter_widths, causal, dropout, channels)
        self.expand_conv = nn.Conv1d(
            num_joints_in * in_features, channels, self.filter_widths[0], stride=self.filter_widths[0], bias=False
        )
        for width in self.filter_widths[1:]:
            self.layers_conv.append(nn.Conv1d(channels, channels, width, stride=width, bias=False))
            self.layers_conv.append(nn.Conv1d(channels, channels, 1, bias=False))

    def _blocks(self, features: torch.Tensor) -> torch.Tensor:
        features = self.drop(self.relu(self.expand_bn(self.expand_conv(features))))
        for block in range(len(self.pad) - 1):
            width = self.filter_widths[block + 1]
            # After striding, one step is ``width`` frames of this block's input: the residual takes the
            # centre sample of each group (causal: the last one).
            offset = width - 1 if self.causal else width // 2
            residual = features[:, :, offset::width]
            features = self.drop(self.relu(self.layers_bn[2 * block](self.layers_conv[2 * block](features))))
            features = residual + self.drop(self.relu(self.layers_bn[2 * block + 1](self.layers_conv[2 * block + 1](features))))
        return self.shrink(features)
