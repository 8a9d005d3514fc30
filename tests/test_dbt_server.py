"""dbt started ahead (pipelines/transform/dbt_server.py): a command through the launcher is the same command."""

import os
import subprocess
import sys
import time

import pytest

from pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, available_cores
from pipelines.transform import dbt_server

pytestmark = pytest.mark.skipif(
    available_cores() < 2, reason="the server only starts with a second core"
)
LIST_MODELS = [
    "ls",
    "--project-dir",
    str(DBT_PROJECT_DIR),
    "--profiles-dir",
    str(DBT_PROJECT_DIR),
    "--resource-type",
    "model",
    "--output",
    "name",
    "--quiet",
]


@pytest.fixture
def launcher(dbt_manifest, tmp_path, without_the_workers_dbt_server):
    """A server whose launcher has no dbt to fall back on: what works ran in the server."""
    assert dbt_server.launcher() is None
    dbt_server.start(str(tmp_path / "no-dbt-here"))
    try:
        yield dbt_server.launcher()
    finally:
        dbt_server.stop()
    assert dbt_server.launcher() is None


def run(executable: str, argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [executable, *argv], capture_output=True, text=True, cwd=DBT_PROJECT_DIR, timeout=300
    )


def test_a_command_in_the_server_prints_and_exits_as_dbt_does(launcher):
    served, direct = run(launcher, LIST_MODELS), run(DBT_EXECUTABLE, LIST_MODELS)
    assert served.returncode == direct.returncode == 0, served.stderr
    assert "ict_benchmark" in served.stdout.split()
    assert served.stdout == direct.stdout


def test_a_failing_command_gives_dbts_exit_code_and_message(launcher):
    wrong = ["build", "--project-dir", str(DBT_PROJECT_DIR / "no-such-folder")]
    served, direct = run(launcher, wrong), run(DBT_EXECUTABLE, wrong)
    assert served.returncode == direct.returncode == 2
    assert served.stderr == direct.stderr
    assert "does not exist" in served.stderr


def test_a_second_command_gets_a_fresh_dbt(launcher):
    """Each command runs in its own child: nothing one leaves in dbt's globals reaches the next."""
    assert run(launcher, ["build", "--project-dir", "/no/such/dir"]).returncode == 2
    assert run(launcher, LIST_MODELS).returncode == 0


def test_without_a_server_the_launcher_runs_dbt_itself(tmp_path, dbt_manifest):
    orphan = tmp_path / "dbt"
    orphan.write_text(
        dbt_server.LAUNCHER.format(
            python=sys.executable, socket_path=str(tmp_path / "gone.sock"), dbt=DBT_EXECUTABLE
        )
    )
    orphan.chmod(0o755)
    completed = run(str(orphan), LIST_MODELS)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == run(DBT_EXECUTABLE, LIST_MODELS).stdout


def test_a_parent_that_ends_without_stopping_it_leaves_no_server_behind():
    """A test worker or a killed run ends without atexit: the server sees its stdin close, exits
    and takes the launcher's folder with it."""
    code = (
        "import os; from pipelines.transform import dbt_server; dbt_server.start('dbt'); "
        "print(dbt_server.launcher(), dbt_server._started[0][0].pid, flush=True); os._exit(0)"
    )
    started = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    launcher, pid = started.stdout.split()
    deadline = time.monotonic() + 120
    while (os.path.exists(launcher) or _alive(int(pid))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not os.path.exists(os.path.dirname(launcher))
    assert not _alive(int(pid))


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_large_environment_reaches_dbt_whole(launcher, tmp_path):
    """The launcher sends its environment in one message, which the socket may split: dbt finds
    its project only through the environment here, next to half a megabyte of other variables."""
    env = {
        **os.environ,
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        **{f"ICTBENCH_PADDING_{i}": "x" * 100_000 for i in range(5)},
    }
    served = subprocess.run(
        [launcher, "ls", *LIST_MODELS[5:]], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert served.returncode == 0, served.stderr
    assert "ict_benchmark" in served.stdout.split()


def test_the_server_does_not_import_from_the_folder_it_was_started_in(
    dbt_manifest, tmp_path, monkeypatch, without_the_workers_dbt_server
):
    """dbt imports every top-level `dbt_*` module on the import path; plain dbt does not look in
    the current folder, so neither may the server started ahead."""
    marker = tmp_path / "imported"
    (tmp_path / "dbt_probe.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.chdir(tmp_path)
    dbt_server.start(str(tmp_path / "no-dbt-here"))
    try:
        served = run(dbt_server.launcher(), LIST_MODELS)
    finally:
        dbt_server.stop()
    assert served.returncode == 0, served.stderr
    assert not marker.exists()
