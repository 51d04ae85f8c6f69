"""Explorer for the stability companion: depth × activation × initialization → per-layer signals.

A bias-free stack of `depth` square layers h⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾, a⁽ˡ⁾ = φ(h⁽ˡ⁾) (width 128) gets a
batch of 128 inputs x ~ N(0, 1). The backward pass starts from a gradient of std 1 at the top:
the loss is ℓ = Σ a⁽ᴸ⁾ ⊙ g with fixed g ~ N(0, 1). Everything runs in float64, so that even
N(0, 1) weights through 30 ReLU layers stay finite. `explorer` uses torch.nn.init only;
`explore_depth` is 04_stability's widget, which runs the notebook's own functions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import torch
from torch import nn

from .. import models
from ..labs.stability import depth_profile
from ..plot import plot_layer_bars
from ..runtime import single_thread
from .render import new_figure, redraw_on_change, widgets_or_none

ACTIVATION_FUNCTIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}

#: Weight initializers by name; None keeps nn.Linear's own default weights, U(±1/√fan_in) (no biases here).
INITIALIZERS = {
    "N(0, 0.01²)": lambda w: nn.init.normal_(w, mean=0.0, std=0.01),
    "N(0, 1)": lambda w: nn.init.normal_(w, mean=0.0, std=1.0),
    "Xavier": nn.init.xavier_uniform_,
    "Kaiming": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
    "default weights": None,
}
WIDTH, BATCH_SIZE = 128, 128


def make_weights(depth: int, init: str, width: int = WIDTH, seed: int = 0) -> list[torch.Tensor]:
    """`depth` float64 weight matrices of shape (width, width), as `init` fills nn.Linear's.

    The global RNG is seeded with `seed` inside a fork_rng: reproducible, caller's state untouched.
    """
    if init not in INITIALIZERS:
        raise ValueError(f"init must be one of {list(INITIALIZERS)}, got {init!r}")
    weights = []
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for _ in range(depth):
            layer = nn.Linear(width, width, bias=False, dtype=torch.float64)
            if INITIALIZERS[init] is not None:
                INITIALIZERS[init](layer.weight)
            weights.append(layer.weight.detach().requires_grad_())
    return weights


@lru_cache(maxsize=512)
def _profile(depth: int, activation: str, init: str, width: int, batch_size: int,
             seed: int) -> tuple:
    weights = make_weights(depth, init, width, seed)
    generator = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(batch_size, width, generator=generator, dtype=torch.float64)
    g = torch.randn(batch_size, width, generator=generator, dtype=torch.float64)
    with single_thread():
        pre_activations, a = [], x
        for W in weights:
            h = a @ W.T
            pre_activations.append(h)
            a = ACTIVATION_FUNCTIONS[activation](h)
        loss = (a * g).sum()
        grads = torch.autograd.grad(loss, weights + pre_activations)
    return (tuple(h.std().item() for h in pre_activations),
            tuple(grad.std().item() for grad in grads[depth:]),
            tuple(grad.norm().item() for grad in grads[:depth]))


def layer_profile(depth: int = 10, activation: str = "relu", init: str = "Kaiming",
                  width: int = WIDTH, batch_size: int = BATCH_SIZE, seed: int = 0) -> dict:
    """Per-layer statistics of a fresh network, input side first (cached).

    Returns:
        {"forward_std": [std of h⁽ˡ⁾], "backward_std": [std of ∂ℓ/∂h⁽ˡ⁾],
         "grad_norm": [‖∂ℓ/∂W⁽ˡ⁾‖ (Frobenius)]}, `depth` floats each.

    Raises:
        ValueError: for an unknown activation or init, or depth < 1.
    """
    if activation not in ACTIVATION_FUNCTIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATION_FUNCTIONS)}, got {activation!r}")
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    forward, backward, grad_norm = _profile(depth, activation, init, width, batch_size, seed)
    return {"forward_std": list(forward), "backward_std": list(backward),
            "grad_norm": list(grad_norm)}


def draw_profile(depth: int = 10, activation: str = "relu", init: str = "Kaiming"):
    """Three bar charts of `layer_profile`: forward std, backward std, weight-gradient norm.

    Returns a `matplotlib.figure.Figure` made without pyplot.
    """
    profile = layer_profile(depth, activation, init)
    fig = new_figure((12, 3.4), left=0.06, right=0.99, bottom=0.15, top=0.76, wspace=0.3)
    axes = fig.subplots(1, 3)
    panels = (("forward_std", "std of h⁽ˡ⁾", "forward: the signal", True),
              ("backward_std", "std of ∂ℓ/∂h⁽ˡ⁾", "backward: its gradient", False),
              ("grad_norm", "‖∇W⁽ˡ⁾‖", "weight gradients", False))
    for ax, (key, ylabel, title, travels_up) in zip(axes, panels):
        values = profile[key]
        start, end = (1, depth) if travels_up else (depth, 1)  # where the signal enters and arrives
        ratio = values[end - 1] / values[start - 1] if values[start - 1] > 0 else float("nan")
        plot_layer_bars(values, ylabel=ylabel, ax=ax,
                        title=f"{title}\nlayer {end} / layer {start} = {ratio:.1e}")
        _show_two_decades_at_least(ax, values)
    fig.suptitle(f"{init} + {activation}, {depth} layers of width {WIDTH}")
    return fig


def _show_two_decades_at_least(ax, values) -> None:
    """On a log axis, avoid cluttered minor-tick labels when the bars barely differ."""
    from matplotlib.ticker import NullFormatter

    positive = [v for v in values if v > 0]
    if positive:
        low, high = min(positive), max(positive)
        ax.set_ylim(min(low / 2, high / 100), high * 2)
    ax.yaxis.set_minor_formatter(NullFormatter())


def explorer(display: bool = True):
    """Widget: depth slider, activation and initialization menus; redraws `draw_profile`.

    Each new combination takes a few hundredths of a second to compute (then it is cached).
    Returns an ipywidgets.VBox, or None when `display` is False, while nbgrader runs the
    notebook, or when ipywidgets is missing.
    """
    widgets = widgets_or_none(display)
    if widgets is None:
        return None
    depth = widgets.IntSlider(value=10, min=2, max=30, description="depth",
                              continuous_update=False)
    activation = widgets.ToggleButtons(options=list(ACTIVATION_FUNCTIONS), value="sigmoid",
                                       description="activation")
    init = widgets.Dropdown(options=list(INITIALIZERS), value="Xavier", description="init")
    out = widgets.Output(layout={"min_height": "330px"})

    redraw_on_change(out, (depth, activation, init), draw_profile)
    return widgets.VBox([widgets.HBox([depth, init]), activation, out])


def explore_depth(forward_stats: Callable, grad_norms_per_layer: Callable, inits: dict,
                  display: bool = True):
    """Widget: pick depth, activation and initialization; see per-layer std and gradient bars.

    A thin wrapper over `dlcourse.labs.stability.depth_profile`, run with the notebook's own
    `forward_stats` and `grad_norms_per_layer`. Returns None (and draws nothing) when `display`
    is False, while nbgrader runs the notebook, or when ipywidgets is missing.

    Introduced in: 04_stability.
    """
    widgets = widgets_or_none(display)
    if widgets is None:
        return None
    import matplotlib.pyplot as plt

    def show(depth, activation, init):
        profile = depth_profile(activation, inits[init], forward_stats, grad_norms_per_layer,
                                depth=depth, num_examples=128)
        _, (ax_std, ax_grad) = plt.subplots(1, 2, figsize=(10, 3))
        plot_layer_bars(profile["std"], ylabel="std of Linear output", ax=ax_std,
                        title=f"{init} + {activation}: forward")
        plot_layer_bars(profile["grad_norm"], ylabel="‖∇W‖", ax=ax_grad, title="backward")
        plt.show()

    return widgets.interact(show, depth=widgets.IntSlider(value=10, min=2, max=30),
                            activation=list(models.ACTIVATIONS), init=list(inits))


#: The cached computations behind the explorer, by name (lru_cache functions): a redraw
#: must reuse them, which tests check through their cache_info().
CACHES = {"profiles": _profile}
