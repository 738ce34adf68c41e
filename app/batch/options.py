"""Batch options from a project's configuration (called by entry points, which read the settings)."""

from __future__ import annotations

import datetime as dt

from app.batch.arrears import LateFeeRule
from app.batch.run import ArrearsOptions
from app.config import Project


def arrears_options(
    project: Project,
    batch_date: dt.date,
    *,
    interval_days: int | None = None,
    issued_by: str = "batch",
    workers: int = 0,
) -> ArrearsOptions:
    return ArrearsOptions(
        project=project.code,
        project_name=project.name,
        batch_date=batch_date,
        rule=LateFeeRule(project.late_fee.daily_rate, project.late_fee.start, project.late_fee.cap),
        interval_days=project.reminder_interval_days if interval_days is None else interval_days,
        contact={
            "phone": project.finance_phone,
            "fax": project.finance_fax,
            "bank": project.bank,
            "account_no": project.account_no,
        },
        issued_by=issued_by,
        workers=workers,
    )
