"""Wrong-answer corpus for 04_stability: realistic student bugs, and correct alternatives.

WRONG[name] lists (implementation, substring the check's message must contain).
CORRECT[name] lists implementations written differently from the solution that must pass.
Implementations that build on other exercises use the instructor's solution for those (SOLUTION).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.init import calculate_gain as _renamed_calculate_gain
from torch.nn.init import xavier_normal_ as _renamed_xavier_normal_

from tests.notebook_tools import solution_namespace

SOLUTION = solution_namespace("04_stability")
calculate_gain = SOLUTION["calculate_gain"]


def _linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


# -- sigmoid_grad and tanh_grad ------------------------------------------------------------------

def sigmoid_one_plus(x):
    s = torch.sigmoid(x)
    return s * (1 + s)


def sigmoid_in_terms_of_x(x):
    return torch.sigmoid(x) * (1 - x)


def sigmoid_naive_exp(x):
    return torch.exp(-x) / (1 + torch.exp(-x)) ** 2


def sigmoid_in_place(x):
    s = x.sigmoid_()
    return s * (1 - s)


def sigmoid_autograd(x):
    leaf = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(torch.sigmoid(leaf).sum(), leaf)
    return grad


def sigmoid_symmetric(x):
    return torch.sigmoid(x) * torch.sigmoid(-x)


def sigmoid_from_exp(x):
    s = 1 / (1 + torch.exp(-x))
    return s - s * s


def tanh_no_square(x):
    return 1 - torch.tanh(x)


def tanh_naive_quotient(x):
    t = (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))
    return 1 - t ** 2


def tanh_sech_squared(x):
    return 4 / (torch.exp(x) + torch.exp(-x)) ** 2


def tanh_via_sigmoid(x):
    return 4 * sigmoid_symmetric(2 * x)


# -- uniform_variance ----------------------------------------------------------------------------

def var_over_3(a, b):
    if not a < b:
        raise ValueError("need a < b")
    return (b - a) ** 2 / 3


def var_no_square(a, b):
    if not a < b:
        raise ValueError("need a < b")
    return (b - a) / 12


def var_second_moment(a, b):
    if not a < b:
        raise ValueError("need a < b")
    return (a * a + a * b + b * b) / 3


def var_no_validation(a, b):
    return (b - a) ** 2 / 12


def var_half_width(a, b):
    if a >= b:
        raise ValueError(f"empty interval [{a}, {b}]")
    c = (b - a) / 2
    return c ** 2 / 3


def var_moments(a, b):
    if not a < b:
        raise ValueError("need a < b")
    return (a * a + a * b + b * b) / 3 - ((a + b) / 2) ** 2


# -- matrix_product_growth -----------------------------------------------------------------------

def _growth(n, k, std, generator, *, draw=None, record=None, dtype=torch.float64, product=True):
    M = torch.eye(n, dtype=dtype)
    log_max = []
    for _ in range(k):
        W = draw(n, generator) if draw else std * torch.randn(n, n, generator=generator, dtype=dtype)
        M = M @ W if product else W
        log_max.append(record(M) if record else M.abs().max().log10().item())
    return log_max


def growth_variance_as_std(n, k, std, generator=None):
    return _growth(n, k, std, generator,
                   draw=lambda n, g: std ** 2 * torch.randn(n, n, generator=g, dtype=torch.float64))


def growth_natural_log(n, k, std, generator=None):
    return _growth(n, k, std, generator, record=lambda M: M.abs().max().log().item())


def growth_global_rng(n, k, std, generator=None):
    return _growth(n, k, std, generator,
                   draw=lambda n, g: std * torch.randn(n, n, dtype=torch.float64))


def growth_max_without_abs(n, k, std, generator=None):
    return _growth(n, k, std, generator, record=lambda M: M.max().log10().item())


def growth_float32(n, k, std, generator=None):
    return _growth(n, k, std, generator, dtype=torch.float32)


def growth_last_matrix_only(n, k, std, generator=None):
    return _growth(n, k, std, generator, product=False)


def growth_left_multiply(n, k, std, generator=None):
    M = torch.eye(n, dtype=torch.float64)
    out = []
    for _ in range(k):
        M = torch.normal(0.0, std, size=(n, n), generator=generator, dtype=torch.float64) @ M
        out.append(math.log10(M.abs().max().item()))
    return out


# -- calculate_gain ------------------------------------------------------------------------------

def _gain(nonlinearity, param=None, *, relu=math.sqrt(2), tanh=5 / 3, leaky=None, strict=True):
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return tanh
    if nonlinearity == "relu":
        return relu
    if nonlinearity == "leaky_relu":
        if leaky:
            return leaky(param)
        slope = 0.01 if param is None else param
        return math.sqrt(2 / (1 + slope ** 2))
    if strict:
        raise ValueError(nonlinearity)
    return 1.0


def gain_relu_variance(nonlinearity, param=None):
    return _gain(nonlinearity, param, relu=2.0)


def gain_tanh_one(nonlinearity, param=None):
    return _gain(nonlinearity, param, tanh=1.0)


def gain_slope_or_default(nonlinearity, param=None):
    return _gain(nonlinearity, param, leaky=lambda p: math.sqrt(2 / (1 + (p or 0.01) ** 2)))


def gain_slope_not_squared(nonlinearity, param=None):
    return _gain(nonlinearity, param,
                 leaky=lambda p: math.sqrt(2 / (1 + (0.01 if p is None else p))))


def gain_no_error(nonlinearity, param=None):
    return _gain(nonlinearity, param, strict=False)


def gain_from_torch(nonlinearity, param=None):
    return torch.nn.init.calculate_gain(nonlinearity, param)


def gain_torch_for_leaky_only(nonlinearity, param=None):
    """Its own table, but torch's calculate_gain, imported under another name, for leaky_relu."""
    if nonlinearity == "leaky_relu":
        return _renamed_calculate_gain(nonlinearity, param)
    table = {"linear": 1, "sigmoid": 1, "tanh": 5.0 / 3, "relu": 2 ** 0.5}
    if nonlinearity not in table:
        raise ValueError(f"unknown nonlinearity {nonlinearity}")
    return table[nonlinearity]


