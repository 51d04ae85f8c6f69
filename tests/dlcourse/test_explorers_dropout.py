"""The dropout explorer (notebooks/03_dropout.ipynb): its runs, its figure, its widget, its notebook."""

from __future__ import annotations

import pytest
import torch

from dlcourse.data import make_digits
from dlcourse.explorers import dropout
from dlcourse.explorers.render import show_figure
from dlcourse.explorers.dropout import (DROP_PROBABILITIES, NUM_EPOCHS, draw_dropout,
                                        dropout_history, explorer, gap_vs_p, noisy_digits)
from tests.dlcourse.companion_tools import FakeOutput, shown_png, sliders


@pytest.fixture(scope="module")
def sweep():
    """The explorer's grid of nine runs (about 2 s of CPU), trained once for this module."""
    return gap_vs_p()


def test_noisy_digits_shapes_and_noise():
    """300 training and 500 test digits; `flipped` marks exactly the changed labels (about 30%)."""
    X_train, y_train, X_test, y_test, flipped = noisy_digits()
    assert X_train.shape == (300, 64) and X_test.shape == (500, 64)
    assert y_train.shape == flipped.shape == (300,) and y_test.shape == (500,)
    assert 0.25 < flipped.float().mean().item() < 0.35  # measured 0.30
    _, clean_train, _, clean_test = make_digits(300, generator=torch.Generator().manual_seed(0))
    assert torch.equal(y_train != clean_train, flipped)
    assert torch.equal(y_test, clean_test[:500])  # test labels are not noisy


def test_history_has_one_value_per_epoch():
    history = dropout_history(0.3)
    assert history["epoch"] == list(range(1, NUM_EPOCHS + 1))
    for key in ("train_acc", "test_acc", "memorized"):
        assert len(history[key]) == NUM_EPOCHS
        assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in history[key]), key


def test_sweep_has_one_value_per_p(sweep):
    assert sweep["p"] == list(DROP_PROBABILITIES)
    for key in ("train_acc", "test_acc", "gap", "memorized"):
        assert len(sweep[key]) == len(DROP_PROBABILITIES), key
    for train, test, gap in zip(sweep["train_acc"], sweep["test_acc"], sweep["gap"]):
        assert gap == pytest.approx(train - test)


def test_without_dropout_the_net_memorizes_wrong_labels(sweep):
    """Does the p = 0 network fit its noisy labels, wrong ones included, with a large gap?"""
    assert sweep["train_acc"][0] > 0.9  # measured 0.977
    assert sweep["memorized"][0] > 0.7  # measured 0.92
    assert sweep["gap"][0] > 0.1  # measured 0.23


def test_more_dropout_shrinks_the_gap_and_the_memorization(sweep):
    """From p = 0 to p = 0.8: smaller gap, fewer wrong labels memorized, higher test accuracy."""
    assert sweep["gap"][-1] < sweep["gap"][0] - 0.2  # measured -0.18 vs 0.23
    assert sweep["memorized"][-1] < sweep["memorized"][0] / 3  # measured 0.12 vs 0.92
    assert sweep["test_acc"][-1] > sweep["test_acc"][0] + 0.05  # measured 0.89 vs 0.75
    # broadly monotone: every step of 0.2 in p lowers the gap
    assert all(b < a for a, b in zip(sweep["gap"][::2], sweep["gap"][2::2])), sweep["gap"]


def test_runs_are_deterministic_and_seeded():
    """Equal seeds give equal runs (uncached), different seeds different ones."""
    train = dropout.CACHES["runs"].__wrapped__
    assert train(0.5, 0, 3) == train(0.5, 0, 3)
    assert train(0.5, 0, 3) != train(0.5, 1, 3)


def test_runs_leave_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    dropout.CACHES["runs"].__wrapped__(0.2, 0, 2)
    assert torch.equal(torch.rand(3), expected)


def test_history_is_a_copy_of_the_cache():
    first = dropout_history(0.1)
    first["test_acc"][0] = -1.0
    assert dropout_history(0.1)["test_acc"][0] >= 0.0


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_history_rejects_bad_p(p):
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        dropout_history(p)


def test_an_update_trains_nothing_once_the_grid_exists(sweep):
    """Is a redraw (figure + PNG) served from the cached runs, with no new training?

    (The time of an update is measured by benchmarks/explorer_updates.py.)
    """
    before = dropout.CACHES["runs"].cache_info()
    show_figure(FakeOutput(), draw_dropout(0.4))
    after = dropout.CACHES["runs"].cache_info()
    assert after.misses == before.misses and after.hits > before.hits


def test_explorer_widget_draws_at_once_and_redraws_on_the_slider(sweep, monkeypatch):
    widgets = pytest.importorskip("ipywidgets")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    box = explorer()
    assert isinstance(box, widgets.VBox)
    first = shown_png(box)
    slider = sliders(box)["drop p"]
    assert isinstance(slider, widgets.SelectionSlider)
    assert slider.continuous_update is False and list(slider.options) == list(DROP_PROBABILITIES)
    slider.value = 0.8
    assert shown_png(box) != first
