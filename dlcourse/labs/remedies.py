"""Experiment helpers for 05_remedies: deep MLPs on digits and optimizer paths on a 2-D surface.

Nothing here answers an exercise: the notebook passes the student's own functions and modules in
(`norm_layer=BatchNorm1d`, `step=adam_step`, `on_step=...`). N is the batch size, D the number of
features, C = 10 the number of classes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..models import fit_classifier, make_digits_mlp


def backward_once(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """One forward and backward pass of the cross-entropy on (X, y) in training mode.

    The gradients are left in p.grad (previous ones are cleared); the weights do not change.
    Returns the loss. Introduced in: 05_remedies.
    """
    model.train()
    model.zero_grad()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    return loss.item()


def ratio_curves(step_ratios, layers=(1, 4, 7, 10, 11)) -> dict:
    """{"W1": [...], ...}: the per-step values of the chosen weight matrices (1 = input side).

    Args:
        step_ratios: one list per training step with one value per weight matrix, e.g.
            history["steps"] of fit_classifier with on_step returning update:data ratios.
        layers: which weight matrices to keep, counted from 1.
    """
    return {f"W{k}": [ratios[k - 1] for ratios in step_ratios] for k in layers}


# -- a 2-D loss surface with pathological curvature ---------------------------------------------

def pathological_surface(w: torch.Tensor) -> torch.Tensor:
    """tanh(w₁)² + 0.01·|w₁| + sigmoid(w₂), for w of shape (..., 2): steep across, flat along.

    The UvA deep-learning course's example of pathological curvature. Returns shape (...).
    """
    w1, w2 = w[..., 0], w[..., 1]
    return torch.tanh(w1) ** 2 + 0.01 * w1.abs() + torch.sigmoid(w2)


def sgd_updater(lr: float) -> Callable:
    """update(w, grad) for plain gradient descent: w - lr·grad."""
    def update(w, grad):
        return w - lr * grad
    return update


def momentum_updater(step: Callable, lr: float, momentum: float) -> Callable:
    """update(w, grad) that calls step(w, grad, buf, lr, momentum) and keeps the buffer between calls."""
    state = {"buf": None}

    def update(w, grad):
        w, state["buf"] = step(w, grad, state["buf"], lr, momentum)
        return w
    return update


def adam_updater(step: Callable, lr: float, betas=(0.9, 0.999), eps: float = 1e-8) -> Callable:
    """update(w, grad) that calls step(w, grad, m, v, t, lr, betas, eps), keeping m, v and t."""
    state: dict = {"m": None, "v": None, "t": 0}

    def update(w, grad):
        if state["m"] is None:
            state["m"], state["v"] = torch.zeros_like(w), torch.zeros_like(w)
        state["t"] += 1
        w, state["m"], state["v"] = step(w, grad, state["m"], state["v"], state["t"], lr, betas, eps)
        return w
    return update


def surface_path(surface: Callable, update: Callable, start=(5.0, 5.0),
                 num_steps: int = 100) -> torch.Tensor:
    """Follow update(w, grad) for num_steps steps from `start` on `surface`.

    Returns:
        path: tensor of shape (num_steps + 1, 2), float64, the points visited (start included).

    Introduced in: 05_remedies.
    """
    w = torch.tensor(start, dtype=torch.float64)
    path = [w]
    for _ in range(num_steps):
        leaf = w.detach().requires_grad_(True)
        grad, = torch.autograd.grad(surface(leaf), leaf)
        w = update(w.detach(), grad).detach()
        path.append(w)
    return torch.stack(path)


# -- batch norm × initial weight scale ----------------------------------------------------------

def init_scale_sweep(data, init_stds, norm_layer: Callable[[int], nn.Module] | None = None, *,
                     num_hidden: int = 6, width: int = 64, activation: type[nn.Module] = nn.ReLU,
                     lr: float = 0.1, num_epochs: int = 5, seed: int = 0) -> list[float]:
    """Final test accuracy of a deep MLP for each initial weight std (CS231n's BN experiment).

    Args:
        data: (X_train, y_train, X_test, y_test).
        init_stds: the weight stds to try; every weight starts as N(0, std²).
        norm_layer: None, or called as norm_layer(width) after each hidden Linear.
        num_hidden, width, activation: the architecture (see make_digits_mlp).
        lr, num_epochs: plain SGD with batch size 64.
        seed: seeds the weights and the order of the examples.

    Returns:
        One test accuracy per std (chance level, about 0.1, if a run diverged).

    Introduced in: 05_remedies.
    """
    accuracies = []
    for std in init_stds:
        generator = torch.Generator().manual_seed(seed)
        model = make_digits_mlp(num_hidden, width, activation, norm_layer, init_std=std, generator=generator)
        history = fit_classifier(model, data, lr=lr, num_epochs=num_epochs, generator=generator)
        accuracies.append(history["test_acc"][-1])
    return accuracies


def without_skips(residual: nn.Module, activation: type[nn.Module]) -> nn.Sequential:
    """The plain twin of a residual network: copies of its nn.Linear layers, in order, each followed
    by `activation`, without the skip connections (same depth, same initial weights).

    Introduced in: 05_remedies.
    """
    layers: list[nn.Module] = []
    for layer in residual.modules():
        if isinstance(layer, nn.Linear):
            layers += [copy.deepcopy(layer), activation()]
    return nn.Sequential(*layers)


def clipping_runs(data, clip_grad_norm_, max_norm: float = 1.0, lr: float = 0.1,
                  num_epochs: int = 10, init_std: float = 0.3) -> dict:
    """Train a 6-layer ReLU MLP (width 64, weights ~ N(0, init_std²)) twice with plain SGD: once
    as it is, once with `clip_grad_norm_(model.parameters(), max_norm)` before every step.

    Returns:
        {"no clipping": history, f"clipped at {max_norm}": history}, each as `fit_classifier`
        returns it; the clipped run's "steps" holds the total gradient norm before each clipping.

    Introduced in: 05_remedies.
    """
    runs = {}
    for label, on_step in (("no clipping", None),
                           (f"clipped at {max_norm}",
                            lambda model: float(clip_grad_norm_(model.parameters(), max_norm)))):
        model = make_digits_mlp(num_hidden=6, width=64, activation=nn.ReLU, init_std=init_std,
                         generator=torch.Generator().manual_seed(1))
        runs[label] = fit_classifier(model, data, lr=lr, num_epochs=num_epochs,
                                       generator=torch.Generator().manual_seed(2), on_step=on_step)
    return runs
