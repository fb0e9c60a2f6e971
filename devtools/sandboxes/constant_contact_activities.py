"""Constant Contact's bulk activities in the sandbox: `contact_delete` and `add_list_memberships`,
queued at once and carried out after a delay, as the vendor's are, and `GET /activities`, the
account's activities of the past 10 days (`vendor-specs/constant-contact-v3-bulk-activities.yml`).

An activity answers 201 `initialized`, shows `processing` when looked at before it is done, and
is carried out (then `completed`) once its delay has passed on the sandbox's clock since it was
created and it has been looked at (polled, or listed) `polls_to_complete` times: then, or at any
later request to the API, since the vendor works whether or not anyone polls. How long the vendor
takes is not documented: the default delay (a choice) is `activity_seconds` (1 s) and one more
second per `items_per_second` (500) contacts, so a full activity of 500 takes 2 s. More than
1,000 activities queued is a 429, as the spec says. The listing is one page of the newest
`limit` activities: its `_links.next` paging is not modelled.
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
LISTS_PER_ACTIVITY = 50  # `ListActivityAddContacts.list_ids`, `ContactDelete.list_ids` maxItems
MAX_QUEUED_ACTIVITIES = 1_000
ACTIVITY_SECONDS = 1.0
ITEMS_PER_SECOND = 500.0
LISTED_FOR_SECONDS = 10 * 86_400.0  # "submitted by the account over the past 10 days"
LISTING_LIMIT = 500  # `GET /activities` `limit` maximum (default 50)
FINISHED = frozenset({"completed", "failed", "cancelled", "timed_out"})
LISTING_STATES = frozenset({"processing", "completed", "cancelled", "failed", "timed_out"})
# The sources of `add_list_memberships` (mutually exclusive); only `contact_ids` is modelled.
_SOURCES = frozenset(
    {"contact_ids", "list_ids", "all_active_contacts", "tag_ids", "engagement_level", "segment_id"}
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
    seconds: float  # its delay
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
        items_per_second: float = ITEMS_PER_SECOND,
    ) -> None:
        self.polls_to_complete = polls_to_complete
        self.activity_seconds = activity_seconds
        self.items_per_second = items_per_second  # 0: the delay does not grow with the size
        self._clock = clock
        self._timestamp = timestamp
        self._errors = errors
        self._delete = delete
        self._add_lists = add_lists
        self._shown: dict[str, dict[str, Any]] = {}  # insertion order is creation order
        self._work: dict[str, _Work] = {}

    # -- routes --------------------------------------------------------------------------------

    def create_delete(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """`POST /activities/contact_delete` with `contact_ids` (1 to 500); `list_ids` is
        mutually exclusive with it, and not modelled on its own (answered 400 here)."""
        body = _json(request)
        if not isinstance(body, dict):
            return self._invalid("body must be an object")
        unknown = sorted(set(body) - {"contact_ids", "list_ids"})
        if unknown:
            return self._invalid(f"unknown fields: {unknown}")
        if "contact_ids" in body and "list_ids" in body:
            return self._invalid("contact_ids and list_ids are mutually exclusive")
        if "list_ids" in body:
            return self._invalid("sandbox: deleting by list_ids is not modelled")
        contact_ids = body.get("contact_ids")
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
        if not isinstance(source, dict) or not set(source) <= _SOURCES:
            return self._invalid("source must name the contacts to add")
        if len(source) > 1:
            return self._invalid(f"source properties are mutually exclusive: {sorted(source)}")
        if set(source) != {"contact_ids"} or "exclude" in body:
            return self._invalid("sandbox: sources other than contact_ids are not modelled")
        contact_ids = source["contact_ids"]
        if not _ids(contact_ids):
            return self._invalid("source.contact_ids is required")
        if len(contact_ids) > BULK_CONTACTS_LIMIT:
            return self._invalid(f"at most {BULK_CONTACTS_LIMIT} source.contact_ids")
        return self._queue("add_list_memberships", contact_ids, list_ids)

    def poll(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """`GET /activities/{activity_id}`: the activity's status, counting this poll."""
        activity_id = params["activity_id"]
        if activity_id not in self._shown:
            return self._errors(404, "activities.api.not_found", "Activity not found")
        return json_response(200, self._look_at(activity_id))

    def listing(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        """`GET /activities?limit=&state=`: the newest `limit` (1 to 500, default 50) of the
        past 10 days, in one `state` if asked; each one listed counts as looked at."""
        query = request.url.params
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            limit = 0
        if not 1 <= limit <= LISTING_LIMIT:
            return self._invalid(f"limit must be 1-{LISTING_LIMIT}")
        state = query.get("state")
        if state is not None and state not in LISTING_STATES:
            return self._invalid(f"state must be one of {sorted(LISTING_STATES)}")
        since = self._clock() - LISTED_FOR_SECONDS
        listed = []
        for activity_id in reversed(self._shown):
            current = self._shown[activity_id]["state"]
            if self._work[activity_id].created < since or state not in (None, _listed_as(current)):
                continue
            listed.append(self._look_at(activity_id))
            if len(listed) == limit:
                break
        return json_response(200, {"activities": listed})

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
        per_item = len(contact_ids) / self.items_per_second if self.items_per_second > 0 else 0.0
        self._shown[activity_id] = shown
        self._work[activity_id] = _Work(
            kind,
            list(contact_ids),
            list(list_ids),
            created=self._clock(),
            seconds=self.activity_seconds + per_item,
        )
        return json_response(201, copy.deepcopy(shown))

    def _look_at(self, activity_id: str) -> dict[str, Any]:
        """The activity as a poll or a listing shows it, counting the look."""
        shown = self._shown[activity_id]
        if shown["state"] not in FINISHED:
            work = self._work[activity_id]
            work.polls += 1
            if not self._finish_if_due(activity_id):
                elapsed = self._clock() - work.created
                share = elapsed / work.seconds if work.seconds > 0 else 0.0
                now = self._timestamp()
                shown.setdefault("started_at", now)
                shown.update(
                    state="processing", updated_at=now, percent_done=min(99, int(100 * share))
                )
        return copy.deepcopy(shown)

    def _finish_if_due(self, activity_id: str) -> bool:
        work = self._work[activity_id]
        due = self._clock() - work.created >= work.seconds and work.polls >= self.polls_to_complete
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


def _listed_as(state: str) -> str:
    """The `state` filter an activity answers to: one not yet started counts as processing
    (the filter has no `initialized`)."""
    return state if state in FINISHED else "processing"


def _json(request: httpx.Request) -> object:
    try:
        body: object = json.loads(request.content)
    except ValueError:
        return None
    return body


def _ids(value: object) -> bool:
    """A non-empty array of strings."""
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)
