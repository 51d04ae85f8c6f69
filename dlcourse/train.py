"""Old path, kept for one term (until 2027) for notebooks released before the labs moved.

New code imports from `dlcourse.labs.fitting` and `dlcourse.models`.
"""

from .labs.fitting import monomial_features, polyfit_curves  # noqa: F401
from .models import fraction_correct  # noqa: F401
