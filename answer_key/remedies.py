"""Hidden cases of the 05_remedies checks (dlcourse/checks/remedies.py)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dlcourse.checks._core import (call, case, expect_close, expect_raises, expect_tensor, fail,
                                   same_gradients_case, seeded)
from dlcourse.checks.remedies import (TOL, _batches, _compare_modules, _grad_sequence, _hand_params,
                                      _paired, _ratio_case, _ref_train, _small_model, adam_case,
                                      batchnorm_eval_case, batchnorm_module_case, batchnorm_train_case,
                                      bn_inputs, momentum_case)

f64 = torch.float64
_BN_GRADIENTS = ("dL/dX", "dL/dgamma", "dL/dbeta")  # of the inputs X, gamma, beta
_Y_REQUIRES_GRAD = "Y.requires_grad when X, gamma and beta require grad"


def batchnorm_train(batchnorm_train):
    @case("batchnorm_train on X of shape (8, 5), momentum 0.3, eps 1e-3")
    def other_settings():
        batchnorm_train_case(batchnorm_train, seed=1, batch_size=8, num_features=5,
                             momentum=0.3, eps=1e-3)

    @case("batchnorm_train on float32 X of shape (16, 4)")
    def float32():
        batchnorm_train_case(batchnorm_train, seed=2, batch_size=16, num_features=4, dtype=torch.float32)

    X, gamma, beta, rm, rv = bn_inputs(3, 6, 4)
    gradients = same_gradients_case(
        "gradients through batchnorm_train",
        lambda *a: call(batchnorm_train, *a, rm.clone(), rv.clone())[0],
        lambda *a: _ref_train(*a, rm.clone(), rv.clone(), 0.1, 1e-5)[0],
        (X, gamma, beta), torch.randn(6, 4, generator=seeded(4), dtype=f64), _BN_GRADIENTS,
        "L = sum(Y * W)", "let autograd see the batch mean and variance: they depend on X, so "
        "do not detach them or compute them under torch.no_grad()", 1e-9, _Y_REQUIRES_GRAD,
        "use differentiable torch operations (no .detach(), .item() or torch.no_grad() for Y)")

    @case("torch.autograd.gradcheck on batchnorm_train")
    def gradcheck():
        g = seeded(5)
        X = torch.randn(5, 3, generator=g, dtype=f64, requires_grad=True)
        gamma = (1 + torch.rand(3, generator=g, dtype=f64)).requires_grad_(True)
        beta = torch.randn(3, generator=g, dtype=f64, requires_grad=True)
        rm, rv = torch.zeros(3, dtype=f64), torch.ones(3, dtype=f64)
        ok = torch.autograd.gradcheck(lambda a, b, c: call(batchnorm_train, a, b, c, rm, rv)[0],
                                      (X, gamma, beta), raise_exception=False)
        if not ok:
            fail("torch.autograd.gradcheck(Y)", "analytic gradients = numerical gradients",
                 "a mismatch", "if you wrote your own backward, compare it with autograd's")

    @case("running statistics returned by batchnorm_train")
    def detached_stats():
        X, gamma, beta, rm, rv = bn_inputs(6, 6, 3)
        X.requires_grad_(True)
        _, new_mean, new_var = call(batchnorm_train, X, gamma, beta, rm, rv)
        for name, stat in (("new_running_mean", new_mean), ("new_running_var", new_var)):
            if expect_tensor(name, stat).requires_grad:
                fail(f"{name}.requires_grad when X requires grad", False, True,
                     "running statistics are buffers, not part of the graph: compute them under "
                     "torch.no_grad() or .detach() the batch statistics")

    @case("batchnorm_train on bad input")
    def errors():
        X, gamma, beta, rm, rv = bn_inputs(7)
        expect_raises("batchnorm_train on a 1-D X of shape (4,)", ValueError, batchnorm_train,
                      X[:, 0], gamma[:1], beta[:1], rm[:1], rv[:1],
                      hint="check X.dim() == 2 and raise ValueError otherwise")
        expect_raises("batchnorm_train on a batch of one example", ValueError, batchnorm_train,
                      X[:1], gamma, beta, rm, rv,
                      hint="one example has no spread (and N - 1 = 0): raise ValueError when N < 2, "
                           "as torch.nn.BatchNorm1d does in training mode")

    return [other_settings, float32, gradients, gradcheck, detached_stats, errors]


def batchnorm_eval(batchnorm_eval):
    @case("batchnorm_eval on a single example and row by row")
    def per_example():
        X, gamma, beta, rm, rv = bn_inputs(11, 6, 4)
        whole = call(batchnorm_eval, X, gamma, beta, rm, rv)
        rows = torch.cat([call(batchnorm_eval, X[i:i + 1], gamma, beta, rm, rv) for i in range(6)])
        expect_close("batchnorm_eval row by row vs on the whole batch", rows, whole,
                     "in eval mode each example is normalized with the running statistics only, "
                     "so its output cannot depend on the other examples in the batch", atol=1e-12)

    @case("batchnorm_eval with eps 1e-3 on X of shape (7, 4)")
    def other_eps():
        batchnorm_eval_case(batchnorm_eval, seed=12, batch_size=7, num_features=4, eps=1e-3)

    @case("batchnorm_eval on float32 X of shape (9, 3)")
    def float32():
        batchnorm_eval_case(batchnorm_eval, seed=13, batch_size=9, dtype=torch.float32)

    X, gamma, beta, rm, rv = bn_inputs(14, 5, 3)
    gradients = same_gradients_case(
        "gradients through batchnorm_eval", lambda *a: call(batchnorm_eval, *a, rm, rv),
        lambda X, g, b: F.batch_norm(X, rm, rv, g, b, training=False),
        (X, gamma, beta), torch.randn(5, 3, generator=seeded(15), dtype=f64), _BN_GRADIENTS,
        "L = sum(Y * W) in eval mode", "Y is an affine function of X in eval mode", 1e-10,
        _Y_REQUIRES_GRAD, "use differentiable torch operations")

    return [per_example, other_eps, float32, gradients]


def BatchNorm1d(BatchNorm1d):
    @case("BatchNorm1d(3, momentum=0.5, eps=1e-3)")
    def arguments():
        batchnorm_module_case(BatchNorm1d, seed=21, num_steps=3, num_features=3, momentum=0.5, eps=1e-3)

    @case("BatchNorm1d in train mode under torch.no_grad() and in eval mode with gradients on")
    def mode_switch():
        module, ref = _paired(BatchNorm1d, 3, seed=22)
        X1, X2 = _batches(23, 2, 8, 3)
        hint = ("decide with self.training (set by .train() and .eval()), not with "
                "torch.is_grad_enabled() as D2L does: gradients can be off during training "
                "(recomputing statistics) and on during evaluation (input gradients)")
        module.train(), ref.train()
        with torch.no_grad():
            expect_close("output in train mode under torch.no_grad()", call(module, X1), ref(X1), hint,
                         **TOL[f64])
        _compare_modules(module, ref, "after a train-mode forward under torch.no_grad()", hint)
        module.eval(), ref.eval()
        leaf = X2.clone().requires_grad_(True)
        expect_close("output in eval mode with X.requires_grad", call(module, leaf), ref(X2), hint,
                     **TOL[f64])
        _compare_modules(module, ref, "after an eval-mode forward with gradients on", hint)

    @case("gradients through BatchNorm1d in training mode")
    def gradients():
        module, ref = _paired(BatchNorm1d, 4, seed=24)
        X, = _batches(25, 1, 6, 4)
        weights = torch.randn(6, 4, generator=seeded(26), dtype=f64)
        leaves = [X.clone().requires_grad_(True) for _ in range(2)]
        (call(module, leaves[0]) * weights).sum().backward()
        (ref(leaves[1]) * weights).sum().backward()
        hint = "gamma and beta must be the nn.Parameters used in forward"
        for name, got, expected in (("dL/dX", leaves[0].grad, leaves[1].grad),
                                    ("dL/dgamma", module.gamma.grad, ref.weight.grad),
                                    ("dL/dbeta", module.beta.grad, ref.bias.grad)):
            if got is None:
                fail(f"{name} after backward", "a gradient", "None", hint)
            expect_close(f"{name} of L = sum(BatchNorm1d(X) * W)", got, expected, hint, atol=1e-9)

    @case("buffers of BatchNorm1d after training on inputs that require grad")
    def buffers_detached():
        module = call(BatchNorm1d, 3)
        for X in _batches(27, 3, 5, 3):
            call(module, X.float().requires_grad_(True)).sum().backward()
        for name in ("running_mean", "running_var"):
            buffer = getattr(module, name)
            if buffer.requires_grad:
                fail(f"BatchNorm1d.{name}.requires_grad after training steps", False, True,
                     "running statistics must not carry an autograd graph from step to step")
        if "running_mean" not in module.state_dict():
            fail("BatchNorm1d.state_dict() after training", "contains running_mean", "it does not",
                 "assign the new statistics to the registered buffers (self.running_mean = ...)")

    @case("BatchNorm1d(3) on float32 input")
    def float32():
        module, ref = call(BatchNorm1d, 3), nn.BatchNorm1d(3)
        for X in _batches(28, 3, 5, 3):
            expect_close("training-mode output on float32 input", call(module, X.float()), ref(X.float()),
                         "keep the module's tensors in the input's dtype", **TOL[torch.float32])

    return [arguments, mode_switch, gradients, buffers_detached, float32]


def sgd_momentum_step(sgd_momentum_step):
    @case("sgd_momentum_step with momentum 0")
    def plain_sgd():
        momentum_case(sgd_momentum_step, seed=31, num_steps=4, lr=0.5, momentum=0.0)

    @case("sgd_momentum_step on (3, 4) weights, lr 0.03, momentum 0.99, 10 steps")
    def many_steps():
        momentum_case(sgd_momentum_step, seed=32, num_steps=10, shape=(3, 4), lr=0.03, momentum=0.99)

    @case("sgd_momentum_step on float32 tensors")
    def float32():
        momentum_case(sgd_momentum_step, seed=33, num_steps=5, shape=(6,), lr=0.2, momentum=0.5,
                      dtype=torch.float32)

    @case("the first buffer of sgd_momentum_step and later changes to grad")
    def buffer_is_a_copy():
        w, (grad,) = _grad_sequence(34, 1, (4,))
        _, buf = call(sgd_momentum_step, w, grad, None, 0.1, 0.9)
        kept = expect_tensor("new_buf", buf).clone()
        grad.zero_()   # as optimizer.zero_grad() does to p.grad in a training loop
        if not torch.equal(buf, kept):
            fail("the buffer returned on the first step after the caller zeroes grad", "unchanged",
                 "zeroed too", "on the first step return a copy of the gradient (grad.clone()), "
                 "not the gradient tensor itself")

    return [plain_sgd, many_steps, float32, buffer_is_a_copy]


def adam_step(adam_step):
    @case("adam_step with betas (0.8, 0.99), eps 1e-6, lr 0.1 on (3, 4) weights, 20 steps")
    def other_settings():
        adam_case(adam_step, seed=42, num_steps=20, shape=(3, 4), lr=0.1, betas=(0.8, 0.99), eps=1e-6)

    @case("adam_step on float32 tensors")
    def float32():
        adam_case(adam_step, seed=43, num_steps=5, lr=0.05, dtype=torch.float32)

    @case("adam_step with t = 0")
    def bad_t():
        w, (grad,) = _grad_sequence(44, 1, (3,))
        expect_raises("adam_step(..., t=0, ...)", ValueError, adam_step, w, grad, torch.zeros(3, dtype=f64),
                      torch.zeros(3, dtype=f64), 0, 0.01,
                      hint="t counts steps from 1; with t = 0 the bias correction divides by "
                           "1 - β^0 = 0: raise ValueError when t < 1")

    return [other_settings, float32, bad_t]


def _missing_grad_case(fn, name: str, args=()) -> None:
    weight = torch.ones(2, 3, dtype=f64, requires_grad=True)
    expect_raises(f"{name} on a weight whose .grad is None", ValueError, fn, [weight], *args,
                  hint="a 2-D parameter without a gradient means backward() was not called: "
                       "raise ValueError")


def grad_to_data_ratio(grad_to_data_ratio, *, hint, model_expected):
    @case("grad_to_data_ratio on model.parameters() (a generator)")
    def generator():
        model = _small_model(51)
        _ratio_case(grad_to_data_ratio, "grad_to_data_ratio on a generator", model.parameters(),
                    model_expected(model), hint="iterate over params only once: it may be a generator")

    @case("grad_to_data_ratio with a 4-D (convolution) weight")
    def skips_4d():
        conv = torch.ones(2, 1, 2, 2, dtype=f64, requires_grad=True)
        conv.grad = torch.ones_like(conv)
        _ratio_case(grad_to_data_ratio, "grad_to_data_ratio with a 4-D weight",
                    _hand_params() + [conv], [0.01], hint=hint)

    @case("grad_to_data_ratio on a weight without a gradient")
    def missing_grad():
        _missing_grad_case(grad_to_data_ratio, "grad_to_data_ratio")

    return [generator, skips_4d, missing_grad]


def update_to_data_ratio(update_to_data_ratio, *, model_case):
    @case("update_to_data_ratio with lr 1.0 and model.parameters() (a generator)")
    def generator():
        model_case(53, 1.0, generator=True)

    @case("update_to_data_ratio on a weight without a gradient")
    def missing_grad():
        _missing_grad_case(update_to_data_ratio, "update_to_data_ratio", args=(0.1,))

    return [generator, missing_grad]
