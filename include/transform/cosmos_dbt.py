"""Shared dbt settings for Cosmos (one ProfileConfig for every DAG) and for dbt run by hand."""
from __future__ import annotations

from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig

from include.warehouse import settings
from include.warehouse.db import url_parts
from include.warehouse.embedded import embedded_url

PROFILE_NAME = "cgf_warehouse"
TARGET_NAME = "warehouse"

profile_config = ProfileConfig(
    profile_name=PROFILE_NAME,
    target_name=TARGET_NAME,
    profiles_yml_filepath=settings.DBT_PROJECT_DIR / "profiles.yml",
)
project_config = ProjectConfig(dbt_project_path=settings.DBT_PROJECT_DIR)
execution_config = ExecutionConfig(dbt_project_path=settings.DBT_PROJECT_DIR)


def dbt_env(url: str | None = None) -> dict[str, str]:
    """Environment the profiles.yml reads (CGF_PG_*), from the warehouse URL.

    Computed without starting anything: the embedded server's URL is known in advance.
    """
    parts = url_parts(url or settings.configured_warehouse_url() or embedded_url())
    return {
        "CGF_PG_HOST": parts["host"],
        "CGF_PG_PORT": str(parts["port"]),
        "CGF_PG_USER": parts["user"],
        "CGF_PG_PASSWORD": parts["password"],
        "CGF_PG_DBNAME": parts["dbname"],
    }


def build_operator(**kwargs):
    """`dbt build` through Cosmos, connected to the warehouse current at run time.

    The connection is resolved when the task runs, not when the DAG file is parsed, so one DAG
    serves whatever CGF_WAREHOUSE_URL the worker has.
    """
    from cosmos.operators.local import DbtBuildLocalOperator

    class WarehouseDbtBuildOperator(DbtBuildLocalOperator):
        def get_env(self, context):
            from include.alerts.levels import configured_levels

            env = super().get_env(context)
            env.update(dbt_env())
            levels = configured_levels()  # Airflow Variables, else environment, else 9/10/15
            env.update(CGF_MULTIPLE_WARN_LEVEL=str(levels.warn), CGF_MULTIPLE_POLICY_LIMIT=str(levels.policy),
                       CGF_MULTIPLE_LEGAL_LIMIT=str(levels.legal))
            return env

        def calculate_openlineage_events_completes(self, *args, **kwargs) -> bool:
            return False  # no OpenLineage here: skip parsing dbt artifacts for lineage events

    return WarehouseDbtBuildOperator(
        project_dir=str(settings.DBT_PROJECT_DIR),
        profile_config=profile_config,
        append_env=True,
        install_deps=False,
        emit_datasets=False,
        **kwargs,
    )
