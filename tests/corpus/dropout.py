"""Wrong-answer corpus for 03_dropout: realistic student bugs, and correct alternatives.

WRONG[name] lists (implementation, substring the check's message must contain).
CORRECT[name] lists implementations written differently from the solution that must pass.
Implementations that build on other exercises use the instructor's solution for those (SOLUTION).
"""

from __future__ import annotations

import functools
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.functional import dropout as _renamed_dropout

from tests.notebook_tools import solution_namespace

SOLUTION = solution_namespace("03_dropout")
dropout_layer = SOLUTION["dropout_layer"]
Dropout = SOLUTION["Dropout"]
evaluate_accuracy = SOLUTION["evaluate_accuracy"]


def _check_p(p):
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")


# -- dropout_layer -------------------------------------------------------------------------------

def drop_no_rescale(X, p):
    _check_p(p)
    return (torch.rand_like(X) > p) * X


def drop_divide_by_p(X, p):
    _check_p(p)
    if p == 0:
        return X.clone()
    return (torch.rand_like(X) > p) * X / p


def drop_multiply_keep(X, p):
    _check_p(p)
    return (torch.rand_like(X) > p) * X * (1 - p)


def drop_keep_with_p(X, p):
    """CS231n's convention: keep with probability p."""
    _check_p(p)
    if p == 1:
        return torch.zeros_like(X)
    return (torch.rand_like(X) < p) * X / (1 - p)


def drop_randn_mask(X, p):
    """The seed course's bug: a normal instead of a uniform mask."""
    _check_p(p)
    if p == 1:
        return torch.zeros_like(X)
    return (torch.randn_like(X) > p) * X / (1 - p)


def drop_tang_port(X, drop_prob):
    """A port of D2L (ShusenTang/Dive-into-DL-PyTorch, see its PR #38): X.float(), randn mask."""
    X = X.float()
    assert 0 <= drop_prob <= 1
    keep_prob = 1 - drop_prob
    if keep_prob == 0:
        return torch.zeros_like(X)
    mask = (torch.randn(X.shape) < keep_prob).float()
    return mask * X / keep_prob


def drop_d2l_cpu_mask(X, dropout):
    """D2L's code with a ValueError: the mask is always created on the CPU."""
    _check_p(dropout)
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


def drop_zeros_on_cpu(X, p):
    _check_p(p)
    if p == 1:
        return torch.zeros(X.shape, dtype=X.dtype)
    return (torch.rand_like(X) > p) * X / (1 - p)


def drop_shared_mask(X, p):
    """One mask for the whole batch: drawn per feature and broadcast over the rows."""
    _check_p(p)
    if p == 1:
        return torch.zeros_like(X)
    return (torch.rand_like(X[0]) > p) * X / (1 - p)


def drop_whole_rows(X, p):
    _check_p(p)
    if p == 1:
        return torch.zeros_like(X)
    return (torch.rand_like(X[:, :1]) > p) * X / (1 - p)


def drop_in_place(X, p):
    _check_p(p)
    if p == 1:
        return X.zero_()
    X[torch.rand_like(X) < p] = 0
    X /= 1 - p
    return X


def drop_nan_at_one(X, p):
    _check_p(p)
    return (torch.rand_like(X) > p) * X / (1 - p)


def drop_assert(X, p):
    assert 0 <= p <= 1, "p must be a probability"
    if p == 1:
        return torch.zeros_like(X)
    return (torch.rand_like(X) > p) * X / (1 - p)


def drop_reseeds(X, p):
    _check_p(p)
    torch.manual_seed(0)
    if p == 1:
        return torch.zeros_like(X)
    return (torch.rand_like(X) > p) * X / (1 - p)


def drop_detached(X, p):
    _check_p(p)
    if p == 1:
        return torch.zeros_like(X)
    return (torch.rand_like(X) > p) * X.detach() / (1 - p)


def drop_numpy_mask(X, p):
    _check_p(p)
    if p == 1:
        return torch.zeros_like(X)
    mask = torch.from_numpy((np.random.rand(*X.shape) > p).astype(float))
    return mask * X / (1 - p)


def drop_no_check_negative(X, p):
    if p > 1:
        raise ValueError("p must be at most 1")
    if p == 1:
        return torch.zeros_like(X)
    return (torch.rand_like(X) > p) * X / (1 - p)


def drop_bernoulli(X, p):
    _check_p(p)
    if p == 1:
        return torch.zeros_like(X)
    return torch.bernoulli(torch.full_like(X, 1 - p)) * X / (1 - p)


