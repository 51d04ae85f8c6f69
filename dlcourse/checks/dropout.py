"""Checks for 03_dropout: inverted dropout, the Dropout module, the MLP, evaluation and training.

N is the number of examples (rows of X), D the number of features, C the number of classes.
References are torch routines (torch.nn.functional, torch.special), scikit-learn's
`accuracy_score`, exact properties of inverted dropout, or fixed test vectors. Exactness checks
run in float64. Dropout draws from the global RNG: every call of student code runs inside
`seeded_global(seed, numpy_and_python=True)`, which forks torch's RNG (and saves numpy's and
Python's), so a check never changes global random state.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ..runtime import seeded_global
from .rules import DROPOUT
from .hidden import cases as hidden_cases
from ._core import (call, case, expect_close, expect_scalar_close, expect_tensor,
                    fail, inputs_untouched, raises_case, run_suite, seeded)

f64 = torch.float64

#: Statistical tolerance: an observed fraction (or mean) must lie within Z_TOL standard deviations
#: of its expectation. With the normal approximation a correct implementation fails one comparison
#: with probability 5.7e-7; tests rerun every statistical case on torch's F.dropout and on the
#: instructor's solution with 200+ seeds. Bugs move the zero fraction by >= 0.05 on N = 1e5
#: elements, i.e. > 30 standard deviations.
Z_TOL = 5.0


def _call_seeded(fn, seed: int, *args):
    with seeded_global(seed, numpy_and_python=True):
        return call(fn, *args)


def _positive(shape, seed: int, dtype=f64) -> torch.Tensor:
    """Inputs in [0.5, 1.5): never zero, so a zero in the output means a dropped element."""
    return 0.5 + torch.rand(shape, generator=seeded(seed), dtype=dtype)


def _sd_of_fraction(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


def _normal_cdf(x: float) -> float:
    return float(torch.special.ndtr(torch.tensor(x, dtype=f64)))


# -- properties of inverted dropout, shared by the checks ------------------------------------------

def _expect_like(what: str, got: object, X: torch.Tensor) -> torch.Tensor:
    got = expect_tensor(what, got, "return a tensor with X's shape, e.g. mask * X / (1 - p)")
    if tuple(got.shape) != tuple(X.shape):
        fail(f"{what} shape", tuple(X.shape), tuple(got.shape),
             "dropout acts elementwise: draw one random number per element of X")
    if got.dtype != X.dtype:
        fail(f"{what} dtype", X.dtype, got.dtype,
             "keep X's dtype: do not call X.float() or mix in float64 numpy arrays; a boolean "
             "mask times X keeps X's dtype")
    return got


def _expect_survivors(what: str, out: torch.Tensor, X: torch.Tensor, p: float) -> None:
    """Every element is either exactly 0 or x / (1 - p); X has no zeros."""
    out64, X64 = out.detach().double(), X.detach().double()
    if not torch.isfinite(out64).all():
        fail(f"{what}: values", "finite numbers", "nan or inf",
             "dividing by 1 - p is only possible for p < 1")
    kept = out64 != 0
    if not kept.any():
        return
    ratio = out64[kept] / X64[kept]
    scale = 1 / (1 - p)
    rtol = 1e-9 if out.dtype == f64 else 1e-6  # rounding of x * mask / (1 - p) in X's dtype
    if torch.allclose(ratio, torch.full_like(ratio, scale), rtol=rtol, atol=0):
        return
    typical = ratio.median().item()
    guesses = [(1.0, "did you forget to divide the kept units by 1 - p?"),
               (1 / p if p > 0 else math.inf, "divide by 1 - p, the keep probability, not by p"),
               (1 - p, "divide the kept units by 1 - p instead of multiplying by it"),
               (p, "divide the kept units by 1 - p instead of multiplying by p")]
    hint = next((h for value, h in guesses if abs(typical - value) < 1e-6 * max(1, value)),
                "each kept element is x / (1 - p) and each dropped element exactly 0; "
                "the mask must contain only 0s and 1s")
    fail(f"{what}: kept (non-zero) elements divided by x", f"1 / (1 - p) = {scale:.4g}",
         f"a typical ratio of {typical:.4g} (min {ratio.min().item():.4g}, max {ratio.max().item():.4g})",
         hint)


def _expect_zero_fraction(what: str, out: torch.Tensor, p: float, among=None) -> float:
    """The fraction of zeros (among the positions in `among`) is p within Z_TOL standard deviations."""
    zeros = (out.detach() == 0)
    if among is not None:
        zeros = zeros[among]
    n = zeros.numel()
    frac = zeros.double().mean().item()
    allowed = Z_TOL * _sd_of_fraction(p, n)
    if abs(frac - p) <= allowed:
        return frac
    if abs(frac - (1 - p)) <= Z_TOL * _sd_of_fraction(p, n):
        hint = ("p is the probability to DROP an element (PyTorch's convention); you keep elements "
                "with probability p (CS231n's convention). Compare the uniform numbers with p the "
                "other way round")
    elif min(abs(frac - _normal_cdf(p)), abs(frac - 1 + _normal_cdf(1 - p))) <= 0.01:
        hint = ("draw uniform numbers on [0, 1) with torch.rand_like(X), not torch.randn "
                "(a standard normal): P(uniform < p) = p")
    else:
        hint = "zero each element independently with probability p, keep it otherwise"
    fail(f"{what}: fraction of zeroed elements", f"{p:.3f} ± {allowed:.4f} "
         f"({Z_TOL:g} standard deviations, N = {n})", f"{frac:.4f}", hint)


def _expect_mean_preserved(what: str, out: torch.Tensor, X: torch.Tensor, p: float) -> None:
    """mean(out) = mean(X) within Z_TOL standard deviations: E[x'] = x for inverted dropout."""
    n = X.numel()
    X64 = X.detach().double()
    sd = math.sqrt((X64 ** 2).sum().item() * p / (1 - p)) / n
    got, expected = out.detach().double().mean().item(), X64.mean().item()
    if abs(got - expected) > Z_TOL * sd + 1e-12:
        fail(f"{what}: mean of the output", f"mean(X) = {expected:.4f} ± {Z_TOL * sd:.4f} "
             f"({Z_TOL:g} standard deviations)", f"{got:.4f}",
             "inverted dropout keeps the expectation: E[x'] = (1 - p) * x / (1 - p) = x")


def _mask_is_per_element(what: str, out: torch.Tensor) -> None:
    """Rows (examples) and columns (features) of a 2-D output must not share one mask."""
    kept = out.detach() != 0
    if (kept == kept[:1]).all():
        fail(f"{what}: the dropout masks of different rows (examples)", "different",
             "the same mask for every row",
             "draw one random number per element of X (torch.rand_like(X)), not one per feature: "
             "each example gets its own mask")
    if (kept == kept[:, :1]).all():
        fail(f"{what}: the dropout masks of different columns (units)", "different",
             "whole rows kept or dropped together",
             "draw one random number per element of X, not one per example")


def dropout_statistics_case(dropout_layer, p: float, seed: int, shape=(500, 200),
                            dtype=f64) -> None:
    """One statistical check of inverted dropout on N = prod(shape) elements of a positive X.

    Exact: shape, dtype, every element 0 or x / (1 - p), rows and columns with different masks.
    Statistical (Z_TOL standard deviations): the fraction of zeros is p and the mean is preserved.
    """
    X = _positive(shape, 1000 + seed, dtype)
    what = f"dropout_layer(X, p={p}) with X of shape {tuple(shape)}"
    out = _expect_like(what, _call_seeded(dropout_layer, seed, X.clone(), p), X)
    _expect_survivors(what, out, X, p)
    if out.dim() == 2:
        _mask_is_per_element(what, out)
    _expect_zero_fraction(what, out, p)
    _expect_mean_preserved(what, out, X, p)


# -- dropout_layer -------------------------------------------------------------------------------

def dropout_device_case(dropout_layer) -> None:
    """dropout_layer(X, p) for p = 0.5 and 1 with X on another device: the output stays on X's device."""
    # A tensor on the data-less 'meta' device stands in for a GPU tensor: a mask made by
    # torch.rand(X.shape) lives on the CPU, and mixing it with X fails as it would on a GPU.
    # Meta kernels import torch._dynamo, which rewraps torch.manual_seed; _core's integrity
    # check accepts torch's own wrappers, so this does not look like tampering.
    X = torch.empty(64, 32, device="meta")
    for p in (0.5, 1.0):
        what = f"dropout_layer(X, {p}) with X on another device ('meta')"
        try:
            out = _call_seeded(dropout_layer, 6, X, p)
        except RuntimeError as error:
            if "device" not in str(error):
                raise
            fail(what, "an output on X's device", f"RuntimeError: {str(error)[:100]}",
                 "create the mask on X's device, e.g. torch.rand_like(X) or "
                 "torch.rand(X.shape, device=X.device); D2L's torch.rand(X.shape) is always on "
                 "the CPU and fails for X on a GPU")
        out = expect_tensor(what, out)
        if out.device != X.device:
            fail(f"{what}: output device", X.device, out.device,
                 "create every new tensor on X's device: torch.zeros_like(X), "
                 "torch.rand_like(X) or device=X.device")


def check_dropout_layer(dropout_layer, hidden: bool = False) -> bool:
    """Visible: statistics and masks at p = 0.3, p = 0 and 1, ValueError, X untouched, device.

    Hidden: other p, float32, 3-D input, gradient, masks differ between calls, p < 0.
    """
    def values(p, seed=0, shape=(500, 200), dtype=f64):
        @case(f"dropout_layer(X, p={p}) with X of shape {shape}")
        def run():
            dropout_statistics_case(dropout_layer, p, seed, shape, dtype)
        return run

    @case("dropout_layer(X, 0.0)")
    def p_zero():
        X = _positive((16, 32), 2)
        out = _expect_like("dropout_layer(X, 0.0)", _call_seeded(dropout_layer, 2, X.clone(), 0.0), X)
        if not torch.equal(out.detach(), X):
            fail("dropout_layer(X, 0.0)", "X's values unchanged",
                 f"{(out.detach() != X).sum().item()} of {X.numel()} elements changed",
                 "with p = 0 nothing is dropped and 1 / (1 - p) = 1; a mask drawn with "
                 "torch.randn would still drop about half the elements")

    @case("dropout_layer(X, 1.0)")
    def p_one():
        X = _positive((16, 32), 3)
        out = _expect_like("dropout_layer(X, 1.0)", _call_seeded(dropout_layer, 3, X.clone(), 1.0), X)
        if not torch.isfinite(out).all():
            fail("dropout_layer(X, 1.0)", "all zeros", "nan (0 / 0)",
                 "with p = 1 every element is dropped: return zeros with X's shape, dtype and "
                 "device before dividing by 1 - p = 0")
        if (out != 0).any():
            fail("dropout_layer(X, 1.0)", "all zeros", f"{(out != 0).sum().item()} non-zero elements",
                 "with p = 1 every element is dropped")

    def bad_p(p):
        return raises_case(f"dropout_layer(X, {p})", ValueError, dropout_layer, _positive((4, 5), 4), p,
                           hint="p is a probability: raise ValueError unless 0 <= p <= 1 "
                                "(an assert raises AssertionError instead)",
                           within=lambda: seeded_global(4, numpy_and_python=True))

    input_untouched = inputs_untouched(
        "dropout_layer must not modify X", "X after dropout_layer(X, 0.5)", [_positive((50, 40), 5)],
        lambda X: _call_seeded(dropout_layer, 5, X, 0.5),
        "build a new tensor (mask * X / (1 - p)); avoid X *= ..., X[mask] = 0 or X.mul_()")

    same_device = case("dropout_layer(X, 0.5) with X on another device")(
        lambda: dropout_device_case(dropout_layer))
    visible = [values(0.3), p_zero, p_one, bad_p(1.5), input_untouched, same_device]
    return run_suite("dropout_layer", hidden_cases("dropout", "dropout_layer", dropout_layer,
                                                   values=values, bad_p=bad_p)
                     if hidden else visible, forbidden=DROPOUT)


# -- Dropout (nn.Module) -------------------------------------------------------------------------

def _make(cls, *args):
    """Construct the student's module on a forked RNG (layers draw their initial weights)."""
    with seeded_global(0, numpy_and_python=True):
        return call(cls, *args)


def _expect_module(what: str, got: object, hint: str) -> nn.Module:
    if not isinstance(got, nn.Module):
        fail(what, "an nn.Module", type(got).__name__, hint)
    return got


def _expect_dropout_applied(what: str, out, X: torch.Tensor, p: float) -> None:
    out = _expect_like(what, out, X)
    if torch.equal(out.detach(), X):
        fail(what, f"about {p:.0%} of the elements zeroed", "the identity (nothing dropped)",
             "in training mode (self.training is True) the layer applies dropout_layer(X, self.p)")
    _expect_survivors(what, out, X, p)
    _expect_zero_fraction(what, out, p)


def _expect_identity(what: str, out, X: torch.Tensor, hint: str) -> None:
    out = _expect_like(what, out, X)
    if not torch.equal(out.detach(), X):
        fail(what, "the identity (output equal to X)",
             f"{(out.detach() == 0).double().mean().item():.0%} zeros and "
             f"{(out.detach() != X).double().mean().item():.0%} of the elements changed", hint)


_EVAL_HINT = ("in eval mode Dropout is the identity: decide with self.training, the flag that "
              "model.train() and model.eval() set (D2L's custom flag stayed True at test time, "
              "d2l-en #1093; F.dropout needs training=self.training)")


def check_dropout_module(Dropout, hidden: bool = False) -> bool:
    """Visible: drops in training mode, identity after .eval(), drops again after .train().

    Hidden: training mode under torch.no_grad(), inside nn.Sequential, p = 0 and 1, no
    parameters, ValueError for bad p at construction.
    """
    X = _positive((500, 200), 20)
    hint_module = "subclass nn.Module and call super().__init__() first"

    def layer(p=0.3):
        return _expect_module(f"Dropout({p})", _make(Dropout, p), hint_module)

    @case("Dropout(0.3) in training mode")
    def training():
        module = layer()
        if not module.training:
            fail("Dropout(0.3).training right after construction", True, False,
                 "nn.Module starts in training mode; do not set self.training yourself")
        _expect_dropout_applied("Dropout(0.3)(X) in training mode", _call_seeded(module, 21, X.clone()),
                                X, 0.3)

    @case("Dropout(0.3) after .eval()")
    def eval_mode():
        module = layer()
        module.eval()
        _expect_identity("Dropout(0.3)(X) after .eval()", _call_seeded(module, 22, X.clone()), X,
                         _EVAL_HINT)

    @case("Dropout(0.3) after .eval() and then .train()")
    def back_to_training():
        module = layer()
        module.eval()
        module.train()
        _expect_dropout_applied("Dropout(0.3)(X) after .eval() then .train()",
                                _call_seeded(module, 23, X.clone()), X, 0.3)

    visible = [training, eval_mode, back_to_training]
    return run_suite("Dropout", hidden_cases("dropout", "dropout_module", Dropout, X=X, layer=layer)
                     if hidden else visible, forbidden=DROPOUT)


# -- DropoutMLP ----------------------------------------------------------------------------------

def _linear_trace(model: nn.Module, X: torch.Tensor, seed: int):
    """model(X) with the (layer, input, output) of every nn.Linear call, in call order."""
    records = []

    def hook(module, inputs, output):
        records.append((module, inputs[0].detach(), output.detach()))
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Linear)]
    try:
        out = _call_seeded(model, seed, X)
    finally:
        for handle in handles:
            handle.remove()
    return out, records


