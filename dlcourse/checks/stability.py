"""Checks for 04_stability: activation derivatives, matrix products, initializers, layer statistics.

References are library routines (autograd, torch.distributions, torch.nn.init, torch.func) or
properties that hold whatever the random draws (scaling laws, bounds, identities). Exactness
checks run in float64. Statistical checks state their sample size and tolerance; each lives in a
module-level `*_case` function (here, or in answer_key/stability.py for the hidden ones) that
tests/ reruns on the reference with hundreds of other seeds.
Initializers draw from the global RNG (like torch.nn.init), so every check seeds it inside
`torch.random.fork_rng()` and leaves the caller's random state alone.
"""

from __future__ import annotations

import math
import operator

import torch
from torch import nn

from ..runtime import seeded_global, single_thread
from .rules import TORCH_INIT
from .hidden import cases as hidden_cases
from ._core import (call, case, expect_close, expect_scalar_close, expect_tensor, fail, run_suite,
                    same_seed_case, seeded)

f64 = torch.float64
_TORCH_INIT = nn.init  # the reference; the student may not call its initializers (rules.TORCH_INIT)


_ACTIVATION_MODULES = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def depth_net(activation: str, weight_init, depth: int = 10, width: int = 256,
              seed: int = 0) -> nn.Sequential:
    """The checks' bias-free stack of `depth` square Linear → activation blocks.

    nn.Linear's default weights, then `weight_init(layer.weight)` on each (no grad), all drawn
    from the global RNG seeded with `seed` in a fork. A reference of the checks' own, apart from
    dlcourse.labs, so that editing a lab never changes a grade.
    """
    with seeded_global(seed):
        model = nn.Sequential(*(module for _ in range(depth) for module in
                                (nn.Linear(width, width, bias=False), _ACTIVATION_MODULES[activation]())))
        with torch.no_grad():
            for layer in _linears(model):
                weight_init(layer.weight)
    return model


