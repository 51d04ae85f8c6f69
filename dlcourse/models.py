"""Models and training loops shared by the labs and explorers (never an exercise's answer).

Each name has one meaning: `make_mlp` builds a plain MLP from an activation name,
`make_digits_mlp` a digits classifier with chosen initial weights and an optional norm layer;
`fit_classifier` trains with a torch optimizer. N is the batch size, D the number of input
features, H the width of the hidden layers and C the number of outputs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def fraction_correct(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows of logits (N, C) whose argmax equals the label y (N,).

    The experiments' loops call it in eval mode under torch.no_grad() themselves: the package
    has no helper that evaluates a model, since 03_dropout asks you to write one.
    """
    return (logits.argmax(dim=1) == y).double().mean().item()


ACTIVATIONS: dict[str, type[nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "identity": nn.Identity,
}


def make_mlp(in_features: int, hidden_features: int, num_hidden: int, out_features: int | None = None,
             activation: str = "relu", bias: bool = True, dropout: float = 0.0) -> nn.Sequential:
    """A plain MLP: `num_hidden` blocks Linear → activation (→ Dropout), then an optional Linear head.

    Args:
        in_features: D.
        hidden_features: H, the width of every hidden layer.
        num_hidden: number of hidden Linear layers.
        out_features: C; None means no head (the last block's activation is the output).
        activation: one of "sigmoid", "tanh", "relu", "identity".
        bias: whether the Linear layers have a bias.
        dropout: drop probability after each activation (0: no Dropout layer).

    Returns:
        An `nn.Sequential` mapping (N, D) to (N, C), or to (N, H) without a head.

    Introduced in: 04_stability.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    layers: list[nn.Module] = []
    width = in_features
    for _ in range(num_hidden):
        layers += [nn.Linear(width, hidden_features, bias=bias), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = hidden_features
    if out_features is not None:
        layers.append(nn.Linear(width, out_features, bias=bias))
    return nn.Sequential(*layers)


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """The `nn.Linear` modules of `model`, in `model.modules()` order (input side first)."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


@torch.no_grad()
def init_linears_(model: nn.Module, weight_init: Callable[[torch.Tensor], object] | None,
                  zero_bias: bool = True) -> nn.Module:
    """Apply `weight_init` to every Linear weight of `model` (in place) and zero the biases.

    Args:
        model: any module.
        weight_init: called as `weight_init(layer.weight)`; None keeps PyTorch's default init.
        zero_bias: set every bias to 0.

    Returns:
        `model` itself.

    Introduced in: 04_stability.
    """
    for layer in linear_layers(model):
        if weight_init is not None:
            weight_init(layer.weight)
        if zero_bias and layer.bias is not None:
            layer.bias.zero_()
    return model


def sgd_step_(model: nn.Module, lr: float) -> None:
    """One plain SGD step on every parameter that has a gradient: p ← p − lr·∇p, then clear ∇p.

    Equivalent to `torch.optim.SGD(model.parameters(), lr)` followed by `zero_grad()`, written out
    so that no optimizer object (and none of its lazy imports) is needed.
    """
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p.add_(p.grad, alpha=-lr)
                p.grad = None


def make_digits_mlp(num_hidden: int = 10, width: int = 128, activation: type[nn.Module] = nn.Sigmoid,
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

    Introduced in: 05_remedies (as remedies_lab.make_mlp).
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


def fit_classifier(model: nn.Module, data, *, lr: float = 0.1, num_epochs: int = 20,
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

    Introduced in: 05_remedies (as remedies_lab.train_classifier).
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
