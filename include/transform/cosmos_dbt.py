"""dbt in Airflow through Cosmos: one shared ProfileConfig, the dbt task group, the mart Assets.

The profile comes from the Airflow connection `cgf_warehouse` (a Cosmos ProfileMapping), so
dbt connects wherever the worker's connection points, resolved when the task runs. By default
that connection is derived from CGF_WAREHOUSE_URL (include.warehouse.settings), the same URL
the loader and the quality step use; in a deployment it can be an Airflow connection instead.

The execution mode was chosen by measurement (see README, "dbt in Airflow", and
bench/bench_nightly.py): WATCHER runs one `dbt build` of seeds, models and tests (dbt's own
threads, in a dbt process of its own) and shows one task per model in the Airflow UI, which
keeps the nightly run near a plain `dbt build`; LOCAL runs one dbt invocation per model.
"""
from __future__ import annotations

import os
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    PRODUCER_WATCHER_TASK_ID,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    SeedRenderingBehavior,
    TestBehavior,
)
from cosmos.profiles import PostgresUserPasswordProfileMapping

from include.transform.levels import configured_levels
from include.warehouse import settings
from include.warehouse.db import airflow_connection_uri, url_parts

CONN_ID = "cgf_warehouse"
PROFILE_NAME = "cgf_warehouse"
TARGET_NAME = "warehouse"
MART_SCHEMA = "marts"
EXECUTION_MODE = ExecutionMode(os.environ.get("CGF_COSMOS_EXECUTION_MODE", ExecutionMode.WATCHER.value))
DBT_THREADS = 2
# the nightly build tests the days it restates, not the whole history (dbt_project/macros/test_window.sql);
# one value every night: a var that changed would cost dbt its partial parse
NIGHTLY_DBT_VARS = {"test_window": "restated"}

class WarehouseProfileMapping(PostgresUserPasswordProfileMapping):
    """The Postgres profile of the `cgf_warehouse` connection; a connection without a password
    (a server that authenticates otherwise) gets an empty one instead of Cosmos's error."""

    required_fields: ClassVar[list[str]] = ["host", "user", "dbname"]

    @property
    def mock_profile(self) -> dict:
        return {**super().mock_profile, "password": "mock_value"}  # rendering the DAG connects nowhere

    def get_dbt_value(self, name: str):
        value = super().get_dbt_value(name)
        return "" if name == "password" and value is None else value


def profile_config() -> ProfileConfig:
    """The dbt profile of the `cgf_warehouse` connection, shared by every dbt task.

    A new mapping each time the DAG is parsed: a mapping keeps the connection it looked up once,
    and a process that runs the DAG against one warehouse after another (the tests) must not
    keep the first.
    """
    return ProfileConfig(
        profile_name=PROFILE_NAME,
        target_name=TARGET_NAME,
        profile_mapping=WarehouseProfileMapping(conn_id=CONN_ID,
                                                profile_args={"schema": "public", "threads": DBT_THREADS}),
    )


def point_connection_at(url: str) -> None:
    """Make the `cgf_warehouse` connection of this process (and its tasks) the warehouse at `url`."""
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = airflow_connection_uri(url)


def multiple_level(name: str, run_id: str) -> str:
    """A 보증운용배수 level for dbt, resolved when the task runs (Airflow Variable, else environment)."""
    return _levels_of_run(run_id)[name]


@lru_cache(maxsize=4)
def _levels_of_run(run_id: str) -> dict[str, str]:
    """One set of levels per DAG run: read once, not by each of the run's ~30 dbt tasks in turn
    (which, in a one-process run, cost ~2 s of Variable lookups per night)."""
    return configured_levels().as_dbt_env()


USER_DEFINED_MACROS = {"multiple_level": multiple_level}  # the DAG registers it for the templates below
LEVEL_ENV_TEMPLATES = {name: f"{{{{ multiple_level('{name}', run_id) }}}}" for name in
                       ("CGF_MULTIPLE_WARN_LEVEL", "CGF_MULTIPLE_POLICY_LIMIT", "CGF_MULTIPLE_LEGAL_LIMIT")}


def dbt_task_group(group_id: str = "dbt_build", **task_group_kwargs) -> DbtTaskGroup:
    """The dbt project as an Airflow task group: seeds, models and their tests, one task per node."""
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(dbt_project_path=settings.DBT_PROJECT_DIR, partial_parse=True,
                                     dbt_vars=NIGHTLY_DBT_VARS),
        profile_config=profile_config(),
        # dbt in a process of its own: in-process, Cosmos's per-node reporting holds dbt's threads
        # (measured: the models' build took 5.7 s in-process, 3.1 s as a subprocess)
        execution_config=ExecutionConfig(execution_mode=EXECUTION_MODE, invocation_mode=InvocationMode.SUBPROCESS),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_LS,
            # watcher: the producer's `dbt build` runs the tests too (see _tests_in_the_build);
            # other modes: one `dbt test` task after the models
            test_behavior=TestBehavior.NONE if EXECUTION_MODE == ExecutionMode.WATCHER else TestBehavior.AFTER_ALL,
            # in watcher mode the producer's `dbt build` loads the seeds: no task of their own
            seed_rendering_behavior=SeedRenderingBehavior.NONE if EXECUTION_MODE == ExecutionMode.WATCHER
            else SeedRenderingBehavior.ALWAYS,
            emit_datasets=False,  # publish_marts emits one Asset per mart instead
            enable_mock_profile=True,  # rendering the DAG needs no database
        ),
        operator_args={
            "env": LEVEL_ENV_TEMPLATES,
            "append_env": True,
            "install_deps": False,
            "execution_timeout": timedelta(minutes=30),
        },
        **task_group_kwargs,
    )
    if EXECUTION_MODE == ExecutionMode.WATCHER:
        _tests_in_the_build(group)
        _consumers_after_producer(group)
    return group


