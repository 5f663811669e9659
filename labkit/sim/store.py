"""The simulated world's state: Kubernetes objects, ARM resources and pod logs, kept in SQLite.

One server process owns the database (:mod:`labkit.sim.state_lock`); every client (kernels, kubectl, tests)
reaches the state through the server, and a restart reloads it. Reads come from an in-memory copy; every
write goes through to SQLite at once. A database that cannot be read at start is :class:`UnreadableState`;
one that fails, or is truncated or replaced under a running server, is :class:`StateLost`.
"""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

Obj = dict[str, Any]
Key = tuple[str, str, str]  # (kind, namespace or "", name)
Listener = Callable[[str, Obj], None]


class Conflict(Exception):
    """The object already exists."""


class NotFound(Exception):
    """The object does not exist."""


class UnreadableState(Exception):
    """The saved state cannot be read; the message names the file and the reason."""


class StateLost(Exception):
    """The state database can no longer be written, or is no longer the one this store opened."""


#: The first bytes of every SQLite database file.
_SQLITE_HEADER = b"SQLite format 3\x00"


def rfc3339(epoch: Optional[float] = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if epoch is None else epoch))


class Store:
    """Kubernetes objects by (kind, namespace, name), ARM resources by id, and small settings."""

    def __init__(self, path: Path):
        """Open (or create) the database at ``path`` and load it.

        Raises:
            UnreadableState: the file is not a database this store can read.
        """
        self.path = path
        try:
            self._open()
        except (sqlite3.Error, ValueError, OSError) as error:
            raise UnreadableState(f"{path.name}: {error}") from None
        self._listeners: list[Listener] = []

    def _open(self) -> None:
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS kube (kind TEXT, namespace TEXT, name TEXT, body TEXT,
                                             PRIMARY KEY (kind, namespace, name));
            CREATE TABLE IF NOT EXISTS arm (id TEXT PRIMARY KEY, body TEXT);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE IF NOT EXISTS logs (namespace TEXT, pod TEXT, text TEXT, PRIMARY KEY (namespace, pod));
            """
        )
        self._kube: dict[Key, Obj] = {
            (k, ns, n): json.loads(b) for k, ns, n, b in self._db.execute("SELECT kind, namespace, name, body FROM kube")
        }
        self._arm: dict[str, Obj] = {i: json.loads(b) for i, b in self._db.execute("SELECT id, body FROM arm")}
        self._rv = int(self.meta_get("resourceVersion", "1000"))
        self._inode = os.stat(self.path).st_ino

    def close(self) -> None:
        self._db.close()

    def damage(self) -> str:
        """What happened to the database file under this store ("" while it is intact)."""
        try:
            if os.stat(self.path).st_ino != self._inode:
                return f"{self.path} was replaced by another file"
            with open(self.path, "rb") as handle:
                header = handle.read(len(_SQLITE_HEADER))
        except OSError as error:
            return f"{self.path} is gone ({error.strerror})"
        return "" if header == _SQLITE_HEADER else f"{self.path} was truncated or overwritten"

    def _execute(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as error:
            raise StateLost(f"{self.path} can no longer be written: {error}") from None

    # --- Kubernetes objects -----------------------------------------------------------------------

    def get(self, kind: str, namespace: str, name: str) -> Optional[Obj]:
        """A copy of the object, or None."""
        obj = self._kube.get((kind, namespace or "", name))
        return copy.deepcopy(obj) if obj is not None else None

    def peek(self, kind: str, namespace: str, name: str) -> Optional[Obj]:
        """The stored object itself (no copy), or None, for controllers that only read."""
        return self._kube.get((kind, namespace or "", name))

    def list(self, kind: str, namespace: Optional[str] = None) -> list[Obj]:
        """Copies of every object of a kind, in one namespace or all, ordered by namespace and name."""
        keys = sorted(k for k in self._kube if k[0] == kind and (namespace is None or k[1] == namespace))
        return [copy.deepcopy(self._kube[k]) for k in keys]

    def iter(self, kind: str) -> Iterator[Obj]:
        """The stored objects themselves (no copies), for controllers that only read."""
        return iter([o for k, o in self._kube.items() if k[0] == kind])

    def create(self, obj: Obj) -> Obj:
        """Store a new object, filling uid, resourceVersion, creationTimestamp and generation."""
        key = _key(obj)
        if key in self._kube:
            raise Conflict(key)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", rfc3339())
        if "spec" in obj and obj.get("kind") not in ("Pod", "Node", "Namespace"):
            meta["generation"] = 1
        self._write(key, obj, "ADDED")
        return copy.deepcopy(obj)

    def update(self, obj: Obj) -> Obj:
        """Replace an existing object; bumps generation when its spec changed."""
        key = _key(obj)
        old = self._kube.get(key)
        if old is None:
            raise NotFound(key)
        meta = obj["metadata"]
        for field in ("uid", "creationTimestamp"):
            meta[field] = old["metadata"][field]
        if "generation" in old["metadata"]:
            changed = obj.get("spec") != old.get("spec")
            meta["generation"] = old["metadata"]["generation"] + (1 if changed else 0)
        if _same(old, obj):
            return copy.deepcopy(old)
        self._write(key, obj, "MODIFIED")
        return copy.deepcopy(obj)

    def delete(self, kind: str, namespace: str, name: str) -> Obj:
        """Remove an object; returns it as it was last seen."""
        key = (kind, namespace or "", name)
        obj = self._kube.pop(key, None)
        if obj is None:
            raise NotFound(key)
        self._execute("DELETE FROM kube WHERE kind=? AND namespace=? AND name=?", key)
        if kind == "Pod":
            self._execute("DELETE FROM logs WHERE namespace=? AND pod=?", key[1:])
        obj["metadata"]["resourceVersion"] = self._next_rv()
        self._notify("DELETED", obj)
        return copy.deepcopy(obj)

    @property
    def resource_version(self) -> str:
        return str(self._rv)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event_type, obj)`` on every change; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _write(self, key: Key, obj: Obj, event: str) -> None:
        obj["metadata"]["resourceVersion"] = self._next_rv()
        self._kube[key] = obj
        self._execute("INSERT OR REPLACE INTO kube VALUES (?, ?, ?, ?)", (*key, json.dumps(obj)))
        self._notify(event, obj)

    def _next_rv(self) -> str:
        self._rv += 1
        self.meta_set("resourceVersion", str(self._rv))
        return str(self._rv)

    def _notify(self, event: str, obj: Obj) -> None:
        for listener in list(self._listeners):
            listener(event, copy.deepcopy(obj))

    # --- pod logs -------------------------------------------------------------------------------

    def append_log(self, namespace: str, pod: str, text: str) -> None:
        old = self.log(namespace, pod)
        self._execute("INSERT OR REPLACE INTO logs VALUES (?, ?, ?)", (namespace, pod, old + text))

    def log(self, namespace: str, pod: str) -> str:
        row = self._execute("SELECT text FROM logs WHERE namespace=? AND pod=?", (namespace, pod)).fetchone()
        return row[0] if row else ""

    # --- ARM resources (ids compared case-insensitively, as ARM does) -----------------------------

    def arm_get(self, resource_id: str) -> Optional[Obj]:
        obj = self._arm.get(resource_id.lower())
        return copy.deepcopy(obj) if obj is not None else None

    def arm_put(self, resource_id: str, body: Obj) -> Obj:
        self._arm[resource_id.lower()] = copy.deepcopy(body)
        self._execute("INSERT OR REPLACE INTO arm VALUES (?, ?)", (resource_id.lower(), json.dumps(body)))
        return body

    def arm_delete(self, resource_id: str) -> Optional[Obj]:
        self._execute("DELETE FROM arm WHERE id=?", (resource_id.lower(),))
        return self._arm.pop(resource_id.lower(), None)

    def arm_list(self, prefix: str) -> list[Obj]:
        """Resources whose id starts with ``prefix`` (a collection path ending in '/'), by id."""
        prefix = prefix.lower()
        return [copy.deepcopy(self._arm[i]) for i in sorted(self._arm) if i.startswith(prefix) and "/" not in i[len(prefix):]]

    # --- settings -----------------------------------------------------------------------------------

    def meta_get(self, key: str, default: str = "") -> str:
        row = self._execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def meta_set(self, key: str, value: str) -> None:
        self._execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _key(obj: Obj) -> Key:
    meta = obj["metadata"]
    return obj["kind"], meta.get("namespace") or "", meta["name"]


def _same(old: Obj, new: Obj) -> bool:
    """Equal but for resourceVersion: such an update is a no-op and makes no event."""
    strip = lambda o: {**o, "metadata": {k: v for k, v in o["metadata"].items() if k != "resourceVersion"}}  # noqa: E731
    return strip(old) == strip(new)
