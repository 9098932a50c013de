"""``Session.get`` for records a query already loaded (the sync's ``prefetch``), without its cost.

``Session.get`` costs a few microseconds a call in option handling before it looks in the
identity map; building one message asks for each of its records several times. A record
loaded and not expired is what ``Session.get`` itself would return; any other case is
left to it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

T = TypeVar("T")


def get(session: Session, model: type[T], record_id: Any) -> T | None:
    """``session.get(model, record_id)``, from the identity map when the record is loaded."""
    found = session.identity_map.get((model, (record_id,), None))
    if found is not None and type(found) is model and not instance_state(found).expired:
        return found
    return session.get(model, record_id)
