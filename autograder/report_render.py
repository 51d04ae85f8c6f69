"""The class report as HTML and Markdown: one list of blocks (headings, paragraphs, tables,
figures) built from report.json's numbers, rendered twice, so both files say the same thing.

Every piece of text is escaped by the renderer; student ids and messages are never trusted.
"""

from __future__ import annotations

import base64
import html

#: a block: ("h1" | "h2" | "h3" | "p", text), ("figure", (section index, kind), alt text) or
#: ("table", headers, rows, row classes, indices of columns shown in monospace)
Block = tuple
MAX_NAMES = 5  #: students named per failure message

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:62rem;margin:2rem auto;
padding:0 1rem;color:#222;line-height:1.45}
h1{margin-bottom:.3rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.4rem}
h3{margin:1.4rem 0 .4rem}p{margin:.4rem 0}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}tr.weak td{background:#fdecea}
td.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82rem;white-space:pre-wrap;
word-break:break-word}
img{display:block;max-width:100%;height:auto;margin:.5rem 0}
"""


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
    rows = [[s["assignment"] or "(no assignment)", str(s["submissions"]), str(s["status_counts"]["ok"]),
             str(s["submissions"] - s["status_counts"]["ok"]), _pct(s["scores"]["mean"]),
             _pct(s["scores"]["median"]), ", ".join(s["weakest"]) or "–"]
            for s in report["assignments"]]
    blocks = [
        ("h1", "Class report"),
        ("p", f"Generated {report['generated']}: {summary['submissions']} submission(s) from "
              f"{summary['students']} student(s); {summary['needs_attention']} need attention."),
        ("p", "Scores are percentages of the maximum and count every submission (a missing or "
              "unreadable one as 0). Pass rates and failure messages count the notebooks that were "
              "executed (status ok, tampered, timeout or crashed); the others are listed under "
              "Needs attention. For the LMS, grades_totals.csv has one row per student: each "
              "assignment's total (0 where the student has no submission), their sum and the "
              "maximum; grades.csv has every graded cell."),
        ("h2", "Summary"),
        ("table", ["assignment", "submissions", "ok", "need attention", "mean", "median",
                   "weakest cells"], rows, [""] * len(rows), ()),
    ]
    for index, section in enumerate(report["assignments"]):
        blocks += _section_blocks(index, section)
    return blocks


def _section_blocks(index: int, section: dict) -> list[Block]:
    title = section["assignment"] or "Files that name no assignment"
    blocks: list[Block] = [("h2", title)]
    if not section["submissions"]:
        return blocks + [("p", "No submissions.")]
    counts = section["status_counts"]
    blocks.append(("table", list(counts), [[str(n) for n in counts.values()]], [""], ()))
    scores = section["scores"]
    if scores["count"]:
        blocks += [
            ("h3", "Scores"),
            ("p", f"Mean {_pct(scores['mean'])} ({_num(scores['mean_points'])} of "
                  f"{_num(section['max_points'])} points), median {_pct(scores['median'])}, "
                  f"min {_pct(scores['min'])}, max {_pct(scores['max'])}, over {scores['count']} "
                  "submission(s)."),
            ("figure", (index, "scores"), f"{title}: score histogram"),
        ]
    if section["cells"]:
        blocks += _cell_blocks(index, title, section)
    blocks += _timing_blocks(index, title, section["timing"])
    blocks.append(("h3", "Needs attention"))
    attention = section["attention"]
    if not attention:
        return blocks + [("p", "Nobody: every submission was graded normally.")]
    rows = [[a["student_id"], a["status"], f"{_num(a['score'])}/{_num(a['max_score'])}",
             f"{a['meaning']}: {a['detail']}" if a["detail"] else a["meaning"]] for a in attention]
    return blocks + [("table", ["student", "status", "score", "what happened"], rows,
                      [""] * len(rows), (3,))]


def _cell_blocks(index: int, title: str, section: dict) -> list[Block]:
    cells = section["cells"]
    if not section["executed"]:
        return [("h3", "Test cells"), ("p", "No notebook was executed, so there are no pass rates.")]
    weakest = [c for c in cells if c["weakest"]]
    verdict = ("Weakest cells, the concepts the class struggles with: "
               + ", ".join(f"{c['grade_id']} ({_pct(c['pass_rate'])})" for c in weakest) + "."
               if weakest else "Every executed notebook passed every test cell.")
    rows = [[str(i), c["grade_id"], _num(c["max_points"]), f"{c['passed']}/{c['graded']}",
             _pct(c["pass_rate"]), "⚠ weakest" if c["weakest"] else ""]
            for i, c in enumerate(cells, start=1)]
    blocks = [("h3", "Test cells"),
              ("p", f"Over {section['executed']} executed notebook(s). {verdict}"),
              ("table", ["#", "cell", "points", "passed", "pass rate", ""], rows,
               ["weak" if c["weakest"] else "" for c in cells], ()),
              ("figure", (index, "pass_rates"), f"{title}: pass rate per test cell")]
    rows = []
    for c in cells:
        rows += [[c["grade_id"], str(f["count"]), _names(f["students"]), f["example"]]
                 for f in c["failures"]]
        rest = c["graded"] - c["passed"] - sum(f["count"] for f in c["failures"])
        if rest:
            rows.append([c["grade_id"], str(rest), "", f"… {c['failure_kinds'] - len(c['failures'])} "
                                                        "other kind(s) of message"])
    if rows:
        blocks += [("h3", "Most common failure messages"),
                   ("p", "Messages that differ only in their numbers are grouped; one example is "
                         "shown per group, most common first."),
                   ("table", ["cell", "count", "students", "example message"], rows,
                    [""] * len(rows), (3,))]
    return blocks


def _timing_blocks(index: int, title: str, timing: dict) -> list[Block]:
    if not timing["count"]:
        return []
    slowest = ", ".join(f"{s['student_id']} ({s['seconds']:.1f} s)" for s in timing["slowest"])
    return [("h3", "Grading time"),
            ("p", f"Mean {timing['mean']:.1f} s, median {timing['median']:.1f} s, max "
                  f"{timing['max']:.1f} s per submission, over {timing['count']} file(s) that "
                  f"reached a grading unit. Slowest: {slowest}."),
            ("figure", (index, "timing"), f"{title}: grading time histogram")]


def render_html(report: dict, figures: dict[tuple[int, str], bytes]) -> str:
    """One self-contained HTML page; the figures are embedded as base64 PNG."""
    parts = []
    for block in report_blocks(report):
        kind = block[0]
        if kind in ("h1", "h2", "h3", "p"):
            parts.append(f"<{kind}>{html.escape(block[1])}</{kind}>")
        elif kind == "figure" and block[1] in figures:
            data = base64.b64encode(figures[block[1]]).decode("ascii")
            parts.append(f'<img alt="{html.escape(block[2])}" src="data:image/png;base64,{data}">')
        elif kind == "table":
            parts.append(_html_table(*block[1:]))
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Class report</title><style>{CSS}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def _html_table(headers: list[str], rows: list[list[str]], classes: list[str], mono: tuple) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row, row_class in zip(rows, classes):
        cells = "".join(f"<td{' class=mono' if i in mono else ''}>{html.escape(text)}</td>"
                        for i, text in enumerate(row))
        body.append(f"<tr{f' class={row_class}' if row_class else ''}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_markdown(report: dict, figure_paths: dict[tuple[int, str], str]) -> str:
    """The same page as Markdown; figures are linked by their paths relative to report.md."""
    parts = []
    for block in report_blocks(report):
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            parts.append("#" * int(kind[1]) + " " + _md(block[1]))
        elif kind == "p":
            parts.append(_md(block[1]))
        elif kind == "figure" and block[1] in figure_paths:
            parts.append(f"![{_md(block[2])}]({figure_paths[block[1]]})")
        elif kind == "table":
            headers, rows = block[1], block[2]
            lines = ["| " + " | ".join(map(_md, headers)) + " |", "|" + "---|" * len(headers)]
            lines += ["| " + " | ".join(map(_md, row)) + " |" for row in rows]
            parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _md(text: str) -> str:
    """Text shown literally in Markdown: no HTML, no emphasis, no table breaks, one line."""
    text = html.escape(" ".join(text.split()), quote=False)
    for char in "\\`*|[]":
        text = text.replace(char, "\\" + char)
    return text
