"""보증운용배수 (operating multiple) levels: the settings dbt classifies each day with.

The warn level, the policy limit and the legal limit (지역신용보증재단법 §19) come from Airflow
Variables (cgf_multiple_warn_level, cgf_multiple_policy_limit, cgf_multiple_legal_limit), else
from the environment (CGF_MULTIPLE_WARN_LEVEL, …), else the defaults 9 / 10 / 15. They reach
dbt as environment variables (dbt_project.yml's vars); marts.fct_operating_multiple_daily
carries the levels of each day and its status, and every other consumer reads the mart.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Levels:
    warn: float = 9.0
    policy: float = 10.0
    legal: float = 15.0

    def __post_init__(self) -> None:
        if not self.warn <= self.policy <= self.legal:
            raise ValueError(f"multiple levels must rise: warn {self.warn} ≤ policy {self.policy} ≤ legal {self.legal}")

    def as_dbt_env(self) -> dict[str, str]:
        """The environment dbt_project.yml reads the levels from."""
        return {"CGF_MULTIPLE_WARN_LEVEL": f"{self.warn:g}", "CGF_MULTIPLE_POLICY_LIMIT": f"{self.policy:g}",
                "CGF_MULTIPLE_LEGAL_LIMIT": f"{self.legal:g}"}


def _setting(variable: str, env: str, default: float) -> float:
    try:
        from airflow.sdk import Variable

        value = Variable.get(variable, default=None)
    except Exception:  # outside a task (CLI, tests) there may be no Variable store to ask
        value = None
    if value in (None, ""):
        value = os.environ.get(env) or default
    return float(value)


def configured_levels() -> Levels:
    return Levels(
        warn=_setting("cgf_multiple_warn_level", "CGF_MULTIPLE_WARN_LEVEL", Levels.warn),
        policy=_setting("cgf_multiple_policy_limit", "CGF_MULTIPLE_POLICY_LIMIT", Levels.policy),
        legal=_setting("cgf_multiple_legal_limit", "CGF_MULTIPLE_LEGAL_LIMIT", Levels.legal),
    )
