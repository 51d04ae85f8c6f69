"""Checks for 02_weight_decay: L2 penalty, the decayed SGD step, training, parameter groups,
ridge regression, choosing λ by K-fold and AdamW.

References are library routines (torch.optim.SGD/Adam/AdamW, autograd, scikit-learn's Ridge and
KFold, torch.linalg.lstsq) or fixed inputs. Exactness checks run in float64. N examples, D features.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold

from ..runtime import single_thread
from .rules import SKLEARN, TORCH_OPTIM
from .hidden import cases as hidden_cases
from ._core import (call, case, expect_close, expect_scalar_close, expect_shape, expect_tensor, fail,
                    inputs_untouched, run_suite, seeded)

f64 = torch.float64

BIAS_DECAYED = "the bias is decayed too: apply weight decay to w only (the concise code of d2l-en 1.0 did too, fixed in PR d2l-en#2284)"
NOT_DECAYED = "the weights are not decayed: the objective includes lam·l2_penalty(w)"
OFF_BY_TWO = ("the factor is off by 2: the penalty is λ/2·||w||², whose gradient is λ·w "
              "(λ·||w||² without the ½ is weight_decay = 2λ)")


def _close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-9) -> bool:
    a = torch.as_tensor(a).detach().double()
    return a.shape == b.shape and bool(torch.allclose(a, b.double(), atol=atol, rtol=1e-7))


def _first_match(got: torch.Tensor, candidates: list[tuple[torch.Tensor, str]], default: str | None,
                 atol: float = 1e-9) -> str | None:
    """The hint of the first known-wrong candidate that `got` reproduces, else `default`."""
    for value, hint in candidates:
        if _close(got, value, atol=atol):
            return hint
    return default


# -- l2_penalty ----------------------------------------------------------------------------------

def _check_penalty_value(l2_penalty, w: torch.Tensor, what: str) -> None:
    got = call(l2_penalty, w.clone())
    expected = torch.linalg.vector_norm(w).item() ** 2 / 2
    if (isinstance(got, torch.Tensor) and got.dim() == 0 and expected > 0
            and abs(float(got) - 2 * expected) < 1e-9 * expected):
        fail(what, f"{expected:.6g}", f"{float(got):.6g}", OFF_BY_TWO)
    hint = ("half the sum of the squares of all entries; ||w|| is the norm, "
            "||w||² its square; sum, do not average")
    expect_scalar_close(what, got, expected, hint, atol=1e-12, rtol=1e-10)
    if not isinstance(got, torch.Tensor):
        fail(f"{what} type", "a 0-d torch.Tensor (so it can be backpropagated)",
             type(got).__name__, "do not call .item() or float() on the result")


def check_l2_penalty(l2_penalty, hidden: bool = False) -> bool:
    """Visible: value vs torch.linalg.vector_norm, gradient = w. Hidden: matrices, dtype, inputs."""
    w = torch.randn(7, generator=seeded(20), dtype=f64)

    @case("l2_penalty(w) with w of shape (7,)")
    def value():
        _check_penalty_value(l2_penalty, w, "l2_penalty(w)")

    @case("gradient of l2_penalty")
    def gradient():
        leaf = w.clone().requires_grad_(True)
        penalty = call(l2_penalty, leaf)
        if not isinstance(penalty, torch.Tensor) or not penalty.requires_grad:
            fail("l2_penalty(w).requires_grad", True, False,
                 "use torch operations only, without .item(), .detach() or numpy")
        penalty.backward()
        if _close(leaf.grad, 2 * w, atol=1e-12):
            fail("autograd gradient of l2_penalty", "w", "2·w", OFF_BY_TWO)
        expect_close("autograd gradient of l2_penalty", leaf.grad, w,
                     "the gradient of ½·Σ w_i² with respect to w is w itself", atol=1e-12)

    with single_thread():
        return run_suite("l2_penalty", hidden_cases("weight_decay", "l2_penalty", l2_penalty, w=w)
                         if hidden else [value, gradient])


# -- sgd_step_l2 ---------------------------------------------------------------------------------

def _torch_sgd_steps(w: torch.Tensor, grad_fn, lr: float, lam: float,
                     num_steps: int) -> torch.Tensor:
    """`num_steps` steps of torch.optim.SGD(weight_decay=lam) with gradients grad_fn(w)."""
    p = w.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([p], lr=lr, weight_decay=lam)
    for _ in range(num_steps):
        with torch.no_grad():
            p.grad = grad_fn(p.detach())
        optimizer.step()
    return p.detach()


def _step_hint(got, w, grad, lr, lam) -> str:
    one = lambda lr_, lam_: _torch_sgd_steps(w, lambda _: grad, lr_, lam_, 1)  # noqa: E731
    return _first_match(got, [
        (one(lr, 2 * lam), OFF_BY_TWO),
        (one(lr, lam / 2), "the decay is half what it should be: the gradient of λ/2·||w||² "
                           "is λ·w"),
        (one(lr, 0.0), "the weights are not decayed at all: multiply w by (1 - lr·lam) first"),
        ((1 - lam) * w - lr * grad, "the decay factor must include the learning rate: 1 - lr·lam"),
        ((1 + lr * lam) * w - lr * grad, "the sign of the decay is flipped: weights must "
                                         "shrink, by the factor 1 - lr·lam < 1"),
        ((1 - lr * lam) * w + lr * grad, "step against the gradient: subtract lr·grad"),
    ], "new w = (1 - lr·lam)·w - lr·grad, as torch.optim.SGD(weight_decay=lam) computes it")


def _quadratic_grad(X, y):
    return lambda w: X.T @ (X @ w - y) / len(y)


def check_sgd_step_l2(sgd_step_l2, hidden: bool = False) -> bool:
    """Visible: one step and 100 steps vs torch.optim.SGD(weight_decay). Hidden: shapes, dtype."""
    g = seeded(22)
    w, grad = torch.randn(6, generator=g, dtype=f64), torch.randn(6, generator=g, dtype=f64)
    X, y = torch.randn(20, 6, generator=g, dtype=f64), torch.randn(20, generator=g, dtype=f64)

    def one_step(w, grad, lr, lam, what):
        got = expect_tensor(what, call(sgd_step_l2, w.clone(), grad.clone(), lr, lam))
        expected = _torch_sgd_steps(w, lambda _: grad, lr, lam, 1)
        expect_shape(what, got, w.shape, "return a tensor of w's shape")
        expect_close(what, got, expected, _step_hint(got, w, grad, lr, lam), atol=1e-12)

    @case("sgd_step_l2(w, grad, lr=0.1, lam=0.5)")
    def step():
        one_step(w, grad, 0.1, 0.5, "sgd_step_l2(w, grad, 0.1, 0.5) vs one torch.optim.SGD step")

    @case("100 steps of sgd_step_l2 on a least-squares loss")
    def hundred_steps():
        grad_fn, current = _quadratic_grad(X, y), torch.zeros(6, dtype=f64)
        for _ in range(100):
            current = call(sgd_step_l2, current, grad_fn(current), 0.05, 0.3)
            expect_tensor("sgd_step_l2(...)", current)
        expected = _torch_sgd_steps(torch.zeros(6, dtype=f64), grad_fn, 0.05, 0.3, 100)
        expect_close("w after 100 steps (lr 0.05, lam 0.3) vs torch.optim.SGD(weight_decay=0.3)",
                     current, expected, "each step: new w = (1 - lr·lam)·w - lr·grad", atol=1e-10)

    untouched = inputs_untouched(
        "sgd_step_l2 must not modify w or grad", "w and grad after sgd_step_l2", [w, grad],
        lambda w, grad: call(sgd_step_l2, w, grad, 0.1, 0.5),
        "return a new tensor: avoid w.mul_(), w -= ... and friends (or clone w first)")

    with single_thread():
        return run_suite("sgd_step_l2", hidden_cases("weight_decay", "sgd_step_l2", sgd_step_l2, w=w,
                                                     grad=grad, g=g, one_step=one_step)
                         if hidden else [step, hundred_steps, untouched], forbidden=TORCH_OPTIM)


# -- train_linear --------------------------------------------------------------------------------

def _torch_train(X, y, lam, lr, num_steps, w_init=None, decay_bias=False, train_bias=True):
    """Full-batch torch.optim.SGD on mean((Xw + b - y)²)/2, weight decay lam on w (and b?)."""
    w = (torch.zeros(X.shape[1], dtype=X.dtype) if w_init is None else w_init.clone())
    w.requires_grad_(True)
    b = torch.zeros((), dtype=X.dtype, requires_grad=True)
    optimizer = torch.optim.SGD([{"params": [w], "weight_decay": lam},
                                 {"params": [b], "weight_decay": lam if decay_bias else 0.0,
                                  "lr": lr if train_bias else 0.0}], lr=lr)
    for _ in range(num_steps):
        optimizer.zero_grad()
        (((X @ w + b - y) ** 2).mean() / 2).backward()
        optimizer.step()
    return w.detach(), b.detach()


def _as_scalar(what: str, value) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    fail(what, "a 0-d tensor (or a number)", f"{type(value).__name__} "
         f"{tuple(value.shape) if isinstance(value, torch.Tensor) else ''}".strip(),
         "keep the bias b as a 0-d tensor, e.g. torch.zeros(())")


def _unpack_train(result, epochs: int, d: int):
    if not (isinstance(result, tuple) and len(result) == 3):
        fail("train_linear(...)", "a tuple (w, b, history)", type(result).__name__,
             "end with `return w, b, history`")
    w, b, history = result
    expect_shape("w", expect_tensor("w", w), (d,), "w has shape (d,), one weight per feature")
    b = _as_scalar("b", b)
    try:
        history = [float(v) for v in history]
    except (TypeError, ValueError):
        fail("history", "a list of floats", type(history).__name__, "append one float per epoch")
    if len(history) != epochs:
        fail("len(history)", epochs, len(history), "append the training MSE once per epoch")
    return w.detach().double(), b, history


def _train_hint(X, y, lam, lr, steps, w, b, w_init=None) -> str:
    run = lambda lam_, **kw: _torch_train(X, y, lam_, lr, steps, w_init=w_init, **kw)  # noqa: E731
    got = torch.cat([w, torch.tensor([b], dtype=f64)])
    candidates = []
    known = [(run(lam, decay_bias=True), BIAS_DECAYED), (run(2 * lam), OFF_BY_TWO),
             (run(0.0), NOT_DECAYED),
             (run(lam, train_bias=False), "b is never updated: give it a plain SGD step on the "
                                          "data term (the batch mean of the residuals)")]
    if w_init is not None:
        known.append((_torch_train(X, y, lam, lr, steps), "start from w = w_init.clone(), not zeros"))
    for (cand_w, cand_b), hint in known:
        candidates.append((torch.cat([cand_w, cand_b[None]]), hint))
    return _first_match(got, candidates,
                        "start from w = 0 (or w_init) and b = 0; per minibatch, w gets the gradient "
                        "of the batch mean of (x·w + b - y)²/2 plus lam·w, b only the data part")


def _sk_ridge(X: torch.Tensor, y: torch.Tensor, lam: float, fit_intercept: bool = True):
    """sklearn Ridge for (1/2N)||Xw + b - y||² + lam/2||w||² (alpha = N·lam); returns (w, b)."""
    model = Ridge(alpha=len(y) * lam, fit_intercept=fit_intercept, solver="cholesky", tol=1e-12)
    model.fit(X.double().numpy(), y.double().numpy())
    return torch.tensor(model.coef_, dtype=f64), torch.tensor(float(model.intercept_), dtype=f64)


def check_train_linear(train_linear, hidden: bool = False) -> bool:
    """Visible: full-batch runs equal torch.optim.SGD with weight decay on w only. Hidden: more."""
    g = seeded(23)
    X = torch.randn(12, 3, generator=g, dtype=f64)
    noise = 0.1 * torch.randn(12, generator=g, dtype=f64)
    y = X @ torch.tensor([1.0, -2.0, 0.5], dtype=f64) + 2.0 + noise

    def full_batch_run(lam, lr, epochs, w_init=None):
        kwargs = {} if w_init is None else {"w_init": w_init.clone()}
        w, b, history = _unpack_train(call(train_linear, X, y, lam, lr, epochs, 12, seeded(0),
                                           **kwargs), epochs, 3)
        ref_w, ref_b = _torch_train(X, y, lam, lr, epochs, w_init=w_init)
        hint = _train_hint(X, y, lam, lr, epochs, w, b, w_init)
        expect_close(f"w after {epochs} full-batch epochs (lam {lam}) vs torch.optim.SGD", w, ref_w,
                     hint, atol=1e-10)
        expect_scalar_close(f"b after {epochs} full-batch epochs (lam {lam}) vs torch.optim.SGD",
                            b, float(ref_b), hint, atol=1e-10)
        return history

    @case("train_linear with batch_size = n (full batch), lam = 0.5, 100 epochs")
    def full_batch():
        full_batch_run(0.5, 0.1, 100)

    @case("history of a full-batch run")
    def history_is_mse():
        history = full_batch_run(0.5, 0.1, 3)
        expected = []
        for epochs in (1, 2, 3):
            w, b = _torch_train(X, y, 0.5, 0.1, epochs)
            expected.append(((X @ w + b - y) ** 2).mean().item())
        expect_close("history", torch.tensor(history, dtype=f64), torch.tensor(expected, dtype=f64),
                     "after each epoch, record the training MSE mean((X w + b - y)²) on the whole "
                     "training set: no ½ and no penalty", atol=1e-10)

    # a student's code that shuffles with the global RNG must not move the notebook's stream
    with torch.random.fork_rng(devices=[]), single_thread():
        return run_suite("train_linear", hidden_cases("weight_decay", "train_linear", train_linear, X=X, y=y,
                                                      full_batch_run=full_batch_run)
                         if hidden else [full_batch, history_is_mse])


# -- param_groups --------------------------------------------------------------------------------

DEFAULT_DECAY = 0.0123  # the optimizer's default in the check: a group without the key gets it


def _expected_decay(model: nn.Module, decayed: set[str],
                    weight_decay: float) -> dict[int, tuple[str, str, float]]:
    """id(parameter) -> (qualified name, kind, expected decay), from a hand-written name list."""
    expected = {}
    for name, p in model.named_parameters():
        module_name, _, short = name.rpartition(".")
        kind = f"a {type(model.get_submodule(module_name)).__name__} {short}"
        expected[id(p)] = (name, kind, weight_decay if name in decayed else 0.0)
    return expected


def _decay_hint(kind: str, got: float, expected: float) -> str:
    if got == DEFAULT_DECAY:
        return ("its group has no 'weight_decay' key, so the optimizer's default applied: set "
                "'weight_decay' explicitly in every group")
    if "bias" in kind and expected == 0.0:
        return "biases are not decayed (D2L decayed them, fixed in PR d2l-en#2284)"
    if expected == 0.0:
        return "normalization-layer parameters (weight and bias) are not decayed"
    return "every weight of a Linear or Conv layer is decayed with weight_decay"


class _Block(nn.Module):
    """A model a hidden case hands to param_groups: defined here, since the kernel rebuilds it."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                                      nn.Conv2d(4, 4, 3, bias=False), nn.GroupNorm(2, 4))
        self.head = nn.Sequential(nn.Flatten(), nn.LayerNorm(16), nn.Linear(16, 3))

    def forward(self, x):
        return self.head(self.features(x))


