"""What to do with one answer from QuickBooks: one table, read top to bottom, first match wins.

``decide`` is pure: it takes what is known of the queue item and QuickBooks' answer
(``Answer``, gathered by ``apply.answer_of``) and returns a ``Decision``: an act and,
when the item goes back to the queue, its next phase, note and delay. One writer applies
it (``apply.write``, with ``fast_apply`` as the same writer's SQL implementation for the
common acts); nothing else decides what an answer means.

The table, by phase (``queue_states.Phase``) and status code:

==========================  ==============================  ===================================
phase                       QuickBooks said                 act
==========================  ==============================  ===================================
import / pull               3391 (iterator forgotten),      restart the import from the top
                            once a session, when it went    (otherwise an alert: QuickBooks
                            with an iterator                forgets only between sessions)
duplicate                   3120 / 3140 (no such record)    done: the copy was already gone
any                         3175 / 3176 / 3180 (locked)     retry later, waits growing;
                                                            after 5 attempts, an alert
add (a list record)         3100 (name in use)              claim: look at the record of that name
mod                         3200 (stale EditSequence)       refresh, then Mod again; a second
                                                            time in a row, an alert
mod / void / delete /       3120 / 3140 naming our own      delete: done, unlinked;
refresh                     record                          otherwise: deleted in QuickBooks (alert)
any                         3120 / 3140 (another record)    a record it refers to is missing
any other error             …                               alert with QuickBooks' words
import / pull               worked                          take in the page
add (links only: a credit    worked, no TxnID                done: QuickBooks linked the credit
applied)                                                    to the invoices, no record of its own
add / mod                   worked, no ListID/TxnID         unexpected answer (alert)
add                         worked, we were linked to       a second copy: delete it
                            another record already
add / mod                   worked                          saved: link, check, done
duplicate / void            worked                          done
delete                      worked                          done, unlinked
claim                       found nothing                   the name is used by another list
verify (links only: a       found nothing                   check the credit memo's links there
credit applied)                                             first (it may be applied, no record)
verify / check / links      found nothing                   add it now
verify / check / claim /    found it                        the kind reads what was found
links
refresh                     read it                         compare both sides' changes
anything else                                               unexpected answer (alert)
==========================  ==============================  ===================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from desktop_app.services.queue_states import Phase

LOCK_CODES = frozenset({3175, 3176, 3180})
MISSING_CODES = frozenset({3120, 3140})
#: A lock is retried in later sessions with growing waits; only a lasting one alerts.
LOCK_ALERT_AFTER = 5
#: What an item says after a lookup found nothing (it is added next).
NOT_FOUND_NOTE = "Not in QuickBooks yet: adding it."
REFRESHED_NOTE = "QuickBooks' copy was newer; sending our change again."
CLAIM_NOTE = "The name is already in QuickBooks: checking whether it is the same record."
REFRESH_NOTE = "Changed in QuickBooks since our last sync: re-reading it."
LINKED_ONLY_NOTE = "Done: QuickBooks linked it to the invoices directly (no payment record of its own)."
CHECK_LINKS_NOTE = (
    "No payment of ours in QuickBooks: checking whether QuickBooks linked the credit to the "
    "invoices directly before applying it again."
)
LOOKUPS = (Phase.VERIFY, Phase.CHECK, Phase.CLAIM, Phase.LINKS)


class Act(StrEnum):
    RESTART_IMPORT = "restart_import"
    ALREADY_GONE = "already_gone"
    RETRY_LATER = "retry_later"
    LOCKED_TOO_LONG = "locked_too_long"
    CLAIM = "claim"
    REFRESH = "refresh"
    KEEPS_CHANGING = "keeps_changing"
    DELETED_ALREADY = "deleted_already"
    DELETED_IN_QUICKBOOKS = "deleted_in_quickbooks"
    MISSING_REFERENCE = "missing_reference"
    FAILED = "failed"
    IMPORTED = "imported"
    NO_RECORD = "no_record"
    LINKED_ONLY = "linked_only"
    CHECK_LINKS = "check_links"
    SECOND_COPY = "second_copy"
    SAVED = "saved"
    DONE = "done"
    UNLINKED = "unlinked"
    NAME_USED_ELSEWHERE = "name_used_elsewhere"
    NOT_FOUND = "not_found"
    FOUND = "found"
    REFRESHED = "refreshed"
    UNEXPECTED_STEP = "unexpected_step"


@dataclass(frozen=True)
class Answer:
    """What is known of an item and QuickBooks' answer to it (plain values, no session)."""

    kind: str
    phase: str
    code: int
    is_error: bool
    message: str = ""
    attempts: int = 0
    is_list: bool = False
    #: Records a lookup found that are ours to consider (``SyncKind.found``).
    found: int = 0
    #: The ListID/TxnID QuickBooks answered with (a success), and the one we are linked to.
    answered_id: str = ""
    linked_id: str = ""
    #: The item's note says QuickBooks' copy was re-read once already (after a 3200).
    refreshed_once: bool = False
    #: An import sent with an iterator (a page after the first), and one QuickBooks already
    #: forgot the place of in this same session (``SyncItem.restarted_in``).
    continued: bool = False
    restarted_this_session: bool = False
    #: Its Add may come back with no record of its own when it worked (``SyncKind.links_only``).
    links_only: bool = False

    @property
    def is_import(self) -> bool:
        return self.kind == "import"

    @property
    def names_our_record(self) -> bool:
        """A 3120/3140 whose message names the record we are linked to."""
        return bool(self.linked_id) and self.linked_id in self.message