def _linears(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def _run(name: str, cases, forbidden=None) -> bool:
    """`run_suite` on one intra-op thread (small tensors; robust when other processes load the CPU)."""
    __tracebackhide__ = True
    with single_thread():
        return run_suite(name, cases, forbidden=forbidden)


def _as_floats(what: str, got, length: int, hint: str) -> list[float]:
    """`got` must be a list/tuple of `length` numbers (or 0-d tensors); return them as floats."""
    if not isinstance(got, (list, tuple)):
        fail(what, f"a list of {length} floats", type(got).__name__, hint)
    if len(got) != length:
        fail(f"len({what})", length, len(got), hint)
    values = []
    for item in got:
        if isinstance(item, torch.Tensor) and item.numel() == 1:
            item = item.item()
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            fail(f"entries of {what}", "floats", type(item).__name__, "append float(...) or .item()")
        values.append(float(item))
    return values


# -- sigmoid_grad and tanh_grad -------------------------------------------------------------------

def _autograd_derivative(activation, x: torch.Tensor) -> torch.Tensor:
    leaf = x.detach().clone().requires_grad_(True)
    activation(leaf).sum().backward()
    return leaf.grad


def _check_derivative(name: str, fn, activation, peak: float, hint: str, hidden: bool) -> bool:
    x = torch.linspace(-8, 8, 1601, dtype=f64)

    @case(f"{name} on linspace(-8, 8, 1601)")
    def values():
        got = call(fn, x.clone())
        expect_close(f"{name}(x) on [-8, 8]", got, _autograd_derivative(activation, x), hint,
                     atol=1e-12, rtol=1e-9)

    @case(f"the maximum of {name} on [-8, 8]")
    def maximum():
        got = expect_tensor(f"{name}(x)", call(fn, x.clone()))
        expect_scalar_close(f"max of {name} on [-8, 8] (at x = 0)", got.max().item(), peak, hint,
                            atol=1e-12)

    @case(f"{name} on a (3, 4) tensor")
    def matrix():
        X = torch.randn(3, 4, generator=seeded(40), dtype=f64)
        expect_close(f"{name}(X) with X of shape (3, 4)", call(fn, X.clone()),
                     _autograd_derivative(activation, X), "work elementwise, whatever the shape",
                     atol=1e-12)

    visible = [values, maximum, matrix]
    return _run(name, hidden_cases("stability", name, fn, x=x, activation=activation, hint=hint)
                if hidden else visible)


def check_sigmoid_grad(sigmoid_grad, hidden: bool = False) -> bool:
    """Visible: values vs autograd on [-8, 8], max 1/4. Hidden: float32 ±100, in place, no autograd."""
    hint = ("differentiate sigmoid(x) = 1 / (1 + exp(-x)) and write the result with sigmoid(x) "
            "alone; it peaks at 1/4")
    return _check_derivative("sigmoid_grad", sigmoid_grad, torch.sigmoid, 0.25, hint, hidden)


def check_tanh_grad(tanh_grad, hidden: bool = False) -> bool:
    """Visible: values vs autograd on [-8, 8], max 1. Hidden: float32 ±100, in place, no autograd."""
    hint = "differentiate tanh and write the result with tanh(x) alone; it peaks at 1"
    return _check_derivative("tanh_grad", tanh_grad, torch.tanh, 1.0, hint, hidden)


# -- uniform_variance ----------------------------------------------------------------------------

def _uniform_variance(a: float, b: float) -> float:
    return torch.distributions.Uniform(torch.tensor(a, dtype=f64), torch.tensor(b, dtype=f64)).variance.item()


UNIFORM_VARIANCE_HINT = ("Var X = E[X²] - (E X)², with E[X^k] = ∫ x^k / (b - a) dx over [a, b]; only the "
                         "width b - a matters")


def uniform_variance_case(uniform_variance, a: float, b: float):
    @case(f"uniform_variance({a}, {b})")
    def value():
        expect_scalar_close(f"uniform_variance({a}, {b})", call(uniform_variance, a, b),
                            _uniform_variance(a, b), UNIFORM_VARIANCE_HINT, atol=1e-12, rtol=1e-9)
    return value


def check_uniform_variance(uniform_variance, hidden: bool = False) -> bool:
    """Visible: three intervals vs torch.distributions.Uniform. Hidden: more, and a >= b raises."""
    if hidden:
        return _run("uniform_variance", hidden_cases("stability", "uniform_variance", uniform_variance))
    return _run("uniform_variance", [uniform_variance_case(uniform_variance, a, b)
                                     for a, b in [(0, 1), (-2, 2), (2.0, 5.0)]])


# -- matrix_product_growth -----------------------------------------------------------------------

def _growth(fn, n: int, k: int, std: float, seed: int) -> list[float]:
    got = call(fn, n, k, std, generator=seeded(seed))
    return _as_floats(f"matrix_product_growth({n}, {k}, {std})", got, k,
                      "return a list with one float per product: log10 of max|M| after it")


def _expect_finite(what: str, values: list[float]) -> None:
    if not all(math.isfinite(v) for v in values):
        fail(what, "finite numbers", [round(v, 3) for v in values][:6],
             "take log10 of max|M|, the largest of the absolute values |M_ij|")


def check_matrix_product_growth(matrix_product_growth, hidden: bool = False) -> bool:
    """Visible: length, scaling law in std. Hidden: explosion statistics, generator, float64, sign."""

    @case("matrix_product_growth(3, 5, 1.0)")
    def shape():
        _expect_finite("matrix_product_growth(3, 5, 1.0)", _growth(matrix_product_growth, 3, 5, 1.0, 0))

    @case("matrix_product_growth with std = 0.1 and std = 1 on the same seed")
    def scaling():
        for n, k, std in [(3, 6, 0.1), (5, 4, 3.0)]:
            base = _growth(matrix_product_growth, n, k, 1.0, 1)
            scaled = _growth(matrix_product_growth, n, k, std, 1)
            _expect_finite(f"matrix_product_growth({n}, {k}, {std})", scaled)
            shift = [s - b for s, b in zip(scaled, base)]
            expected = [(j + 1) * math.log10(std) for j in range(k)]
            if any(abs(s - e) > 1e-5 for s, e in zip(shift, expected)):
                fail(f"log10 max|M| with std = {std} minus with std = 1 (same generator seed)",
                     [round(e, 3) for e in expected], [round(s, 3) for s in shift],
                     "after j products M carries the factor std**j: multiply each standard normal "
                     "matrix by std, keep the running product, and record log10 (not ln) after "
                     "each product")

    uses_generator = same_seed_case(
        "matrix_product_growth with seeded generators",
        lambda seed: _growth(matrix_product_growth, 4, 5, 1.0, seed),
        "draw every matrix with torch.randn(n, n, generator=generator, ...)",
        "draw every matrix from the generator you are given", values="values", equal=operator.eq)

    visible = [shape, uses_generator, scaling]
    return _run("matrix_product_growth",
                hidden_cases("stability", "matrix_product_growth", matrix_product_growth)
                if hidden else visible)


# -- calculate_gain ------------------------------------------------------------------------------

GAIN_HINTS = {
    "linear": "no nonlinearity: nothing to compensate",
    "sigmoid": "PyTorch uses 1 for the sigmoid",
    "tanh": "PyTorch's recommended gain for tanh is 5/3",
    "relu": "ReLU halves the second moment, so the gain is the square root of 2 "
            "(a gain multiplies the standard deviation, not the variance)",
    "leaky_relu": "gain² = 2 / (1 + slope²) with slope = param, or 0.01 when param is None "
                  "(careful: param = 0 is a valid slope, `param or 0.01` turns it into 0.01)",
}


def gain_case(calculate_gain, name: str, param):
    @case(f"calculate_gain({name!r}, {param!r})")
    def value():
        expected = _TORCH_INIT.calculate_gain(name, param)
        expect_scalar_close(f"calculate_gain({name!r}, {param!r})",
                            call(calculate_gain, name, param), expected, GAIN_HINTS[name],
                            atol=0, rtol=1e-12)
    return value


def check_calculate_gain(calculate_gain, hidden: bool = False) -> bool:
    """Visible: the five nonlinearities vs torch.nn.init.calculate_gain. Hidden: slopes, errors."""
    if hidden:
        return _run("calculate_gain", hidden_cases("stability", "calculate_gain", calculate_gain),
                    forbidden=TORCH_INIT)
    return _run("calculate_gain", [gain_case(calculate_gain, name, None) for name in
                                   ("linear", "sigmoid", "tanh", "relu", "leaky_relu")],
                forbidden=TORCH_INIT)


# -- the initializers ----------------------------------------------------------------------------

#: samples per statistical initializer check, and its tolerances (see init_statistics_case)
INIT_SAMPLES = 60_000
VAR_TOLERANCE = 0.05        # 5% on the variance ratio; its standard error is about 0.5%
KURTOSIS_RANGE = (2.7, 3.3)  # normal: 3 (standard error 0.02 at 60k samples); uniform: 1.8


def _fill(fn, shape, seed: int, dtype=torch.float32, **kwargs):
    """Call fn on a NaN-filled tensor; return (tensor, what fn returned)."""
    tensor = torch.full(shape, float("nan"), dtype=dtype)
    with seeded_global(seed):
        got = call(fn, tensor, **kwargs)
    return tensor, got


def _expect_filled_in_place(name: str, tensor: torch.Tensor, got, shape, dtype) -> None:
    what = f"{name}(tensor) on a {tuple(shape)} tensor"
    if torch.isnan(tensor).all() and isinstance(got, torch.Tensor):
        fail(f"{what}: the tensor passed in", "filled in place", "unchanged (you returned a new tensor)",
             "fill the tensor you are given with in-place methods such as tensor.uniform_(...) "
             "or tensor.normal_(...) (trailing underscore), then return it")
    if got is not tensor:
        fail(f"{what}: the returned object", "the same tensor that was passed in",
             "None" if got is None else "another object", "end with `return tensor`")
    if tuple(tensor.shape) != tuple(shape) or tensor.dtype != dtype:
        fail(f"{what}: shape and dtype", f"{tuple(shape)}, {dtype}",
             f"{tuple(tensor.shape)}, {tensor.dtype}", "fill the tensor without reshaping or casting it")
    if not torch.isfinite(tensor).all():
        fail(f"{what}: its entries", "every entry filled with a finite value", "nan or inf left",
             "fill the whole tensor")


def _kurtosis(t: torch.Tensor) -> float:
    centered = t.double() - t.double().mean()
    return (centered.pow(4).mean() / centered.pow(2).mean() ** 2).item()


def init_statistics_case(fn, name: str, shape, seed: int, **kwargs) -> None:
    """Statistical: fn fills a tensor like torch.nn.init.<name>, judged on INIT_SAMPLES entries.

    The reference is a sample of torch.nn.init.<name> itself (another seed). Checked: the mean
    within 6 standard errors of 0; the variance within VAR_TOLERANCE of the reference's; for
    uniform initializers max|w| within [0.99, 1.001]× the reference's (60k draws reach the bound
    to 1e-4 relative); for normal ones the kurtosis in KURTOSIS_RANGE.
    """
    tensor, got = _fill(fn, shape, seed, **kwargs)
    _expect_filled_in_place(name, tensor, got, shape, torch.float32)
    with seeded_global(seed + 1_000_003):
        reference = getattr(_TORCH_INIT, name)(torch.empty(shape), **kwargs)
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    what = f"{name}(tensor of shape {tuple(shape)}{', ' + args if args else ''})"
    values, ref = tensor.double(), reference.double()
    sem = ref.std().item() / math.sqrt(values.numel())
    if abs(values.mean().item()) > 6 * sem:
        fail(f"mean of the entries of {what}", f"0 ± {6 * sem:.2g}", f"{values.mean().item():.3g}",
             "the distribution must be centred at 0")
    ratio = values.var().item() / ref.var().item()
    if abs(ratio - 1) > VAR_TOLERANCE:
        fail(f"variance of the entries of {what}",
             f"{ref.var().item():.4g} (±{VAR_TOLERANCE:.0%})",
             f"{values.var().item():.4g}, {ratio:.3g} times too {'large' if ratio > 1 else 'small'}",
             _variance_hint(name, shape, ratio))
    if "uniform" in name:
        bound, top = ref.abs().max().item(), values.abs().max().item()
        if not 0.99 * bound <= top <= 1.001 * bound:
            fail(f"largest |w| of {what}", f"{bound:.4g} (the bound a of U(-a, a))", f"{top:.4g}",
                 "draw from a uniform distribution U(-a, a) with tensor.uniform_(-a, a), not from a normal")
    else:
        kurtosis = _kurtosis(values)
        if not KURTOSIS_RANGE[0] <= kurtosis <= KURTOSIS_RANGE[1]:
            fail(f"kurtosis E[w⁴]/E[w²]² of {what}", "about 3 (a normal distribution)",
                 f"{kurtosis:.3g} (a uniform distribution has 1.8)",
                 "draw from a normal distribution with tensor.normal_(0, std)")


def _variance_hint(name: str, shape, ratio: float) -> str:
    fan_out, fan_in = shape
    if "kaiming" in name:
        if abs(ratio - fan_in / fan_out) < 0.1 * fan_in / fan_out:
            return ("Kaiming's default mode is fan_in; nn.Linear weights have shape (fan_out, fan_in), "
                    "so fan_in = tensor.shape[1]")
        return "the target is Var w = gain² / fan_in, with gain = calculate_gain(nonlinearity)"
    if abs(ratio - (fan_in + fan_out) / fan_in) < 0.1 * ratio:
        return "Xavier averages both fans: Var w = gain² · 2 / (fan_in + fan_out), not 1 / fan_in"
    if "uniform" in name:
        return ("Var U(-a, a) = a²/3 must equal gain² · 2 / (fan_in + fan_out); solve for a "
                "(uniform_variance can check your algebra)")
    return "the target is Var w = gain² · 2 / (fan_in + fan_out); std is its square root"


def _check_init(fn, name: str, kwargs: dict, hidden: bool) -> bool:
    """Visible: statistics on a (300, 200) tensor. Hidden: other shapes, dtype, parameters, errors."""

    @case(f"{name} on a (300, 200) tensor")
    def statistics():
        init_statistics_case(fn, name, (300, 200), seed=0, **kwargs)

    return _run(name, hidden_cases("stability", name, fn, kwargs=kwargs, statistics=statistics)
                if hidden else [statistics], forbidden=TORCH_INIT)


def check_xavier_uniform_(xavier_uniform_, hidden: bool = False) -> bool:
    """Visible: bound and variance vs torch.nn.init on 60k draws, in place. Hidden: more shapes..."""
    return _check_init(xavier_uniform_, "xavier_uniform_", {}, hidden)


def check_xavier_normal_(xavier_normal_, hidden: bool = False) -> bool:
    """Visible: variance and normality vs torch.nn.init on 60k draws, in place. Hidden: more."""
    return _check_init(xavier_normal_, "xavier_normal_", {}, hidden)


def check_kaiming_normal_(kaiming_normal_, hidden: bool = False) -> bool:
    """Visible: std vs torch.nn.init.kaiming_normal_ on 60k draws, in place. Hidden: gains, depth."""
    return _check_init(kaiming_normal_, "kaiming_normal_", {"nonlinearity": "relu"}, hidden)


# -- forward_stats -------------------------------------------------------------------------------

def _manual_stats(model: nn.Sequential, x: torch.Tensor) -> list[tuple[float, float]]:
    """Walk an nn.Sequential (nested ones flattened) by hand; mean and std of each Linear's output."""
    stats, h = [], x

    def run(module, h):
        if isinstance(module, nn.Sequential):
            for child in module:
                h = run(child, h)
            return h
        h = module(h)
        if isinstance(module, nn.Linear):
            stats.append((h.mean().item(), h.std().item()))
        return h
    with torch.no_grad():
        run(model, h)
    return stats


def _hook_counts(model: nn.Module) -> tuple:
    from torch.nn.modules import module as module_mod
    return (tuple(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules()),
            len(module_mod._global_forward_hooks), len(module_mod._global_forward_pre_hooks))


def _unpack_stats(got, length: int) -> list[tuple[float, float]]:
    hint = "return a list with one (mean, std) pair of floats per nn.Linear, input side first"
    if not isinstance(got, (list, tuple)):
        fail("forward_stats(model, x)", f"a list of {length} (mean, std) pairs", type(got).__name__, hint)
    if len(got) != length:
        fail("number of (mean, std) pairs", f"{length} (one per nn.Linear in model.modules())",
             len(got), "hook every nn.Linear found by model.modules() (nested ones too), and only those; "
             "start from an empty list on every call")
    pairs = []
    for pair in got:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            fail("each entry of forward_stats(model, x)", "a (mean, std) pair", repr(pair)[:40], hint)
        pairs.append(tuple(_as_floats("(mean, std)", list(pair), 2, hint)))
    return pairs


def _stats_of(forward_stats, model, x):
    """Call the student's forward_stats; no hook may be left on the model afterwards."""
    before = _hook_counts(model)
    got = call(forward_stats, model, x.clone())
    if _hook_counts(model) != before:
        fail("forward hooks left on the model after forward_stats", "none (all removed)",
             "hooks still registered", "keep the handles that register_forward_hook returns "
             "and call handle.remove() on each before returning (try/finally is safest)")
    return got


def _compare_stats(forward_stats, model, x, what: str) -> None:
    expected = _manual_stats(model, x)
    pairs = _unpack_stats(_stats_of(forward_stats, model, x), len(expected))
    for i, ((mean, std), (m_ref, s_ref)) in enumerate(zip(pairs, expected)):
        for label, value, ref in (("mean", mean, m_ref), ("std", std, s_ref)):
            if not math.isclose(value, ref, rel_tol=1e-8, abs_tol=1e-10):
                fail(f"{label} of the output of Linear layer {i + 1} of {len(expected)} ({what})",
                     f"{ref:.6g}", f"{value:.6g}",
                     "record output.mean() and output.std() of each nn.Linear's *output* (the "
                     "hook's third argument), in the order the layers run")


def _stats_model():
    """The 3-layer MLP of the checks, and the global RNG state after it (the hidden models go on from it)."""
    with seeded_global(50):
        flat = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 5), nn.Tanh(),
                             nn.Linear(5, 3)).double()
        rng_state = torch.random.get_rng_state()
    return flat, rng_state


