"""Which items of a manifest come first: de-duplication in bounded memory, on the instance's disk.

A manifest may name an item many times; it is cancelled and reported once, where it is first written. The store
maps each item's dedupe key (as a 128-bit BLAKE2b digest: a fixed 16 bytes however long the URL) to the ordinal of
its first line, in SQLite (stdlib) under the instance's writable temporary directory (``/tmp`` on FC). Memory stays
SQLite's page cache whatever the manifest's size.

What the store holds is a function of the manifest alone: the first occurrence of every key among the lines read so
far. So it needs no checkpoint of its own: an invocation that finds the store of the same manifest (a warm instance
continuing its own work) goes on from it; one that does not rebuilds it from the manifest's lines before its
resume position. A write interrupted by a crash leaves a marker file, and such a store is rebuilt rather than
trusted (the database is written without a journal, which is what makes it fast).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from lib import logs

__all__ = ["SeenStore", "ordinal"]

_DIRECTORY = "vod-cancel-dedupe"
_STALE_AFTER_S = 24 * 3600
_CACHE_KIB = 4096


class Filled(NamedTuple):
    """How far the store has been filled: the position after the last line whose key is in it."""

    manifest: int
    offset: int
    line: int


def ordinal(manifest: int, line: int) -> int:
    """A line's place in the whole delivery (manifests in order, lines in order)."""
    return (manifest << 40) | line


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class SeenStore:
    """First occurrences of item keys for one delivery's manifests (``identity`` names their exact versions)."""

    def __init__(self, path: Path | None, identity: str) -> None:
        self.path = path
        self.identity = identity
        self._marker = path.with_suffix(".writing") if path is not None else None
        self._db = self._connect()

    @classmethod
    def for_identity(cls, identity: str) -> SeenStore:
        """The store of this delivery in the temporary directory (in memory when that is not writable)."""
        name = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        directory = Path(tempfile.gettempdir()) / _DIRECTORY
        try:
            directory.mkdir(parents=True, exist_ok=True)
            _remove_stale(directory)
            return cls(directory / f"{name}.sqlite", identity)
        except (OSError, sqlite3.Error) as error:
            logs.warning("no writable temporary directory: de-duplicating in memory", error=str(error))
            return cls(None, identity)

    def _connect(self) -> sqlite3.Connection:
        if self.path is not None and self._marker is not None and self._marker.exists():
            self._discard()  # a writer died mid-transaction: rebuild rather than trust it
        try:
            return self._open()
        except sqlite3.DatabaseError:
            self._discard()
            return self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path) if self.path is not None else ":memory:", isolation_level=None)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
        db.execute("CREATE TABLE IF NOT EXISTS seen (k BLOB PRIMARY KEY, pos INTEGER NOT NULL) WITHOUT ROWID")
        db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = db.execute("SELECT value FROM meta WHERE name = 'identity'").fetchone()
        if row is None:
            db.execute("INSERT INTO meta VALUES ('identity', ?)", (self.identity,))
        elif row[0] != self.identity:  # a hash collision of file names: never share
            db.close()
            raise sqlite3.DatabaseError("store of another delivery")
        return db

    def _discard(self) -> None:
        assert self.path is not None and self._marker is not None
        for path in (self.path, self._marker):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    @property
    def filled(self) -> Filled | None:
        """Where the lines whose keys are in the store end (None: nothing read yet)."""
        row = self._db.execute("SELECT value FROM meta WHERE name = 'filled'").fetchone()
        if row is None:
            return None
        manifest, offset, line = (int(part) for part in row[0].split(":"))
        return Filled(manifest, offset, line)

    def first_occurrences(self, keys: Sequence[tuple[str, int]], filled: Filled) -> list[bool]:
        """For each (dedupe key, ordinal), in order: whether it is the key's first occurrence in the manifests.

        The keys are added to the store (with their ordinals) and ``filled`` recorded, in one transaction.
        """
        rows = [(_digest(key), position) for key, position in keys]
        if self._write(rows, filled) == len(rows):  # every key new: the common case, one statement
            return [True] * len(rows)
        lookup = self._db.execute
        return [lookup("SELECT pos FROM seen WHERE k = ?", (key,)).fetchone()[0] == pos for key, pos in rows]

    def _write(self, rows: list[tuple[bytes, int]], filled: Filled) -> int:
        """Insert the rows that are new and record ``filled``; returns how many rows were new."""
        if self._marker is not None:
            self._marker.touch()
        self._db.execute("BEGIN")
        try:
            before = self._db.total_changes
            self._db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", rows)
            inserted = self._db.total_changes - before
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('filled', ?)",
                (f"{filled.manifest}:{filled.offset}:{filled.line}",),
            )
            self._db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        if self._marker is not None:
            self._marker.unlink()
        return inserted

    def close(self, *, delete: bool = False) -> None:
        """Close; ``delete`` when the delivery is finished (nobody will continue from it)."""
        self._db.close()
        if delete and self.path is not None:
            self._discard()


def _remove_stale(directory: Path) -> None:
    """Stores of deliveries nobody continued for a day (their instance outlived them)."""
    cutoff = time.time() - _STALE_AFTER_S
    for path in directory.glob("*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
