"""Hidden cases of the 04_stability checks (dlcourse/checks/stability.py)."""

from __future__ import annotations

import contextlib
import math

import torch
from torch import nn

from dlcourse.runtime import seeded_global
from dlcourse.checks._core import call, case, expect_close, expect_raises, expect_tensor, fail, raises_case, seeded
from dlcourse.checks.stability import (_TORCH_INIT, _as_floats, _autograd_derivative, _compare_grad_norms,
                                       _compare_stats, _expect_filled_in_place, _fill,
                                       _growth, _stats_of, depth_net, _unpack_stats, gain_case,
                                       init_statistics_case, uniform_variance_case)
from dlcourse.data import gaussian_batch

f64 = torch.float64


@contextlib.contextmanager
def _continued(rng_state: torch.Tensor):
    """Go on drawing from the global RNG at `rng_state`, then restore the caller's state."""
    with torch.random.fork_rng():
        torch.random.set_rng_state(rng_state)
        yield


# -- sigmoid_grad and tanh_grad -------------------------------------------------------------------

def _derivative(name: str, fn, *, x, activation, hint):
    @case(f"{name} on float32 inputs as large as ±100")
    def extreme():
        x32 = torch.linspace(-100, 100, 401)
        got = expect_tensor(f"{name}(x) for float32 x", call(fn, x32.clone()))
        if got.dtype != torch.float32:
            fail(f"{name}(x) dtype", torch.float32, got.dtype, "compute in the input's dtype")
        expect_close(f"{name}(x) for float32 x in [-100, 100]", got,
                     _autograd_derivative(activation, x32),
                     "for large |x| the derivative is tiny but finite: avoid exp(x) overflowing "
                     "(exp(100) is inf in float32, and inf / inf is nan); torch.sigmoid and "
                     "torch.tanh are stable", atol=1e-6, rtol=1e-4)

    @case(f"{name} must not modify x")
    def untouched():
        x_copy = x.clone()
        call(fn, x_copy)
        if not torch.equal(x_copy, x):
            fail(f"x after {name}(x)", "unchanged", "modified in place",
                 "avoid in-place operations such as x.sigmoid_() or x.tanh_()")

    @case(f"{name} under torch.no_grad()")
    def no_autograd():
        try:
            with torch.no_grad():
                got = call(fn, x.clone())
        except RuntimeError as error:
            fail(f"{name}(x) inside torch.no_grad()", "the derivative", f"RuntimeError: {error}",
                 "compute the derivative from its formula, without autograd")
        expect_close(f"{name}(x) inside torch.no_grad()", got, _autograd_derivative(activation, x),
                     hint, atol=1e-12, rtol=1e-9)

    return [extreme, untouched, no_autograd]


def sigmoid_grad(sigmoid_grad, *, x, activation, hint):
    return _derivative("sigmoid_grad", sigmoid_grad, x=x, activation=activation, hint=hint)


def tanh_grad(tanh_grad, *, x, activation, hint):
    return _derivative("tanh_grad", tanh_grad, x=x, activation=activation, hint=hint)


# -- uniform_variance ----------------------------------------------------------------------------

def uniform_variance(uniform_variance):
    return [*(uniform_variance_case(uniform_variance, a, b)
              for a, b in [(-0.5, 3.5), (1000.0, 1006.0), (-3, -1), (0.25, 0.5)]),
            *(raises_case(f"uniform_variance({a}, {b})", ValueError, uniform_variance, a, b,
                          hint="U(a, b) needs a < b: raise ValueError otherwise") for a, b in [(1.0, 1.0), (2.0, -2.0)])]


# -- matrix_product_growth -----------------------------------------------------------------------

