"""The registry of sync kinds: one entry per kind on each side, checked at start-up."""

from __future__ import annotations

import pytest

from desktop_app.db.models import Customer
from desktop_app.db.sync_models import SyncItem
from desktop_app.errors import QbxmlError, ValidationError
from desktop_app.services import record_kinds
from desktop_app.services.record_kinds import RecordKind
from qbwc_server.sync import kinds
from qbwc_server.sync.kinds import RegistryError
from qbwc_server.sync.kinds.base import SyncKind


def test_the_engine_and_the_core_know_the_same_kinds() -> None:
    kinds.check_registry()
    assert set(kinds.registered()) == set(record_kinds.KINDS) | {record_kinds.IMPORT}


def test_a_kind_known_only_to_the_core_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = RecordKind("widget", Customer, "widget", "widgets", str, {"upsert": 90}, is_list=False)
    monkeypatch.setitem(record_kinds._KINDS, "widget", extra)
    with pytest.raises(RegistryError, match="without an engine module: widget"):
        kinds.check_registry()


def test_a_kind_known_only_to_the_engine_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    class Widget(SyncKind):
        name = "widget"
        query_tag = "CustomerQueryRq"

    monkeypatch.setitem(kinds._REGISTRY, "widget", Widget())
    with pytest.raises(RegistryError, match="without a record kind: widget"):
        kinds.check_registry()


def test_an_unknown_kind_is_an_error_everywhere_never_a_default() -> None:
    with pytest.raises(RegistryError, match="“widget”"):
        kinds.of("widget")
    with pytest.raises(ValidationError, match="widget records cannot be sent"):
        record_kinds.kind_of("widget")
    with pytest.raises(ValidationError):
        record_kinds.kind_of("invoice").rank("explode")


def test_lists_go_before_the_transactions_that_use_them() -> None:
    order = [kind.name for kind in record_kinds.in_sending_order()]
    assert order.index("customer") < order.index("job") < order.index("invoice") < order.index("payment")
    assert order.index("item") < order.index("invoice") and order.index("tax_item") < order.index("invoice")
    assert kinds.list_kinds() == {"customer", "job", "item", "terms", "tax_item"}
    assert record_kinds.list_kinds() == kinds.list_kinds()


def test_every_kind_names_its_quickbooks_query_and_lists() -> None:
    for name, kind in kinds.registered().items():
        if name == record_kinds.IMPORT:
            continue
        assert kind.query_tag.endswith("QueryRq"), name
    assert kinds.kinds_for_quickbooks_list("Customer") == ("customer", "job")
    assert kinds.kinds_for_quickbooks_list("ItemSalesTax") == ("tax_item",)
    assert kinds.kinds_for_quickbooks_list("Account") == ()


def test_only_the_credit_application_may_be_saved_as_links_only() -> None:
    # Any other kind answered with no record is an unexpected answer (an alert), never a link
    # made up for it.
    assert [name for name in kinds.registered() if kinds.of(name).links_only] == ["credit_application"]
    item = SyncItem(entity_type="customer", entity_id=1, action="upsert")
    with pytest.raises(QbxmlError, match="no record of its own"):
        kinds.of("customer").links_only_id(None, item)  # type: ignore[arg-type]  # (not read)


def test_a_kind_undone_by_another_kinds_void_must_say_what_dismissing_its_lookup_gives_up() -> None:
    """The wording is the kind's own (the queue service and apply name no kind): a kind
    undone by another's void without it is refused when the registry is made."""
    with pytest.raises(ValueError, match="void_waits_note"):
        RecordKind("x", Customer, "x", "xs", str, {"upsert": 1}, is_list=False, undone_by_void_of="customer")
    for kind in record_kinds.KINDS.values():
        assert bool(kind.undone_by_void_of) == bool(kind.void_waits_note), kind.name
