"""One console line per step of a DAG run, as the step ends: an Airflow listener, called in process by dag.test().

A step is a task, or a task group as a whole (dbt_build: one line for its per-model tasks). Steps that
never ran (skipped by a short circuit, or not run after a failure upstream) are named once the run is over.
Imported after include.orchestration.airflow_env.configure(): it imports Airflow.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from airflow.listeners import hookimpl

REASON_CHARS = 160


def step_of(task_id: str) -> str:
    """The task's top-level group (`dbt_build.fct_x_run` → `dbt_build`), or the task itself."""
    return task_id.split(".", 1)[0]


def reason(error: object) -> str:
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error or "")
    first = text.strip().splitlines()[0] if text.strip() else "see the log"
    return first if len(first) <= REASON_CHARS else first[:REASON_CHARS - 1] + "…"


class StepLines:
    """The listener: counts each step's tasks as they end, says a line when the last one has.

    `mirrored`: a regex of the task ids dag.test() marks successful instead of running them (no
    listener hears of them): a step waits for its other tasks only, and its line counts them all."""

    def __init__(self, task_ids: Iterable[str], say: Callable[[str], None], mirrored: str | None = None):
        self._say = say
        task_ids = list(task_ids)
        self._tasks = Counter(step_of(t) for t in task_ids)
        self._size = Counter(step_of(t) for t in task_ids if not (mirrored and re.fullmatch(mirrored, t)))
        self._ended: Counter[str] = Counter()
        self._began: dict[str, datetime] = {}
        self._failure: dict[str, str] = {}
        self.reported: list[str] = []

    @hookimpl
    def on_task_instance_success(self, task_instance) -> None:
        self._task_ended(task_instance, None)

    @hookimpl
    def on_task_instance_skipped(self, task_instance) -> None:
        self._task_ended(task_instance, None)

    @hookimpl
    def on_task_instance_failed(self, task_instance, error) -> None:
        if task_instance.state == "up_for_retry":
            self._say(f"  ↻ {task_instance.task_id} failed on try {task_instance.try_number} ({reason(error)}); "
                      "it is retried")
            return
        self._task_ended(task_instance, error or "failed")

    def _task_ended(self, ti, error: object | None) -> None:
        step = step_of(ti.task_id)
        began = self._began.setdefault(step, ti.start_date or datetime.now(UTC))
        if error is not None:
            self._failure.setdefault(step, reason(error))
        self._ended[step] += 1
        if self._ended[step] == self._size[step]:
            self._report(step, (datetime.now(UTC) - began).total_seconds())

    def _report(self, step: str, seconds: float) -> None:
        tasks = f", {self._tasks[step]} tasks" if self._tasks[step] > 1 else ""
        if step in self._failure:
            self._say(f"  ✗ {step:<27} {seconds:6.1f} s{tasks}  FAILED: {self._failure[step]}")
        else:
            self._say(f"  ✓ {step:<27} {seconds:6.1f} s{tasks}")
        self.reported.append(step)

    def finish(self, task_states: dict[str, str]) -> None:
        """After the run: the steps not said yet; a failed one on its own line, the rest (skipped …) on one."""
        by_step: dict[str, Counter[str]] = {}
        for task_id, state in task_states.items():
            if step_of(task_id) not in self.reported:
                by_step.setdefault(step_of(task_id), Counter())[state] += 1
        for step, states in by_step.items():
            if states["failed"]:
                self._say(f"  ✗ {step:<27} FAILED: {self._failure.get(step, 'see the log')} ({_states(states)})")
        rest = [f"{step} ({_states(states)})" for step, states in by_step.items() if not states["failed"]]
        if rest:
            self._say(f"  – not run: {', '.join(rest)}")


def _states(states: Counter[str]) -> str:
    return ", ".join(f"{count} {state}" if len(states) > 1 or count > 1 else state
                     for state, count in sorted(states.items()))
