"""The catalogue itself: at least 40 cases, unique ids, each case run by a test, and
docs/reliability.md equal to the table generated from the records (it cannot drift)."""
from __future__ import annotations

from collections import Counter

from tests.faults.catalogue import DOC, all_cases, family_modules, render


def test_at_least_40_cases_with_unique_ids():
    cases = all_cases()
    assert len(cases) >= 40
    assert [i for i, n in Counter(c.id for c in cases).items() if n > 1] == []


def test_every_case_is_run_by_a_test():
    """A table-driven case carries its run; any other is the module's test_<id>."""
    missing = [f"{module.__name__}:{case.id}" for module in family_modules() for case in module.CASES
               if case.run is None and not callable(getattr(module, f"test_{case.id}", None))]
    assert missing == []


def test_the_reliability_doc_is_the_generated_table():
    assert DOC.read_text(encoding="utf-8") == render(all_cases()), \
        "docs/reliability.md differs from the catalogue: python -m tests.faults.catalogue"
