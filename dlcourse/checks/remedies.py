"""Checks for 05_remedies: batch normalization, momentum and Adam steps, training-health ratios.

References are library routines: F.batch_norm, nn.BatchNorm1d, torch.optim.SGD(momentum=...),
torch.optim.Adam and numpy's std, or fixed hand-checked vectors. Exactness checks run in float64.
N is the batch size and D the number of features.

The `*_case` functions are module level so that tests can rerun them on many seeds.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .hidden import cases as hidden_cases
from .rules import NORMALIZATION, TORCH_OPTIM
from ._core import (call, case, expect_close, expect_scalar_close, expect_shape, expect_tensor, fail,
                    run_suite, seeded)

f64 = torch.float64
# float64 results must agree with the torch reference to rounding error; float32 ones to ~1e-5
TOL = {torch.float64: dict(atol=1e-10, rtol=1e-8), torch.float32: dict(atol=2e-5, rtol=1e-4)}


def _unpack(got, count: int, what: str, names: str):
    if not isinstance(got, (tuple, list)) or len(got) != count:
        fail(what, f"a tuple of {count} tensors ({names})",
             f"{type(got).__name__}" + (f" of length {len(got)}" if hasattr(got, "__len__") else ""),
             f"return {names} together, e.g. `return {names}`")
    return got


def _suite(name: str, cases, forbidden=None) -> bool:
    """run_suite under a forked global RNG: building reference modules (nn.Linear) or a student's
    module must not change the student's random stream."""
    with torch.random.fork_rng(devices=[]):
        return run_suite(name, cases, forbidden=forbidden)


def _same(a, b, tol=1e-9) -> bool:
    return (isinstance(a, torch.Tensor) and a.shape == b.shape
            and torch.allclose(a.detach().double(), b.detach().double(), atol=tol, rtol=1e-6))


def _untouched(what: str, pairs) -> None:
    for name, before, after in pairs:
        if not torch.equal(before, after):
            fail(f"{name} after {what}", "unchanged", "modified in place",
                 "build new tensors (a = b * c, not b.mul_(c) or b -= ...) and return them")


# -- batch norm inputs ---------------------------------------------------------------------------

def bn_inputs(seed: int, batch_size: int = 4, num_features: int = 3, dtype=f64):
    """X (N, D) with shifted, scaled columns, gamma, beta, running_mean and running_var (all (D,))
    from a seeded generator. In float64, column 0 has a tiny spread, so that eps matters (in
    float32 its rounding noise would exceed the tolerance)."""
    g = seeded(seed)
    X = torch.randn(batch_size, num_features, generator=g, dtype=f64)
    X = X * (0.5 + 2 * torch.rand(num_features, generator=g, dtype=f64)) \
        + 3 * torch.randn(num_features, generator=g, dtype=f64)
    if dtype == f64:
        X[:, 0] = 1e-3 * X[:, 0] + 1.0      # variance ~1e-6, well below eps = 1e-5
    gamma = 1 + 0.5 * torch.randn(num_features, generator=g, dtype=f64)
    beta = torch.randn(num_features, generator=g, dtype=f64)
    running_mean = 0.5 * torch.randn(num_features, generator=g, dtype=f64)
    running_var = 0.5 + torch.rand(num_features, generator=g, dtype=f64)
    return tuple(t.to(dtype) for t in (X, gamma, beta, running_mean, running_var))


def _ref_train(X, gamma, beta, running_mean, running_var, momentum, eps):
    new_mean, new_var = running_mean.clone(), running_var.clone()
    Y = F.batch_norm(X, new_mean, new_var, gamma, beta, training=True, momentum=momentum, eps=eps)
    return Y, new_mean, new_var


def _normalize_with(X, gamma, beta, mean, var, eps):
    """gamma·(X - mean)/sqrt(var + eps) + beta for given statistics, via F.batch_norm."""
    return F.batch_norm(X, mean, var, gamma, beta, training=False, eps=eps)


