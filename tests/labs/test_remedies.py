"""dlcourse.labs.remedies: the optimizer paths on the 2-D surface, fed the solution's steps."""

from __future__ import annotations

import torch

from dlcourse.labs.remedies import (adam_updater, momentum_updater, pathological_surface,
                                    sgd_updater, surface_path)
from tests.corpus.remedies import SOLUTION


def _torch_path(optimizer_class, num_steps=20, **kwargs):
    w = torch.tensor([5.0, 5.0], dtype=torch.float64, requires_grad=True)
    opt = optimizer_class([w], **kwargs)
    path = [w.detach().clone()]
    for _ in range(num_steps):
        opt.zero_grad()
        pathological_surface(w).backward()
        opt.step()
        path.append(w.detach().clone())
    return torch.stack(path)


def test_surface_paths_match_torch_optimizers():
    """Do the notebook's updaters, fed the solution's steps, retrace torch.optim's paths?"""
    cases = [(sgd_updater(10.0), torch.optim.SGD, dict(lr=10.0)),
             (momentum_updater(SOLUTION["sgd_momentum_step"], 1.0, 0.9), torch.optim.SGD,
              dict(lr=1.0, momentum=0.9)),
             (adam_updater(SOLUTION["adam_step"], 1.0), torch.optim.Adam, dict(lr=1.0))]
    for update, optimizer_class, kwargs in cases:
        path = surface_path(pathological_surface, update, num_steps=20)
        assert path.shape == (21, 2)
        torch.testing.assert_close(path, _torch_path(optimizer_class, **kwargs), rtol=1e-9, atol=1e-9)
