"""Documents archived before 0008 are kept for their archival term: retain_until moves to its end when later.

Archiving now extends retain_until (app.archive); rows archived earlier still carry the business period and
would be proposed for disposal, archive copy and all, before the archive's D10/D30 term ends. The term and
年度 are read from the 档号 (…·2026-D10-…): the term ends on 31 December of 年度 + 10 or + 30; Y never ends.
"""

import datetime as dt
import re

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CLASS = re.compile(r"·(\d{4})-(Y|D30|D10)-")
_YEARS = {"D30": 30, "D10": 10}


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, archive_code, retain_until FROM issued_documents "
            "WHERE archive_code IS NOT NULL AND retain_until IS NOT NULL"
        )
    ).all()
    for row_id, code, until in rows:
        m = _CLASS.search(code)
        if m is None:
            continue
        year, term = int(m.group(1)), m.group(2)
        kept = None if term == "Y" else dt.date(year + _YEARS[term], 12, 31)
        current = until if isinstance(until, dt.date) else dt.date.fromisoformat(str(until))
        if kept is None or kept > current:
            bind.execute(
                sa.text("UPDATE issued_documents SET retain_until = :kept WHERE id = :id"), {"kept": kept, "id": row_id}
            )


def downgrade() -> None:
    pass  # the business period is not kept apart; an archive's longer term is the safe side to stay on