def _bn_output_hint(Y, X, gamma, beta, eps) -> str:
    X, gamma, beta = X.double(), gamma.double(), beta.double()
    mean, var = X.mean(0), X.var(0, unbiased=False)
    suspects = [
        (_normalize_with(X, gamma, beta, mean, X.var(0, unbiased=True), eps),
         "normalize with the biased batch variance (divide by N, unbiased=False); the unbiased "
         "one (N - 1) is only for running_var"),
        (_normalize_with(X, gamma, beta, mean, (var.sqrt() + eps) ** 2, 0.0),
         "eps goes inside the square root: sqrt(var + eps), not sqrt(var) + eps"),
        (_normalize_with(X, gamma, beta, mean, var, 0.0), "add eps to the variance before the sqrt"),
        (F.layer_norm(X, X.shape[1:], eps=eps) * gamma + beta,
         "batch norm averages each feature over the batch: reduce over dim 0 (the rows), not dim 1"),
        (_normalize_with(X, None, None, mean, var, eps), "scale by gamma and shift by beta at the end"),
    ]
    for candidate, hint in suspects:
        if _same(Y, candidate, 1e-6):
            return hint
    return ("for each feature (column): subtract the batch mean, divide by sqrt(biased batch "
            "variance + eps), then multiply by gamma and add beta")


def _running_hint(name: str, got, old, batch_stat, momentum, other_stat=None, other_hint="") -> str:
    if _same(got, old):
        return f"update {name}: it must move towards the batch statistic"
    if _same(got, batch_stat):
        return f"blend the old {name} with the batch statistic, do not replace it"
    if _same(got, momentum * old + (1 - momentum) * batch_stat):
        return ("PyTorch's momentum weights the NEW batch: new = (1 - momentum)·old + "
                "momentum·batch (D2L-zh's momentum = 0.9 weights the old value instead)")
    if other_stat is not None and _same(got, (1 - momentum) * old + momentum * other_stat):
        return other_hint
    return f"new {name} = (1 - momentum)·old + momentum·(batch statistic)"


def batchnorm_train_case(batchnorm_train, seed: int, batch_size: int = 4, num_features: int = 3,
                         momentum: float | None = None, eps: float | None = None,
                         dtype=f64) -> None:
    """Y, new running mean and new running var against F.batch_norm(training=True)."""
    X, gamma, beta, rm, rv = bn_inputs(seed, batch_size, num_features, dtype)
    kwargs = {k: v for k, v in (("momentum", momentum), ("eps", eps)) if v is not None}
    m, e = kwargs.get("momentum", 0.1), kwargs.get("eps", 1e-5)
    args = tuple(t.clone() for t in (X, gamma, beta, rm, rv))
    what = f"batchnorm_train on X of shape {tuple(X.shape)}"
    Y, new_mean, new_var = _unpack(call(batchnorm_train, *args, **kwargs), 3, what,
                                   "Y, new_running_mean, new_running_var")
    _untouched(what, zip(("X", "gamma", "beta", "running_mean", "running_var"), (X, gamma, beta, rm, rv),
                         args))
    ref_Y, ref_mean, ref_var = _ref_train(X, gamma, beta, rm, rv, m, e)
    tol = TOL[dtype]
    for name, got in (("Y", Y), ("new_running_mean", new_mean), ("new_running_var", new_var)):
        expect_tensor(f"{name} of {what}", got)
        if got.dtype != dtype:
            fail(f"{name} dtype for {dtype} input", dtype, got.dtype, "compute with X's dtype")
    expect_close(f"Y of {what} (momentum={m}, eps={e})", Y, ref_Y,
                 _bn_output_hint(Y, X, gamma, beta, e), **tol)
    mean, var_b, var_u = X.mean(0), X.var(0, unbiased=False), X.var(0, unbiased=True)
    expect_close(f"new_running_mean of {what} (momentum={m})", new_mean, ref_mean,
                 _running_hint("running_mean", new_mean, rm, mean, m), **tol)
    expect_close(f"new_running_var of {what} (momentum={m})", new_var, ref_var,
                 _running_hint("running_var", new_var, rv, var_u, m, var_b,
                               "running_var is updated with the UNBIASED batch variance (divide "
                               "by N - 1), as PyTorch does, although Y uses the biased one"), **tol)


