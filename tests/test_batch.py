"""Batch arrears notices: ledger import, late fees, escalation over three dates, idempotency, outputs, crashes."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from collections import Counter
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.batch.arrears import LateFeeRule, Notice, decide
from app.batch.ledger import Ledger, LedgerError, read_ledger, write_template
from app.batch.run import ArrearsOptions, plan_arrears, run_arrears
from app.index.models import IssuedDocument, NumberReservation
from app.issue import Desk
from bench.ledger import make_ledger
from tests.conftest import pdf_pages, pdf_text, squash

CONTACT = {"phone": "0571-87651234", "bank": "中国工商银行杭州城西支行", "account_no": "3301 0400 0123 4567 890"}


def options(day: dt.date, **kw: object) -> ArrearsOptions:
    return ArrearsOptions(project="HL", project_name="海亮·锦华花园", batch_date=day, contact=CONTACT, **kw)  # type: ignore[arg-type]


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


def die_after(n: int) -> Callable[[int, int], None]:
    def progress(done: int, total: int) -> None:
        if done >= n:
            raise Killed

    return progress


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---- ledger ----


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(LedgerError, match="应缴金额") as exc:
        read_ledger(xlsx([["项目", "楼栋", "单元", "房号", "业主姓名", "费用项目", "所属期间", "应缴日期"]]))
    assert "缺少必需的列" in str(exc.value)


def test_not_an_xlsx_is_refused_in_chinese() -> None:
    with pytest.raises(LedgerError, match="不是有效的 Excel"):
        read_ledger(b"MZ\x90\x00 this is an exe renamed to .xlsx")


def test_headers_in_any_order_full_width_and_spaced(tmp_path: Path) -> None:
    ledger = make_ledger(30, seed=3, bad_every=5)
    path = ledger.save(tmp_path / "l.xlsx", shuffle_columns=True, seed=7)
    wb = load_workbook(path)
    ws = wb.active
    assert ws is not None
    ws.cell(row=2, column=1).value = (
        "　"
        + "".join(chr(ord(c) + 0xFEE0) if c.isascii() else c for c in str(ws.cell(row=2, column=1).value).strip())
        + " "
    )
    wb.save(path)
    result = read_ledger(path.read_bytes())
    assert len(result.charges) == len(ledger.good)
    assert result.rows == len(ledger.rows)


def test_bad_rows_are_skipped_with_their_row_number_and_reason(tmp_path: Path) -> None:
    ledger = make_ledger(120, seed=5, bad_every=7)
    result = read_ledger(ledger.save(tmp_path / "l.xlsx").read_bytes())
    bad = [r for r in ledger.rows if r.bad]
    assert len(bad) >= 40
    assert [(p.row) for p in result.problems] == [ledger.sheet_row(r) for r in bad]
    for p, r in zip(result.problems, bad, strict=True):
        assert r.bad in p.reason, (p, r.bad)
    assert len(result.charges) == len(ledger.good)


def test_duplicate_charge_is_skipped_and_points_at_the_first() -> None:
    head = ["项目", "楼栋", "单元", "房号", "业主姓名", "费用项目", "所属期间", "应缴日期", "应缴金额"]
    row = ["锦华花园", "3", "2", "1502", "王建国", "物业服务费", "2026-07", "2026-07-31", 100]
    result = read_ledger(xlsx([head, row, row]))
    assert len(result.charges) == 1
    assert result.problems[0].row == 3 and "第 2 行重复" in result.problems[0].reason


def test_amounts_round_half_up_to_the_fen() -> None:
    head = ["项目", "楼栋", "房号", "业主姓名", "费用项目", "所属期间", "应缴日期", "应缴金额", "已缴金额"]
    result = read_ledger(
        xlsx([head, ["锦华花园", "3", "1502", "王", "物业服务费", "2026-07", "2026/7/31", "1,000.005", None]])
    )
    assert result.charges[0].amount == Decimal("1000.01") and result.charges[0].paid == 0
    assert result.charges[0].due == dt.date(2026, 7, 31)


def test_blank_template_has_every_column(tmp_path: Path) -> None:
    write_template(tmp_path / "t.xlsx")
    result = read_ledger((tmp_path / "t.xlsx").read_bytes())
    assert len(result.charges) == 1 and not result.problems


# ---- late fees and levels ----


def independent_late_fee(owed: Decimal, due: dt.date, as_of: dt.date, rate: Decimal, next_day: bool) -> Decimal:
    # the first of next month, reached by a different route than LateFeeRule.start_day
    next_month = (due.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    start = due + dt.timedelta(days=1) if next_day else next_month
    days = max(0, (as_of - start).days + 1)
    return (owed * rate * days).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(("rate", "start"), [(Decimal("0.0003"), "next-month"), (Decimal("0.003"), "next-day")])
def test_late_fees_match_an_independent_calculation(rate: Decimal, start: str) -> None:
    rule = LateFeeRule(rate, start)  # type: ignore[arg-type]
    as_of = dt.date(2026, 11, 1)
    for due in (dt.date(2026, 7, 31), dt.date(2026, 12, 31), dt.date(2026, 10, 31), dt.date(2026, 11, 1)):
        for owed in (Decimal("0.01"), Decimal("1236.60"), Decimal("87.35")):
            assert rule.fee(owed, due, as_of) == independent_late_fee(owed, due, as_of, rate, start == "next-day")
    assert rule.fee(Decimal("100"), dt.date(2026, 10, 31), dt.date(2026, 10, 31)) == 0


def test_late_fee_cap() -> None:
    rule = LateFeeRule(Decimal("0.003"), "next-day", Decimal("1"))
    assert rule.fee(Decimal("100"), dt.date(2020, 1, 1), dt.date(2026, 11, 1)) == Decimal("100.00")


def test_escalation_rules() -> None:
    day = dt.date(2026, 11, 1)
    assert decide([], day).level == 1
    r1 = Notice(1, dt.date(2026, 10, 1), "HL-CK1-2026-00001")
    assert decide([r1], day).action == "issue" and decide([r1], day).level == 2  # 31 days
    assert decide([r1], dt.date(2026, 10, 20)).action == "wait"
    assert decide([r1], dt.date(2026, 10, 1)).action == "done"
    r3 = Notice(3, dt.date(2026, 9, 1), "HL-CK3-2026-00001")
    assert decide([r1, r3], day).action == "issue"  # the latest counts: r1 after r3 → level 2
    assert decide([Notice(3, dt.date(2026, 10, 1), "x")], day).action == "legal"


# ---- whole batches ----


def issued_numbers(desk: Desk) -> list[str]:
    with desk.db.read() as s:
        return list(s.scalars(select(IssuedDocument.number).order_by(IssuedDocument.number)))


def test_three_batch_dates_escalate_and_reruns_issue_nothing(desk: Desk, tmp_path: Path) -> None:
    ledger = make_ledger(24, seed=11, bad_every=9, paid_every=6)
    data = ledger.save(tmp_path / "l.xlsx").read_bytes()
    owing = {
        (r.values["楼栋"], r.values["单元"], r.values["房号"])
        for r in ledger.good
        if Decimal(str(r.values["应缴金额"])) > Decimal(str(r.values["已缴金额"]))
    }
    d1, d2, d3, d4 = (dt.date(2026, 9, 1), dt.date(2026, 10, 5), dt.date(2026, 11, 9), dt.date(2026, 12, 15))
    first = run_arrears(desk, data, options(d1), tmp_path / "b")
    n = len(owing)
    assert len(first.issued) == n and {x.level for x in first.issued} == {1}
    again = run_arrears(desk, data, options(d1), tmp_path / "b")  # same date: nothing new
    assert [x.number for x in again.issued] == [x.number for x in first.issued]
    assert not any(x.new for x in again.issued)
    assert len(issued_numbers(desk)) == n
    early = plan_arrears(desk, data, options(dt.date(2026, 9, 20)))  # within 30 days: wait
    assert early.counts()["waiting"] == n and early.counts()["to_issue"] == 0
    second = run_arrears(desk, data, options(d2), tmp_path / "b")
    assert {x.level for x in second.issued} == {2}
    third = run_arrears(desk, data, options(d3), tmp_path / "b")
    assert {x.level for x in third.issued} == {3}
    fourth = run_arrears(desk, data, options(d4), tmp_path / "b")
    assert fourth.issued == [] and fourth.plan.counts()["legal"] == n
    numbers = issued_numbers(desk)
    assert len(numbers) == 3 * n == len(set(numbers))
    for code in ("CK1", "CK2", "CK3"):
        seqs = sorted(int(x.rsplit("-", 1)[1]) for x in numbers if f"-{code}-" in x)
        assert seqs == list(range(1, n + 1))  # no gaps, no duplicates
    wb = load_workbook(tmp_path / "b" / fourth.plan.batch_id / "批量结果.xlsx")
    assert wb["移交法务"].max_row == n + 1
    assert "移交法务" in str(wb["移交法务"]["C2"].value)


def test_totals_late_fees_outputs_and_delivery_order(desk: Desk, tmp_path: Path) -> None:
    ledger = make_ledger(40, seed=21, bad_every=8, paid_every=5)
    data = ledger.save(tmp_path / "l.xlsx").read_bytes()
    day = dt.date(2026, 11, 1)
    result = run_arrears(desk, data, options(day), tmp_path / "b")
    # independent totals per household
    expected: dict[str, tuple[Decimal, Decimal]] = {}
    for r in ledger.good:
        v = r.values
        owed = Decimal(str(v["应缴金额"])).quantize(Decimal("0.01")) - Decimal(str(v["已缴金额"])).quantize(
            Decimal("0.01")
        )
        if owed <= 0:
            continue
        fee = independent_late_fee(owed, v["应缴日期"], day, Decimal("0.0003"), False)  # type: ignore[arg-type]
        addr = f"{v['楼栋']}栋{v['单元']}单元{v['房号']}室"
        o, f = expected.get(addr, (Decimal(0), Decimal(0)))
        expected[addr] = (o + owed, f + fee)
    got = {x.address: (x.outstanding, x.late_fees) for x in result.issued}
    assert got == expected
    # the print PDF: one page per notice, in delivery order (building, unit, room as numbers), numbers rising
    pdf = result.outputs["print_pdf"]
    assert pdf_pages(pdf) == result.pages == len(result.issued)
    check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    names = [line.split()[0] for line in fonts]
    assert len(names) == len(set(names)), "two font subsets share a name"
    pages = pdf_text(pdf).split("\f")
    order = []
    for page, line in zip(pages, result.issued, strict=False):
        text = squash(page)
        assert line.number in text
        m = re.search(r"单元号：(\d+)栋(\d+)单元(\d+)室", text)
        assert m, text[:200]
        order.append(tuple(int(x) for x in m.groups()))
        total = line.outstanding + line.late_fees
        assert f"{total:,.2f}" in text
    assert order == sorted(order)
    assert [x.number for x in result.issued] == sorted(x.number for x in result.issued)
    # the results workbook lists every skipped row with its row number and reason
    wb = load_workbook(result.outputs["results"])
    skipped = [(c[0].value, c[1].value) for c in wb["跳过的行"].iter_rows(min_row=2)]
    assert [r for r, _ in skipped] == [ledger.sheet_row(r) for r in ledger.rows if r.bad]
    assert wb["已开具"].max_row == len(result.issued) + 2  # header + rows + 合计
    import zipfile

    with zipfile.ZipFile(result.outputs["docx_zip"]) as z:
        assert sorted(z.namelist()) == sorted(f"{x.number}.docx" for x in result.issued)


def test_a_crash_midway_resumes_without_duplicates_or_gaps(desk: Desk, tmp_path: Path) -> None:
    data = make_ledger(18, seed=31).save(tmp_path / "l.xlsx").read_bytes()
    day = dt.date(2026, 11, 1)
    with pytest.raises(Killed):
        run_arrears(desk, data, options(day, chunk_size=3), tmp_path / "b", progress=die_after(6))
    with desk.db.read() as s:
        assert s.scalar(select(func.count()).select_from(IssuedDocument)) == 6
        held = s.scalar(select(func.count()).select_from(NumberReservation))
    result = run_arrears(desk, data, options(day, chunk_size=4), tmp_path / "b")
    numbers = issued_numbers(desk)
    assert held == len(result.issued) - 6
    assert len(numbers) == len(result.issued) == len(set(numbers))
    assert sorted(int(x.rsplit("-", 1)[1]) for x in numbers) == list(range(1, len(numbers) + 1))
    with desk.db.read() as s:
        assert s.scalar(select(func.count()).select_from(NumberReservation)) == 0
    assert Counter(x.new for x in result.issued)[True] == len(result.issued) - 6
    assert pdf_pages(result.outputs["print_pdf"]) == len(result.issued)


@pytest.mark.slow
def test_killing_the_batch_command_and_running_it_again(tmp_path: Path) -> None:
    """kill -9 of `docdesk batch arrears` midway, then the same command again: every notice once, no gaps."""
    import os
    import signal
    import sys
    import time

    from sqlalchemy import create_engine

    from tests.conftest import ROOT

    ledger = make_ledger(60, seed=71).save(tmp_path / "l.xlsx")
    db = tmp_path / "index.db"
    env = {**os.environ, "DOCDESK_DATABASE_URL": f"sqlite:///{db}", "DOCDESK_OUTPUT_DIR": str(tmp_path / "out")}
    cmd = [
        sys.executable,
        "-m",
        "app.cli",
        "batch",
        "arrears",
        str(ledger),
        "--date",
        "2026-11-01",
        "--workers",
        "1",
        "--chunk",
        "5",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )

    def issued() -> int:
        if not db.exists():
            return 0
        engine = create_engine(f"sqlite:///{db}")
        try:
            with engine.connect() as c:
                return int(c.exec_driver_sql("select count(*) from issued_documents").scalar() or 0)
        except Exception:
            return 0
        finally:
            engine.dispose()

    deadline = time.monotonic() + 240
    while issued() < 10 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = issued()
    assert 10 <= partial < 60, f"the kill came too late or too early: {partial} issued"
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        numbers = [r[0] for r in c.exec_driver_sql("select number from issued_documents")]
        held = c.exec_driver_sql("select count(*) from number_reservations").scalar()
    engine.dispose()
    assert len(numbers) == len(set(numbers)) == 60 and held == 0
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 61))
    assert f"本批日期已开具 {partial}" in done.stdout


def test_a_credit_pays_the_oldest_arrears_first_and_a_prepaid_household_gets_nothing() -> None:
    from app.batch.arrears import households
    from app.batch.ledger import Charge

    def charge(row: int, room: str, item: str, due: dt.date, amount: str, paid: str) -> Charge:
        return Charge(
            row, "锦华花园", "3", "2", room, "王", "", item, f"{due:%Y-%m}", due, Decimal(amount), Decimal(paid)
        )

    day = dt.date(2026, 11, 1)
    rule = LateFeeRule()
    got = households(
        [
            charge(2, "1502", "物业服务费", dt.date(2026, 7, 31), "100.00", "0"),
            charge(3, "1502", "车位管理费", dt.date(2026, 8, 31), "150.00", "0"),
            charge(4, "1502", "公共能耗分摊费", dt.date(2026, 9, 30), "20.00", "150.00"),  # 130.00 prepaid
            charge(5, "1503", "物业服务费", dt.date(2026, 7, 31), "100.00", "0"),
            charge(6, "1503", "车位管理费", dt.date(2026, 8, 31), "0", "120.00"),  # prepaid overall
        ],
        rule,
        day,
    )
    assert [h.room for h in got] == ["1502"]
    h = got[0]
    assert [(i.item, i.outstanding) for i in h.items] == [("车位管理费", Decimal("120.00"))]  # 100 + 30 of 150 paid
    assert h.items[0].late_fee == rule.fee(Decimal("120.00"), dt.date(2026, 8, 31), day)
    assert h.outstanding == Decimal("120.00") and h.credit == Decimal("130.00")


def test_numbers_reserved_for_households_that_then_paid_are_reported(desk: Desk, tmp_path: Path) -> None:
    ledger = make_ledger(12, seed=81)
    data = ledger.save(tmp_path / "l.xlsx").read_bytes()
    day = dt.date(2026, 11, 1)
    with pytest.raises(Killed):  # numbers reserved for all 12, the first chunk of 3 issued
        run_arrears(desk, data, options(day, chunk_size=3), tmp_path / "b", progress=die_after(3))
    # the ledger is corrected: the last household has paid
    last = ledger.rows[-1].values
    for r in ledger.rows:
        if (r.values["楼栋"], r.values["单元"], r.values["房号"]) == (last["楼栋"], last["单元"], last["房号"]):
            r.values["已缴金额"] = r.values["应缴金额"]
    fixed = ledger.save(tmp_path / "fixed.xlsx").read_bytes()
    result = run_arrears(desk, fixed, options(day), tmp_path / "b")
    assert result.plan.counts()["stranded_numbers"] == 1
    wb = load_workbook(result.outputs["results"])
    assert wb["保留未用编号"].max_row == 2 and "已无欠费" in str(wb["保留未用编号"]["B2"].value)
    numbers = issued_numbers(desk)
    assert len(numbers) == 11 == len(set(numbers))


def test_a_reminder_issued_at_the_front_desk_counts_for_escalation(desk: Desk, tmp_path: Path) -> None:
    from app.issue import issue_document
    from tests.conftest import example

    ledger = make_ledger(3, seed=91)
    data = ledger.save(tmp_path / "l.xlsx").read_bytes()
    first = ledger.rows[0].values
    by_hand = example(
        desk.catalogue,
        "arrears-reminder-1",
        notice_date="2026-09-20",
        room={"building": first["楼栋"], "room": f"{first['单元']}单元{first['房号']}"},
    )
    manual = issue_document(desk, "arrears-reminder-1", by_hand, now=dt.datetime(2026, 9, 20, 2, tzinfo=dt.UTC))
    result = run_arrears(desk, data, options(dt.date(2026, 11, 1)), tmp_path / "b")
    levels = {x.address: x.level for x in result.issued}
    address = f"{first['楼栋']}栋{first['单元']}单元{first['房号']}室"
    assert levels[address] == 2, (manual.subject, levels)
    assert sorted(levels.values()) == [1, 1, 2]


def test_a_zip_bomb_or_a_renamed_zip_is_refused_before_unpacking(tmp_path: Path) -> None:
    import zipfile

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))  # 50 MB of zeros, ~50 KB packed
    with pytest.raises(LedgerError, match="压缩炸弹"):
        read_ledger(bomb.getvalue())
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    with pytest.raises(LedgerError, match="没有工作簿"):
        read_ledger(plain.getvalue())


def test_a_household_its_notice_would_refuse_is_reported_and_the_rest_are_issued(desk: Desk, tmp_path: Path) -> None:
    # a name too long for the notice, a name with a character no font prints, a charge whose 费用项目 has one;
    # found before numbers are reserved, so the batch neither stops nor leaves numbers behind
    head = ["项目", "楼栋", "单元", "房号", "业主姓名", "费用项目", "所属期间", "应缴日期", "应缴金额"]
    rows: list[list[object]] = [
        ["锦华花园", "3", "2", "1502", "王" * 70, "物业服务费", "2026-07", "2026-07-15", 300],
        ["锦华花园", "3", "2", "1503", "李四", "物业服务费", "2026-07", "2026-07-15", 300],
        ["锦华花园", "3", "2", "1504", "王𰀀", "物业服务费", "2026-07", "2026-07-15", 300],
        ["锦华花园", "3", "2", "1505", "赵六", "物业服务费", "2026-07", "2026-07-15", 300],
        ["锦华花园", "3", "2", "1505", "赵六", "停车费𰀁", "2026-07", "2026-07-15", 150],
        ["锦华花园", "3", "2", "1506", "钱七", "物业服务费", "2026-07", "2026-07-15", 300],
    ]
    data = xlsx([head, *rows])
    day = dt.date(2026, 11, 1)
    plan = plan_arrears(desk, data, options(day))
    reasons = {p.row: p.reason for p in plan.ledger.problems}
    assert sorted(reasons) == [2, 4, 5, 6]
    assert reasons[2].startswith("业主姓名：太长了：最多 60 个字")
    assert reasons[4].startswith("业主姓名：“𰀀”（U+30000）") and "方框" in reasons[4]
    assert reasons[6].startswith("费用项目：“𰀁”（U+30001）") and reasons[6].endswith("（本户未开具）")
    assert reasons[5] == "同户第 6 行有误（本户未开具）"
    assert [p.household.room for p in plan.of("issue")] == ["1503", "1506"]

    result = run_arrears(desk, data, options(day), tmp_path / "b")
    assert sorted(issued_numbers(desk)) == ["HL-CK1-2026-00001", "HL-CK1-2026-00002"]  # no number spent on the refused
    with desk.db.read() as session:  # a reservation is used up by its issue: none is left behind
        assert session.scalar(select(func.count()).select_from(NumberReservation)) == 0
    text = squash(pdf_text(result.outputs["print_pdf"]))
    assert "李四" in text and "钱七" in text and "赵六" not in text
    skipped = load_workbook(result.outputs["results"])["跳过的行"]
    assert [c.value for c in skipped["A"][1:]] == [2, 4, 5, 6]


def one_charge_ledger(period: object) -> Ledger:
    head = ["项目", "楼栋", "单元", "房号", "业主姓名", "费用项目", "所属期间", "应缴日期", "应缴金额"]
    return read_ledger(xlsx([head, ["锦华花园", "3", "2", "1502", "王建国", "物业服务费", period, "2026-07-31", 100]]))


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("2026-07", "2026-07"),
        ("2026/7", "2026-07"),
        ("2026.07", "2026-07"),
        ("2026年7月", "2026-07"),
        (202607, "2026-07"),
        ("2026-07-01至2026-09-30", "2026-07-01至2026-09-30"),
        ("2026年7月1日至2026年9月30日", "2026-07-01至2026-09-30"),
        ("2026/7/1~2026/9/30", "2026-07-01至2026-09-30"),
        (dt.datetime(2026, 7, 1), "2026-07"),
    ],
)
def test_periods_as_fee_systems_write_them(written: object, printed: str) -> None:
    ledger = one_charge_ledger(period=written)
    assert not ledger.problems and [c.period for c in ledger.charges] == [printed]


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        (2026.1, "分不清 2026.1 与 2026.10"),  # a number cell: 2026.10 would be stored as 2026.1
        ("2026年13月", "无法识别"),
        ("202613", "无法识别"),
        ("2026年9月30日至2026年7月1日", "早于开始日期"),
        ("2026年2月30日至2026年3月31日", "日期不存在"),
        ("七月", "无法识别"),
    ],
)
def test_periods_that_cannot_be_read_are_not_guessed(written: object, reason: str) -> None:
    ledger = one_charge_ledger(period=written)
    assert not ledger.charges and [p.row for p in ledger.problems] == [2]
    assert "所属期间" in ledger.problems[0].reason and reason in ledger.problems[0].reason
