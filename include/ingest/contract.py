"""The extract contract of the core guarantee system, in one place.

Loader, validation, raw DDL and docs all read from here so they cannot drift apart.
Source of truth: the foundation's extract contract (deliveries of five CSV files per day).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache

MANIFEST_FILE = "manifest.csv"
MANIFEST_HEADER = ("file", "rows", "amount_krw_sum", "sha256")

# --- the landing area --------------------------------------------------------------------

# the generator's mark on a landing area it wrote (its options inside): the one landing-root entry
# that is not a delivery and not reported. Only there may the demo customer-key secret be used.
DEMO_LANDING_MARKER = "cgf-demo-landing.json"
LANDING_ROOT_FILES = (DEMO_LANDING_MARKER,)  # files the landing root may hold besides deliveries

DELIVERY_NAME_RE = re.compile(r"\A[0-9]{8}\Z")  # ASCII digits only: `\d` takes ２０１９０１０２, `$` a newline


def delivery_date_of_name(name: str) -> date | None:
    """The delivery day a landing-area name stands for: exactly 8 ASCII digits forming a valid
    date (20190102); anything else is not a delivery."""
    if not DELIVERY_NAME_RE.match(name):
        return None
    try:
        return date(int(name[:4]), int(name[4:6]), int(name[6:]))
    except ValueError:
        return None

# --- reference codes -------------------------------------------------------------------

ORG_UNITS = {
    "010": "경영본부",
    "011": "전략기획부",
    "012": "인사총무부",
    "013": "소상공인복합클러스터조성팀",
    "020": "영업본부(영업관리부)",
    "030": "감사실",
    "101": "남동지점",
    "102": "부평지점",
    "103": "서인천지점",
    "104": "남부지점",
    "105": "계양지점",
    "106": "중부지점",
    "107": "연수지점",
    "201": "소상공인디딤돌센터",
}
BRANCHES = ("101", "102", "103", "104", "105", "106", "107")
GUARANTEE_UNITS = BRANCHES + ("201",)  # the center 201 issues extensions

PROGRAMS = {
    "GENERAL": "일반보증",
    "COVID19": "코로나19 피해",
    "ALLEY": "골목상권 활성화",
    "UNDERGROUND": "지하도상가 활성화",
    "HOPE": "취약계층 희망드림",
    "REDEV": "재개발지역 상권 활성화",
    "SOCIAL": "사회적경제기업",
    "RESTART": "재도전 지원",
    "JOBS": "일자리 창출",
    "YOUTH": "청년창업",
    "EXPORT": "수출규제 피해기업",
}
BANKS = {
    "IBK": "기업은행",
    "NH": "농협은행",
    "SHINHAN": "신한은행",
    "KB": "국민은행",
    "WOORI": "우리은행",
    "HANA": "하나은행",
    "OTHER": "기타",
}

EVENT_TYPES = {
    "OPENING": "이관 잔액",
    "OPENING_ACCIDENT": "이관 사고잔액",
    "NEW": "신규보증",
    "EXTEND": "기한연장",
    "TERMINATE": "해지",
    "ACCIDENT": "보증사고 발생",
    "NORMALIZE": "사고 정상화",
    "SUBROGATE": "대위변제",
}
PRICED_EVENTS = ("OPENING", "OPENING_ACCIDENT", "NEW", "EXTEND")  # need ratio and fee rate
TERM_EVENTS = ("NEW", "EXTEND")  # need term and maturity
OPENING_EVENTS = ("OPENING", "OPENING_ACCIDENT")

REPAYMENT_KINDS = {
    "LOAN_PRINCIPAL": "보증부대출 원금상환",
    "OPENING_RECOURSE": "이관 구상채권",
    "OPENING_SPECIAL": "이관 특수채권",
    "RECOVERY": "회수",
    "WRITE_OFF": "상각",
    "EXTINGUISH": "소각",
    "SALE": "매각",
    "WAIVER": "원금감면",
}
OPENING_CLAIM_KINDS = ("OPENING_RECOURSE", "OPENING_SPECIAL")  # claims opened at cut-over

CONTRIBUTION_ENTRY_TYPES = ("OPENING", "CONTRIBUTION", "LOSS")
CONTRIBUTOR_TYPES = ("CITY", "DISTRICT", "CENTRAL_GOV", "BANK_MANDATORY", "BANK_SPECIAL", "OTHER")
PLAN_CATEGORY = {
    "CITY": "인천시",
    "DISTRICT": "기초단체",
    "BANK_MANDATORY": "의무출연금",
    "BANK_SPECIAL": "기타",
    "CENTRAL_GOV": "기타",
    "OTHER": "기타",
}

GRADES = ("1", "2", "3", "4", "5", "6", "OTHER")
EMPLOYMENT_STATUSES = ("ACTIVE", "LEAVE")

# --- column and file specs -------------------------------------------------------------

TEXT, DATE, INTEGER, DECIMAL = "text", "date", "integer", "decimal"
DECIMAL_PLACES = 4  # "Decimals have at most 4 digits after the point": more is rejected, never rounded
PG_TYPES = {TEXT: "text", DATE: "date", INTEGER: "bigint", DECIMAL: f"numeric(9,{DECIMAL_PLACES})"}
SHOWN_VALUE_CHARS = 80  # a value in a rejection, log line or e-mail is cut to this many characters


@dataclass(frozen=True)
class Column:
    name: str
    type: str = TEXT
    required: bool = True
    codes: tuple[str, ...] | None = None  # allowed values
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    equals_delivery_date: bool = False
    unique: bool = False  # unique across all deliveries (or within the file, for headcount)
    check_digit: bool = False  # 사업자등록번호
    label_ko: str = ""
    identifier: bool = False  # an id: non-empty, no leading or trailing spaces, compared exactly
    # personal data (PII): its values stay in raw and staging; anywhere else (rejections, logs,
    # e-mails) they are masked, keeping this many leading characters. None: not personal.
    pii_keep: int | None = None

    @property
    def pii(self) -> bool:
        return self.pii_keep is not None


@dataclass(frozen=True)
class DerivedColumn:
    """A raw column the loader computes from a delivered one: not in the CSV, stored beside the row.

    customer_key is HMAC-SHA256(CGF_CUSTOMER_KEY_SECRET, business_reg_no) in hex, computed by the
    loader (include.ingest.customer_key) so the secret never reaches the database, a view or dbt.
    """
    name: str
    source: str  # the delivered column it is computed from
    pg_type: str = "text"


@dataclass(frozen=True)
class FileSpec:
    name: str  # file name in the delivery folder
    table: str  # raw table
    columns: tuple[Column, ...]
    has_amount: bool = True  # manifest amount_krw_sum is the sum of amount_krw
    unique_scope: str = "all_deliveries"  # or "file"
    # conditional requirements: column -> event types (value of `when_column`) that need it
    when_column: str | None = None
    required_when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    empty_when: dict[str, tuple[str, ...]] = field(default_factory=dict)  # must be empty for these kinds
    # rows of the cut-over state (OPENING types): allowed in the warehouse's first delivery only
    opening_column: str | None = None
    opening_codes: tuple[str, ...] = ()
    # the cut-over must carry at least one of them (a foundation's basic assets are never nil)
    required_at_cutover: bool = False
    derived: tuple[DerivedColumn, ...] = ()  # computed by the loader, after the contract columns

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @cached_property
    def when_index(self) -> int | None:
        return self.column_names.index(self.when_column) if self.when_column else None

    @cached_property
    def key(self) -> Column:
        return next(c for c in self.columns if c.unique)

    def column(self, name: str | None) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @cached_property
    def derived_sources(self) -> tuple[int, ...]:
        """Positions of the delivered columns the derived columns are computed from."""
        return tuple(self.column_names.index(d.source) for d in self.derived)


GUARANTEES = FileSpec(
    name="guarantees.csv",
    table="guarantees",
    columns=(
        Column("event_id", unique=True, identifier=True, label_ko="이벤트번호"),
        Column("event_date", DATE, equals_delivery_date=True, label_ko="발생일"),
        Column("event_type", codes=tuple(EVENT_TYPES), label_ko="이벤트유형"),
        Column("guarantee_id", identifier=True, label_ko="보증번호"),
        Column("branch_code", codes=GUARANTEE_UNITS, label_ko="취급부점"),
        Column("program_code", codes=tuple(PROGRAMS), label_ko="보증상품"),
        Column("customer_id", identifier=True, label_ko="고객번호"),
        Column("business_reg_no", check_digit=True, pii_keep=2, label_ko="사업자등록번호"),
        Column("customer_name", pii_keep=1, label_ko="상호·성명"),
        Column("bank_code", codes=tuple(BANKS), label_ko="대출은행"),
        Column("amount_krw", INTEGER, min=0, min_exclusive=True, label_ko="금액(원)"),
        Column("guarantee_ratio_pct", DECIMAL, required=False, min=50, max=100, label_ko="보증비율(%)"),
        Column("fee_rate_pct", DECIMAL, required=False, min=0.1, max=3.0, label_ko="보증료율(%)"),
        Column("term_months", INTEGER, required=False, min=1, max=120, label_ko="보증기간(월)"),
        Column("maturity_date", DATE, required=False, label_ko="만기일"),
    ),
    when_column="event_type",
    required_when={
        "guarantee_ratio_pct": PRICED_EVENTS,
        "fee_rate_pct": PRICED_EVENTS,
        "term_months": TERM_EVENTS,
        "maturity_date": TERM_EVENTS,
    },
    opening_column="event_type",
    opening_codes=OPENING_EVENTS,
    derived=(DerivedColumn("customer_key", source="business_reg_no"),),
)

REPAYMENTS = FileSpec(
    name="repayments.csv",
    table="repayments",
    columns=(
        Column("repayment_id", unique=True, identifier=True, label_ko="상환번호"),
        Column("repayment_date", DATE, equals_delivery_date=True, label_ko="상환일"),
        Column("kind", codes=tuple(REPAYMENT_KINDS), label_ko="구분"),
        Column("guarantee_id", identifier=True, label_ko="보증·채권번호"),
        Column("branch_code", codes=tuple(ORG_UNITS), label_ko="부점"),
        Column("amount_krw", INTEGER, min=0, min_exclusive=True, label_ko="금액(원)"),
    ),
    opening_column="kind",
    opening_codes=OPENING_CLAIM_KINDS,
)

CONTRIBUTIONS = FileSpec(
    name="contributions.csv",
    table="contributions",
    columns=(
        Column("contribution_id", unique=True, identifier=True, label_ko="출연번호"),
        Column("received_date", DATE, equals_delivery_date=True, label_ko="수납일"),
        Column("entry_type", codes=CONTRIBUTION_ENTRY_TYPES, label_ko="구분"),
        Column("contributor_code", label_ko="출연기관코드"),
        Column("contributor_name", label_ko="출연기관명"),
        Column("contributor_type", required=False, codes=CONTRIBUTOR_TYPES, label_ko="출연기관유형"),
        Column("program_code", required=False, codes=tuple(PROGRAMS), label_ko="특례보증"),
        Column("amount_krw", INTEGER, min=0, min_exclusive=True, label_ko="금액(원)"),
    ),
    when_column="entry_type",
    required_when={"contributor_type": ("OPENING", "CONTRIBUTION")},
    empty_when={"contributor_type": ("LOSS",)},
    opening_column="entry_type",
    opening_codes=("OPENING",),
    required_at_cutover=True,  # the OPENING entry of basic assets
)

HEADCOUNT = FileSpec(
    name="headcount.csv",
    table="headcount",
    columns=(
        Column("snapshot_date", DATE, equals_delivery_date=True, label_ko="기준일"),
        Column("employee_id", unique=True, identifier=True, label_ko="사번"),
        Column("org_unit_code", codes=tuple(ORG_UNITS), label_ko="소속"),
        Column("grade", codes=GRADES, label_ko="직급"),
        Column("employment_status", codes=EMPLOYMENT_STATUSES, label_ko="재직상태"),
    ),
    has_amount=False,
    unique_scope="file",
)

FILES: tuple[FileSpec, ...] = (GUARANTEES, REPAYMENTS, CONTRIBUTIONS, HEADCOUNT)
FILES_BY_NAME = {f.name: f for f in FILES}
DELIVERY_FILES = (*FILES_BY_NAME, MANIFEST_FILE)  # all a delivery folder holds; anything else is reported


def column_of(file: str, column: str | None) -> Column | None:
    spec = FILES_BY_NAME.get(file)
    return spec.column(column) if spec else None


def mask(value: str, keep: int) -> str:
    """A personal value as it may be shown outside raw and staging: 1248100998 → 12********.

    At least one character is always masked: a one-letter name is not shown whole.
    """
    keep = min(keep, max(len(value) - 1, 0))
    return value[:keep] + "*" * (len(value) - keep)


def cut(value: str, limit: int = SHOWN_VALUE_CHARS) -> str:
    """At most `limit` characters; a longer value ends in an ellipsis (cutting twice changes nothing)."""
    return value if len(value) <= limit else value[:limit - 1] + "…"


def shown_value(file: str, column: str | None, value: str | None) -> str | None:
    """A delivered value as rejections, logs and e-mails may carry it: a PII column's masked, any cut."""
    if value is None:
        return None
    col = column_of(file, column)
    if col is not None and col.pii:
        value = mask(value, col.pii_keep)
    return cut(value)

