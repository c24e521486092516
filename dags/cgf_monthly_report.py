"""cgf_monthly_report — the council report of the year, written again each month from the marts."""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from include.alerts.notifier import OperatorAlertNotifier
from include.warehouse import settings

SEOUL = pendulum.timezone("Asia/Seoul")

DOC_MD = """
### cgf_monthly_report — 시의회 업무보고 (the council report, monthly)

On the 1st of every month at 07:00 (Asia/Seoul), after the night's load, **council_report** writes the
report of the year the past month belongs to (year-to-date; January writes the whole past year) into
`<CGF_HOME>/reports/<year>/` (`var/reports/<year>/`): `index.html` with its charts and font beside it, and
`council_report_<year>.pdf`. Its tables are those of the foundation's report to the city council —
기구 및 인원, 기본재산 현황 and 연도별 확충 실적, 출연금 확충 계획 대비 실적, 보증공급 현황, 보증공급 계획
대비 실적, 보증운용배수, 보증사고 및 회수 현황 — in the report's units (건, 백만원, %, 명), and its charts the
보증운용배수 over 24 months (levels from the mart, the forecast band when `marts.fct_operating_multiple_forecast`
exists) and supply by month and program. Every figure is read from the marts. When the marts stop before that
year (a warehouse whose deliveries ended earlier), it writes the latest year they hold.
`make report YEAR=2020` writes any year by hand.

A failure (after its retries) mails the operators (`CGF_OPS_ALERT_TO`); the next month writes the report again.
"""

default_args = {
    "owner": "전략기획부 data",
    "retries": 2,
    "retry_delay": timedelta(seconds=settings.retry_delay_seconds()),
    "on_failure_callback": OperatorAlertNotifier(),
    "execution_timeout": timedelta(minutes=20),
}


@dag(
    dag_id="cgf_monthly_report",
    schedule=CronTriggerTimetable("0 7 1 * *", timezone=SEOUL),
    start_date=pendulum.parse(settings.dag_start_date(), tz=SEOUL),
    catchup=False,  # one report of the latest month, not one per month since the start date
    max_active_runs=1,
    default_args=default_args,
    doc_md=DOC_MD,
    tags=["cgf", "monthly", "report"],
)
def cgf_monthly_report():
    @task
    def council_report(logical_date=None) -> str:
        """The report of the year of the month that has just ended (or the marts' latest year)."""
        from include.report import publish  # matplotlib and reportlab load in this task, not at every parse

        month_ended = pendulum.instance(logical_date).in_timezone(SEOUL).date() - timedelta(days=1)
        return str(publish.write_council_report(until=month_ended))

    council_report()


monthly_report_dag = cgf_monthly_report()
