"""mask the personal data that rejections stored by releases before bed2e8e still hold

Revision ID: 0002
Revises: 0001

Releases before bed2e8e wrote a rejected value as delivered: a 사업자등록번호 or 상호 whole in
ops.rejections.value, a row of wrong length or a header that was a data row joined whole (column
null), and the first violations as text in ops.deliveries.message. Personal data stays in raw and
staging: this revision masks them as the loader masks them today (12********, 한*****), withholds
the joined rows of guarantees.csv (the only file with personal columns), cuts every value to 80
characters and writes the messages again from the masked rejections. Values masked already are
unchanged (masking is idempotent), so a warehouse of any release can run it.

The personal columns, their kept characters and the message format are frozen here as they were
when this revision was written (include.ingest.contract, include.ingest.validation.Violation).
"""
from __future__ import annotations

from include.warehouse import migrations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PERSONAL = {("guarantees.csv", "business_reg_no"): 2, ("guarantees.csv", "customer_name"): 1}
FILES_WITH_PERSONAL_COLUMNS = ("guarantees.csv",)
SHOWN_VALUE_CHARS = 80
SHOWN_VIOLATIONS = 5


def masked(value: str, keep: int) -> str:
    keep = min(keep, max(len(value) - 1, 0))
    return value[:keep] + "*" * (len(value) - keep)


def cut(value: str) -> str:
    return value if len(value) <= SHOWN_VALUE_CHARS else value[:SHOWN_VALUE_CHARS - 1] + "…"


def shown(file: str, column: str | None, value: str | None) -> str | None:
    if value is None:
        return None
    if column is None and file in FILES_WITH_PERSONAL_COLUMNS:
        return None  # a whole row or header of the file: it may hold anyone's name and number
    keep = PERSONAL.get((file, column))
    return cut(masked(value, keep) if keep is not None else value)


def violation_text(file: str, line: int | None, column: str | None, value: str | None, reason: str) -> str:
    where = file + (f":{line}" if line else "")
    shown_column = f" [{column}={value!r}]" if column else ""
    return f"{where}{shown_column} {reason}"


def upgrade() -> None:
    conn = migrations.connection()
    rows = conn.execute("select rejection_id, file_name, column_name, value from ops.rejections "
                        "where value is not null").fetchall()
    changed = [(shown(file, column, value), rejection_id) for rejection_id, file, column, value in rows
               if shown(file, column, value) != value]
    if changed:
        with conn.cursor() as cur:
            cur.executemany("update ops.rejections set value = %s where rejection_id = %s", changed)
    for (load_id,) in conn.execute("select load_id from ops.deliveries where status = 'REJECTED' "
                                   "and exists (select 1 from ops.rejections r where r.load_id = "
                                   "ops.deliveries.load_id)").fetchall():
        first = conn.execute("select file_name, line_no, column_name, value, reason from ops.rejections "
                             "where load_id = %s order by rejection_id limit %s",
                             (load_id, SHOWN_VIOLATIONS)).fetchall()
        conn.execute("update ops.deliveries set message = %s where load_id = %s",
                     ("; ".join(violation_text(*v) for v in first), load_id))


def downgrade() -> None:
    raise NotImplementedError("masked values cannot be unmasked: the delivered files hold them")
