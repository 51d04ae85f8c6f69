"""Wrong-answer corpus for 01_fitting: realistic student bugs, and correct alternatives.

WRONG[name] lists (implementation, substring the check's message must contain).
CORRECT[name] lists implementations written differently from the solution that must pass.
Implementations that build on other exercises use the instructor's solution for those (SOLUTION).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from tests.notebook_tools import solution_namespace

SOLUTION = solution_namespace("01_fitting")
poly_features = SOLUTION["poly_features"]
mse = SOLUTION["mse"]
fit_least_squares = SOLUTION["fit_least_squares"]
kfold_indices = SOLUTION["kfold_indices"]
cross_val_mse = SOLUTION["cross_val_mse"]


# -- poly_features --------------------------------------------------------------------------------

def poly_no_factorial(x, degree):
    return x[:, None] ** torch.arange(degree + 1, dtype=x.dtype)


def poly_factorial_off_by_one(x, degree):
    powers = torch.arange(degree + 1, dtype=x.dtype)
    return x[:, None] ** powers / torch.exp(torch.lgamma(powers + 2))


def poly_no_constant_column(x, degree):
    powers = torch.arange(1, degree + 1, dtype=x.dtype)
    return x[:, None] ** powers / torch.exp(torch.lgamma(powers + 1))


def poly_transposed(x, degree):
    powers = torch.arange(degree + 1, dtype=x.dtype)
    return (x[:, None] ** powers / torch.exp(torch.lgamma(powers + 1))).T


def poly_via_numpy_float64(x, degree):
    columns = [np.asarray(x, dtype=np.float64) ** i / math.factorial(i) for i in range(degree + 1)]
    return torch.from_numpy(np.stack(columns, axis=1))


def poly_loop(x, degree):
    return torch.stack([x ** i / math.factorial(i) for i in range(degree + 1)], dim=1)


def poly_cumulative(x, degree):
    columns = [torch.ones_like(x)]
    for i in range(1, degree + 1):
        columns.append(columns[-1] * x / i)
    return torch.stack(columns, dim=1)


# -- mse -----------------------------------------------------------------------------------------

def mse_no_shape_check(y_hat, y):
    return ((y_hat - y) ** 2).mean()


def mse_sum(y_hat, y):
    if y_hat.shape != y.shape:
        raise ValueError("shapes differ")
    return ((y_hat - y) ** 2).sum()


def mse_root(y_hat, y):
    if y_hat.shape != y.shape:
        raise ValueError("shapes differ")
    return ((y_hat - y) ** 2).mean().sqrt()


def mse_half(y_hat, y):
    if y_hat.shape != y.shape:
        raise ValueError("shapes differ")
    return ((y_hat - y) ** 2).mean() / 2


def mse_item(y_hat, y):
    if y_hat.shape != y.shape:
        raise ValueError("shapes differ")
    return ((y_hat - y) ** 2).mean().item()


def mse_squeeze(y_hat, y):
    y_hat, y = y_hat.squeeze(), y.squeeze()
    if y_hat.shape != y.shape:
        raise ValueError("shapes differ")
    return ((y_hat - y) ** 2).mean()


def mse_assert(y_hat, y):
    assert y_hat.shape == y.shape, "shapes differ"
    return ((y_hat - y) ** 2).mean()


def mse_functional(y_hat, y):
    if y_hat.shape != y.shape:
        raise ValueError(f"{y_hat.shape} vs {y.shape}")
    return F.mse_loss(y_hat, y)


# -- fit_least_squares ---------------------------------------------------------------------------

def lstsq_column(X, y):
    return torch.linalg.lstsq(X, y[:, None]).solution


def lstsq_no_inverse(X, y):
    return X.T @ y / len(y)


def lstsq_ridge(X, y):
    return torch.linalg.solve(X.T @ X + 1e-3 * torch.eye(X.shape[1], dtype=X.dtype), X.T @ y)


def lstsq_float32(X, y):
    X32, y32 = X.float(), y.float()
    return torch.linalg.solve(X32.T @ X32, X32.T @ y32)


def lstsq_pinv(X, y):
    return torch.linalg.pinv(X) @ y


def lstsq_default_driver(X, y):
    return torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1)


def lstsq_qr(X, y):
    Q, R = torch.linalg.qr(X)
    return torch.linalg.solve_triangular(R, (Q.T @ y)[:, None], upper=True)[:, 0]


# -- fit_sgd -------------------------------------------------------------------------------------

def _sgd(X, y, lr, epochs, batch_size, generator=None, *, grad_scale=None, shuffle=True,
         drop_last=False, record="full", w0=None, use_generator=True):
    """A configurable SGD used to write realistic bugs compactly."""
    n, d = X.shape
    w = torch.zeros(d, dtype=X.dtype) if w0 is None else w0(d, X.dtype)
    losses = []
    for _ in range(epochs):
        if shuffle:
            order = torch.randperm(n, generator=generator if use_generator else None)
        else:
            order = torch.arange(n)
        stop = n - batch_size + 1 if drop_last else n
        for start in range(0, stop, batch_size):
            batch = order[start:start + batch_size]
            Xb, yb = X[batch], y[batch]
            scale = grad_scale(len(batch), batch_size) if grad_scale else 1 / len(batch)
            w = w - lr * scale * Xb.T @ (Xb @ w - yb)
            last = ((Xb @ w - yb) ** 2).mean().item()
        losses.append(((X @ w - y) ** 2).mean().item() if record == "full" else last)
    return w, losses


def sgd_sum_gradient(X, y, lr, epochs, batch_size, generator=None):
    return _sgd(X, y, lr, epochs, batch_size, generator, grad_scale=lambda b, B: 1.0)


def sgd_mse_gradient(X, y, lr, epochs, batch_size, generator=None):
    return _sgd(X, y, lr, epochs, batch_size, generator, grad_scale=lambda b, B: 2.0 / b)


def sgd_no_shuffle(X, y, lr, epochs, batch_size, generator=None):
    return _sgd(X, y, lr, epochs, batch_size, generator, shuffle=False)


def sgd_global_rng(X, y, lr, epochs, batch_size, generator=None):
    return _sgd(X, y, lr, epochs, batch_size, generator, use_generator=False)


def sgd_drop_last(X, y, lr, epochs, batch_size, generator=None):
    return _sgd(X, y, lr, epochs, batch_size, generator, drop_last=True)


def sgd_divide_by_batch_size(X, y, lr, epochs, batch_size, generator=None):
    return _sgd(X, y, lr, epochs, batch_size, generator, grad_scale=lambda b, B: 1.0 / B)


def sgd_last_batch_loss(X, y, lr, epochs, batch_size, generator=None):
    return _sgd(X, y, lr, epochs, batch_size, generator, record="batch")


def sgd_random_init(X, y, lr, epochs, batch_size, generator=None):
    return _sgd(X, y, lr, epochs, batch_size, generator,
                w0=lambda d, dtype: 0.01 * torch.randn(d, dtype=dtype))


def sgd_autograd(X, y, lr, epochs, batch_size, generator=None):
    w = torch.zeros(X.shape[1], dtype=X.dtype, requires_grad=True)
    losses = []
    for _ in range(epochs):
        for batch in torch.randperm(len(y), generator=generator).split(batch_size):
            loss = ((X[batch] @ w - y[batch]) ** 2 / 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                w.grad.zero_()
        with torch.no_grad():
            losses.append(mse(X @ w, y).item())
    return w.detach(), losses


# -- kfold_indices -------------------------------------------------------------------------------

def kfold_drop_remainder(n, k):
    if not 2 <= k <= n:
        raise ValueError("bad k")
    size = n // k
    return [(torch.cat([torch.arange(0, i * size), torch.arange((i + 1) * size, k * size)]),
             torch.arange(i * size, (i + 1) * size)) for i in range(k)]


def kfold_remainder_last(n, k):
    if not 2 <= k <= n:
        raise ValueError("bad k")
    size, folds = n // k, []
    for i in range(k):
        stop = n if i == k - 1 else (i + 1) * size
        val = torch.arange(i * size, stop)
        folds.append((torch.cat([torch.arange(0, i * size), torch.arange(stop, n)]), val))
    return folds


def kfold_swapped(n, k):
    return [(val, train) for train, val in kfold_indices(n, k)]


def kfold_no_validation(n, k):
    return [(torch.as_tensor(np.setdiff1d(np.arange(n), part)), torch.as_tensor(part))
            for part in np.array_split(np.arange(n), k)]


def kfold_array_split(n, k):
    if not 2 <= k <= n:
        raise ValueError(f"need 2 <= k <= n, got {k}")
    parts = np.array_split(np.arange(n), k)
    return [(torch.as_tensor(np.setdiff1d(np.arange(n), part)), torch.as_tensor(part)) for part in parts]


# The built-in, however it is reached: the exercise's rule forbids scikit-learn.

def kfold_sklearn(n, k):
    """sklearn's KFold gives exactly the expected folds; the rule makes it lose the points."""
    from sklearn.model_selection import KFold
    return [(torch.as_tensor(a), torch.as_tensor(b)) for a, b in KFold(k).split(np.zeros(n))]