# lineage columns every raw table carries after the contract columns
LINEAGE_COLUMNS = (
    ("delivery_date", "date not null"),
    ("source_file", "text not null"),
    ("line_no", "integer not null"),
    ("load_id", "bigint not null"),
    ("loaded_at", "timestamptz not null default now()"),
)


@lru_cache(maxsize=65536)
def business_reg_no_is_valid(value: str) -> bool:
    """사업자등록번호 check digit (weights 1,3,7,1,3,7,1,3,5 plus ⌊d9·5/10⌋)."""
    if len(value) != 10 or not (value.isascii() and value.isdigit()):
        return False
    digits = [int(ch) for ch in value]
    weights = (1, 3, 7, 1, 3, 7, 1, 3, 5)
    total = sum(d * w for d, w in zip(digits, weights)) + (digits[8] * 5) // 10
    return digits[9] == (10 - total % 10) % 10


def raw_table_ddl(spec: FileSpec, schema: str = "raw") -> str:
    cols = [f"{c.name} {PG_TYPES[c.type]}" for c in spec.columns]
    cols += [f"{d.name} {d.pg_type}" for d in spec.derived]
    cols += [f"{name} {decl}" for name, decl in LINEAGE_COLUMNS]
    return f"create table if not exists {schema}.{spec.table} (\n  " + ",\n  ".join(cols) + "\n)"
