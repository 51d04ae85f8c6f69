"""The 01_fitting checks against the instructor's solution, correct variants and realistic bugs."""

from __future__ import annotations

from answer_key import fitting as key_fitting
from dlcourse.checks import fitting
from tests.checks.corpus_suite import corpus_tests
from tests.corpus.fitting import CORRECT, SOLUTION, WRONG

CHECKS = {
    "poly_features": fitting.check_poly_features,
    "mse": fitting.check_mse,
    "fit_least_squares": fitting.check_fit_least_squares,
    "fit_sgd": fitting.check_fit_sgd,
    "kfold_indices": fitting.check_kfold_indices,
    "cross_val_mse": fitting.check_cross_val_mse,
    "select_degree": fitting.check_select_degree,
    "early_stopping_epoch": fitting.check_early_stopping_epoch,
}
globals().update(corpus_tests(CHECKS, SOLUTION, WRONG, CORRECT))


def spec_early_stopping(losses, patience):
    """The rule, written as a definition: the first stopping epoch, then argmin before it."""
    values = [float(v) for v in losses]
    stop = len(values) - 1
    for epoch in range(len(values)):
        best_before = min(values[:epoch + 1])
        last_improvement = max(e for e in range(epoch + 1) if values[e] == best_before
                               and all(values[j] > values[e] for j in range(e)))
        if epoch - last_improvement >= patience:
            stop = epoch
            break
    kept = values[:stop + 1]
    return kept.index(min(kept))


def test_early_stopping_vectors_match_the_rule():
    """Are the hand-written test vectors right (checked against an independent definition)?"""
    for losses, patience, expected in (fitting.EARLY_STOPPING_VECTORS
                                       + key_fitting.EARLY_STOPPING_HIDDEN):
        assert spec_early_stopping(losses, patience) == expected, (losses, patience)


def test_sgd_convergence_has_no_false_failures():
    """Does the statistical SGD check pass the reference on 200 other seeds?"""
    for seed in range(200):
        key_fitting.sgd_convergence_case(SOLUTION["fit_sgd"], data_seed=1000 + seed, order_seed=seed)
