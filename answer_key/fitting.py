"""Hidden cases of the 01_fitting checks (dlcourse/checks/fitting.py)."""

from __future__ import annotations

import torch

from dlcourse.checks._core import (call, case, expect_close, expect_raises, expect_scalar_close, expect_shape,
                                   expect_tensor, fail, inputs_untouched, raises_case, same_seed_case, seeded)
from dlcourse.checks.fitting import (EARLY_STOPPING_VECTORS, _as_int, _check_poly_values,
                                     _factorial_features, _gd_reference, _lstsq, _unpack_sgd,
                                     early_stopping_case, folds_case)

f64 = torch.float64


def poly_features(poly_features, *, x):
    @case("poly_features(x, 0)")
    def degree_zero():
        _check_poly_values(poly_features, x, 0, "poly_features(x, 0)")

    @case("poly_features on float32 input")
    def keeps_dtype():
        got = expect_tensor("poly_features(x32, 3)", call(poly_features, x.float(), 3))
        if got.dtype != torch.float32:
            fail("poly_features(x32, 3) dtype", torch.float32, got.dtype,
                 "build the features from x so they keep its dtype")

    @case("poly_features(x, 12) with x ~ N(0, 4)")
    def large_degree():
        x_wide = 2 * torch.randn(50, generator=seeded(11), dtype=f64)
        _check_poly_values(poly_features, x_wide, 12, "poly_features(x, 12)")

    input_untouched = inputs_untouched("poly_features must not modify x", "x after poly_features(x, 5)", [x],
                                       lambda x: call(poly_features, x, 5),
                                       "avoid in-place operations such as x.pow_() or x /= ...")

    return [degree_zero, keeps_dtype, large_degree, input_untouched]


def mse(mse, *, y_hat, y, g, hint):
    @case("mse with shapes (8,) and (7,)")
    def rejects_length():
        expect_raises("mse(shape (8,), shape (7,))", ValueError, mse, y_hat, y[:7],
                      hint="raise ValueError whenever the shapes differ")

    @case("mse on two (4, 3) tensors")
    def matrix_value():
        a, b = torch.randn(4, 3, generator=g, dtype=f64), torch.randn(4, 3, generator=g, dtype=f64)
        expect_scalar_close("mse on (4, 3) inputs", call(mse, a, b), torch.nn.functional.mse_loss(a, b).item(),
                            "the mean runs over every element, not only over rows", atol=1e-12)

    @case("gradient of mse")
    def gradient():
        leaf = y_hat.clone().requires_grad_(True)
        loss = call(mse, leaf, y)
        if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
            fail("mse(y_hat, y).requires_grad", True, False,
                 "use torch operations only, without .item(), .detach() or numpy")
        loss.backward()
        expect_close("d mse / d y_hat", leaf.grad, 2 * (y_hat - y) / 8, hint, atol=1e-12)

    untouched = inputs_untouched("mse must not modify its inputs", "inputs after mse", [y_hat, y],
                                 lambda a, b: call(mse, a, b), "avoid in-place operations")

    return [rejects_length, matrix_value, gradient, untouched]


def fit_least_squares(fit_least_squares, *, X, y, g, hint):
    @case("noise-free y = X @ w_true")
    def exact_recovery():
        w_true = torch.tensor([1.5, -2.0, 0.5, 3.0, 0.0], dtype=f64)
        w = call(fit_least_squares, X, X @ w_true)
        expect_close("w on noise-free data", w, w_true, hint, atol=1e-9)

    @case("a square, invertible X of shape (6, 6)")
    def interpolates():
        X_square = torch.randn(6, 6, generator=g, dtype=f64) + 3 * torch.eye(6, dtype=f64)
        y_square = torch.randn(6, generator=g, dtype=f64)
        w = call(fit_least_squares, X_square, y_square)
        expect_close("training predictions on a square system", X_square @ w.double(), y_square,
                     "with as many weights as points, least squares interpolates", atol=1e-9)

    @case("degree-8 polynomial features of 15 points")
    def polynomial():
        x = 2 * torch.rand(15, generator=g, dtype=f64) - 1
        X_poly, y_poly = _factorial_features(x, 8), torch.randn(15, generator=g, dtype=f64)
        w = call(fit_least_squares, X_poly, y_poly)
        expect_shape("w", w, (9,), "return shape (d,)")
        got = ((X_poly @ w.double() - y_poly) ** 2).mean().item()
        best = ((X_poly @ _lstsq(X_poly, y_poly) - y_poly) ** 2).mean().item()
        expect_scalar_close("training MSE", got, best, hint + " (a solver, not a hand-made inverse)",
                            rtol=1e-4, atol=1e-12)

    return [exact_recovery, interpolates, polynomial]


