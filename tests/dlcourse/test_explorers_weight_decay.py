"""The 02_weight_decay explorer: closed-form ridge, the λ path, what a redraw reuses, its companion."""

from __future__ import annotations

import pytest
import torch

from dlcourse.explorers import weight_decay
from dlcourse.explorers.render import show_figure
from tests.dlcourse.companion_tools import FakeOutput, shown_png, sliders


def _problem(num_train=30, num_features=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(num_train, num_features, generator=generator, dtype=torch.float64)
    y = torch.randn(num_train, generator=generator, dtype=torch.float64)
    return X, y


def test_ridge_weights_match_scikit_learn():
    """sklearn's Ridge minimizes ||Xw - y||² + alpha·||w||², i.e. ours with alpha = N·λ."""
    from sklearn.linear_model import Ridge

    X, y = _problem()
    W = weight_decay.ridge_weights(X, y, [0.01, 0.3, 3.0])
    assert W.shape == (3, 8)
    for w, lam in zip(W, (0.01, 0.3, 3.0)):
        reference = Ridge(alpha=len(y) * lam, fit_intercept=False, solver="cholesky").fit(X, y)
        torch.testing.assert_close(w, torch.as_tensor(reference.coef_), rtol=1e-9, atol=1e-12)


def test_ridge_weights_are_stationary_points():
    """The gradient XᵀXw/N − Xᵀy/N + λw of the objective vanishes at the solution."""
    X, y = _problem(num_train=20, num_features=40)
    for lam, w in zip((1e-3, 1.0), weight_decay.ridge_weights(X, y, (1e-3, 1.0))):
        gradient = X.T @ (X @ w - y) / len(y) + lam * w
        assert gradient.abs().max() < 1e-10


def test_lambda_zero_is_the_minimum_norm_solution():
    X, y = _problem(num_train=20, num_features=40)
    w = weight_decay.ridge_weights(X, y, [0.0])[0]
    torch.testing.assert_close(w, torch.linalg.pinv(X) @ y, rtol=1e-9, atol=1e-12)
    assert ((X @ w - y) ** 2).mean() < 1e-20  # N < D: it interpolates


def test_path_shapes():
    path = weight_decay.ridge_path(50)
    assert path["lams"] == list(weight_decay.LAMBDAS)
    assert len(path["train"]) == len(path["test"]) == len(path["norm"]) == 25
    assert weight_decay.ridge_fit(0.1, 50)["w"].shape == (weight_decay.NUM_FEATURES,)


def test_larger_lambda_gives_smaller_weights_and_higher_training_error():
    path = weight_decay.ridge_path(50)
    norms, train = [path["norm_at_zero"]] + path["norm"], [path["train_at_zero"]] + path["train"]
    assert all(b < a for a, b in zip(norms, norms[1:]))
    assert all(b > a for a, b in zip(train, train[1:]))


def test_test_error_is_u_shaped_in_lambda():
    path = weight_decay.ridge_path(50)
    best = min(range(25), key=path["test"].__getitem__)
    assert 0.03 <= path["lams"][best] <= 1.0
    assert path["test"][best] < 0.6 * path["test_at_zero"]
    assert path["test"][-1] > 1.5 * path["test"][best]


def test_least_squares_is_worst_when_examples_equal_features():
    """At N = D the smallest singular value of X is tiny and least squares amplifies the noise."""
    at_zero = {n: weight_decay.ridge_path(n)["test_at_zero"] for n in weight_decay.TRAIN_SIZES}
    assert max(at_zero, key=at_zero.get) == weight_decay.NUM_FEATURES
    assert at_zero[40] > 5 * at_zero[80]


def test_shrink_factors_lie_in_0_1_and_fall_with_lambda():
    result = weight_decay.shrink_factors(50, [0.01, 1.0])
    small, large = result["factors"][0.01], result["factors"][1.0]
    assert result["singular_values"].shape == small.shape == (40,)
    assert ((0 < large) & (large < small) & (small <= 1)).all()
    assert large[0] > large[-1]  # large singular values (first) keep more


def test_ridge_fit_matches_the_path_and_rejects_negative_lambda():
    path, lam = weight_decay.ridge_path(30), weight_decay.LAMBDAS[10]
    fit = weight_decay.ridge_fit(lam, 30)
    assert fit["test_mse"] == pytest.approx(path["test"][10], rel=1e-9)
    assert fit["norm"] == pytest.approx(path["norm"][10], rel=1e-9)
    with pytest.raises(ValueError):
        weight_decay.ridge_fit(-0.1, 30)


def test_equal_seeds_agree_and_other_seeds_differ():
    assert weight_decay.ridge_path(50, seed=2) == weight_decay.ridge_path(50, seed=2)
    assert weight_decay.ridge_path(50, seed=2)["test"] != weight_decay.ridge_path(50, seed=3)["test"]
    first, second = (weight_decay.ridge_data(50, seed=2)[0] for _ in range(2))
    assert torch.equal(first, second)


def test_a_lambda_change_reuses_the_cached_data_and_path():
    """Does moving the λ slider solve one ridge problem, not the data or the whole λ path?

    (The time of an update is measured by benchmarks/explorer_updates.py.)
    """
    weight_decay.draw(0.1, 80, seed=1)
    data, path = weight_decay.CACHES["data"].cache_info(), weight_decay.CACHES["path"].cache_info()
    show_figure(FakeOutput(), weight_decay.draw(1.0, 80, seed=1))
    assert weight_decay.CACHES["data"].cache_info().misses == data.misses
    assert weight_decay.CACHES["path"].cache_info().misses == path.misses
    assert weight_decay.CACHES["path"].cache_info().hits > path.hits


def test_explorer_draws_at_once_and_redraws_on_slider_change():
    pytest.importorskip("ipywidgets")
    box = weight_decay.explorer()
    first = shown_png(box)
    controls = sliders(box)
    assert {"λ (log scale)", "training examples"} <= set(controls)
    assert all(not control.continuous_update for control in controls.values())
    controls["λ (log scale)"].value = weight_decay.LAMBDAS[16]
    second = shown_png(box)
    assert second != first
    controls["training examples"].value = 40
    assert shown_png(box) != second
