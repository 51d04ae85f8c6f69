"""Wrong-answer corpus for 02_weight_decay: realistic student bugs, and correct alternatives.

WRONG[name] lists (implementation, substring the check's message must contain).
CORRECT[name] lists implementations written differently from the solution that must pass.
Implementations that build on other exercises use the instructor's solution for those (SOLUTION).
"""

from __future__ import annotations

import importlib

import numpy as np
import torch
import torch.nn as nn
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold

from tests.notebook_tools import solution_namespace

SOLUTION = solution_namespace("02_weight_decay")
l2_penalty = SOLUTION["l2_penalty"]
sgd_step_l2 = SOLUTION["sgd_step_l2"]
ridge_closed_form = SOLUTION["ridge_closed_form"]


# -- l2_penalty ----------------------------------------------------------------------------------

def penalty_no_half(w):
    return (w ** 2).sum()


def penalty_norm(w):
    return w.norm() / 2


def penalty_mean(w):
    return (w ** 2).mean() / 2


def penalty_item(w):
    return ((w ** 2).sum() / 2).item()


def penalty_rows(w):
    return (w ** 2).sum(dim=0) / 2


def penalty_in_place(w):
    return w.mul_(w).sum() / 2


def penalty_dot(w):
    flat = w.reshape(-1)
    return torch.dot(flat, flat) / 2


def penalty_linalg(w):
    return 0.5 * torch.linalg.vector_norm(w) ** 2


def penalty_product(w):
    return torch.sum(w * w) * 0.5


# -- sgd_step_l2 ---------------------------------------------------------------------------------

def _shapes(w, grad):
    if w.shape != grad.shape:
        raise ValueError("shapes differ")


def step_two_lam(w, grad, lr, lam):
    _shapes(w, grad)
    return (1 - 2 * lr * lam) * w - lr * grad


def step_decay_without_lr(w, grad, lr, lam):
    _shapes(w, grad)
    return (1 - lam) * w - lr * grad


def step_growing(w, grad, lr, lam):
    _shapes(w, grad)
    return (1 + lr * lam) * w - lr * grad


def step_in_place(w, grad, lr, lam):
    _shapes(w, grad)
    w.mul_(1 - lr * lam).sub_(lr * grad)
    return w


def step_no_shape_check(w, grad, lr, lam):
    return (1 - lr * lam) * w - lr * grad


def step_decay_after(w, grad, lr, lam):
    _shapes(w, grad)
    return (1 - lr * lam) * (w - lr * grad)


def step_penalty_gradient(w, grad, lr, lam):
    _shapes(w, grad)
    return w - lr * (grad + lam * w)


def step_clone_in_place(w, grad, lr, lam):
    _shapes(w, grad)
    new_w = w.clone()
    new_w.mul_(1 - lr * lam).add_(grad, alpha=-lr)
    return new_w


# -- train_linear --------------------------------------------------------------------------------

def _train(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None, *, decay_bias=False,
           grad_scale=None, use_generator=True, drop_last=False, history="mse", bias=True,
           copy_init=True, use_init=True, check=True):
    """A configurable minibatch SGD used to write realistic bugs compactly."""
    if check and lam < 0:
        raise ValueError("lam < 0")
    n, d = X.shape
    if w_init is None or not use_init:
        w = torch.zeros(d, dtype=X.dtype)
    else:
        w = w_init.clone() if copy_init else w_init
    b = torch.zeros((), dtype=X.dtype)
    records = []
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator if use_generator else None)
        stop = n - batch_size + 1 if drop_last else n
        for start in range(0, stop, batch_size):
            batch = order[start:start + batch_size]
            residual = X[batch] @ w + b - y[batch]
            scale = grad_scale(len(batch)) if grad_scale else 1 / len(batch)
            w -= lr * (scale * X[batch].T @ residual + lam * w)
            if bias:
                b = b - lr * (residual.sum() * scale + (lam * b if decay_bias else 0))
        mse = ((X @ w + b - y) ** 2).mean().item()
        records.append({"mse": mse, "half": mse / 2,
                        "objective": mse / 2 + lam * (w ** 2).sum().item() / 2}[history])
    return w, b, records


