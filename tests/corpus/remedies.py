"""Wrong-answer corpus for 05_remedies: realistic student bugs, and correct alternatives.

WRONG[name] lists (implementation, substring the check's message must contain).
CORRECT[name] lists implementations written differently from the solution that must pass.
Implementations that build on other exercises use the instructor's solution for those (SOLUTION).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch import batch_norm as _renamed_batch_norm

from tests.notebook_tools import solution_namespace

SOLUTION = solution_namespace("05_remedies")
batchnorm_train = SOLUTION["batchnorm_train"]
batchnorm_eval = SOLUTION["batchnorm_eval"]


# -- batchnorm_train ------------------------------------------------------------------------------

def _bn(X, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5, *, unbiased=False,
        eps_outside=False, dim=0, d2l_momentum=False, update=True, replace=False,
        biased_running=False, detach_stats=False, keep_history=False, checks=True, affine=True,
        fixed_momentum=None):
    """A configurable batch norm used to write realistic bugs compactly."""
    if checks and (X.dim() != 2 or X.shape[0] < 2):
        raise ValueError("bad X")
    momentum = fixed_momentum if fixed_momentum is not None else momentum
    n = X.shape[0]
    mean = X.mean(dim=dim, keepdim=True)     # dim=1: the wrong axis, for Y only
    var = X.var(dim=dim, keepdim=True, unbiased=unbiased)
    if detach_stats:
        mean, var = mean.detach(), var.detach()
    scale = var.sqrt() + eps if eps_outside else torch.sqrt(var + eps)
    Y = (X - mean) / scale
    if affine:
        Y = gamma * Y + beta
    mean, var = X.mean(dim=0), X.var(dim=0, unbiased=unbiased)
    batch_var = var if (biased_running or unbiased) else var * n / (n - 1)
    if not keep_history:
        mean, batch_var = mean.detach(), batch_var.detach()
    if not update:
        return Y, running_mean.clone(), running_var.clone()
    if replace:
        return Y, mean, batch_var
    if d2l_momentum:
        return Y, momentum * running_mean + (1 - momentum) * mean, momentum * running_var + (1 - momentum) * batch_var
    return Y, (1 - momentum) * running_mean + momentum * mean, (1 - momentum) * running_var + momentum * batch_var


def bn_unbiased_normalization(*args, **kwargs):
    return _bn(*args, **kwargs, unbiased=True)


def bn_eps_outside_sqrt(*args, **kwargs):
    return _bn(*args, **kwargs, eps_outside=True)


def bn_feature_axis(*args, **kwargs):
    return _bn(*args, **kwargs, dim=1)


def bn_d2l_momentum(*args, **kwargs):
    return _bn(*args, **kwargs, d2l_momentum=True)


def bn_running_not_updated(*args, **kwargs):
    return _bn(*args, **kwargs, update=False)


def bn_running_replaced(*args, **kwargs):
    return _bn(*args, **kwargs, replace=True)


def bn_biased_running_var(*args, **kwargs):
    return _bn(*args, **kwargs, biased_running=True)


def bn_detached_batch_stats(*args, **kwargs):
    return _bn(*args, **kwargs, detach_stats=True)


def bn_stats_keep_history(*args, **kwargs):
    return _bn(*args, **kwargs, keep_history=True)


def bn_no_argument_checks(*args, **kwargs):
    return _bn(*args, **kwargs, checks=False)


def bn_no_affine(*args, **kwargs):
    return _bn(*args, **kwargs, affine=False)


def bn_ignores_momentum(*args, **kwargs):
    return _bn(*args, **kwargs, fixed_momentum=0.1)


def bn_no_eps(X, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    return _bn(X, gamma, beta, running_mean, running_var, momentum, eps=0.0)


def bn_in_place_running(X, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    Y, new_mean, new_var = _bn(X, gamma, beta, running_mean, running_var, momentum, eps)
    running_mean.copy_(new_mean)
    running_var.copy_(new_var)
    return Y, running_mean, running_var


# The built-ins, however they are reached: the exercises' rules forbid torch's normalization
# layers and torch.optim.

def bn_functional(X, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    """F.batch_norm on copies of the running statistics gives the expected values."""
    if X.dim() != 2 or X.shape[0] < 2:
        raise ValueError("X must be (N, D) with N >= 2")
    new_mean, new_var = running_mean.clone(), running_var.clone()
    Y = F.batch_norm(X, new_mean, new_var, gamma, beta, training=True, momentum=momentum, eps=eps)
    return Y, new_mean, new_var


def bn_compiled_alias(X, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    """The compiled torch.batch_norm under another name."""
    if X.dim() != 2 or X.shape[0] < 2:
        raise ValueError("X must be (N, D) with N >= 2")
    new_mean, new_var = running_mean.clone(), running_var.clone()
    Y = _renamed_batch_norm(X, gamma, beta, new_mean, new_var, True, momentum, eps, False)
    return Y, new_mean, new_var


def bn_module_attribute(X, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    """F.batch_norm reached through torch.nn.functional's attribute lookup."""
    if X.dim() != 2 or X.shape[0] < 2:
        raise ValueError("X must be (N, D) with N >= 2")
    new_mean, new_var = running_mean.clone(), running_var.clone()
    Y = getattr(torch.nn.functional, "batch_norm")(X, new_mean, new_var, gamma, beta, True,
                                                   momentum, eps)
    return Y, new_mean, new_var


