"""Run the grading units on a Dask distributed cluster (`grade --dask ADDRESS`).

The parent does everything it does locally (discover, templates, resume records, outputs); only
the unit moves: `grade_remote` runs on a Dask worker with a self-contained payload (the
submission's bytes and the assignment's template as a tar archive), grades it with a warm
`worker.Worker` of that Dask worker process (sandboxed exactly as locally), and sends back the
result record, the feedback page and the autograded notebook. Workers need this package
installed (same environment as the parent: it brings the sandbox's bwrap), unless grading with --no-sandbox.
"""

from __future__ import annotations

import fcntl
import io
import json
import tarfile
import tempfile
import threading
from pathlib import Path

from ..errors import GraderError
from ..results import SubmissionResult, UnitRequest

FIRST_CLUSTER_SLOT = 100  #: uids 61100.. on Dask workers; 61000.. stay for the local pool
CLUSTER_SLOTS = 64
_local = threading.local()  #: per Dask worker thread: its Worker, slot lock and templates


def pack_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(folder, arcname=".")
    return buffer.getvalue()


class DaskRunner:
    """Runs units on the cluster at `address`; used by grade.py like a local Worker."""

    def __init__(self, address: str):
        from distributed import Client

        self.client = Client(address, timeout="30s")
        self.templates: dict = {}

    def ship(self, templates: dict) -> None:
        """Send each assignment's template (a tar archive) to every worker once."""
        self.templates = {name: self.client.scatter(pack_folder(t.folder), broadcast=True)
                          for name, t in templates.items()}

    def threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def run(self, request: UnitRequest, work: Path, timeout: float) -> SubmissionResult | None:
        """Grade one request on the cluster; its paths are this machine's: the files go as bytes."""
        payload = {"request": request.to_dict(),
                   "notebook_bytes": [[name, Path(path).read_bytes() if path else None]
                                      for name, path in request.notebooks],
                   "extra_bytes": [[rel, Path(path).read_bytes()] for rel, path in request.extra_files]}
        future = self.client.submit(grade_remote, payload, self.templates[request.assignment],
                                    timeout, pure=False)
        reply = future.result(timeout=timeout + 120)  # the remote side enforces `timeout` itself
        if reply["result"] is None:
            return None
        result = SubmissionResult.from_dict(reply["result"])
        course = work / "course"
        for kind, files in reply["files"].items():
            for name, data in files.items():
                target = course / kind / request.student_id / request.assignment / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        result.source = request.submission
        return result

    def stop(self) -> None:
        self.client.close()


def _claim_slot() -> tuple[int, object]:
    """A sandbox slot no other grading process on this machine holds (a lock file per slot)."""
    folder = Path(tempfile.gettempdir()) / "autograder-slots"
    folder.mkdir(exist_ok=True)
    for slot in range(FIRST_CLUSTER_SLOT, FIRST_CLUSTER_SLOT + CLUSTER_SLOTS):
        handle = open(folder / f"{slot}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return slot, handle
        except OSError:
            handle.close()
    raise GraderError(f"all {CLUSTER_SLOTS} grading slots of this machine are taken")


def grade_remote(payload: dict, template_archive: bytes, timeout: float) -> dict:
    """On a Dask worker: grade one submission; return its record and files as plain data."""
    from .sandbox import FIRST_SANDBOX_UID
    from .worker import Worker

    sent = UnitRequest.from_dict(payload["request"])  # its paths are the parent's
    state = _local.__dict__
    if "worker" not in state:
        slot, state["lock"] = _claim_slot()
        state["home"] = Path(tempfile.mkdtemp(prefix=f"autograder-dask-{slot}-"))
        state["worker"] = Worker(state["home"] / "worker", FIRST_SANDBOX_UID + slot, sent.limits, sent.sandbox)
        state["templates"] = {}
    key = (sent.assignment, hash(template_archive))
    if key not in state["templates"]:
        folder = Path(tempfile.mkdtemp(prefix="template-", dir=state["home"]))
        with tarfile.open(fileobj=io.BytesIO(template_archive), mode="r:gz") as archive:
            archive.extractall(folder, filter="data")
        state["templates"][key] = folder
    with tempfile.TemporaryDirectory(prefix="unit-", dir=state["home"]) as name:
        work = Path(name)
        (work / "submitted").mkdir()
        notebooks = []
        for notebook, data in payload["notebook_bytes"]:
            if data is not None:
                (work / "submitted" / notebook).write_bytes(data)
            notebooks.append([notebook, str(work / "submitted" / notebook) if data is not None else ""])
        extra_files = []
        for rel, data in payload["extra_bytes"]:
            target = work / "extra" / str(len(extra_files))
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(data)
            extra_files.append([rel, str(target)])
        request = sent.with_changes(template=str(state["templates"][key]), work=str(work / "course"),
                                    notebooks=tuple(tuple(pair) for pair in notebooks),
                                    extra_files=tuple(tuple(pair) for pair in extra_files),
                                    submission=next((p for _, p in notebooks if p), ""))
        result = state["worker"].run(request, work, timeout)
        files: dict[str, dict[str, bytes]] = {"feedback": {}, "autograded": {}}
        for notebook, _ in notebooks:
            for kind, file_name in (("feedback", Path(notebook).with_suffix(".html").name), ("autograded", notebook)):
                path = work / "course" / kind / sent.student_id / sent.assignment / file_name
                if path.exists():
                    files[kind][file_name] = path.read_bytes()
        return {"result": None if result is None else json.loads(json.dumps(result.to_dict())), "files": files}