def kfold_sklearn_module_attribute(n, k):
    """The same through a module attribute, with a ValueError of its own first."""
    import sklearn.model_selection as model_selection
    if not 2 <= k <= n:
        raise ValueError("need 2 <= k <= n")
    splitter = getattr(model_selection, "KFold")(n_splits=k)
    return [(torch.as_tensor(a), torch.as_tensor(b)) for a, b in splitter.split(range(n))]


def select_always_three(x, y, degrees, k):
    """Hard-coded: the course's data are a cubic."""
    return 3


# -- cross_val_mse -------------------------------------------------------------------------------

def cv_training_error(X, y, k, fit):
    errors = []
    for train, val in kfold_indices(len(y), k):
        w = fit(X[train], y[train])
        errors.append(mse(X[train] @ w, y[train]).item())
    return sum(errors) / k


def cv_fit_once(X, y, k, fit):
    w = fit(X, y)
    return sum(mse(X[val] @ w, y[val]).item() for _, val in kfold_indices(len(y), k)) / k


def cv_pooled(X, y, k, fit):
    squared = []
    for train, val in kfold_indices(len(y), k):
        w = fit(X[train], y[train])
        squared.append((X[val] @ w - y[val]) ** 2)
    return torch.cat(squared).mean().item()


def cv_tensor_mean(X, y, k, fit):
    errors = torch.stack([mse(X[va] @ fit(X[tr], y[tr]), y[va]) for tr, va in kfold_indices(len(y), k)])
    return errors.mean()


