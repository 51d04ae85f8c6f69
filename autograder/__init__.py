"""Instructor pipeline: release notebooks, grade submissions safely, export grades and feedback.

Built on nbgrader's Python API; `python -m autograder --help` lists the commands.
"""

__version__ = "0.1.0"
