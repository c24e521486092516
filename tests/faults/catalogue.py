"""The fault catalogue: one declarative record per fault case, and the table of docs/reliability.md.

Each family module (test_<family>.py) lists its cases in CASES. A table-driven case carries its
`run` (it gets a fresh warehouse connection and an empty landing area, and asserts the outcome);
a case that needs processes or a build is run by the module's function `test_<id>`.
The table in docs/reliability.md is generated from these records (`python -m tests.faults.catalogue`),
and tests/faults/test_catalogue.py checks that the committed file equals it.
"""
from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"
MODULES = ("test_bad_files", "test_hostile_landing", "test_hostile_text", "test_resends", "test_concurrency",
           "test_kills", "test_smtp", "test_marts")


@dataclass(frozen=True)
class Case:
    id: str
    family: str
    fault: str  # what is done
    outcome: str  # what must come of it (the test asserts exactly this)
    run: Callable | None = None  # table-driven: run(conn, landing); else the module's test_<id>

    def __str__(self) -> str:  # the id pytest shows
        return self.id


def family_modules() -> list:
    return [importlib.import_module(f"tests.faults.{name}") for name in MODULES]


def all_cases() -> list[Case]:
    return [case for module in family_modules() for case in module.CASES]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


INTRO = """\
# Reliability: the fault catalogue

Every fault below is a test of `tests/faults/` (real PostgreSQL, real processes, a real SMTP
server; no mocks). Each asserts the exact outcome: the reason recorded, zero rows lost or
doubled, nothing of a rejected delivery visible in the marts.

This file is generated from the catalogue's records; `tests/faults/test_catalogue.py` fails when
it differs. After changing a case, regenerate it:

    python -m tests.faults.catalogue

Run the catalogue alone:

    python -m pytest -q tests/faults
"""


def render(cases: list[Case]) -> str:
    counts = Counter(case.family for case in cases)
    lines = [INTRO, f"{len(cases)} cases: " + ", ".join(f"{family} {n}" for family, n in counts.items()) + ".", "",
             "| case | family | fault | expected outcome |", "|---|---|---|---|"]
    lines += [f"| `{c.id}` | {c.family} | {_cell(c.fault)} | {_cell(c.outcome)} |" for c in cases]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    DOC.write_text(render(all_cases()), encoding="utf-8")
    print(f"wrote {DOC}")
