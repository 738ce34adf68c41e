"""Settings, read only by entry points (web, CLI, batch); lower code receives plain values."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]


class LateFeeSettings(BaseModel):
    """滞纳金 rule of a project: daily rate, first day counted, optional cap (× the outstanding amount)."""

    model_config = ConfigDict(extra="forbid")

    daily_rate: Decimal = Decimal("0.0003")  # 0.03 % a day as printed on the 海亮 notices; 3‰ is "0.003"
    start: Literal["next-month", "next-day"] = "next-month"
    cap: Decimal | None = None


class Project(BaseModel):
    """A managed estate (管理处/小区): its code in numbers, printed names and optional seal image."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    company: str
    seal_image: str | None = None
    # printed on the 催款通知书: where to pay and whom to call
    finance_phone: str = ""
    finance_fax: str = ""
    bank: str = ""
    account_no: str = ""
    late_fee: LateFeeSettings = LateFeeSettings()
    reminder_interval_days: int = 30  # a reminder escalates once the last one is this many days old


class Settings(BaseSettings):
    """Every environment variable DocDesk reads, all prefixed DOCDESK_."""

    model_config = SettingsConfigDict(env_prefix="DOCDESK_")

    database_url: str = f"sqlite:///{ROOT / 'output' / 'docdesk.db'}"
    output_dir: Path = ROOT / "output"
    forms_dir: Path = ROOT / "forms"
    templates_dir: Path = ROOT / "templates"
    projects_file: Path = ROOT / "projects.toml"
    # the address printed in QR codes; empty: http://HOST:PORT of this service
    base_url: str = ""
    default_project: str = "HL"
    # how retain_until is counted: "issue" (from the issue date) or "next-year" (from 1 January after)
    retention_rule: str = "issue"
    long_term_years: int = 30
    # archiving (DA/T 22-2015 档号 全宗号-门类代码·年度-保管期限-机构代码-件号): the fonds (全宗号, 4 characters)
    # and the category (门类代码, WS = 文书); the 机构(问题)代码 is the project code
    archive_fonds: str = "Z001"
    archive_category: str = "WS"
    # worker processes that render Word files beside the PDF (0: render them in the issuing process)
    docx_workers: int = 1
    # Redis for Celery: when set, batch chunks go to Celery workers (celery -A app.batch.tasks worker) on any
    # machine sharing the database and the output folder; empty: worker processes on this machine
    redis_url: str = ""
    # processes rendering a batch (催款通知书 from a ledger); 0: one per core
    batch_workers: int = 0
    # the first administrator's password on first start (empty: a random one, printed once)
    admin_password: str = ""
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def public_url(self) -> str:
        return self.base_url or f"http://{self.host}:{self.port}"

    def load_projects(self) -> dict[str, Project]:
        raw = tomllib.loads(self.projects_file.read_text(encoding="utf-8"))
        projects = {}
        for item in raw.get("projects", []):
            p = Project.model_validate(item)
            if p.seal_image and not Path(p.seal_image).is_absolute():
                p = p.model_copy(update={"seal_image": str(self.projects_file.parent / p.seal_image)})
            projects[p.code] = p
        if self.default_project not in projects:
            raise ValueError(f"{self.projects_file}: 默认项目 {self.default_project} 未定义")
        return projects
