"""Composing the alert e-mails (Korean, with English subtitles): text and HTML parts, inline chart.

Every message is multipart/alternative (text/plain, then multipart/related: text/html with
its inline PNG), so any mail client shows either the plain text or the full HTML.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from include.alerts.multiple_states import BREACH, LEGAL, OK, PROJECTED, WARN, Day, Transition
from include.ingest.contract import FILES_BY_NAME
from include.ingest.rejections import Rejection
from include.ingest.validation import Violation
from include.warehouse import settings


def state_title(status: str, day: Day) -> tuple[str, str]:
    """(Korean, English) headline of a state, with the level the mart used that day."""
    warn, policy, legal = (f"{float(level):g}" for level in (day.warn_level, day.policy_limit, day.legal_limit))
    return {
        OK: ("보증운용배수 정상 복귀 (OK)", f"Operating multiple back below the warn level ({warn}×)"),
        WARN: (f"보증운용배수 경고 수준 {warn}배 도달 (WARN)",
               f"Operating multiple at or above the warn level ({warn}×)"),
        PROJECTED: (f"보증운용배수 {policy}배 초과 예상 (PROJECTED)",
                    f"Operating multiple projected above the policy limit ({policy}×)"),
        BREACH: (f"보증운용배수 {policy}배 초과 (BREACH)", f"Operating multiple above the policy limit ({policy}×)"),
        LEGAL: (f"보증운용배수 법정한도 {legal}배 초과 (LEGAL)",
                f"Operating multiple above the legal limit ({legal}×, 지역신용보증재단법 §19)"),
    }[status]


LEVEL_NAMES = {"warn": "경고", "policy": "정책한도", "legal": "법정한도"}  # the three levels, in the mail and the chart


STATE_COLORS = {OK: "#2e7d32", WARN: "#b7791f", PROJECTED: "#d9534f", BREACH: "#c62828", LEGAL: "#7b1e1e"}
# PROJECTED is the alert's own state (include.alerts.multiple_states), not a status of the mart's
OWN_LABELS = {PROJECTED: "운용한도 초과 예상"}
CHART_CID = "multiple-chart"


@dataclass(frozen=True)
class Section:
    """A labelled block of lines, rendered to both the text and the HTML part."""
    title: str
    rows: list[tuple[str, str]]


def named(name: str | None, code: str | None) -> str:
    """A code as people read it: its name or label from the marts, the code in parentheses (alone if unnamed)."""
    return f"{name} ({code})" if name else (code or "-")


def million_won(krw: int) -> str:
    return f"{round(krw / 1_000_000):,}백만원 (KRW {round(krw / 1_000_000):,} million)"


def _millions(krw: int) -> tuple[str, str]:
    amount = f"{round(krw / 1_000_000):,}"
    return f"{amount}백만원", f"KRW {amount} million"


def _message(subject: str, to: list[str], text: str, html_body: str, images: dict[str, bytes] | None = None,
             message_key: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.alert_sender()
    if to:
        message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(idstring=message_key, domain="cgf-warehouse")
    message.set_content(text)
    message.add_alternative(html_body, subtype="html")
    html_part = message.get_payload()[1]
    for cid, png in (images or {}).items():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid}.png")
    return message


def _text(headline: str, subtitle: str, sections: list[Section], footer: str = "") -> str:
    lines = [headline, subtitle, ""]
    for section in sections:
        lines.append(f"■ {section.title}")
        lines += [f"  {label}: {value}" for label, value in section.rows]
        lines.append("")
    if footer:
        lines.append(footer)
    return "\n".join(lines) + "\n"


def _html(headline: str, subtitle: str, sections: list[Section], color: str = "#1f4e79",
          chart_cid: str | None = None, footer: str = "") -> str:
    parts = [
        '<html><head><meta charset="utf-8"></head><body style="font-family: \'Malgun Gothic\', '
        '\'Apple SD Gothic Neo\', \'NanumGothic\', \'Noto Sans KR\', \'Noto Sans CJK KR\', sans-serif; '
        'color: #222; max-width: 900px;">',
        f'<h2 style="color: {color}; margin-bottom: 0;">{html.escape(headline)}</h2>',
        f'<p style="color: #666; margin-top: 4px;">{html.escape(subtitle)}</p>',
    ]
    for section in sections:
        parts.append(f'<h3 style="margin-bottom: 4px;">{html.escape(section.title)}</h3>')
        parts.append('<table style="border-collapse: collapse; font-size: 14px;">')
        for label, value in section.rows:
            parts.append(f'<tr><th style="text-align: left; padding: 3px 14px 3px 0; color: #555; '
                         f'font-weight: normal;">{html.escape(label)}</th>'
                         f'<td style="padding: 3px 0;">{html.escape(value)}</td></tr>')
        parts.append("</table>")
    if chart_cid:
        parts.append(f'<p><img src="cid:{chart_cid}" alt="operating multiple chart" width="880" '
                     f'style="max-width: 100%;"></p>')
    if footer:
        parts.append(f'<p style="color: #666; font-size: 12px;">{html.escape(footer)}</p>')
    parts.append("</body></html>")
    return "\n".join(parts)


# --- risk alert: 보증운용배수 ------------------------------------------------------------------

def headroom_line(day: Day) -> tuple[str, str]:
    """The mart's headroom_krw: what can still be guaranteed, or must come off, at the policy limit."""
    korean, english = _millions(abs(day.headroom_krw))
    policy = f"{float(day.policy_limit):g}"
    if day.headroom_krw >= 0:
        return ("추가 보증 여력 / Headroom before the policy limit",
                f"{korean} 추가 보증 가능 ({english} can still be guaranteed before {policy}×)")
    return ("감축 필요액 / Reduction needed",
            f"보증잔액 {korean} 감축 필요 ({english} must come off to return within {policy}×)")


