"""Old path, kept for one term (until 2027) for notebooks released before the labs moved.

New code imports from `dlcourse.labs.weight_decay`.
"""

from .labs.weight_decay import *  # noqa: F401,F403