# -- batchnorm_train -----------------------------------------------------------------------------

def check_batchnorm_train(batchnorm_train, hidden: bool = False) -> bool:
    """Visible: Y and running statistics vs F.batch_norm (N = 4). Hidden: N = 8, other momentum
    and eps, float32, gradients, gradcheck, detached statistics, inputs untouched, errors."""

    @case("batchnorm_train on X of shape (4, 3)")
    def shapes():
        X, gamma, beta, rm, rv = bn_inputs(0)
        Y, new_mean, new_var = _unpack(call(batchnorm_train, X, gamma, beta, rm, rv), 3,
                                       "batchnorm_train(X, gamma, beta, running_mean, running_var)",
                                       "Y, new_running_mean, new_running_var")
        expect_shape("Y", Y, (4, 3), "Y has X's shape (N, D)")
        expect_shape("new_running_mean", new_mean, (3,), "one running mean per feature: shape (D,)")
        expect_shape("new_running_var", new_var, (3,), "one running variance per feature: shape (D,)")

    @case("batchnorm_train on X of shape (4, 3) against F.batch_norm")
    def small_batch():
        batchnorm_train_case(batchnorm_train, seed=0)

    visible = [shapes, small_batch]
    return _suite("batchnorm_train", hidden_cases("remedies", "batchnorm_train", batchnorm_train)
                  if hidden else visible, forbidden=NORMALIZATION)


# -- batchnorm_eval ------------------------------------------------------------------------------

def _bn_eval_hint(Y, X, gamma, beta, rm, rv, eps) -> str:
    X, gamma, beta, rm, rv = (t.double() for t in (X, gamma, beta, rm, rv))
    mean, var = X.mean(0), X.var(0, unbiased=False)
    suspects = [
        (_normalize_with(X, gamma, beta, mean, var, eps),
         "in eval mode use running_mean and running_var, not the statistics of the batch"),
        (_normalize_with(X, gamma, beta, rm, (rv.sqrt() + eps) ** 2, 0.0),
         "eps goes inside the square root: sqrt(running_var + eps)"),
        (_normalize_with(X, gamma, beta, rm, rv, 0.0), "add eps to running_var before the sqrt"),
        (_normalize_with(X, gamma, beta, rm, (rv + eps) ** 2, 0.0),
         "running_var is a variance: divide by the square root of running_var + eps"),
        (_normalize_with(X, None, None, rm, rv, eps), "scale by gamma and shift by beta at the end"),
    ]
    for candidate, hint in suspects:
        if _same(Y, candidate, 1e-6):
            return hint
    return "Y = gamma·(X - running_mean)/sqrt(running_var + eps) + beta, feature by feature"


def batchnorm_eval_case(batchnorm_eval, seed: int, batch_size: int = 5, num_features: int = 3,
                        eps: float | None = None, dtype=f64) -> None:
    """Y against F.batch_norm(training=False); no input modified."""
    X, gamma, beta, rm, rv = bn_inputs(seed, batch_size, num_features, dtype)
    rv[0] = 2e-6                                   # a nearly constant feature: eps matters
    kwargs = {"eps": eps} if eps is not None else {}
    e = kwargs.get("eps", 1e-5)
    args = tuple(t.clone() for t in (X, gamma, beta, rm, rv))
    what = f"batchnorm_eval on X of shape {tuple(X.shape)}"
    Y = call(batchnorm_eval, *args, **kwargs)
    _untouched(what, zip(("X", "gamma", "beta", "running_mean", "running_var"), (X, gamma, beta, rm, rv),
                         args))
    expect_shape(f"Y of {what}", Y, X.shape, "Y has X's shape (N, D)")
    if Y.dtype != dtype:
        fail(f"Y dtype for {dtype} input", dtype, Y.dtype, "compute with X's dtype")
    expect_close(f"Y of {what} (eps={e})", Y,
                 F.batch_norm(X, rm, rv, gamma, beta, training=False, eps=e),
                 _bn_eval_hint(Y, X, gamma, beta, rm, rv, e), **TOL[dtype])