def gain_table(nonlinearity, param=None):
    slope = 0.01 if param is None else param
    table = {"linear": 1, "sigmoid": 1, "tanh": 5.0 / 3, "relu": 2 ** 0.5,
             "leaky_relu": (2.0 / (1 + slope ** 2)) ** 0.5}
    if nonlinearity not in table:
        raise ValueError(f"unknown nonlinearity {nonlinearity}")
    return table[nonlinearity]


# -- initializers --------------------------------------------------------------------------------

def _fans(tensor):
    if tensor.dim() != 2:
        raise ValueError("need a 2-D tensor")
    return tensor.shape[1], tensor.shape[0]


def _fill_uniform(tensor, bound):
    with torch.no_grad():
        return tensor.uniform_(-bound, bound)


def _fill_normal(tensor, std):
    with torch.no_grad():
        return tensor.normal_(0.0, std)


def xu_fan_in_only(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    return _fill_uniform(tensor, gain * math.sqrt(6 / fan_in))


def xu_sqrt3(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    return _fill_uniform(tensor, gain * math.sqrt(3 / (fan_in + fan_out)))


def xu_normal(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    return _fill_normal(tensor, gain * math.sqrt(2 / (fan_in + fan_out)))


def xu_not_in_place(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    return torch.empty_like(tensor).uniform_(-bound, bound)


def xu_no_return(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    _fill_uniform(tensor, gain * math.sqrt(6 / (fan_in + fan_out)))


def xu_without_no_grad(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    return tensor.uniform_(-bound, bound)


def xu_fixed_generator(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=torch.Generator().manual_seed(0))


def xu_gain_inside_sqrt(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    return _fill_uniform(tensor, math.sqrt(gain * 6 / (fan_in + fan_out)))


def xu_calls_torch(tensor, gain=1.0):
    _fans(tensor)
    return torch.nn.init.xavier_uniform_(tensor, gain=gain)


def xu_no_dim_check(tensor, gain=1.0):
    fan_out, fan_in = tensor.shape[0], tensor.shape[-1]
    return _fill_uniform(tensor, gain * math.sqrt(6 / (fan_in + fan_out)))


def xu_from_rand(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    with torch.no_grad():
        tensor.copy_((2 * torch.rand(tensor.shape) - 1) * bound)
    return tensor


def xu_data_attribute(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    a = gain * (6 / (fan_in + fan_out)) ** 0.5
    tensor.data.uniform_(-a, a)
    return tensor


def xn_uniform(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    return _fill_uniform(tensor, gain * math.sqrt(6 / (fan_in + fan_out)))


def xn_variance_as_std(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    return _fill_normal(tensor, gain * 2 / (fan_in + fan_out))


def xn_from_randn(tensor, gain=1.0):
    fan_in, fan_out = _fans(tensor)
    with torch.no_grad():
        tensor.copy_(torch.randn(tensor.shape) * gain * math.sqrt(2 / (fan_in + fan_out)))
    return tensor


def xn_calls_torch_alias(tensor, gain=1.0):
    _fans(tensor)
    return _renamed_xavier_normal_(tensor, gain=gain)


def kn_calls_torch_attribute(tensor, nonlinearity="relu"):
    """torch's kaiming_normal_, reached through the init module's attribute."""
    _fans(tensor)
    return getattr(nn.init, "kaiming_normal_")(tensor, nonlinearity=nonlinearity)


def kn_fan_out(tensor, nonlinearity="relu"):
    fan_in, fan_out = _fans(tensor)
    return _fill_normal(tensor, calculate_gain(nonlinearity) / math.sqrt(fan_out))


def kn_no_gain(tensor, nonlinearity="relu"):
    fan_in, fan_out = _fans(tensor)
    return _fill_normal(tensor, 1 / math.sqrt(fan_in))


def kn_always_relu(tensor, nonlinearity="relu"):
    fan_in, fan_out = _fans(tensor)
    return _fill_normal(tensor, math.sqrt(2 / fan_in))


def kn_uniform(tensor, nonlinearity="relu"):
    fan_in, fan_out = _fans(tensor)
    return _fill_uniform(tensor, calculate_gain(nonlinearity) * math.sqrt(3 / fan_in))


def kn_variance_form(tensor, nonlinearity="relu"):
    fan_in = _fans(tensor)[0]
    variance = calculate_gain(nonlinearity) ** 2 / fan_in
    with torch.no_grad():
        tensor.normal_(mean=0.0, std=variance ** 0.5)
    return tensor


# -- forward_stats -------------------------------------------------------------------------------

def _hooked_stats(model, x, *, record, modules=None, remove=True, store=None):
    stats = [] if store is None else store
    targets = modules(model) if modules else _linears(model)
    handles = [m.register_forward_hook(lambda mod, inp, out: stats.append(record(inp, out)))
               for m in targets]
    with torch.no_grad():
        model(x)
    if remove:
        for handle in handles:
            handle.remove()
    return stats


def _out_stats(inp, out):
    return out.mean().item(), out.std().item()


def fs_input_stats(model, x):
    return _hooked_stats(model, x, record=lambda inp, out: (inp[0].mean().item(), inp[0].std().item()))


def fs_hooks_left(model, x):
    return _hooked_stats(model, x, record=_out_stats, remove=False)


def fs_children_only(model, x):
    return _hooked_stats(model, x, record=_out_stats,
                         modules=lambda m: [c for c in m.children() if isinstance(c, nn.Linear)])


def fs_every_module_with_weight(model, x):
    return _hooked_stats(model, x, record=_out_stats,
                         modules=lambda m: [c for c in m.modules() if getattr(c, "weight", None) is not None])


_SHARED_STATS: list = []


def fs_shared_list(model, x):
    return _hooked_stats(model, x, record=_out_stats, store=_SHARED_STATS)


def fs_population_std(model, x):
    return _hooked_stats(model, x, record=lambda inp, out: (out.mean().item(), out.std(unbiased=False).item()))


def fs_reversed(model, x):
    return _hooked_stats(model, x, record=_out_stats)[::-1]


def fs_global_hook(model, x):
    from torch.nn.modules.module import register_module_forward_hook
    stats = []

    def hook(module, inputs, output):
        if isinstance(module, nn.Linear):
            stats.append((float(output.mean()), float(output.var().sqrt())))
    handle = register_module_forward_hook(hook)
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
    return stats


def fs_dict_by_layer(model, x):
    outputs = {}
    layers = _linears(model)
    handles = [layer.register_forward_hook(lambda mod, inp, out: outputs.__setitem__(mod, out.detach()))
               for layer in layers]
    model(x)
    for handle in handles:
        handle.remove()
    return [(outputs[layer].mean().item(), outputs[layer].std().item()) for layer in layers]


# -- grad_norms_per_layer ------------------------------------------------------------------------

def gn_no_zero_grad(model, X, y, loss_fn):
    loss_fn(model(X), y).backward()
    return [m.weight.grad.norm().item() for m in _linears(model)]


def gn_with_bias(model, X, y, loss_fn):
    model.zero_grad()
    loss_fn(model(X), y).backward()
    return [torch.cat([m.weight.grad.flatten(), m.bias.grad.flatten()]).norm().item()
            for m in _linears(model)]


def gn_reversed(model, X, y, loss_fn):
    model.zero_grad()
    loss_fn(model(X), y).backward()
    return [m.weight.grad.norm().item() for m in reversed(_linears(model))]


def gn_every_parameter(model, X, y, loss_fn):
    model.zero_grad()
    loss_fn(model(X), y).backward()
    return [p.grad.norm().item() for p in model.parameters()]


def gn_max_abs(model, X, y, loss_fn):
    model.zero_grad()
    loss_fn(model(X), y).backward()
    return [m.weight.grad.abs().max().item() for m in _linears(model)]


def gn_autograd_grad(model, X, y, loss_fn):
    weights = [m.weight for m in _linears(model)]
    grads = torch.autograd.grad(loss_fn(model(X), y), weights)
    return [float(torch.linalg.matrix_norm(g)) for g in grads]


def gn_zero_each_parameter(model, X, y, loss_fn):
    for p in model.parameters():
        if p.grad is not None:
            p.grad.zero_()
    loss = loss_fn(model(X), y)
    loss.backward()
    return [float(m.weight.grad.pow(2).sum().sqrt()) for m in _linears(model)]


WRONG = {
    "sigmoid_grad": [
        (sigmoid_one_plus, "differentiate sigmoid"),
        (sigmoid_in_terms_of_x, "differentiate sigmoid"),
        (sigmoid_naive_exp, "overflowing"),
        (sigmoid_in_place, "modified in place"),
        (sigmoid_autograd, "without autograd"),
    ],
    "tanh_grad": [
        (tanh_no_square, "differentiate tanh"),
        (tanh_naive_quotient, "overflowing"),
    ],
    "uniform_variance": [
        (var_over_3, "only the width"),
        (var_no_square, "only the width"),
        (var_second_moment, "(E X)²"),
        (var_no_validation, "ValueError"),
    ],
    "matrix_product_growth": [
        (growth_variance_as_std, "std**j"),
        (growth_natural_log, "log10 (not ln)"),
        (growth_global_rng, "generator"),
        (growth_max_without_abs, "absolute values"),
        (growth_float32, "float64"),
        (growth_last_matrix_only, "keep the running product"),
    ],
    "calculate_gain": [
        (gain_relu_variance, "square root of 2"),
        (gain_tanh_one, "5/3"),
        (gain_slope_or_default, "param = 0"),
        (gain_slope_not_squared, "slope²"),
        (gain_no_error, "ValueError"),
        (gain_from_torch, "calls torch.nn.init.calculate_gain"),
        (gain_torch_for_leaky_only, "calls torch.nn.init.calculate_gain"),
    ],
    "xavier_uniform_": [
        (xu_fan_in_only, "Xavier averages both fans"),
        (xu_sqrt3, "variance of the entries"),
        (xu_normal, "not from a normal"),
        (xu_not_in_place, "filled in place"),
        (xu_no_return, "return tensor"),
        (xu_without_no_grad, "torch.no_grad()"),
        (xu_fixed_generator, "identical weights"),
        (xu_gain_inside_sqrt, "variance of the entries"),
        (xu_calls_torch, "calls torch.nn.init.xavier_uniform_"),
        (xu_no_dim_check, "ValueError"),
    ],
    "xavier_normal_": [
        (xn_uniform, "normal distribution"),
        (xn_variance_as_std, "variance of the entries"),
        (xn_calls_torch_alias, "calls torch.nn.init.xavier_normal_"),
    ],
    "kaiming_normal_": [
        (kn_fan_out, "fan_in = tensor.shape[1]"),
        (kn_no_gain, "variance of the entries"),
        (kn_always_relu, "calculate_gain(nonlinearity)"),
        (kn_uniform, "normal distribution"),
        (kn_calls_torch_attribute, "calls torch.nn.init.kaiming_normal_"),
    ],
    "forward_stats": [
        (fs_input_stats, "*output*"),
        (fs_hooks_left, "handle.remove()"),
        (fs_children_only, "nested ones too"),
        (fs_every_module_with_weight, "and only those"),
        (fs_shared_list, "empty list on every call"),
        (fs_population_std, "std of the output"),
        (fs_reversed, "Linear layer 1"),
    ],
    "grad_norms_per_layer": [
        (gn_no_zero_grad, "model.zero_grad()"),
        (gn_with_bias, "not the bias"),
        (gn_reversed, "input side first"),
        (gn_every_parameter, "one float per nn.Linear"),
        (gn_max_abs, "Frobenius norm"),
    ],
}

CORRECT = {
    "sigmoid_grad": [sigmoid_symmetric, sigmoid_from_exp],
    "tanh_grad": [tanh_sech_squared, tanh_via_sigmoid],
    "uniform_variance": [var_half_width, var_moments],
    "matrix_product_growth": [growth_left_multiply],
    "calculate_gain": [gain_table],
    "xavier_uniform_": [xu_from_rand, xu_data_attribute],
    "xavier_normal_": [xn_from_randn],
    "kaiming_normal_": [kn_variance_form],
    "forward_stats": [fs_global_hook, fs_dict_by_layer],
    "grad_norms_per_layer": [gn_autograd_grad, gn_zero_each_parameter],
}