def risk_subject(transition: Transition) -> str:
    korean, _ = state_title(transition.status, transition.day)
    since = f"{transition.first_date:%Y-%m-%d}부터 (since {transition.first_date:%Y-%m-%d})"
    if transition.status == PROJECTED:
        projected = transition.day.projected_date
        return f"[CGF] {korean} — {projected:%Y-%m-%d} 초과 예상 (projected), {since}"
    return f"[CGF] {korean} — {since}"


def projection_section(day: Day) -> Section:
    """What a PROJECTED alert is about: when the forecast crosses the policy limit, and the capital needed."""
    rows = [("초과 예상일 / Projected first date above the policy limit", f"{day.projected_date:%Y-%m-%d}"),
            ("전망 기준일 / Forecast as of", f"{day.projection_as_of:%Y-%m-%d} (기준 전망 중앙값 / BASELINE, central)")]
    if day.assets_needed_krw is not None and day.year_end_date is not None:
        rows.append((f"필요 기본재산 / Basic assets to add by {day.year_end_date:%Y-%m-%d}",
                     f"{million_won(day.assets_needed_krw)} — 연말 운용한도 이내 (to end the year within it)"))
    return Section("전망 / Projection", rows)


def levels_section(day: Day, covered: tuple[date, date]) -> Section:
    warn, policy, legal = (f"{float(level):g}" for level in (day.warn_level, day.policy_limit, day.legal_limit))
    return Section("기준 / Levels", [
        (f"{LEVEL_NAMES['warn']} / Warn", f"{warn}배 이상 (≥ {warn}×)"),
        (f"{LEVEL_NAMES['policy']} / Policy limit", f"{policy}배 초과 (> {policy}×)"),
        (f"{LEVEL_NAMES['legal']} / Legal limit", f"{legal}배 초과 (> {legal}×, 지역신용보증재단법 §19)"),
        ("이번 적재 기간 / Days loaded in this run", f"{covered[0]:%Y-%m-%d} – {covered[1]:%Y-%m-%d}"),
    ])