def check_forward_stats(forward_stats, hidden: bool = False) -> bool:
    """Visible: stats vs a manual loop, hooks removed. Hidden: nested models, repeat calls, depth."""
    model, rng_state = _stats_model()
    x = torch.randn(16, 6, generator=seeded(51), dtype=f64)

    @case("forward_stats on a 3-layer nn.Sequential")
    def values():
        _compare_stats(forward_stats, model, x, "3-layer MLP")

    @case("forward_stats must not change the model or x")
    def untouched():
        state = {k: v.clone() for k, v in model.state_dict().items()}
        x_copy = x.clone()
        call(forward_stats, model, x_copy)
        if not torch.equal(x_copy, x) or any(not torch.equal(v, model.state_dict()[k])
                                              for k, v in state.items()):
            fail("model parameters and x after forward_stats", "unchanged", "modified",
                 "only run the model forward; do not train it or modify x")

    visible = [values, untouched]
    return _run("forward_stats", hidden_cases("stability", "forward_stats", forward_stats, model=model,
                                              x=x, rng_state=rng_state)
                if hidden else visible)


# -- grad_norms_per_layer ------------------------------------------------------------------------

def _reference_grad_norms(model, X, y, loss_fn) -> list[float]:
    weights = [layer.weight for layer in _linears(model)]
    grads = torch.autograd.grad(loss_fn(model(X), y), weights)
    return [torch.linalg.matrix_norm(g, ord="fro").item() for g in grads]


