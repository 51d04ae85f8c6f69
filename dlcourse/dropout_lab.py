"""Old path of `dlcourse.labs.dropout`, kept for notebooks released before the labs moved (until the 2027 term).

New code imports from `dlcourse.labs.dropout`.
"""

from .labs.dropout import *  # noqa: F401,F403