def check_batchnorm_eval(batchnorm_eval, hidden: bool = False) -> bool:
    """Visible: Y vs F.batch_norm(training=False). Hidden: one-example batches, rows independent,
    other eps, float32, gradients."""

    @case("batchnorm_eval on X of shape (5, 3) against F.batch_norm(training=False)")
    def value():
        batchnorm_eval_case(batchnorm_eval, seed=10)

    visible = [value]
    return _suite("batchnorm_eval", hidden_cases("remedies", "batchnorm_eval", batchnorm_eval)
                  if hidden else visible, forbidden=NORMALIZATION)


# -- BatchNorm1d ---------------------------------------------------------------------------------

def _module_parts(module, num_features: int) -> None:
    """gamma/beta parameters and running_mean/running_var buffers with PyTorch's initial values."""
    if not isinstance(module, nn.Module):
        fail("BatchNorm1d(...)", "an nn.Module", type(module).__name__,
             "subclass nn.Module and call super().__init__() first")
    params, buffers = dict(module.named_parameters()), dict(module.named_buffers())
    if set(params) != {"gamma", "beta"}:
        fail("the parameters of BatchNorm1d", "exactly ['beta', 'gamma']", sorted(params),
             "store gamma and beta as nn.Parameter attributes self.gamma and self.beta; "
             "the running statistics are buffers, not parameters")
    for name, value in (("running_mean", 0.0), ("running_var", 1.0)):
        if name not in buffers:
            fail(f"buffer {name} of BatchNorm1d", "registered (in module.named_buffers())",
                 "missing", f"use self.register_buffer('{name}', ...) so that .to(), .double() "
                 "and state_dict() see it")
    for name, tensor, value in (("gamma", params["gamma"], 1.0), ("beta", params["beta"], 0.0),
                                ("running_mean", buffers["running_mean"], 0.0),
                                ("running_var", buffers["running_var"], 1.0)):
        expect_shape(f"BatchNorm1d({num_features}).{name}", tensor, (num_features,),
                     "one value per feature: shape (num_features,), like torch.nn.BatchNorm1d")
        if not torch.all(tensor == value):
            fail(f"initial BatchNorm1d.{name}", f"all {value}", "other values",
                 "start as the identity: gamma = 1, beta = 0, running_mean = 0, running_var = 1")


def _paired(BatchNorm1d, num_features: int, seed: int, **kwargs):
    """The student's module and torch's, float64, with the same random gamma and beta."""
    module = call(BatchNorm1d, num_features, **kwargs)
    _module_parts(module, num_features)
    module = module.double()
    ref = nn.BatchNorm1d(num_features, dtype=f64, **kwargs)
    g = seeded(seed)
    with torch.no_grad():
        ref.weight.copy_(1 + 0.5 * torch.randn(num_features, generator=g, dtype=f64))
        ref.bias.copy_(torch.randn(num_features, generator=g, dtype=f64))
        module.gamma.copy_(ref.weight)
        module.beta.copy_(ref.bias)
    return module, ref


def _batches(seed: int, count: int, batch_size: int, num_features: int):
    g = seeded(seed)
    return [torch.randn(batch_size, num_features, generator=g, dtype=f64) * (1 + i)
            + 2 * torch.randn(num_features, generator=g, dtype=f64) for i in range(count)]


def _compare_modules(module, ref, what: str, hint: str) -> None:
    for name in ("running_mean", "running_var"):
        expect_close(f"{name} {what}", getattr(module, name), getattr(ref, name), hint, **TOL[f64])