def _grad_hint(model, X, y, loss_fn, values: list[float], expected: list[float]) -> str:
    if values == expected[::-1] or all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(values, expected[::-1])):
        return "list the layers input side first, in model.modules() order"
    return ("zero every gradient first (model.zero_grad()), run one backward pass of "
            "loss_fn(model(X), y), then take the Frobenius norm of each nn.Linear's weight.grad "
            "(not the bias)")


def _compare_grad_norms(grad_norms_per_layer, model, X, y, loss_fn, what: str,
                        stale: float | None = None) -> None:
    expected = _reference_grad_norms(model, X, y, loss_fn)
    if stale is not None:
        for p in model.parameters():
            p.grad = torch.full_like(p, stale)
    got = call(grad_norms_per_layer, model, X, y, loss_fn)
    values = _as_floats("grad_norms_per_layer(model, X, y, loss_fn)", got, len(expected),
                        "return one float per nn.Linear layer of the model, input side first")
    for i, (value, ref) in enumerate(zip(values, expected)):
        if not math.isclose(value, ref, rel_tol=1e-8, abs_tol=1e-12):
            fail(f"gradient norm of the weight of Linear layer {i + 1} of {len(expected)} ({what})",
                 f"{ref:.6g}", f"{value:.6g}", _grad_hint(model, X, y, loss_fn, values, expected))