def drop_rand_like_float_mask(X, p):
    if p < 0 or p > 1:
        raise ValueError("bad p")
    if p == 1:
        return X * 0
    mask = (torch.rand_like(X) > p).to(X.dtype)
    return mask * X / (1 - p)


def drop_where(X, p):
    _check_p(p)
    if p == 1:
        return torch.zeros_like(X)
    return torch.where(torch.rand_like(X) < p, torch.zeros_like(X), X / (1 - p))


def drop_rand_on_device(X, p):
    _check_p(p)
    if p == 1:
        return torch.zeros(X.shape, dtype=X.dtype, device=X.device)
    keep = torch.rand(X.shape, device=X.device) >= p
    return X * keep / (1 - p)


# The built-in, however it is reached: the exercise's rule forbids torch's dropout.

def drop_torch_reference(X, p):
    """torch's own dropout passes every statistic; the rule makes it lose the points."""
    return F.dropout(X, p)


def drop_alias(X, p):
    """F.dropout imported under another name."""
    return _renamed_dropout(X, p, training=True)


drop_partial = functools.partial(F.dropout, training=True)  # no student frame on the stack at all


def drop_torch_builtin(X, p):
    """The compiled function F.dropout calls."""
    return torch.dropout(X, p, True)


def drop_aten(X, p):
    """The ATen operator, through torch.ops."""
    return torch.ops.aten.dropout(X, p, True)


def drop_module(X, p):
    """nn.Dropout in training mode."""
    return nn.Dropout(p)(X)


def drop_switches_off_watch(X, p):
    """Switches off the profile hook the checks watch with, then calls F.dropout."""
    sys.setprofile(None)
    return F.dropout(X, p)


# -- Dropout -------------------------------------------------------------------------------------

class DropoutCustomFlag(nn.Module):
    """D2L's original bug (d2l-en #1093): its own flag, which stays True at test time."""

    def __init__(self, p, is_training=True):
        super().__init__()
        _check_p(p)
        self.p, self.is_training = p, is_training

    def forward(self, X):
        return dropout_layer(X, self.p) if self.is_training else X


class DropoutFunctionalDefault(nn.Module):
    """F.dropout without training=self.training drops in eval mode too."""

    def __init__(self, p):
        super().__init__()
        _check_p(p)
        self.p = p

    def forward(self, X):
        return F.dropout(X, self.p)


class DropoutGradEnabled(nn.Module):
    """D2L's batch-norm trick: decide by torch.is_grad_enabled() instead of self.training."""

    def __init__(self, p):
        super().__init__()
        _check_p(p)
        self.p = p

    def forward(self, X):
        return dropout_layer(X, self.p) if torch.is_grad_enabled() else X


class DropoutInverted(nn.Module):
    def __init__(self, p):
        super().__init__()
        _check_p(p)
        self.p = p

    def forward(self, X):
        return X if self.training else dropout_layer(X, self.p)


class DropoutFixedHalf(nn.Module):
    def __init__(self, p):
        super().__init__()
        _check_p(p)
        self.p = p

    def forward(self, X):
        return dropout_layer(X, 0.5) if self.training else X


class DropoutNoValidation(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, X):
        return dropout_layer(X, self.p) if self.training else X


class DropoutParameter(nn.Module):
    def __init__(self, p):
        super().__init__()
        _check_p(p)
        self.p = nn.Parameter(torch.tensor(float(p), dtype=torch.float64), requires_grad=False)

    def forward(self, X):
        return dropout_layer(X, float(self.p)) if self.training else X


class DropoutViaFunctional(nn.Module):
    def __init__(self, p):
        super().__init__()
        _check_p(p)
        self.p = p

    def forward(self, X):
        return F.dropout(X, self.p, training=self.training)


class DropoutSubclass(nn.Dropout):
    """Reusing torch's nn.Dropout: not allowed by the exercise's rule."""


class DropoutWrapsModule(nn.Module):
    """Wraps an nn.Dropout: not allowed by the exercise's rule."""

    def __init__(self, p):
        super().__init__()
        _check_p(p)
        self.p, self.inner = p, nn.Dropout(p)

    def forward(self, X):
        return self.inner(X)


class DropoutExplicitBranches(nn.Module):
    def __init__(self, p):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError("p must lie in [0, 1]")
        self.p = float(p)

    def forward(self, X):
        if not self.training:
            return X
        return dropout_layer(X, self.p)


# -- DropoutMLP ----------------------------------------------------------------------------------

