"""The 03_dropout checks against the instructor's solution, correct variants and realistic bugs."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse.checks import dropout
from tests.checks.corpus_suite import corpus_tests, run_all
from tests.corpus.dropout import CORRECT, SOLUTION, WRONG, drop_reseeds

CHECKS = {
    "dropout_layer": dropout.check_dropout_layer,
    "Dropout": dropout.check_dropout_module,
    "DropoutMLP": dropout.check_dropout_mlp,
    "evaluate_accuracy": dropout.check_evaluate_accuracy,
    "train_classifier": dropout.check_train_classifier,
}
globals().update(corpus_tests(CHECKS, SOLUTION, WRONG, CORRECT, classes=("Dropout", "DropoutMLP")))


STATISTICAL_PS = (0.1, 0.3, 0.5, 0.7, 0.9)


@pytest.mark.parametrize("p", STATISTICAL_PS)
def test_statistics_pass_torch_dropout_on_many_seeds(p):
    """Does torch's F.dropout (the reference) pass the statistical case on 200 other seeds?"""
    for seed in range(100, 300):
        dropout.dropout_statistics_case(lambda X, q: F.dropout(X, q), p, seed)


@pytest.mark.parametrize("p", STATISTICAL_PS)
def test_statistics_pass_solution_on_many_seeds(p):
    """Does the instructor's dropout_layer pass the statistical case on 200 other seeds?"""
    for seed in range(300, 500):
        dropout.dropout_statistics_case(SOLUTION["dropout_layer"], p, seed)


def test_mlp_statistics_pass_on_many_seeds():
    """Does the DropoutMLP training-mode check (zero fractions per layer) pass 200 other seeds?"""
    for seed in range(200):
        dropout.mlp_pass_case(SOLUTION["DropoutMLP"], (20, 64, 48, 5), 0.2, 0.5, train=True,
                              seed=1000 + seed)


def test_train_vectors_match_an_independent_loop():
    """Are the fixed train_classifier vectors right (re-derived with torch.optim.Adam)?"""
    vector, expected = dropout.TRAIN_VECTOR, dropout.TRAIN_EXPECTED
    model = dropout.vector_model(vector)
    X, y, X_test, y_test = dropout.vector_data(vector)
    optimizer = torch.optim.Adam(model.parameters(), lr=vector["lr"])
    losses, train_acc, test_acc = [], [], []
    for _ in range(vector["epochs"]):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        with torch.no_grad():
            train_acc.append((model(X).argmax(1) == y).double().mean().item())
            test_acc.append((model(X_test).argmax(1) == y_test).double().mean().item())
    assert losses == pytest.approx(expected["train_loss"], abs=1e-12)
    assert train_acc == expected["train_acc"] and test_acc == expected["test_acc"]
    assert torch.allclose(model.weight, torch.tensor(expected["W"], dtype=torch.float64), atol=1e-12)
    assert torch.allclose(model.bias, torch.tensor(expected["b"], dtype=torch.float64), atol=1e-12)
    assert len(set(train_acc)) > 2, "the accuracies must change between epochs to catch bugs"


def test_a_dropout_layer_that_reseeds_leaves_the_global_rngs_alone():
    """Checks fork the RNGs: a student's reseeding must not shift torch's, numpy's or Python's stream."""
    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)
    with pytest.raises(AssertionError):  # a dropout_layer that reseeds the global RNG itself
        run_all(CHECKS["dropout_layer"], drop_reseeds)
    run_all(CHECKS["dropout_layer"], CORRECT["dropout_layer"][0])
    got = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(got[0], expected[0])
    assert np.array_equal(got[1], expected[1]) and got[2] == expected[2]


def test_device_check_meets_real_torch_behaviour():
    """On the 'meta' device, does D2L's CPU mask really fail, and do rand_like/bernoulli pass?"""
    X = torch.empty(4, 5, device="meta")
    with pytest.raises(RuntimeError, match="device"):
        (torch.rand(X.shape) > 0.5).float() * X
    assert ((torch.rand_like(X) > 0.5) * X / 0.5).device == X.device
    assert (torch.bernoulli(torch.full_like(X, 0.5)) * X).device == X.device
    assert F.dropout(X, 0.5).device == X.device


@pytest.mark.slow
def test_noisy_digits_dropout_gains_at_least_three_points():
    """The notebook's experiment: mean test-accuracy gain of p = 0.5 over p = 0, two seeds."""
    from dlcourse.data import make_digits

    torch.set_num_threads(2)
    X_train, y_train, X_test, y_test = make_digits(num_train=300, label_noise=0.3,
                                                   generator=torch.Generator().manual_seed(0))
    X_test, y_test = X_test[:500], y_test[:500]
    final = {}
    with torch.random.fork_rng(devices=[]):
        for p in (0.0, 0.5):
            for seed in (0, 1):
                torch.manual_seed(seed)
                model = SOLUTION["DropoutMLP"](64, 512, 512, 10, p, p)
                history = SOLUTION["train_classifier"](model, X_train, y_train, 100, 1e-3,
                                                       X_test, y_test)
                final[p, seed] = history["test_acc"][-1]
    gain = sum(final[0.5, s] - final[0.0, s] for s in (0, 1)) / 2
    assert gain >= 0.03, final