def _expect_three_linears(what: str, records, sizes) -> None:
    shapes = [tuple(layer.weight.shape) for layer, _, _ in records]
    expected = [(sizes[i + 1], sizes[i]) for i in range(3)]
    if shapes != expected:
        fail(f"{what}: weight shapes of the nn.Linear layers, in the order forward uses them",
             expected, shapes,
             "use three nn.Linear layers: num_inputs -> num_hiddens1 -> num_hiddens2 -> "
             "num_outputs (an nn.Linear(a, b) weight has shape (b, a))")


def _expect_equal_stage(what: str, got: torch.Tensor, expected: torch.Tensor, hint: str) -> None:
    expect_close(what, got, expected, hint, atol=1e-6, rtol=1e-5)


def mlp_pass_case(DropoutMLP, sizes, p1: float, p2: float, train: bool, seed: int,
                  num_examples: int = 1000) -> None:
    """Statistical: DropoutMLP(*sizes, p1, p2) in training or eval mode on 1000 inputs: three
    Linear layers of the right sizes, dropout after each hidden one at its p (tests rerun it on
    200 other seeds)."""
    model = _expect_module(f"DropoutMLP{(*sizes, p1, p2)}", _make(DropoutMLP, *sizes, p1, p2),
                           "subclass nn.Module and call super().__init__() first")
    model.train(train)
    X = torch.rand(num_examples, sizes[0], generator=seeded(seed))
    mode = "training" if train else "eval"
    what = f"DropoutMLP{(*sizes, p1, p2)} in {mode} mode"
    out, records = _linear_trace(model, X, seed)
    _expect_three_linears(what, records, sizes)
    out = expect_tensor(f"{what}: output", out)
    if tuple(out.shape) != (num_examples, sizes[3]):
        fail(f"{what}: output shape", (num_examples, sizes[3]), tuple(out.shape),
             "return the logits of the last nn.Linear, one row per example")
    (_, in1, out1), (_, in2, out2), (_, in3, out3) = records
    _equal = _expect_equal_stage
    _equal(f"{what}: input of the first nn.Linear", in1, X,
           "feed X to the first layer as it is: no dropout on the input here")
    _equal(f"{what}: output of the model", out.detach(), out3,
           "return the output of the last nn.Linear unchanged: no ReLU and no dropout on the "
           "output layer (dropping logits would make predictions random)")
    for number, (before, after, p) in enumerate(((out1, in2, p1), (out2, in3, p2)), start=1):
        h = F.relu(before)
        stage = f"{what}: input of nn.Linear {number + 1} (hidden layer {number} after ReLU and dropout)"
        if not train or p == 0:
            hint = (f"in eval mode hidden layer {number} is just ReLU(linear): dropout must follow "
                    "self.training (use your Dropout module)" if not train else
                    f"with p{number} = 0 nothing is dropped")
            _equal(stage, after, h, hint)
            continue
        active = h > 0
        scaled = torch.where(after == 0, torch.zeros_like(h), h / (1 - p))
        _equal(stage, after, scaled,
               f"hidden layer {number} is ReLU(linear) followed by dropout with p{number} = {p}: "
               "each unit either 0 or ReLU(z) / (1 - p)")
        _expect_zero_fraction(f"{stage}: active units dropped", after, p, among=active)


