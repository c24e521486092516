"""Who gets which alert: the one map from an alert's kind to the setting naming its recipients."""
from __future__ import annotations

from include.warehouse import settings

RISK, OPS = "RISK", "OPS"
RECIPIENT_SETTINGS = {  # alert kind → environment variable with comma-separated addresses
    RISK: "CGF_ALERT_TO",
    OPS: "CGF_OPS_ALERT_TO",
    "AUDIT-I": "CGF_AUDIT_GROUP1_TO",
    "AUDIT-II": "CGF_AUDIT_GROUP2_TO",
}


def audit_kind(audit_group: str) -> str:
    """The alert kind of an audit 20-6 group (reference.ref_audit_groups): AUDIT-I, AUDIT-II."""
    return f"AUDIT-{audit_group}"


def setting_of(kind: str) -> str | None:
    return RECIPIENT_SETTINGS.get(kind)


def recipients_of(kind: str) -> list[str]:
    setting = setting_of(kind)
    return settings.recipients(setting) if setting else []
