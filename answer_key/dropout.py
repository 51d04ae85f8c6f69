"""Hidden cases of the 03_dropout checks (dlcourse/checks/dropout.py)."""

from __future__ import annotations

import torch
from torch import nn

from dlcourse.runtime import seeded_global
from dlcourse.checks._core import call, case, expect_close, expect_raises, fail, seeded
from dlcourse.checks.dropout import (_EVAL_HINT, _TRAIN_HINT, _Spy, _call_seeded, _expect_accuracy,
                                     _expect_dropout_applied, _expect_identity, _expect_like,
                                     _expect_list_close, _expect_survivors, _expect_zero_fraction,
                                     _make, _positive, mlp_pass_case, vector_data, vector_model)

f64 = torch.float64


def dropout_layer(dropout_layer, *, values, bad_p):
    @case("two calls of dropout_layer(X, 0.5)")
    def fresh_masks():
        X = _positive((20, 30), 8)
        with seeded_global(8, numpy_and_python=True):
            first, second = call(dropout_layer, X.clone(), 0.5), call(dropout_layer, X.clone(), 0.5)
        for out in (first, second):
            _expect_like("dropout_layer(X, 0.5)", out, X)
        if torch.equal(first != 0, second != 0):
            fail("the masks of two calls of dropout_layer(X, 0.5)", "different", "identical masks",
                 "draw a new mask at every call from the global RNG; do not call torch.manual_seed "
                 "or create a seeded generator inside dropout_layer")

    @case("gradient of dropout_layer(X, 0.4)")
    def gradient():
        X = _positive((200, 100), 9).requires_grad_(True)
        out = _call_seeded(dropout_layer, 9, X, 0.4)
        _expect_like("dropout_layer(X, 0.4)", out, X)
        if not out.requires_grad:
            fail("dropout_layer(X, 0.4).requires_grad", True, False,
                 "use torch operations on X itself (no .detach(), .data, numpy or torch.no_grad)")
        weights = torch.randn(200, 100, generator=seeded(10), dtype=f64)
        (out * weights).sum().backward()
        mask = (out.detach() != 0).double()
        expect_close("d dropout_layer(X, 0.4) / dX (times upstream gradient)", X.grad,
                     weights * mask / 0.6,
                     "the gradient of mask * X / (1 - p) is mask / (1 - p); build the output with "
                     "differentiable operations on X", atol=1e-12, rtol=1e-9)

    @case("dropout_layer(X, 0.25) with X of shape (8, 16, 32)")
    def three_d():
        X = _positive((8, 16, 32), 11)
        what = "dropout_layer(X, 0.25) with X of shape (8, 16, 32)"
        out = _expect_like(what, _call_seeded(dropout_layer, 11, X.clone(), 0.25), X)
        _expect_survivors(what, out, X, 0.25)
        _expect_zero_fraction(what, out, 0.25)

    return [values(0.1, 1), values(0.7, 2), values(0.9, 3),
            values(0.5, 4, (1000, 100), torch.float32), three_d, gradient, fresh_masks,
            bad_p(-0.1)]


def dropout_module(Dropout, *, X, layer):
    @case("Dropout(0.3) in training mode inside torch.no_grad()")
    def training_without_grad():
        module = layer()
        with torch.no_grad():
            out = _call_seeded(module, 24, X.clone())
        _expect_dropout_applied("Dropout(0.3)(X) in training mode under torch.no_grad()", out, X, 0.3)

    @case("Dropout(0.3) inside nn.Sequential")
    def inside_sequential():
        model = nn.Sequential(layer(), nn.Identity())
        model.eval()
        _expect_identity("nn.Sequential(Dropout(0.3)) after model.eval()",
                         _call_seeded(model, 25, X.clone()), X, _EVAL_HINT)
        model.train()
        _expect_dropout_applied("nn.Sequential(Dropout(0.3)) after model.train()",
                                _call_seeded(model, 26, X.clone()), X, 0.3)

    @case("Dropout(0.0) and Dropout(1.0) in training mode")
    def edge_p():
        _expect_identity("Dropout(0.0)(X) in training mode", _call_seeded(layer(0.0), 27, X.clone()), X,
                         "p = 0 drops nothing")
        out = _expect_like("Dropout(1.0)(X)", _call_seeded(layer(1.0), 28, X.clone()), X)
        if not (out == 0).all():
            fail("Dropout(1.0)(X) in training mode", "all zeros",
                 f"{(out != 0).sum().item()} non-zero elements (or nan)", "p = 1 drops everything")

    @case("parameters of Dropout(0.3)")
    def no_parameters():
        count = len(list(layer().parameters()))
        if count:
            fail("the number of parameters of Dropout(0.3)", 0, count,
                 "dropout has nothing to learn: store p as a plain float, not an nn.Parameter")

    @case("Dropout with p outside [0, 1]")
    def bad_p():
        for p in (1.5, -0.2):
            expect_raises(f"Dropout({p})", ValueError, _make, Dropout, p,
                          hint="check p in __init__ (as nn.Dropout does) and raise ValueError "
                               "unless 0 <= p <= 1")

    return [training_without_grad, inside_sequential, edge_p, no_parameters, bad_p]