def risk_alert(transition: Transition, latest: Day, chart_png: bytes, covered: tuple[date, date],
               to: list[str], status_labels: dict[str, str] | None = None) -> EmailMessage:
    """The e-mail of one change of state of the operating multiple (state and levels from the mart).

    status_labels: the mart's Korean label of each status (status_ko), shown before the code.
    """
    korean, english = state_title(transition.status, transition.day)
    reached = transition.day
    labels = {**OWN_LABELS, **(status_labels or {})}
    sections = [
        Section("상태 / State", [
            ("상태 / State", f"{named(labels.get(transition.status), transition.status)} — "
                             f"이전 / previous: {named(labels.get(transition.previous), transition.previous)}"),
            ("최초 도달일 / First date reached", f"{reached.as_of_date:%Y-%m-%d}"),
            ("도달일 배수 / Multiple on that date", f"{float(reached.operating_multiple):.4f}배 (×)"),
            *_confirmed_row(transition),
        ]),
        *([projection_section(reached)] if transition.status == PROJECTED else []),
        Section(f"최근 현황 / Latest ({latest.as_of_date:%Y-%m-%d})", [
            ("상태 / State", named(labels.get(latest.status), latest.status)),
            ("보증운용배수 / Operating multiple", f"{float(latest.operating_multiple):.4f}배 (×)"),
            ("보증잔액 / Guarantee balance", million_won(latest.guarantee_balance_krw)),
            ("기본재산 / Basic assets", million_won(latest.basic_assets_krw)),
            headroom_line(latest),
        ]),
        levels_section(latest, covered),
    ]
    footer = ("보증운용배수 = 보증잔액 ÷ 기본재산 (guarantee balance ÷ basic assets). "
              "select * from marts.fct_operating_multiple_daily order by as_of_date desc;")
    text = _text(korean, english, sections, footer + "\n(차트는 HTML 본문에 있습니다 / the chart is in the HTML part)")
    body = _html(korean, english, sections, STATE_COLORS[transition.status], CHART_CID, footer)
    key = f"multiple-{transition.status}-{transition.first_date:%Y%m%d}"
    return _message(risk_subject(transition), to, text, body, {CHART_CID: chart_png}, key)


def _confirmed_row(transition: Transition) -> list[tuple[str, str]]:
    """A step down is mailed once the lower state has held K days: the day that made it so."""
    if transition.confirmed is None:
        return []
    held = (transition.confirmed - transition.first_date).days + 1
    return [("확인일 / Confirmed on", f"{transition.confirmed:%Y-%m-%d} ({held}일 연속 유지 / held {held} days)")]


# --- operator alerts -------------------------------------------------------------------------

def column_label(file: str, column: str | None) -> str:
    """A column of the extract contract as the operators read it: 사업자등록번호 (business_reg_no)."""
    spec = FILES_BY_NAME.get(file)
    label = next((c.label_ko for c in spec.columns if c.name == column), "") if spec else ""
    return f"{label} ({column})" if label else (column or "-")


def rejection_alert(rejection: Rejection, violations: list[Violation], to: list[str]) -> EmailMessage:
    """A rejected delivery: its first violations (file, line, column, value, reason), where the rest is."""
    delivery_date, violation_count = rejection.delivery_date, rejection.violation_count
    day = f"{delivery_date:%Y%m%d}"
    files = sorted({v.file for v in violations})
    subject = f"[CGF] 적재 거부 (delivery rejected): {day} — {', '.join(files)}, 위반 {violation_count}건"
    # a Violation's value is masked when personal (12********) and cut when long: PII stays in raw and staging
    rows = [(f"{v.file} line {v.line}" if v.line else v.file,
             f"{column_label(v.file, v.column)}" + (f" = {v.value!r}" if v.value is not None else "") + f": {v.reason}")
            for v in violations]
    sections = [
        Section("거부된 적재 / Rejected delivery", [
            ("적재일 / Delivery", f"{day} ({settings.landing_dir() / day})"),
            ("파일 / File(s)", ", ".join(files)),
            ("위반 건수 / Violations", f"{violation_count}"),
            ("영향 / Effect", "이 적재분은 적재되지 않았고 이후 적재분은 재전송을 기다립니다 "
                              "(nothing of it was loaded; later deliveries wait until it is re-sent)"),
        ]),
        Section(f"첫 위반 {len(rows)}건 / First violations", rows),
        Section("전체 목록 / Full list", [
            ("SQL", f"select * from ops.rejections where delivery_date = '{delivery_date}' order by rejection_id;"),
            ("개인정보 / Personal data", "상호·사업자등록번호 값은 가려져 있습니다 (names and business numbers are "
                                         "masked; the delivered files hold them)"),
        ]),
    ]
    headline, subtitle = f"적재 거부: {day} 적재분", f"Delivery {day} rejected by the extract contract"
    return _message(subject, to, _text(headline, subtitle, sections), _html(headline, subtitle, sections, "#c62828"),
                    message_key=f"rejected-{day}")