def _grad_setup():
    """The 3-layer MLP and data of the checks, and the global RNG state after the model (the
    hidden model goes on from it)."""
    with seeded_global(60):
        model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 4), nn.Tanh(),
                              nn.Linear(4, 3)).double()
        rng_state = torch.random.get_rng_state()
    g = seeded(61)
    X = torch.randn(12, 5, generator=g, dtype=f64)
    y = torch.randint(0, 3, (12,), generator=g)
    return model, X, y, rng_state


def check_grad_norms_per_layer(grad_norms_per_layer, hidden: bool = False) -> bool:
    """Visible: norms vs torch.autograd.grad, stale grads ignored. Hidden: repeats, MSE, depth."""
    model, X, y, rng_state = _grad_setup()
    cross_entropy = nn.CrossEntropyLoss()

    @case("grad_norms_per_layer on a 3-layer MLP with cross-entropy")
    def values():
        model.zero_grad(set_to_none=True)
        _compare_grad_norms(grad_norms_per_layer, model, X, y, cross_entropy, "fresh model")

    @case("grad_norms_per_layer when .grad already holds old gradients")
    def stale_gradients():
        _compare_grad_norms(grad_norms_per_layer, model, X, y, cross_entropy,
                            "parameters whose .grad held 100.0 beforehand", stale=100.0)

    visible = [values, stale_gradients]
    return _run("grad_norms_per_layer",
                hidden_cases("stability", "grad_norms_per_layer", grad_norms_per_layer, model=model,
                             X=X, y=y, cross_entropy=cross_entropy, rng_state=rng_state)
                if hidden else visible)
