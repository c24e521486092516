"""The staff roster (headcount.csv): employees by unit and grade with their joining, leaving,
leave and moves, and the day's snapshot rows."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from include.demo.books import Books

LONG_AGO = date(1995, 3, 2)  # on the roster since before any cut-over (history included)
# ACTIVE staff on 2021-01-04 by unit and grade (the report's 현원; 5~6급 split into 5 and 6)
ROSTER_2021 = {
    "010": ("2", "OTHER", "OTHER"),
    "011": ("4", "4", "4", "4", "5"),
    "012": ("3", "4", "5", "5", "6", "6"),
    "013": ("3",),
    "020": ("2", "3", "4", "5", "6"),
    "030": ("2", "3"),
    "201": ("3", "4", "4", "4", "5", "6"),
    "101": ("1", "4", "4", "4", "5", "5", "5", "6", "6", "6"),
    "102": ("2", "4", "4", "5", "6"),
    "103": ("1", "3", "4", "5", "5", "5", "6", "6"),
    "104": ("3", "3", "4", "5", "5", "6", "OTHER"),
    "105": ("3", "3", "5", "5", "6"),
    "106": ("2", "4", "4", "5", "6"),
}
ON_LEAVE = (("012", "5", date(2020, 7, 1)), ("101", "6", date(2020, 10, 5)))  # (unit, grade, since)
JOINED = {("102", "6"): date(2019, 7, 1), ("104", "6"): date(2019, 7, 1), ("105", "6"): date(2019, 7, 1),
          ("101", "6"): date(2020, 1, 2), ("106", "6"): date(2020, 1, 2)}  # first such employee joined then
LEFT = (("103", "4", date(2019, 6, 28)), ("101", "5", date(2020, 2, 28)), ("011", "3", date(2020, 12, 31)))
MOVED = {("013", "3"): (date(2020, 12, 1), "011")}  # the cluster team's head came from 전략기획부
NEW_HIRES = (date(2021, 1, 5), ("107", "107", "107", "107", "101", "101", "102", "103", "103", "104", "105",
                                "106", "201", "020"))


@dataclass(frozen=True)
class Employee:
    employee_id: str
    grade: str
    unit: str
    hired: date = LONG_AGO
    left: date | None = None  # last day on the roster
    leave_since: date | None = None
    previous_unit: tuple[date, str] | None = None  # (moved on, unit before)

    def on_roster(self, day: date) -> bool:
        return self.hired <= day and (self.left is None or day <= self.left)

    def unit_on(self, day: date) -> str:
        if self.previous_unit and day < self.previous_unit[0]:
            return self.previous_unit[1]
        return self.unit

    def status_on(self, day: date) -> str:
        return "LEAVE" if self.leave_since and day >= self.leave_since else "ACTIVE"


def build_roster() -> list[Employee]:
    employees: list[Employee] = []
    joined = dict(JOINED)
    for unit, grades in ROSTER_2021.items():
        for grade in grades:
            moved_on, before = MOVED.get((unit, grade), (None, None))
            employees.append(Employee("", grade, unit, hired=joined.pop((unit, grade), LONG_AGO),
                                      previous_unit=(moved_on, before) if moved_on else None))
    employees += [Employee("", grade, unit, leave_since=since) for unit, grade, since in ON_LEAVE]
    employees += [Employee("", grade, unit, left=left) for unit, grade, left in LEFT]
    hired_on, units = NEW_HIRES
    employees += [Employee("", "6", unit, hired=hired_on) for unit in units]
    return [replace(employee, employee_id=f"E{1001 + index:04d}") for index, employee in enumerate(employees)]


def write_roster(books: Books, roster: list[Employee]) -> None:
    day = books.day
    for employee in roster:
        if employee.on_roster(day):
            books.roster_entry(employee.employee_id, employee.unit_on(day), employee.grade, employee.status_on(day))
