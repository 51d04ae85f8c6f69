"""nbgrader configuration: the course root is this folder, so stock nbgrader commands work here.

The options live in autograder/config.py, shared with `python -m autograder`.
"""

from autograder.config import apply_course_config

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)
apply_course_config(c)
