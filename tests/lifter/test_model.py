"""The temporal convolution model: receptive fields, dilated == strided, causal windows."""

from __future__ import annotations

import pytest
import torch

from videopose.lifter.model import TemporalModel, TemporalModelStrided

WIDTHS = {27: [3, 3, 3], 81: [3, 3, 3, 3], 243: [3, 3, 3, 3, 3]}


def randomized(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Random weights *and* batch-norm statistics, so eval mode is not close to an identity."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
            if name.endswith("num_batches_tracked"):
                continue
            if name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif "bn" in name and name.endswith("weight"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            else:
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * (0.3 if tensor.ndim > 1 else 0.1))
    return model.eval()


@pytest.mark.parametrize("receptive_field", [27, 81, 243])
@pytest.mark.parametrize("causal", [False, True])
def test_receptive_field_and_output_length(receptive_field, causal):
    model = TemporalModel(17, 2, 17, WIDTHS[receptive_field], causal=causal, channels=16).eval()
    assert model.receptive_field() == receptive_field
    assert model.total_causal_shift() == (receptive_field // 2 if causal else 0)
    with torch.no_grad():
        output = model(torch.randn(2, receptive_field + 4, 17, 2))
    assert output.shape == (2, 5, 17, 3)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("receptive_field", [27, 81])
def test_strided_model_equals_dilated_model_with_the_same_weights(causal, receptive_field):
    # float64, so that the comparison is tight (float32 sums in another order differ by ~1e-5)
    dilated = randomized(TemporalModel(17, 2, 17, WIDTHS[receptive_field], causal=causal, channels=32), seed=1).double()
    strided = TemporalModelStrided(17, 2, 17, WIDTHS[receptive_field], causal=causal, channels=32).double()
    strided.load_state_dict(dilated.state_dict())
    strided.eval()
    sequence = torch.randn(1, receptive_field + 9, 17, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    windows = sequence[0].unfold(0, receptive_field, 1).permute(0, 3, 1, 2)  # (10, rf, 17, 2)
    with torch.no_grad():
        from_dilated = dilated(sequence)[0]
        from_strided = strided(windows)[:, 0]
    assert from_strided.shape == from_dilated.shape == (10, 17, 3)
    torch.testing.assert_close(from_strided, from_dilated, rtol=1e-10, atol=1e-10)


def test_strided_and_dilated_models_differ_when_causality_differs():
    """The residual slicing matters: a causal strided model does not match a non-causal dilated one."""
    dilated = randomized(TemporalModel(17, 2, 17, WIDTHS[27], causal=False, channels=32), seed=3)
    strided = TemporalModelStrided(17, 2, 17, WIDTHS[27], causal=True, channels=32)
    strided.load_state_dict(dilated.state_dict())
    strided.eval()
    window = torch.randn(1, 27, 17, 2)
    with torch.no_grad():
        assert (strided(window) - dilated(window)).abs().max() > 1e-3


@pytest.mark.parametrize("causal", [False, True])
def test_each_output_depends_on_exactly_its_receptive_field(causal):
    model = randomized(TemporalModel(17, 2, 17, WIDTHS[27], causal=causal, channels=32), seed=4)
    sequence = torch.randn(1, 60, 17, 2, requires_grad=True)
    output_index = 10
    model(sequence)[0, output_index].sum().backward()
    touched = (sequence.grad[0].abs().sum(dim=(1, 2)) > 0).nonzero().flatten().tolist()
    assert touched == list(range(output_index, output_index + 27))


def test_bn_momentum_and_input_validation():
    model = TemporalModel(17, 2, 17, [3, 3], channels=8)
    model.set_bn_momentum(0.01)
    assert model.expand_bn.momentum == 0.01 and all(bn.momentum == 0.01 for bn in model.layers_bn)
    with pytest.raises(ValueError, match="expected input"):
        model(torch.zeros(1, 20, 16, 2))
    with pytest.raises(ValueError, match="odd"):
        TemporalModel(17, 2, 17, [3, 2])
    assert set(TemporalModelStrided(17, 2, 17, [3, 3], channels=8).state_dict()) == set(model.state_dict())