def _check_groups(param_groups, make_model, decayed: set[str], weight_decay: float,
                  what: str) -> None:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = make_model()
    groups = call(param_groups, model, weight_decay)
    if not isinstance(groups, (list, tuple)) or not all(isinstance(gr, dict) and "params" in gr
                                                        for gr in groups):
        fail(what, "a list of dicts like {'params': [...], 'weight_decay': ...}",
             type(groups).__name__, "return [decay_group, no_decay_group]")
    try:
        optimizer = torch.optim.SGD(list(groups), lr=0.1, weight_decay=DEFAULT_DECAY)
    except ValueError as error:
        if "more than one parameter group" in str(error):
            fail(f"{what}: parameters per group", "each parameter in exactly one group",
                 "a parameter in two groups (duplicated)", "put each parameter in one group only")
        raise
    expected = _expected_decay(model, decayed, weight_decay)
    seen: dict[int, float] = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            if id(p) not in expected:
                fail(f"{what}: group contents", "the model's own parameters",
                     "a tensor that is not a parameter of the model",
                     "use the Parameter objects of model.named_parameters(), not copies")
            if id(p) in seen:
                fail(f"{what}: parameters per group", "each parameter exactly once",
                     f"'{expected[id(p)][0]}' duplicated",
                     "model.parameters() on a module already includes its submodules' parameters")
            seen[id(p)] = group["weight_decay"]
    missing = [name for key, (name, _, _) in expected.items() if key not in seen]
    if missing:
        fail(f"{what}: parameters in some group", f"all {len(expected)}",
             f"{len(missing)} missing (e.g. '{missing[0]}')",
             "walk every module, including nested ones (model.modules() or named_parameters())")
    for key, (name, kind, decay) in expected.items():
        if seen[key] != decay:
            fail(f"{what}: weight_decay of '{name}' ({kind})", decay, seen[key],
                 _decay_hint(kind, seen[key], decay))


