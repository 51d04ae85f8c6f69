"""The class report as HTML and Markdown: one list of typed blocks (headings, paragraphs, tables,
figures) built from report.json's numbers, rendered by two Jinja templates
(page_templates/report.{html,md}.j2), so both files say the same thing. `render_page` renders
the other pages the grader writes (page_templates/*.html.j2).

The HTML template autoescapes every piece of text, the Markdown one passes it through `md`;
student ids and messages are never trusted.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from functools import cache
from typing import ClassVar

import jinja2

MAX_NAMES = 5  #: students named per failure message


@dataclass(frozen=True)
class Heading:
    kind: ClassVar[str] = "heading"
    level: int  #: 1-3
    text: str


@dataclass(frozen=True)
class Para:
    kind: ClassVar[str] = "para"
    text: str


@dataclass(frozen=True)
class Figure:
    kind: ClassVar[str] = "figure"
    key: tuple[int, str]  #: (section index, kind), as report_plots.draw_figures names it
    alt: str


@dataclass(frozen=True)
class Row:
    cells: list[str]
    weak: bool = False  #: a weakest cell: highlighted


@dataclass(frozen=True)
class Table:
    kind: ClassVar[str] = "table"
    headers: list[str]
    rows: list[Row]
    mono: tuple[int, ...] = field(default=())  #: columns shown in monospace (messages)


Block = Heading | Para | Figure | Table


def _pct(fraction: float | None) -> str:
    return "–" if fraction is None else f"{100 * fraction:.0f}%"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{round(value, 2):g}"


def _names(students: list[str]) -> str:
    more = len(students) - MAX_NAMES
    return ", ".join(students[:MAX_NAMES]) + (f" and {more} more" if more > 0 else "")


def report_blocks(report: dict) -> list[Block]:
    """The report's content, in reading order."""
    summary = report["summary"]
    rows = [Row([s["assignment"] or "(no assignment)", str(s["submissions"]), str(s["status_counts"]["ok"]),
                 str(s["submissions"] - s["status_counts"]["ok"]), _pct(s["scores"]["mean"]),
                 _pct(s["scores"]["median"]), ", ".join(s["weakest"]) or "–"])
            for s in report["assignments"]]
    blocks = [
        Heading(1, "Class report"),
        Para(f"Generated {report['generated']}: {summary['submissions']} submission(s) from "
             f"{summary['students']} student(s); {summary['needs_attention']} need attention."),
        Para("Scores are percentages of the maximum and count every submission (a missing or "
             "unreadable one as 0). Pass rates and failure messages count the notebooks that were "
             "executed (status ok, tampered, timeout or crashed); the others are listed under "
             "Needs attention. For the LMS, grades_totals.csv has one row per student: each "
             "assignment's total (0 where the student has no submission), their sum and the "
             "maximum; grades.csv has every graded cell."),
        Heading(2, "Summary"),
        Table(["assignment", "submissions", "ok", "need attention", "mean", "median", "weakest cells"], rows),
    ]
    for index, section in enumerate(report["assignments"]):
        blocks += _section_blocks(index, section)
    return blocks


def _section_blocks(index: int, section: dict) -> list[Block]:
    title = section["assignment"] or "Files that name no assignment"
    blocks: list[Block] = [Heading(2, title)]
    if not section["submissions"]:
        return blocks + [Para("No submissions.")]
    counts = section["status_counts"]
    blocks.append(Table(list(counts), [Row([str(n) for n in counts.values()])]))
    scores = section["scores"]
    if scores["count"]:
        blocks += [
            Heading(3, "Scores"),
            Para(f"Mean {_pct(scores['mean'])} ({_num(scores['mean_points'])} of "
                 f"{_num(section['max_points'])} points), median {_pct(scores['median'])}, "
                 f"min {_pct(scores['min'])}, max {_pct(scores['max'])}, over {scores['count']} "
                 "submission(s)."),
            Figure((index, "scores"), f"{title}: score histogram"),
        ]
    if section["cells"]:
        blocks += _cell_blocks(index, title, section)
    blocks += _timing_blocks(index, title, section["timing"])
    blocks.append(Heading(3, "Needs attention"))
    attention = section["attention"]
    if not attention:
        return blocks + [Para("Nobody: every submission was graded normally.")]
    rows = [Row([a["student_id"], a["status"], f"{_num(a['score'])}/{_num(a['max_score'])}",
                 f"{a['meaning']}: {a['detail']}" if a["detail"] else a["meaning"]]) for a in attention]
    return blocks + [Table(["student", "status", "score", "what happened"], rows, mono=(3,))]