def missing_delivery_alert(delivery_date: date, waited: str, to: list[str]) -> EmailMessage:
    day = f"{delivery_date:%Y%m%d}"
    subject = f"[CGF] 적재분 미도착 (delivery missing): {day}"
    sections = [Section("미도착 / Missing delivery", [
        ("적재일 / Delivery", day),
        ("기다린 시간 / Waited", waited),
        ("위치 / Expected at", str(settings.landing_dir() / day / "manifest.csv")),
        ("조치 / Action", "기간계 추출 작업을 확인하세요 (check the core system's extract job); "
                          "도착하면 다음 실행이 적재합니다 (the next run loads it once it arrives)"),
    ])]
    headline, subtitle = f"적재분 미도착: {day}", f"Delivery {day} missing past the sensor's timeout"
    return _message(subject, to, _text(headline, subtitle, sections), _html(headline, subtitle, sections, "#c62828"),
                    message_key=f"missing-{day}")


def unexpected_files_alert(delivery_date: date, names: list[str], to: list[str]) -> EmailMessage:
    """Files in a delivery folder that the contract does not name: reported, not loaded."""
    day = f"{delivery_date:%Y%m%d}"
    subject = f"[CGF] 계약 외 파일 (files not in the contract): {day} — {len(names)}개"
    sections = [
        Section("계약 외 파일 / Files not in the contract", [
            ("적재일 / Delivery", f"{day} ({settings.landing_dir() / day})"),
            ("파일 / File(s)", ", ".join(names)),
            ("영향 / Effect", "이 파일들은 적재되지 않았고 적재분의 나머지는 정상 처리됩니다 (these files were not "
                              "loaded; the rest of the delivery was processed as usual)"),
            ("조치 / Action", "기간계 추출 작업이 왜 이 파일을 두었는지 확인하세요 (ask why the core system's extract "
                              "job left them there)"),
            ("SQL", f"select * from ops.unexpected_files where delivery_date = '{delivery_date}';"),
        ]),
    ]
    headline, subtitle = f"계약 외 파일: {day} 적재분", f"Delivery {day} holds files the extract contract does not name"
    return _message(subject, to, _text(headline, subtitle, sections), _html(headline, subtitle, sections, "#b7791f"),
                    message_key=f"unexpected-{day}")


def task_failure_alert(dag_id: str, task_id: str, run_id: str, try_number: int, error: str,
                       log_url: str | None, to: list[str]) -> EmailMessage:
    subject = f"[CGF] 작업 실패 (task failed): {dag_id}.{task_id}"
    rows = [("DAG", dag_id), ("작업 / Task", task_id), ("실행 / Run", run_id), ("시도 / Try", str(try_number)),
            ("오류 / Error", error[:2000])]
    if log_url:
        rows.append(("로그 / Log", log_url))
    sections = [Section("실패한 작업 / Failed task", rows)]
    headline, subtitle = f"작업 실패: {task_id}", f"Task {dag_id}.{task_id} failed after its retries"
    return _message(subject, to, _text(headline, subtitle, sections), _html(headline, subtitle, sections, "#c62828"),
                    message_key=f"failed-{task_id}")


def quality_alert(run_id: str, data_date: date, failures: list[dict], docs_index: str, to: list[str]) -> EmailMessage:
    """Failed quality suites: the failed expectations and where the Data Docs are."""
    suites = sorted({f["suite"] for f in failures})
    subject = f"[CGF] 품질 검사 실패 (quality suite failed): {', '.join(suites)} — {data_date:%Y-%m-%d}"
    rows = [(f"{f['suite']}: {f['expectation']}", f"{f['description'] or ''} observed: {f['observed']}".strip())
            for f in failures[:20]]
    sections = [
        Section("실패한 검사 / Failed expectations", rows),
        Section("자세히 / Details", [
            ("Data Docs", docs_index),
            ("SQL", f"select * from ops.validation_results where run_id = '{run_id}' and not success;"),
            ("영향 / Effect", "마트는 게시되었습니다 (the marts are published); 원인을 확인하세요 (check the cause)"),
        ]),
    ]
    headline, subtitle = f"품질 검사 실패: {len(failures)}건", "Great Expectations suites failed in the nightly run"
    return _message(subject, to, _text(headline, subtitle, sections), _html(headline, subtitle, sections, "#b7791f"),
                    message_key=f"quality-{data_date:%Y%m%d}")