def train_decays_bias(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    return _train(X, y, lam, lr, epochs, batch_size, generator, w_init, decay_bias=True)


def train_no_half(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    return _train(X, y, 2 * lam, lr, epochs, batch_size, generator, w_init)


def train_sum_gradient(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    return _train(X, y, lam, lr, epochs, batch_size, generator, w_init, grad_scale=lambda b: 1.0)


def train_global_rng(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    return _train(X, y, lam, lr, epochs, batch_size, generator, w_init, use_generator=False)


def train_drop_last(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    return _train(X, y, lam, lr, epochs, batch_size, generator, w_init, drop_last=True)


def train_history_half(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    return _train(X, y, lam, lr, epochs, batch_size, generator, w_init, history="half")


def train_history_objective(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    return _train(X, y, lam, lr, epochs, batch_size, generator, w_init, history="objective")


def train_no_bias(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    return _train(X, y, lam, lr, epochs, batch_size, generator, w_init, bias=False)


def train_ignores_init(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    return _train(X, y, lam, lr, epochs, batch_size, generator, w_init, use_init=False)


def train_modifies_init(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    return _train(X, y, lam, lr, epochs, batch_size, generator, w_init, copy_init=False)


def train_no_validation(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    return _train(X, y, lam, lr, epochs, batch_size, generator, w_init, check=False)


def train_torch_optimizer(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    """The concise way: autograd and torch.optim.SGD with two parameter groups."""
    if lam < 0:
        raise ValueError("lam must be non-negative")
    w = torch.zeros(X.shape[1], dtype=X.dtype) if w_init is None else w_init.detach().clone()
    w.requires_grad_(True)
    b = torch.zeros((), dtype=X.dtype, requires_grad=True)
    optimizer = torch.optim.SGD([{"params": [w], "weight_decay": lam},
                                 {"params": [b], "weight_decay": 0.0}], lr=lr)
    history = []
    for _ in range(epochs):
        for batch in torch.randperm(len(y), generator=generator).split(batch_size):
            optimizer.zero_grad()
            (((X[batch] @ w + b - y[batch]) ** 2).mean() / 2).backward()
            optimizer.step()
        with torch.no_grad():
            history.append(((X @ w + b - y) ** 2).mean().item())
    return w.detach(), b.detach(), history


def train_autograd_penalty(X, y, lam, lr, epochs, batch_size, generator=None, w_init=None):
    """D2L's scratch style: the penalty is part of the loss, autograd gives both gradients."""
    if lam < 0:
        raise ValueError("lam must be non-negative")
    w = torch.zeros(X.shape[1], dtype=X.dtype) if w_init is None else w_init.clone()
    w.requires_grad_(True)
    b = torch.zeros(1, dtype=X.dtype, requires_grad=True)
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            loss = ((X[batch] @ w + b - y[batch]) ** 2 / 2).mean() + lam * l2_penalty(w)
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        history.append(float(((X @ w + b - y) ** 2).mean()))
    return w.detach(), b.detach()[0], history


# -- param_groups --------------------------------------------------------------------------------

DECAYED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def groups_decay_everything(model, weight_decay):
    return [{"params": list(model.parameters()), "weight_decay": weight_decay}]


def groups_bias_by_name(model, weight_decay):
    decay = [p for n, p in model.named_parameters() if "bias" not in n]
    no_decay = [p for n, p in model.named_parameters() if "bias" in n]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def groups_weight_by_name(model, weight_decay):
    decay = [p for n, p in model.named_parameters() if n.endswith("weight")]
    no_decay = [p for n, p in model.named_parameters() if not n.endswith("weight")]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def groups_children_only(model, weight_decay):
    decay, no_decay = [], []
    for module in model.children():
        for name, p in module.named_parameters(recurse=False):
            (decay if isinstance(module, DECAYED) and name == "weight" else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def groups_recursive_duplicates(model, weight_decay):
    decay, no_decay = [], []
    for module in model.modules():
        for name, p in module.named_parameters():
            (decay if isinstance(module, DECAYED) and name == "weight" else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def groups_implicit_zero(model, weight_decay):
    groups = SOLUTION["param_groups"](model, weight_decay)
    return [groups[0], {"params": groups[1]["params"]}]


def groups_swapped(model, weight_decay):
    decay, no_decay = (g["params"] for g in SOLUTION["param_groups"](model, weight_decay))
    return [{"params": no_decay, "weight_decay": weight_decay}, {"params": decay, "weight_decay": 0.0}]


def groups_by_ndim(model, weight_decay):
    params = list(model.parameters())
    return [{"params": [p for p in params if p.ndim > 1], "weight_decay": weight_decay},
            {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0}]


def groups_named_modules(model, weight_decay):
    decay_names = {f"{m}.weight" if m else "weight" for m, module in model.named_modules()
                   if isinstance(module, nn.modules.conv._ConvNd) or isinstance(module, nn.Linear)}
    named = dict(model.named_parameters())
    return [{"params": [p for n, p in named.items() if n in decay_names], "weight_decay": weight_decay},
            {"params": [p for n, p in named.items() if n not in decay_names], "weight_decay": 0.0}]


# -- ridge_closed_form ---------------------------------------------------------------------------

def _centered(X, y):
    return X - X.mean(0), y - y.mean(), X.mean(0), y.mean()


def _solve(Xc, yc, scale, lam):
    n, d = Xc.shape
    return torch.linalg.solve(Xc.T @ Xc / scale + lam * torch.eye(d, dtype=Xc.dtype), Xc.T @ yc / scale)


def _ridge_checked(lam):
    if lam < 0:
        raise ValueError("lam < 0")


def ridge_no_bias(X, y, lam):
    _ridge_checked(lam)
    return _solve(X, y, len(y), lam), torch.zeros((), dtype=X.dtype)


def ridge_penalized_bias(X, y, lam):
    _ridge_checked(lam)
    A = torch.cat([X, torch.ones(len(y), 1, dtype=X.dtype)], dim=1)
    coef = _solve(A, y, len(y), lam)
    return coef[:-1], coef[-1]


def ridge_no_mean(X, y, lam):
    _ridge_checked(lam)
    Xc, yc, x_mean, y_mean = _centered(X, y)
    w = _solve(Xc, yc, 1, lam)
    return w, y_mean - x_mean @ w


def ridge_two_lam(X, y, lam):
    _ridge_checked(lam)
    Xc, yc, x_mean, y_mean = _centered(X, y)
    w = _solve(Xc, yc, len(y), 2 * lam)
    return w, y_mean - x_mean @ w


def ridge_half_lam(X, y, lam):
    _ridge_checked(lam)
    Xc, yc, x_mean, y_mean = _centered(X, y)
    w = _solve(Xc, yc, len(y), lam / 2)
    return w, y_mean - x_mean @ w


def ridge_bias_is_mean(X, y, lam):
    _ridge_checked(lam)
    Xc, yc, x_mean, y_mean = _centered(X, y)
    return _solve(Xc, yc, len(y), lam), y_mean


def ridge_in_place(X, y, lam):
    _ridge_checked(lam)
    x_mean, y_mean = X.mean(0), y.mean()
    X -= x_mean
    y -= y_mean
    w = _solve(X, y, len(y), lam)
    return w, y_mean - x_mean @ w


def ridge_no_validation(X, y, lam):
    Xc, yc, x_mean, y_mean = _centered(X, y)
    w = _solve(Xc, yc, len(y), lam)
    return w, y_mean - x_mean @ w


# The built-ins, however they are reached: the exercises' rules forbid sklearn and torch.optim.

def ridge_sklearn(X, y, lam):
    """sklearn's Ridge gives the expected fit; the rule makes it lose the points."""
    if lam < 0:
        raise ValueError("lam must be >= 0")
    model = Ridge(alpha=len(y) * lam, solver="svd").fit(X.numpy(), y.numpy())
    return torch.tensor(model.coef_, dtype=X.dtype), torch.tensor(model.intercept_, dtype=X.dtype)


def ridge_sklearn_function(X, y, lam):
    """sklearn's functional ridge_regression on centered data."""
    from sklearn.linear_model import ridge_regression
    if lam < 0:
        raise ValueError("lam must be >= 0")
    Xc, yc, x_mean, y_mean = _centered(X, y)
    w = torch.as_tensor(ridge_regression(Xc.numpy(), yc.numpy(), alpha=len(y) * lam), dtype=X.dtype)
    return w, y_mean - x_mean @ w


def step_torch_sgd(w, grad, lr, lam):
    """One step of torch.optim.SGD(weight_decay=lam): exactly the expected values."""
    _shapes(w, grad)
    param = w.detach().clone().requires_grad_(True)
    param.grad = grad.clone()
    torch.optim.SGD([param], lr=lr, weight_decay=lam).step()
    return param.detach()


def step_torch_functional_sgd(w, grad, lr, lam):
    """torch.optim's functional form, reached through a module attribute."""
    _shapes(w, grad)
    param = w.clone()
    importlib.import_module("torch.optim.sgd").sgd([param], [grad.clone()], [None], weight_decay=lam, momentum=0.0,
                                     lr=lr, dampening=0.0, nesterov=False, maximize=False)
    return param


def adamw_torch_optimizer(w, grad, m, v, t, lr, betas, eps, weight_decay):
    """torch.optim.AdamW with its state set to (m, v, t - 1)."""
    if t < 1:
        raise ValueError("t must be >= 1")
    param = w.detach().clone().requires_grad_(True)
    param.grad = grad.clone()
    optimizer = torch.optim.AdamW([param], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    optimizer.state[param] = {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(),
                              "exp_avg_sq": v.clone()}
    optimizer.step()
    state = optimizer.state[param]
    return param.detach(), state["exp_avg"], state["exp_avg_sq"]


def ridge_joint_system(X, y, lam):
    """Stationarity in (w, b) jointly: a (d + 1) x (d + 1) system, no centering."""
    if lam < 0:
        raise ValueError("lam must be >= 0")
    n, d = X.shape
    A = torch.cat([X, torch.ones(n, 1, dtype=X.dtype)], dim=1)
    penalty = lam * torch.eye(d + 1, dtype=X.dtype)
    penalty[d, d] = 0.0
    coef = torch.linalg.solve(A.T @ A / n + penalty, A.T @ y / n)
    return coef[:d], coef[d]


def ridge_stacked_lstsq(X, y, lam):
    """Ridge as least squares on data augmented with sqrt(lam) * I rows."""
    if lam < 0:
        raise ValueError("lam must be >= 0")
    n, d = X.shape
    Xc, yc, x_mean, y_mean = _centered(X, y)
    A = torch.cat([Xc / n ** 0.5, lam ** 0.5 * torch.eye(d, dtype=X.dtype)])
    target = torch.cat([yc / n ** 0.5, torch.zeros(d, dtype=X.dtype)])
    w = torch.linalg.lstsq(A, target[:, None], driver="gelsd").solution[:, 0]
    return w, y_mean - x_mean @ w


# -- choose_lambda -------------------------------------------------------------------------------

def _cv_errors(X, y, lams, k, *, evaluate_on_train=False, fit_on_all=False):
    errors = []
    for lam in lams:
        fold = []
        for train, val in KFold(n_splits=k).split(np.arange(len(y))):
            train, val = torch.as_tensor(train), torch.as_tensor(val)
            fit_idx = torch.arange(len(y)) if fit_on_all else train
            w, b = ridge_closed_form(X[fit_idx], y[fit_idx], lam)
            idx = train if evaluate_on_train else val
            fold.append(((X[idx] @ w + b - y[idx]) ** 2).mean().item())
        errors.append(sum(fold) / k)
    return errors


def choose_index(X, y, lams, k):
    errors = _cv_errors(X, y, lams, k)
    return errors.index(min(errors))


def choose_argmax(X, y, lams, k):
    errors = _cv_errors(X, y, lams, k)
    return lams[errors.index(max(errors))]


def choose_training_error(X, y, lams, k):
    errors = _cv_errors(X, y, lams, k, evaluate_on_train=True)
    return lams[errors.index(min(errors))]


def choose_fit_on_all(X, y, lams, k):
    errors = _cv_errors(X, y, lams, k, fit_on_all=True)
    return lams[errors.index(min(errors))]


def choose_min_key(X, y, lams, k):
    def cv(lam):
        return _cv_errors(X, y, [lam], k)[0]
    return min(lams, key=cv)


def choose_tensor_errors(X, y, lams, k):
    folds = [(torch.as_tensor(a), torch.as_tensor(b)) for a, b in KFold(k).split(X.numpy())]
    errors = torch.zeros(len(lams), dtype=X.dtype)
    for i, lam in enumerate(lams):
        for train, val in folds:
            w, b = ridge_closed_form(X[train], y[train], lam)
            errors[i] += torch.mean((X[val] @ w + b - y[val]) ** 2) / k
    return lams[int(torch.argmin(errors))]


# -- adamw_step ----------------------------------------------------------------------------------

def _adamw(w, grad, m, v, t, lr, betas, eps, weight_decay, *, coupled=False, correct=True,
           decay_lr=True, eps_inside=False, decay_after=False, t_shift=0, square=True, check=True):
    """A configurable AdamW step used to write realistic bugs compactly."""
    if check and t < 1:
        raise ValueError("t < 1")
    beta1, beta2 = betas
    if coupled:
        grad = grad + weight_decay * w
    elif not decay_after:
        w = w * (1 - (lr if decay_lr else 1) * weight_decay)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * (grad ** 2 if square else grad.abs())
    step = t + t_shift
    m_hat = m / (1 - beta1 ** step) if correct else m
    v_hat = v / (1 - beta2 ** step) if correct else v
    denominator = (v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps
    w = w - lr * m_hat / denominator
    if decay_after and not coupled:
        w = w * (1 - lr * weight_decay)
    return w, m, v


def adamw_coupled(*args):
    return _adamw(*args, coupled=True)


def adamw_no_bias_correction(*args):
    return _adamw(*args, correct=False)


def adamw_decay_without_lr(*args):
    return _adamw(*args, decay_lr=False)


def adamw_eps_inside(*args):
    return _adamw(*args, eps_inside=True)


def adamw_decay_after(*args):
    return _adamw(*args, decay_after=True)


def adamw_t_plus_one(*args):
    return _adamw(*args, t_shift=1)


def adamw_abs_second_moment(*args):
    return _adamw(*args, square=False)


def adamw_no_validation(*args):
    return _adamw(*args, check=False)


def adamw_torch_style(w, grad, m, v, t, lr, betas, eps, weight_decay):
    """Written like torch/optim/adamw.py: in place, with the bias corrections folded in."""
    if t < 1:
        raise ValueError("t starts at 1")
    beta1, beta2 = betas
    w.mul_(1 - lr * weight_decay)
    m.lerp_(grad, 1 - beta1)
    v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    denominator = (v.sqrt() / (1 - beta2 ** t) ** 0.5).add_(eps)
    w.addcdiv_(m, denominator, value=-lr / (1 - beta1 ** t))
    return w, m, v


WRONG = {
    "l2_penalty": [
        (penalty_no_half, "off by 2"),
        (penalty_norm, "half the sum of the squares"),
        (penalty_mean, "sum, do not average"),
        (penalty_item, "0-d torch.Tensor"),
        (penalty_rows, "shape"),
        (penalty_in_place, "gradient of l2_penalty"),
    ],
    "sgd_step_l2": [
        (step_two_lam, "off by 2"),
        (step_decay_without_lr, "must include the learning rate"),
        (step_growing, "sign of the decay"),
        (step_in_place, "modified in place"),
        (step_no_shape_check, "ValueError"),
        (step_decay_after, "as torch.optim.SGD(weight_decay=lam) computes it"),
        (step_torch_sgd, "calls torch.optim.sgd.SGD"),
        (step_torch_functional_sgd, "calls torch.optim.sgd.sgd"),
    ],
    "train_linear": [
        (train_decays_bias, "bias is decayed"),
        (train_no_half, "off by 2"),
        (train_sum_gradient, "batch mean"),
        (train_global_rng, "not the global RNG"),
        (train_drop_last, "ceil(n / batch_size)"),
        (train_history_half, "no ½ and no penalty"),
        (train_history_objective, "no ½ and no penalty"),
        (train_no_bias, "b is never updated"),
        (train_ignores_init, "start from w = w_init.clone()"),
        (train_modifies_init, "modified in place"),
        (train_no_validation, "raise ValueError"),
    ],
    "param_groups": [
        (groups_decay_everything, "biases are not decayed"),
        (groups_bias_by_name, "normalization-layer parameters"),
        (groups_weight_by_name, "normalization-layer parameters"),
        (groups_children_only, "missing"),
        (groups_recursive_duplicates, "duplicated"),
        (groups_implicit_zero, "explicitly"),
        (groups_swapped, "Linear or Conv layer is decayed"),
    ],
    "ridge_closed_form": [
        (ridge_no_bias, "no bias in your fit"),
        (ridge_penalized_bias, "the bias is penalized"),
        (ridge_no_mean, "averaged over n"),
        (ridge_two_lam, "off by 2"),
        (ridge_half_lam, "twice too weak"),
        (ridge_bias_is_mean, "b = mean(y) - mean(X)·w"),
        (ridge_in_place, "modified in place"),
        (ridge_no_validation, "raise ValueError"),
        (ridge_sklearn, "calls sklearn.linear_model._ridge"),
        (ridge_sklearn_function, "calls sklearn."),
    ],
    "choose_lambda": [
        (choose_index, "not its position"),
        (choose_argmax, "largest validation error"),
        (choose_training_error, "smallest λ"),
        (choose_fit_on_all, "smallest λ"),
    ],
    "adamw_step": [
        (adamw_coupled, "Adam(weight_decay)"),
        (adamw_no_bias_correction, "bias corrections"),
        (adamw_decay_without_lr, "must include the learning rate"),
        (adamw_eps_inside, "outside the square root"),
        (adamw_decay_after, "decay the current w"),
        (adamw_t_plus_one, "bias corrections"),
        (adamw_abs_second_moment, "grad²"),
        (adamw_no_validation, "raise ValueError"),
        (adamw_torch_optimizer, "calls torch.optim.adamw.AdamW"),
    ],
}

CORRECT = {
    "l2_penalty": [penalty_dot, penalty_linalg, penalty_product],
    "sgd_step_l2": [step_penalty_gradient, step_clone_in_place],
    "train_linear": [train_torch_optimizer, train_autograd_penalty],
    "param_groups": [groups_by_ndim, groups_named_modules],
    "ridge_closed_form": [ridge_joint_system, ridge_stacked_lstsq],
    "choose_lambda": [choose_min_key, choose_tensor_errors],
    "adamw_step": [adamw_torch_style],
}