def dropout_mlp(DropoutMLP):
    @case("DropoutMLP(12, 40, 30, 3, 0.6, 0.1) in training mode")
    def other_sizes():
        mlp_pass_case(DropoutMLP, (12, 40, 30, 3), 0.6, 0.1, train=True, seed=32)

    @case("DropoutMLP(12, 40, 30, 3, 0.0, 0.0) in training mode")
    def no_dropout():
        mlp_pass_case(DropoutMLP, (12, 40, 30, 3), 0.0, 0.0, train=True, seed=33)

    @case("DropoutMLP(12, 40, 30, 3, 0.5, 0.5) switched to eval mode")
    def eval_after_train():
        mlp_pass_case(DropoutMLP, (12, 40, 30, 3), 0.5, 0.5, train=False, seed=34)

    return [other_sizes, no_dropout, eval_after_train]


def evaluate_accuracy(evaluate_accuracy, *, evaluate):
    @case("evaluate_accuracy on a model already in eval mode")
    def keeps_eval():
        model, _, got, expected = evaluate(42, 30, 3, start_training=False)
        if any(m.training for m in model.modules()):
            fail("model.training after evaluate_accuracy on a model in eval mode", False, True,
                 "restore the previous mode instead of always calling model.train()")
        _expect_accuracy("evaluate_accuracy on a model in eval mode", got, expected)

    @case("autograd during evaluate_accuracy")
    def no_graph():
        _, spy, _, _ = evaluate(43, 30, 3)
        if any(grad for _, grad in spy.calls):
            fail("torch.is_grad_enabled() during evaluate_accuracy's forward pass", False, True,
                 "wrap the prediction in `with torch.no_grad():` so no graph is built")

    @case("evaluate_accuracy with 10 classes and 200 examples")
    def bigger():
        _, _, got, expected = evaluate(44, 200, 10)
        _expect_accuracy("evaluate_accuracy with 10 classes", got, expected)

    @case("evaluate_accuracy with 7 examples and 3 classes")
    def fewer_rows_than_classes():
        _, _, got, expected = evaluate(45, 7, 3)
        _expect_accuracy("evaluate_accuracy with 7 examples", got, expected)

    return [keeps_eval, no_graph, bigger, fewer_rows_than_classes]


def train_classifier(train_classifier, *, run, vector, expected, lr):
    @case("train_classifier without test data")
    def no_test():
        _, history = run(with_test=False)
        _expect_list_close("history['train_loss'] without test data", history["train_loss"],
                           expected["train_loss"], _TRAIN_HINT, atol=1e-9)

    @case("train_classifier(..., epochs=1)")
    def one_epoch():
        _, history = run(epochs=1)
        _expect_list_close("history['train_loss'] after 1 epoch", history["train_loss"],
                           expected["train_loss"][:1], _TRAIN_HINT, atol=1e-9)

    @case("train_classifier on a model with dropout that starts in eval mode")
    def trains_in_training_mode():
        with seeded_global(51, numpy_and_python=True):
            spy = _Spy()
            model = nn.Sequential(nn.Linear(3, 8, dtype=f64), nn.ReLU(), spy, nn.Dropout(0.5),
                                  nn.Linear(8, 3, dtype=f64))
        model.eval()
        run(model=model, epochs=3)
        steps = sum(1 for training, grad in spy.calls if grad)
        in_training = sum(1 for training, grad in spy.calls if grad and training)
        if in_training < 3:
            fail("forward passes in training mode during 3 epochs", "at least 3 (one per step)",
                 f"{in_training} of {steps} passes that built a graph",
                 "call model.train() before each training step: evaluate_accuracy leaves the model "
                 "as it found it, and the model you get may be in eval mode")

    @case("train_classifier must not modify X and y")
    def inputs_untouched():
        X, y, X_test, y_test = vector_data(vector)
        _call_seeded(train_classifier, 52, vector_model(vector), X, y, 2, lr, X_test, y_test)
        X0, y0, X_test0, y_test0 = vector_data(vector)
        if not all(torch.equal(a, b) for a, b in ((X, X0), (y, y0), (X_test, X_test0), (y_test, y_test0))):
            fail("X, y, X_test and y_test after train_classifier", "unchanged", "modified in place",
                 "avoid in-place operations on the data")

    return [trains_in_training_mode, no_test, one_epoch, inputs_untouched]
