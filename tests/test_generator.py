"""The demo generator: deterministic, contract-conform deliveries whose figures match the report.

The figures are checked with a small independent replay of the CSV files that follows the
contract's semantics (not the generator's code): files decoded as UTF-8, UTF-8 with BOM or
CP949; within a day guarantees.csv first, then repayments.csv, each in file order.
"""
from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest

from include.demo import generator
from include.demo.business_calendar import is_business_day
from include.demo.choices import BANK_WEIGHTS, BRANCH_WEIGHTS, PROGRAM_MIXES
from include.demo.fund import CONTRIBUTION_PLAN, CONTRIBUTORS, OPENING_FUNDS
from include.demo.roster import ROSTER_2021
from include.ingest.contract import (
    BANKS,
    CONTRIBUTIONS,
    CONTRIBUTOR_TYPES,
    EVENT_TYPES,
    FILES,
    GRADES,
    GUARANTEE_UNITS,
    GUARANTEES,
    HEADCOUNT,
    MANIFEST_FILE,
    MANIFEST_HEADER,
    ORG_UNITS,
    PLAN_CATEGORY,
    PRICED_EVENTS,
    PROGRAMS,
    REPAYMENT_KINDS,
    REPAYMENTS,
    TERM_EVENTS,
    business_reg_no_is_valid,
)

BOM = b"\xef\xbb\xbf"
SHORT_END = date(2019, 1, 15)  # covers a CP949 day (the 7th) and a BOM day (the 14th)
M = 1_000_000


def million(krw: int) -> int:
    return round(krw / M)


# --- reading deliveries ------------------------------------------------------------------------

def decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(BOM):
        return raw[len(BOM):].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp949"), "cp949"


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    text, _ = decode(path.read_bytes())
    records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    header = records[0]
    return header, [dict(zip(header, record)) for record in records[1:]]


def delivery_folders(landing: Path) -> list[tuple[date, Path]]:
    folders = [(date(int(p.name[:4]), int(p.name[4:6]), int(p.name[6:])), p) for p in landing.iterdir()
               if p.is_dir()]
    return sorted(folders)


# --- an independent replay ---------------------------------------------------------------------

@dataclass
class YearFigures:
    supply: list[int] = field(default_factory=lambda: [0, 0])
    accident: list[int] = field(default_factory=lambda: [0, 0])
    normalize: list[int] = field(default_factory=lambda: [0, 0])
    subrogate: list[int] = field(default_factory=lambda: [0, 0])
    recovered_claims: set[str] = field(default_factory=set)
    recovered_krw: int = 0
    movements: Counter = field(default_factory=Counter)  # repayment kind → amount
    contributions: Counter = field(default_factory=Counter)  # (category, code, program) → amount


