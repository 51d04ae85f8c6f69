"""Old path, kept for one term (until 2027) for notebooks released before the labs moved.

New code imports from `dlcourse.labs.remedies` and `dlcourse.models`.
"""

from .labs.remedies import *  # noqa: F401,F403
from .models import fit_classifier as train_classifier  # noqa: F401
from .models import make_digits_mlp as make_mlp  # noqa: F401