#: 300 seeds of the reference: max |w - w_ols| = 0.006 (lr 0.05, 20 epochs, batch 10, n = 200)
SGD_TOLERANCE = 0.03


def sgd_convergence_case(fit_sgd, data_seed: int, order_seed: int) -> None:
    """Minibatch SGD on a well-conditioned regression must land within SGD_TOLERANCE of least squares."""
    g_data = seeded(data_seed)
    X = torch.randn(200, 4, generator=g_data, dtype=f64)
    y = X @ torch.tensor([2.0, -3.4, 1.2, 0.5], dtype=f64) + 0.1 * torch.randn(200, generator=g_data, dtype=f64)
    w, _ = _unpack_sgd(call(fit_sgd, X, y, lr=0.05, epochs=20, batch_size=10,
                            generator=seeded(order_seed)), 20)
    expect_close("w after 20 epochs (batch 10, lr 0.05)", w, _lstsq(X, y),
                 "each step should move w along minus the minibatch gradient; check signs and the "
                 "1/len(batch) factor", atol=SGD_TOLERANCE)


def fit_sgd(fit_sgd, *, X, y):
    @case("fit_sgd with a last, smaller minibatch")
    def partial_batch():
        # identical rows make every minibatch's mean gradient equal, whatever the order
        X_same = torch.tensor([[1.0, 0.5]], dtype=f64).repeat(10, 1)
        y_same = torch.full((10,), 2.0, dtype=f64)
        w, _ = _unpack_sgd(call(fit_sgd, X_same, y_same, lr=0.1, epochs=2, batch_size=4,
                                generator=seeded(0)), 2)
        expect_close("w with n = 10, batch_size = 4, 2 epochs", w,
                     _gd_reference(X_same[:1], y_same[:1], 0.1, 6),
                     "each epoch has ceil(n / batch_size) = 3 steps; average the last batch "
                     "over its own size (2), not over batch_size", atol=1e-10)

    @case("train_losses of a minibatch run")
    def last_loss_is_final_mse():
        w, losses = _unpack_sgd(call(fit_sgd, X, y, lr=0.05, epochs=3, batch_size=5,
                                     generator=seeded(0)), 3)
        expect_scalar_close("train_losses[-1]", losses[-1], ((X @ w.double() - y) ** 2).mean().item(),
                            "record the MSE of the whole training set after the epoch, not the "
                            "loss of the last minibatch", atol=1e-10)

    @case("fit_sgd recovers least squares with minibatches")
    def converges():
        sgd_convergence_case(fit_sgd, data_seed=4, order_seed=5)

    uses_generator = same_seed_case(
        "fit_sgd with seeded generators",
        lambda seed: _unpack_sgd(call(fit_sgd, X, y, lr=0.05, epochs=2, batch_size=3,
                                      generator=seeded(seed)), 2)[0],
        "draw the order with torch.randperm(n, generator=generator), not the global RNG",
        "shuffle the examples every epoch with torch.randperm(n, generator=generator)")

    untouched = inputs_untouched(
        "fit_sgd must not modify X and y", "X and y after fit_sgd", [X, y],
        lambda X, y: call(fit_sgd, X, y, lr=0.1, epochs=1, batch_size=4, generator=seeded(0)),
        "avoid in-place operations")

    return [partial_batch, last_loss_is_final_mse, converges, uses_generator, untouched]