def check_dropout_mlp(DropoutMLP, hidden: bool = False) -> bool:
    """Visible: layer shapes, eval mode deterministic, dropout p1 and p2 after the hidden layers only.

    Hidden: other sizes and probabilities, p = 0 in training mode, eval after train.
    """
    sizes = (20, 64, 48, 5)

    @case(f"DropoutMLP{(*sizes, 0.2, 0.5)} in eval mode")
    def eval_mode():
        mlp_pass_case(DropoutMLP, sizes, 0.2, 0.5, train=False, seed=30)

    @case(f"DropoutMLP{(*sizes, 0.2, 0.5)} in training mode")
    def training():
        mlp_pass_case(DropoutMLP, sizes, 0.2, 0.5, train=True, seed=31)

    visible = [eval_mode, training]
    return run_suite("DropoutMLP", hidden_cases("dropout", "dropout_mlp", DropoutMLP)
                     if hidden else visible, forbidden=DROPOUT)


# -- evaluate_accuracy ---------------------------------------------------------------------------

class _Spy(nn.Module):
    """Identity layer that records (training flag, grad enabled) at every forward call."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, X):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return X


def _accuracy_model(seed: int, num_features: int, num_classes: int, p: float = 0.5):
    """Spy -> Dropout(p) -> Linear, float64, with seeded weights."""
    with seeded_global(seed, numpy_and_python=True):
        linear = nn.Linear(num_features, num_classes, dtype=f64)
    with torch.no_grad():
        g = seeded(seed)
        linear.weight.copy_(torch.randn(num_classes, num_features, generator=g, dtype=f64))
        linear.bias.copy_(torch.randn(num_classes, generator=g, dtype=f64))
    spy = _Spy()
    return nn.Sequential(spy, nn.Dropout(p), linear), spy, linear


def _accuracy_data(seed: int, num_examples: int, num_features: int, num_classes: int, linear):
    """X and labels that agree with the model's eval-mode predictions on about 60% of the rows."""
    g = seeded(seed + 1)
    X = torch.randn(num_examples, num_features, generator=g, dtype=f64)
    y = linear(X).detach().argmax(1)
    flip = torch.rand(num_examples, generator=g) < 0.4
    y[flip] = (y[flip] + torch.randint(1, num_classes, (num_examples,), generator=g)[flip]) % num_classes
    return X, y


