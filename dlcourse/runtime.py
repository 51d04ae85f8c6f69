"""Runtime settings for a block of code: one intra-op thread, a seeded global RNG.

Labs, explorers and checks all use these, so each lives here once. Both restore the caller's
setting afterwards: a helper never changes a notebook's thread count or random state.
"""

from __future__ import annotations

import contextlib
import random

import numpy as np
import torch


@contextlib.contextmanager
def single_thread():
    """Run the block with one intra-op thread, then restore the previous setting.

    The course multiplies small matrices (64 to 256 wide): one thread is about as fast as two
    there, and it does not slow down by one or two orders of magnitude when other processes share
    the cores (measured on a loaded 2-core machine: a digits training run 1-2 s on one thread,
    8-58 s on two; 100 products of 64×64 matrices 0.03 s vs 3.7 s).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def seeded_global(seed: int, *, numpy_and_python: bool = False):
    """Run the block on torch's global CPU RNG seeded with `seed`, then restore the caller's state.

    With `numpy_and_python`, numpy's and Python's global RNGs are seeded too and restored after
    (for student code that might draw from either).
    """
    np_state, py_state = np.random.get_state(), random.getstate()
    with torch.random.fork_rng(devices=[]):
        # the CPU generator alone: torch.manual_seed also queues a seed for every lazily
        # initialised device, formatting the Python stack each time (a millisecond deep in a grader)
        torch.random.default_generator.manual_seed(seed)
        if numpy_and_python:
            np.random.seed(seed)
            random.seed(seed)
        try:
            yield
        finally:
            if numpy_and_python:
                np.random.set_state(np_state)
                random.setstate(py_state)
