"""The kernel side of grading: a sandboxed kernel manager and an Execute step that never loses points.

`GuardedExecute` replaces nbgrader's Execute preprocessor:
- it starts the kernel through `SandboxedKernelManager` (see sandbox.py) when a sandbox is set;
- it keeps at most `Limits.output_kb` of output per cell, so an output flood cannot exhaust memory;
- when the kernel dies (os._exit, a segfault, a limit), it keeps what ran, marks the cell where it
  died and gives every test cell that did not run an error output, so nbgrader scores those 0 and
  the ones before keep their points (stock nbgrader discards the whole submission).
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Any, Dict, Int, Unicode

from dlcourse.i18n import language_of, notebook_language

from .quickclient import QuickKernelManager
from ..config import Limits
from .sandbox import prepare_scratch, wrap
from ..cells import has_meta, is_test_cell
from .warm import ZygoteProcess

if TYPE_CHECKING:
    from ..trusted import remote

KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRun"


def trusted_checks():
    """The grader's checks (torch, scikit-learn), imported where they are evaluated, not by every
    reader of the course config. Torch gets one thread: a check and the kernel it calls take turns,
    and idle OpenMP threads spinning between a check's operations took the CPU from the kernel
    (the checks ran 2.5x slower with 2 workers on 2 cores)."""
    import torch

    from ..trusted import remote, verdicts

    torch.set_num_threads(1)
    return remote, verdicts


class SandboxedKernelManager(QuickKernelManager):
    """Starts the kernel inside the sandbox (when `scratch` is set) and talks to it over Unix sockets
    in the scratch folder. The grading unit configures it: c.SandboxedKernelManager.<trait>."""

    scratch = Unicode(None, allow_none=True, help="the kernel's only writable folder; None: no sandbox").tag(config=True)
    uid = Int(None, allow_none=True, help="the unprivileged uid of student code (when grading as root)").tag(config=True)
    limits = Dict(help="config.Limits as a dict").tag(config=True)
    host = Any(None, help="a started warm.KernelHost whose zygote forks the kernel; None: a cold kernel").tag(config=True)
    kernel_env = Dict(help="variables added to a warm kernel's environment (a cold one inherits the grader's)").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.scratch is not None:
            runtime = Path(self.scratch) / ".kernel"
            runtime.mkdir(parents=True, exist_ok=True)
            self.transport = "ipc"  # TCP cannot cross the sandbox's empty network namespace
            self.ip = str(runtime / "socket")
            self.connection_file = str(runtime / "connection.json")
            # a signal would hit bubblewrap, not the kernel: interrupt over the control channel
            self.kernel_spec.interrupt_mode = "message"

    def write_connection_file(self, **kwargs):
        result = super().write_connection_file(**kwargs)
        if self.scratch is not None:
            prepare_scratch(Path(self.scratch), self.uid)
        return result

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        host = self.host if self.scratch is not None else None
        if host is None:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        # warm: the worker's zygote forks a kernel that has the course's imports done already
        pid = host.fork_kernel(self.connection_file, cwd=self.scratch, env=self.kernel_env)
        provisioner = self.provisioner
        provisioner.process, provisioner.pid, provisioner.pgid = ZygoteProcess(host, pid), pid, None
        self._reconcile_connection_info(provisioner.connection_info)

    async def _async_kill_kernel(self, restart: bool = False) -> None:
        if restart or self.scratch is None or self.host is None:
            return await super()._async_kill_kernel(restart)
        # warm: SIGKILL through the zygote, without polling until it has reaped the kernel (20 ms):
        # its reset after the unit reaps every process of the sandbox before anything is collected
        await self.provisioner.kill(restart=restart)

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        if self.scratch is None:
            return command
        return wrap(command, scratch=Path(self.scratch), uid=self.uid, limits=Limits(**self.limits))


class GuardedExecute(Execute):
    """nbgrader's Execute, with an output cap and partial credit when the kernel dies."""

    output_limit_bytes = Int(Limits.output_kb.default_value * 1024,
                             help="output kept per cell; the rest is dropped with a note").tag(config=True)
    #: monotonic times of the latest execution: start, first_cell, last_cell, end (see timing.py)
    marks: ClassVar[dict[str, float]] = {}
    #: seconds the grader spent evaluating test-cell checks (calls into the kernel included), since reset
    check_seconds: ClassVar[float] = 0.0

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        if self._sandbox().get("host") is not None:
            self.shutdown_kernel = "immediate"  # a warm kernel is killed by the zygote's reset anyway
        self._output_sizes: dict[int, int] = {}
        self._replies: str | None = None
        self._calls: Path | None = None
        self._current = -1

    def preprocess(self, nb, resources=None, km=None):
        GuardedExecute.marks = {"start": time.monotonic()}
        self._calls = None  #: the kernel's call server (a new kernel per notebook)
        try:
            with language_of(notebook_language(nb)):  # the checks' messages in the notebook's language
                return self._execute_guarded(nb, resources, km)
        finally:
            if self._replies:
                shutil.rmtree(self._replies, ignore_errors=True)

    def _execute_guarded(self, nb, resources, km):
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError:
            self._mark_not_run(nb, self._current, "the kernel died while running this cell")
        except Exception as error:  # e.g. a forked process corrupting the kernel's messages
            self.log.warning("grading stopped: %r", error)
            self._mark_not_run(nb, self._current, f"grading stopped in this cell: {type(error).__name__}: "
                                                  f"{str(error)[:200]}")
        finally:
            self.marks["end"] = time.monotonic()
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        self._current = index
        self.marks.setdefault("first_cell", time.monotonic())
        try:
            if is_test_cell(cell):
                return self._grade_test_cell(cell, resources, index)
            return super().preprocess_cell(cell, resources, index)
        finally:
            self.marks["last_cell"] = time.monotonic()

    def _grade_test_cell(self, cell, resources, index):
        """Run what the kernel may see of a test cell, then the statements the grader evaluates."""
        remote, verdicts = trusted_checks()
        test, official = verdicts.plan(cell.source), cell.source
        cell.source = test.kernel_source  # hidden checks the grader evaluates never reach the kernel
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        finally:
            cell.source = official
        if test.statements and not any(o.output_type == "error" for o in cell.outputs):
            started = time.monotonic()
            try:
                verdict = verdicts.evaluate(test, self._fetch(test.names), self._session())
            except remote.KernelStopped as stopped:
                if isinstance(stopped.__cause__, DeadKernelError):
                    raise stopped.__cause__ from None
                reason = f"a check's call into your code ran longer than {self.timeout} s and was interrupted"
                cell.outputs.append(new_output("error", ename="CellTimeoutError", evalue=reason,
                                               traceback=[f"CellTimeoutError: {reason}"]))
                return cell, resources
            finally:
                GuardedExecute.check_seconds += time.monotonic() - started
            if verdict.outcomes:  # the notebook's self-check then shows the grader's outcomes
                # not awaited: the kernel runs it before the next cell, whose reply nbclient tells apart
                self.kc.execute("for _o in " + repr(verdict.outcomes) + ":\n"
                                "    __import__('dlcourse.checks._core', fromlist=['_']).record_outcome(*_o)\n"
                                "del _o", silent=True, store_history=False, allow_stdin=False)
            if verdict.output:
                cell.outputs.append(new_output("stream", name="stdout", text=verdict.output))
            if verdict.failure:
                ename, _, evalue = verdict.failure.partition(": ")
                cell.outputs.append(new_output("error", ename=ename, evalue=evalue, traceback=[verdict.failure]))
        return cell, resources

    def _session(self) -> remote.Session:
        """Calls from the grader's checks into this kernel (see remote.py), through a server the
        kernel starts on first use (agent_calls.serve)."""
        if self._calls is None:
            self._calls = self._exchange_folder() / f".calls-{secrets.token_hex(4)}.sock"
            run_sync(self._run_silently)(
                f"__import__('autograder.trusted.agent_calls', fromlist=['serve']).serve({str(self._calls)!r})")
        timeout = self.timeout if self.timeout and self.timeout > 0 else None
        remote, _ = trusted_checks()
        return remote.Session(remote.KernelChannel(self._calls, timeout, self._interrupt_calls, self._check_alive))

    def _interrupt_calls(self) -> None:
        run_sync(self._run_silently)("__import__('autograder.trusted.agent_calls', fromlist=['interrupt']).interrupt()")

    def _check_alive(self) -> None:
        run_sync(self._async_check_alive)()  # raises DeadKernelError

    def _sandbox(self) -> dict:
        """The kernel manager's sandbox settings in this step's config (c.SandboxedKernelManager)."""
        return self.config.get("SandboxedKernelManager", {})

    def _exchange_folder(self) -> Path:
        return Path(self._sandbox().get("scratch") or self._reply_folder())

    def _fetch(self, names: list[str]) -> dict[str, object] | None:
        """The student's values of `names`, reported by the kernel as JSON data (see agent.py)."""
        if not names:
            return {}
        reply = self._exchange_folder() / f".reply-{secrets.token_hex(8)}.json"
        _, verdicts = trusted_checks()
        run_sync(self._run_silently)(verdicts.kernel_request(names, reply))
        try:
            return verdicts.read_reply(reply)
        finally:
            reply.unlink(missing_ok=True)

    def _reply_folder(self) -> str:
        if self._replies is None:  # without a sandbox: a private folder
            self._replies = tempfile.mkdtemp(prefix="dlcourse-replies-")
        return self._replies

    async def _run_silently(self, code: str) -> bool:
        """Run `code` in the kernel; False if no reply came within the cell timeout."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        return await self.async_wait_for_reply(msg_id) is not None

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        used = self._output_sizes.get(cell_index, 0)
        self._output_sizes[cell_index] = used + size
        if used + size <= self.output_limit_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.output_limit_bytes:  # the first message over the limit: say so once
            outs.append(new_output("stream", name="stdout",
                                   text=f"\n[output truncated: more than {self.output_limit_bytes // 1024} KB]\n"))
        return None

    @staticmethod
    def _mark_not_run(nb, died_at: int, reason: str) -> None:
        if died_at < 0:  # the kernel never ran a cell (it did not start): blame the first code cell
            code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
            course = [i for i in code if has_meta(nb.cells[i])]  # not the grader's seed cell
            died_at = (course or code or [0])[0]
            reason = f"the kernel died before running any cell ({reason})"
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or index < died_at:
                continue
            if index == died_at:
                cell.outputs.append(new_output("error", ename=KERNEL_DIED, evalue=reason,
                                               traceback=[f"{KERNEL_DIED}: {reason}"]))
            elif is_test_cell(cell):
                cell.outputs = [new_output("error", ename=NOT_RUN,
                                           evalue="not run: the kernel died before this cell",
                                           traceback=[f"{NOT_RUN}: the kernel died before this cell"])]