def _reference_accuracy(linear, X, y) -> float:
    from sklearn.metrics import accuracy_score
    return float(accuracy_score(y.numpy(), linear(X).detach().argmax(1).numpy()))


def _expect_accuracy(what: str, got, expected: float) -> float:
    return expect_scalar_close(what, got, expected,
                               "the fraction (0..1) of rows whose largest logit (argmax over "
                               "dim 1) is the label, computed in eval mode", atol=1e-9)


def check_evaluate_accuracy(evaluate_accuracy, hidden: bool = False) -> bool:
    """Visible: value vs scikit-learn on a model with dropout, eval mode used, mode restored.

    Hidden: a model already in eval mode stays in eval mode, no autograd graph, other sizes.
    """
    def evaluate(seed, num_examples, num_classes, start_training=True):
        model, spy, linear = _accuracy_model(seed, 6, num_classes)
        X, y = _accuracy_data(seed, num_examples, 6, num_classes, linear)
        model.train(start_training)
        got = _call_seeded(evaluate_accuracy, seed, model, X, y)
        return model, spy, got, _reference_accuracy(linear, X, y)

    @case("evaluate_accuracy on a model with dropout, 50 examples, 4 classes")
    def value():
        model, spy, got, expected = evaluate(40, 50, 4)
        if any(training for training, _ in spy.calls):
            fail("model.training during evaluate_accuracy's forward pass", False, True,
                 "call model.eval() before predicting: with dropout on, the test accuracy is random "
                 "and too low (d2l-en #1093)")
        _expect_accuracy("evaluate_accuracy(model, X, y)", got, expected)

    @case("the model's mode after evaluate_accuracy")
    def restores_training():
        model, _, _, _ = evaluate(41, 30, 3)
        if not all(m.training for m in model.modules()):
            fail("model.training after evaluate_accuracy on a model in training mode", True, False,
                 "remember model.training before model.eval() and restore it at the end, e.g. "
                 "model.train(was_training)")

    visible = [value, restores_training]
    return run_suite("evaluate_accuracy", hidden_cases("dropout", "evaluate_accuracy", evaluate_accuracy,
                                                       evaluate=evaluate)
                     if hidden else visible)


