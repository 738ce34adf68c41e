"""Batch options from a project's configuration (called by entry points, which read the settings)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

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
    chunk_size: int = 50,
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
        chunk_size=max(1, chunk_size),
    )


def options_factory(
    projects: dict[str, Project], default_project: str, workers: int
) -> Callable[[str | None, dt.date], ArrearsOptions]:
    """What a BatchService needs to turn (project code, batch date) into options; unknown codes refused."""

    def options_for(code: str | None, batch_date: dt.date) -> ArrearsOptions:
        from app.batch.service import BatchRefused

        code = code or default_project
        if code not in projects:
            raise BatchRefused(f"没有代码为“{code}”的项目，可选：{'、'.join(projects)}")
        return arrears_options(projects[code], batch_date, workers=workers, issued_by="web")

    return options_for