def bn_var_mean_rsqrt(X, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    if X.dim() != 2:
        raise ValueError("X must be 2-D")
    N = len(X)
    if N == 1:
        raise ValueError("need more than one example")
    var, mean = torch.var_mean(X, dim=0, correction=0)
    Y = (X - mean) * torch.rsqrt(var + eps) * gamma + beta
    unbiased = X.detach().var(dim=0, correction=1)
    new_mean = torch.lerp(running_mean, mean.detach(), momentum)
    new_var = torch.lerp(running_var, unbiased, momentum)
    return Y, new_mean, new_var


# -- batchnorm_eval -------------------------------------------------------------------------------

def eval_batch_stats(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return _bn(X, gamma, beta, running_mean, running_var, eps=eps, checks=False)[0]


def eval_eps_outside_sqrt(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (X - running_mean) / (running_var.sqrt() + eps) + beta


def eval_no_eps(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (X - running_mean) / running_var.sqrt() + beta


def eval_divide_by_var(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (X - running_mean) / (running_var + eps) + beta


def eval_fixed_eps(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (X - running_mean) / torch.sqrt(running_var + 1e-5) + beta


def eval_no_affine(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return (X - running_mean) / torch.sqrt(running_var + eps)


def eval_functional(X, gamma, beta, running_mean, running_var, eps=1e-5):
    return F.batch_norm(X, running_mean, running_var, gamma, beta, training=False, eps=eps)


def eval_torch_module(X, gamma, beta, running_mean, running_var, eps=1e-5):
    """An nn.BatchNorm1d in eval mode, loaded with the given tensors."""
    layer = nn.BatchNorm1d(X.shape[1], eps=eps).to(X.dtype).eval()
    with torch.no_grad():
        layer.weight.copy_(gamma)
        layer.bias.copy_(beta)
        layer.running_mean.copy_(running_mean)
        layer.running_var.copy_(running_var)
    return layer(X)


def eval_folded(X, gamma, beta, running_mean, running_var, eps=1e-5):
    scale = gamma * torch.rsqrt(running_var + eps)       # fold into one affine map, as for inference
    return X * scale + (beta - running_mean * scale)


# -- BatchNorm1d ---------------------------------------------------------------------------------

class _BN(nn.Module):
    """The solution's structure with switches for realistic bugs."""

    def __init__(self, num_features, momentum=0.1, eps=1e-5, *, buffers=True, shape=None,
                 gamma_init=torch.ones):
        super().__init__()
        shape = shape or (num_features,)
        self.momentum, self.eps = momentum, eps
        self.gamma = nn.Parameter(gamma_init(*shape))
        self.beta = nn.Parameter(torch.zeros(*shape))
        if buffers:
            self.register_buffer("running_mean", torch.zeros(*shape))
            self.register_buffer("running_var", torch.ones(*shape))
        else:
            self.running_mean, self.running_var = torch.zeros(*shape), torch.ones(*shape)

    def is_training(self):
        return self.training

    def forward(self, X):
        if self.is_training():
            Y, self.running_mean, self.running_var = batchnorm_train(
                X, self.gamma, self.beta, self.running_mean, self.running_var, self.momentum, self.eps)
            return Y
        return batchnorm_eval(X, self.gamma, self.beta, self.running_mean, self.running_var, self.eps)


class BNGradSwitch(_BN):
    def is_training(self):
        return torch.is_grad_enabled()


class BNPlainAttributes(_BN):
    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__(num_features, momentum, eps, buffers=False)


class BND2LShapes(_BN):
    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__(num_features, momentum, eps, shape=(1, num_features))


class BNRandomGamma(_BN):
    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__(num_features, momentum, eps, gamma_init=torch.randn)


class BNStatsNotStored(_BN):
    def forward(self, X):
        if self.training:
            return batchnorm_train(X, self.gamma, self.beta, self.running_mean, self.running_var,
                                   self.momentum, self.eps)[0]
        return super().forward(X)


class BNDefaultArguments(_BN):
    def forward(self, X):
        if self.training:
            Y, self.running_mean, self.running_var = batchnorm_train(
                X, self.gamma, self.beta, self.running_mean, self.running_var)
            return Y
        return batchnorm_eval(X, self.gamma, self.beta, self.running_mean, self.running_var)


class BNAlwaysTraining(_BN):
    def is_training(self):
        return True


class BNStatsAsParameters(nn.Module):
    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.running_mean = nn.Parameter(torch.zeros(num_features), requires_grad=False)
        self.running_var = nn.Parameter(torch.ones(num_features), requires_grad=False)

    def forward(self, X):
        return _BN.forward(self, X)

    def is_training(self):
        return self.training


class BNFunctional(nn.Module):
    """The right parameters and buffers, but forward is F.batch_norm."""

    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.momentum, self.eps = momentum, eps

    def forward(self, X):
        return F.batch_norm(X, self.running_mean, self.running_var, self.gamma, self.beta,
                            self.training, self.momentum, self.eps)


class BNWrapsTorch(nn.Module):
    """Keeps an nn.BatchNorm1d inside and exposes its tensors under the expected names."""

    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__()
        self.inner = nn.BatchNorm1d(num_features, momentum=momentum, eps=eps)
        self.momentum, self.eps = momentum, eps

    def forward(self, X):
        self.inner.train(self.training)
        return self.inner(X)


class BNCopyInPlace(nn.Module):
    """Correct: buffers updated with copy_, statistics through the functional API."""

    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.momentum = momentum
        self.eps = eps

    def forward(self, X):
        if not self.training:
            return batchnorm_eval(X, self.gamma, self.beta, self.running_mean, self.running_var,
                                  eps=self.eps)
        Y, mean, var = batchnorm_train(X, self.gamma, self.beta, self.running_mean,
                                       self.running_var, momentum=self.momentum, eps=self.eps)
        with torch.no_grad():
            self.running_mean.copy_(mean)
            self.running_var.copy_(var)
        return Y


# -- sgd_momentum_step ---------------------------------------------------------------------------

def momentum_ema_zero_init(w, grad, buf, lr, momentum):
    buf = torch.zeros_like(grad) if buf is None else buf
    buf = momentum * buf + (1 - momentum) * grad
    return w - lr * buf, buf


def momentum_ema_after_first(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + (1 - momentum) * grad
    return w - lr * buf, buf


def momentum_steps_with_grad(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return w - lr * grad, buf


def momentum_cs231n_velocity(w, grad, buf, lr, momentum):
    buf = torch.zeros_like(grad) if buf is None else buf
    buf = momentum * buf - lr * grad
    return w + buf, buf


def momentum_aliases_grad(w, grad, buf, lr, momentum):
    buf = grad if buf is None else momentum * buf + grad
    return w - lr * buf, buf


def momentum_in_place(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    w -= lr * buf
    return w, buf


def momentum_nesterov(w, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return w - lr * (grad + momentum * buf), buf


def momentum_zeros_init(w, grad, buf, lr, momentum):
    if buf is None:
        buf = torch.zeros_like(w)
    new_buf = momentum * buf + grad
    return w - lr * new_buf, new_buf


def momentum_torch_add(w, grad, buf, lr, momentum):
    new_buf = torch.clone(grad).detach() if buf is None else torch.add(grad, buf, alpha=momentum)
    return torch.add(w, new_buf, alpha=-lr), new_buf


def momentum_torch_optimizer(w, grad, buf, lr, momentum):
    """torch.optim.SGD(momentum) with its buffer set: exactly the expected values."""
    param = w.detach().clone().requires_grad_(True)
    param.grad = grad.clone()
    optimizer = torch.optim.SGD([param], lr=lr, momentum=momentum)
    if buf is not None:
        optimizer.state[param] = {"momentum_buffer": buf.clone()}
    optimizer.step()
    return param.detach(), optimizer.state[param]["momentum_buffer"].clone()


# -- adam_step -----------------------------------------------------------------------------------

def _adam(w, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, *, correct=True, eps_inside=False,
          t_shift=0, return_corrected=False, sign=1.0, abs_grad=False, swap=False, check=True,
          paper_eps=False):
    if check and t < 1:
        raise ValueError("t must be >= 1")
    beta1, beta2 = betas[::-1] if swap else betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * (grad.abs() if abs_grad else grad ** 2)
    t = t + t_shift
    m_hat = m / (1 - beta1 ** t) if correct else m
    v_hat = v / (1 - beta2 ** t) if correct else v
    if paper_eps:   # Kingma & Ba's "more efficient" order: the correction also rescales eps
        step = lr * (1 - beta2 ** t) ** 0.5 / (1 - beta1 ** t) * m / (v.sqrt() + eps)
    elif eps_inside:
        step = lr * m_hat / torch.sqrt(v_hat + eps)
    else:
        step = lr * m_hat / (v_hat.sqrt() + eps)
    w = w - sign * step
    return (w, m_hat, v_hat) if return_corrected else (w, m, v)


def adam_no_bias_correction(*args, **kwargs):
    return _adam(*args, **kwargs, correct=False)


def adam_eps_inside_sqrt(*args, **kwargs):
    return _adam(*args, **kwargs, eps_inside=True)


def adam_t_off_by_one(*args, **kwargs):
    return _adam(*args, **kwargs, t_shift=1)


def adam_returns_corrected(*args, **kwargs):
    return _adam(*args, **kwargs, return_corrected=True)


def adam_wrong_sign(*args, **kwargs):
    return _adam(*args, **kwargs, sign=-1.0)


def adam_abs_grad(*args, **kwargs):
    return _adam(*args, **kwargs, abs_grad=True)


def adam_swapped_betas(*args, **kwargs):
    return _adam(*args, **kwargs, swap=True)


def adam_no_t_check(*args, **kwargs):
    return _adam(*args, **kwargs, check=False)


def adam_paper_eps(*args, **kwargs):
    return _adam(*args, **kwargs, paper_eps=True)


def adam_torch_optimizer(w, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    """torch.optim.Adam with its state set to (m, v, t - 1)."""
    if t < 1:
        raise ValueError("t must be >= 1")
    param = w.detach().clone().requires_grad_(True)
    param.grad = grad.clone()
    optimizer = torch.optim.Adam([param], lr=lr, betas=betas, eps=eps)
    optimizer.state[param] = {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(),
                              "exp_avg_sq": v.clone()}
    optimizer.step()
    return param.detach(), optimizer.state[param]["exp_avg"], optimizer.state[param]["exp_avg_sq"]


def adam_torch_form(w, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    """PyTorch's own arrangement of the arithmetic."""
    if t < 1:
        raise ValueError(f"t = {t}")
    beta1, beta2 = betas
    m = torch.lerp(m, grad, 1 - beta1)
    v = v * beta2 + grad * grad * (1 - beta2)
    bias_correction1 = 1 - beta1 ** t
    bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5
    denom = v.sqrt() / bias_correction2_sqrt + eps
    return w - (lr / bias_correction1) * m / denom, m, v


# -- grad_to_data_ratio and update_to_data_ratio -------------------------------------------------

def ratio_with_biases(params):
    return [(p.grad.std() / p.std()).item() for p in params]


def ratio_of_norms(params):
    return [(p.grad.norm() / p.norm()).item() for p in params if p.dim() == 2]


def ratio_inverted(params):
    return [(p.std() / p.grad.std()).item() for p in params if p.dim() == 2]


def ratio_no_grad_check(params):
    return [(p.grad.std() / p.std()).item() for p in params if p.dim() == 2]


def ratio_all_matrices(params):
    out = []
    for p in params:
        if p.dim() >= 2:
            if p.grad is None:
                raise ValueError("no grad")
            out.append((p.grad.std() / p.std()).item())
    return out


def ratio_two_passes(params):
    for p in params:
        if p.dim() == 2 and p.grad is None:
            raise ValueError("call backward first")
    return [(p.grad.std() / p.std()).item() for p in params if p.dim() == 2]


def ratio_numpy(params):
    out = []
    for p in list(params):
        if p.ndim != 2:
            continue
        if p.grad is None:
            raise ValueError("missing gradient")
        out.append(float(np.std(p.grad.numpy(), ddof=1) / np.std(p.detach().numpy(), ddof=1)))
    return out


def ratio_tensors(params):
    weights = [p for p in params if p.dim() == 2]
    if any(p.grad is None for p in weights):
        raise ValueError("missing gradient")
    with torch.no_grad():
        return [p.grad.var().sqrt() / p.var().sqrt() for p in weights]


def _update(params, lr, transform=torch.log10, use_lr=True, only_2d=True):
    out = []
    for p in params:
        if only_2d and p.dim() != 2:
            continue
        if p.grad is None:
            raise ValueError("missing gradient")
        ratio = ((lr if use_lr else 1.0) * p.grad).std() / p.std()
        out.append(transform(ratio).item())
    return out


def update_no_log(params, lr):
    return _update(params, lr, transform=lambda r: r)


def update_natural_log(params, lr):
    return _update(params, lr, transform=torch.log)


def update_without_lr(params, lr):
    return _update(params, lr, use_lr=False)


def update_with_biases(params, lr):
    return _update(params, lr, only_2d=False)


def update_from_grad_ratio(params, lr):
    import math
    ratios = [r for r in ratio_numpy(params)]
    return [math.log10(lr * r) for r in ratios]


WRONG = {
    "batchnorm_train": [
        (bn_unbiased_normalization, "biased batch variance"),
        (bn_eps_outside_sqrt, "eps goes inside the square root"),
        (bn_feature_axis, "reduce over dim 0"),
        (bn_no_affine, "scale by gamma and shift by beta"),
        (bn_no_eps, "add eps to the variance"),
        (bn_d2l_momentum, "weights the NEW batch"),
        (bn_running_not_updated, "update running_mean"),
        (bn_running_replaced, "do not replace it"),
        (bn_biased_running_var, "UNBIASED batch variance"),
        (bn_ignores_momentum, "(1 - momentum)·old"),
        (bn_in_place_running, "modified in place"),
        (bn_detached_batch_stats, "do not detach them"),
        (bn_stats_keep_history, "torch.no_grad()"),
        (bn_no_argument_checks, "ValueError"),
        (bn_functional, "calls torch.nn.functional.batch_norm"),
        (bn_compiled_alias, "calls torch.batch_norm"),
        (bn_module_attribute, "calls torch.nn.functional.batch_norm"),
    ],
    "batchnorm_eval": [
        (eval_batch_stats, "not the statistics of the batch"),
        (eval_eps_outside_sqrt, "eps goes inside the square root"),
        (eval_no_eps, "add eps to running_var"),
        (eval_divide_by_var, "square root of running_var + eps"),
        (eval_no_affine, "scale by gamma and shift by beta"),
        (eval_fixed_eps, "eps=0.001"),
        (eval_functional, "calls torch.nn.functional.batch_norm"),
        (eval_torch_module, "calls torch.nn.modules.batchnorm"),
    ],
    "BatchNorm1d": [
        (BNGradSwitch, "not with torch.is_grad_enabled()"),
        (BNPlainAttributes, "register_buffer"),
        (BNStatsAsParameters, "exactly ['beta', 'gamma']"),
        (BND2LShapes, "gamma shape"),
        (BNRandomGamma, "initial BatchNorm1d.gamma"),
        (BNStatsNotStored, "store the new running statistics"),
        (BNDefaultArguments, "momentum and eps"),
        (BNAlwaysTraining, "in eval mode forward uses batchnorm_eval"),
        (BNFunctional, "calls torch.nn.functional.batch_norm"),
        (BNWrapsTorch, "calls torch.nn.modules.batchnorm"),
    ],
    "sgd_momentum_step": [
        (momentum_ema_zero_init, "starts as the gradient itself"),
        (momentum_ema_after_first, "no (1 - momentum) factor"),
        (momentum_steps_with_grad, "move against the buffer"),
        (momentum_cs231n_velocity, "velocity in gradient units"),
        (momentum_aliases_grad, "a copy of the gradient"),
        (momentum_in_place, "modified in place"),
        (momentum_nesterov, "new_w after step 1"),
        (momentum_torch_optimizer, "calls torch.optim.sgd.SGD"),
    ],
    "adam_step": [
        (adam_no_bias_correction, "bias correction"),
        (adam_t_off_by_one, "t = 1 on the first step"),
        (adam_eps_inside_sqrt, "outside the square root"),
        (adam_paper_eps, "outside the square root"),
        (adam_returns_corrected, "return the raw moving average"),
        (adam_wrong_sign, "step against the gradient"),
        (adam_abs_grad, "(1 - β2)·grad²"),
        (adam_swapped_betas, "m ← β1·m + (1 - β1)·grad"),
        (adam_no_t_check, "ValueError"),
        (adam_torch_optimizer, "calls torch.optim.adam.Adam"),
    ],
    "grad_to_data_ratio": [
        (ratio_with_biases, "p.dim() == 2"),
        (ratio_of_norms, "p.grad.std() / p.std()"),
        (ratio_inverted, "p.grad.std() / p.std()"),
        (ratio_no_grad_check, "ValueError"),
        (ratio_all_matrices, "p.dim() == 2"),
        (ratio_two_passes, "iterate over params only once"),
    ],
    "update_to_data_ratio": [
        (update_no_log, "return log10 of the ratio"),
        (update_natural_log, "base-10 logarithm"),
        (update_without_lr, "scale the gradient by lr"),
        (update_with_biases, "p.dim() == 2"),
    ],
}

CORRECT = {
    "batchnorm_train": [bn_var_mean_rsqrt],
    "batchnorm_eval": [eval_folded],
    "BatchNorm1d": [BNCopyInPlace],
    "sgd_momentum_step": [momentum_zeros_init, momentum_torch_add],
    "adam_step": [adam_torch_form],
    "grad_to_data_ratio": [ratio_numpy, ratio_tensors],
    "update_to_data_ratio": [update_from_grad_ratio],
}
