"""Helpers shared by every notebook of the course: data, plots and the check helpers.

The package contains no answer to any exercise: the checks compare a student's function with
library routines (torch, scikit-learn) or with fixed test vectors.
"""

__version__ = "0.1.0"
