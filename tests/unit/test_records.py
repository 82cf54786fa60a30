"""Stored JSON columns read back the same, whichever encoder wrote them."""

from __future__ import annotations

import json
import math
import sqlite3

from supportflow.store.records import MessageRecord


def _row(metadata: str) -> sqlite3.Row:
    """A messages row as SQLite hands it to the store."""
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    row: sqlite3.Row = connection.execute(
        "SELECT 'r1' AS room_id, 3 AS seq, 'bot' AS sender_type, 'supportflow-bot' AS sender_id,"
        " 'Hello' AS body, NULL AS client_msg_id, ? AS metadata,"
        " '2026-12-07T10:00:00.000Z' AS created_at, 'all' AS visibility",
        (metadata,),
    ).fetchone()
    connection.close()
    return row


def test_metadata_reads_back_as_written() -> None:
    metadata = {"confidence": 0.83, "sources": [{"id": "voicemail", "score": 0.71}], "act": None}
    record = MessageRecord.from_row(_row(json.dumps(metadata)))
    assert record.metadata == metadata


def test_a_row_written_with_nan_still_reads() -> None:
    # json.dumps writes NaN, which orjson (the fast reader) refuses: such rows must not
    # make a room's history unreadable.
    record = MessageRecord.from_row(_row(json.dumps({"confidence": float("nan")})))
    assert math.isnan(record.metadata["confidence"])
