"""Explorer for the 02_weight_decay companion: L2 strength λ → learned weights and test error.

Data: D = 40 features, y = X w_true + N(0, 0.5²) with w_true ~ N(0, I/D) and no bias
(`dlcourse.data.make_linear_data`), float64; a training set of N examples and 1000 test examples.
Model: ridge regression without a bias, the minimizer of

    (1/2N)·||X w - y||² + (λ/2)·||w||²,

computed in closed form from one SVD X = U S Vᵀ:  w(λ) = V diag(s / (s² + Nλ)) Uᵀ y.
One SVD per training set gives every λ at once, so the slider is instant. L is the number of λ.

Introduced in: notebooks/02_weight_decay.ipynb.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import torch

from ..data import make_linear_data
from .render import new_figure, redraw_on_change, widgets_or_none

NUM_FEATURES = 40
NOISE = 0.5
NUM_TEST = 1000
TRAIN_SIZES = (20, 30, 40, 50, 80, 160)
#: the slider's grid: 10^-4 .. 10^2, four steps per decade
LAMBDAS = tuple(torch.logspace(-4, 2, 25, dtype=torch.float64).tolist())


def ridge_weights(X: torch.Tensor, y: torch.Tensor, lams: Sequence[float]) -> torch.Tensor:
    """Minimizers of (1/2N)·||X w - y||² + (λ/2)·||w||² (no bias) for every λ in `lams`.

    Args:
        X: (N, D); y: (N,); lams: L values λ >= 0 (λ = 0 gives the minimum-norm least-squares
            solution, which interpolates the data when N <= D).

    Returns:
        (L, D): row l is w(lams[l]).
    """
    U, s, Vh = torch.linalg.svd(X, full_matrices=False)
    lam = torch.as_tensor(lams, dtype=X.dtype)[:, None]
    keep = s > s.max() * max(X.shape) * torch.finfo(X.dtype).eps  # drop numerically zero directions
    gains = torch.where(keep, s / (s**2 + len(y) * lam), torch.zeros_like(s))  # (L, min(N, D))
    return (gains * (U.T @ y)) @ Vh


@lru_cache(maxsize=16)
def _data(seed: int):
    generator = torch.Generator().manual_seed(seed)
    w_true = torch.randn(NUM_FEATURES, generator=generator, dtype=torch.float64) / NUM_FEATURES**0.5
    X_pool, y_pool = make_linear_data(max(TRAIN_SIZES), w_true, noise=NOISE, generator=generator)
    X_test, y_test = make_linear_data(NUM_TEST, w_true, noise=NOISE, generator=generator)
    return w_true, X_pool, y_pool, X_test, y_test


def ridge_data(num_train: int, seed: int = 0):
    """The first `num_train` examples of a seeded pool of 160, 1000 test examples and w_true.

    Returns:
        X_train (N, D), y_train (N,), X_test (1000, D), y_test (1000,), w_true (D,).
    """
    if not 1 <= num_train <= max(TRAIN_SIZES):
        raise ValueError(f"num_train must be in 1..{max(TRAIN_SIZES)}, got {num_train}")
    w_true, X_pool, y_pool, X_test, y_test = _data(seed)
    return X_pool[:num_train], y_pool[:num_train], X_test, y_test, w_true


def _errors(W: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> list[float]:
    return ((X @ W.T - y[:, None]) ** 2).mean(0).tolist()


@lru_cache(maxsize=64)
def _path(num_train: int, seed: int):
    X, y, X_test, y_test, _ = ridge_data(num_train, seed)
    W = ridge_weights(X, y, (0.0, *LAMBDAS))
    return (tuple(_errors(W, X, y)), tuple(_errors(W, X_test, y_test)),
            tuple(W.norm(dim=1).tolist()))


def ridge_path(num_train: int, seed: int = 0) -> dict:
    """Training/test MSE and ||w|| along the λ grid `LAMBDAS`, and at λ = 0.

    Returns:
        {"lams", "train", "test", "norm": lists over LAMBDAS,
         "train_at_zero", "test_at_zero", "norm_at_zero": floats (least squares / minimum norm)}.
    """
    train, test, norm = _path(num_train, seed)
    return {"lams": list(LAMBDAS), "train": list(train[1:]), "test": list(test[1:]),
            "norm": list(norm[1:]), "train_at_zero": train[0], "test_at_zero": test[0],
            "norm_at_zero": norm[0]}


def ridge_fit(lam: float, num_train: int, seed: int = 0) -> dict:
    """The ridge weights for one λ, the true weights, and the errors.

    Returns:
        {"w", "w_true": (D,) tensors, "norm", "true_norm", "train_mse", "test_mse": floats}.
    """
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    X, y, X_test, y_test, w_true = ridge_data(num_train, seed)
    W = ridge_weights(X, y, (lam,))
    return {"w": W[0], "w_true": w_true, "norm": W[0].norm().item(),
            "true_norm": w_true.norm().item(), "train_mse": _errors(W, X, y)[0],
            "test_mse": _errors(W, X_test, y_test)[0]}


def shrink_factors(num_train: int, lams: Sequence[float], seed: int = 0) -> dict:
    """How much ridge keeps of each singular direction of X: s² / (s² + Nλ).

    Returns:
        {"singular_values": (min(N, D),) tensor, "factors": {λ: tensor of the same shape}}.
    """
    X = ridge_data(num_train, seed)[0]
    s = torch.linalg.svdvals(X)
    return {"singular_values": s, "factors": {lam: s**2 / (s**2 + num_train * lam) for lam in lams}}


def draw(lam: float, num_train: int, seed: int = 0, fig=None):
    """Left: the learned weights (bars) and the true ones. Right: MSE vs λ, current λ marked."""
    from ..plot import mark_level, plot_curves

    fig = fig if fig is not None else new_figure((10, 3.4))
    ax_weights, ax_error = fig.subplots(1, 2)
    fit = ridge_fit(lam, num_train, seed)
    features = range(NUM_FEATURES)
    ax_weights.bar(features, fit["w"].tolist(), color="tab:blue", label="learned w")
    ax_weights.scatter(features, fit["w_true"].tolist(), s=10, color="black", zorder=3,
                       label="true w")
    ax_weights.set(xlabel="feature j", ylabel="$w_j$",
                   title=f"λ = {lam:.2g}:  ‖w‖ = {fit['norm']:.2f}  (true {fit['true_norm']:.2f})")
    ax_weights.legend(loc="upper right", frameon=True, framealpha=0.9)
    path = ridge_path(num_train, seed)
    plot_curves(path["lams"], {"train": path["train"], "test": path["test"]}, xlabel="λ",
                ylabel="MSE", logx=True, logy=True, marker=None, ax=ax_error,
                title=f"N = {num_train}, D = {NUM_FEATURES}:  test {fit['test_mse']:.3g}")
    ax_error.axhline(path["test_at_zero"], color="tab:orange", linestyle="--", linewidth=1,
                     label="test at λ = 0")
    ax_error.axvline(lam, color="tab:red", linestyle=":", label="current λ")
    mark_level(ax_error, NOISE**2, "noise σ²")
    ax_error.legend(loc="lower right", fontsize="small")
    return fig


def explorer(display: bool = True):
    """A log-scale λ slider and a training-set-size slider; redraws `draw` on every change.

    Returns:
        An ipywidgets VBox (the notebook's last expression shows it), or None when `display` is
        False, NBGRADER_EXECUTION is set or ipywidgets is missing.
    """
    widgets = widgets_or_none(display)
    if widgets is None:
        return None
    style = {"description_width": "120px"}
    lam = widgets.SelectionSlider(options=[(f"{value:.2g}", value) for value in LAMBDAS],
                                  value=LAMBDAS[4], description="λ (log scale)",
                                  continuous_update=False, style=style)
    num_train = widgets.SelectionSlider(options=TRAIN_SIZES, value=50, description="training examples",
                                        continuous_update=False, style=style)
    out = widgets.Output()

    redraw_on_change(out, (lam, num_train), draw)
    return widgets.VBox([widgets.HBox([lam, num_train]), out])


#: The cached computations behind the explorer, by name (lru_cache functions): a redraw
#: must reuse them, which tests check through their cache_info().
CACHES = {"data": _data, "path": _path}
