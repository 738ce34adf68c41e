"""The docdesk command: check-forms, issue, void, preview, list — through main() with real settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import example, pdf_text, squash


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCDESK_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("DOCDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return tmp_path


def test_check_forms_passes_on_the_real_forms(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-forms"]) == 0
    assert "全部通过检查" in capsys.readouterr().out


def test_check_forms_fails_on_a_broken_form(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = env / "forms" / "bad-form"
    bad.mkdir(parents=True)
    (bad / "form.toml").write_text('id = "bad-form"\ntitle = "坏表"\nkind = "nonsense"\n', encoding="utf-8")
    monkeypatch.setenv("DOCDESK_FORMS_DIR", str(env / "forms"))
    assert main(["check-forms"]) == 1
    assert "form.toml:3" in capsys.readouterr().err


def test_issue_void_list_and_preview(env: Path, real_catalogue: object, capsys: pytest.CaptureFixture[str]) -> None:
    data = example(real_catalogue, "mail-collection-entrustment")  # type: ignore[arg-type]
    src = env / "data.json"
    src.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["issue", "mail-collection-entrustment", "--data", str(src)]) == 0
    number, pdf, docx = capsys.readouterr().out.split()
    assert number.startswith("HL-DSYJ-") and Path(pdf).is_file() and Path(docx).is_file()
    assert number in squash(pdf_text(Path(pdf)))
    assert main(["list"]) == 0
    assert number in capsys.readouterr().out
    assert main(["void", number, "--reason", "业主撤回委托"]) == 0
    assert "已作废" in capsys.readouterr().out
    assert main(["void", number, "--reason", "again"]) == 1
    out = env / "p.pdf"
    assert main(["preview", "mail-collection-entrustment", "--out", str(out)]) == 0
    assert "样张" in squash(pdf_text(out))


def test_issue_with_bad_data_prints_chinese_errors(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = env / "bad.json"
    src.write_text(json.dumps({"phone": "12"}), encoding="utf-8")
    assert main(["issue", "mail-collection-entrustment", "--data", str(src)]) == 1
    err = capsys.readouterr().err
    assert "数据有误" in err and "联系电话" in err
    assert main(["issue", "no-such-form", "--data", str(src)]) == 1


def test_a_reader_that_goes_away_ends_the_command_quietly(env: Path, real_catalogue: object) -> None:
    """`docdesk list | head -1` with more to print: no traceback, exit status 141 as for SIGPIPE."""
    data = env / "data.json"
    data.write_text(json.dumps(example(real_catalogue, "key-custody-entrustment"), ensure_ascii=False), "utf-8")  # type: ignore[arg-type]
    assert main(["issue", "key-custody-entrustment", "--data", str(data)]) == 0
    read, write = os.pipe()
    os.close(read)  # the reader has gone before anything is written
    code = subprocess.run(
        [sys.executable, "-m", "app.cli", "list"], stdout=write, stderr=subprocess.PIPE, text=True, env=os.environ
    )
    os.close(write)
    assert code.returncode == 141 and "Traceback" not in code.stderr, code.stderr
