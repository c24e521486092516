"""The operating multiple's changes of state, from the mart's status (pure Python), and the levels setting."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from include.alerts.multiple_states import BREACH, LEGAL, OK, WARN, Day, transitions
from include.transform.levels import Levels, configured_levels

START = date(2021, 1, 1)


def days(*statuses) -> list[Day]:
    return [Day(START + timedelta(days=i), 0, 1, None if s is None else 1.0, s, 0, 9, 10, 15)
            for i, s in enumerate(statuses)]


def test_one_transition_per_change_of_state_not_per_day():
    changes = transitions(days(OK, WARN, WARN, WARN, BREACH, BREACH, WARN, OK, OK), OK)
    assert [(c.previous, c.status, c.first_date) for c in changes] == [
        (OK, WARN, START + timedelta(days=1)),
        (WARN, BREACH, START + timedelta(days=4)),
        (BREACH, WARN, START + timedelta(days=6)),
        (WARN, OK, START + timedelta(days=7)),
    ]
    assert [c.escalates for c in changes] == [True, True, False, False]


def test_state_carried_from_the_previous_run_reports_nothing_while_unchanged():
    assert transitions(days(BREACH, BREACH, BREACH), BREACH) == []
    [change] = transitions(days(BREACH, LEGAL), BREACH)
    assert (change.previous, change.status) == (BREACH, LEGAL)


def test_a_jump_straight_past_two_levels_is_one_change():
    [change] = transitions(days(OK, BREACH), OK)
    assert (change.previous, change.status) == (OK, BREACH)


def test_days_without_a_multiple_are_skipped():
    [change] = transitions(days(None, WARN, None), OK)
    assert change.status == WARN


def test_levels_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CGF_MULTIPLE_WARN_LEVEL", "8.5")
    monkeypatch.setenv("CGF_MULTIPLE_POLICY_LIMIT", "9.5")
    monkeypatch.setenv("CGF_MULTIPLE_LEGAL_LIMIT", "12")
    assert configured_levels() == Levels(8.5, 9.5, 12.0)
    assert configured_levels().as_dbt_env() == {"CGF_MULTIPLE_WARN_LEVEL": "8.5", "CGF_MULTIPLE_POLICY_LIMIT": "9.5",
                                                "CGF_MULTIPLE_LEGAL_LIMIT": "12"}


def test_levels_must_rise():
    with pytest.raises(ValueError):
        Levels(warn=11, policy=10, legal=15)
