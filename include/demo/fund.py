"""The plan of the fund (기본재산, million won): its state at cut-over, the contributions and the
losses booked later, and the rows they make per day."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from include.demo.plan import scaled_krw

# OPENING rows at cut-over, one per contributor type: cumulative contributions 284,040
OPENING_FUNDS = (
    ("INCHEON_CITY", "인천광역시", "CITY", 150_000),
    ("DISTRICTS", "기초자치단체", "DISTRICT", 8_500),
    ("MSS", "중소벤처기업부", "CENTRAL_GOV", 30_000),
    ("BANKS_MANDATORY", "금융기관 법정출연", "BANK_MANDATORY", 40_000),
    ("BANKS_SPECIAL", "금융기관 특별출연", "BANK_SPECIAL", 55_000),
    ("OTHER_DONORS", "기타", "OTHER", 540),
)
CUTOVER_DEFICIT = ("DEFICIT", "누적결손금", 87_944)

CONTRIBUTORS = {  # code → (name, contributor type)
    "INCHEON_CITY": ("인천광역시", "CITY"),
    "GYEYANG_GU": ("계양구", "DISTRICT"),
    "MICHUHOL_GU": ("미추홀구", "DISTRICT"),
    "BUPYEONG_GU": ("부평구", "DISTRICT"),
    "YEONSU_GU": ("연수구", "DISTRICT"),
    "ONGJIN_GUN": ("옹진군", "DISTRICT"),
    "JUNG_GU": ("중구", "DISTRICT"),
    "BANKS_MANDATORY": ("금융기관 법정출연", "BANK_MANDATORY"),
    "IBK": ("기업은행", "BANK_SPECIAL"),
    "NH": ("농협은행", "BANK_SPECIAL"),
    "SHINHAN": ("신한은행", "BANK_SPECIAL"),
    "KB": ("국민은행", "BANK_SPECIAL"),
    "WOORI": ("우리은행", "BANK_SPECIAL"),
    "HANA": ("하나은행", "BANK_SPECIAL"),
    "MSS": ("중소벤처기업부", "CENTRAL_GOV"),
    "OTHER_DONORS": ("기타", "OTHER"),
}
_DISTRICTS_2019 = tuple(("2019-11-29", code, "", 100) for code in
                        ("GYEYANG_GU", "MICHUHOL_GU", "BUPYEONG_GU", "YEONSU_GU", "ONGJIN_GUN", "JUNG_GU"))
_DISTRICTS_2020 = tuple(("2020-12-15", code, "", amount) for code, amount in (
    ("GYEYANG_GU", 100), ("MICHUHOL_GU", 50), ("BUPYEONG_GU", 100), ("YEONSU_GU", 150),
    ("ONGJIN_GUN", 700), ("JUNG_GU", 100)))
# (date, contributor code, program or "", million won): 2019 15,102; 2020 62,905; 2021 Q1 8,200
CONTRIBUTION_PLAN = (
    ("2019-01-31", "BANKS_MANDATORY", "", 800), ("2019-02-28", "INCHEON_CITY", "", 3_000),
    ("2019-03-29", "IBK", "", 1_500), ("2019-04-30", "BANKS_MANDATORY", "", 800),
    ("2019-05-31", "INCHEON_CITY", "JOBS", 1_000), ("2019-05-31", "INCHEON_CITY", "YOUTH", 800),
    ("2019-06-28", "NH", "", 700), ("2019-06-28", "SHINHAN", "", 600),
    ("2019-07-31", "BANKS_MANDATORY", "", 800), ("2019-08-30", "INCHEON_CITY", "ALLEY", 700),
    ("2019-08-30", "INCHEON_CITY", "HOPE", 500), ("2019-09-30", "INCHEON_CITY", "EXPORT", 300),
    ("2019-09-30", "KB", "", 400), ("2019-09-30", "WOORI", "", 300), ("2019-09-30", "HANA", "", 400),
    ("2019-10-31", "BANKS_MANDATORY", "", 800), ("2019-11-29", "IBK", "", 1_000),
    *_DISTRICTS_2019,
    ("2019-12-20", "MSS", "", 100), ("2019-12-27", "OTHER_DONORS", "", 2),
    ("2020-01-31", "BANKS_MANDATORY", "", 900), ("2020-02-28", "INCHEON_CITY", "", 1_000),
    ("2020-03-20", "INCHEON_CITY", "COVID19", 5_000), ("2020-03-31", "IBK", "COVID19", 6_000),
    ("2020-04-29", "BANKS_MANDATORY", "", 900), ("2020-04-29", "MSS", "COVID19", 2_000),
    ("2020-05-15", "INCHEON_CITY", "COVID19", 8_000), ("2020-05-29", "NH", "COVID19", 1_416),
    ("2020-05-29", "SHINHAN", "COVID19", 1_500), ("2020-05-29", "KB", "COVID19", 1_000),
    ("2020-05-29", "HANA", "COVID19", 1_350), ("2020-06-30", "INCHEON_CITY", "JOBS", 1_600),
    ("2020-06-30", "INCHEON_CITY", "YOUTH", 800), ("2020-06-30", "IBK", "COVID19", 6_000),
    ("2020-07-31", "BANKS_MANDATORY", "", 900), ("2020-08-31", "INCHEON_CITY", "ALLEY", 1_000),
    ("2020-08-31", "INCHEON_CITY", "EXPORT", 800), ("2020-09-25", "INCHEON_CITY", "COVID19", 5_600),
    ("2020-09-25", "WOORI", "COVID19", 1_080), ("2020-10-30", "BANKS_MANDATORY", "", 927),
    ("2020-10-30", "MSS", "COVID19", 1_928), ("2020-11-30", "INCHEON_CITY", "HOPE", 1_000),
    ("2020-11-30", "NH", "", 1_000), ("2020-11-30", "SHINHAN", "", 1_500), ("2020-11-30", "KB", "", 1_000),
    ("2020-11-30", "HANA", "", 1_350),
    *_DISTRICTS_2020,
    ("2020-12-23", "IBK", "", 6_136), ("2020-12-28", "OTHER_DONORS", "", 18),
    ("2021-01-29", "BANKS_MANDATORY", "", 1_500), ("2021-02-15", "INCHEON_CITY", "", 3_000),
    ("2021-03-15", "INCHEON_CITY", "COVID19", 2_500), ("2021-03-22", "IBK", "COVID19", 1_000),
    ("2021-03-25", "YEONSU_GU", "", 200),
)
# year-end deficit appropriations booked later: (date, code, name, million won)
LOSS_PLAN = (("2021-02-26", "DEFICIT", "2020년 결손금 보전", 15_000),)



def history_fund_entries(entries: dict[date, list[tuple]], history_years: list[date], scale: float,
                         opening_scale: float) -> None:
    """The history's fund rows (--years): what the fund gained between its opening at the earlier
    cut-over (at `opening_scale`) and the default cut-over (at `scale`), in each history year (from
    each of `history_years`, the cut-over and its anniversaries) one LOSS (deficit appropriation)
    after 8 weeks and one CONTRIBUTION per contributor type after half a year, so that the fund
    reaches the state of the cut-over without history exactly."""
    rows = [(code, name, contributor_type, "CONTRIBUTION", million, 182)
            for code, name, contributor_type, million in OPENING_FUNDS]
    code, name, million = CUTOVER_DEFICIT
    rows.insert(0, (code, name, None, "LOSS", million, 56))
    count = len(history_years)
    for code, name, contributor_type, entry_type, million, offset in rows:
        rest = scaled_krw(million, scale) - scaled_krw(million, opening_scale)
        share = rest // count // 1000 * 1000
        for number, first in enumerate(history_years, start=1):
            amount = share if number < count else rest - share * (count - 1)
            if amount > 0:
                entries[first + timedelta(days=offset)].append((entry_type, code, name, contributor_type, None, amount))


def fund_entries_by_day(scale: float) -> dict[date, list[tuple]]:
    """Planned CONTRIBUTION and LOSS rows per day, as Books.fund_entry arguments."""
    entries: dict[date, list[tuple]] = defaultdict(list)
    for day, code, program, million in CONTRIBUTION_PLAN:
        name, contributor_type = CONTRIBUTORS[code]
        entries[date.fromisoformat(day)].append(
            ("CONTRIBUTION", code, name, contributor_type, program, scaled_krw(million, scale)))
    for day, code, name, million in LOSS_PLAN:
        entries[date.fromisoformat(day)].append(("LOSS", code, name, None, None, scaled_krw(million, scale)))
    return entries