def matrix_growth_case(matrix_product_growth, seed: int) -> None:
    """Statistical: 100 products of 4×4 matrices explode with std 1 and do not with std 1/√4.

    Measured on 1000 seeds of the reference: the final log10 max|M| lies in [19.2, 29.4] for
    std = 1 and in [-10.9, -0.7] for std = 1/2; the thresholds 10 and 2 leave wide margins.
    """
    final = _growth(matrix_product_growth, 4, 100, 1.0, seed)[-1]
    if not final > 10:
        fail("log10 max|M| after 100 products with std = 1", "above 10 (the products explode)",
             f"{final:.3g}", "draw every W from N(0, std²) with the generator and multiply it into "
             "the running product M, starting from the identity")
    final = _growth(matrix_product_growth, 4, 100, 0.5, seed + 1)[-1]
    if not final < 2:
        fail("log10 max|M| after 100 products with std = 1/√n = 0.5", "below 2", f"{final:.3g}",
             "scale each standard normal matrix by std (not by std²)")


def matrix_product_growth(matrix_product_growth):
    @case("matrix_product_growth on 100 products of 4×4 matrices")
    def statistics():
        matrix_growth_case(matrix_product_growth, seed=3)

    @case("matrix_product_growth(1, 30, 1.0)")
    def negative_entries():
        for seed in range(3):
            values = _growth(matrix_product_growth, 1, 30, 1.0, seed)
            if not all(math.isfinite(v) for v in values):
                fail("matrix_product_growth(1, 30, 1.0)", "finite numbers", "nan or inf",
                     "the product can be negative: take the max of the absolute values |M_ij|")

    @case("matrix_product_growth(4, 40, 10.0)")
    def float64():
        values = _growth(matrix_product_growth, 4, 40, 10.0, 0)
        if not all(math.isfinite(v) for v in values):
            fail("matrix_product_growth(4, 40, 10.0)", "finite numbers (about 10^50 fits in float64)",
                 "nan or inf", "compute in float64: float32 overflows above 3.4e38")

    return [statistics, negative_entries, float64]


# -- calculate_gain ------------------------------------------------------------------------------

def calculate_gain(calculate_gain):
    checks = [gain_case(calculate_gain, "leaky_relu", param) for param in (0.2, 0, 1, 0.01)]
    for name in ("softmax", "swish"):
        @case(f"calculate_gain({name!r})")
        def unknown(name=name):
            expect_raises(f"calculate_gain({name!r})", ValueError, calculate_gain, name,
                          hint="raise ValueError for a nonlinearity you do not support")
        checks.append(unknown)
    return checks


# -- the initializers ----------------------------------------------------------------------------

def _init_cases(fn, name: str, visible_kwargs: dict, hidden_kwargs: list[dict], statistics):
    """dtype, parameters, fresh draws and errors, then `statistics` (the visible case) and the
    statistics on other shapes and arguments."""
    checks = [statistics]
    for i, kwargs in enumerate(hidden_kwargs):
        shape = (150, 400) if i % 2 == 0 else (400, 150)

        @case(f"{name} on a {shape} tensor with {kwargs}")
        def more_statistics(shape=shape, kwargs=kwargs, seed=i + 1):
            init_statistics_case(fn, name, shape, seed=seed, **kwargs)
        checks.append(more_statistics)

    @case(f"{name} on a float64 tensor")
    def keeps_dtype():
        tensor, got = _fill(fn, (30, 20), 5, dtype=f64, **visible_kwargs)
        _expect_filled_in_place(name, tensor, got, (30, 20), f64)

    @case(f"{name} on nn.Linear(50, 40).weight, a parameter that requires grad")
    def parameter():
        with seeded_global(6):
            layer = nn.Linear(50, 40)
        before = layer.weight.detach().clone()
        try:
            with seeded_global(7):
                got = call(fn, layer.weight, **visible_kwargs)
        except RuntimeError as error:
            fail(f"{name}(layer.weight)", "the weight filled in place", f"RuntimeError: {error}",
                 "an in-place change of a parameter that requires grad must run inside "
                 "`with torch.no_grad():`")
        if got is not layer.weight or torch.equal(layer.weight.detach(), before):
            fail(f"{name}(layer.weight)", "the same parameter, refilled", "something else",
                 "fill the tensor in place and return it")
        if not layer.weight.requires_grad:
            fail(f"{name}(layer.weight).requires_grad", True, False,
                 "do not detach or replace the parameter; fill it under torch.no_grad()")

    @case(f"{name} called twice")
    def fresh_draws():
        with seeded_global(8):
            first = call(fn, torch.empty(20, 30), **visible_kwargs).clone()
            second = call(fn, torch.empty(20, 30), **visible_kwargs).clone()
        if torch.equal(first, second):
            fail(f"two calls of {name} in a row", "different weights", "identical weights",
                 "draw from the global random generator; do not seed it or create a fixed "
                 "generator inside the function (every layer would get the same weights)")

    @case(f"{name} on a 1-D and a 3-D tensor")
    def not_2d():
        for shape in [(10,), (2, 3, 4)]:
            expect_raises(f"{name}(tensor of shape {shape})", ValueError, fn, torch.empty(shape),
                          hint="fan_in and fan_out are defined here for 2-D (fan_out, fan_in) "
                               "tensors only: raise ValueError otherwise", **visible_kwargs)

    return [keeps_dtype, parameter, fresh_draws, not_2d] + checks