@dataclass(frozen=True)
class Decision:
    act: Act
    #: For acts that put the item back in the queue: its next phase, note and wait.
    phase: str = ""
    note: str = ""
    delay: timedelta | None = None


def _lock_delay(a: Answer) -> timedelta:
    return timedelta(minutes=2 ** min(a.attempts, 8))


Rule = tuple[str, Callable[[Answer], bool], Callable[[Answer], Decision]]

#: The table (see the module's docstring); the first rule that holds decides.
RULES: tuple[Rule, ...] = (
    # -- QuickBooks refused or failed -----------------------------------------------------------
    (
        "an import's iterator was forgotten",
        # Only a page read with an iterator can have lost it; QuickBooks forgets one when its
        # session ends, so a second time in one session is an answer it is not documented to
        # give: an alert (the rule for any other error), never the first page read for ever.
        lambda a: (
            a.is_error and a.is_import and a.code == 3391 and a.continued and not a.restarted_this_session
        ),
        lambda a: Decision(Act.RESTART_IMPORT, a.phase, "Restarting the import from the top."),
    ),
    (
        "the second copy to delete is already gone",
        lambda a: a.is_error and a.phase == Phase.DELETE_DUPLICATE and a.code in MISSING_CODES,
        lambda a: Decision(Act.ALREADY_GONE, note="The second copy was already gone from QuickBooks."),
    ),
    (
        "locked for too long",
        lambda a: a.is_error and a.code in LOCK_CODES and a.attempts >= LOCK_ALERT_AFTER,
        lambda a: Decision(Act.LOCKED_TOO_LONG),
    ),
    (
        "locked",
        lambda a: a.is_error and a.code in LOCK_CODES,
        lambda a: Decision(Act.RETRY_LATER, a.phase, "Locked in QuickBooks; will retry.", _lock_delay(a)),
    ),
    (
        "a list record's name is in use",
        lambda a: a.is_error and a.code == 3100 and a.phase == Phase.ADD and a.is_list,
        lambda a: Decision(
            Act.CLAIM,
            Phase.CLAIM,
            "The name is already in QuickBooks: checking whether it is the same record.",
        ),
    ),
    (
        "changed in QuickBooks again while we update it",
        lambda a: a.is_error and a.code == 3200 and a.phase == Phase.MOD and a.refreshed_once,
        lambda a: Decision(Act.KEEPS_CHANGING),
    ),
    (
        "changed in QuickBooks since our last sync",
        lambda a: a.is_error and a.code == 3200 and a.phase == Phase.MOD,
        lambda a: Decision(
            Act.REFRESH, Phase.REFRESH, "Changed in QuickBooks since our last sync: re-reading it."
        ),
    ),
    (
        "what we delete is already deleted",
        lambda a: a.is_error and a.code in MISSING_CODES and a.phase == Phase.DELETE and a.names_our_record,
        lambda a: Decision(Act.DELETED_ALREADY, note="Already deleted in QuickBooks."),
    ),
    (
        # Voided here, deleted there: neither counts any more, so there is nothing to fix (adding
        # it back, as for a change, would put a live copy of what was voided into QuickBooks).
        "what we void was deleted in QuickBooks",
        lambda a: a.is_error and a.code in MISSING_CODES and a.phase == Phase.VOID and a.names_our_record,
        lambda a: Decision(Act.DELETED_ALREADY, note="Deleted in QuickBooks already: nothing there to void."),
    ),
    (
        "our record was deleted in QuickBooks",
        lambda a: (
            a.is_error
            and a.code in MISSING_CODES
            and a.phase in (Phase.MOD, Phase.REFRESH)
            and a.names_our_record
        ),
        lambda a: Decision(Act.DELETED_IN_QUICKBOOKS),
    ),
    (
        "a record it refers to is missing",
        lambda a: a.is_error and a.code in MISSING_CODES and not a.is_import,
        lambda a: Decision(Act.MISSING_REFERENCE, Phase.FIRST if a.phase == Phase.ADD else a.phase),
    ),
    ("any other refusal", lambda a: a.is_error, lambda a: Decision(Act.FAILED)),
    # -- QuickBooks did it ----------------------------------------------------------------------
    (
        "a page of an import",
        lambda a: a.phase in (Phase.IMPORT, Phase.PULL),
        lambda a: Decision(Act.IMPORTED),
    ),
    (
        # Intuit: a ReceivePaymentAdd that only sets credits may make no transaction, only
        # links between the credit memo and the invoices, with a "thin" answer.
        "saved as links only",
        lambda a: a.phase == Phase.ADD and not a.answered_id and a.links_only,
        lambda a: Decision(Act.LINKED_ONLY, note=LINKED_ONLY_NOTE),
    ),
    (
        "saved, but no record came back",
        lambda a: a.phase in (Phase.ADD, Phase.MOD) and not a.answered_id,
        lambda a: Decision(Act.NO_RECORD),
    ),
    (
        "added a second time (another session added it first)",
        lambda a: a.phase == Phase.ADD and bool(a.linked_id) and a.linked_id != a.answered_id,
        lambda a: Decision(
            Act.SECOND_COPY, note="Already in QuickBooks; the second copy QuickBooks made is being deleted."
        ),
    ),
    ("saved", lambda a: a.phase in (Phase.ADD, Phase.MOD), lambda a: Decision(Act.SAVED)),
    (
        "the second copy is deleted",
        lambda a: a.phase == Phase.DELETE_DUPLICATE,
        lambda a: Decision(Act.DONE, note="Deleted the duplicate from QuickBooks."),
    ),
    ("voided", lambda a: a.phase == Phase.VOID, lambda a: Decision(Act.DONE)),
    ("deleted", lambda a: a.phase == Phase.DELETE, lambda a: Decision(Act.UNLINKED)),
    (
        "nothing of that name (after a name in use)",
        lambda a: a.phase == Phase.CLAIM and a.found == 0,
        lambda a: Decision(Act.NAME_USED_ELSEWHERE),
    ),
    (
        # A lost answer to an Add that may have made only links: finding no record of it proves
        # nothing, and adding it again could apply the credit twice; its links are read first.
        "no record after a lost answer, but it may be links only",
        lambda a: a.phase == Phase.VERIFY and a.found == 0 and a.links_only,
        lambda a: Decision(Act.CHECK_LINKS, Phase.LINKS, CHECK_LINKS_NOTE),
    ),
    (
        "not in QuickBooks",
        lambda a: a.phase in LOOKUPS and a.found == 0,
        lambda a: Decision(Act.NOT_FOUND, Phase.ADD, NOT_FOUND_NOTE),
    ),
    ("found in QuickBooks", lambda a: a.phase in LOOKUPS, lambda a: Decision(Act.FOUND)),
    ("re-read after a stale change", lambda a: a.phase == Phase.REFRESH, lambda a: Decision(Act.REFRESHED)),
    ("anything else", lambda a: True, lambda a: Decision(Act.UNEXPECTED_STEP)),
)


def decide(answer: Answer) -> Decision:
    """The decision for one answer: the first rule of ``RULES`` that holds."""
    for _name, holds, decision in RULES:
        if holds(answer):
            return decision(answer)
    raise AssertionError("the last rule holds for every answer")  # pragma: no cover


def rule_for(answer: Answer) -> str:
    """Which rule decides (for tests and logs)."""
    return next(name for name, holds, _ in RULES if holds(answer))
