"""Instructor pipeline: release notebooks, grade submissions safely, export grades and feedback.

Built on nbgrader's Python API; `python -m autograder --help` lists the commands.
"""

import sys

__version__ = "0.1.0"

# jsonschema imports rfc3987_syntax, when installed, only to check the "iri"/"uri" string formats,
# which no notebook or nbgrader schema uses; importing it compiles 38 grammars, 1.5-3 s in every
# grading process (the CLI, each worker, each cold unit). A None entry makes that import fail fast.
sys.modules.setdefault("rfc3987_syntax", None)