class Replay:
    """Replays a landing area by the contract and collects the report's figures and rule breaks."""

    def __init__(self) -> None:
        self.balance: dict[str, int] = {}
        self.status: dict[str, str] = {}
        self.recourse: dict[str, int] = defaultdict(int)
        self.special: dict[str, int] = defaultdict(int)
        self.total_balance = 0
        self.positive = 0
        self.basic_assets = 0
        self.contributed = 0  # Σ OPENING + CONTRIBUTION
        self.years: dict[int, YearFigures] = defaultdict(YearFigures)
        self.daily: dict[date, tuple[int, int, int]] = {}  # day → (count, balance, basic assets)
        self.contributed_on: dict[date, int] = {}
        self.rosters: dict[date, list[dict]] = {}
        self.violations: list[str] = []
        self.seen_ids: dict[str, set[str]] = defaultdict(set)
        self.names: list[str] = []
        self.first_day: date | None = None
        self.landing: Path | None = None
        self.supply_mix: Counter = Counter()  # (year, event type, handling unit, program) → count
        self.home_branch: dict[str, str] = {}
        self.customers: dict[str, tuple[str, str]] = {}  # customer id → (사업자등록번호, name)
        self.reg_no_owner: dict[str, str] = {}

    def broken(self, day: date, message: str) -> None:
        if len(self.violations) < 50:
            self.violations.append(f"{day}: {message}")

    def run(self, landing: Path) -> Replay:
        self.landing = landing
        for day, folder in delivery_folders(landing):
            self.first_day = self.first_day or day
            files = {spec.name: read_csv(folder / spec.name) for spec in FILES}
            for spec in FILES:
                if tuple(files[spec.name][0]) != spec.column_names:
                    self.broken(day, f"{spec.name} header {files[spec.name][0]}")
            for row in files[GUARANTEES.name][1]:
                self.guarantee_event(day, row)
            for row in files[REPAYMENTS.name][1]:
                self.repayment(day, row)
            for row in files[CONTRIBUTIONS.name][1]:
                self.fund_entry(day, row)
            self.rosters[day] = files[HEADCOUNT.name][1]
            self.check_roster(day, files[HEADCOUNT.name][1])
            self.daily[day] = (self.positive, self.total_balance, self.basic_assets)
            self.contributed_on[day] = self.contributed
        return self

    def unique(self, day: date, kind: str, value: str) -> None:
        if value in self.seen_ids[kind]:
            self.broken(day, f"duplicate {kind} {value}")
        self.seen_ids[kind].add(value)

    def set_balance(self, gid: str, balance: int, status: str) -> None:
        before = self.balance.get(gid, 0)
        self.positive += (balance > 0) - (before > 0)
        self.total_balance += balance - before
        self.balance[gid], self.status[gid] = balance, status

    def check_guarantee_row(self, day: date, row: dict) -> None:
        kind = row["event_type"]
        self.unique(day, "event", row["event_id"])
        if row["event_date"] != day.isoformat() or kind not in EVENT_TYPES or int(row["amount_krw"]) <= 0:
            self.broken(day, f"bad event row {row['event_id']}")
        if not business_reg_no_is_valid(row["business_reg_no"]):
            self.broken(day, f"bad 사업자등록번호 {row['business_reg_no']}")
        if (row["branch_code"] not in GUARANTEE_UNITS or row["program_code"] not in PROGRAMS
                or row["bank_code"] not in BANKS):
            self.broken(day, f"bad code in {row['event_id']}")
        if not row["customer_id"] or not row["customer_name"]:
            self.broken(day, f"missing customer in {row['event_id']}")
        if kind in PRICED_EVENTS and not (50 <= float(row["guarantee_ratio_pct"]) <= 100
                                          and 0.1 <= float(row["fee_rate_pct"]) <= 3.0):
            self.broken(day, f"bad pricing in {row['event_id']}")
        if kind in TERM_EVENTS and not (1 <= int(row["term_months"]) <= 120
                                        and date.fromisoformat(row["maturity_date"]) > day):
            self.broken(day, f"bad term in {row['event_id']}")
        if kind in ("OPENING", "OPENING_ACCIDENT") and day != self.first_day:
            self.broken(day, "OPENING after the cut-over")
        if kind == "NEW" and row["branch_code"] == "107" and day < date(2021, 1, 1):
            self.broken(day, "연수지점 issued before 2021")
        self.names.append(row["customer_name"])
        self.check_ownership(day, row)
        if kind in ("NEW", "EXTEND"):
            self.supply_mix[(day.year, kind, row["branch_code"], row["program_code"])] += 1

    def check_ownership(self, day: date, row: dict) -> None:
        """A guarantee stays with its branch (EXTEND may be handled by 201); customers are stable."""
        gid, kind, branch = row["guarantee_id"], row["event_type"], row["branch_code"]
        if kind in ("OPENING", "OPENING_ACCIDENT", "NEW"):
            self.home_branch[gid] = branch
        elif branch != self.home_branch.get(gid) and not (kind == "EXTEND" and branch == "201"):
            self.broken(day, f"{kind} of {gid} handled by {branch}")
        customer = (row["business_reg_no"], row["customer_name"])
        if self.customers.setdefault(row["customer_id"], customer) != customer:
            self.broken(day, f"customer {row['customer_id']} changed")
        if self.reg_no_owner.setdefault(row["business_reg_no"], row["customer_id"]) != row["customer_id"]:
            self.broken(day, f"사업자등록번호 {row['business_reg_no']} shared by two customers")

    def guarantee_event(self, day: date, row: dict) -> None:
        self.check_guarantee_row(day, row)
        kind, gid, amount = row["event_type"], row["guarantee_id"], int(row["amount_krw"])
        year = self.years[day.year]
        if kind in ("OPENING", "OPENING_ACCIDENT", "NEW"):
            if gid in self.balance:
                self.broken(day, f"{kind} of known guarantee {gid}")
            self.set_balance(gid, amount, "ACCIDENT" if kind == "OPENING_ACCIDENT" else "NORMAL")
            if kind == "NEW":
                year.supply[0] += 1
                year.supply[1] += amount
            return
        if gid not in self.balance or self.status[gid] == "CLOSED":
            self.broken(day, f"{kind} for unknown or closed guarantee {gid}")
            return
        balance, status = self.balance[gid], self.status[gid]
        if kind in ("EXTEND", "ACCIDENT", "NORMALIZE", "SUBROGATE") and amount > balance:
            self.broken(day, f"{kind} {amount} above balance {balance} of {gid}")
        if kind == "EXTEND":
            self.set_balance(gid, amount, status)
            year.supply[0] += 1
            year.supply[1] += amount
        elif kind == "TERMINATE":
            self.set_balance(gid, 0, "CLOSED")
        elif kind in ("ACCIDENT", "NORMALIZE"):
            self.set_balance(gid, balance, "ACCIDENT" if kind == "ACCIDENT" else "NORMAL")
            tally = year.accident if kind == "ACCIDENT" else year.normalize
            tally[0] += 1
            tally[1] += amount
        elif kind == "SUBROGATE":
            rest = balance - amount
            self.set_balance(gid, rest, "ACCIDENT" if rest > 0 else "CLOSED")
            self.recourse[gid] += amount
            year.subrogate[0] += 1
            year.subrogate[1] += amount

    def repayment(self, day: date, row: dict) -> None:
        self.unique(day, "repayment", row["repayment_id"])
        kind, gid, amount = row["kind"], row["guarantee_id"], int(row["amount_krw"])
        if row["repayment_date"] != day.isoformat() or kind not in REPAYMENT_KINDS or amount <= 0 \
                or row["branch_code"] not in ORG_UNITS:
            self.broken(day, f"bad repayment row {row['repayment_id']}")
        year = self.years[day.year]
        year.movements[kind] += amount
        if kind == "LOAN_PRINCIPAL":
            if gid not in self.balance or self.status[gid] == "CLOSED" or amount > self.balance[gid]:
                self.broken(day, f"LOAN_PRINCIPAL {amount} on {gid}")
            else:
                self.set_balance(gid, self.balance[gid] - amount, self.status[gid])
        elif kind in ("OPENING_RECOURSE", "OPENING_SPECIAL"):
            if day != self.first_day:
                self.broken(day, f"{kind} after the cut-over")
            (self.recourse if kind == "OPENING_RECOURSE" else self.special)[gid] += amount
        elif kind == "RECOVERY" and self.recourse[gid] > 0:
            self.take(day, self.recourse, gid, amount, kind)
            year.recovered_claims.add(gid)
            year.recovered_krw += amount
        elif kind == "WRITE_OFF":
            self.take(day, self.recourse, gid, amount, kind)
            self.special[gid] += amount
        else:  # RECOVERY from special, EXTINGUISH, SALE, WAIVER
            self.take(day, self.special, gid, amount, kind)

    def take(self, day: date, ledger: dict[str, int], claim: str, amount: int, kind: str) -> None:
        if amount > ledger[claim]:
            self.broken(day, f"{kind} {amount} above the claim's {ledger[claim]} on {claim}")
        ledger[claim] -= amount

    def fund_entry(self, day: date, row: dict) -> None:
        self.unique(day, "contribution", row["contribution_id"])
        amount, entry, kind = int(row["amount_krw"]), row["entry_type"], row["contributor_type"]
        if row["received_date"] != day.isoformat() or amount <= 0 or not row["contributor_name"]:
            self.broken(day, f"bad contribution row {row['contribution_id']}")
        if entry == "LOSS":
            self.basic_assets -= amount
            return
        if kind not in PLAN_CATEGORY:
            self.broken(day, f"contributor type {kind!r}")
        self.basic_assets += amount
        self.contributed += amount
        if entry == "CONTRIBUTION":
            key = (PLAN_CATEGORY[kind], row["contributor_code"], row["program_code"])
            self.years[day.year].contributions[key] += amount

    def check_roster(self, day: date, rows: list[dict]) -> None:
        if any(row["snapshot_date"] != day.isoformat() or row["org_unit_code"] not in ORG_UNITS for row in rows):
            self.broken(day, "bad roster row")
        if len({row["employee_id"] for row in rows}) != len(rows):
            self.broken(day, "duplicate employee in the roster")

    # figures

    def year_end(self, year: int) -> tuple[int, int, int]:
        return self.daily[date(year, 12, 31)]

    def multiple(self, day: date) -> float:
        _, balance, assets = self.daily[day]
        return balance / assets


