"""``python -m qbwc_server`` subcommands and the .qwc file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from lxml import etree

from desktop_app.db.uow import Actor, Database
from desktop_app.domain.passwords import verify_password
from desktop_app.errors import PermissionDenied, ValidationError
from desktop_app.services.settings import get_setting, set_setting
from qbwc_server import cli
from qbwc_server.qwc import build_qwc, write_qwc


def test_qwc_has_every_field_and_stable_ids(
    db: Database, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "JobDesk.qwc"
    assert cli.main(["qwc", "--database", database_url, "--out", str(out)]) == 0
    root = etree.fromstring(out.read_bytes())
    fields = {child.tag: child.text or "" for child in root}
    assert fields["AppName"] == "JobDesk" and fields["AppID"] == ""
    assert fields["AppURL"] == "http://localhost:8089/qbwc"
    assert fields["AppSupport"] == "http://localhost:8089/support"
    assert fields["UserName"] == "jobdesk" and fields["QBType"] == "QBFS" and fields["IsReadOnly"] == "false"
    assert fields["OwnerID"].startswith("{") and fields["FileID"].startswith("{")
    assert root.findtext("Scheduler/RunEveryNMinutes") == "15"
    again = tmp_path / "again.qwc"
    assert cli.main(["qwc", "--database", database_url, "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_qwc_interval_url_rules_and_admin_only(db: Database, admin: Actor, office: Actor) -> None:
    with db.uow(admin) as uow:
        set_setting(uow, "sync.interval_minutes", 30)
        text = write_qwc(uow, "https://books.example.com/qbwc")
        uow.commit()
    assert "<RunEveryNMinutes>30</RunEveryNMinutes>" in text
    assert "<AppSupport>https://books.example.com/support</AppSupport>" in text
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="localhost"):
        write_qwc(uow, "http://192.168.1.5:8089/qbwc")
    with db.uow(office) as uow, pytest.raises(PermissionDenied):
        write_qwc(uow)


def test_qwc_values_are_escaped() -> None:
    text = build_qwc(
        url="http://localhost:8089/qbwc",
        user_name="a&b<c>",
        owner_id="{O}",
        file_id="{F}",
        run_every_minutes=5,
    )
    assert "<UserName>a&amp;b&lt;c&gt;</UserName>" in text


def test_set_password_reads_stdin_and_stores_only_a_hash(
    db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert cli.main(["set-password", "--database", database_url, "--user", "office-pc"]) == 0
    with db.reader() as uow:
        stored = str(get_setting(uow, "qbwc.password_hash"))
        assert get_setting(uow, "qbwc.username") == "office-pc"
    assert "a long enough password" not in stored
    assert verify_password("a long enough password", stored)


def test_set_password_refuses_a_short_one(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["set-password", "--database", database_url]) == 2
    assert "at least" in capsys.readouterr().err


def test_status_json_and_text(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["status", "--database", database_url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["company_name"] == "" and data["last_contact"] is None and data["open_alerts"] == []
    assert cli.main(["status", "--database", database_url]) == 0
    assert "not connected yet" in capsys.readouterr().out


def test_queue_all(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["queue", "--database", database_url, "--all"]) == 0
    assert "Queued 0 record(s)" in capsys.readouterr().out
