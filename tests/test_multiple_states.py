"""The operating multiple's reported states (pure Python): the mart's status, PROJECTED, hysteresis; the settings."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from include.alerts.multiple_states import (
    BREACH,
    LEGAL,
    OK,
    PROJECTED,
    WARN,
    Day,
    Rules,
    configured_rules,
    observed_state,
    transitions,
)
from include.transform.levels import Levels, configured_levels

START = date(2021, 1, 1)
AT_ONCE = Rules(deescalate_after_days=1)


def days(*statuses, start: date = START) -> list[Day]:
    """One Day per status; "WARN+40" is WARN with the forecast above the policy limit 40 days later."""
    made = []
    for i, s in enumerate(statuses):
        day = start + timedelta(days=i)
        status, _, ahead = (s or "").partition("+")
        projected = day + timedelta(days=int(ahead)) if ahead else None
        made.append(Day(day, 0, 1, None if s is None else 1.0, status or None, 0, 9, 10, 15,
                        day if ahead else None, projected, 5_000_000_000 if ahead else None, date(2021, 12, 31)))
    return made


def changes_of(found) -> list[tuple[str, str, int]]:
    """(previous, status, day number) of each transition."""
    return [(c.previous, c.status, (c.first_date - START).days) for c in found]


def test_one_transition_per_change_of_state_not_per_day():
    changes = transitions(days(OK, WARN, WARN, WARN, BREACH, BREACH, WARN, OK, OK), OK, AT_ONCE)
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


def test_escalation_is_reported_at_once():
    assert changes_of(transitions(days(OK, WARN, BREACH, LEGAL), OK)) == [
        (OK, WARN, 1), (WARN, BREACH, 2), (BREACH, LEGAL, 3)]


def test_a_step_down_waits_until_the_lower_state_has_held_k_days():
    assert transitions(days(BREACH, WARN, WARN, WARN, WARN), BREACH) == []  # 4 days: not yet
    [down] = transitions(days(BREACH, WARN, WARN, WARN, WARN, WARN), BREACH)
    assert (down.previous, down.status, down.first_date) == (BREACH, WARN, START + timedelta(days=1))
    assert down.confirmed == START + timedelta(days=5) and not down.escalates
    # WARN → OK in turn, K days of OK; a mixed run steps down to the highest state of the K days
    assert changes_of(transitions(days(BREACH, WARN, OK, OK, OK, OK, OK, OK, OK, OK), BREACH)) == [
        (BREACH, WARN, 1), (WARN, OK, 2)]
    assert changes_of(transitions(days(WARN, OK, OK, OK, OK, OK), WARN, Rules(deescalate_after_days=3))) == [
        (WARN, OK, 1)]


def test_no_breach_warn_breach_within_k_days():
    hovering = days(WARN, BREACH, WARN, WARN, BREACH, WARN, BREACH, WARN, WARN, WARN, WARN, BREACH)
    assert changes_of(transitions(hovering, WARN)) == [(WARN, BREACH, 1)]
    statuses = [c.status for c in transitions(hovering + days(*[WARN] * 5, start=START + timedelta(days=12)), WARN)]
    assert statuses == [BREACH, WARN]  # once it has held K days below


def test_a_step_down_under_way_carries_over_from_the_last_run():
    night_1 = days(BREACH, WARN, WARN, WARN)
    night_2 = days(WARN, WARN, start=START + timedelta(days=4))
    assert transitions(night_1, BREACH) == []
    [down] = transitions(night_2, BREACH, lead_in=night_1[-4:])
    assert (down.status, down.first_date) == (WARN, START + timedelta(days=1))
    assert down.confirmed == START + timedelta(days=5)
    assert transitions(night_2, BREACH, lead_in=night_1[-1:]) == []  # a lead-in of one day: 3 below, not 5


def test_projected_within_n_days_comes_before_the_breach():
    found = transitions(days(OK, "WARN+120", "WARN+90", "WARN+60", "WARN+30", BREACH, BREACH), OK)
    assert changes_of(found) == [(OK, WARN, 1), (WARN, PROJECTED, 2), (PROJECTED, BREACH, 5)]
    projected = found[1]
    assert projected.escalates and projected.day.projected_date == START + timedelta(days=92)
    assert projected.first_date < found[2].first_date


def test_projected_ranks_between_warn_and_breach():
    assert observed_state(days("OK+10")[0]) == PROJECTED
    assert observed_state(days("BREACH+10")[0]) == BREACH  # already above: BREACH, not a projection
    assert observed_state(days("WARN+91")[0]) == WARN  # beyond N days
    assert observed_state(days("WARN+10")[0], Rules(projected_within_days=0)) == WARN  # N = 0: off
    # a projection that goes away is a step down like any other: after K days
    assert changes_of(transitions(days("WARN+30", WARN, WARN, WARN, WARN, WARN), WARN)) == [
        (WARN, PROJECTED, 0), (PROJECTED, WARN, 1)]


def test_n_and_k_come_from_the_environment(monkeypatch):
    assert configured_rules() == Rules(90, 5)
    monkeypatch.setenv("CGF_PROJECTED_WITHIN_DAYS", "30")
    monkeypatch.setenv("CGF_DEESCALATE_AFTER_DAYS", "2")
    assert configured_rules() == Rules(30, 2)


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