# --- a short range ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def short_landing(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("short")
    summary = generator.generate_landing(landing, end=SHORT_END)
    return landing, summary


def test_same_seed_gives_identical_bytes(short_landing, tmp_path):
    landing, summary = short_landing
    again = generator.generate_landing(tmp_path / "again", end=SHORT_END)
    assert again == {**summary, "landing_dir": str(tmp_path / "again")}
    files = sorted(p.relative_to(landing) for p in landing.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file())
    assert len(files) == 5 * summary["deliveries"] + 1 == 5 * 16 + 1  # and the demo marker
    for name in files:
        assert (landing / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


def landing_digest(landing: Path) -> str:
    """SHA-256 over every file of a landing area: its relative path and the SHA-256 of its bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(landing).as_posix()}:{hashlib.sha256(path.read_bytes()).hexdigest()}\n"
                      .encode())
    return digest.hexdigest()


# landing_digest of the generator's output at the default options (--years 0), computed once with the
# generator as it was before --years and the speed-ups (commit 24ed4db), to hold its bytes exactly:
# `git archive 24ed4db include | tar -x -C /tmp/old && cd /tmp/old && python -c
#  "from include.demo.generator import generate_landing; generate_landing(...)"`, then landing_digest
# of the folder (`end=SHORT_END` for the short one, no options for the full demo).
SHORT_DEFAULT_DIGEST = "4ae21bb88c3c06b219c040360254479dd0c1b25c4e946918d743ed4cc407bfdd"
FULL_DEFAULT_DIGEST = "9fd49d438209ccd017df1b58aedb66077916c292d41aea84275570591e19c6cd"


def test_default_output_is_byte_for_byte_the_earlier_generators(short_landing, demo_landing):
    assert landing_digest(short_landing[0]) == SHORT_DEFAULT_DIGEST
    assert landing_digest(demo_landing) == FULL_DEFAULT_DIGEST  # the 822 deliveries the report is tested on


def test_years_of_history_move_the_cut_over_and_load_without_rejections(conn, tmp_path):
    from include.demo.plan import OPENING_STOCK
    from include.ingest.loader import load_landing

    landing = tmp_path / "history"
    summary = generator.generate_landing(landing, scale=0.1, years=1, end=date(2019, 1, 8))
    folders = delivery_folders(landing)
    assert summary["first_delivery"] == "20171231" and folders[0][0] == date(2017, 12, 31)
    assert len(folders) == summary["deliveries"] == (date(2019, 1, 8) - date(2017, 12, 31)).days + 1
    assert '"years": 1' in (landing / "cgf-demo-landing.json").read_text()
    replay = Replay().run(landing)  # OPENING rows only at the earlier cut-over, every ledger rule kept
    assert replay.violations == []
    # the history steers the book and the fund to those of the default cut-over on its day
    assert replay.daily[date(2018, 12, 31)][:2] == OPENING_STOCK.guarantees.scaled(0.1)
    assert replay.daily[date(2018, 12, 31)][2] == round((284_040 - 87_944) * 0.1 * 1000) * 1000
    assert sum(replay.years[2018].supply) > 0 and replay.years[2018].subrogate[0] > 0
    report = load_landing(conn, landing)
    assert report.rejected is None and report.waiting_for is None
    assert len(report.loaded) == summary["deliveries"]
    assert report.rows == sum(summary["rows"].values())
    assert min(day for day, _ in report.loaded) == date(2017, 12, 31)


def test_other_seed_gives_other_data(tmp_path):
    generator.generate_landing(tmp_path / "a", end=date(2019, 1, 2), seed=1, scale=0.05)
    generator.generate_landing(tmp_path / "b", end=date(2019, 1, 2), seed=2, scale=0.05)
    first, second = (tmp_path / name / "20190102" / GUARANTEES.name for name in "ab")
    assert first.read_bytes() != second.read_bytes()


def test_every_delivery_has_five_files_and_a_true_manifest(short_landing):
    landing, summary = short_landing
    folders = delivery_folders(landing)
    days = [day for day, _ in folders]
    assert days[0] == date(2018, 12, 31) and days[-1] == SHORT_END
    assert all((later - earlier).days == 1 for earlier, later in pairwise(days))
    rows_seen = Counter()
    for _day, folder in folders:
        assert sorted(p.name for p in folder.iterdir()) == sorted([MANIFEST_FILE] + [s.name for s in FILES])
        header, lines = read_csv(folder / MANIFEST_FILE)
        assert tuple(header) == MANIFEST_HEADER
        assert [line["file"] for line in lines] == [spec.name for spec in FILES]
        for spec, line in zip(FILES, lines):
            raw = (folder / spec.name).read_bytes()
            _, rows = read_csv(folder / spec.name)
            assert int(line["rows"]) == len(rows)
            assert int(line["amount_krw_sum"]) == (sum(int(r["amount_krw"]) for r in rows) if spec.has_amount else 0)
            assert line["sha256"] == hashlib.sha256(raw).hexdigest()
            rows_seen[spec.name] += len(rows)
    assert dict(rows_seen) == summary["rows"]


def test_weekends_and_holidays_have_header_only_activity_files(short_landing):
    landing, _ = short_landing
    for day in (date(2019, 1, 1), date(2019, 1, 5), date(2019, 1, 6)):  # 신정, Saturday, Sunday
        for spec in (GUARANTEES, REPAYMENTS, CONTRIBUTIONS):
            assert read_csv(landing / f"{day:%Y%m%d}" / spec.name)[1] == []
        assert len(read_csv(landing / f"{day:%Y%m%d}" / HEADCOUNT.name)[1]) == 68
    assert read_csv(landing / "20190102" / GUARANTEES.name)[1]


def test_encodings_include_cp949_and_bom(short_landing):
    landing, _ = short_landing
    encodings = Counter()
    for _, folder in delivery_folders(landing):
        for spec in FILES:
            encodings[decode((folder / spec.name).read_bytes())[1]] += 1
    assert encodings["cp949"] >= 1 and encodings["utf-8-sig"] >= 4 and encodings["utf-8"] > 40
    cp949 = (landing / "20190107" / GUARANTEES.name).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        cp949.decode("utf-8")
    assert any("가" <= ch <= "힣" for ch in cp949.decode("cp949"))  # Korean names, CP949-encoded
    assert (landing / "20190114" / REPAYMENTS.name).read_bytes().startswith(BOM)


def test_names_need_rfc4180_quoting_and_numbers_are_valid(short_landing):
    landing, _ = short_landing
    replay = Replay().run(landing)
    assert replay.violations == []
    names = replay.names
    assert any("," in n for n in names) and any('"' in n for n in names)
    assert sum("\n" in n for n in names) >= 3
    for name in names:
        name.encode("cp949")  # representable in CP949


def test_cutover_carries_the_opening_state(short_landing):
    landing, _ = short_landing
    folder = landing / "20181231"
    events = Counter(r["event_type"] for r in read_csv(folder / GUARANTEES.name)[1])
    assert set(events) == {"OPENING", "OPENING_ACCIDENT"}
    kinds = Counter(r["kind"] for r in read_csv(folder / REPAYMENTS.name)[1])
    assert set(kinds) == {"OPENING_RECOURSE", "OPENING_SPECIAL"}
    fund = read_csv(folder / CONTRIBUTIONS.name)[1]
    openings = [r for r in fund if r["entry_type"] == "OPENING"]
    assert sorted(r["contributor_type"] for r in openings) == sorted(set(PLAN_CATEGORY))
    assert [million(int(r["amount_krw"])) for r in fund if r["entry_type"] == "LOSS"] == [87_944]


def test_small_scale_and_other_ranges_keep_the_rules(tmp_path):
    summary = generator.generate_landing(tmp_path / "small", scale=0.05, end=date(2019, 4, 30))
    assert summary["deliveries"] == 121
    assert Replay().run(tmp_path / "small").violations == []
    # another cut-over, running past the report's plan into generic months
    generator.generate_landing(tmp_path / "other", scale=0.05, start=date(2020, 11, 30), end=date(2021, 5, 10))
    replay = Replay().run(tmp_path / "other")
    assert replay.violations == [] and replay.years[2021].supply[0] > 0


def test_command_line(tmp_path, capsys):
    assert generator.main(["--landing-dir", str(tmp_path), "--end", "2019-01-03", "--scale", "0.05"]) == 0
    assert "wrote 4 deliveries 20181231…20190103" in capsys.readouterr().out
    assert (tmp_path / "20190103" / MANIFEST_FILE).is_file()


def test_plan_tables_use_contract_codes():
    assert set(BANK_WEIGHTS) <= set(BANKS)
    assert set(BRANCH_WEIGHTS) | {"107"} <= set(GUARANTEE_UNITS)
    assert {p for _, mix in PROGRAM_MIXES for p in mix} <= set(PROGRAMS)
    assert {t for _, t in CONTRIBUTORS.values()} <= set(CONTRIBUTOR_TYPES)
    assert {t for _, _, t, _ in OPENING_FUNDS} == set(CONTRIBUTOR_TYPES)
    for day, code, program, _ in CONTRIBUTION_PLAN:
        assert code in CONTRIBUTORS and program in set(PROGRAMS) | {""}
        assert is_business_day(date.fromisoformat(day)), day
    assert set(ROSTER_2021) <= set(ORG_UNITS)
    assert {g for grades in ROSTER_2021.values() for g in grades} <= set(GRADES)


# --- the full demo -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def full(demo_landing) -> Replay:
    assert len([p for p in demo_landing.iterdir() if p.is_dir()]) == 822
    return Replay().run(demo_landing)


@pytest.fixture(scope="module")
def breach(breach_landing) -> tuple[Path, Replay]:
    return breach_landing, Replay().run(breach_landing)


def test_full_demo_breaks_no_rule(full):
    assert full.violations == []


@pytest.mark.parametrize("year, supply, balance", [
    (2019, (30_960, 741_669), (61_556, 1_191_546)),
    (2020, (62_774, 1_617_820), (96_099, 2_192_064)),
])
def test_supply_and_balance(full, year, supply, balance):
    figures = full.years[year]
    assert (figures.supply[0], million(figures.supply[1])) == supply
    count, amount, _ = full.year_end(year)
    assert (count, million(amount)) == balance
    assert figures.supply[1] % M == 0 and amount % M == 0


@pytest.mark.parametrize("year, accident, normalize, subrogate, recovery", [
    (2019, (4_441, 55_606), (1_403, 16_498), (2_938, 38_333), (435, 12_454)),
    (2020, (3_618, 51_864), (1_231, 15_577), (2_609, 37_608), (652, 14_336)),
])
def test_accidents_claims_and_recoveries(full, year, accident, normalize, subrogate, recovery):
    figures = full.years[year]
    assert (figures.accident[0], million(figures.accident[1])) == accident
    assert (figures.normalize[0], million(figures.normalize[1])) == normalize
    assert (figures.subrogate[0], million(figures.subrogate[1])) == subrogate
    assert (len(figures.recovered_claims), million(figures.recovered_krw)) == recovery
    for kind in ("WRITE_OFF", "EXTINGUISH", "SALE", "WAIVER"):
        assert figures.movements[kind] > 0, kind
    assert figures.movements["RECOVERY"] > figures.recovered_krw  # some recoveries come from special


def test_basic_assets(full):
    assert [million(full.year_end(year)[2]) for year in (2018, 2019, 2020)] == [196_096, 211_198, 274_103]
    assert million(full.contributed_on[date(2021, 1, 1)]) == 362_047


def test_contributions_2020_by_category_and_contributor(full):
    contributions = full.years[2020].contributions
    by_category, by_code, city_programs = Counter(), Counter(), Counter()
    for (category, code, program), amount in contributions.items():
        by_category[category] += amount
        by_code[code] += amount
        if code == "INCHEON_CITY":
            city_programs[program] += amount
    assert {k: million(v) for k, v in by_category.items()} == {
        "인천시": 24_800, "기초단체": 1_200, "의무출연금": 3_627, "기타": 33_278}
    assert {k: million(v) for k, v in city_programs.items()} == {
        "": 1_000, "JOBS": 1_600, "YOUTH": 800, "ALLEY": 1_000, "EXPORT": 800, "HOPE": 1_000, "COVID19": 18_600}
    expected = {"GYEYANG_GU": 100, "MICHUHOL_GU": 50, "BUPYEONG_GU": 100, "YEONSU_GU": 150, "ONGJIN_GUN": 700,
                "JUNG_GU": 100, "IBK": 18_136, "NH": 2_416, "SHINHAN": 3_000, "KB": 2_000, "WOORI": 1_080,
                "HANA": 2_700, "MSS": 3_928, "OTHER_DONORS": 18}
    assert {code: million(by_code[code]) for code in expected} == expected
    assert million(sum(contributions.values())) == 62_905
    assert million(sum(full.years[2019].contributions.values())) == 15_102


def test_roster_of_4_january_2021(full):
    roster = full.rosters[date(2021, 1, 4)]
    bands = Counter("5-6" if r["grade"] in ("5", "6") else r["grade"] for r in roster)
    assert dict(bands) == {"1": 2, "2": 5, "3": 10, "4": 18, "5-6": 32, "OTHER": 3}
    active = Counter(r["org_unit_code"] for r in roster if r["employment_status"] == "ACTIVE")
    assert dict(active) == {"010": 3, "011": 5, "012": 6, "013": 1, "020": 5, "030": 2, "201": 6, "101": 10,
                            "102": 5, "103": 8, "104": 7, "105": 5, "106": 5}
    assert [r["grade"] for r in roster if r["employment_status"] == "LEAVE"] in (["5", "6"], ["6", "5"])
    after = full.rosters[date(2021, 1, 5)]
    assert len(after) == 84 and sum(r["org_unit_code"] == "107" for r in after) >= 1
    assert {len(full.rosters[date(2019, 1, 2)]), len(full.rosters[date(2020, 6, 1)])} != {70}


def test_operating_multiple(full):
    assert round(full.multiple(date(2020, 12, 31)), 2) == 8.00
    assert 9.1 <= full.multiple(date(2021, 3, 31)) <= 9.4
    assert max(full.multiple(day) for day in full.daily if day.year == 2021) < 10


def test_supply_mix(full):
    def count(year, kind=None, unit=None, program=None):
        return sum(n for (y, k, u, p), n in full.supply_mix.items()
                   if y == year and kind in (None, k) and unit in (None, u) and program in (None, p))
    assert count(2019, "NEW") / count(2019) == pytest.approx(0.55, abs=0.05)
    assert count(2019, "NEW", program="GENERAL") > 0.7 * count(2019, "NEW")
    assert count(2020, "NEW", program="COVID19") > 0.5 * count(2020, "NEW")
    assert count(2019, program="COVID19") == 0
    assert count(2021, "NEW", unit="107") > 0 and count(2020, unit="107") == 0
    assert count(2020, "EXTEND", unit="201") > 0.1 * count(2020, "EXTEND")
    assert count(2020, "NEW", unit="201") == 0
    assert {u for (_, _, u, _) in full.supply_mix} == set(GUARANTEE_UNITS)


def test_breach_scenario(full, breach):
    landing, replay = breach
    assert replay.violations == []
    assert replay.multiple(date(2021, 3, 31)) > 10
    first_warn = min(day for day in replay.daily if day.year == 2021 and replay.multiple(day) >= 9)
    first_breach = min(day for day in replay.daily if day.year == 2021 and replay.multiple(day) > 10)
    assert first_warn.month == 1 and first_breach.month == 3
    for day, folder in delivery_folders(landing):
        if day <= date(2020, 12, 31):  # identical to the normal scenario up to 2020
            assert (folder / MANIFEST_FILE).read_bytes() == (full.landing / folder.name / MANIFEST_FILE).read_bytes()
