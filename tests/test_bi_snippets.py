"""Every snippet of the README's "Connect your BI tool" section runs against a freshly built mart."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_benchmark

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
DOC = REPO_ROOT / "README.md"
SNIPPET = re.compile(r"```(sh|python) bi-snippet\n(.*?)```", re.DOTALL)


def snippets() -> list[tuple[str, str]]:
    return SNIPPET.findall(DOC.read_text(encoding="utf-8"))


def test_the_document_covers_cli_python_sqlalchemy_and_parquet():
    text = " ".join(code for _, code in snippets())
    assert [language for language, _ in snippets()].count("sh") >= 1
    for needle in ("duckdb -readonly", "duckdb.connect", "duckdb:///", "read_parquet"):
        assert needle in text


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, dbt_manifest) -> Path:
    root = tmp_path_factory.mktemp("bi")
    data_raw = root / "data_raw"
    shutil.copytree(FIXTURES / "handcomputed", data_raw)
    result = run_benchmark(data_raw, root / "warehouse")
    assert result.success
    return root / "warehouse"


@pytest.mark.parametrize(
    ("language", "code"), snippets(), ids=[f"snippet_{n}" for n in range(1, len(snippets()) + 1)]
)
def test_snippet_runs(warehouse: Path, tmp_path: Path, language: str, code: str):
    code = code.replace("warehouse/", f"{warehouse}/").replace(
        ".venv/bin/", f"{Path(sys.executable).parent}/"
    )
    command = ["bash", "-euc", code] if language == "sh" else [sys.executable, "-c", code]
    environment = dict(os.environ)  # the snippets name .venv/bin themselves
    finished = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60
    )
    assert finished.returncode == 0, finished.stderr
    assert "GM0363" in finished.stdout or "Amsterdam" in finished.stdout, finished.stdout
