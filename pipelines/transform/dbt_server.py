"""dbt started ahead of its step: a process that has imported dbt forks to run each dbt command.

A `dbt build` in its own process first spends seconds importing dbt and its DuckDB adapter, a large
part of a run that rebuilds one municipality. Measured on a shared machine (one ledger re-delivered
at `demo-data --scale 0.2`, 13 alternating rounds): the dbt step took a median 3.7 s less with the
server, at the same CPU time; a dbt command started in 0.3-0.7 s instead of 3.7-7.2 s. `ictbench
run` starts this server first, so dbt is imported on the second core while the command imports
Dagster and plans, and points dagster-dbt's dbt executable at a launcher. The launcher hands its
command line, environment, working folder and standard streams to the server, which forks a child
that runs dbt's own command line with them, one command at a time; the launcher passes signals on
and exits with the child's exit code. dagster-dbt cannot tell the difference. Without a server (the
UI, the sensor and the schedule, a single core) dbt starts as usual.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from pipelines.settings import available_cores
from pipelines.storage.litter import DBT_SERVER_PREFIX, owned_prefix

STATUS = struct.Struct("!i")

# Runs under the project's interpreter without site-packages (-S): it imports only the standard
# library, so it starts in milliseconds. With the server gone it runs dbt the usual way.
LAUNCHER = """#!{python} -S
import json, os, signal, socket, struct, sys

def main():
    status = struct.Struct("!i")
    with socket.socket(socket.AF_UNIX) as server:
        try:
            server.connect({socket_path!r})
        except OSError:
            os.execv({dbt!r}, [{dbt!r}, *sys.argv[1:]])
        request = json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}})
        socket.send_fds(server, [request.encode() + b"\\n"], [0, 1, 2])
        (child,) = status.unpack(server.recv(status.size, socket.MSG_WAITALL))
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda received, _frame: os.kill(child, received))
        (code,) = status.unpack(server.recv(status.size, socket.MSG_WAITALL))
    sys.exit(code)

main()
"""


def serve(listener_fd: int, folder: Path) -> None:
    """Import dbt once, then fork a child per request until stdin (the parent's pipe) closes.
    The launcher's folder goes with the server, also when the parent ended without stopping it."""
    server = os.getpid()
    # stopped with its run (Ctrl-C under `ictbench run` stops the run's process group)
    signal.signal(signal.SIGTERM, _exit)
    try:
        _serve(listener_fd)
    finally:
        if os.getpid() == server:  # not in a forked child on its way out
            shutil.rmtree(folder, ignore_errors=True)


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _serve(listener_fd: int) -> None:
    import selectors

    import dbt.adapters.duckdb  # imported by every dbt command as it starts
    import dbt.cli.main  # noqa: F401

    with socket.socket(fileno=listener_fd) as listener:
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        selector.register(sys.stdin, selectors.EVENT_READ)
        while True:
            ready = {key.fileobj for key, _ in selector.select()}
            if sys.stdin in ready:
                return
            connection, _ = listener.accept()
            with connection:
                _run_one(connection)


def _run_one(connection: socket.socket) -> None:
    message, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
    while not message.endswith(b"\n"):  # a large environment may come in several pieces
        piece = connection.recv(1 << 16)
        if not piece:  # the launcher went away before it asked for anything
            for fd in fds:
                os.close(fd)
            return
        message += piece
    request = json.loads(message)
    child = os.fork()
    if child == 0:  # the child exits here, whatever happens: it never serves
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # dbt, as if started on its own
        try:
            code = _child(request, fds)
        except BaseException:
            traceback.print_exc()
            code = 1
        # a normal exit, so dbt's semaphores are released, without collecting dbt's objects
        gc.freeze()
        sys.exit(code)
    for fd in fds:
        os.close(fd)
    connection.sendall(STATUS.pack(child))
    _, wait_status = os.waitpid(child, 0)
    connection.sendall(STATUS.pack(os.waitstatus_to_exitcode(wait_status)))


def _child(request: dict, fds: list[int]) -> int:
    """In the forked child: become the launcher's `dbt`, run its command, return its exit code."""
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        from dbt.cli.main import cli

        cli.main(args=request["argv"], prog_name="dbt")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return 0


_started: list[tuple[subprocess.Popen, Path]] = []


def start(dbt_executable: str) -> None:
    """Start the server and write the launcher that `launcher()` returns from then on. Not on a
    single core: there the imports would only delay the run."""
    if _started or available_cores() < 2:
        return
    folder = Path(tempfile.mkdtemp(prefix=owned_prefix(DBT_SERVER_PREFIX)))
    socket_path = str(folder / "dbt.sock")
    # listening before the server exists: a launcher that comes while dbt is still being imported
    # waits for it; once the server is gone, nothing listens and the launcher starts dbt itself
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(socket_path)
        listener.listen()
        server = subprocess.Popen(
            # -P: the folder `ictbench run` was started in is not on the import path; dbt imports
            # every top-level `dbt_*` module it finds there, and plain dbt would not
            [sys.executable, "-P", "-m", __name__, str(listener.fileno()), str(folder)],
            stdin=subprocess.PIPE,
            pass_fds=[listener.fileno()],
        )
    launcher = folder / "dbt"
    launcher.write_text(
        LAUNCHER.format(python=sys.executable, socket_path=socket_path, dbt=dbt_executable)
    )
    launcher.chmod(0o755)
    _started.append((server, launcher))
    atexit.register(stop)


def launcher() -> str | None:
    """The dbt executable that runs commands in the server, once `start` ran in this process."""
    return str(_started[0][1]) if _started else None


def stop() -> None:
    """Close the server's stdin: it finishes the command it runs, if any, and exits."""
    while _started:
        server, launcher_path = _started.pop()
        server.stdin.close()
        server.wait()
        shutil.rmtree(launcher_path.parent, ignore_errors=True)


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]))
    gc.freeze()  # exits without collecting dbt's objects: `ictbench run` waits for this process
