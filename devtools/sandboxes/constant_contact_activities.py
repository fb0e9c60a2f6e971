"""Constant Contact's bulk activities in the sandbox: `contact_delete` and `add_list_memberships`,
queued at once and carried out after a delay, as the vendor's are (`vendor-specs/
constant-contact-v3-bulk-activities.yml`).

An activity answers 201 `initialized`, shows `processing` when polled before it is done, and is
carried out (then `completed`) once `activity_seconds` have passed on the sandbox's clock since it
was created and it has been polled `polls_to_complete` times: at that poll, or at any later request
to the API, since the vendor works whether or not anyone polls. How long the vendor takes is not
documented: the defaults (2 s, no poll needed) are a choice. More than 1,000 activities queued is a
429, as the spec says.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from devtools.sandboxes.base import json_response

BULK_CONTACTS_LIMIT = 500  # `contact_ids` maxItems, for a delete as for adding to lists
LISTS_PER_ACTIVITY = 50  # `ListActivityAddContacts.list_ids` maxItems
MAX_QUEUED_ACTIVITIES = 1_000
ACTIVITY_SECONDS = 2.0
FINISHED = frozenset({"completed", "failed", "cancelled", "timed_out"})
# The sources of `add_list_memberships` besides `contact_ids` (mutually exclusive with it).
_OTHER_SOURCES = frozenset(
    {"list_ids", "all_active_contacts", "tag_ids", "engagement_level", "segment_id"}
)

type Errors = Callable[[int, str, str], httpx.Response]
# One contact's part of an activity: None when done, else the activity error to report.
type ContactWork = Callable[[str], str | None]


@dataclass
class _Work:
    """What an activity does, beside what the API shows of it."""

    kind: Literal["contact_delete", "add_list_memberships"]
    contact_ids: list[str]
    list_ids: list[str]
    created: float
    polls: int = 0


class Activities:
    """The account's bulk activities, carried out on the sandbox's contacts through `delete`
    and `add_lists` (each answers None when done, else the activity error to report)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        timestamp: Callable[[], str],
        errors: Errors,
        delete: ContactWork,
        add_lists: Callable[[str, list[str]], str | None],
        polls_to_complete: int = 0,
        activity_seconds: float = ACTIVITY_SECONDS,
    ) -> None:
        self.polls_to_complete = polls_to_complete
        self.activity_seconds = activity_seconds
        self._clock = clock
        self._timestamp = timestamp
        self._errors = errors
        self._delete = delete
        self._add_lists = add_lists
        self._shown: dict[str, dict[str, Any]] = {}
        self._work: dict[str, _Work] = {}

    # -- routes --------------------------------------------------------------------------------

    def create_delete(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """`POST /activities/contact_delete` with `contact_ids` (1 to 500)."""
        body = _json(request)
        contact_ids = body.get("contact_ids") if isinstance(body, dict) else None
        if not _ids(contact_ids):
            return self._invalid("contact_ids is required")
        assert isinstance(contact_ids, list)
        if len(contact_ids) > BULK_CONTACTS_LIMIT:
            return self._invalid(f"at most {BULK_CONTACTS_LIMIT} contact_ids per activity")
        return self._queue("contact_delete", contact_ids, [])

    def create_add_lists(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """`POST /activities/add_list_memberships` with `source.contact_ids` (1 to 500) and
        `list_ids` (1 to 50). The other sources are not modelled (answered 400 here)."""
        body = _json(request)
        if not isinstance(body, dict):
            return self._invalid("body must be an object")
        unknown = sorted(set(body) - {"source", "list_ids", "exclude"})
        if unknown:
            return self._invalid(f"unknown fields: {unknown}")
        source, list_ids = body.get("source"), body.get("list_ids")
        if not _ids(list_ids):
            return self._invalid("list_ids is required")
        assert isinstance(list_ids, list)
        if len(list_ids) > LISTS_PER_ACTIVITY:
            return self._invalid(f"at most {LISTS_PER_ACTIVITY} list_ids per activity")
        if not isinstance(source, dict) or set(source) & _OTHER_SOURCES or "exclude" in body:
            return self._invalid("sandbox: sources other than contact_ids are not modelled")
        contact_ids = source.get("contact_ids")
        if not _ids(contact_ids) or set(source) != {"contact_ids"}:
            return self._invalid("source.contact_ids is required")
        assert isinstance(contact_ids, list)
        if len(contact_ids) > BULK_CONTACTS_LIMIT:
            return self._invalid(f"at most {BULK_CONTACTS_LIMIT} source.contact_ids")
        return self._queue("add_list_memberships", contact_ids, list_ids)

    def poll(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """`GET /activities/{activity_id}`: the activity's status, counting this poll."""
        activity_id = params["activity_id"]
        shown = self._shown.get(activity_id)
        if shown is None:
            return self._errors(404, "activities.api.not_found", "Activity not found")
        if shown["state"] not in FINISHED:
            self._work[activity_id].polls += 1
            if not self._finish_if_due(activity_id):
                elapsed = self._clock() - self._work[activity_id].created
                share = elapsed / self.activity_seconds if self.activity_seconds > 0 else 0.0
                now = self._timestamp()
                shown.setdefault("started_at", now)
                shown.update(
                    state="processing", updated_at=now, percent_done=min(99, int(100 * share))
                )
        return json_response(200, copy.deepcopy(shown))

    def advance(self) -> None:
        """Carry out every activity that is due: the vendor does not wait to be polled."""
        for activity_id, shown in self._shown.items():
            if shown["state"] not in FINISHED:
                self._finish_if_due(activity_id)

    # -- state ---------------------------------------------------------------------------------

    def _queue(
        self,
        kind: Literal["contact_delete", "add_list_memberships"],
        contact_ids: list[str],
        list_ids: list[str],
    ) -> httpx.Response:
        queued = sum(1 for shown in self._shown.values() if shown["state"] not in FINISHED)
        if queued >= MAX_QUEUED_ACTIVITIES:
            return self._errors(429, "too_many_activities", "more than 1,000 activities queued")
        now = self._timestamp()
        activity_id = str(uuid.uuid4())
        status: dict[str, int] = {"items_total_count": len(contact_ids), "items_completed_count": 0}
        if list_ids:
            status["list_count"] = len(list_ids)
        shown: dict[str, Any] = {
            "activity_id": activity_id,
            "state": "initialized",
            "created_at": now,
            "updated_at": now,
            "percent_done": 0,
            "activity_errors": [],
            "status": status,
            "_links": {"self": {"href": f"/v3/activities/{activity_id}"}},
        }
        self._shown[activity_id] = shown
        self._work[activity_id] = _Work(kind, list(contact_ids), list(list_ids), self._clock())
        return json_response(201, copy.deepcopy(shown))

    def _finish_if_due(self, activity_id: str) -> bool:
        work = self._work[activity_id]
        due = (
            self._clock() - work.created >= self.activity_seconds
            and work.polls >= self.polls_to_complete
        )
        if not due:
            return False
        shown = self._shown[activity_id]
        done = 0
        for contact_id in work.contact_ids:
            if work.kind == "contact_delete":
                problem = self._delete(contact_id)
            else:
                problem = self._add_lists(contact_id, work.list_ids)
            if problem is None:
                done += 1
            else:
                shown["activity_errors"].append(problem)
        now = self._timestamp()
        shown.setdefault("started_at", now)
        shown.update(state="completed", completed_at=now, updated_at=now, percent_done=100)
        shown["status"]["items_completed_count"] = done
        return True

    def _invalid(self, message: str) -> httpx.Response:
        return self._errors(400, "contacts.api.validation.error", message)


def _json(request: httpx.Request) -> object:
    try:
        body: object = json.loads(request.content)
    except ValueError:
        return None
    return body


def _ids(value: object) -> bool:
    """A non-empty array of strings."""
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)