def _mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def check_param_groups(param_groups, hidden: bool = False) -> bool:
    """Visible: an MLP with BatchNorm. Hidden: conv/norm layers, nesting, sharing, conv1d.

    The decayed parameters of each model are listed by hand (the weights of its Linear/Conv layers).
    """
    @case("param_groups(MLP with Linear, BatchNorm1d, Linear, weight_decay=0.01)")
    def mlp():
        _check_groups(param_groups, _mlp, {"0.weight", "3.weight"}, 0.01, "param_groups(MLP, 0.01)")

    with single_thread():
        return run_suite("param_groups", hidden_cases("weight_decay", "param_groups", param_groups)
                         if hidden else [mlp])


# -- ridge_closed_form ---------------------------------------------------------------------------

def _unpack_ridge(result, d: int):
    if not (isinstance(result, tuple) and len(result) == 2):
        fail("ridge_closed_form(...)", "a tuple (w, b)", type(result).__name__, "end with `return w, b`")
    w, b = result
    expect_shape("w", expect_tensor("w", w), (d,), "w has shape (d,)")
    return w.detach().double(), _as_scalar("b", b)


def _ridge_hint(X, y, lam, w) -> str:
    n, d = X.shape
    with_ones = torch.cat([X, torch.ones(n, 1, dtype=f64)], dim=1)
    return _first_match(w, [
        (_sk_ridge(X, y, 2 * lam)[0], OFF_BY_TWO),
        (_sk_ridge(X, y, lam / 2)[0], "the penalty is twice too weak: the objective is "
                                      "(1/2n)·||X w + b - y||² + (λ/2)·||w||²"),
        (_sk_ridge(X, y, lam / n)[0], "the data term is averaged over n: with XᵀX/n the penalty "
                                      "matrix is λ·I, with XᵀX it would be n·λ·I"),
        (_sk_ridge(with_ones, y, lam, fit_intercept=False)[0][:d],
         "the bias is penalized: only w is, so center X and y (or leave b out of the λ·I block)"),
        (_sk_ridge(X, y, lam, fit_intercept=False)[0],
         "there is no bias in your fit: center X and y, solve for w, then b = mean(y) - mean(X)·w"),
    ], "w minimizes (1/2n)·||X w + b - y||² + (λ/2)·||w||² with b free (not penalized); "
       "solve the linear system in the centered data")


