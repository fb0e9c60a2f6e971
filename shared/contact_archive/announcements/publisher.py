"""Publishing announcements on the service's EventBridge bus: the only EventBridge code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

SOURCE = "contact-archive"  # the `source` of every event the service puts on its bus
PUT_EVENTS_LIMIT = 10  # entries per PutEvents call


@dataclass(frozen=True)
class Announcement:
    """One event for the bus: its detail type and its detail (JSON-ready)."""

    detail_type: str
    detail: dict[str, Any]


class Publisher(Protocol):
    """What announces: `EventPublisher` deployed, a fake in tests."""

    def publish(self, announcements: list[Announcement]) -> None: ...


class EventPublishFailed(Exception):
    """Some entries were refused: the caller's retry (the stream's) publishes again."""


class EventPublisher:
    def __init__(self, client: EventBridgeClient, bus_name: str) -> None:
        self._client = client
        self._bus_name = bus_name

    def publish(self, announcements: list[Announcement]) -> None:
        for start in range(0, len(announcements), PUT_EVENTS_LIMIT):
            batch = announcements[start : start + PUT_EVENTS_LIMIT]
            response = self._client.put_events(
                Entries=[
                    {
                        "EventBusName": self._bus_name,
                        "Source": SOURCE,
                        "DetailType": announcement.detail_type,
                        "Detail": json.dumps(announcement.detail, separators=(",", ":")),
                    }
                    for announcement in batch
                ]
            )
            if response.get("FailedEntryCount"):
                codes = sorted({entry.get("ErrorCode", "?") for entry in response["Entries"]})
                raise EventPublishFailed(f"EventBridge refused entries: {codes}")