# -- train_classifier ----------------------------------------------------------------------------

# Fixed test vectors: nn.Linear(3, 3) in float64 from W0, b0, trained with torch.optim.Adam on the
# full batch (X, y) for 4 epochs with lr = 0.5. Computed with torch 2.13 and re-derived in
# tests/checks/test_dropout.py by an independent loop.
TRAIN_VECTOR = {
    "W0": [[0.2, -0.1, 0.3], [-0.3, 0.4, 0.1], [0.1, 0.2, -0.4]],
    "b0": [0.05, -0.05, 0.0],
    "X": [[1.0, 0.0, 0.5], [0.2, 1.0, -0.3], [-0.5, 0.3, 1.0], [0.9, -0.4, 0.1],
          [-0.2, 0.8, 0.6], [0.4, 0.5, -0.9]],
    "y": [2, 0, 1, 1, 2, 0],
    "X_test": [[0.7, 0.1, 0.2], [-0.1, 0.9, 0.4], [0.3, -0.6, 0.8], [0.0, 0.2, -1.0]],
    "y_test": [2, 0, 1, 0],
    "lr": 0.5,
    "epochs": 4,
}
TRAIN_EXPECTED = {
    "train_loss": [1.3035906866709288, 1.0582573465659613, 0.6626557261149201, 0.557941084804691],
    "train_acc": [0.5, 1.0, 0.8333333333333334, 1.0],
    "test_acc": [0.5, 0.75, 1.0, 1.0],
    "W": [[0.19806325774184816, 1.7231924368467944, -1.5851282127331028],
          [-0.6456548607369094, -1.510679411029107, 1.905895765266075],
          [0.4820653977704888, 0.232941031635706, 1.5160032298385153]],
    "b": [0.2675163016266464, 0.30350246627802185, -0.3230252714687527],
}


