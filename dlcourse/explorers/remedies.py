"""Explorer for notebooks/05_remedies.ipynb: which remedy rescues a deep, narrow network?

One small grid of training runs — batch norm off/on × optimizer (SGD, SGD + momentum, Adam) ×
activation (sigmoid, ReLU) — of the same deep MLP on the digits. The grid is trained once and
cached (about 3 s on one core); the widget only re-plots it. Runs use PyTorch's own
`nn.BatchNorm1d` and `torch.optim`, never an exercise's answer.

Introduced in: 05_remedies (companion).
"""

from __future__ import annotations

import functools
import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..data import make_digits
from ..models import fraction_correct, make_digits_mlp
from ..runtime import single_thread
from .render import new_figure, redraw_on_change, widgets_or_none

ACTIVATION_CHOICES: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "ReLU": nn.ReLU}

#: optimizer name -> (class, settings). Momentum's long-run step is lr/(1 - 0.9) = 0.5 per unit
#: gradient; 0.1 (the SGD rate) made the no-batch-norm ReLU runs diverge on some seeds.
OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], dict]] = {
    "SGD": (torch.optim.SGD, {"lr": 0.1}),
    "SGD + momentum": (torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    "Adam": (torch.optim.Adam, {"lr": 3e-3}),
}

NUM_HIDDEN, WIDTH = 8, 32          # deep and narrow: 64 → 8 × 32 → 10
NUM_EPOCHS, BATCH_SIZE = 30, 256   # 5 big minibatches per epoch, 150 steps in all
CHANCE = 0.1                       # test accuracy of guessing among 10 classes


def run_label(batch_norm: bool, optimizer: str, activation: str) -> str:
    """A short name for one run of the grid, e.g. "ReLU, Adam, BN"."""
    return f"{activation}, {optimizer}" + (", BN" if batch_norm else "")


@functools.lru_cache(maxsize=2)
def digits_data(seed: int = 0):
    """The assignment's split: 1200 standardized training digits and 597 test digits."""
    return make_digits(1200, standardize=True, generator=torch.Generator().manual_seed(seed))


def train_run(batch_norm: bool, optimizer: str, activation: str, *, lr: float | None = None,
              num_epochs: int = NUM_EPOCHS, seed: int = 0) -> dict:
    """Train the deep narrow MLP once; record the training loss and test accuracy per epoch.

    Args:
        batch_norm: put an nn.BatchNorm1d between every hidden Linear and its activation.
        optimizer: a key of OPTIMIZERS.
        activation: a key of ACTIVATION_CHOICES.
        lr: overrides the optimizer's learning rate in OPTIMIZERS.
        num_epochs: passes over the 1200 training digits, in minibatches of BATCH_SIZE.
        seed: seeds the Xavier-uniform initial weights and the order of the examples.

    Returns:
        {"train_loss": num_epochs floats (mean minibatch loss of each epoch),
         "test_acc": num_epochs floats, "diverged_at": None or the first epoch (counted from 1)
         whose loss was not finite; later epochs repeat its accuracy and have loss nan}.
    """
    X_train, y_train, X_test, y_test = digits_data()
    generator = torch.Generator().manual_seed(seed)
    model = make_digits_mlp(NUM_HIDDEN, WIDTH, ACTIVATION_CHOICES[activation],
                            norm_layer=nn.BatchNorm1d if batch_norm else None, generator=generator)
    optim_class, settings = OPTIMIZERS[optimizer]
    opt = optim_class(model.parameters(), **{**settings, **({"lr": lr} if lr is not None else {})})
    history: dict = {"train_loss": [], "test_acc": [], "diverged_at": None}
    with single_thread():
        for epoch in range(1, num_epochs + 1):
            model.train()
            total = 0.0
            for batch in torch.randperm(len(y_train), generator=generator).split(BATCH_SIZE):
                loss = F.cross_entropy(model(X_train[batch]), y_train[batch])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(batch)
            if not math.isfinite(total):
                history["diverged_at"] = epoch
                break
            history["train_loss"].append(total / len(y_train))
            model.eval()
            with torch.no_grad():
                history["test_acc"].append(fraction_correct(model(X_test), y_test))
    missing = num_epochs - len(history["train_loss"])
    history["train_loss"] += [math.nan] * missing
    history["test_acc"] += [history["test_acc"][-1] if history["test_acc"] else CHANCE] * missing
    return history


@functools.lru_cache(maxsize=2)
def run_grid(num_epochs: int = NUM_EPOCHS, seed: int = 0) -> dict:
    """All 12 runs, trained once per (num_epochs, seed) and cached: treat the result as read-only.

    Returns:
        {(batch_norm, optimizer, activation): train_run's history}, batch norm off first.
    """
    keys = itertools.product((False, True), OPTIMIZERS, ACTIVATION_CHOICES)
    return {key: train_run(*key, num_epochs=num_epochs, seed=seed) for key in keys}


def explorer_view(batch_norm: bool, optimizer: str, activation: str, epochs: int,
                  grid: dict | None = None) -> dict:
    """What the explorer shows for one setting of its controls (pure and fast: no training).

    Args:
        batch_norm, optimizer, activation: the selected run.
        epochs: how many epochs of the curves to show, 1 ≤ epochs ≤ the grid's num_epochs.
        grid: run_grid()'s result (default: run_grid()).

    Returns:
        {"label": the run's name, "epochs": [1, ..., epochs],
         "train_loss", "test_acc": the selected run's first `epochs` values,
         "other_batch_norm": the same optimizer and activation with batch norm toggled
             ({"label", "train_loss"}),
         "other_losses": {label: first `epochs` losses} of the other 11 runs,
         "accuracy_at_epoch": {label: test accuracy after `epochs` epochs} of all 12 runs}.
    """
    grid = run_grid() if grid is None else grid
    selected = (batch_norm, optimizer, activation)
    if selected not in grid:
        raise ValueError(f"no run {selected} in the grid; choose from {list(grid)}")
    num_epochs = len(grid[selected]["train_loss"])
    if not 1 <= epochs <= num_epochs:
        raise ValueError(f"epochs must be between 1 and {num_epochs}, got {epochs}")
    twin = (not batch_norm, optimizer, activation)
    return {
        "label": run_label(*selected),
        "epochs": list(range(1, epochs + 1)),
        "train_loss": grid[selected]["train_loss"][:epochs],
        "test_acc": grid[selected]["test_acc"][:epochs],
        "other_batch_norm": {"label": run_label(*twin), "train_loss": grid[twin]["train_loss"][:epochs]},
        "other_losses": {run_label(*key): run["train_loss"][:epochs]
                         for key, run in grid.items() if key != selected},
        "accuracy_at_epoch": {run_label(*key): run["test_acc"][epochs - 1] for key, run in grid.items()},
    }


def draw_view(view: dict):
    """Draw explorer_view's result: loss curves on the left, test accuracy of every run on the right."""
    fig = new_figure((11, 3.8), left=0.06, right=0.98, bottom=0.14, top=0.92, wspace=0.5)
    ax_loss, ax_acc = fig.subplots(1, 2)
    for losses in view["other_losses"].values():
        ax_loss.plot(view["epochs"], losses, color="lightgray", linewidth=1)
    twin = view["other_batch_norm"]
    ax_loss.plot(view["epochs"], twin["train_loss"], color="tab:blue", linestyle="--", label=twin["label"])
    ax_loss.plot(view["epochs"], view["train_loss"], color="tab:red", linewidth=2.5, marker="o",
                 markersize=3, label=view["label"])
    ax_loss.axhline(math.log(10), color="gray", linestyle=":", linewidth=1, label="guessing: ln 10")
    ax_loss.set(yscale="log", ylim=(1e-3, 5), xlim=(1, max(view["epochs"][-1], 2)),
                xlabel="epoch", ylabel="training loss", title="training loss (grey: the other runs)")
    ax_loss.legend(loc="lower left", fontsize=8)

    labels = list(view["accuracy_at_epoch"])
    colors = ["tab:red" if label == view["label"] else "tab:blue" if label == twin["label"]
              else "lightgray" for label in labels]
    ax_acc.barh(labels, list(view["accuracy_at_epoch"].values()), color=colors)
    ax_acc.axvline(CHANCE, color="gray", linestyle=":", linewidth=1)
    ax_acc.invert_yaxis()
    ax_acc.tick_params(axis="y", labelsize=8)
    ax_acc.set(xlim=(0, 1), xlabel="test accuracy",
               title=f"test accuracy after {len(view['epochs'])} epoch{'s' if len(view['epochs']) > 1 else ''}")
    return fig


def explorer(display: bool = True):
    """Widget: toggle batch norm, optimizer and activation, slide through the epochs.

    Trains the grid on the first call (a few seconds); every change after that only re-plots.
    Returns a widgets.VBox for the notebook to display, or None when `display` is False, when
    NBGRADER_EXECUTION is set (grading) or when ipywidgets is not installed.
    """
    widgets = widgets_or_none(display)
    if widgets is None:
        return None
    grid = run_grid()
    wide = {"description_width": "90px"}
    batch_norm = widgets.ToggleButtons(options=[("off", False), ("on", True)], value=False,
                                       description="batch norm", style=wide)
    optimizer = widgets.ToggleButtons(options=list(OPTIMIZERS), description="optimizer", style=wide)
    activation = widgets.ToggleButtons(options=list(ACTIVATION_CHOICES), description="activation", style=wide)
    epochs = widgets.IntSlider(value=NUM_EPOCHS, min=1, max=NUM_EPOCHS, description="epochs shown",
                               continuous_update=False, style=wide)
    out = widgets.Output(layout={"min_height": "390px"})

    redraw_on_change(out, (batch_norm, optimizer, activation, epochs),
                     lambda *choices: draw_view(explorer_view(*choices, grid)))
    return widgets.VBox([batch_norm, optimizer, activation, epochs, out])
