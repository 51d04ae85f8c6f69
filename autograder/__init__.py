"""Instructor pipeline: release notebooks, grade submissions safely, export grades and feedback.

Built on nbgrader's Python API; `python -m autograder --help` lists the commands.
"""

import sys
from importlib.metadata import PackageNotFoundError, version

try:  # one number: pyproject.toml's (both packages ship in the distribution named dlcourse)
    __version__ = version("dlcourse")
except PackageNotFoundError:  # a copy of the folder on sys.path, not installed
    __version__ = "unknown"

# jsonschema imports rfc3987_syntax, when installed, only to check the "iri"/"uri" string formats,
# which no notebook or nbgrader schema uses; importing it compiles 38 grammars, 1.5-3 s in every
# grading process (the CLI, each worker, each cold unit). A None entry makes that import fail fast.
sys.modules.setdefault("rfc3987_syntax", None)
