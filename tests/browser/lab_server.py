"""A throwaway JupyterLab server on loopback, working on a copy of the course's notebooks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from autograder.config import COURSE_ID

# JupyterLab settings for the test profile: every cell in the DOM (no virtual scrolling), the
# notebook's kernel started without a "Select Kernel" dialog, no news toast over the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none",
                                               "autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}


@dataclass
class LabServer:
    url: str
    root: Path
    process: subprocess.Popen
    log: Path

    def log_tail(self, num_chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-num_chars:]

    def stop(self, timeout_s: float = 15) -> None:
        """SIGTERM by PID (the server shuts its kernels down), then SIGKILL its process group."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout_s)
        try:  # kernels the server failed to stop share its process group
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def make_course_copy(repo: Path, workdir: Path, assignments: list[str]) -> Path:
    """A course root in `workdir`: notebooks/, release/<id>/, nbgrader_config.py, an exchange.

    The exchange (nbgrader's hand-over folder) lives in `workdir` too and offers each of
    `assignments` as released, so the Assignment List has something to show.
    """
    root = workdir / "course"
    root.mkdir(parents=True)
    if (repo / "notebooks").is_dir():
        shutil.copytree(repo / "notebooks", root / "notebooks",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    exchange = workdir / "exchange"
    for assignment in assignments:
        shutil.copytree(repo / "release" / assignment, root / "release" / assignment)
        shutil.copytree(repo / "release" / assignment,
                        exchange / COURSE_ID / "outbound" / assignment)
    config = (repo / "nbgrader_config.py").read_text()
    (root / "nbgrader_config.py").write_text(
        config + f"\nc.Exchange.root = {str(exchange)!r}  # added by tests/browser\n")
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _profile_env(home: Path) -> dict[str, str]:
    """Environment with every Jupyter/IPython/matplotlib folder inside `home`."""
    env = dict(os.environ)
    folders = {"HOME": home, "JUPYTER_RUNTIME_DIR": home / "runtime",
               "JUPYTER_CONFIG_DIR": home / "jupyter", "IPYTHONDIR": home / "ipython",
               "MPLCONFIGDIR": home / "matplotlib"}
    for name, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("NBGRADER_EXECUTION", None)  # explorers draw nothing when it is set
    for plugin, values in LAB_SETTINGS.items():
        settings = home / "jupyter" / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps(values))
    return env


def start_lab(root: Path, home: Path, timeout_s: float = 60) -> LabServer:
    """Start `jupyter lab` on 127.0.0.1 serving `root`; return once its API answers."""
    port = _free_port()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.token=",
               "--ServerApp.password=", "--ServerApp.ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = _profile_env(home)
    log = home / "jupyterlab.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}", root, process, log)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({process.returncode}):\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/api/status", timeout=2):
                return server
        except OSError:
            time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"jupyter lab did not answer within {timeout_s} s:\n{server.log_tail()}")
