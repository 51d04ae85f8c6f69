"""Experiment helpers for 04_stability: deep MLPs, weight initialization, per-layer statistics.

N is the batch size, D the number of input features, H the width of the hidden layers and C the
number of outputs. Nothing here is an exercise's answer: initializers are passed in as callables
(the notebook passes the student's own `xavier_uniform_`, `kaiming_normal_`, ...).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

import torch
from torch import nn
import torch.nn.functional as F

from .train import fraction_correct

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


def depth_model(activation: str, weight_init, depth: int = 10, width: int = 256,
                seed: int = 0) -> nn.Sequential:
    """A bias-free stack of `depth` square Linear → activation blocks, initialized by `weight_init`.

    The global RNG is seeded with `seed` inside a `fork_rng`, so initializers that draw from it
    give reproducible weights without changing the caller's random state.

    Introduced in: 04_stability.
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = make_mlp(width, width, depth, None, activation, bias=False)
        return init_linears_(model, weight_init)


def gaussian_batch(num_examples: int = 512, width: int = 256, seed: int = 0):
    """Inputs X ~ N(0, 1) of shape (N, H) and regression targets y ~ N(0, 1) of shape (N, H)."""
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(num_examples, width, generator=generator)
    y = torch.randn(num_examples, width, generator=generator)
    return X, y


