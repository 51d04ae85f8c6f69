"""Old path, kept for one term (until 2027) for notebooks released before the labs moved.

New code imports from `dlcourse.labs.stability`.
"""

from .runtime import single_thread  # noqa: F401
from .explorers.stability import explore_depth  # noqa: F401
from .labs.stability import *  # noqa: F401,F403
from .labs.stability import train_plain_sgd as train_classifier  # noqa: F401
from .models import (ACTIVATIONS, fraction_correct, init_linears_, linear_layers,  # noqa: F401
                     make_mlp, sgd_step_)
