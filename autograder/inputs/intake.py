"""Take in a folder or .zip of submissions: every file is either a submission or listed with why not.

The layout (see layouts.py) is recognized from the notebooks' paths, unless `--layout` or
`--filename-regex` says it. Several files of one student for one assignment: the latest
(resubmission number, Canvas file id, timestamp) is graded, the others are listed. An input with
nothing to grade raises IntakeError. Nothing here modifies a file.
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from .collect import CollectError, Listed, Submission
from .ids import id_from_folder
from .late import read_timestamp
from .layouts import CLAIMS, Claim, Layout, check_regex, claim_regex, detect
from ..results import Status

logger = logging.getLogger(__name__)

LAYOUTS = ("auto", *CLAIMS)
KEPT_FROM_ZIP = (".ipynb", "timestamp.txt")  #: other members are listed, not extracted


class IntakeError(CollectError):
    """Nothing in the input can be graded; `intake` says what each file was."""

    def __init__(self, message: str, intake: Intake | None = None):
        super().__init__(message)
        self.intake = intake


@dataclass(frozen=True)
class IntakeOptions:
    """How to read the input; every field has a default that recognizes the usual layouts."""

    layout: str = "auto"            #: auto, nbgrader, flat, canvas or moodle
    filename_regex: str = ""        #: named groups, as nbgrader's zip_collect (overrides layout)
    default_assignment: str = ""    #: the assignment of files whose name names none


@dataclass
class Intake:
    """What an input holds."""

    layout: str
    submissions: list[Submission] = field(default_factory=list)
    listed: list[Listed] = field(default_factory=list)

    @property
    def gradable(self) -> list[Submission]:
        return [s for s in self.submissions if s.path is not None and s.assignment and not s.problem]


def take_in(path: Path, assignments: list[str], scratch: Path, options: IntakeOptions = IntakeOptions(),
            known: dict[str, str] | None = None, notebook_names: dict[str, list[str]] | None = None) -> Intake:
    """Read `path` (a folder or a .zip) for the course's `assignments`.

    `known`: the roster's ids by LMS identity ("lms:<id>", "name:<full name>"), so LMS downloads
    are filed under the roster's student ids. `notebook_names`: each assignment's notebooks (the
    release's file names); in nbgrader's layout a student's notebooks are matched by these names.
    """
    given = Path(path)
    path, prefix, listed = _open(given, scratch)
    if options.layout not in LAYOUTS:
        raise CollectError(f"--layout {options.layout!r}: use one of {', '.join(LAYOUTS)}")
    layout = Layout(assignments, known)
    files = sorted(_walk(path), key=str)
    name, claim = _claimer(options, layout, [rel for rel in files if rel.suffix == ".ipynb" and not _ignored(rel)])
    intake = Intake(name, listed=listed)
    claims: dict[tuple[str, str], list[tuple[Claim, PurePosixPath]]] = defaultdict(list)
    for rel in files:
        why = _ignored(rel) or ("a symbolic link: not followed" if (path / rel).is_symlink() else "") or \
            ("" if rel.suffix == ".ipynb" else _not_a_notebook(rel, name))
        found = claim(rel) if not why else why
        if isinstance(found, Claim) and not found.student_id:
            found = "the path gives no student id"
        if isinstance(found, str):
            intake.listed.append(Listed(prefix + str(rel), found))
            continue
        found = replace(found, assignment=found.assignment or options.default_assignment)
        claims[(found.student_id, found.assignment)].append((found, rel))
    for (student, assignment), group in sorted(claims.items()):
        names = (notebook_names or {}).get(assignment, [])
        if name == "nbgrader" and names:
            intake.submissions.append(_by_name(group, names, path, prefix, intake.listed, files, assignments))
        else:
            intake.submissions.append(_latest(group, path, prefix, intake.listed, assignments))
    if name == "nbgrader":
        intake.submissions += _empty_folders(path, files, layout, prefix)
    _refuse_nothing(intake, given, assignments)
    logger.info("%s: %s layout, %d submission(s), %d other file(s) listed", given, name,
                len(intake.submissions), len(intake.listed))
    return intake


def _claimer(options: IntakeOptions, layout: Layout, notebooks: list[PurePosixPath]):
    """The layout's name and its claim function: the regex if given, else --layout, else detected."""
    if options.filename_regex:
        pattern = check_regex(options.filename_regex)
        return "regex", lambda rel: claim_regex(rel, layout, pattern)
    name = detect(notebooks, layout) if options.layout == "auto" else options.layout
    return name, lambda rel: CLAIMS[name](rel, layout)


def _open(path: Path, scratch: Path) -> tuple[Path, str, list[Listed]]:
    """The folder to read, the prefix of its files' names in listings, the files already listed."""
    if not path.exists():
        raise CollectError(f"{path} does not exist: pass a folder of submissions or a .zip file")
    if path.is_dir():
        return path, "", []
    if not zipfile.is_zipfile(path):
        raise CollectError(f"{path} is a file but not a .zip archive: pass a folder or a .zip")
    target = scratch / "unzipped"
    return target, f"{path.name}/", _extract(path, target)


def _member_name(member: zipfile.ZipInfo) -> str:
    """The member's name: zip tools without the UTF-8 flag often still write UTF-8 (macOS, Windows 10+)."""
    if member.flag_bits & 0x800:
        return member.filename
    try:
        return member.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return member.filename


def _extract(archive: Path, target: Path) -> list[Listed]:
    """Extract notebooks and timestamp.txt files, refusing paths that would escape `target`."""
    target.mkdir(parents=True, exist_ok=True)
    listed = []
    with zipfile.ZipFile(archive) as zf:
        for member in zf.infolist():
            name = PurePosixPath(_member_name(member).replace("\\", "/"))
            origin = f"{archive.name}/{name}"
            if member.is_dir():
                continue
            if name.is_absolute() or ".." in name.parts:
                listed.append(Listed(origin, "unsafe path in the archive: not extracted"))
            elif not name.name.endswith(KEPT_FROM_ZIP) or _ignored(name):
                listed.append(Listed(origin, _ignored(name) or _not_a_notebook(name, "")))
            else:
                dest = target / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(zf.read(member))
    return listed


def _walk(root: Path):
    """Every file under `root` as a relative path; links are listed, never followed."""
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in [*names, *(d for d in dirs if os.path.islink(os.path.join(folder, d)))]:
            yield PurePosixPath(Path(folder, name).relative_to(root).as_posix())


def _ignored(rel: PurePosixPath) -> str:
    if "__MACOSX" in rel.parts or rel.name.startswith("._") or rel.name == ".DS_Store":
        return "ignored: macOS metadata"
    if ".ipynb_checkpoints" in rel.parts:
        return "ignored: a Jupyter checkpoint (autosaved copy)"
    return ""


def _not_a_notebook(rel: PurePosixPath, layout: str) -> str:
    if rel.name == "timestamp.txt" and layout == "nbgrader":
        return "used: the submission time of the notebook beside it"
    if rel.suffix.lower() in (".zip", ".tar", ".gz", ".7z", ".rar"):
        return "an archive inside the input: not opened (extract it into the folder and grade again)"
    return f"not a notebook ({rel.suffix or 'no extension'})"


def _latest(group: list[tuple[Claim, PurePosixPath]], root: Path, prefix: str, listed: list[Listed],
            assignments: list[str]) -> Submission:
    """The submission of the highest-ranked file; the others are listed as superseded."""
    group.sort(key=lambda item: item[0].rank)
    claim, rel = group[-1]
    origin = prefix + str(rel)
    for other, other_rel in group[:-1]:
        listed.append(Listed(prefix + str(other_rel), f"superseded: {origin} is graded (the latest)",
                             other.student_id, other.assignment))
    notebook = root / rel
    submitted = claim.submitted_at or read_timestamp(notebook.parent)
    unknown = None if claim.assignment else Status.INVALID
    detail = "" if claim.assignment else (
        "cannot tell the assignment from the file name; name it <assignment>.ipynb with "
        f"one of {assignments}, or pass --assignment ID when every file is for one assignment")
    return Submission(claim.student_id, claim.assignment, notebook, unknown, detail, origin=origin,
                      name=claim.name, lms_id=claim.lms_id, late=claim.late, submitted_at=submitted)


def _by_name(group: list[tuple[Claim, PurePosixPath]], names: list[str], root: Path, prefix: str,
             listed: list[Listed], files: list[PurePosixPath], assignments: list[str]) -> Submission:
    """nbgrader's layout: the notebooks named as the release's, graded together; every other
    notebook of the folder is listed, never graded in place of one of them. A folder holding none
    of them: with a single notebook expected, the latest file is graded as it (see _latest)."""
    group.sort(key=lambda item: item[0].rank)
    folder = group[-1][1].parent
    found = {rel.name: (claim, rel) for claim, rel in group if rel.parent == folder and rel.name in names}
    if not found and len(names) == 1:
        return replace(_latest(group, root, prefix, listed, assignments),
                       extra_files=_extra_files(folder, files, root))
    expected = ", ".join(names)
    for claim, rel in group:
        if rel.name not in found or found[rel.name][1] != rel:
            why = (f"extra notebook: not one of the assignment's notebooks ({expected}); not graded"
                   if rel.parent == folder else f"superseded: {prefix}{folder}/ is graded (the latest)")
            listed.append(Listed(prefix + str(rel), why, claim.student_id, claim.assignment))
    claim, rel = found[names[0]] if names[0] in found else group[-1]
    submitted = claim.submitted_at or read_timestamp(root / folder)
    if not found:
        return Submission(claim.student_id, claim.assignment, None, Status.MISSING,
                          f"none of the assignment's notebooks ({expected}) in {folder.name}/",
                          origin=f"{prefix}{folder}/", submitted_at=submitted)
    first = next(found[n][1] for n in names if n in found)
    return Submission(claim.student_id, claim.assignment, root / first, origin=prefix + str(first),
                      submitted_at=submitted,
                      notebooks=tuple((n, root / found[n][1]) for n in names if n in found),
                      extra_files=_extra_files(folder, files, root))


def _extra_files(folder: PurePosixPath, files: list[PurePosixPath], root: Path) -> tuple[tuple[str, Path], ...]:
    """The files under a student's assignment folder other than notebooks and timestamp.txt."""
    return tuple((rel.relative_to(folder).as_posix(), root / rel) for rel in files
                 if rel.is_relative_to(folder) and rel.suffix != ".ipynb" and rel != folder / "timestamp.txt"
                 and not _ignored(rel) and not (root / rel).is_symlink())


def _empty_folders(root: Path, files: list[PurePosixPath], layout: Layout, prefix: str) -> list[Submission]:
    """nbgrader layout: a <student>/<assignment>/ folder without a notebook is a missing submission."""
    with_notebook = {rel.parent for rel in files if rel.suffix == ".ipynb" and not _ignored(rel)}
    found = []
    for folder, dirs, _ in os.walk(root):
        rel = PurePosixPath(Path(folder).relative_to(root).as_posix())
        if rel.name in layout.assignments and len(rel.parts) >= 2 and rel not in with_notebook \
                and not _ignored(rel):
            found.append(Submission(id_from_folder(rel.parent.name), rel.name, None, Status.MISSING,
                                    f"no .ipynb file in {rel.name}/", origin=prefix + str(rel) + "/"))
    return found


def _refuse_nothing(intake: Intake, path: Path, assignments: list[str]) -> None:
    """One clear line when nothing in the input can be graded."""
    if intake.gradable:
        return
    if not intake.listed and not intake.submissions:
        raise IntakeError(f"nothing to grade: {path} is empty", intake)
    reasons = defaultdict(int)
    for item in intake.listed:
        reasons[item.reason.split(":")[0]] += 1
    for submission in intake.submissions:
        reasons[submission.problem.split(";")[0]] += 1
    summary = "; ".join(f"{count} {why}" for why, count in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
    raise IntakeError(f"nothing to grade in {path} ({intake.layout} layout): {summary}. Expected "
                      f"notebooks for {', '.join(assignments)} as <student>/<assignment>/*.ipynb, "
                      "<student>_<assignment>.ipynb, a Canvas or Moodle download, or pass --filename-regex", intake)

