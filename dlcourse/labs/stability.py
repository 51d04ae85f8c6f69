"""Experiment helpers for 04_stability: deep MLPs, weight initialization, per-layer statistics.

N is the batch size, D the number of input features, H the width of the hidden layers and C the
number of outputs. Nothing here is an exercise's answer: initializers are passed in as callables
(the notebook passes the student's own `xavier_uniform_`, `kaiming_normal_`, ...).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..data import gaussian_batch
from ..models import fraction_correct, init_linears_, make_mlp, sgd_step_
from ..runtime import single_thread


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


def train_plain_sgd(model: nn.Module, data, lr: float = 0.1, batch_size: int = 64,
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
        `train_plain_sgd`'s history plus "model": the trained model.

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
    history = train_plain_sgd(model, data, lr, batch_size, num_epochs,
                               generator=torch.Generator().manual_seed(seed))
    history["model"] = model
    if at_init is not None:
        history["grad_norms_at_init"] = at_init
    return history
