"""Customers: Korean business and owner names, 사업자등록번호 with check digit, the customer book."""
from __future__ import annotations

import random
from dataclasses import dataclass

SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민"
    "진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제탁국어은용"
)
GIVEN_SYLLABLES = "민서준지현우영수진호성은경재희정훈혜승연동윤상태선미나아주원하도유예철광석대보명숙순옥자환빈규"
BUSINESS_STEMS = (
    "한빛", "새롬", "푸른", "대한", "인천", "송도", "부평", "해오름", "다온", "미래", "행복", "우리", "늘푸른",
    "소래", "월미", "계양", "청라", "주안", "구월", "만수", "논현", "연수", "강화", "영종", "동춘", "가온",
    "누리", "한결", "온누리", "으뜸", "제일", "신흥", "동양", "삼화", "보람", "봄날", "바다", "하늘",
)
BUSINESS_KINDS = (
    "식당", "상사", "마트", "카페", "베이커리", "정육점", "미용실", "공업사", "인쇄", "전자", "철물", "약국",
    "치킨", "분식", "떡집", "꽃집", "세탁소", "부동산", "문구", "철강", "기계", "산업", "물산", "상회", "수산",
    "반찬", "안경", "한의원", "학원", "정비", "유통", "건설", "디자인", "식품", "테크",
)
OUTLET_SUFFIXES = ("본점", "2호점", "부평점", "구월점", "송도점", "청라점")
TAX_OFFICES = ("121", "122", "131", "137", "139", "143")
# national-scale landing areas (millions of customers): more tax offices, so the numbers stay unique
WIDE_TAX_OFFICES = TAX_OFFICES + tuple(str(code) for code in range(101, 300) if str(code) not in TAX_OFFICES)
CORPORATE_CODES = ("81", "86", "87", "88")


@dataclass(frozen=True)
class Customer:
    customer_id: str
    business_reg_no: str
    name: str


def person_name(rng: random.Random) -> str:
    below = rng._randbelow  # seq[below(len(seq))] is rng.choice(seq), without its checks
    return (SURNAMES[below(len(SURNAMES))] + GIVEN_SYLLABLES[below(len(GIVEN_SYLLABLES))]
            + GIVEN_SYLLABLES[below(len(GIVEN_SYLLABLES))])


def business_name(rng: random.Random) -> str:
    below = rng._randbelow
    return BUSINESS_STEMS[below(len(BUSINESS_STEMS))] + BUSINESS_KINDS[below(len(BUSINESS_KINDS))]


def customer_name(rng: random.Random, corporate: bool) -> str:
    """A Korean business or owner name; a few carry commas, double quotes or a line break."""
    if corporate:
        return rng.choice(("(주)", "주식회사 ")) + business_name(rng)
    roll = rng.random()
    if roll < 0.0006:
        return f"{business_name(rng)}\n({rng.choice(OUTLET_SUFFIXES)})"
    if roll < 0.008:
        return f'{rng.choice(BUSINESS_KINDS)} "{rng.choice(BUSINESS_STEMS)}"'
    if roll < 0.02:
        return f"{person_name(rng)}, {person_name(rng)} 공동대표"
    if roll < 0.42:
        return person_name(rng)
    if roll < 0.9:
        return business_name(rng)
    return f"{business_name(rng)} {rng.choice(OUTLET_SUFFIXES)}"


CHECK_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def with_check_digit(first_nine: str) -> str:
    """The 10-digit 사업자등록번호 ending in the check digit that contract.business_reg_no_is_valid
    accepts (S = Σ dᵢ·wᵢ + ⌊d9·5/10⌋, check digit (10 − S mod 10) mod 10)."""
    d = [ord(ch) - 48 for ch in first_nine]
    total = (d[0] + 3 * d[1] + 7 * d[2] + d[3] + 3 * d[4] + 7 * d[5] + d[6] + 3 * d[7] + 5 * d[8]
             + d[8] * 5 // 10)  # the weights CHECK_WEIGHTS
    return first_nine + str((10 - total % 10) % 10)


class CustomerBook:
    """Customers with stable ids, names and unique 사업자등록번호."""

    REUSE_SHARE = 0.12  # new guarantees for customers who already have one

    def __init__(self, wide: bool = False) -> None:
        self.customers: list[Customer] = []
        self._reg_nos: set[str] = set()
        self._offices = WIDE_TAX_OFFICES if wide else TAX_OFFICES

    def create(self, rng: random.Random) -> Customer:
        corporate = rng.random() < 0.1
        customer = Customer(f"K{len(self.customers) + 1:08d}", self._new_reg_no(rng, corporate),
                            customer_name(rng, corporate))
        self.customers.append(customer)
        return customer

    def for_new_guarantee(self, rng: random.Random) -> Customer:
        if self.customers and rng.random() < self.REUSE_SHARE:
            return self.customers[rng.randrange(len(self.customers))]
        return self.create(rng)

    def _new_reg_no(self, rng: random.Random, corporate: bool) -> str:
        below, offices = rng._randbelow, self._offices  # 1 + below(n) is rng.randint(1, n)
        while True:
            kind = CORPORATE_CODES[below(len(CORPORATE_CODES))] if corporate else f"{1 + below(79):02d}"
            reg_no = with_check_digit(f"{offices[below(len(offices))]}{kind}{1 + below(9999):04d}")
            if reg_no not in self._reg_nos:
                self._reg_nos.add(reg_no)
                return reg_no
