"""Old path of `dlcourse.labs.fitting`, kept for notebooks released before the labs moved (until the 2027 term).

New code imports from `dlcourse.labs.fitting`.
"""

from .labs.fitting import monomial_features, polyfit_curves  # noqa: F401
from .models import fraction_correct  # noqa: F401
