"""The grader's own errors: each says what went wrong and what to do, in one line, and carries the
command line's exit code (1: the run failed; 2: a usage or configuration error to fix first).

A module's error subclasses one of these (and, for callers that catch it so, the builtin it used
to be); the command line maps exceptions to exit codes through them alone.
"""

from __future__ import annotations


class GraderError(Exception):
    """The run failed for a reason the message states."""

    exit_code = 1


class UsageError(GraderError, ValueError):
    """Bad input or configuration: an argument, a file, a course setting."""

    exit_code = 2


class NotFound(UsageError, FileNotFoundError):
    """A path the user named (or the course folder) does not exist."""


class ReleaseError(GraderError, RuntimeError):
    """nbgrader could not generate an assignment; the message carries its log."""