def _check_ridge(ridge_closed_form, X, y, lam, what):
    w, b = _unpack_ridge(call(ridge_closed_form, X.clone(), y.clone(), lam), X.shape[1])
    if lam == 0:
        with_ones = torch.cat([X, torch.ones(len(y), 1, dtype=f64)], dim=1)
        coef = torch.linalg.lstsq(with_ones, y[:, None]).solution[:, 0]
        ref_w, ref_b = coef[:-1], coef[-1]
    else:
        ref_w, ref_b = _sk_ridge(X, y, lam)
    hint = _ridge_hint(X, y, lam, w) if lam > 0 else "with λ = 0 this is least squares with a bias"
    expect_close(f"w of {what}", w, ref_w, hint, atol=1e-9, rtol=1e-8)
    expect_scalar_close(f"b of {what}", b, float(ref_b), "b = mean(y) - mean(X)·w: the bias is "
                        "not penalized", atol=1e-9, rtol=1e-8)
    return w, b


def check_ridge_closed_form(ridge_closed_form, hidden: bool = False) -> bool:
    """Visible: vs sklearn Ridge(alpha = n·λ) and lstsq (λ = 0). Hidden: n < d, stationarity."""
    g = seeded(27)
    scales = torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0], dtype=f64)
    X = 1.0 + torch.randn(30, 5, generator=g, dtype=f64) * scales  # uncentered, so the bias matters
    noise = 0.3 * torch.randn(30, generator=g, dtype=f64)
    y = X @ torch.tensor([1.0, -1.0, 2.0, 0.0, 0.5], dtype=f64) + 3.0 + noise

    @case("ridge_closed_form(X, y, 0.1) with X of shape (30, 5)")
    def value():
        _check_ridge(ridge_closed_form, X, y, 0.1, "ridge_closed_form(X, y, 0.1) vs sklearn Ridge")

    @case("ridge_closed_form(X, y, 0.0)")
    def least_squares():
        _check_ridge(ridge_closed_form, X, y, 0.0, "ridge_closed_form(X, y, 0) vs torch.linalg.lstsq")

    with single_thread():
        return run_suite("ridge_closed_form", hidden_cases("weight_decay", "ridge_closed_form",
                                                           ridge_closed_form, X=X, y=y)
                         if hidden else [value, least_squares], forbidden=SKLEARN)


