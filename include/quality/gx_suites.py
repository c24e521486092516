"""Great Expectations, run once per nightly run: one ephemeral context, one checkpoint.

The suites are the versioned files in expectations/ (one JSON ExpectationSuite each). Their
meta.cgf says what each validates: `query` (SQL with {window_from} / {window_to}, the days
of the run; other {name}s are the suite parameters from reference data) and `relations` (what
must exist). Data Docs (HTML) are written to
settings.gx_data_docs_dir().
"""
from __future__ import annotations

import decimal
import json
import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from include.warehouse import settings

DOCS_SITE = "cgf_data_docs"
DATASOURCE = "warehouse"
SHOWN_UNEXPECTED = 10


@dataclass(frozen=True)
class SuiteFile:
    name: str
    definition: dict  # the ExpectationSuite as stored
    query: str
    relations: tuple[str, ...]

    def batch_query(self, window: tuple[date, date], parameters: dict | None = None) -> str:
        """The suite's SQL for the days of the run; {name} placeholders take the suite parameters."""
        values = {**(parameters or {}), "window_from": window[0].isoformat(), "window_to": window[1].isoformat()}
        query = self.query
        for name, value in values.items():
            query = query.replace("{" + name + "}", str(value))
        return query


def suite_files(folder: Path | None = None) -> list[SuiteFile]:
    found = []
    for path in sorted((folder or settings.EXPECTATIONS_DIR).glob("*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        meta = definition.get("meta", {}).get("cgf", {})
        found.append(SuiteFile(definition["name"], definition, meta["query"], tuple(meta.get("relations", ()))))
    return found


def docs_index() -> Path:
    return settings.gx_data_docs_dir() / "index.html"


def preload() -> None:
    """Import Great Expectations (seconds of imports: pandas, SQLAlchemy, its renderers) ahead of the
    quality step; include.orchestration.dag_runner does it while the dbt build runs in its own process."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # its INFO is registry chatter
    import great_expectations  # noqa: F401

    _decimals_converted_without_stack_inspection()


def _decimals_converted_without_stack_inspection() -> None:
    """GX turns each Decimal of a result into a float with util.convert_decimal_to_float, which calls
    inspect.stack() every time to tell whether its rule-based profiler (not used here) is the caller.
    In an Airflow task (a deep stack, thousands of modules loaded) that was 2.4 s of the national
    bench's 3.9 s quality step (its 78 reconciliation differences: Decimals). The same conversion
    and the same lossy-conversion warning, without the stack."""
    from great_expectations import util

    def convert_decimal_to_float(d):
        if isinstance(d, decimal.Decimal) and util.requires_lossy_conversion(d=d):
            util.logger.warning(f"Using lossy conversion for decimal {d} to float object to support serialization.")
        return float(d)

    util.convert_decimal_to_float = convert_decimal_to_float


def _context():
    preload()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    site = {
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(settings.gx_data_docs_dir())},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    project = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites={DOCS_SITE: site},
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=project)


def validate(url: str, suites: list[SuiteFile], window: tuple[date, date], parameters: dict,
             run_name: str) -> list[dict]:
    """Validate every suite against the warehouse in one checkpoint run; one dict per expectation."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    context = _context()
    source = context.data_sources.add_postgres(DATASOURCE, connection_string=url)
    definitions = []
    for suite_file in suites:
        asset = source.add_query_asset(suite_file.name, query=suite_file.batch_query(window, parameters))
        batch = asset.add_batch_definition_whole_table("days_of_the_run")
        suite = context.suites.add(gx.ExpectationSuite(**suite_file.definition))
        definitions.append(context.validation_definitions.add(
            gx.ValidationDefinition(name=suite_file.name, data=batch, suite=suite)))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name="cgf_nightly_quality",
        validation_definitions=definitions,
        # no UpdateDataDocsAction: it rebuilds the site's index once per suite; the Data Docs are
        # built once below, for every result of the run
        actions=[],
        # COMPLETE: the unexpected rows of a query check (which days, which rows) reach ops
        result_format={"result_format": "COMPLETE", "partial_unexpected_count": SHOWN_UNEXPECTED},
    ))
    outcome = checkpoint.run(run_id=RunIdentifier(run_name=run_name), expectation_parameters=parameters)
    _build_data_docs(context, outcome)
    rows = []
    for validation in outcome.run_results.values():
        suite_name = validation.suite_name
        rows += [result_row(suite_name, r) for r in validation.results]
    return rows


def _build_data_docs(context, outcome) -> None:
    """The Data Docs of the run in one build: a page per validation result and suite, the index once."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    resources = [*outcome.run_results]
    resources += [ExpectationSuiteIdentifier(name=validation.suite_name) for validation in outcome.run_results.values()]
    context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=resources)


def result_row(suite: str, result) -> dict:
    expectation = result.expectation_config
    kwargs = {k: v for k, v in expectation.kwargs.items() if k != "batch_id"}
    return {
        "suite": suite,
        "expectation": expectation.type,
        "column": kwargs.get("column"),
        "description": expectation.description,
        "severity": str(getattr(expectation.severity, "value", expectation.severity)),
        "success": bool(result.success),
        "observed": observed_value(result),
        "kwargs": kwargs,
        "risk_finding": bool((expectation.meta or {}).get("risk_finding")),
    }


def observed_value(result) -> dict:
    """What the check saw, small enough for ops and an e-mail line."""
    found = dict(result.result or {})
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return {"error": str(info.get("exception_message"))[:500]}
    if "observed_value" in found:
        observed = {"observed_value": found["observed_value"]}
        rows = (found.get("details") or {}).get("unexpected_rows")
        if rows:
            observed["unexpected_rows"] = rows[:SHOWN_UNEXPECTED]
        return observed
    keep = ("element_count", "unexpected_count", "unexpected_percent", "partial_unexpected_list")
    return {k: found[k] for k in keep if k in found}
