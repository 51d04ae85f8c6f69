"""Checks for 01_fitting: polynomial features, MSE, least squares, SGD, K-fold, early stopping.

References are library routines (torch.lgamma, F.mse_loss, torch.linalg.lstsq, scikit-learn's
KFold) or fixed test vectors. Exactness checks run in float64.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sklearn.model_selection import KFold

from .rules import SKLEARN
from .hidden import cases as hidden_cases
from ._core import (call, case, expect_close, expect_raises, expect_scalar_close, expect_shape,
                    expect_tensor, fail, run_suite, seeded)

f64 = torch.float64


def _factorial_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    powers = torch.arange(degree + 1, dtype=x.dtype)
    return x[:, None] ** powers / torch.exp(torch.lgamma(powers + 1))


def _lstsq(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.linalg.lstsq(X, y[:, None], driver="gelsd").solution[:, 0]


def _kfold(n: int, k: int):
    return [(torch.as_tensor(tr), torch.as_tensor(va))
            for tr, va in KFold(n_splits=k).split(range(n))]


# -- poly_features -------------------------------------------------------------------------------

def _poly_hint(got: torch.Tensor, x: torch.Tensor, degree: int) -> str:
    if got.shape == (x.shape[0], degree + 1):
        if torch.allclose(got.double(), x.double()[:, None] ** torch.arange(degree + 1), rtol=1e-6):
            return "column i is x**i divided by i! — did you forget the factorial?"
        shifted = _factorial_features(x.double(), degree + 1)[:, 1:] / x.double()[:, None]
        if torch.allclose(got.double(), shifted, rtol=1e-6):
            return "column i is divided by i!, not (i+1)!; remember 0! = 1"
    return "column i is x**i / i! for i = 0..degree; math.factorial or torch.lgamma(i + 1).exp() give i!"


def _check_poly_values(fn, x: torch.Tensor, degree: int, what: str) -> None:
    got = call(fn, x.clone(), degree)
    expected = _factorial_features(x, degree)
    expect_shape(what, got, expected.shape,
                 "return an (n, degree + 1) tensor: one row per example, one column per power 0..degree")
    expect_close(what, got, expected, _poly_hint(got, x, degree), atol=1e-12, rtol=1e-9)


def check_poly_features(poly_features, hidden: bool = False) -> bool:
    """Visible: shape and values against x**i / exp(lgamma(i + 1)). Hidden: degree 0, dtype, big degree."""
    x = torch.linspace(-2, 2, 7, dtype=f64)

    @case("poly_features(x, 3) with x of shape (7,)")
    def shape_and_values():
        _check_poly_values(poly_features, x, 3, "poly_features(x, 3)")

    @case("column 0 of poly_features(x, 4)")
    def ones_column():
        got = expect_tensor("poly_features(x, 4)", call(poly_features, x, 4))
        if got.dim() != 2 or not torch.equal(got[:, 0].double(), torch.ones(7, dtype=f64)):
            fail("column 0 of poly_features(x, 4)", "all ones (x**0 / 0! = 1)",
                 "something else", "the first column is the constant feature")

    visible = [shape_and_values, ones_column]
    return run_suite("poly_features", hidden_cases("fitting", "poly_features", poly_features, x=x)
                     if hidden else visible)


# -- mse -----------------------------------------------------------------------------------------

def check_mse(mse, hidden: bool = False) -> bool:
    """Visible: value vs F.mse_loss, scalar, ValueError on (n,1) vs (n,). Hidden: more shapes, grad."""
    g = seeded(1)
    y_hat, y = torch.randn(8, generator=g, dtype=f64), torch.randn(8, generator=g, dtype=f64)
    hint = "average the squared differences over all elements: ((y_hat - y) ** 2).mean()"

    @case("mse on two tensors of shape (8,)")
    def value():
        got = call(mse, y_hat, y)
        expect_scalar_close("mse(y_hat, y)", got, F.mse_loss(y_hat, y).item(), hint, atol=1e-12)
        if not isinstance(got, torch.Tensor):
            fail("mse(y_hat, y) type", "a 0-d torch.Tensor (so it can be backpropagated)",
                 type(got).__name__, "do not call .item() or float() on the result")

    @case("mse with shapes (8, 1) and (8,)")
    def rejects_broadcast():
        expect_raises("mse(y_hat of shape (8, 1), y of shape (8,))", ValueError, mse,
                      y_hat[:, None], y,
                      hint="(8, 1) - (8,) broadcasts to (8, 8) and gives a wrong loss silently; "
                           "compare y_hat.shape with y.shape and raise ValueError")

    visible = [value, rejects_broadcast]
    return run_suite("mse", hidden_cases("fitting", "mse", mse, y_hat=y_hat, y=y, g=g, hint=hint)
                     if hidden else visible)


# -- fit_least_squares ---------------------------------------------------------------------------

def check_fit_least_squares(fit_least_squares, hidden: bool = False) -> bool:
    """Visible: shape and predictions vs lstsq. Hidden: exact recovery, interpolation, polynomials."""
    g = seeded(2)
    X = torch.randn(30, 5, generator=g, dtype=f64)
    y = torch.randn(30, generator=g, dtype=f64)
    hint = "minimize ||Xw - y||²: torch.linalg.lstsq(X, y[:, None]).solution[:, 0] or the pseudo-inverse"

    @case("fit_least_squares on X (30, 5), y (30,)")
    def shape():
        w = call(fit_least_squares, X, y)
        expect_shape("w", w, (5,), "return a 1-D weight vector of shape (d,), e.g. with [:, 0] or .squeeze(1)")

    @case("predictions X @ w")
    def predictions():
        w = call(fit_least_squares, X, y)
        expect_shape("w", w, (5,), "return a 1-D weight vector of shape (d,)")
        expect_close("predictions X @ w", X @ w.double(), X @ _lstsq(X, y), hint, atol=1e-9, rtol=1e-8)

    visible = [shape, predictions]
    return run_suite("fit_least_squares", hidden_cases("fitting", "fit_least_squares", fit_least_squares,
                                                       X=X, y=y, g=g, hint=hint)
                     if hidden else visible)


# -- fit_sgd -------------------------------------------------------------------------------------

def _gd_reference(X, y, lr, steps):
    w = torch.zeros(X.shape[1], dtype=X.dtype)
    for _ in range(steps):
        w = w - lr * X.T @ (X @ w - y) / X.shape[0]
    return w


def _unpack_sgd(result, epochs: int):
    if not (isinstance(result, tuple) and len(result) == 2):
        fail("fit_sgd(...)", "a tuple (w, train_losses)", type(result).__name__,
             "end with `return w, train_losses`")
    w, losses = result
    expect_tensor("w", w)
    if len(losses) != epochs:
        fail("len(train_losses)", epochs, len(losses), "append one training MSE per epoch")
    return w.detach(), [float(v) for v in losses]


def check_fit_sgd(fit_sgd, hidden: bool = False) -> bool:
    """Visible: full-batch runs equal gradient descent from w = 0. Hidden: minibatches, seeds."""
    g = seeded(3)
    X = torch.randn(12, 3, generator=g, dtype=f64)
    y = X @ torch.tensor([1.0, -2.0, 0.5], dtype=f64) + 0.1 * torch.randn(12, generator=g, dtype=f64)
    hint = ("start from w = 0 and step w <- w - lr * X_bᵀ(X_b w - y_b) / len(batch), "
            "the gradient of the batch mean of (x·w - y)²/2")

    @case("fit_sgd with batch_size = n (full batch)")
    def full_batch():
        w, losses = _unpack_sgd(call(fit_sgd, X, y, lr=0.1, epochs=5, batch_size=12,
                                     generator=seeded(0)), 5)
        expect_close("w after 5 full-batch epochs", w, _gd_reference(X, y, 0.1, 5), hint, atol=1e-10)

    @case("train_losses of a full-batch run")
    def losses_are_mse():
        w, losses = _unpack_sgd(call(fit_sgd, X, y, lr=0.1, epochs=3, batch_size=12,
                                     generator=seeded(0)), 3)
        expected = [((X @ _gd_reference(X, y, 0.1, e) - y) ** 2).mean().item() for e in (1, 2, 3)]
        expect_close("train_losses", torch.tensor(losses, dtype=f64), torch.tensor(expected, dtype=f64),
                     "after each epoch, record the mean squared error (x·w - y)² on the whole "
                     "training set, without the 1/2", atol=1e-10)

    visible = [full_batch, losses_are_mse]
    return run_suite("fit_sgd", hidden_cases("fitting", "fit_sgd", fit_sgd, X=X, y=y) if hidden else visible)


# -- kfold_indices -------------------------------------------------------------------------------

def _check_folds(kfold_indices, n: int, k: int) -> None:
    what = f"kfold_indices({n}, {k})"
    folds = call(kfold_indices, n, k)
    if not isinstance(folds, (list, tuple)) or len(folds) != k:
        fail(what, f"a list of {k} (train_idx, val_idx) pairs",
             f"{type(folds).__name__} of length {len(folds) if hasattr(folds, '__len__') else '?'}",
             "return one pair per fold")
    for i, (pair, (ref_train, ref_val)) in enumerate(zip(folds, _kfold(n, k))):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            fail(f"{what}[{i}]", "a pair (train_idx, val_idx)", type(pair).__name__, "return tuples")
        train, val = (torch.as_tensor(t).flatten().tolist() for t in pair)
        if sorted(val) != ref_val.tolist():
            fail(f"validation indices of fold {i} of {what}", _short(ref_val.tolist()), _short(sorted(val)),
                 "fold i is a contiguous block; the first n % k folds get one extra example, "
                 "and no example may be dropped")
        if sorted(train) != ref_train.tolist():
            fail(f"training indices of fold {i} of {what}", _short(ref_train.tolist()), _short(sorted(train)),
                 "the training indices are all indices not in the validation fold")


def _short(values: list, limit: int = 12) -> str:
    return str(values) if len(values) <= limit else f"{values[:limit]}... ({len(values)} indices)"


def check_kfold_indices(kfold_indices, hidden: bool = False) -> bool:
    """Visible: same folds as sklearn KFold for (23, 5) and (10, 2). Hidden: other n, k and bad arguments."""
    if hidden:
        return run_suite("kfold_indices", hidden_cases("fitting", "kfold_indices", kfold_indices),
                         forbidden=SKLEARN)
    return run_suite("kfold_indices", [folds_case(kfold_indices, n, k) for n, k in [(23, 5), (10, 2)]],
                     forbidden=SKLEARN)


def folds_case(kfold_indices, n: int, k: int):
    @case(f"kfold_indices({n}, {k})")
    def folds():
        _check_folds(kfold_indices, n, k)
    return folds


# -- cross_val_mse -------------------------------------------------------------------------------

def _reference_cv(X, y, k, fit):
    errors = []
    for train, val in _kfold(len(y), k):
        w = fit(X[train], y[train])
        errors.append(F.mse_loss(X[val] @ w, y[val]).item())
    return sum(errors) / k


class FitSpy:
    """A least-squares `fit` that records the size of every training set it is given."""

    def __init__(self):
        self.sizes: list[int] = []

    def __call__(self, X_train, y_train):
        self.sizes.append(len(y_train))
        return _lstsq(X_train, y_train)


def check_cross_val_mse(cross_val_mse, hidden: bool = False) -> bool:
    """Visible: value vs a KFold loop, fit called on the training folds. Hidden: LOO, other data."""
    g = seeded(6)
    X = torch.randn(23, 3, generator=g, dtype=f64)
    y = X @ torch.tensor([1.0, 0.0, -1.0], dtype=f64) + 0.3 * torch.randn(23, generator=g, dtype=f64)
    hint = ("for each fold: w = fit(X[train_idx], y[train_idx]), then the MSE of X[val_idx] @ w "
            "against y[val_idx]; return the mean of the k fold errors")

    def check_value(X, y, k):
        got = call(cross_val_mse, X, y, k, _lstsq)
        expect_scalar_close(f"cross_val_mse with k = {k}", got, _reference_cv(X, y, k, _lstsq),
                            hint, atol=1e-10, rtol=1e-8)

    @case("cross_val_mse(X, y, 5, fit) with n = 23")
    def value():
        check_value(X, y, 5)

    @case("the calls cross_val_mse makes to fit")
    def fits_on_training_folds():
        spy = FitSpy()
        call(cross_val_mse, X, y, 5, spy)
        expected = [len(tr) for tr, _ in _kfold(23, 5)]
        if sorted(spy.sizes) != sorted(expected):
            fail("sizes of the training sets passed to fit", expected, spy.sizes,
                 "call fit once per fold, on the training indices only (never on the validation fold)")

    visible = [fits_on_training_folds, value]
    return run_suite("cross_val_mse", hidden_cases("fitting", "cross_val_mse", cross_val_mse, X=X, y=y,
                                                   check_value=check_value)
                     if hidden else visible)


# -- select_degree -------------------------------------------------------------------------------

def _reference_degree(x, y, degrees, k):
    errors = [_reference_cv(_factorial_features(x, d), y, k, _lstsq) for d in degrees]
    return list(degrees)[min(range(len(errors)), key=errors.__getitem__)]


def _as_int(what: str, got) -> int:
    if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.is_floating_point():
        return int(got)
    if isinstance(got, bool) or not isinstance(got, int):
        fail(what, "an int", type(got).__name__, "return the degree itself, e.g. int(...)")
    return got


def check_select_degree(select_degree, hidden: bool = False) -> bool:
    """Visible: the cubic data picks the reference degree (3 or 4). Hidden: unsorted degrees, seeds,
    and data whose best degree is not 3 (a line, pure noise, sin(4x))."""
    from ..data import make_cubic_data

    def check_on(seed, degrees, k, allowed=None, data=None):
        x, y = make_cubic_data(15, generator=seeded(seed)) if data is None else data
        got = _as_int(f"select_degree(x, y, {degrees}, {k})", call(select_degree, x, y, degrees, k))
        expected = _reference_degree(x, y, degrees, k)
        if got != expected:
            fail(f"select_degree(x, y, {degrees}, {k}) on seed {seed}"
                 + ("" if data is None else " (data that are not a cubic)"), expected, got,
                 "return the degree (not its position) with the smallest cross_val_mse of "
                 "poly_features(x, degree); fit with fit_least_squares")
        if allowed is not None and got not in allowed:
            fail("the selected degree", f"one of {allowed}", got, "the data are a noisy cubic")

    @case("select_degree on the cubic data, seed 0")
    def cubic_seed0():
        check_on(0, list(range(9)), 5, allowed=(3, 4))

    return run_suite("select_degree", hidden_cases("fitting", "select_degree", select_degree, check_on=check_on)
                     if hidden else [cubic_seed0])


# -- early_stopping_epoch ------------------------------------------------------------------------

# (val_losses, patience, kept epoch): hand-checked against the rule in the notebook
EARLY_STOPPING_VECTORS = [
    ([5.0, 4.0, 3.0, 2.0, 1.0], 2, 4),      # always improving: the last epoch
    ([1.0, 2.0, 3.0, 4.0, 5.0], 2, 0),      # never improving: stop at epoch 2, keep epoch 0
    ([3.0, 1.0, 2.0, 0.0], 1, 1),           # patience 1 stops at epoch 2, before the later best
    ([3.0, 1.0, 2.0, 0.0], 2, 3),           # patience 2 lets it reach the later best
    ([3.0, 2.0, 2.0, 2.0, 1.0], 2, 1),      # ties are not improvements: the first best is kept
    ([3.0, 2.0, 2.0, 2.0, 1.0], 3, 4),
]

def check_early_stopping_epoch(early_stopping_epoch, hidden: bool = False) -> bool:
    """Visible: fixed test vectors. Hidden: more vectors, tensors as input and bad patience."""
    if hidden:
        return run_suite("early_stopping_epoch",
                         hidden_cases("fitting", "early_stopping_epoch", early_stopping_epoch))
    return run_suite("early_stopping_epoch",
                     [early_stopping_case(early_stopping_epoch, *v) for v in EARLY_STOPPING_VECTORS])


EARLY_STOPPING_HINT = ("walk through the epochs keeping the best loss so far; a loss counts as an improvement "
                       "only if strictly smaller; stop after `patience` epochs in a row without one; return "
                       "the index of the best epoch seen up to the stop")


def early_stopping_case(early_stopping_epoch, losses: list, patience: int, expected: int):
    @case(f"early_stopping_epoch({losses}, patience={patience})")
    def vector():
        what = f"early_stopping_epoch({losses}, patience={patience})"
        got = _as_int(what, call(early_stopping_epoch, list(losses), patience))
        if got != expected:
            fail(what, expected, got, EARLY_STOPPING_HINT)
    return vector
