"""Every message the checks give on the corpus's wrong answers (and on stubs and bad answers),
to render in each language: `python -m tests.i18n.corpus_messages [zh]` prints them."""

from __future__ import annotations

import contextlib
import importlib
import io
import sys

from dlcourse.checks import answers
from dlcourse.i18n import language_of
from tests.checks.corpus_suite import run_all

TOPICS = ("fitting", "weight_decay", "dropout", "stability", "remedies", "depth")


def _not_implemented(*args, **kwargs):
    raise NotImplementedError


ANSWER_CASES = [
    lambda: answers.check_choice("p_answer", None, (0.2, 0.8)),
    lambda: answers.check_choice("p_answer", 0.5, (0.2, 0.8)),
    lambda: answers.check_number("ratio", None),
    lambda: answers.check_number("ratio", "0.25"),
    lambda: answers.check_answer("ratio", 0.5, 0.25, "compare the two variances", rel_tol=0.05),
    lambda: answers.check_answer("choice", 0.8, 0.2, "which units does p count?"),
]


def corpus_messages(lang: str = "en") -> list[tuple[str, str]]:
    """(where, message) for every wrong answer of the corpus, a stub of every check, and the
    answer checks' failures, rendered in `lang`."""
    found = []
    with language_of(lang), contextlib.redirect_stdout(io.StringIO()):
        for topic in TOPICS:
            checks = importlib.import_module(f"tests.checks.test_{topic}").CHECKS
            wrong = importlib.import_module(f"tests.corpus.{topic}").WRONG
            cases = [(name, fn) for name, pairs in wrong.items() for fn, _ in pairs]
            cases += [(name, _not_implemented) for name in checks]
            for name, fn in cases:
                try:
                    run_all(checks[name], fn)
                except AssertionError as error:
                    found.append((f"{topic}/{name}/{getattr(fn, '__name__', fn)}", str(error)))
        for index, case in enumerate(ANSWER_CASES):
            try:
                case()
            except AssertionError as error:
                found.append((f"answers/{index}", str(error)))
    return found


if __name__ == "__main__":
    for where, message in corpus_messages(sys.argv[1] if len(sys.argv) > 1 else "en"):
        print(f"{where}\n    {message}")