# -- choose_lambda -------------------------------------------------------------------------------

def make_ridge_problem(seed: int, num_train: int = 50, num_features: int = 40, noise: float = 0.5,
                       num_test: int = 1000):
    """The notebook's Data B: w_true ~ N(0, 1/D), X ~ N(0, 1); returns X, y, X_test, y_test."""
    g = seeded(seed)
    w_true = torch.randn(num_features, generator=g, dtype=f64) / num_features ** 0.5
    X = torch.randn(num_train + num_test, num_features, generator=g, dtype=f64)
    y = X @ w_true + noise * torch.randn(num_train + num_test, generator=g, dtype=f64)
    return X[:num_train], y[:num_train], X[num_train:], y[num_train:]


def reference_cv_errors(X, y, lams, k) -> list[float]:
    """Mean validation MSE over sklearn's KFold(k) for each λ, fits by sklearn Ridge."""
    errors = []
    for lam in lams:
        fold_errors = []
        for train, val in KFold(n_splits=k).split(np.arange(len(y))):
            train, val = torch.as_tensor(train), torch.as_tensor(val)
            w, b = _sk_ridge(X[train], y[train], lam)
            fold_errors.append(((X[val] @ w + b - y[val]) ** 2).mean().item())
        errors.append(sum(fold_errors) / k)
    return errors


