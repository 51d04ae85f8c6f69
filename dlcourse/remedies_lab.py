"""Old path of `dlcourse.labs.remedies`, kept for notebooks released before the labs moved (until the 2027 term).

New code imports from `dlcourse.labs.remedies`.
"""

from .labs.remedies import *  # noqa: F401,F403
from .models import fit_classifier as train_classifier  # noqa: F401
from .models import make_digits_mlp as make_mlp  # noqa: F401
