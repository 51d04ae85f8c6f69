"""Explorer for the 01_fitting companion: polynomial degree × training-set size → train/test error.

Data: D2L's cubic, x ~ U(-1, 1), noise σ = 0.1 (`dlcourse.data.make_cubic_data`), float64.
Models: polynomials on the plain powers 1, x, ..., x^D, fitted exactly by least squares
(`torch.linalg.lstsq`), so every slider move is instant. N is the number of training points,
G the number of grid points a fitted curve is drawn on.

Introduced in: notebooks/01_fitting.ipynb.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import torch

from ..data import cubic, make_cubic_data
from ..labs.fitting import monomial_features
from .render import new_figure, redraw_on_change, widgets_or_none

MAX_DEGREE = 14
TRAIN_SIZES = (15, 20, 30, 50, 100, 200)
NUM_TEST = 200
NOISE = 0.1


@lru_cache(maxsize=16)
def _splits(seed: int):
    generator = torch.Generator().manual_seed(seed)
    x_pool, y_pool = make_cubic_data(max(TRAIN_SIZES), noise=NOISE, generator=generator)
    x_test, y_test = make_cubic_data(NUM_TEST, noise=NOISE, generator=generator)
    return x_pool, y_pool, x_test, y_test


def cubic_splits(num_train: int, seed: int = 0):
    """The first `num_train` points of a seeded pool of 200, and 200 test points.

    Growing `num_train` adds points to the same training set, so a learning curve changes smoothly.

    Returns:
        x_train, y_train of shape (N,); x_test, y_test of shape (200,).
    """
    if not 1 <= num_train <= max(TRAIN_SIZES):
        raise ValueError(f"num_train must be in 1..{max(TRAIN_SIZES)}, got {num_train}")
    x_pool, y_pool, x_test, y_test = _splits(seed)
    return x_pool[:num_train], y_pool[:num_train], x_test, y_test


def _least_squares(x: torch.Tensor, y: torch.Tensor, degree: int) -> torch.Tensor:
    # gelsd (SVD-based) copes with the ill-conditioned high-degree columns
    X = monomial_features(x, degree)
    return torch.linalg.lstsq(X, y[:, None], driver="gelsd").solution[:, 0]


def _mse(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> float:
    return ((monomial_features(x, len(w) - 1) @ w - y) ** 2).mean().item()


@lru_cache(maxsize=128)
def _error_curves(num_train: int, seed: int, max_degree: int):
    x_train, y_train, x_test, y_test = cubic_splits(num_train, seed)
    train, test = [], []
    for degree in range(max_degree + 1):
        w = _least_squares(x_train, y_train, degree)
        train.append(_mse(x_train, y_train, w))
        test.append(_mse(x_test, y_test, w))
    return tuple(train), tuple(test)


def error_curves(num_train: int, seed: int = 0, max_degree: int = MAX_DEGREE) -> dict:
    """Training and test MSE of the least-squares polynomial of every degree 0..max_degree.

    Returns:
        {"degrees": [0, ..., max_degree], "train": [...], "test": [...]}, lists of floats.
    """
    train, test = _error_curves(num_train, seed, max_degree)
    return {"degrees": list(range(max_degree + 1)), "train": list(train), "test": list(test)}


def fit_curve(degree: int, num_train: int, seed: int = 0, num_grid: int = 200) -> dict:
    """One fit: the training points, the fitted polynomial and the true cubic on a grid.

    Returns:
        {"x_train", "y_train": (N,), "x_grid", "y_fit", "y_true": (G,) tensors,
         "train_mse", "test_mse": floats}.
    """
    x_train, y_train, x_test, y_test = cubic_splits(num_train, seed)
    w = _least_squares(x_train, y_train, degree)
    x_grid = torch.linspace(-1, 1, num_grid, dtype=x_train.dtype)
    return {"x_train": x_train, "y_train": y_train, "x_grid": x_grid,
            "y_fit": monomial_features(x_grid, degree) @ w, "y_true": cubic(x_grid),
            "train_mse": _mse(x_train, y_train, w), "test_mse": _mse(x_test, y_test, w)}


def resampled_fits(degree: int, num_train: int = 15, num_repeats: int = 50, seed: int = 0,
                   num_grid: int = 101) -> dict:
    """Fit the same degree on `num_repeats` fresh training sets (R = num_repeats).

    Returns:
        {"x_grid": (G,), "fits": (R, G), "y_true": (G,)} tensors.
    """
    generator = torch.Generator().manual_seed(seed)
    x_grid = torch.linspace(-1, 1, num_grid, dtype=torch.float64)
    fits = []
    for _ in range(num_repeats):
        x, y = make_cubic_data(num_train, noise=NOISE, generator=generator)
        fits.append(monomial_features(x_grid, degree) @ _least_squares(x, y, degree))
    return {"x_grid": x_grid, "fits": torch.stack(fits), "y_true": cubic(x_grid)}


def bias_variance(degrees: Sequence[int], num_train: int = 15, num_repeats: int = 50,
                  seed: int = 0, num_grid: int = 101) -> dict:
    """Squared bias and variance of the least-squares fit, averaged over x in [-1, 1].

    The noise is averaged out exactly rather than by sampling: for training inputs x with feature
    matrix X, the fit on a grid is A y with A = X_grid X⁺ (X⁺ the pseudo-inverse), so its mean
    over the noise is A f(x) and its noise variance is σ² times the row sums of A². Only the
    `num_repeats` draws of the inputs x are sampled. Hence the bias is exactly zero (up to
    rounding) once the degree is 3 or more: the model contains the cubic.

    Returns:
        {"degrees": list, "bias2": list, "variance": list, "noise": NOISE**2}; expected test
        MSE = bias2 + variance + noise.
    """
    x_grid = torch.linspace(-1, 1, num_grid, dtype=torch.float64)
    bias2, variance = [], []
    for degree in degrees:
        generator = torch.Generator().manual_seed(seed)
        noise_free_fits, noise_variances = [], []
        for _ in range(num_repeats):
            x, _ = make_cubic_data(num_train, noise=NOISE, generator=generator)
            A = monomial_features(x_grid, degree) @ torch.linalg.pinv(monomial_features(x, degree))
            noise_free_fits.append(A @ cubic(x))
            noise_variances.append(NOISE**2 * (A**2).sum(1))
        fits = torch.stack(noise_free_fits)
        bias2.append(((fits.mean(0) - cubic(x_grid)) ** 2).mean().item())
        spread = fits.var(0, correction=0) + torch.stack(noise_variances).mean(0)
        variance.append(spread.mean().item())
    return {"degrees": list(degrees), "bias2": bias2, "variance": variance, "noise": NOISE**2}


def draw(degree: int, num_train: int, seed: int = 0, fig=None):
    """Left: the fit over the data. Right: train/test MSE vs degree, the current degree marked."""
    from ..plot import mark_level, plot_curves, plot_fit

    fig = fig if fig is not None else new_figure((10, 3.4))
    ax_fit, ax_error = fig.subplots(1, 2)
    fit = fit_curve(degree, num_train, seed)
    _, _, x_test, y_test = cubic_splits(num_train, seed)
    ax_fit.scatter(x_test, y_test, s=6, color="gray", alpha=0.3, label="test points")
    plot_fit(fit["x_train"], fit["y_train"], fit["x_grid"],
             {"true cubic": fit["y_true"], f"degree {degree} fit": fit["y_fit"]},
             ylim=(0.0, 7.0), title=f"degree {degree}, N = {num_train}", ax=ax_fit)
    ax_fit.legend(loc="upper left")
    curves = error_curves(num_train, seed)
    plot_curves(curves["degrees"], {"train": curves["train"], "test": curves["test"]},
                xlabel="degree", ylabel="MSE", logy=True, ax=ax_error,
                title=f"train {fit['train_mse']:.2g}, test {fit['test_mse']:.2g}")
    ax_error.set_ylim(bottom=1e-4)  # interpolating fits reach ~1e-25: not worth the axis
    ax_error.axvline(degree, color="tab:red", linestyle=":", label="current degree")
    mark_level(ax_error, NOISE**2, "noise σ²")
    ax_error.legend(loc="upper left")
    return fig


def explorer(display: bool = True):
    """Sliders for degree, training-set size and seed; redraws `draw` on every change.

    Returns:
        An ipywidgets VBox (the notebook's last expression shows it), or None when `display` is
        False, NBGRADER_EXECUTION is set or ipywidgets is missing.
    """
    widgets = widgets_or_none(display)
    if widgets is None:
        return None
    style = {"description_width": "140px"}
    degree = widgets.IntSlider(value=3, min=0, max=MAX_DEGREE, description="degree",
                               continuous_update=False, style=style)
    num_train = widgets.SelectionSlider(options=TRAIN_SIZES, value=15, description="training points",
                                        continuous_update=False, style=style)
    seed = widgets.IntSlider(value=0, min=0, max=9, description="training set (seed)",
                             continuous_update=False, style=style)
    out = widgets.Output()

    redraw_on_change(out, (degree, num_train, seed), draw)
    return widgets.VBox([widgets.HBox([degree, num_train]), seed, out])


#: The cached computations behind the explorer, by name (lru_cache functions): a redraw
#: must reuse them, which tests check through their cache_info().
CACHES = {"splits": _splits, "error_curves": _error_curves}