def vector_model(vector: dict) -> nn.Linear:
    with seeded_global(0, numpy_and_python=True):
        model = nn.Linear(3, 3, dtype=f64)
    with torch.no_grad():
        model.weight.copy_(torch.tensor(vector["W0"], dtype=f64))
        model.bias.copy_(torch.tensor(vector["b0"], dtype=f64))
    return model


def vector_data(vector: dict):
    return (torch.tensor(vector["X"], dtype=f64), torch.tensor(vector["y"]),
            torch.tensor(vector["X_test"], dtype=f64), torch.tensor(vector["y_test"]))


def _unpack_history(history, epochs: int, with_test: bool) -> dict:
    keys = ("train_loss", "train_acc", "test_acc")
    if not isinstance(history, dict) or set(history) != set(keys):
        fail("train_classifier(...)", f"a dict with the keys {list(keys)}",
             f"{type(history).__name__}" + (f" with keys {sorted(history)}" if isinstance(history, dict) else ""),
             "end with `return history`, history = {'train_loss': [], 'train_acc': [], 'test_acc': []}")
    for key in keys:
        length = epochs if key != "test_acc" or with_test else 0
        values = history[key]
        if not isinstance(values, list) or len(values) != length:
            fail(f"history['{key}']", f"a list of {length} numbers",
                 f"{type(values).__name__} of length {len(values) if hasattr(values, '__len__') else '?'}",
                 "append one number per epoch" + ("" if with_test or key != "test_acc" else
                                                  "; leave test_acc empty when X_test is None"))
        for value in values:
            if isinstance(value, torch.Tensor) and (value.requires_grad or value.dim() != 0):
                fail(f"an entry of history['{key}']", "a float",
                     f"a tensor of shape {tuple(value.shape)}" + (" that keeps the autograd graph"
                                                                  if value.requires_grad else ""),
                     "store loss.item(), not the loss tensor")
    return {key: [float(v) for v in history[key]] for key in keys}


