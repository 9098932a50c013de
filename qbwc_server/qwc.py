"""The .qwc file the user opens in the QuickBooks Web Connector to add JobDesk.

OwnerID (one per installation) and FileID are GUIDs made once and kept in the settings,
so writing the file again gives the same identity: the Web Connector stores FileID in
the company file and would otherwise see a stranger.
"""

from __future__ import annotations

import urllib.parse
import uuid
from pathlib import Path

from lxml import etree

from desktop_app.db.uow import UnitOfWork
from desktop_app.errors import ValidationError
from desktop_app.services.common import require_admin
from desktop_app.services.settings import get_setting, set_setting
from qbwc_server.server import SOAP_PATH, SUPPORT_PATH

APP_NAME = "JobDesk"
APP_DESCRIPTION = "Sends JobDesk customers, jobs, invoices and payments to QuickBooks."


def new_guid() -> str:
    return "{" + str(uuid.uuid4()).upper() + "}"


def ensure_ids(uow: UnitOfWork) -> tuple[str, str]:
    """The installation's OwnerID and FileID, made on first use and never changed after."""
    owner_id = str(get_setting(uow, "qbwc.owner_id"))
    file_id = str(get_setting(uow, "qbwc.file_id"))
    if not owner_id:
        owner_id = str(set_setting(uow, "qbwc.owner_id", new_guid()))
    if not file_id:
        file_id = str(set_setting(uow, "qbwc.file_id", new_guid()))
    return owner_id, file_id


def default_url(uow: UnitOfWork) -> str:
    return f"http://localhost:{int(get_setting(uow, 'qbwc.port'))}{SOAP_PATH}"


def check_app_url(url: str) -> str:
    """The Web Connector accepts https://, or plain http only to localhost (never an IP)."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            "url", f"“{url}” is not a web address (it should look like http://localhost:8089/qbwc)."
        )
    if parts.scheme == "http" and parts.hostname != "localhost":
        raise ValidationError(
            "url",
            "The Web Connector only accepts plain http:// for localhost. For a server on another "
            "computer use https:// with a certificate (see the server's HTTPS notes).",
        )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or SOAP_PATH, "", ""))


def build_qwc(
    *,
    url: str,
    user_name: str,
    owner_id: str,
    file_id: str,
    run_every_minutes: int,
    app_name: str = APP_NAME,
    description: str = APP_DESCRIPTION,
) -> str:
    """The .qwc document, built with lxml (every value escaped)."""
    url = check_app_url(url)
    parts = urllib.parse.urlsplit(url)
    support = urllib.parse.urlunsplit((parts.scheme, parts.netloc, SUPPORT_PATH, "", ""))
    root = etree.Element("QBWCXML")
    for tag, value in (
        ("AppName", app_name),
        ("AppID", ""),
        ("AppURL", url),
        ("AppDescription", description),
        ("AppSupport", support),
        ("UserName", user_name),
        ("OwnerID", owner_id),
        ("FileID", file_id),
        ("QBType", "QBFS"),
    ):
        etree.SubElement(root, tag).text = value
    scheduler = etree.SubElement(root, "Scheduler")
    etree.SubElement(scheduler, "RunEveryNMinutes").text = str(run_every_minutes)
    etree.SubElement(root, "IsReadOnly").text = "false"
    body = etree.tostring(root, encoding="unicode", pretty_print=True)
    return '<?xml version="1.0"?>\n' + body


def write_qwc(uow: UnitOfWork, url: str | None = None) -> str:
    """The .qwc text for this installation (admin only: it fixes the installation's IDs)."""
    require_admin(uow, "create the QuickBooks Web Connector file")
    owner_id, file_id = ensure_ids(uow)
    responsive = bool(get_setting(uow, "sync.responsive"))
    minutes = 1 if responsive else int(get_setting(uow, "sync.interval_minutes"))
    return build_qwc(
        url=url or default_url(uow),
        user_name=str(get_setting(uow, "qbwc.username")),
        owner_id=owner_id,
        file_id=file_id,
        run_every_minutes=minutes,
    )


def save_qwc(uow: UnitOfWork, path: Path, url: str | None = None) -> Path:
    text = write_qwc(uow, url)
    path.write_text(text, encoding="utf-8")
    return path
