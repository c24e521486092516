"""The operating multiple's states and changes of state (pure Python)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from include.alerts.levels import (
    BREACH,
    LEGAL,
    OK,
    WARN,
    Day,
    Levels,
    classify,
    configured_levels,
    transitions,
)

LEVELS = Levels(warn=9.0, policy=10.0, legal=15.0)
START = date(2021, 1, 1)


def days(*multiples) -> list[Day]:
    return [Day(START + timedelta(days=i), 0, 1, m) for i, m in enumerate(multiples)]


@pytest.mark.parametrize("multiple,status", [
    (8.9999, OK), (9.0, WARN), (9.5, WARN), (10.0, WARN), (10.0001, BREACH), (15.0, BREACH), (15.01, LEGAL),
    (None, None),
])
def test_classify_levels_warn_at_or_above_breach_and_legal_above(multiple, status):
    assert classify(multiple, LEVELS) == status


def test_one_transition_per_change_of_state_not_per_day():
    changes = transitions(days(8.0, 9.1, 9.2, 9.3, 10.2, 10.3, 9.8, 8.5, 8.4), OK, LEVELS)
    assert [(c.previous, c.status, c.first_date) for c in changes] == [
        (OK, WARN, START + timedelta(days=1)),
        (WARN, BREACH, START + timedelta(days=4)),
        (BREACH, WARN, START + timedelta(days=6)),
        (WARN, OK, START + timedelta(days=7)),
    ]
    assert [c.escalates for c in changes] == [True, True, False, False]


def test_state_carried_from_the_previous_run_reports_nothing_while_unchanged():
    assert transitions(days(10.2, 10.4, 10.1), BREACH, LEVELS) == []
    [change] = transitions(days(10.2, 16.0), BREACH, LEVELS)
    assert (change.previous, change.status) == (BREACH, LEGAL)


def test_a_jump_straight_past_two_levels_is_one_change():
    [change] = transitions(days(8.0, 12.0), OK, LEVELS)
    assert (change.previous, change.status) == (OK, BREACH)


def test_days_without_a_multiple_are_skipped():
    [change] = transitions(days(None, 9.5, None), OK, LEVELS)
    assert change.status == WARN


def test_levels_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CGF_MULTIPLE_WARN_LEVEL", "8.5")
    monkeypatch.setenv("CGF_MULTIPLE_POLICY_LIMIT", "9.5")
    monkeypatch.setenv("CGF_MULTIPLE_LEGAL_LIMIT", "12")
    assert configured_levels() == Levels(8.5, 9.5, 12.0)


def test_levels_must_rise():
    with pytest.raises(ValueError):
        Levels(warn=11, policy=10, legal=15)