def _tests_in_the_build(group: DbtTaskGroup) -> None:
    """The producer runs a whole `dbt build`: seeds, models and their tests, in dbt's order.

    Cosmos restricts the producer to seeds, models and snapshots (`--resource-type`) and leaves
    the tests to test tasks; one `dbt build` instead lets dbt test each model as soon as it is
    built (a failed test skips what depends on it, and fails the producer), on both threads,
    without a second dbt start and parse (measured: README, "dbt in Airflow").
    """
    producer = group.get_child_by_label(PRODUCER_WATCHER_TASK_ID)
    producer.dbt_cmd_flags = list(NIGHTLY_FLAGS)


# dbt's unit tests check the models' SQL against fixed rows, not the night's data: the same code passes
# the same way every night, so the nightly build leaves them out, as dbt advises for production runs
# (tests/test_pipeline_e2e.py runs them against a warehouse the DAG built)
NIGHTLY_EXCLUDED = ("--exclude-resource-type", "unit_test")
# dbt's debug log file (every statement of every node) would go to Cosmos's temporary copy of the project
# and be deleted with it, at ~5 % of the build's time; the task's log keeps dbt's output. A flag, not
# DBT_LOG_LEVEL_FILE: Cosmos leaves an operator's env in the process's environment (dag.test()).
NIGHTLY_FLAGS = (*NIGHTLY_EXCLUDED, "--log-level-file", "none")


def _consumers_after_producer(group: DbtTaskGroup) -> None:
    """The per-model tasks read what the one `dbt build` (the producer) reported, once it is done.

    Cosmos starts them beside the producer, to show progress live; a run that executes one task at
    a time (`dag.test()`, `make run`) would then wait in a sensor for a producer that never starts.
    Downstream of it they resolve at once, and the run costs one `dbt build`; a night skipped or
    failed before the build builds nothing. The producer does not retry: Cosmos skips a retried
    producer (leaving each model to its task), which downstream of it would skip the whole build
    and let the night end green with nothing built. A failed build fails the night, the operators
    are mailed, and the next run restates from the first unbuilt delivery.
    """
    producer = group.get_child_by_label(PRODUCER_WATCHER_TASK_ID)
    producer.retries = 0
    for root in group.get_roots():
        if root is not producer:
            producer >> root


def mirrored_tasks_pattern(group_id: str = "dbt_build") -> str | None:
    """The per-model tasks that only mirror the producer's `dbt build` (watcher mode), as a regex of
    task ids; None in other modes, where each of them builds its model.

    They run after the producer and only after it succeeded, and it succeeds only when every model
    built and passed its tests (a failed test fails it; they are then upstream_failed): once they
    run, each reads a success. A one-process run (include.orchestration.dag_runner) marks them so
    instead of running them one by one, at about 0.1 s of Airflow each (~4 s a night); the
    platform's workers (`make up`) run them.
    """
    if EXECUTION_MODE != ExecutionMode.WATCHER:
        return None
    return rf"{group_id}\.[A-Za-z0-9_]+_run"  # Cosmos names a model's task <model>_run


def mart_names(task_group: DbtTaskGroup) -> list[str]:
    """The models of the dbt project that land in the marts schema (from dbt's own node list)."""
    marts = []
    for node in task_group.dbt_graph.filtered_nodes.values():
        if node.resource_type.value == "model" and Path(node.file_path).parent.name == MART_SCHEMA:
            marts.append(node.name)
    return sorted(marts)


def source_freshness(build: DbtTaskGroup, task_id: str = "source_freshness", **kwargs):
    """`dbt source freshness` of the deliveries: warns 2 days after the last load, fails after 4.

    With the build's Cosmos cache, vars and environment: dbt starts from the build's partial parse
    (measured: a full parse was ~5 of its 9 s on a night that loaded nothing)."""
    from cosmos.operators.local import DbtSourceLocalOperator

    cache_dir = next((task.cache_dir for task in build.children.values() if getattr(task, "cache_dir", None)), None)
    return DbtSourceLocalOperator(
        task_id=task_id, project_dir=str(settings.DBT_PROJECT_DIR), profile_config=profile_config(),
        select=["source:cgf_warehouse.ops.deliveries"], vars=NIGHTLY_DBT_VARS, env=LEVEL_ENV_TEMPLATES,
        append_env=True, install_deps=False, emit_datasets=False, cache_dir=cache_dir, **kwargs)


def dbt_env(url: str) -> dict[str, str]:
    """Environment of profiles.yml (CGF_PG_*) for dbt run by hand (`make docs`, tests)."""
    parts = url_parts(url)
    return {"CGF_PG_HOST": parts["host"], "CGF_PG_PORT": str(parts["port"]), "CGF_PG_USER": parts["user"],
            "CGF_PG_PASSWORD": parts["password"], "CGF_PG_DBNAME": parts["dbname"]}