def xavier_uniform_(xavier_uniform_, *, kwargs, statistics):
    return _init_cases(xavier_uniform_, "xavier_uniform_", kwargs, [{"gain": 5 / 3}, {"gain": 1.0}],
                       statistics)


def xavier_normal_(xavier_normal_, *, kwargs, statistics):
    return _init_cases(xavier_normal_, "xavier_normal_", kwargs, [{"gain": 2 ** 0.5}, {"gain": 0.5}],
                       statistics)


def kaiming_depth_case(kaiming_normal_, seed: int) -> None:
    """Statistical: a bias-free 10-layer ReLU net (width 256) initialized by kaiming_normal_ keeps
    the second moment of its last pre-activations within [1/4, 4]× the first layer's.

    Batch of 256 N(0, 1) inputs. Measured on 300 seeds with torch.nn.init.kaiming_normal_: the
    ratio lies in [0.41, 2.26] (median 0.94); Xavier gives about 2⁻⁹ = 0.002 instead.
    """
    model = depth_net("relu", lambda w: call(kaiming_normal_, w, nonlinearity="relu"), seed=seed)
    X, _ = gaussian_batch(256, 256, seed=seed + 1)
    second_moments, h = [], X
    with torch.no_grad():
        for module in model:
            h = module(h)
            if isinstance(module, nn.Linear):
                second_moments.append(h.pow(2).mean().item())
    ratio = second_moments[-1] / second_moments[0]
    if not 0.25 <= ratio <= 4:
        fail("E[z²] of layer 10 / E[z²] of layer 1 in a 10-layer ReLU net", "between 1/4 and 4",
             f"{ratio:.3g}", "Kaiming's variance 2 / fan_in compensates exactly for ReLU halving "
             "the second moment at every layer")


def kaiming_normal_(kaiming_normal_, *, kwargs, statistics):
    cases = _init_cases(kaiming_normal_, "kaiming_normal_", kwargs,
                        [{"nonlinearity": "linear"}, {"nonlinearity": "tanh"},
                         {"nonlinearity": "relu"}], statistics)

    @case("kaiming_normal_ in a 10-layer ReLU network")
    def depth():
        kaiming_depth_case(kaiming_normal_, seed=0)
    cases.append(depth)
    return cases


# -- forward_stats -------------------------------------------------------------------------------

def xavier_relu_depth_case(forward_stats, seed: int) -> None:
    """Statistical: in a bias-free 10-layer ReLU net (width 256) with Xavier weights, the second
    moment mean² + std² of the last Linear output is 2⁻¹¹ to 2⁻⁷ of the first one's (theory 2⁻⁹).

    Batch of 256 N(0, 1) inputs. Measured on 300 seeds with the reference: [7.5e-4, 5.0e-3].
    """
    model = depth_net("relu", _TORCH_INIT.xavier_uniform_, seed=seed)
    X, _ = gaussian_batch(256, 256, seed=seed + 1)
    pairs = _unpack_stats(_stats_of(forward_stats, model, X), 10)
    first, last = (m * m + s * s for m, s in (pairs[0], pairs[-1]))
    ratio = last / first
    if not 2 ** -11 <= ratio <= 2 ** -7:
        fail("(mean² + std²) of layer 10 / that of layer 1, 10-layer ReLU net with Xavier weights",
             "between 2⁻¹¹ and 2⁻⁷ (about 2⁻⁹: ReLU halves it at each of 9 steps)", f"{ratio:.3g}",
             "record each nn.Linear's output statistics, input side first")