# --- audit follow-up 20-6 ----------------------------------------------------------------------

def won_label(krw: int) -> str:
    """A threshold as Korean reports write it: 30,000,000 → 3천만원, 100,000,000 → 1억원."""
    eok, rest = divmod(krw, 100_000_000)
    man = rest // 10_000
    parts = [f"{eok:,}억" if eok else ""]
    if man:
        parts.append(f"{man // 1000}천만" if man % 1000 == 0 else f"{man:,}만")
    if rest % 10_000:
        return f"{krw:,}원"
    return "".join(parts) + "원"


def _branch(row: dict) -> str:
    handling = named(row["handling_branch_name"], row["handling_branch_code"])
    if row["owning_branch_code"] in (None, row["handling_branch_code"]):
        return handling
    return f"{handling}, 관리 {named(row['owning_branch_name'], row['owning_branch_code'])}"


def audit_alert(day: date, rows: list[dict], to: list[str]) -> EmailMessage:
    """One audit group's guarantees of the day over the review threshold; the pre-audit ones marked.

    Group names, reviewer, thresholds and the names of branch, program and bank come with the rows
    (the marts read them from reference data); the rows carry no customer data.
    """
    first = rows[0]
    group = first["audit_group"]
    threshold_krw, pre_audit_krw = first["review_threshold_krw"], first["pre_audit_threshold_krw"]
    korean_group, english_group = first["audit_group_name_ko"], first["audit_group_name_en"]
    reviewer = f"{first['reviewer_ko']} ({first['reviewer_en']})"
    pre_audit = [r for r in rows if r["pre_audit_required"]]
    subject = (f"[CGF 감사 20-6] {day:%Y-%m-%d} {korean_group} — {won_label(threshold_krw)} 초과 보증 {len(rows)}건"
               f" (사전감사 {len(pre_audit)}건)")
    listed = [(("[사전감사] " if r["pre_audit_required"] else "") + _branch(r),
               f"{named(r['event_type_ko'], r['event_type'])} {r['guarantee_id']} ({r['event_id']}): "
               f"{r['amount_krw']:,}원, "
               f"{named(r['program_name'], r['program_code'])}, {named(r['bank_name'], r['bank_code'])}")
              for r in rows]
    sections = [
        Section("요약 / Summary", [
            ("일자 / Day", f"{day:%Y-%m-%d}"),
            ("감사 그룹 / Audit group", f"{korean_group} ({english_group})"),
            ("검토자 / Reviewer", reviewer),
            ("대상 / Guarantees", f"{won_label(threshold_krw)} 초과 {len(rows)}건 (issued over KRW {threshold_krw:,})"),
            ("사전감사 / Pre-audit",
             f"{won_label(pre_audit_krw)} 초과 {len(pre_audit)}건 (over KRW {pre_audit_krw:,})"),
        ]),
        Section("보증 목록 / Guarantees (취급부점 / branch: 구분 보증번호 (이벤트): 금액, 보증상품, 대출은행)", listed),
        Section("조회 / Query", [("SQL", "select * from marts.fct_audit_large_guarantees_daily "
                                         f"where as_of_date = '{day}' and audit_group = '{group}';")]),
    ]
    headline = f"지점별 감사 20-6: {korean_group}, {day:%Y-%m-%d}"
    subtitle = f"Audit follow-up 20-6: guarantees over KRW {threshold_krw:,}, {english_group}"
    return _message(subject, to, _text(headline, subtitle, sections), _html(headline, subtitle, sections),
                    message_key=f"audit-{group}-{day:%Y%m%d}")
