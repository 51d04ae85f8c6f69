"""Old path, kept for one term (until 2027) for notebooks released before the labs moved.

New code imports from `dlcourse.labs.dropout`.
"""

from .labs.dropout import *  # noqa: F401,F403