def _check_choice(choose_lambda, X, y, lams, k, what, allowed=None):
    got = call(choose_lambda, X, y, list(lams), k)
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = float(got)
    errors = reference_cv_errors(X, y, lams, k)
    best = min(errors)
    expected = lams[errors.index(best)]
    if not isinstance(got, (int, float)) or isinstance(got, bool) or got not in lams:
        fail(what, f"one of {list(lams)}", repr(got), "return the λ itself, not its position")
    hint = ("return the λ (not its position) with the smallest mean validation MSE over "
            "KFold(n_splits=k) folds, fitting ridge_closed_form on the training part of each fold")
    if got != expected and errors[list(lams).index(got)] > best * (1 + 1e-9):
        if got == lams[errors.index(max(errors))]:
            hint = "you returned the λ with the largest validation error"
        elif got == min(lams):
            hint = ("you chose the smallest λ, which wins on training error; score each λ on the "
                    "validation fold it was not fitted on")
        fail(what, expected, got, hint)
    if allowed is not None and not allowed[0] <= got <= allowed[1]:
        fail(f"{what}: the chosen λ", f"between {allowed[0]} and {allowed[1]}", got,
             "on this data the test error is smallest for λ around 0.1-0.3")


def check_choose_lambda(choose_lambda, hidden: bool = False) -> bool:
    """Visible: Data B, 5-fold, same λ as a KFold + sklearn Ridge reference. Hidden: more."""
    lams = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]

    @case("choose_lambda on the ridge data (seed 0), k = 5")
    def data_b():
        X, y, _, _ = make_ridge_problem(0)
        _check_choice(choose_lambda, X, y, lams, 5, "choose_lambda(X, y, lams, 5) on seed 0",
                      allowed=(0.03, 1.0))

    with single_thread():
        return run_suite("choose_lambda", hidden_cases("weight_decay", "choose_lambda", choose_lambda)
                         if hidden else [data_b])


# -- adamw_step ----------------------------------------------------------------------------------

