"""The 01_fitting explorer: what it computes, what a redraw reuses, and its companion notebook."""

from __future__ import annotations

import pytest
import torch

from dlcourse.explorers import fitting
from dlcourse.explorers.render import show_figure
from tests.dlcourse.companion_tools import FakeOutput, shown_png, sliders


def test_error_curves_has_one_value_per_degree():
    curves = fitting.error_curves(15)
    assert curves["degrees"] == list(range(fitting.MAX_DEGREE + 1))
    assert len(curves["train"]) == len(curves["test"]) == fitting.MAX_DEGREE + 1
    assert all(isinstance(v, float) for v in curves["train"] + curves["test"])


def test_training_error_never_increases_with_degree():
    """Each polynomial model contains the previous one, so least squares can only fit better."""
    for num_train in (15, 50):
        train = fitting.error_curves(num_train)["train"]
        assert all(b <= a + 1e-10 for a, b in zip(train, train[1:])), train


def test_degree_n_minus_1_interpolates():
    assert fitting.error_curves(15)["train"][14] < 1e-12


def test_test_error_explodes_with_degree_at_small_n():
    test = fitting.error_curves(15)["test"]
    assert test[3] < 0.05
    assert test[14] > 1e3 * test[3]


def test_underfitting_degrees_have_high_training_error():
    train = fitting.error_curves(200)["train"]
    assert train[1] > 10 * fitting.NOISE**2 > train[3] / 2


def test_more_data_lowers_the_test_error_of_a_flexible_fit():
    at_15, at_200 = (fitting.error_curves(n)["test"][8] for n in (15, 200))
    assert at_200 < at_15 / 10
    assert at_200 < 2 * fitting.NOISE**2


def test_training_sets_are_nested():
    """Moving the size slider adds points to the same training set."""
    small, large = fitting.cubic_splits(15), fitting.cubic_splits(30)
    assert torch.equal(small[0], large[0][:15]) and torch.equal(small[2], large[2])


def test_cubic_splits_rejects_bad_sizes():
    with pytest.raises(ValueError):
        fitting.cubic_splits(0)
    with pytest.raises(ValueError):
        fitting.cubic_splits(201)


def test_fit_curve_shapes_and_errors_agree_with_the_sweep():
    fit = fitting.fit_curve(5, 20, num_grid=50)
    assert fit["x_train"].shape == fit["y_train"].shape == (20,)
    assert fit["x_grid"].shape == fit["y_fit"].shape == fit["y_true"].shape == (50,)
    curves = fitting.error_curves(20)
    assert fit["train_mse"] == pytest.approx(curves["train"][5], rel=1e-9)
    assert fit["test_mse"] == pytest.approx(curves["test"][5], rel=1e-9)


def test_equal_seeds_agree_and_other_seeds_differ():
    assert fitting.error_curves(15, seed=3) == fitting.error_curves(15, seed=3)
    assert torch.equal(fitting.fit_curve(4, 15, seed=3)["y_fit"], fitting.fit_curve(4, 15, seed=3)["y_fit"])
    assert fitting.error_curves(15, seed=3)["test"] != fitting.error_curves(15, seed=4)["test"]


def test_bias_falls_and_variance_rises_with_degree():
    result = fitting.bias_variance([0, 1, 3, 9], num_train=15, num_repeats=40)
    bias2, variance = result["bias2"], result["variance"]
    assert bias2[0] > bias2[1] > 100 * fitting.NOISE**2 * 0.1
    assert variance[3] > 100 * variance[2]


def test_least_squares_is_unbiased_once_the_model_contains_the_cubic():
    result = fitting.bias_variance(range(3, 9), num_train=15, num_repeats=10)
    assert max(result["bias2"]) < 1e-12


def test_bias2_plus_variance_matches_monte_carlo_for_one_design():
    """With one draw of the inputs, bias² + variance is the mean over the noise of (fit − f)²."""
    degree, num_train = 4, 15
    result = fitting.bias_variance([degree], num_train=num_train, num_repeats=1, seed=5)
    x, _ = fitting.make_cubic_data(num_train, noise=fitting.NOISE,
                                   generator=torch.Generator().manual_seed(5))  # the same design
    noise = fitting.NOISE * torch.randn(num_train, 20_000, generator=torch.Generator().manual_seed(1),
                                        dtype=torch.float64)
    X = fitting.monomial_features(x, degree)
    W = torch.linalg.lstsq(X, fitting.cubic(x)[:, None] + noise, driver="gelsd").solution
    x_grid = torch.linspace(-1, 1, 101, dtype=torch.float64)
    fits = fitting.monomial_features(x_grid, degree) @ W  # (101, 20000)
    monte_carlo = ((fits - fitting.cubic(x_grid)[:, None]) ** 2).mean().item()
    assert result["bias2"][0] + result["variance"][0] == pytest.approx(monte_carlo, rel=0.03)


def test_resampled_fits_shapes():
    run = fitting.resampled_fits(4, num_train=15, num_repeats=30, num_grid=51)
    assert run["fits"].shape == (30, 51) and run["x_grid"].shape == run["y_true"].shape == (51,)


def test_a_degree_change_reuses_the_cached_data_and_error_curves():
    """Does moving the degree slider refit one polynomial, not the data or the error curves?

    (The time of an update is measured by benchmarks/explorer_updates.py.)
    """
    fitting.draw(9, 20, seed=1)
    splits, curves = (fitting.CACHES[name].cache_info() for name in ("splits", "error_curves"))
    show_figure(FakeOutput(), fitting.draw(4, 20, seed=1))
    assert fitting.CACHES["splits"].cache_info().misses == splits.misses
    assert fitting.CACHES["error_curves"].cache_info().misses == curves.misses
    assert fitting.CACHES["error_curves"].cache_info().hits > curves.hits


def test_explorer_draws_at_once_and_redraws_on_slider_change():
    pytest.importorskip("ipywidgets")
    box = fitting.explorer()
    first = shown_png(box)
    controls = sliders(box)
    assert {"degree", "training points", "training set (seed)"} <= set(controls)
    assert all(not control.continuous_update for control in controls.values())
    controls["degree"].value = 9
    second = shown_png(box)
    assert second != first
    controls["training points"].value = 100
    assert shown_png(box) != second