def batchnorm_module_case(BatchNorm1d, seed: int, num_steps: int = 5, batch_size: int = 6,
                          num_features: int = 4, **kwargs) -> None:
    """num_steps training forwards, then one eval forward, against torch.nn.BatchNorm1d."""
    module, ref = _paired(BatchNorm1d, num_features, seed, **kwargs)
    settings = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    module.train(), ref.train()
    batches = _batches(seed + 1, num_steps + 1, batch_size, num_features)
    for step, X in enumerate(batches[:-1], start=1):
        expect_close(f"training-mode output at step {step} ({settings or 'defaults'})",
                     call(module, X.clone()), ref(X),
                     "in training mode forward uses batchnorm_train with self.gamma, self.beta and "
                     "the module's momentum and eps", **TOL[f64])
        _compare_modules(module, ref, f"after training step {step} ({settings or 'defaults'})",
                         "store the new running statistics returned by batchnorm_train in the "
                         "buffers (self.running_mean = ...) at every training step")
    module.eval(), ref.eval()
    expect_close(f"eval-mode output after {num_steps} training steps", call(module, batches[-1]),
                 ref(batches[-1]), "in eval mode forward uses batchnorm_eval with the running "
                 "statistics; decide with self.training (set by .train() and .eval()), not with "
                 "torch.is_grad_enabled()", **TOL[f64])
    _compare_modules(module, ref, "after an eval-mode forward",
                     "eval mode must not change the running statistics")


def check_BatchNorm1d(BatchNorm1d, hidden: bool = False) -> bool:
    """Visible: parameters and buffers; 5 training steps then eval vs torch.nn.BatchNorm1d.
    Hidden: momentum/eps arguments, mode switch independent of autograd, gradients, float32."""

    @case("BatchNorm1d(4)")
    def parts():
        _module_parts(call(BatchNorm1d, 4), 4)

    @case("BatchNorm1d(4): 5 training steps, then eval, against torch.nn.BatchNorm1d")
    def steps():
        batchnorm_module_case(BatchNorm1d, seed=20)

    visible = [parts, steps]
    return _suite("BatchNorm1d", hidden_cases("remedies", "BatchNorm1d", BatchNorm1d)
                  if hidden else visible, forbidden=NORMALIZATION)


# -- sgd_momentum_step ---------------------------------------------------------------------------

def _grad_sequence(seed: int, num_steps: int, shape, dtype=f64):
    g = seeded(seed)
    w0 = torch.randn(*shape, generator=g, dtype=f64)
    grads = [torch.randn(*shape, generator=g, dtype=f64) * (1 + 0.5 * i) for i in range(num_steps)]
    return w0.to(dtype), [gr.to(dtype) for gr in grads]


def _torch_sgd(w0, grads, lr, momentum):
    """Weights and momentum buffers after each torch.optim.SGD(momentum=...) step."""
    w = w0.detach().clone().double().requires_grad_(True)
    opt = torch.optim.SGD([w], lr=lr, momentum=momentum)
    out = []
    for grad in grads:
        w.grad = grad.detach().double().clone()
        opt.step()
        buf = opt.state[w].get("momentum_buffer")
        out.append((w.detach().clone(), (buf if buf is not None else w.grad).clone()))
    return out


def momentum_case(sgd_momentum_step, seed: int, num_steps: int = 3, shape=(5,), lr: float = 0.1,
                  momentum: float = 0.9, dtype=f64) -> None:
    """num_steps calls, feeding back the returned buffer, against torch.optim.SGD(momentum=...)."""
    w0, grads = _grad_sequence(seed, num_steps, shape, dtype)
    expected = _torch_sgd(w0, grads, lr, momentum)
    w, buf = w0.clone(), None
    for step, (grad, (ref_w, ref_buf)) in enumerate(zip(grads, expected), start=1):
        what = f"step {step} of sgd_momentum_step(lr={lr}, momentum={momentum})"
        inputs = [("w", w, w.clone()), ("grad", grad, grad.clone())]
        if buf is not None:
            inputs.append(("buf", buf, buf.clone()))
        new_w, new_buf = _unpack(call(sgd_momentum_step, w, grad, buf, lr, momentum), 2, what,
                                 "new_w, new_buf")
        _untouched(what, [(n, copy, t) for n, t, copy in inputs])
        expect_tensor(f"new_buf after {what}", new_buf)
        if step == 1 and _same(new_buf, (1 - momentum) * grad) and momentum != 0:
            hint = ("PyTorch's buffer starts as the gradient itself (v = g on the first step) and "
                    "then follows v ← momentum·v + g, without a (1 - momentum) factor")
        elif step == 1 and _same(new_buf, -lr * grad):
            hint = ("the buffer holds the velocity in gradient units, v ← momentum·v + g; the "
                    "learning rate only multiplies v when w is updated")
        else:
            hint = ("PyTorch's convention: v = g on the first step, then v ← momentum·v + g "
                    "(no (1 - momentum) factor)")
        expect_close(f"new_buf after {what}", new_buf, ref_buf, hint, **TOL[dtype])
        expect_close(f"new_w after {what}", new_w, ref_w,
                     "move against the buffer, not the raw gradient: w ← w - lr·v", **TOL[dtype])
        w, buf = new_w, new_buf