def kfold_indices(kfold_indices):
    return [*(folds_case(kfold_indices, n, k) for n, k in [(10, 10), (7, 3), (100, 3), (5, 2)]),
            *(raises_case(f"kfold_indices({n}, {k})", ValueError, kfold_indices, n, k,
                          hint="K-fold needs 2 <= k <= n: raise ValueError otherwise") for n, k in [(10, 1), (4, 5)])]


def cross_val_mse(cross_val_mse, *, X, y, check_value):
    @case("cross_val_mse with k = n (leave-one-out)")
    def leave_one_out():
        check_value(X, y, 23)

    @case("cross_val_mse on other data with k = 4")
    def other_data():
        g2 = seeded(7)
        X2 = torch.randn(18, 2, generator=g2, dtype=f64)
        check_value(X2, torch.randn(18, generator=g2, dtype=f64), 4)

    return [leave_one_out, other_data]


def _non_cubic_data(truth, seed: int):
    """15 points x ~ U(-1, 1), y = truth(x) + N(0, σ²): a best degree a hard-coded 3 cannot match."""
    g = seeded(seed)
    x = 2 * torch.rand(15, generator=g, dtype=f64) - 1
    return x, truth(x) + 0.1 * torch.randn(15, generator=g, dtype=f64)


def select_degree(select_degree, *, check_on):
    @case("select_degree with degrees in another order")
    def unsorted():
        check_on(1, [8, 3, 5, 1, 0], 5)

    @case("select_degree on other seeds")
    def other_seeds():
        for seed in (2, 3):
            check_on(seed, list(range(7)), 3)

    @case("select_degree on a line, on pure noise and on sin(4x)")
    def not_cubic():
        for seed, truth in ((0, lambda x: 1.5 * x), (1, torch.zeros_like), (2, lambda x: torch.sin(4 * x))):
            check_on(seed, list(range(9)), 5, data=_non_cubic_data(truth, seed))  # picks 1, 0, 5

    return [not_cubic, unsorted, other_seeds]


EARLY_STOPPING_HIDDEN = [
    ([2.0, 2.0, 2.0], 5, 0),                # ties only, patience never reached
    ([1.0], 1, 0),
    ([0.9, 0.7, 0.8, 0.6, 0.65, 0.62, 0.61, 0.7, 0.5], 3, 3),
    ([0.9, 0.7, 0.8, 0.6, 0.65, 0.62, 0.61, 0.7, 0.5], 4, 3),
    ([0.9, 0.7, 0.8, 0.6, 0.65, 0.62, 0.61, 0.7, 0.5], 5, 8),
    ([4.0, 3.0, 3.5, 3.2, 2.5, 2.6, 2.4, 2.7, 2.8, 2.9, 3.0], 3, 6),
]


def early_stopping_epoch(early_stopping_epoch):
    checks = [early_stopping_case(early_stopping_epoch, *v) for v in EARLY_STOPPING_HIDDEN]

    @case("early_stopping_epoch on a 1-D tensor")
    def tensor_input():
        losses, patience, expected = EARLY_STOPPING_VECTORS[2]
        got = _as_int("early_stopping_epoch(tensor)", call(early_stopping_epoch,
                                                           torch.tensor(losses), patience))
        if got != expected:
            fail("early_stopping_epoch on a tensor of losses", expected, got,
                 "accept any sequence of numbers; compare with float(loss) if needed")

    @case("early_stopping_epoch with patience 0")
    def bad_patience():
        expect_raises("early_stopping_epoch(losses, patience=0)", ValueError,
                      early_stopping_epoch, [1.0, 2.0], 0, hint="patience must be at least 1")

    return checks + [tensor_input, bad_patience]
