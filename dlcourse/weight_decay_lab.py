"""Old path of `dlcourse.labs.weight_decay`, kept for notebooks released before the labs moved (until the 2027 term).

New code imports from `dlcourse.labs.weight_decay`.
"""

from .labs.weight_decay import *  # noqa: F401,F403
