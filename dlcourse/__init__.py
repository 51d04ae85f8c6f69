"""Helpers shared by every notebook of the course: data, plots and the check helpers.

The package contains no answer to any exercise: the checks compare a student's function with
library routines (torch, scikit-learn) or with fixed test vectors.
"""

from importlib.metadata import PackageNotFoundError, version

try:  # one number: pyproject.toml's (both packages ship in the distribution named dlcourse)
    __version__ = version("dlcourse")
except PackageNotFoundError:  # a copy of the folder on sys.path, not installed
    __version__ = "unknown"