class _MLP(nn.Module):
    """A configurable DropoutMLP used to write realistic bugs compactly."""

    order = ("lin1", "act", "drop1", "lin2", "act", "drop2", "lin3")
    activation = staticmethod(F.relu)

    def __init__(self, num_inputs, num_hiddens1, num_hiddens2, num_outputs, p1, p2):
        super().__init__()
        self.lin1 = nn.Linear(num_inputs, num_hiddens1)
        self.lin2 = nn.Linear(num_hiddens1, num_hiddens2)
        self.lin3 = nn.Linear(num_hiddens2, num_outputs)
        self.drop1, self.drop2 = self.make_dropouts(p1, p2)

    def make_dropouts(self, p1, p2):
        return Dropout(p1), Dropout(p2)

    def forward(self, X):
        for step in self.order:
            X = self.activation(X) if step == "act" else getattr(self, step)(X)
        return X


class MLPDropoutOnOutput(_MLP):
    order = _MLP.order + ("drop2",)


class MLPDropoutOnInput(_MLP):
    order = ("drop1",) + _MLP.order


class MLPSwappedP(_MLP):
    def make_dropouts(self, p1, p2):
        return Dropout(p2), Dropout(p1)


class MLPSameP(_MLP):
    def make_dropouts(self, p1, p2):
        return Dropout(p1), Dropout(p1)


class MLPOneDropout(_MLP):
    order = ("lin1", "act", "drop1", "lin2", "act", "lin3")


class MLPNoSecondReLU(_MLP):
    order = ("lin1", "act", "drop1", "lin2", "drop2", "lin3")


class MLPSigmoid(_MLP):
    activation = staticmethod(torch.sigmoid)


class MLPAlwaysDropping(nn.Module):
    """Calls dropout_layer in forward without looking at self.training."""

    def __init__(self, num_inputs, num_hiddens1, num_hiddens2, num_outputs, p1, p2):
        super().__init__()
        self.p1, self.p2 = p1, p2
        self.lin1 = nn.Linear(num_inputs, num_hiddens1)
        self.lin2 = nn.Linear(num_hiddens1, num_hiddens2)
        self.lin3 = nn.Linear(num_hiddens2, num_outputs)

    def forward(self, X):
        H1 = dropout_layer(F.relu(self.lin1(X)), self.p1)
        H2 = dropout_layer(F.relu(self.lin2(H1)), self.p2)
        return self.lin3(H2)


class MLPOutputReLU(_MLP):
    order = _MLP.order + ("act",)


class MLPDropoutBeforeReLU(_MLP):
    """Dropout before the ReLU is the same function: ReLU(c z) = c ReLU(z) for c >= 0."""
    order = ("lin1", "drop1", "act", "lin2", "drop2", "act", "lin3")


class MLPD2LStyle(nn.Module):
    """D2L's scratch version, with self.training deciding."""

    def __init__(self, num_inputs, num_hiddens1, num_hiddens2, num_outputs, p1, p2):
        super().__init__()
        self.p1, self.p2 = p1, p2
        self.lin1 = nn.Linear(num_inputs, num_hiddens1)
        self.lin2 = nn.Linear(num_hiddens1, num_hiddens2)
        self.lin3 = nn.Linear(num_hiddens2, num_outputs)
        self.relu = nn.ReLU()

    def forward(self, X):
        H1 = self.relu(self.lin1(X))
        if self.training:
            H1 = dropout_layer(H1, self.p1)
        H2 = self.relu(self.lin2(H1))
        if self.training:
            H2 = dropout_layer(H2, self.p2)
        return self.lin3(H2)


class MLPTorchDropout(nn.Sequential):
    def __init__(self, num_inputs, num_hiddens1, num_hiddens2, num_outputs, p1, p2):
        super().__init__(nn.Linear(num_inputs, num_hiddens1), nn.ReLU(), nn.Dropout(p1),
                         nn.Linear(num_hiddens1, num_hiddens2), nn.ReLU(), nn.Dropout(p2),
                         nn.Linear(num_hiddens2, num_outputs))


# -- evaluate_accuracy ---------------------------------------------------------------------------

def acc_no_eval(model, X, y):
    with torch.no_grad():
        return (model(X).argmax(1) == y).float().mean().item()


def acc_leaves_eval(model, X, y):
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(1) == y).float().mean().item()


def acc_always_train(model, X, y):
    model.eval()
    with torch.no_grad():
        accuracy = (model(X).argmax(1) == y).float().mean().item()
    model.train()
    return accuracy