def forward_stats(forward_stats, *, model, x, rng_state):
    with _continued(rng_state):
        nested_model = nn.Sequential(nn.Sequential(nn.Linear(6, 7), nn.ReLU()), nn.LayerNorm(7),
                                     nn.Sequential(nn.Linear(7, 7), nn.Sigmoid(), nn.Linear(7, 4)),
                                     nn.Linear(4, 2)).double()

    @case("forward_stats on a model with nested nn.Sequential blocks and a LayerNorm")
    def nested():
        _compare_stats(forward_stats, nested_model, x, "nested model")

    @case("forward_stats called twice on the same model")
    def repeated():
        _stats_of(forward_stats, model, x)
        _compare_stats(forward_stats, model, x, "second call")

    @case("forward_stats on a 10-layer ReLU network with Xavier weights")
    def depth():
        xavier_relu_depth_case(forward_stats, seed=0)

    return [nested, repeated, depth]


# -- grad_norms_per_layer ------------------------------------------------------------------------

def gradient_ratio_case(grad_norms_per_layer, seed: int) -> None:
    """Statistical: gradient-norm ratio first/last layer of bias-free 10-layer nets (width 128).

    Batch of 256 N(0, 1) inputs, MSE to N(0, 1) targets. Measured on 300 seeds of the reference:
    sigmoid + Xavier 4.5e-7 to 6.7e-7 (so < 1e-4); ReLU + Kaiming 0.18 to 0.40 (so > 1e-2).
    """
    X, y = gaussian_batch(256, 128, seed=seed + 1)
    for activation, init, test, expected in [
            ("sigmoid", _TORCH_INIT.xavier_uniform_, lambda r: r < 1e-4, "below 1e-4 (vanishing)"),
            ("relu", lambda w: _TORCH_INIT.kaiming_normal_(w, nonlinearity="relu"),
             lambda r: r > 1e-2, "above 1e-2")]:
        model = depth_net(activation, init, width=128, seed=seed)
        values = _as_floats("grad_norms_per_layer(...)", call(grad_norms_per_layer, model, X, y,
                                                              nn.MSELoss()), 10,
                            "one float per nn.Linear layer")
        ratio = values[0] / values[-1] if values[-1] else float("inf")
        if not test(ratio):
            fail(f"|∇W₁| / |∇W₁₀| in a 10-layer {activation} net", expected, f"{ratio:.3g}",
                 "list the layers input side first, and compute the gradients of one fresh backward pass")


def grad_norms_per_layer(grad_norms_per_layer, *, model, X, y, cross_entropy, rng_state):
    with _continued(rng_state):
        nested = nn.Sequential(nn.Sequential(nn.Linear(5, 6), nn.ReLU()), nn.LayerNorm(6),
                               nn.Sequential(nn.Linear(6, 6), nn.Sigmoid()), nn.Linear(6, 2)).double()

    @case("grad_norms_per_layer called twice in a row")
    def repeated():
        model.zero_grad(set_to_none=True)
        call(grad_norms_per_layer, model, X, y, cross_entropy)
        _compare_grad_norms(grad_norms_per_layer, model, X, y, cross_entropy, "second call")

    @case("grad_norms_per_layer with a mean-squared-error loss")
    def mse_loss():
        targets = torch.randn(12, 3, generator=seeded(62), dtype=f64)
        _compare_grad_norms(grad_norms_per_layer, model, X, targets, nn.MSELoss(), "MSE loss",
                            stale=-3.0)

    @case("grad_norms_per_layer on a model with nested blocks and a LayerNorm")
    def nested_model():
        _compare_grad_norms(grad_norms_per_layer, nested, X, y % 2, cross_entropy, "nested model",
                            stale=1.0)

    @case("grad_norms_per_layer on 10-layer sigmoid and ReLU networks")
    def depth():
        gradient_ratio_case(grad_norms_per_layer, seed=0)

    return [repeated, mse_loss, nested_model, depth]