def _torch_adam(optimizer_class, w, grads, m, v, t0, lr, betas, eps, weight_decay):
    """Steps of a torch optimizer from state (m, v, step t0 - 1) with the given gradients."""
    p = w.clone().requires_grad_(True)
    optimizer = optimizer_class([p], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    optimizer.state[p].update(step=torch.tensor(float(t0 - 1)), exp_avg=m.clone(),
                              exp_avg_sq=v.clone())
    for grad_fn in grads:
        with torch.no_grad():
            p.grad = grad_fn(p.detach())
        optimizer.step()
    state = optimizer.state[p]
    return p.detach(), state["exp_avg"].clone(), state["exp_avg_sq"].clone()


def _unpack_adamw(result, shape):
    if not (isinstance(result, tuple) and len(result) == 3):
        fail("adamw_step(...)", "a tuple (w, m, v)", type(result).__name__, "end with `return w, m, v`")
    for name, value in zip("wmv", result):
        expect_shape(name, expect_tensor(name, value), shape, f"{name} keeps the shape of w")
    return [value.detach().clone() for value in result]


def _adamw_hint(w_got, w, grads, m, v, t0, lr, betas, eps, weight_decay) -> str | None:
    adam = _torch_adam(torch.optim.Adam, w, grads, m, v, t0, lr, betas, eps, 0.0)[0]
    coupled = _torch_adam(torch.optim.Adam, w, grads, m, v, t0, lr, betas, eps, weight_decay)[0]
    candidates = [(coupled, "this is Adam(weight_decay), which adds weight_decay·w to the gradient "
                            "(L2); AdamW decays w directly, outside the adaptive scaling")]
    if len(grads) == 1:
        step = adam - w
        candidates += [
            (w * (1 - weight_decay) + step, "the decay factor must include the learning rate: "
                                            "1 - lr·weight_decay"),
            (adam * (1 - lr * weight_decay), "decay the current w (before the Adam update), "
                                             "as torch.optim.AdamW does"),
            (w + step, "w is not decayed at all"),
        ]
    return _first_match(w_got, candidates, None)


def _check_adamw(adamw_step, w, grad_fns, m, v, t0, lr, betas, eps, weight_decay, what):
    current, m_cur, v_cur = w.clone(), m.clone(), v.clone()
    for i, grad_fn in enumerate(grad_fns):
        current, m_cur, v_cur = _unpack_adamw(
            call(adamw_step, current.clone(), grad_fn(current), m_cur.clone(), v_cur.clone(), t0 + i,
                 lr, betas, eps, weight_decay), w.shape)
    ref_w, ref_m, ref_v = _torch_adam(torch.optim.AdamW, w, grad_fns, m, v, t0, lr, betas, eps,
                                      weight_decay)
    w_what = f"w after {what} vs torch.optim.AdamW"
    known = _adamw_hint(current, w, grad_fns, m, v, t0, lr, betas, eps, weight_decay)
    if known is not None and not _close(current, ref_w, atol=1e-12):
        expect_close(w_what, current, ref_w, known, atol=1e-12, rtol=1e-10)
    moments = "m ← β1·m + (1 - β1)·grad and v ← β2·v + (1 - β2)·grad² (before bias correction)"
    expect_close(f"m (exp_avg) after {what}", m_cur, ref_m, moments, atol=1e-12, rtol=1e-10)
    expect_close(f"v (exp_avg_sq) after {what}", v_cur, ref_v, moments, atol=1e-12, rtol=1e-10)
    expect_close(w_what, current, ref_w, "follow the algorithm in the notebook: decay, moments, "
                 "bias corrections 1 - β^t with this step's t, then eps added outside the square "
                 "root", atol=1e-12, rtol=1e-10)


def check_adamw_step(adamw_step, hidden: bool = False) -> bool:
    """Visible: 1 and 5 steps vs torch.optim.AdamW. Hidden: resumed state, matrices, wd = 0."""
    g = seeded(29)
    w = torch.randn(5, generator=g, dtype=f64)
    grad = 0.01 * torch.randn(5, generator=g, dtype=f64)  # small, so that eps matters
    X, y = torch.randn(16, 5, generator=g, dtype=f64), torch.randn(16, generator=g, dtype=f64)
    zeros = torch.zeros(5, dtype=f64)

    @case("adamw_step from m = v = 0 at t = 1")
    def first_step():
        _check_adamw(adamw_step, w, [lambda _: grad], zeros, zeros, 1, 0.1, (0.9, 0.999), 1e-8, 0.1,
                     "one step (lr 0.1, weight_decay 0.1)")

    @case("5 steps of adamw_step on a least-squares loss")
    def five_steps():
        _check_adamw(adamw_step, w, [_quadratic_grad(X, y)] * 5, zeros, zeros, 1, 0.05, (0.9, 0.999),
                     1e-8, 0.5, "5 steps (lr 0.05, weight_decay 0.5)")

    with single_thread():
        return run_suite("adamw_step", hidden_cases("weight_decay", "adamw_step", adamw_step, w=w, grad=grad,
                                                    X=X, y=y, zeros=zeros)
                         if hidden else [first_step, five_steps], forbidden=TORCH_OPTIM)
