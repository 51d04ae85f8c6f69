"""The stability explorer (notebooks/04_stability.ipynb): its statistics, its widget, its notebook."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlcourse.explorers import stability
from dlcourse.explorers.render import show_figure
from dlcourse.explorers.stability import (ACTIVATION_FUNCTIONS, INITIALIZERS, draw_profile, explorer,
                                          layer_profile, make_weights)
from tests.dlcourse.companion_tools import FakeOutput, shown_png, sliders

KEYS = ("forward_std", "backward_std", "grad_norm")


def ratio(values, first_over_last=False):
    return values[0] / values[-1] if first_over_last else values[-1] / values[0]


@pytest.mark.parametrize("activation", list(ACTIVATION_FUNCTIONS))
@pytest.mark.parametrize("init", list(INITIALIZERS))
def test_profile_has_one_finite_positive_value_per_layer(activation, init):
    profile = layer_profile(7, activation, init)
    for key in KEYS:
        assert len(profile[key]) == 7, key
        assert all(isinstance(v, float) and 0 < v < math.inf for v in profile[key]), (key, profile[key])


def test_profile_matches_an_nn_sequential_with_the_same_weights():
    """Forward std, backward std and weight-gradient norms equal an independent autograd run."""
    depth, width = 4, stability.WIDTH
    weights = make_weights(depth, "Xavier")
    model = nn.Sequential(*[m for W in weights for m in (nn.Linear(width, width, bias=False,
                                                                   dtype=torch.float64), nn.Tanh())])
    with torch.no_grad():
        for layer, W in zip(model[::2], weights):
            layer.weight.copy_(W)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(stability.BATCH_SIZE, width, generator=generator, dtype=torch.float64)
    g = torch.randn(stability.BATCH_SIZE, width, generator=generator, dtype=torch.float64)
    pre_activations = []

    def keep(module, inputs, output):
        output.retain_grad()
        pre_activations.append(output)

    hooks = [layer.register_forward_hook(keep) for layer in model[::2]]
    (model(x) * g).sum().backward()
    for hook in hooks:
        hook.remove()
    profile = layer_profile(depth, "tanh", "Xavier")
    assert profile["forward_std"] == pytest.approx([h.std().item() for h in pre_activations], rel=1e-12)
    assert profile["backward_std"] == pytest.approx([h.grad.std().item() for h in pre_activations], rel=1e-12)
    assert profile["grad_norm"] == pytest.approx([l.weight.grad.norm().item() for l in model[::2]], rel=1e-12)


def test_initializers_have_their_documented_scale():
    """Xavier bound, Kaiming std, N(0, 0.01²), and nn.Linear's own default U(±1/√fan_in)."""
    width = stability.WIDTH
    (xavier,), (kaiming,), (small,), (default,) = (make_weights(1, name) for name in
                                                   ("Xavier", "Kaiming", "N(0, 0.01²)", "default weights"))
    assert xavier.abs().max() <= math.sqrt(6 / (2 * width))
    assert kaiming.std().item() == pytest.approx(math.sqrt(2 / width), rel=0.03)
    assert small.std().item() == pytest.approx(0.01, rel=0.03)
    assert default.abs().max() <= 1 / math.sqrt(width)
    assert default.std().item() == pytest.approx(1 / math.sqrt(3 * width), rel=0.03)


def test_sigmoid_gradients_vanish_towards_the_input():
    """The ¼ bound at work: with Xavier, the backward signal loses > 10⁴ over 10 sigmoid layers."""
    profile = layer_profile(10, "sigmoid", "Xavier")
    assert ratio(profile["backward_std"], first_over_last=True) < 1e-4  # measured 2.1e-6
    assert ratio(profile["grad_norm"], first_over_last=True) < 1e-4  # measured 3.9e-6


def test_kaiming_keeps_the_relu_signal_and_xavier_halves_its_second_moment():
    kaiming = ratio(layer_profile(10, "relu", "Kaiming")["forward_std"])
    xavier = ratio(layer_profile(10, "relu", "Xavier")["forward_std"])
    assert 0.25 < kaiming < 4  # measured 1.04
    assert 2 ** -4.5 / 3 < xavier < 2 ** -4.5 * 3  # theory 2^-4.5 = 0.044; measured 0.038


def test_too_small_and_too_large_weights_vanish_and_explode():
    assert ratio(layer_profile(10, "tanh", "N(0, 0.01²)")["forward_std"]) < 1e-6  # measured 3e-9
    assert ratio(layer_profile(10, "relu", "N(0, 1)")["forward_std"]) > 1e6  # measured 1.4e8
    assert ratio(layer_profile(10, "relu", "N(0, 1)")["backward_std"], first_over_last=True) > 1e6


def test_more_depth_means_more_vanishing():
    shallow = ratio(layer_profile(5, "sigmoid", "Xavier")["backward_std"], first_over_last=True)
    deep = ratio(layer_profile(20, "sigmoid", "Xavier")["backward_std"], first_over_last=True)
    assert deep < shallow * 1e-4


def test_profiles_are_deterministic_and_seeded():
    profile = stability.CACHES["profiles"].__wrapped__
    assert profile(6, "relu", "Kaiming", 32, 16, 0) == profile(6, "relu", "Kaiming", 32, 16, 0)
    assert profile(6, "relu", "Kaiming", 32, 16, 0) != profile(6, "relu", "Kaiming", 32, 16, 1)


def test_profiles_leave_the_global_random_state_alone():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    stability.CACHES["profiles"].__wrapped__(3, "tanh", "Xavier", 16, 8, 5)
    assert torch.equal(torch.rand(3), expected)


def test_profile_rejects_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        layer_profile(3, "softmax", "Xavier")
    with pytest.raises(ValueError, match="init"):
        layer_profile(3, "relu", "orthogonal")
    with pytest.raises(ValueError, match="depth"):
        layer_profile(0, "relu", "Xavier")


def test_an_update_computes_its_profile_once_and_then_reuses_it():
    """Does a new setting run one forward/backward pass, and returning to it none?

    (The time of an update is measured by benchmarks/explorer_updates.py.)
    """
    stability.CACHES["profiles"].cache_clear()
    show_figure(FakeOutput(), draw_profile(30, "tanh", "Kaiming"))
    assert stability.CACHES["profiles"].cache_info()[:2] == (0, 1)  # (hits, misses)
    show_figure(FakeOutput(), draw_profile(30, "tanh", "Kaiming"))
    assert stability.CACHES["profiles"].cache_info()[:2] == (1, 1)


def test_explorer_widget_redraws_on_every_control(monkeypatch):
    widgets = pytest.importorskip("ipywidgets")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    box = explorer()
    assert isinstance(box, widgets.VBox)
    controls = sliders(box)
    depth = controls["depth"]
    assert isinstance(depth, widgets.IntSlider) and depth.continuous_update is False
    seen = {shown_png(box)}
    depth.value = 12
    seen.add(shown_png(box))
    controls_by_type = {type(w).__name__: w for w in _walk(box)}
    controls_by_type["ToggleButtons"].value = "relu"
    seen.add(shown_png(box))
    controls_by_type["Dropdown"].value = "Kaiming"
    seen.add(shown_png(box))
    assert len(seen) == 4


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)