# -- select_degree -------------------------------------------------------------------------------

def select_index(x, y, degrees, k):
    errors = [cross_val_mse(poly_features(x, d), y, k, fit_least_squares) for d in degrees]
    return errors.index(min(errors))


def select_by_training_error(x, y, degrees, k):
    def train_error(d):
        X = poly_features(x, d)
        return mse(X @ fit_least_squares(X, y), y).item()
    return min(degrees, key=train_error)


def select_argmax(x, y, degrees, k):
    errors = [cross_val_mse(poly_features(x, d), y, k, fit_least_squares) for d in degrees]
    return degrees[errors.index(max(errors))]


def select_min_key(x, y, degrees, k):
    return min(degrees, key=lambda d: cross_val_mse(poly_features(x, d), y, k, fit_least_squares))


# -- early_stopping_epoch ------------------------------------------------------------------------

def _early(val_losses, patience, *, ties=False, off_by_one=False, return_stop=False, check=True):
    if check and patience < 1:
        raise ValueError("patience")
    best, best_epoch, waited = float(val_losses[0]), 0, 0
    for epoch in range(1, len(val_losses)):
        loss = float(val_losses[epoch])
        if loss < best or (ties and loss == best):
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if (waited > patience) if off_by_one else (waited == patience):
                return epoch if return_stop else best_epoch
    return best_epoch