def _cell_blocks(index: int, title: str, section: dict) -> list[Block]:
    cells = section["cells"]
    if not section["executed"]:
        return [Heading(3, "Test cells"), Para("No notebook was executed, so there are no pass rates.")]
    weakest = [c for c in cells if c["weakest"]]
    verdict = ("Weakest cells, the concepts the class struggles with: "
               + ", ".join(f"{c['grade_id']} ({_pct(c['pass_rate'])})" for c in weakest) + "."
               if weakest else "Every executed notebook passed every test cell.")
    rows = [Row([str(i), c["grade_id"], _num(c["max_points"]), f"{c['passed']}/{c['graded']}",
                 _pct(c["pass_rate"]), "⚠ weakest" if c["weakest"] else ""], weak=c["weakest"])
            for i, c in enumerate(cells, start=1)]
    blocks = [Heading(3, "Test cells"),
              Para(f"Over {section['executed']} executed notebook(s). {verdict}"),
              Table(["#", "cell", "points", "passed", "pass rate", ""], rows),
              Figure((index, "pass_rates"), f"{title}: pass rate per test cell")]
    rows = []
    for c in cells:
        rows += [Row([c["grade_id"], str(f["count"]), _names(f["students"]), f["example"]])
                 for f in c["failures"]]
        rest = c["graded"] - c["passed"] - sum(f["count"] for f in c["failures"])
        if rest:
            rows.append(Row([c["grade_id"], str(rest), "",
                             f"… {c['failure_kinds'] - len(c['failures'])} other kind(s) of message"]))
    if rows:
        blocks += [Heading(3, "Most common failure messages"),
                   Para("Messages that differ only in their numbers are grouped; one example is "
                        "shown per group, most common first."),
                   Table(["cell", "count", "students", "example message"], rows, mono=(3,))]
    return blocks


def _timing_blocks(index: int, title: str, timing: dict) -> list[Block]:
    if not timing["count"]:
        return []
    slowest = ", ".join(f"{s['student_id']} ({s['seconds']:.1f} s)" for s in timing["slowest"])
    return [Heading(3, "Grading time"),
            Para(f"Mean {timing['mean']:.1f} s, median {timing['median']:.1f} s, max "
                 f"{timing['max']:.1f} s per submission, over {timing['count']} file(s) that "
                 f"reached a grading unit. Slowest: {slowest}."),
            Figure((index, "timing"), f"{title}: grading time histogram")]


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("autograder.outputs", "page_templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    environment.filters["md"] = _md
    environment.filters["base64"] = lambda data: base64.b64encode(data).decode("ascii")
    return environment


def render_page(template: str, **context) -> str:
    """page_templates/`template` filled with `context` (autoescaped for .html.j2)."""
    return _environment().get_template(template).render(**context)


def _render(template: str, report: dict, figures: dict) -> str:
    blocks = [b for b in report_blocks(report) if not isinstance(b, Figure) or b.key in figures]
    return render_page(template, blocks=blocks, figures=figures)


def render_html(report: dict, figures: dict[tuple[int, str], bytes]) -> str:
    """One self-contained HTML page; the figures are embedded as base64 PNG."""
    return _render("report.html.j2", report, figures)


def render_markdown(report: dict, figure_paths: dict[tuple[int, str], str]) -> str:
    """The same page as Markdown; figures are linked by their paths relative to report.md."""
    return _render("report.md.j2", report, figure_paths)


def _md(text: str) -> str:
    """Text shown literally in Markdown: no HTML, no emphasis, no table breaks, one line."""
    text = html.escape(" ".join(text.split()), quote=False)
    for char in "\\`*|[]":
        text = text.replace(char, "\\" + char)
    return text
