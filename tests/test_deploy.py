"""The Kubernetes deployment of docs/scale-out.md: the Helm values for Dagster's chart and the code
location's image say what the document says, and agree with the single-machine settings."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

from pipelines.settings import DATA_RAW_ENV, REPO_ROOT, WAREHOUSE_ENV

VALUES = yaml.safe_load((REPO_ROOT / "deploy" / "helm" / "values.yaml").read_text())
DOCKERFILE = (REPO_ROOT / "deploy" / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
LOCAL_INSTANCE = yaml.safe_load(
    (REPO_ROOT / "pipelines" / "run_history" / "dagster_instance.yaml").read_text()
)
POSTGRES_EXAMPLE = yaml.safe_load(
    (REPO_ROOT / "docs" / "examples" / "dagster-postgres.yaml").read_text()
)
SCALE_OUT = REPO_ROOT / "docs" / "scale-out.md"


def pins() -> dict[str, str]:
    requirements = [
        Requirement(line)
        for line in [
            *PYPROJECT["project"]["dependencies"],
            *PYPROJECT["project"]["optional-dependencies"]["k8s"],
        ]
    ]
    return {r.name: str(r.specifier) for r in requirements if r.name.startswith("dagster")}


def test_every_dagster_package_is_pinned_to_the_release_of_the_core():
    versions = pins()
    core = versions.pop("dagster").removeprefix("==")
    patch = core.split(".")[2]
    assert {"dagster-postgres", "dagster-k8s", "dagster-dbt"} <= versions.keys()
    for name, specifier in versions.items():
        expected = f"=={core}" if name == "dagster-webserver" else f"==0.29.{patch}"
        assert specifier == expected, name
    # the chart's version is the core's: the document installs that one
    assert f"--version {core}" in (REPO_ROOT / "deploy" / "helm" / "values.yaml").read_text()


def test_runs_are_launched_as_kubernetes_jobs():
    launcher = VALUES["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    container = launcher["config"]["k8sRunLauncher"]["runK8sConfig"]["containerConfig"]
    assert container["resources"]["requests"]["cpu"] == "2"


def test_the_instance_is_on_the_same_postgresql_settings_as_on_one_machine():
    postgres = VALUES["postgresql"]
    assert postgres["enabled"] is False  # a managed server outside the chart
    assert postgres["postgresqlHost"]
    assert postgres["service"]["port"] == 5432
    assert VALUES["generatePostgresqlPasswordSecret"] is False
    example = POSTGRES_EXAMPLE["storage"]["postgres"]["postgres_db"]
    assert postgres["postgresqlScheme"] == example["scheme"] == "postgresql+psycopg2"


def test_telemetry_and_the_one_writer_rule_are_those_of_the_local_instance():
    assert VALUES["telemetry"]["enabled"] is LOCAL_INSTANCE["telemetry"]["enabled"] is False
    assert VALUES["concurrency"]["enabled"] is True
    assert [
        {"key": limit["key"], "limit": limit["limit"]}
        for limit in VALUES["concurrency"]["runs"]["tagConcurrencyLimits"]
    ] == LOCAL_INSTANCE["concurrency"]["runs"]["tag_concurrency_limits"]
    assert VALUES["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"


def test_the_code_location_serves_the_projects_definitions():
    user_code = VALUES["dagster-user-deployments"]
    assert user_code["enabled"] is True
    [deployment] = user_code["deployments"]
    assert deployment["image"]["repository"]
    assert deployment["dagsterApiGrpcArgs"] == [
        "--module-name",
        PYPROJECT["tool"]["dagster"]["module_name"],
    ]
    assert PYPROJECT["tool"]["dagster"]["module_name"] == "pipelines.definitions"
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True
    env = {variable["name"]: variable["value"] for variable in deployment["env"]}
    mount = deployment["volumeMounts"][0]["mountPath"]
    assert env[DATA_RAW_ENV].startswith(mount) and env[WAREHOUSE_ENV].startswith(mount)
    assert deployment["volumes"][0]["name"] == deployment["volumeMounts"][0]["name"]


def test_the_image_installs_the_k8s_extra_and_prepares_the_dbt_manifest():
    assert "pip install --no-cache-dir -e '.[k8s]'" in DOCKERFILE
    assert "prepare_manifest()" in DOCKERFILE
    for folder in ("pipelines", "dbt_project", "expectations"):
        assert f"COPY {folder} {folder}" in DOCKERFILE
        assert (REPO_ROOT / folder).is_dir()


def test_the_scale_out_document_links_only_to_what_exists():
    text = SCALE_OUT.read_text()
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if "://" not in link]
    assert "../deploy/helm/values.yaml" in local
    assert "examples/dagster-postgres.yaml" in local
    assert any(link.startswith("../bench/results/") for link in local)
    missing = [link for link in local if not (SCALE_OUT.parent / link).resolve().exists()]
    assert not missing
    for path in re.findall(r"`(deploy/[^`]+|docs/examples/[^`]+)`", text):
        assert (REPO_ROOT / path).exists(), path


def test_the_scale_out_document_cites_the_measured_figures():
    """The figures the estimate starts from are those of the result files it cites."""
    import json

    text = SCALE_OUT.read_text()
    for scale in (1, 2):
        result = json.loads((REPO_ROOT / f"bench/results/2026-12-02-sf{scale}.json").read_text())
        full = result["measurements"]["project_full"]
        assert f"{full['wall_s']:.2f}" in text
        assert f"{full['cpu_s']:.2f}" in text
        assert f"{result['measurements']['project_redelivery']['wall_s']:.2f}" in text


def test_the_readme_points_at_the_postgresql_setting():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "docs/examples/dagster-postgres.yaml" in readme
    assert "docs/scale-out.md" in readme
    assert Path(REPO_ROOT / "docs" / "examples" / "dagster-postgres.yaml").exists()
