"""The answer key: hidden cases of the checks, for the grader only (see dlcourse/checks/hidden.py).

Not part of the installed package and never mounted in the grading sandbox. `<topic>.<check>(fn,
**shared)` builds the hidden cases of `dlcourse.checks.<topic>.check_<check>`; `shared` holds values
the visible part of that check already made (so both draw from one generator as before).
"""
