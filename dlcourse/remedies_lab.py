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

from .train import fraction_correct


def make_mlp(num_hidden: int = 10, width: int = 128, activation: type[nn.Module] = nn.Sigmoid,
             norm_layer: Callable[[int], nn.Module] | None = None, init_std: float | None = None,
             in_features: int = 64, num_classes: int = 10,
             generator: torch.Generator | None = None) -> nn.Sequential:
    """A deep MLP: `num_hidden` blocks Linear → [norm_layer] → activation, then a Linear to classes.

    Args:
        num_hidden: number of hidden blocks (hidden layers).
        width: units per hidden layer.
        activation: the activation module class, e.g. nn.Sigmoid or nn.ReLU.
        norm_layer: called as norm_layer(width) to build a layer after each hidden Linear
            (e.g. your BatchNorm1d); None for no normalization.
        init_std: None: Xavier-uniform weights; a number: every weight ~ N(0, init_std²).
            Biases start at 0.
        in_features, num_classes: input and output sizes (digits: 64 and 10).
        generator: a seeded torch.Generator for the initial weights.

    Returns:
        The model, an nn.Sequential whose output has shape (N, num_classes) (logits).

    Introduced in: 05_remedies.
    """
    layers, fan_in = [], in_features
    for _ in range(num_hidden):
        layers.append(nn.Linear(fan_in, width))
        if norm_layer is not None:
            layers.append(norm_layer(width))
        layers.append(activation())
        fan_in = width
    layers.append(nn.Linear(fan_in, num_classes))
    for layer in layers:
        if isinstance(layer, nn.Linear):
            if init_std is None:
                nn.init.xavier_uniform_(layer.weight, generator=generator)
            else:
                nn.init.normal_(layer.weight, 0.0, init_std, generator=generator)
            nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


def train_classifier(model: nn.Module, data, *, lr: float = 0.1, num_epochs: int = 20,
                     batch_size: int = 64, generator: torch.Generator | None = None,
                     optimizer: str = "sgd", on_step: Callable[[nn.Module], object] | None = None
                     ) -> dict:
    """Minibatch training with cross-entropy; test accuracy after every epoch.

    Args:
        model: maps (N, 64) images to (N, C) logits.
        data: (X_train, y_train, X_test, y_test) as returned by dlcourse.data.make_digits.
        lr: learning rate.
        num_epochs: passes over the training set.
        batch_size: examples per minibatch (the last one of an epoch may be smaller).
        generator: a seeded torch.Generator for the order of the examples.
        optimizer: "sgd" (plain torch.optim.SGD) or "adam" (torch.optim.Adam).
        on_step: called as on_step(model) after each backward pass, before the weights change
            (the gradients are in p.grad); what it returns is collected in history["steps"].

    Returns:
        history: {"train_loss": mean minibatch loss per epoch, "test_acc": test accuracy per epoch,
        "steps": list of on_step's results}. A diverged run (non-finite loss) stops early.

    Introduced in: 05_remedies.
    """
    X_train, y_train, X_test, y_test = data
    optim_class = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer]
    opt = optim_class(model.parameters(), lr=lr)
    history: dict = {"train_loss": [], "test_acc": [], "steps": []}
    model.train()
    for _ in range(num_epochs):
        total, count = 0.0, 0
        for batch in torch.randperm(len(y_train), generator=generator).split(batch_size):
            loss = F.cross_entropy(model(X_train[batch]), y_train[batch])
            opt.zero_grad()
            loss.backward()
            if on_step is not None:
                history["steps"].append(on_step(model))
            opt.step()
            total, count = total + loss.item() * len(batch), count + len(batch)
        history["train_loss"].append(total / count)
        model.eval()
        with torch.no_grad():
            history["test_acc"].append(fraction_correct(model(X_test), y_test))
        model.train()
        if not torch.isfinite(torch.tensor(total)):
            break
    return history


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
            history["steps"] of train_classifier with on_step returning update:data ratios.
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
        num_hidden, width, activation: the architecture (see make_mlp).
        lr, num_epochs: plain SGD with batch size 64.
        seed: seeds the weights and the order of the examples.

    Returns:
        One test accuracy per std (chance level, about 0.1, if a run diverged).

    Introduced in: 05_remedies.
    """
    accuracies = []
    for std in init_stds:
        generator = torch.Generator().manual_seed(seed)
        model = make_mlp(num_hidden, width, activation, norm_layer, init_std=std, generator=generator)
        history = train_classifier(model, data, lr=lr, num_epochs=num_epochs, generator=generator)
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
        {"no clipping": history, f"clipped at {max_norm}": history}, each as `train_classifier`
        returns it; the clipped run's "steps" holds the total gradient norm before each clipping.

    Introduced in: 05_remedies.
    """
    runs = {}
    for label, on_step in (("no clipping", None),
                           (f"clipped at {max_norm}",
                            lambda model: float(clip_grad_norm_(model.parameters(), max_norm)))):
        model = make_mlp(num_hidden=6, width=64, activation=nn.ReLU, init_std=init_std,
                         generator=torch.Generator().manual_seed(1))
        runs[label] = train_classifier(model, data, lr=lr, num_epochs=num_epochs,
                                       generator=torch.Generator().manual_seed(2), on_step=on_step)
    return runs
