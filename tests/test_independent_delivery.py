"""The real nightly DAG over a small, hand-designed landing area written by an independent
producer (tests/independent_producer.py) to the extract contract, and the marts checked against
figures computed by hand (each literal below says how it was derived).

Landing area: cut-over 2019-12-30 (Mon), then one delivery per calendar day to 2020-01-06 (Mon);
2020-01-01 (holiday) and the weekend 01-04/01-05 are header-only.

Amounts are in won; M = 1,000,000.

Decision on header column order: the contract says "CSV ... header row first" and defines the
columns by name; it nowhere fixes their order, so a header whose columns are in another order is
a valid delivery (20200103/contributions.csv and 20200106/headcount.csv use that freedom).
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest

from include.orchestration.dag_runner import run_nightly
from tests.independent_producer import (
    COLUMNS,
    DATA_FILES,
    Fmt,
    ManifestFmt,
    brn,
    write_delivery,
)

M = 1_000_000

# --------------------------------------------------------------------------------------------
# the landing area, as data
# --------------------------------------------------------------------------------------------

# guarantee id -> (customer_id, business_reg_no, customer_name, bank_code)
CUSTOMERS = {
    "G1": ("C0001", brn("124810099"), "한빛상사", "IBK"),
    "G2": ("C0002", brn("101810001"), "김철수 식당", "NH"),
    "G3": ("C0003", brn("131860012"), "(주)바다수산", "SHINHAN"),
    "G4": ("C0004", brn("201150555"), "부평꽃집", "KB"),
    "G5": ("C0005", brn("301220777"), "계양 철물", "WOORI"),
    "G6": ("C0006", brn("410870123"), "중부카페", "HANA"),
    # a name with a comma, a double quote and a line break (RFC 4180 quoting)
    "G7": ("C0007", brn("502810456"), '(주)한빛, "별" 상회\n2호점', "IBK"),
    "G8": ("C0008", brn("605330987"), "남동 분식", "OTHER"),
    "G9": ("C0009", brn("708120246"), "계양문구", "NH"),
}


PROGRAMS = {"G7": "COVID19", "G8": "YOUTH"}  # the others: GENERAL


def g(event_id, event_type, gid, branch, amount, ratio="", fee="", term="", maturity=""):
    customer_id, reg_no, name, bank = CUSTOMERS[gid]
    program = PROGRAMS.get(gid, "GENERAL")
    return dict(event_id=event_id, event_type=event_type, guarantee_id=gid, branch_code=branch,
                program_code=program, customer_id=customer_id, business_reg_no=reg_no,
                customer_name=name, bank_code=bank, amount_krw=amount, guarantee_ratio_pct=ratio,
                fee_rate_pct=fee, term_months=term, maturity_date=maturity)


def r(repayment_id, kind, gid, branch, amount):
    return dict(repayment_id=repayment_id, kind=kind, guarantee_id=gid, branch_code=branch, amount_krw=amount)


def c(contribution_id, entry_type, code, name, ctype, amount, program=""):
    return dict(contribution_id=contribution_id, entry_type=entry_type, contributor_code=code,
                contributor_name=name, contributor_type=ctype, program_code=program, amount_krw=amount)


def h(employee_id, unit, grade, status="ACTIVE"):
    return dict(employee_id=employee_id, org_unit_code=unit, grade=grade, employment_status=status)


D = date
DELIVERIES: dict[date, dict[str, list[dict]]] = {
    # cut-over: every guarantee outstanding, the cut-over claims and the fund's cut-over state
    D(2019, 12, 30): {
        "guarantees.csv": [
            g("E001", "OPENING", "G1", "101", 100 * M, "85", "1.0"),
            g("E002", "OPENING", "G2", "102", 50 * M, "85.0", "1.25", 12, "2020-06-30"),
            g("E003", "OPENING_ACCIDENT", "G3", "103", 30 * M, "100", "0.5"),
            g("E004", "OPENING", "G4", "104", 40 * M, "90", "1.1"),
            g("E005", "OPENING", "G5", "105", 20 * M, "50", "3.0"),
        ],
        "repayments.csv": [
            r("R001", "OPENING_RECOURSE", "C9", "101", 10 * M),  # C9, C8, C7: guarantees closed
            r("R002", "OPENING_SPECIAL", "C8", "102", 8 * M),    # before the cut-over, in no
            r("R003", "OPENING_RECOURSE", "C7", "103", 5 * M),   # guarantees.csv
        ],
        "contributions.csv": [
            c("F001", "OPENING", "INCHEON_CITY", "인천광역시", "CITY", 20 * M),
            c("F002", "OPENING", "BUPYEONG_GU", "부평구", "DISTRICT", 3 * M),
            c("F003", "OPENING", "IBK", "기업은행", "BANK_MANDATORY", 6 * M),
            c("F004", "OPENING", "SHINHAN", "신한은행", "BANK_SPECIAL", 4 * M),
            c("F005", "OPENING", "MSS", "중소벤처기업부", "CENTRAL_GOV", 2 * M),
            c("F006", "OPENING", "ETC", "기타출연", "OTHER", 1 * M),
            c("F007", "LOSS", "INCHEON_CGF", "인천신용보증재단", "", 6 * M),  # cumulative deficit
        ],
        "headcount.csv": [
            h("P01", "010", "2"), h("P03", "101", "1"), h("P04", "101", "4"),
        ],
    },
    D(2019, 12, 31): {
        "guarantees.csv": [
            g("E006", "NEW", "G6", "106", 60 * M, "85", "1.2", 12, "2020-12-31"),
            g("E007", "ACCIDENT", "G4", "104", 15 * M),
        ],
        "repayments.csv": [
            r("R004", "LOAN_PRINCIPAL", "G2", "102", 2 * M),
            r("R005", "RECOVERY", "C7", "103", 1 * M),  # 2019 recovery, recourse ledger
        ],
        "contributions.csv": [],
        "headcount.csv": [],
    },
    D(2020, 1, 1): {name: [] for name in DATA_FILES},  # holiday: header-only
    D(2020, 1, 2): {
        "guarantees.csv": [
            g("E008", "EXTEND", "G1", "201", 100 * M, "85", "1.0", 12, "2021-01-02"),  # by the center
            g("E009", "SUBROGATE", "G3", "103", 12 * M),      # G3 stays ACCIDENT with 18 M
            g("E010", "NORMALIZE", "G4", "104", 15 * M),
            g("E011", "NEW", "G7", "103", 80 * M, "85", "1.0", 36, "2023-01-02"),
        ],
        "repayments.csv": [
            r("R006", "LOAN_PRINCIPAL", "G7", "103", 5 * M),  # same day as G7's NEW: applies after it
            r("R007", "RECOVERY", "C9", "101", 1 * M),        # recourse
            r("R008", "WRITE_OFF", "C7", "103", 4 * M),       # C7: recourse 4 M -> special
            r("R009", "RECOVERY", "C8", "102", 700_000),      # C8 has no recourse: special
            r("R010", "EXTINGUISH", "C8", "102", 1 * M),
        ],
        "contributions.csv": [
            c("F008", "CONTRIBUTION", "INCHEON_CITY", "인천광역시", "CITY", 5 * M, program="COVID19"),
            c("F009", "CONTRIBUTION", "BUPYEONG_GU", "부평구", "DISTRICT", 500_000),
        ],
        "headcount.csv": [
            h("P01", "010", "2"), h("P03", "101", "1"), h("P04", "101", "4", "LEAVE"), h("P05", "101", "5"),
        ],
    },
    D(2020, 1, 3): {
        "guarantees.csv": [
            g("E012", "EXTEND", "G2", "102", 45 * M, "80", "0.9", 6, "2020-07-03"),  # lowers 48 -> 45
            g("E013", "TERMINATE", "G3", "103", 18 * M),     # releases the rest of G3
            g("E014", "ACCIDENT", "G7", "103", 30 * M),
            g("E015", "SUBROGATE", "G7", "103", 25 * M),     # 75 -> 50, stays ACCIDENT
            g("E016", "NEW", "G9", "105", 12 * M, "100", "0.3", 1, "2020-02-03"),
        ],
        "repayments.csv": [
            r("R011", "LOAN_PRINCIPAL", "G1", "101", 10 * M),
            r("R012", "RECOVERY", "G7", "103", 5 * M),        # claim G7 born today (events first): recourse
            r("R013", "RECOVERY", "C7", "103", 500_000),      # C7 recourse is 0: special
            r("R014", "SALE", "C8", "102", 2 * M),
        ],
        "contributions.csv": [
            c("F010", "CONTRIBUTION", "IBK", "기업은행", "BANK_MANDATORY", 1 * M),
            c("F011", "CONTRIBUTION", "SHINHAN", "신한은행", "BANK_SPECIAL", 2 * M),
        ],
        "headcount.csv": [],
    },
    D(2020, 1, 4): {name: [] for name in DATA_FILES},  # Saturday
    D(2020, 1, 5): {name: [] for name in DATA_FILES},  # Sunday
    D(2020, 1, 6): {
        "guarantees.csv": [
            g("E017", "TERMINATE", "G7", "103", 50 * M),
            g("E018", "TERMINATE", "G6", "106", 60 * M),
            g("E019", "ACCIDENT", "G4", "104", 10 * M),
            g("E020", "NEW", "G8", "101", 35 * M, "90", "0.8", 60, "2025-01-06"),
        ],
        "repayments.csv": [
            r("R015", "LOAN_PRINCIPAL", "G5", "105", 25 * M),  # more than the 20 M left: floors at 0
            r("R016", "RECOVERY", "C9", "101", 2 * M),         # recourse (C9 again: counted once)
            r("R017", "RECOVERY", "G3", "103", 2 * M),         # recourse
            r("R018", "WRITE_OFF", "G7", "103", 20 * M),       # G7 recourse 20 -> 0, special 20
            r("R019", "RECOVERY", "G7", "103", 3 * M),         # now from special
            r("R020", "WAIVER", "C8", "102", 500_000),
        ],
        "contributions.csv": [
            c("F012", "CONTRIBUTION", "MSS", "중소벤처기업부", "CENTRAL_GOV", 1_500_000),
            c("F013", "CONTRIBUTION", "ETC", "기타출연", "OTHER", 250_000),
            c("F014", "CONTRIBUTION", "INCHEON_CITY", "인천광역시", "CITY", 1 * M),
        ],
        "headcount.csv": [
            h("P01", "010", "2"), h("P02", "010", "OTHER"),
            h("P03", "101", "1"), h("P04", "101", "4", "LEAVE"), h("P05", "101", "5"),
            h("P06", "101", "6", "LEAVE"), h("P07", "101", "6"),
            h("P08", "201", "3"), h("P09", "201", "OTHER"), h("P10", "102", "2"),
        ],
    },
}

# how each file is written (default: plain UTF-8, LF, minimal quoting, trailing newline)
CRLF = "\r\n"
FORMATS: dict[date, dict[str, Fmt]] = {
    D(2019, 12, 30): {
        "guarantees.csv": Fmt(encoding="utf-8-sig", eol=CRLF),
        "contributions.csv": Fmt(encoding="cp949", eol=CRLF),
        "repayments.csv": Fmt(final_newline=False),
    },
    D(2019, 12, 31): {"guarantees.csv": Fmt(encoding="cp949"), "repayments.csv": Fmt(eol=CRLF)},
    D(2020, 1, 1): {"headcount.csv": Fmt(eol=CRLF, final_newline=False)},
    D(2020, 1, 2): {
        "guarantees.csv": Fmt(quote_all=True, eol=CRLF),  # every field quoted; G7's odd name
        "repayments.csv": Fmt(final_newline=False),
        "contributions.csv": Fmt(encoding="utf-8-sig"),
    },
    D(2020, 1, 3): {
        "guarantees.csv": Fmt(encoding="cp949", eol=CRLF, final_newline=False),
        "contributions.csv": Fmt(columns=["amount_krw", "entry_type", "contribution_id", "contributor_type",
                                          "contributor_code", "received_date", "program_code", "contributor_name"]),
    },
    D(2020, 1, 6): {
        "guarantees.csv": Fmt(encoding="utf-8-sig"),
        "contributions.csv": Fmt(encoding="cp949"),
        "headcount.csv": Fmt(columns=["employee_id", "grade", "employment_status", "org_unit_code", "snapshot_date"],
                             eol=CRLF),
    },
}
MANIFESTS: dict[date, ManifestFmt] = {
    D(2019, 12, 30): ManifestFmt(upper_sha=True, eol=CRLF),
    D(2019, 12, 31): ManifestFmt(bom=True, final_newline=False),
    D(2020, 1, 3): ManifestFmt(quote_all=True, eol=CRLF),
    D(2020, 1, 2): ManifestFmt(order=["headcount.csv", "contributions.csv", "repayments.csv", "guarantees.csv"]),
    D(2020, 1, 6): ManifestFmt(upper_sha=True, order=["repayments.csv", "guarantees.csv", "headcount.csv",
                                                      "contributions.csv"]),
}
FIRST, LAST = D(2019, 12, 30), D(2020, 1, 6)


def write_landing(landing, deliveries=DELIVERIES, formats=FORMATS, manifests=MANIFESTS):
    for day, files in deliveries.items():
        write_delivery(landing, day, files, formats.get(day), manifests.get(day))


@pytest.fixture
def env(db_url, tmp_path, monkeypatch, airflow_db):
    landing = tmp_path / "landing"
    monkeypatch.setenv("CGF_WAREHOUSE_URL", db_url)
    monkeypatch.setenv("CGF_LANDING_DIR", str(landing))
    monkeypatch.setenv("CGF_RETRY_DELAY_SECONDS", "1")
    return landing


def fetch(conn, sql, *params):
    cur = conn.execute(sql, params)
    names = [d.name for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def test_landing_area_uses_the_formatting_freedoms(tmp_path):
    """The producer really wrote what the test claims (guards against a silently 'nice' producer)."""
    write_landing(tmp_path)
    raw = lambda d, f: (tmp_path / d / f).read_bytes()  # noqa: E731
    guarantees = raw("20191230", "guarantees.csv")
    assert guarantees.startswith(b"\xef\xbb\xbf") and b"\r\n" in guarantees
    cp949 = raw("20191230", "contributions.csv")
    assert "인천광역시".encode("cp949") in cp949
    with pytest.raises(UnicodeDecodeError):
        cp949.decode("utf-8")
    assert not raw("20191230", "repayments.csv").endswith(b"\n")
    q = raw("20200102", "guarantees.csv").decode("utf-8")
    assert q.startswith('"event_id","event_date"') and '"(주)한빛, ""별"" 상회\n2호점"' in q
    assert raw("20200103", "contributions.csv").startswith(b"amount_krw,entry_type,")
    manifest = raw("20191230", "manifest.csv").decode()
    assert any(ch in "ABCDEF" for ch in manifest.split(",")[-1])
    assert raw("20200104", "guarantees.csv") == (",".join(COLUMNS["guarantees.csv"]) + "\n").encode()
    assert raw("20191231", "manifest.csv").startswith(b"\xef\xbb\xbffile,rows")
    assert not raw("20191231", "manifest.csv").endswith(b"\n")
    assert raw("20200103", "manifest.csv").startswith(b'"file","rows"')
    assert b"85.0" in raw("20191230", "guarantees.csv") and b"1.25" in raw("20191230", "guarantees.csv")


def test_independent_delivery_builds_the_marts_as_computed_by_hand(env, db_url):
    write_landing(env)
    result = run_nightly()
    assert result.succeeded, result

    with psycopg.connect(db_url) as conn:
        # ---- ops / raw: every delivery loaded, nothing rejected, manifest rows == raw rows -------
        deliveries = fetch(conn, "select delivery_date, status from ops.deliveries order by 1")
        assert [(d["delivery_date"], d["status"]) for d in deliveries] == [
            (FIRST + timedelta(days=i), "LOADED") for i in range(8)]
        assert conn.execute("select count(*) from ops.rejections").fetchone()[0] == 0
        for name, table in [("guarantees.csv", "guarantees"), ("repayments.csv", "repayments"),
                            ("contributions.csv", "contributions"), ("headcount.csv", "headcount")]:
            in_manifests = sum(int(row["rows"]) for m in sorted(env.glob("*/manifest.csv"))
                               for row in csv.DictReader(io.StringIO(m.read_text("utf-8-sig"))) if row["file"] == name)
            assert in_manifests == sum(len(files[name]) for files in DELIVERIES.values())
            assert conn.execute(f"select count(*) from raw.{table}").fetchone()[0] == in_manifests, name
        # 20 guarantee events, 20 repayments, 14 fund entries, 3 + 4 + 10 roster rows

        # the odd name and the decimals survived quoting / CP949 / BOM
        assert conn.execute("select customer_name from raw.guarantees where event_id = 'E011'").fetchone()[0] \
            == '(주)한빛, "별" 상회\n2호점'
        ratios = dict(conn.execute(
            "select event_id, guarantee_ratio_pct from raw.guarantees where event_id in ('E001','E002')").fetchall())
        fees = dict(conn.execute(
            "select event_id, fee_rate_pct from raw.guarantees where event_id in ('E001','E002')").fetchall())
        assert Decimal(str(ratios["E001"])) == Decimal(85) and Decimal(str(ratios["E002"])) == Decimal(85)
        assert Decimal(str(fees["E002"])) == Decimal("1.25")
        assert conn.execute("select contributor_name from raw.contributions where contribution_id = 'F014'"
                            ).fetchone()[0] == "인천광역시"  # CP949 file
        assert conn.execute("select amount_krw, contributor_type from raw.contributions where contribution_id = 'F011'"
                            ).fetchone() == (2 * M, "BANK_SPECIAL")  # reordered header

        # ---- rpt_supply_yearly ----------------------------------------------------------------
        supply = {row["year"]: row for row in fetch(conn, "select * from marts.rpt_supply_yearly")}
        s19, s20 = supply[2019], supply[2020]
        # 2019: NEW G6 60 M only (OPENING rows are cut-over state, not supply)
        assert (s19["supply_count"], s19["supply_amount_krw"], s19["new_count"], s19["extension_count"]) \
            == (1, 60 * M, 1, 0)
        # end of 2019: G1 100, G2 50−2=48, G3 30, G4 40, G5 20, G6 60
        assert (s19["balance_count"], s19["balance_amount_krw"]) == (6, 298 * M)
        # 2020: NEW G7 80 + G9 12 + G8 35 = 127 M; EXTEND G1 100 (center 201) + G2 45 = 145 M
        assert (s20["new_count"], s20["new_amount_krw"]) == (3, 127 * M)
        assert (s20["extension_count"], s20["extension_amount_krw"]) == (2, 145 * M)
        assert (s20["supply_count"], s20["supply_amount_krw"]) == (5, 272 * M)
        # 2020-01-06: G1 100−10=90, G2 45, G4 40, G8 35, G9 12 (G3, G5, G6, G7 at 0)
        assert (s20["balance_count"], s20["balance_amount_krw"]) == (5, 222 * M)
        # 2019 is the cut-over year (from the cut-over, 12-30), 2020 runs to the latest delivery:
        # both partial. 2020 (01-01..01-06) compares with 2019-01-01..2019-01-06: supply not at all
        # (the previous year is the cut-over year), the balance not either (2019-01-06 is before
        # the cut-over, the warehouse has no balance then)
        assert (s19["from_date"], s19["through_date"], s19["is_partial_year"], s19["is_cutover_year"]) \
            == (D(2019, 12, 30), D(2019, 12, 31), True, True)
        assert (s20["from_date"], s20["through_date"], s20["is_partial_year"], s20["is_cutover_year"]) \
            == (D(2020, 1, 1), D(2020, 1, 6), True, False)
        assert (s20["prev_period_from_date"], s20["prev_period_through_date"]) == (D(2019, 1, 1), D(2019, 1, 6))
        assert [s20[c] for c in ("prev_period_supply_count", "supply_count_change", "supply_amount_change_krw",
                                 "supply_count_growth_pct", "supply_amount_growth_pct", "prev_period_balance_count",
                                 "balance_count_change", "balance_amount_change_krw", "balance_count_growth_pct",
                                 "balance_amount_growth_pct")] == [None] * 10
        assert (s20["plan_count"], s20["plan_amount_krw"]) == (27000, 610_000 * M)  # seed ref_supply_plans
        assert s20["count_attainment_pct"] == Decimal("0.0")  # 5 / 27,000

        # supply by handling unit: the center's EXTEND is the center's; the guarantee stays with 101
        g1 = fetch(conn, "select handling_branch_code, owning_branch_code from marts.fct_guarantee_events "
                         "where event_key = 'E008'")
        assert g1 == [{"handling_branch_code": "201", "owning_branch_code": "101"}]
        # 2020-01 by branch: supply by the handling unit, month-end balance by the owning branch
        monthly = conn.execute(
            "select branch_code, sum(supply_count), sum(supply_amount_krw), sum(extension_count), "
            "sum(balance_count), sum(balance_amount_krw) from marts.fct_supply_balance_monthly "
            "where month_start_date = '2020-01-01' group by 1 "
            "having sum(supply_count) > 0 or sum(balance_count) > 0 order by 1").fetchall()
        assert [tuple(int(x) if x is not None and not isinstance(x, str) else x for x in row) for row in monthly] == [
            ("101", 1, 35 * M, 0, 2, 125 * M),   # NEW G8; G1 90 + G8 35 (G1's EXTEND was 201's)
            ("102", 1, 45 * M, 1, 1, 45 * M),    # EXTEND G2
            ("103", 1, 80 * M, 0, 0, 0),         # NEW G7; G3, G7 closed
            ("104", 0, 0, 0, 1, 40 * M),         # G4
            ("105", 1, 12 * M, 0, 1, 12 * M),    # NEW G9; G5 at 0
            ("201", 1, 100 * M, 1, 0, 0),        # the center's EXTEND of G1; it owns no guarantee
        ]
        g7 = fetch(conn, "select event_key, balance_after_krw, status_after from marts.fct_guarantee_events "
                         "where guarantee_id = 'G7' order by event_date, event_key")
        assert [(e["event_key"], e["balance_after_krw"], e["status_after"]) for e in g7] == [
            ("E011", 80 * M, "NORMAL"), ("R006", 75 * M, "NORMAL"),     # NEW before LOAN_PRINCIPAL
            ("E014", 75 * M, "ACCIDENT"), ("E015", 50 * M, "ACCIDENT"),  # partial SUBROGATE
            ("E017", 0, "CLOSED")]

        # ---- rpt_accidents_yearly -------------------------------------------------------------
        acc = {row["year"]: row for row in fetch(conn, "select * from marts.rpt_accidents_yearly")}
        a19, a20 = acc[2019], acc[2020]
        assert (a19["accident_count"], a19["accident_amount_krw"]) == (1, 15 * M)       # G4 12-31
        assert (a19["recovery_count"], a19["recovery_amount_krw"]) == (1, 1 * M)        # C7 12-31
        assert (a20["accident_count"], a20["accident_amount_krw"]) == (2, 40 * M)       # G7 30 + G4 10
        assert (a20["normalized_count"], a20["normalized_amount_krw"]) == (1, 15 * M)   # G4
        assert (a20["claim_count"], a20["claim_amount_krw"]) == (2, 37 * M)             # G3 12 + G7 25
        # recourse-ledger recoveries: C9 1 + C9 2 + G7 5 + G3 2 = 10 M over 3 distinct claims
        # (special-ledger recoveries C8 0.7, C7 0.5, G7 3 are excluded)
        assert (a20["recovery_count"], a20["recovery_amount_krw"]) == (3, 10 * M)
        # no change against the cut-over year
        assert (a20["accident_count_change"], a20["accident_amount_change_krw"]) == (None, None)

        # ---- rpt_claims_rollforward_yearly (cut-over claims = opening of 2019, per its YAML) ----
        cols = ["opening_krw", "generated_krw", "recovered_krw", "written_off_krw", "extinguished_krw",
                "sold_krw", "waived_krw", "closing_krw"]
        roll = {(row["year"], row["ledger"]): tuple(row[c] for c in cols)
                for row in fetch(conn, "select * from marts.rpt_claims_rollforward_yearly")}
        assert roll[(2019, "RECOURSE")] == (15 * M, 0, 1 * M, 0, 0, 0, 0, 14 * M)  # C9 10 + C7 5; C7 −1
        assert roll[(2019, "SPECIAL")] == (8 * M, 0, 0, 0, 0, 0, 0, 8 * M)         # C8
        # RECOURSE 2020: +G3 12 +G7 25; recovered 10 (above); written off C7 4 + G7 20
        # closing 14 + 37 − 10 − 24 = 17 = C9 7 + G3 10
        assert roll[(2020, "RECOURSE")] == (14 * M, 37 * M, 10 * M, 24 * M, 0, 0, 0, 17 * M)
        # SPECIAL 2020: generated = the 24 written off; recovered C8 0.7 + C7 0.5 + G7 3 = 4.2;
        # extinguished C8 1, sold C8 2, waived C8 0.5; closing 8 + 24 − 4.2 − 1 − 2 − 0.5 = 24.3
        # = C8 3.8 + C7 3.5 + G7 17
        assert roll[(2020, "SPECIAL")] == (8 * M, 24 * M, 4_200_000, 0, 1 * M, 2 * M, 500_000, 24_300_000)

        # ---- rpt_basic_assets_yearly (cut-over entries = opening of 2019, per its YAML) --------
        assets = {row["year"]: row for row in fetch(conn, "select * from marts.rpt_basic_assets_yearly")}
        cols = ["opening_krw", "contributions_krw", "losses_krw", "closing_krw", "change_krw"]
        # OPENING 20+3+6+4+2+1 = 36, cut-over LOSS 6 -> 30
        assert tuple(assets[2019][c] for c in cols) == (30 * M, 0, 0, 30 * M, 0)
        # 2020 CONTRIBUTION 5 + 0.5 + 1 + 2 + 1.5 + 0.25 + 1 = 11.25
        assert tuple(assets[2020][c] for c in cols) == (30 * M, 11_250_000, 0, 41_250_000, 11_250_000)

        # ---- rpt_contributions_yearly 2020 --------------------------------------------------------
        contrib = {row["plan_category"]: row for row in fetch(
            conn, "select * from marts.rpt_contributions_yearly where year = 2020")}
        assert {k: v["actual_amount_krw"] for k, v in contrib.items()} == {
            "인천시": 6 * M,           # CITY 5 (COVID19) + 1
            "기초단체": 500_000,       # DISTRICT
            "의무출연금": 1 * M,       # BANK_MANDATORY
            "기타": 3_750_000,         # BANK_SPECIAL 2 + CENTRAL_GOV 1.5 + OTHER 0.25
        }
        assert contrib["인천시"]["plan_amount_krw"] == 6_200 * M          # seed ref_contribution_plans
        assert contrib["인천시"]["attainment_pct"] == Decimal("0.1")      # 6 / 6,200 = 0.097 %
        assert contrib["의무출연금"]["attainment_pct"] == Decimal("0.0")  # 1 / 2,500 = 0.04 %

        # ---- fct_operating_multiple_daily ------------------------------------------------------
        om = {row["as_of_date"]: row for row in fetch(conn, "select * from marts.fct_operating_multiple_daily")}
        assert sorted(om) == [FIRST + timedelta(days=i) for i in range(8)]  # every calendar day
        # day: (balance, basic assets, multiple, status, headroom = 10 × assets − balance)
        expected = {
            D(2019, 12, 30): (240 * M, 30 * M, "8.0000", "OK", 60 * M),         # G1..G5
            D(2019, 12, 31): (298 * M, 30 * M, "9.9333", "WARN", 2 * M),        # +G6 60, −G2 2
            D(2020, 1, 1): (298 * M, 30 * M, "9.9333", "WARN", 2 * M),          # holiday carries
            D(2020, 1, 2): (361 * M, 35_500_000, "10.1690", "BREACH", -6 * M),  # −G3 12, +G7 75; +5.5
            D(2020, 1, 3): (317 * M, 38_500_000, "8.2338", "OK", 68 * M),       # see below; +3
            D(2020, 1, 5): (317 * M, 38_500_000, "8.2338", "OK", 68 * M),       # weekend carries
            D(2020, 1, 6): (222 * M, 41_250_000, "5.3818", "OK", 190_500_000),  # +2.75
        }
        # 01-03: G1 90, G2 45, G3 0, G4 40, G5 20, G6 60, G7 50, G9 12 = 317
        for day, (balance, basic, multiple, status, headroom) in expected.items():
            row = om[day]
            assert (row["guarantee_balance_krw"], row["basic_assets_krw"], row["status"], row["headroom_krw"]) \
                == (balance, basic, status, headroom), day
            assert Decimal(row["operating_multiple"]).quantize(Decimal("0.0001")) == Decimal(multiple), day
            assert abs(Decimal(row["operating_multiple"]) - Decimal(balance) / Decimal(basic)) < Decimal("0.00005")
            assert (row["policy_limit"], row["warn_level"], row["legal_limit"]) == (10, 9, 15)

        # ---- rpt_headcount_vs_quota (snapshot 2020-01-06) -----------------------------------------
        hc = {(row["org_unit_code"], row["grade_band"]): row for row in fetch(
            conn, "select * from marts.rpt_headcount_vs_quota where as_of_date = '2020-01-06'")}
        cells = lambda k: (hc[k]["quota"], hc[k]["headcount"], hc[k]["active_count"],  # noqa: E731
                           hc[k]["on_leave_count"], hc[k]["vacancy"])
        # quota from seed ref_quota; headcount = ACTIVE + LEAVE
        assert cells(("101", "5-6")) == (7, 3, 2, 1, 4)   # P05 grade 5, P06 6 (LEAVE), P07 6
        assert cells(("101", "4")) == (3, 1, 0, 1, 2)     # P04 on leave
        assert cells(("101", "1")) == (1, 1, 1, 0, 0)
        assert cells(("010", "OTHER")) == (1, 1, 1, 0, 0)
        assert cells(("201", "3")) == (1, 1, 1, 0, 0)
        assert cells(("201", "OTHER")) == (0, 1, 1, 0, -1)  # contract staff without a quota
        assert cells(("201", "4")) == (3, 0, 0, 0, 3)       # quota cell without staff
        assert sum(v["headcount"] for v in hc.values()) == 10
        assert sum(v["on_leave_count"] for v in hc.values()) == 2
        assert sum(v["quota"] for v in hc.values()) == 86   # every quota cell shows
        # my data is consistent: no ledger finding (LOAN_PRINCIPAL beyond the balance just floors at 0,
        # the RECOVERY of G7 on the day of its SUBROGATE comes after it)
        assert fetch(conn, "select * from marts.fct_ledger_findings") == []
        snapshots = [r_[0] for r_ in conn.execute(
            "select distinct as_of_date from marts.rpt_headcount_vs_quota where headcount > 0 order by 1")]
        assert snapshots == [D(2019, 12, 30), D(2020, 1, 2), D(2020, 1, 6)]  # days with a roster


# --------------------------------------------------------------------------------------------
# negative: an independent producer counting the header line in the manifest, and writing a
# date as 2020/01/03
# --------------------------------------------------------------------------------------------

SMALL = {
    D(2019, 12, 30): {
        "guarantees.csv": [g("E001", "OPENING", "G1", "101", 100 * M, "85", "1.0")],
        "repayments.csv": [],
        "contributions.csv": [c("F001", "OPENING", "INCHEON_CITY", "인천광역시", "CITY", 20 * M)],
        "headcount.csv": [h("P01", "010", "2")],
    },
    D(2019, 12, 31): {
        "guarantees.csv": [g("E002", "NEW", "G2", "102", 10 * M, "85", "1.0", 12, "2020-12-31"),
                           g("E003", "NEW", "G3", "103", 20 * M, "85", "1.0", 12, "2020-12-31")],
        "repayments.csv": [r("R001", "LOAN_PRINCIPAL", "G1", "101", 1 * M)],
        "contributions.csv": [],
        "headcount.csv": [],
    },
    D(2020, 1, 1): {name: [] for name in DATA_FILES},
}


def test_a_delivery_breaking_the_contract_is_rejected_and_later_days_wait(env, db_url):
    bad_day = D(2019, 12, 31)
    for day, files in SMALL.items():
        if day == bad_day:
            # header line counted in repayments' manifest rows (2 instead of 1) and a slash date
            write_delivery(env, day, files, manifest=ManifestFmt(rows_override={"repayments.csv": 2}),
                           date_override={("guarantees.csv", 1): "2019/12/31"})
        else:
            write_delivery(env, day, files)

    result = run_nightly()
    assert not result.succeeded

    with psycopg.connect(db_url) as conn:
        status = dict(conn.execute("select delivery_date, status from ops.deliveries").fetchall())
        assert status.get(FIRST) == "LOADED"
        assert status.get(bad_day) == "REJECTED"
        assert D(2020, 1, 1) not in status  # waits: not even looked at
        rejections = fetch(conn, "select file_name, line_no, column_name, value, reason from ops.rejections "
                                 "where delivery_date = %s", bad_day)
        # the slash date: guarantees.csv, line 3 (header = line 1, E003 = line 3), event_date
        # both violations recorded: the slash date at guarantees.csv line 3 (header = line 1,
        # E003 = line 3), column event_date; the row count against repayments.csv, column rows
        by_file = {x["file_name"]: x for x in rejections}
        assert len(rejections) == 2, rejections
        slash = by_file["guarantees.csv"]
        assert (slash["line_no"], slash["column_name"], slash["value"]) == (3, "event_date", "2019/12/31")
        assert "YYYY-MM-DD" in slash["reason"]
        count = by_file["repayments.csv"]
        assert (count["column_name"], count["value"]) == ("rows", "1")  # 1 data row; the manifest said 2
        assert "manifest" in count["reason"] and "2" in count["reason"]
        # nothing of the bad delivery was loaded, the built marts stop before it
        assert conn.execute("select count(*) from raw.guarantees where delivery_date = %s",
                            (bad_day,)).fetchone()[0] == 0
        assert conn.execute("select max(as_of_date) from marts.fct_operating_multiple_daily").fetchone()[0] == FIRST

    # the corrected re-send of the bad day: everything loads
    write_delivery(env, bad_day, SMALL[bad_day])
    again = run_nightly()
    assert again.succeeded, again
    with psycopg.connect(db_url) as conn:
        loaded = [d for (d,) in conn.execute(
            "select delivery_date from ops.deliveries where status = 'LOADED' order by 1")]
        assert loaded == [FIRST, bad_day, D(2020, 1, 1)]
        # 12-31: G1 100 − 1 + G2 10 + G3 20 = 129 M, basic assets 20 M
        assert conn.execute("select guarantee_balance_krw, basic_assets_krw from marts.fct_operating_multiple_daily "
                            "where as_of_date = '2020-01-01'").fetchone() == (129 * M, 20 * M)


# --------------------------------------------------------------------------------------------
# boundary values of the contract's ranges are valid (fee_rate_pct 0.1–3.0, ratio 50–100)
# --------------------------------------------------------------------------------------------

def test_fee_rate_at_the_lower_bound_is_accepted(env, db_url):
    write_delivery(env, D(2019, 12, 30), {
        "guarantees.csv": [g("E001", "OPENING", "G1", "101", 100 * M, "50", "3.0"),
                           g("E002", "OPENING", "G2", "102", 50 * M, "100", "0.1")],
        "contributions.csv": [c("F001", "OPENING", "INCHEON_CITY", "인천광역시", "CITY", 20 * M)],
        "headcount.csv": [h("P01", "010", "2")],
    })
    result = run_nightly()
    with psycopg.connect(db_url) as conn:
        rejections = fetch(conn, "select file_name, line_no, column_name, value, reason from ops.rejections")
        assert rejections == []
        assert conn.execute("select count(*) from raw.guarantees").fetchone()[0] == 2
    assert result.succeeded, result
