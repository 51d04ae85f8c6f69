"""Explorer for the dropout companion: how the drop probability p changes the train/test gap.

The setting is the one of 03_dropout, made smaller so that a whole grid of p trains in a few
seconds: 300 training digits of which 30% carry a wrong label, 500 clean test digits, a
64 → 256 → 10 ReLU network with `nn.Dropout(p)` after the hidden layer, full-batch Adam
(learning rate 5e-3) for 100 epochs. Every run starts from the same weights. Runs are cached,
so moving the slider only redraws.
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import nn
import torch.nn.functional as F

from ..data import make_digits
from ..plot import plot_curves
from ..runtime import single_thread
from .render import new_figure, redraw_on_change, widgets_or_none

#: The drop probabilities of the explorer's slider.
DROP_PROBABILITIES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
NUM_TRAIN, NUM_TEST, LABEL_NOISE = 300, 500, 0.3
HIDDEN, LEARNING_RATE, NUM_EPOCHS = 256, 5e-3, 100


@lru_cache(maxsize=4)
def noisy_digits(seed: int = 0):
    """The explorer's data: (X_train, y_train, X_test, y_test, flipped).

    X_train (300, 64) with 30% wrong labels in y_train, X_test (500, 64) with clean labels;
    `flipped` (300,) is True where y_train is wrong. Pixels are divided by 16.
    """
    X_train, y_train, X_test, y_test = make_digits(
        NUM_TRAIN, label_noise=LABEL_NOISE, generator=torch.Generator().manual_seed(seed))
    # Same generator seed without noise: the same split, with the true labels.
    clean_labels = make_digits(NUM_TRAIN, generator=torch.Generator().manual_seed(seed))[1]
    return X_train, y_train, X_test[:NUM_TEST], y_test[:NUM_TEST], y_train != clean_labels


@lru_cache(maxsize=64)
def _train(p: float, seed: int, num_epochs: int) -> tuple:
    """One cached run; tuples, so that callers cannot change the cache."""
    X_train, y_train, X_test, y_test, flipped = noisy_digits(seed)
    train_acc, test_acc, memorized = [], [], []
    with torch.random.fork_rng(), single_thread():
        torch.manual_seed(seed)  # same initial weights for every p; then the dropout masks
        model = nn.Sequential(nn.Linear(X_train.shape[1], HIDDEN), nn.ReLU(), nn.Dropout(p),
                              nn.Linear(HIDDEN, 10))
        optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        for _ in range(num_epochs):
            model.train()
            optimizer.zero_grad()
            F.cross_entropy(model(X_train), y_train).backward()
            optimizer.step()
            model.eval()  # measure without dropout
            with torch.no_grad():
                predicted = model(X_train).argmax(dim=1)
                train_acc.append((predicted == y_train).float().mean().item())
                memorized.append((predicted[flipped] == y_train[flipped]).float().mean().item())
                test_acc.append((model(X_test).argmax(dim=1) == y_test).float().mean().item())
    return tuple(train_acc), tuple(test_acc), tuple(memorized)


def dropout_history(p: float, seed: int = 0, num_epochs: int = NUM_EPOCHS) -> dict:
    """Train (or fetch from the cache) the explorer's network with drop probability p.

    Accuracies are measured in eval mode after every epoch; "train_acc" is measured against the
    noisy labels the network is trained on, "memorized" is the fraction of the wrongly labelled
    training digits that the network predicts with their wrong label.

    Returns:
        {"epoch": [1..num_epochs], "train_acc": [...], "test_acc": [...], "memorized": [...]}.

    Raises:
        ValueError: unless 0 <= p < 1.
    """
    if not 0 <= p < 1:
        raise ValueError(f"p must be in [0, 1), got {p}")
    train_acc, test_acc, memorized = _train(float(p), seed, num_epochs)
    return {"epoch": list(range(1, num_epochs + 1)), "train_acc": list(train_acc),
            "test_acc": list(test_acc), "memorized": list(memorized)}


def gap_vs_p(ps=DROP_PROBABILITIES, seed: int = 0, num_epochs: int = NUM_EPOCHS) -> dict:
    """Final-epoch numbers for each p: the train/test gap and what it is made of.

    Returns:
        {"p": [...], "train_acc": [...], "test_acc": [...], "gap": [train_acc - test_acc],
         "memorized": [...]}, one float per p.
    """
    sweep = {"p": [float(p) for p in ps], "train_acc": [], "test_acc": [], "gap": [], "memorized": []}
    for p in sweep["p"]:
        history = dropout_history(p, seed, num_epochs)
        sweep["train_acc"].append(history["train_acc"][-1])
        sweep["test_acc"].append(history["test_acc"][-1])
        sweep["gap"].append(history["train_acc"][-1] - history["test_acc"][-1])
        sweep["memorized"].append(history["memorized"][-1])
    return sweep


def draw_dropout(p: float, seed: int = 0):
    """The explorer's figure for drop probability p: curves over epochs, and the gap against p.

    Returns a `matplotlib.figure.Figure` made without pyplot.
    """
    history, sweep = dropout_history(p, seed), gap_vs_p(seed=seed)
    fig = new_figure((10, 3.4), top=0.9, wspace=0.22)
    ax_curves, ax_sweep = fig.subplots(1, 2)
    plot_curves(history["epoch"], {"train accuracy (noisy labels)": history["train_acc"],
                                   "test accuracy": history["test_acc"],
                                   "wrong labels memorized": history["memorized"]},
                marker=None, xlabel="epoch", ylabel="fraction", ax=ax_curves,
                title=f"p = {p:g}: gap {history['train_acc'][-1] - history['test_acc'][-1]:+.2f}")
    if p > 0:
        ax_curves.plot(history["epoch"], dropout_history(0.0, seed)["test_acc"], color="gray",
                       linestyle=":", label="test accuracy, p = 0")
        ax_curves.legend(fontsize="small")
    ax_curves.set_ylim(0, 1.02)
    plot_curves(sweep["p"], {"train accuracy (noisy labels)": sweep["train_acc"],
                             "test accuracy": sweep["test_acc"],
                             "wrong labels memorized": sweep["memorized"]},
                xlabel="drop probability p", ylabel="after the last epoch", ax=ax_sweep,
                title="the gap shrinks as p grows")
    ax_sweep.plot(sweep["p"], sweep["gap"], color="tab:red", marker="s", markersize=3,
                  label="gap: train − test accuracy")
    ax_sweep.axhline(0.0, color="black", linewidth=0.8)
    ax_sweep.axvline(p, color="gray", linestyle="--")
    ax_sweep.legend(fontsize="small")
    return fig


def explorer(display: bool = True, seed: int = 0):
    """Widget: a slider for p; redraws `draw_dropout(p)` below it.

    The first call trains the grid DROP_PROBABILITIES (a few seconds); later moves only redraw.
    Returns an ipywidgets.VBox, or None when `display` is False, while nbgrader runs the
    notebook, or when ipywidgets is missing.
    """
    widgets = widgets_or_none(display)
    if widgets is None:
        return None
    slider = widgets.SelectionSlider(options=list(DROP_PROBABILITIES), value=0.5,
                                     description="drop p", continuous_update=False)
    out = widgets.Output(layout={"min_height": "360px"})

    redraw_on_change(out, (slider,), lambda p: draw_dropout(p, seed))
    return widgets.VBox([slider, out])


#: The cached computations behind the explorer, by name (lru_cache functions): a redraw
#: must reuse them, which tests check through their cache_info().
CACHES = {"runs": _train}
