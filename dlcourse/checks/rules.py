"""The built-ins each "write it yourself" exercise may not call, one rule per family.

Each notebook states the rule of an exercise in one line ("Allowed: … Not allowed: …"); its
check runs with `forbidden=<RULE>` (see `forbid.py`), so reaching the built-in, however it is
reached, fails the check with the rule's summary and hint.
"""

from __future__ import annotations

import importlib.util
import os

import torch
import torch.nn.functional as F
import torch.optim
from torch import nn
from torch.nn.utils import clip_grad

from .forbid import Forbidden, source_path

_SKLEARN = importlib.util.find_spec("sklearn").submodule_search_locations[0] + os.sep  # not imported

SKLEARN = Forbidden(
    "SKLEARN",
    "scikit-learn (KFold, Ridge and the rest of the package)",
    "scikit-learn is the reference the checks compare you with; build the answer from torch "
    "operations (torch.arange, slicing, torch.linalg.solve)",
    paths=(_SKLEARN,))

TORCH_OPTIM = Forbidden(
    "TORCH_OPTIM",
    "torch.optim (torch.optim.SGD, Adam, AdamW, their functional forms)",
    "torch.optim is the reference the checks compare you with; write the update with tensor "
    "arithmetic (torch.sqrt, *, +) on the tensors you are given",
    paths=(source_path(torch.optim),))

DROPOUT = Forbidden(
    "DROPOUT",
    "torch's dropout (F.dropout, nn.Dropout, torch.dropout and their variants)",
    "build the mask yourself: torch.rand_like(X) draws on X's device, a comparison gives the "
    "mask, and kept units are divided by 1 - p",
    functions=(F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout,
               F.feature_alpha_dropout),
    paths=(source_path(nn.modules.dropout),),
    compiled=frozenset({"dropout", "dropout_", "native_dropout", "feature_dropout",
                        "feature_dropout_", "alpha_dropout", "alpha_dropout_",
                        "feature_alpha_dropout", "feature_alpha_dropout_", "_fused_dropout"}))

NORMALIZATION = Forbidden(
    "NORMALIZATION",
    "torch's normalization layers (F.batch_norm, nn.BatchNorm1d, F.layer_norm, F.instance_norm, "
    "F.group_norm)",
    "compute the statistics yourself: X.mean(dim=0), X.var(dim=0, unbiased=...), torch.sqrt",
    functions=(F.batch_norm, F.layer_norm, F.instance_norm, F.group_norm, F.rms_norm),
    paths=(source_path(nn.modules.batchnorm), source_path(nn.modules.normalization),
           source_path(nn.modules.instancenorm)),
    compiled=frozenset({"batch_norm", "native_batch_norm", "_native_batch_norm_legit",
                        "_native_batch_norm_legit_no_training", "_batch_norm_impl_index",
                        "cudnn_batch_norm", "miopen_batch_norm", "batch_norm_elemt",
                        "batch_norm_stats", "batch_norm_update_stats", "layer_norm",
                        "native_layer_norm", "group_norm", "native_group_norm", "instance_norm",
                        "rms_norm"}))

TORCH_INIT = Forbidden(
    "TORCH_INIT",
    "torch.nn.init's xavier_*, kaiming_* and calculate_gain",
    "the point of the exercise is to write it yourself: use tensor methods such as "
    "tensor.uniform_ / tensor.normal_ (and your own calculate_gain)",
    functions=(nn.init.xavier_uniform_, nn.init.xavier_normal_, nn.init.kaiming_uniform_,
               nn.init.kaiming_normal_, nn.init.calculate_gain))

CLIP_GRAD = Forbidden(
    "CLIP_GRAD",
    "torch.nn.utils.clip_grad_norm_ (and the rest of torch/nn/utils/clip_grad.py)",
    "add up the squared norms of every gradient yourself (p.grad.norm() or "
    "torch.linalg.vector_norm), then multiply each gradient in place by one common factor",
    paths=(clip_grad.__file__,))