@contextlib.contextmanager
def single_thread():
    """Run the block with one intra-op thread, then restore the previous setting.

    The experiments and checks of 04_stability multiply small matrices (64 to 256 wide): one
    thread is about as fast as two there, and it does not slow down by one or two orders of
    magnitude when other processes share the cores (measured on a loaded 2-core machine: a digits
    training run 1-2 s on one thread, 8-58 s on two; 100 products of 64×64 matrices 0.03 s vs 3.7 s).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


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


def train_classifier(model: nn.Module, data, lr: float = 0.1, batch_size: int = 64,
                     num_epochs: int = 20, generator: torch.Generator | None = None) -> dict:
    """Minibatch SGD on cross-entropy; record the training loss and test accuracy every epoch.

    Args:
        model: maps (N, D) to (N, C) logits.
        data: (X_train, y_train, X_test, y_test), e.g. from `dlcourse.data.make_digits`.
        lr, batch_size, num_epochs: SGD settings.
        generator: a seeded generator for the minibatch order.

    Returns:
        {"train_loss": [num_epochs floats], "test_accuracy": [num_epochs floats]}.

    Introduced in: 04_stability.
    """
    X_train, y_train, X_test, y_test = data
    model.zero_grad(set_to_none=True)
    history: dict[str, list[float]] = {"train_loss": [], "test_accuracy": []}
    with single_thread():
        for _ in range(num_epochs):
            model.train()
            total = 0.0
            for batch in torch.randperm(len(y_train), generator=generator).split(batch_size):
                loss = F.cross_entropy(model(X_train[batch]), y_train[batch])
                loss.backward()
                sgd_step_(model, lr)
                total += loss.item() * len(batch)
            history["train_loss"].append(total / len(y_train))
            model.eval()
            with torch.no_grad():
                history["test_accuracy"].append(fraction_correct(model(X_test), y_test))
        model.train()
    return history


def depth_profile(activation: str, weight_init, forward_stats: Callable, grad_norms_per_layer: Callable,
                  depth: int = 10, width: int = 128, num_examples: int = 256, seed: int = 0) -> dict:
    """Per-layer statistics of a fresh `depth_model`, measured with the notebook's own functions.

    The model runs in float64, so that exploding activations and gradients stay finite, and on one
    thread (see `single_thread`). The batch is `gaussian_batch(num_examples, width)`; the loss is
    the MSE to its N(0, 1) targets.

    Returns:
        {"std": [std of each Linear's output], "grad_norm": [‖∇W‖ of each Linear]}, input side first.

    Introduced in: 04_stability.
    """
    with single_thread():
        model = depth_model(activation, weight_init, depth, width, seed).double()
        X, y = (t.double() for t in gaussian_batch(num_examples, width, seed + 1))
        stats = forward_stats(model, X)
        return {"std": [std for _, std in stats],
                "grad_norm": grad_norms_per_layer(model, X, y, nn.MSELoss())}


def constant_init_first_layer(data, value: float = 0.1, dropout: float = 0.0, hidden_features: int = 16,
                              num_steps: int = 100, lr: float = 0.5, seed: int = 0) -> torch.Tensor:
    """Train a 64 → H → 10 MLP whose weights all start at `value` (biases 0); return W₁.

    Full-batch gradient descent on cross-entropy for `num_steps` steps; with `dropout` > 0 a
    Dropout layer follows the hidden ReLU (the global RNG is seeded with `seed` in a fork_rng).

    Returns:
        The first layer's weight after training, shape (H, 64): one row per hidden unit.

    Introduced in: 04_stability.
    """
    X_train, y_train = data[0], data[1]
    model = make_mlp(X_train.shape[1], hidden_features, 1, 10, "relu", dropout=dropout)
    init_linears_(model, lambda w: w.fill_(value))
    with torch.random.fork_rng(), single_thread():
        torch.manual_seed(seed)
        for _ in range(num_steps):
            F.cross_entropy(model(X_train), y_train).backward()
            sgd_step_(model, lr)
    return model[0].weight.detach().clone()


def train_digits_mlp(activation: str, weight_init, data, num_hidden: int = 10, hidden_features: int = 128,
                     lr: float = 0.1, batch_size: int = 64, num_epochs: int = 20, seed: int = 0,
                     grad_norms_per_layer: Callable | None = None) -> dict:
    """Build a deep digits MLP (64 → 10 hidden layers × 128 → 10), initialize it, train it with SGD.

    Args:
        activation: "sigmoid", "tanh" or "relu".
        weight_init: called on every Linear weight (None: PyTorch's default); biases start at 0.
        data: (X_train, y_train, X_test, y_test) from `make_digits(..., standardize=True)`.
        seed: seeds the initialization (global RNG, in a fork_rng) and the minibatch order.
        grad_norms_per_layer: if given, called once on the fresh model (whole training set,
            cross-entropy) and its result stored as "grad_norms_at_init".

    Returns:
        `train_classifier`'s history plus "model": the trained model.

    Introduced in: 04_stability.
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = make_mlp(data[0].shape[1], hidden_features, num_hidden, 10, activation)
        init_linears_(model, weight_init)
    at_init = None
    if grad_norms_per_layer is not None:
        with single_thread():
            at_init = grad_norms_per_layer(model, data[0], data[1], nn.CrossEntropyLoss())
        model.zero_grad()
    history = train_classifier(model, data, lr, batch_size, num_epochs,
                               generator=torch.Generator().manual_seed(seed))
    history["model"] = model
    if at_init is not None:
        history["grad_norms_at_init"] = at_init
    return history


def explore_depth(forward_stats: Callable, grad_norms_per_layer: Callable, inits: dict,
                  display: bool = True):
    """Widget: pick depth, activation and initialization; see per-layer std and gradient bars.

    A thin wrapper over `depth_profile`. Returns None (and draws nothing) when `display` is False,
    when NBGRADER_EXECUTION is set (grading) or when ipywidgets is not installed.

    Introduced in: 04_stability.
    """
    if not display or os.environ.get("NBGRADER_EXECUTION"):
        return None
    try:
        import ipywidgets as widgets
    except ImportError:
        return None
    import matplotlib.pyplot as plt

    from .plot import plot_layer_bars

    def show(depth, activation, init):
        profile = depth_profile(activation, inits[init], forward_stats, grad_norms_per_layer,
                                depth=depth, num_examples=128)
        _, (ax_std, ax_grad) = plt.subplots(1, 2, figsize=(10, 3))
        plot_layer_bars(profile["std"], ylabel="std of Linear output", ax=ax_std,
                        title=f"{init} + {activation}: forward")
        plot_layer_bars(profile["grad_norm"], ylabel="‖∇W‖", ax=ax_grad, title="backward")
        plt.show()

    return widgets.interact(show, depth=widgets.IntSlider(value=10, min=2, max=30),
                            activation=list(ACTIVATIONS), init=list(inits))