def check_sgd_momentum_step(sgd_momentum_step, hidden: bool = False) -> bool:
    """Visible: 3 steps vs torch.optim.SGD(momentum=0.9) in float64. Hidden: momentum 0, 2-D
    weights, 10 steps with momentum 0.99, float32, inputs untouched, buffer is a copy of grad."""

    @case("sgd_momentum_step: 3 steps with lr 0.1, momentum 0.9")
    def three_steps():
        momentum_case(sgd_momentum_step, seed=30)

    visible = [three_steps]
    return _suite("sgd_momentum_step", hidden_cases("remedies", "sgd_momentum_step", sgd_momentum_step)
                  if hidden else visible, forbidden=TORCH_OPTIM)


# -- adam_step -----------------------------------------------------------------------------------

def _torch_adam(w0, grads, lr, betas, eps):
    """Weights, exp_avg and exp_avg_sq after each torch.optim.Adam step (float64)."""
    w = w0.detach().clone().double().requires_grad_(True)
    opt = torch.optim.Adam([w], lr=lr, betas=betas, eps=eps)
    out = []
    for grad in grads:
        w.grad = grad.detach().double().clone()
        opt.step()
        state = opt.state[w]
        out.append((w.detach().clone(), state["exp_avg"].clone(), state["exp_avg_sq"].clone()))
    return out


def _adam_grads(seed: int, num_steps: int, shape, dtype=f64):
    """Gradients whose last entry is tiny (|g| ~ 1e-9 ≪ eps), so the place of eps matters."""
    w0, grads = _grad_sequence(seed, num_steps, shape, dtype)
    for grad in grads:
        grad.view(-1)[-1] *= 1e-9
    return w0, grads


def adam_case(adam_step, seed: int, num_steps: int = 5, shape=(6,), lr: float = 0.01,
              betas=None, eps=None, dtype=f64) -> None:
    """num_steps calls with t = 1, 2, ... against torch.optim.Adam."""
    kwargs = {k: v for k, v in (("betas", betas), ("eps", eps)) if v is not None}
    b1, b2 = kwargs.get("betas", (0.9, 0.999))
    e = kwargs.get("eps", 1e-8)
    w0, grads = _adam_grads(seed, num_steps, shape, dtype)
    expected = _torch_adam(w0, grads, lr, (b1, b2), e)
    w, m, v = w0.clone(), torch.zeros_like(w0), torch.zeros_like(w0)
    settings = f"lr={lr}" + "".join(f", {k}={val}" for k, val in kwargs.items())
    tol = TOL[dtype]
    for t, (grad, (ref_w, ref_m, ref_v)) in enumerate(zip(grads, expected), start=1):
        what = f"adam_step at t={t} ({settings})"
        inputs = [("w", w, w.clone()), ("grad", grad, grad.clone()), ("m", m, m.clone()),
                  ("v", v, v.clone())]
        new_w, new_m, new_v = _unpack(call(adam_step, w, grad, m, v, t, lr, **kwargs), 3, what,
                                      "new_w, m, v")
        _untouched(what, [(n, copy, tensor) for n, tensor, copy in inputs])
        for name, got, ref, bc, formula in (("m", new_m, ref_m, 1 - b1 ** t, "β1·m + (1 - β1)·grad"),
                                            ("v", new_v, ref_v, 1 - b2 ** t, "β2·v + (1 - β2)·grad²")):
            expect_tensor(f"{name} returned by {what}", got)
            hint = (f"return the raw moving average ({name} ← {formula}); the bias correction only "
                    "enters the update of w" if _same(got, ref / bc) else f"{name} ← {formula}")
            expect_close(f"{name} returned by {what}", got, ref, hint, **tol)
        expect_close(f"new_w of {what}", new_w, ref_w, _adam_w_hint(new_w, w, ref_w, grad, lr, t), **tol)
        w, m, v = new_w, new_m, new_v