def _expect_list_close(what: str, got: list, expected: list, hint: str, atol: float) -> None:
    expect_close(what, torch.tensor(got, dtype=f64), torch.tensor(expected, dtype=f64), hint,
                 atol=atol, rtol=0)


_TRAIN_HINT = ("each epoch is one full-batch step: model.train(), zero the gradients, "
               "loss = F.cross_entropy(model(X), y), backward, optimizer.step() with "
               "torch.optim.Adam(model.parameters(), lr=lr) created once before the loop")


def check_train_classifier(train_classifier, hidden: bool = False) -> bool:
    """Visible: fixed test vectors (losses, accuracies, final weights). Hidden: training mode,
    no test set, inputs untouched, one epoch."""
    vector, expected = TRAIN_VECTOR, TRAIN_EXPECTED
    epochs, lr = vector["epochs"], vector["lr"]

    def run(with_test=True, epochs=epochs, model=None):
        model = vector_model(vector) if model is None else model
        X, y, X_test, y_test = vector_data(vector)
        test = (X_test, y_test) if with_test else (None, None)
        history = _call_seeded(train_classifier, 50, model, X, y, epochs, lr, *test)
        return model, _unpack_history(history, epochs, with_test)

    @case("train_classifier on the fixed test vector (4 epochs, lr 0.5)")
    def losses():
        _, history = run()
        initial = F.cross_entropy(vector_model(vector)(vector_data(vector)[0]),
                                  vector_data(vector)[1]).item()
        expect_scalar_close("history['train_loss'][0]", history["train_loss"][0], initial,
                            "record loss.item() of each epoch's forward pass, computed before "
                            "optimizer.step(): the mean cross-entropy of the logits "
                            "(F.cross_entropy applies log-softmax itself)", atol=1e-10)
        _expect_list_close("history['train_loss']", history["train_loss"], expected["train_loss"],
                           _TRAIN_HINT, atol=1e-9)

    @case("the weights after train_classifier on the fixed test vector")
    def weights():
        model, _ = run()
        expect_close("model.weight after 4 epochs", model.weight, torch.tensor(expected["W"], dtype=f64),
                     _TRAIN_HINT, atol=1e-9)
        expect_close("model.bias after 4 epochs", model.bias, torch.tensor(expected["b"], dtype=f64),
                     _TRAIN_HINT, atol=1e-9)

    @case("the accuracies recorded by train_classifier")
    def accuracies():
        _, history = run()
        hint = ("after each epoch's step record evaluate_accuracy(model, X, y) and "
                "evaluate_accuracy(model, X_test, y_test), not the accuracy of the training "
                "forward pass (made before the step, with dropout on)")
        # accuracies are k / N; 1e-6 allows a float32 mean, one example more or less is >= 0.17
        _expect_list_close("history['train_acc']", history["train_acc"], expected["train_acc"],
                           hint, atol=1e-6)
        _expect_list_close("history['test_acc']", history["test_acc"], expected["test_acc"],
                           hint, atol=1e-6)

    visible = [losses, weights, accuracies]
    return run_suite("train_classifier",
                     hidden_cases("dropout", "train_classifier", train_classifier, run=run,
                                  vector=vector, expected=expected, lr=lr)
                     if hidden else visible)
