"""Watch: store changes fanned out to open streams, with a short history so clients can resume.

A client that lists at resourceVersion N and then watches from N must see every change after N, even
one made between its two requests; the history keeps the last changes for that. A resourceVersion
older than the history answers one ERROR event with a 410 Expired Status, as kube-apiserver does.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Callable, Optional

from labkit.sim.apierrors import bad_request, expired
from labkit.sim.store import Store

Obj = dict[str, Any]
Event = tuple[str, Obj]  # (ADDED | MODIFIED | DELETED | ERROR, object)
Predicate = Callable[[Obj], bool]

#: How many changes the history keeps for resuming watches.
HISTORY = 4096


class Stream:
    """One open watch: the changes to one kind (in one namespace, if given) that pass a filter."""

    def __init__(self, loop: asyncio.AbstractEventLoop, kind: str, namespace: str, matches: Predicate):
        self.queue: asyncio.Queue[Optional[Event]] = asyncio.Queue()
        self._loop = loop
        self._kind = kind
        self._namespace = namespace
        self._matches = matches

    def wants(self, obj: Obj) -> bool:
        if obj.get("kind") != self._kind:
            return False
        if self._namespace and obj["metadata"].get("namespace") != self._namespace:
            return False
        return self._matches(obj)

    def offer(self, event: Event) -> None:
        """Queue the change if it concerns this stream; callable from any thread."""
        if self.wants(event[1]):
            self._loop.call_soon_threadsafe(self.queue.put_nowait, event)

    def end(self) -> None:
        self._loop.call_soon_threadsafe(self.queue.put_nowait, None)


class Watches:
    """Every open watch stream of a server, and the recent history of changes."""

    def __init__(self, store: Store):
        self._history: deque[tuple[int, Event]] = deque(maxlen=HISTORY)
        # Every change after this resourceVersion is in the history.
        self._floor = int(store.resource_version)
        self._streams: set[Stream] = set()
        store.subscribe(self._record)

    def open(self, kind: str, namespace: str, matches: Predicate, *, resource_version: str,
             current: Callable[[], list[Obj]]) -> tuple[Stream, list[Event]]:
        """Open a stream and say what to send first.

        Args:
            kind: The kind watched.
            namespace: The namespace watched, ``""`` for all.
            matches: The selectors' predicate.
            resource_version: ``""`` or ``"0"`` to start with the current objects as ADDED events,
                else the version after which changes are sent.
            current: The current objects of the kind and namespace (called only when needed).

        Raises:
            ApiError: 400 BadRequest for a resourceVersion that is not a number.
        """
        stream = Stream(asyncio.get_running_loop(), kind, namespace, matches)
        self._streams.add(stream)
        if resource_version in ("", "0"):
            return stream, [("ADDED", obj) for obj in current() if stream.wants(obj)]
        if not resource_version.isdigit():
            self.close(stream)
            raise bad_request(f"invalid resourceVersion {resource_version!r}")
        since = int(resource_version)
        if since < self._floor:
            return stream, [("ERROR", expired(resource_version, str(self._floor)).status)]
        return stream, [event for version, event in self._history if version > since and stream.wants(event[1])]

    def close(self, stream: Stream) -> None:
        self._streams.discard(stream)

    def end_all(self) -> None:
        """End every open stream (server shutdown)."""
        for stream in list(self._streams):
            stream.end()

    def _record(self, event_type: str, obj: Obj) -> None:
        if len(self._history) == self._history.maxlen:
            self._floor = self._history[0][0]
        event = (event_type, obj)
        self._history.append((int(obj["metadata"]["resourceVersion"]), event))
        for stream in list(self._streams):
            stream.offer(event)