def _adam_w_hint(new_w, w, ref_w, grad, lr, t) -> str:
    got_step = (w.double() - new_w.detach().double())
    ref_step = (w.double() - ref_w)
    big = grad.abs() > 1e-4
    if torch.allclose(got_step[big], ref_step[big], rtol=1e-4, atol=1e-12):
        return ("the weights with a tiny gradient are off: add eps to sqrt(v̂) outside the square "
                "root, after the bias correction: m̂ / (sqrt(v̂) + eps)")
    if t == 1 and torch.all(torch.sign(got_step[big]) == -torch.sign(grad[big])):
        return "step against the gradient: w ← w - lr·m̂/(sqrt(v̂) + eps)"
    if t == 1:
        size = (got_step[big].abs() / lr).median().item()
        return (f"Adam's first step moves every weight with |grad| ≫ eps by lr·sign(grad), i.e. "
                f"{lr:g}; yours moved by {size:.3g}·lr. Divide m by (1 - β1^t) and v by "
                "(1 - β2^t) (bias correction), with t = 1 on the first step")
    return ("w ← w - lr·m̂/(sqrt(v̂) + eps) with the bias-corrected m̂ = m/(1 - β1^t), "
            "v̂ = v/(1 - β2^t)")


def check_adam_step(adam_step, hidden: bool = False) -> bool:
    """Visible: 5 steps vs torch.optim.Adam in float64. Hidden: other betas, eps and lr,
    2-D weights, 20 steps, float32, t < 1 rejected."""

    @case("adam_step: the first step, t = 1")
    def first_step():
        adam_case(adam_step, seed=40, num_steps=1)

    @case("adam_step: 5 steps with lr 0.01")
    def five_steps():
        adam_case(adam_step, seed=41)

    visible = [first_step, five_steps]
    return _suite("adam_step", hidden_cases("remedies", "adam_step", adam_step)
                  if hidden else visible, forbidden=TORCH_OPTIM)


# -- grad_to_data_ratio and update_to_data_ratio -------------------------------------------------

def _hand_params():
    """p = [[1, 3], [5, 7]] with grad 0.01·p + 0.5 (std ratio exactly 0.01), plus a bias."""
    weight = torch.tensor([[1.0, 3.0], [5.0, 7.0]], dtype=f64, requires_grad=True)
    weight.grad = 0.01 * weight.detach() + 0.5
    bias = torch.tensor([1.0, 2.0], dtype=f64, requires_grad=True)
    bias.grad = torch.tensor([0.5, -0.5], dtype=f64)
    return [weight, bias]


def _small_model(seed: int):
    """A float64 MLP with non-zero-mean weights, after one backward pass."""
    g = seeded(seed)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=f64) + 0.3)
    X = torch.randn(16, 4, generator=g, dtype=f64)
    model(X).pow(2).mean().backward()
    return model


def _np_std(t: torch.Tensor) -> float:
    return float(np.std(t.detach().double().numpy(), ddof=1))