def acc_argmax_dim0(model, X, y):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(X)
    model.train(was_training)
    return (logits.argmax(0)[:len(y)] == y[:logits.shape[1]]).float().mean().item()


def acc_count(model, X, y):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        correct = (model(X).argmax(1) == y).sum().item()
    model.train(was_training)
    return correct


def acc_with_grad(model, X, y):
    was_training = model.training
    model.eval()
    predictions = model(X).argmax(1)
    model.train(was_training)
    return (predictions == y).float().mean().item()


def acc_sklearn(model, X, y):
    from sklearn.metrics import accuracy_score
    mode = model.training
    model.eval()
    try:
        with torch.inference_mode():
            predictions = model(X).argmax(dim=-1)
    finally:
        model.train(mode)
    return accuracy_score(y.numpy(), predictions.numpy())


def acc_tensor(model, X, y):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        accuracy = (model(X).argmax(1) == y).double().mean()
    model.train(was_training)
    return accuracy


# -- train_classifier ----------------------------------------------------------------------------

def _train(model, X, y, epochs, lr, X_test=None, y_test=None, *, optimizer="adam", zero_grad=True,
           set_train=True, record="after", reduction="mean", softmax=False):
    """A configurable loop used to write realistic bugs compactly."""
    opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)(model.parameters(), lr=lr)
    history = {"train_loss": [], "train_acc": [], "test_acc": []}
    for _ in range(epochs):
        if set_train:
            model.train()
        if zero_grad:
            opt.zero_grad()
        logits = model(X)
        if softmax:
            logits = logits.softmax(dim=1)
        loss = F.cross_entropy(logits, y, reduction=reduction)
        loss.backward()
        opt.step()
        if record in ("after", "batch_acc"):
            history["train_loss"].append(loss.item())
        elif record == "tensor":
            history["train_loss"].append(loss)
        else:
            history["train_loss"].append(F.cross_entropy(model(X), y).item())
        history["train_acc"].append((logits.argmax(1) == y).float().mean().item()
                                    if record == "batch_acc" else evaluate_accuracy(model, X, y))
        if X_test is not None:
            history["test_acc"].append(evaluate_accuracy(model, X_test, y_test))
    return history


def train_sgd(*args, **kwargs):
    return _train(*args, **kwargs, optimizer="sgd")


def train_no_zero_grad(*args, **kwargs):
    return _train(*args, **kwargs, zero_grad=False)


def train_never_train_mode(*args, **kwargs):
    return _train(*args, **kwargs, set_train=False)


def train_loss_after_step(*args, **kwargs):
    return _train(*args, **kwargs, record="recomputed")


def train_sum_loss(*args, **kwargs):
    return _train(*args, **kwargs, reduction="sum")


def train_softmax_first(*args, **kwargs):
    return _train(*args, **kwargs, softmax=True)


def train_acc_from_training_pass(*args, **kwargs):
    return _train(*args, **kwargs, record="batch_acc")


def train_loss_tensor(*args, **kwargs):
    return _train(*args, **kwargs, record="tensor")


def train_test_acc_always(model, X, y, epochs, lr, X_test=None, y_test=None):
    history = _train(model, X, y, epochs, lr, X_test, y_test)
    if X_test is None:
        history["test_acc"] = [0.0] * epochs
    return history


def train_optimizer_per_epoch(model, X, y, epochs, lr, X_test=None, y_test=None):
    history = {"train_loss": [], "train_acc": [], "test_acc": []}
    for _ in range(epochs):
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        model.train()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        history["train_loss"].append(loss.item())
        history["train_acc"].append(evaluate_accuracy(model, X, y))
        if X_test is not None:
            history["test_acc"].append(evaluate_accuracy(model, X_test, y_test))
    return history


def train_module_loss(model, X, y, epochs, lr, X_test=None, y_test=None):
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"train_loss": [], "train_acc": [], "test_acc": []}
    for _ in range(epochs):
        model.train()
        for parameter in model.parameters():
            parameter.grad = None
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        history["train_loss"].append(float(loss))
        history["train_acc"].append(evaluate_accuracy(model, X, y))
        if X_test is not None and y_test is not None:
            history["test_acc"].append(evaluate_accuracy(model, X_test, y_test))
    return history


def train_log_softmax_nll(model, X, y, epochs, lr, X_test=None, y_test=None):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"train_loss": [], "train_acc": [], "test_acc": []}
    model.train()  # evaluate_accuracy restores the mode, so once is enough
    for _ in range(epochs):
        optimizer.zero_grad(set_to_none=True)
        loss = F.nll_loss(F.log_softmax(model(X), dim=1), y)
        loss.backward()
        optimizer.step()
        history["train_loss"].append(loss.detach().item())
        history["train_acc"].append(evaluate_accuracy(model, X, y))
        if X_test is not None:
            history["test_acc"].append(evaluate_accuracy(model, X_test, y_test))
    return history


