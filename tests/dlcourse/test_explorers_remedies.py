"""The remedies explorer (notebooks/05_remedies.ipynb): its grid, its view, its widget."""

from __future__ import annotations

import math

import pytest

from dlcourse.explorers import remedies
from dlcourse.explorers.render import show_figure
from dlcourse.explorers.remedies import (NUM_EPOCHS, draw_view, explorer, explorer_view, run_grid,
                                         run_label, train_run)
from tests.dlcourse.companion_tools import FakeOutput, shown_png, sliders


@pytest.fixture(scope="module")
def grid():
    """The whole 12-run grid (about 3 s on one idle core), trained once for this module."""
    return run_grid()


def final(grid, batch_norm, optimizer, activation, key="train_loss"):
    return grid[(batch_norm, optimizer, activation)][key][-1]


def test_grid_has_every_combination_with_full_curves(grid):
    """Does every combination have NUM_EPOCHS finite losses and accuracies in [0, 1]?"""
    assert len(grid) == 2 * len(remedies.OPTIMIZERS) * len(remedies.ACTIVATION_CHOICES) == 12
    for key, run in grid.items():
        assert len(run["train_loss"]) == len(run["test_acc"]) == NUM_EPOCHS, key
        assert run["diverged_at"] is None, key
        assert all(math.isfinite(v) and v > 0 for v in run["train_loss"]), key
        assert all(0.0 <= v <= 1.0 for v in run["test_acc"]), key


def test_grid_is_cached(grid):
    """Is the grid trained once, so that the widget only re-plots?"""
    assert run_grid() is grid


def test_plain_sigmoid_sgd_stays_at_chance(grid):
    """Does 04's failure (deep sigmoid net, plain SGD, no batch norm) stay at ln 10 and chance?"""
    assert final(grid, False, "SGD", "sigmoid") > 2.2  # measured 2.304 (ln 10 = 2.303)
    assert final(grid, False, "SGD", "sigmoid", "test_acc") < 0.25  # measured 0.087


def test_batch_norm_rescues_the_sigmoid_net(grid):
    """Does batch norm rescue the deep sigmoid network for every optimizer?"""
    for optimizer in remedies.OPTIMIZERS:
        assert final(grid, True, optimizer, "sigmoid") < 1.0, optimizer  # measured 0.70 / 0.10 / 0.23
        assert final(grid, True, optimizer, "sigmoid", "test_acc") > 0.85, optimizer  # 0.94-0.96
        assert final(grid, True, optimizer, "sigmoid") < final(grid, False, optimizer, "sigmoid")


def test_relu_trains_better_than_sigmoid_without_batch_norm(grid):
    """Does ReLU reach a lower loss than the sigmoid for every optimizer, without batch norm?"""
    for optimizer in remedies.OPTIMIZERS:
        assert final(grid, False, optimizer, "ReLU") < 0.5 * final(grid, False, optimizer, "sigmoid")


def test_adam_moves_the_plain_sigmoid_net_more_than_sgd(grid):
    """Does Adam's per-weight step size get the plain sigmoid network off the plateau, unlike SGD?"""
    assert final(grid, False, "Adam", "sigmoid") < final(grid, False, "SGD", "sigmoid") - 0.2  # 1.90 vs 2.30


def test_train_run_is_deterministic_for_equal_seeds():
    """Do equal seeds give equal curves, and different seeds different ones?"""
    first = train_run(True, "Adam", "ReLU", num_epochs=2, seed=3)
    again = train_run(True, "Adam", "ReLU", num_epochs=2, seed=3)
    other = train_run(True, "Adam", "ReLU", num_epochs=2, seed=4)
    assert first == again
    assert first["train_loss"] != other["train_loss"]


def test_train_run_reports_divergence_and_keeps_full_length():
    """Does a diverging run (huge learning rate) say so and still return num_epochs values?"""
    run = train_run(False, "SGD", "ReLU", lr=1e6, num_epochs=3)
    assert run["diverged_at"] is not None
    assert len(run["train_loss"]) == len(run["test_acc"]) == 3
    assert math.isnan(run["train_loss"][-1])


def test_explorer_view_shapes_and_values(grid):
    """Does the view cut every curve at `epochs` and report all 12 accuracies at that epoch?"""
    view = explorer_view(True, "SGD + momentum", "sigmoid", 7, grid)
    selected = grid[(True, "SGD + momentum", "sigmoid")]
    assert view["label"] == run_label(True, "SGD + momentum", "sigmoid")
    assert view["epochs"] == list(range(1, 8))
    assert view["train_loss"] == selected["train_loss"][:7]
    assert view["test_acc"] == selected["test_acc"][:7]
    assert view["other_batch_norm"]["label"] == run_label(False, "SGD + momentum", "sigmoid")
    assert len(view["other_batch_norm"]["train_loss"]) == 7
    assert len(view["other_losses"]) == 11 and view["label"] not in view["other_losses"]
    assert all(len(v) == 7 for v in view["other_losses"].values())
    assert len(view["accuracy_at_epoch"]) == 12
    assert view["accuracy_at_epoch"][view["label"]] == selected["test_acc"][6]


def test_explorer_view_rejects_bad_controls(grid):
    """Are an epoch count outside the curve and an unknown optimizer refused with a clear message?"""
    with pytest.raises(ValueError, match="epochs must be between 1 and 30"):
        explorer_view(False, "SGD", "ReLU", 0, grid)
    with pytest.raises(ValueError, match="no run"):
        explorer_view(False, "RMSprop", "ReLU", 5, grid)


def test_an_update_trains_nothing_once_the_grid_exists(grid, monkeypatch):
    """Is a redraw (view + figure + PNG) drawn from the grid, with no training?

    (The time of an update is measured by benchmarks/explorer_updates.py.)
    """
    def no_training(*args, **kwargs):
        raise AssertionError("an update trained a network")
    monkeypatch.setattr(remedies, "train_run", no_training)
    show_figure(FakeOutput(), draw_view(explorer_view(True, "Adam", "ReLU", 12, grid)))
    show_figure(FakeOutput(), draw_view(explorer_view(False, "SGD", "sigmoid", 3)))  # default grid


def test_explorer_widget_redraws_on_every_control(grid, monkeypatch):
    """Does the widget draw at once, and draw again when the slider or a toggle changes?"""
    widgets = pytest.importorskip("ipywidgets")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    box = explorer()
    assert isinstance(box, widgets.VBox)
    first = shown_png(box)
    slider = sliders(box)["epochs shown"]
    assert isinstance(slider, widgets.IntSlider)
    assert slider.continuous_update is False and slider.value == NUM_EPOCHS

    slider.value = 5
    after_slider = shown_png(box)
    assert after_slider != first

    toggles = {t.description: t for t in box.children if isinstance(t, widgets.ToggleButtons)}
    assert set(toggles) == {"batch norm", "optimizer", "activation"}
    toggles["batch norm"].value = True
    after_toggle = shown_png(box)
    assert after_toggle != after_slider
    toggles["optimizer"].value = "Adam"
    assert shown_png(box) != after_toggle