def _ratio_case(fn, name: str, params, expected: list, args=(), hint="") -> None:
    """fn(params, *args) must return one number per 2-D parameter, close to `expected`.

    `hint` is a string, or a function of the returned list that picks a hint."""
    got = call(fn, params, *args)
    if isinstance(got, torch.Tensor) and got.dim() == 1:
        got = list(got)
    if not isinstance(got, (list, tuple)):
        fail(f"{name} result", "a list with one number per 2-D parameter", type(got).__name__,
             "return a Python list, e.g. built with a list comprehension")
    if len(got) != len(expected):
        fail(f"number of values returned by {name}", f"{len(expected)} (one per 2-D parameter)",
             len(got), "iterate over params only once: it may be a generator such as "
             "model.parameters()" if not got else
             "keep only the weight matrices: parameters with p.dim() == 2 (skip biases)")
    for i, (value, ref) in enumerate(zip(got, expected)):
        expect_scalar_close(f"{name} for 2-D parameter {i}", value, ref,
                            hint(got) if callable(hint) else hint, atol=1e-10, rtol=1e-8)


def check_grad_to_data_ratio(grad_to_data_ratio, hidden: bool = False) -> bool:
    """Visible: a hand-checked vector (ratio 0.01) and a small model vs numpy's std.
    Hidden: a generator of parameters, a 4-D parameter skipped, missing gradients."""
    hint = "for each 2-D parameter p: p.grad.std() / p.std() (torch's default, unbiased std)"

    @case("grad_to_data_ratio on a hand-checked weight (ratio 0.01) and a bias")
    def hand_vector():
        _ratio_case(grad_to_data_ratio, "grad_to_data_ratio", _hand_params(), [0.01], hint=hint)

    def model_expected(model):
        return [_np_std(p.grad) / _np_std(p) for p in model.parameters() if p.dim() == 2]

    @case("grad_to_data_ratio on a 3-layer MLP's parameters (a list)")
    def model_list():
        model = _small_model(50)
        _ratio_case(grad_to_data_ratio, "grad_to_data_ratio", list(model.parameters()),
                    model_expected(model), hint=hint)

    visible = [hand_vector, model_list]
    return _suite("grad_to_data_ratio",
                  hidden_cases("remedies", "grad_to_data_ratio", grad_to_data_ratio, hint=hint,
                               model_expected=model_expected) if hidden else visible)


def _update_hint(params, lr):
    """A function of the student's list that names the likely slip (no log, ln, no lr)."""
    p = [p for p in params if p.dim() == 2][0]
    ratio = lr * _np_std(p.grad) / _np_std(p)
    suspects = ((ratio, "return log10 of the ratio (-3 means updates are 1/1000 of the weights)"),
                (math.log(ratio), "use the base-10 logarithm (torch.log10), not the natural log"),
                (math.log10(ratio / lr), "scale the gradient by lr: SGD's update is lr·grad"))

    def hint(got) -> str:
        first = float(got[0])
        for value, text in suspects:
            if abs(first - value) < 1e-6 * max(1.0, abs(value)):
                return text
        return "for each 2-D parameter p: log10(std(lr·p.grad) / std(p))"
    return hint


def check_update_to_data_ratio(update_to_data_ratio, hidden: bool = False) -> bool:
    """Visible: a hand-checked vector (exactly −3) and a small model vs numpy.
    Hidden: other lr, a generator of parameters, missing gradients."""

    def model_expected(model, lr):
        return [math.log10(lr * _np_std(p.grad) / _np_std(p)) for p in model.parameters() if p.dim() == 2]

    @case("update_to_data_ratio with lr 0.1 on a hand-checked weight (exactly -3) and a bias")
    def hand_vector():
        params = _hand_params()
        _ratio_case(update_to_data_ratio, "update_to_data_ratio", params, [-3.0], args=(0.1,),
                    hint=_update_hint(params, 0.1))

    def model_case(seed, lr, generator=False):
        model = _small_model(seed)
        params = model.parameters() if generator else list(model.parameters())
        _ratio_case(update_to_data_ratio, f"update_to_data_ratio (lr={lr})", params,
                    model_expected(model, lr), args=(lr,), hint=_update_hint(model.parameters(), lr))

    @case("update_to_data_ratio on a 3-layer MLP's parameters, lr 0.05")
    def model_list():
        model_case(52, 0.05)

    visible = [hand_vector, model_list]
    return _suite("update_to_data_ratio",
                  hidden_cases("remedies", "update_to_data_ratio", update_to_data_ratio,
                               model_case=model_case) if hidden else visible)