WRONG = {
    "dropout_layer": [
        (drop_no_rescale, "did you forget to divide the kept units by 1 - p"),
        (drop_divide_by_p, "not by p"),
        (drop_multiply_keep, "instead of multiplying by it"),
        (drop_keep_with_p, "probability to DROP"),
        (drop_randn_mask, "not torch.randn"),
        (drop_tang_port, "dtype"),
        (drop_d2l_cpu_mask, "create the mask on X's device"),
        (drop_zeros_on_cpu, "output device"),
        (drop_shared_mask, "the same mask for every row"),
        (drop_whole_rows, "whole rows kept or dropped together"),
        (drop_in_place, "modified in place"),
        (drop_nan_at_one, "nan"),
        (drop_assert, "ValueError"),
        (drop_reseeds, "do not call torch.manual_seed"),
        (drop_detached, "requires_grad"),
        (drop_numpy_mask, "create the mask on X's device"),
        (drop_no_check_negative, "ValueError"),
        (drop_torch_reference, "calls torch.nn.functional.dropout"),
        (drop_alias, "calls torch.nn.functional.dropout"),
        (drop_partial, "calls torch.nn.functional.dropout"),
        (drop_torch_builtin, "calls torch.dropout"),
        (drop_aten, "calls torch.dropout"),
        (drop_module, "calls torch.nn.modules.dropout"),
        (drop_switches_off_watch, "calls sys.setprofile"),
    ],
    "Dropout": [
        (DropoutCustomFlag, "d2l-en #1093"),
        (DropoutFunctionalDefault, "calls torch.nn.functional.dropout"),
        (DropoutViaFunctional, "calls torch.nn.functional.dropout"),
        (DropoutSubclass, "calls torch.nn.modules.dropout"),
        (DropoutWrapsModule, "calls torch.nn.modules.dropout"),
        (DropoutGradEnabled, "decide with self.training"),
        (DropoutInverted, "the identity (nothing dropped)"),
        (DropoutFixedHalf, "1 / (1 - p) = 1.429"),
        (DropoutNoValidation, "ValueError"),
        (DropoutParameter, "nn.Parameter"),
    ],
    "DropoutMLP": [
        (MLPDropoutOnOutput, "no dropout on the output layer"),
        (MLPDropoutOnInput, "no dropout on the input"),
        (MLPSwappedP, "p1 = 0.2"),
        (MLPSameP, "p2 = 0.5"),
        (MLPOneDropout, "p2 = 0.5"),
        (MLPNoSecondReLU, "ReLU(linear)"),
        (MLPSigmoid, "ReLU(linear)"),
        (MLPAlwaysDropping, "dropout must follow self.training"),
        (MLPOutputReLU, "no ReLU"),
        (MLPTorchDropout, "calls torch.nn.modules.dropout"),
    ],
    "evaluate_accuracy": [
        (acc_no_eval, "call model.eval()"),
        (acc_leaves_eval, "restore it at the end"),
        (acc_always_train, "instead of always calling model.train()"),
        (acc_argmax_dim0, "argmax over dim 1"),
        (acc_count, "fraction (0..1)"),
        (acc_with_grad, "torch.no_grad()"),
    ],
    "train_classifier": [
        (train_sgd, "torch.optim.Adam"),
        (train_no_zero_grad, "zero the gradients"),
        (train_never_train_mode, "call model.train() before each training step"),
        (train_loss_after_step, "before optimizer.step()"),
        (train_sum_loss, "mean cross-entropy"),
        (train_softmax_first, "applies log-softmax itself"),
        (train_acc_from_training_pass, "not the accuracy of the training forward pass"),
        (train_loss_tensor, "store loss.item()"),
        (train_test_acc_always, "leave test_acc empty"),
        (train_optimizer_per_epoch, "created once before the loop"),
    ],
}

CORRECT = {
    "dropout_layer": [drop_bernoulli, drop_rand_like_float_mask, drop_where, drop_rand_on_device],
    "Dropout": [DropoutExplicitBranches],
    "DropoutMLP": [MLPDropoutBeforeReLU, MLPD2LStyle],
    "evaluate_accuracy": [acc_sklearn, acc_tensor],
    "train_classifier": [train_module_loss, train_log_softmax_nll],
}