def early_returns_stop_epoch(val_losses, patience):
    return _early(val_losses, patience, return_stop=True)


def early_last_best_on_ties(val_losses, patience):
    return _early(val_losses, patience, ties=True)


def early_patience_off_by_one(val_losses, patience):
    return _early(val_losses, patience, off_by_one=True)


def early_global_argmin(val_losses, patience):
    values = [float(v) for v in val_losses]
    return values.index(min(values))


def early_no_validation(val_losses, patience):
    return _early(val_losses, patience, check=False)


def early_since_best(val_losses, patience):
    if patience < 1:
        raise ValueError("patience must be >= 1")
    best_epoch = 0
    for epoch, loss in enumerate(val_losses):
        if loss < val_losses[best_epoch]:
            best_epoch = epoch
        elif epoch - best_epoch >= patience:
            break
    return int(best_epoch)


WRONG = {
    "poly_features": [
        (poly_no_factorial, "did you forget the factorial"),
        (poly_factorial_off_by_one, "not (i+1)!"),
        (poly_no_constant_column, "shape"),
        (poly_transposed, "shape"),
        (poly_via_numpy_float64, "dtype"),
    ],
    "mse": [
        (mse_no_shape_check, "ValueError"),
        (mse_sum, "average the squared differences"),
        (mse_root, "average the squared differences"),
        (mse_half, "average the squared differences"),
        (mse_item, "0-d torch.Tensor"),
        (mse_squeeze, "ValueError"),
        (mse_assert, "ValueError"),
    ],
    "fit_least_squares": [
        (lstsq_column, "shape"),
        (lstsq_no_inverse, "predictions"),
        (lstsq_ridge, "predictions"),
        (lstsq_float32, "predictions"),
    ],
    "fit_sgd": [
        (sgd_sum_gradient, "/ len(batch)"),
        (sgd_mse_gradient, "(x·w - y)²/2"),
        (sgd_no_shuffle, "shuffle the examples"),
        (sgd_global_rng, "not the global RNG"),
        (sgd_drop_last, "ceil(n / batch_size)"),
        (sgd_divide_by_batch_size, "over its own size"),
        (sgd_last_batch_loss, "MSE of the whole training set"),
        (sgd_random_init, "start from w = 0"),
    ],
    "kfold_indices": [
        (kfold_drop_remainder, "no example may be dropped"),
        (kfold_remainder_last, "first n % k folds get one extra"),
        (kfold_swapped, "validation indices"),
        (kfold_no_validation, "ValueError"),
        (kfold_sklearn, "calls sklearn.model_selection._split.KFold"),
        (kfold_sklearn_module_attribute, "calls sklearn.model_selection._split.KFold"),
    ],
    "cross_val_mse": [
        (cv_training_error, "against y[val_idx]"),
        (cv_fit_once, "on the training indices only"),
        (cv_pooled, "mean of the k fold errors"),
    ],
    "select_degree": [
        (select_index, "not its position"),
        (select_by_training_error, "smallest cross_val_mse"),
        (select_argmax, "smallest cross_val_mse"),
        (select_always_three, "data that are not a cubic"),
    ],
    "early_stopping_epoch": [
        (early_returns_stop_epoch, "return the index of the best epoch"),
        (early_last_best_on_ties, "strictly smaller"),
        (early_patience_off_by_one, "in a row"),
        (early_global_argmin, "stop after `patience` epochs"),
        (early_no_validation, "patience must be at least 1"),
    ],
}

CORRECT = {
    "poly_features": [poly_loop, poly_cumulative],
    "mse": [mse_functional],
    "fit_least_squares": [lstsq_pinv, lstsq_default_driver, lstsq_qr],
    "fit_sgd": [sgd_autograd],
    "kfold_indices": [kfold_array_split],
    "cross_val_mse": [cv_tensor_mean],
    "select_degree": [select_min_key],
    "early_stopping_epoch": [early_since_best],
}
