"""Results as data: the ``--json`` document and the ``--out`` files (every item, one row each)."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from vodcancel.errors import CliError
from vodcancel.results import ItemResult, RequestResults

CSV_FIELDS = ("item", "outcome", "job_ids", "status", "code", "message")


def _row(item: ItemResult) -> dict[str, Any]:
    return {**asdict(item), "job_ids": list(item.job_ids)}


def results_document(results: RequestResults) -> dict[str, Any]:
    """The request's head (ids, counts) and every item; a rejected request carries its ``Error`` instead."""
    head = results.head
    document: dict[str, Any] = {
        "DedupeKey": results.dedupe_key,
        "RequestId": head.get("RequestId", ""),
        "Source": head.get("Source", ""),
    }
    if results.rejection is not None:
        return {**document, "Error": results.rejection["Error"]}
    document.update(Counts=results.counts, Items=[_row(item) for item in results.items()])
    if isinstance(head.get("Error"), dict):  # the manifest could not be read to its end
        document["Error"] = head["Error"]
    return document


def check_out_path(path: Path | None) -> None:
    """Refuse an ``--out`` of unknown format before anything is sent."""
    if path is not None and path.suffix.lower() not in (".json", ".csv"):
        raise CliError(f"--out {path}: unknown format {path.suffix or '(none)'}", "name the file *.json or *.csv")


def write_items(path: Path, results: RequestResults) -> int:
    """Write every item to ``path`` (``.json``: the results document; ``.csv``: one row an item)."""
    check_out_path(path)
    suffix = path.suffix.lower()
    items = results.items()
    try:
        if suffix == ".json":
            text = json.dumps(results_document(results), ensure_ascii=False, indent=2) + "\n"
            path.write_text(text, encoding="utf-8")
        else:
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
                writer.writeheader()
                for item in items:
                    writer.writerow({**_row(item), "job_ids": ";".join(item.job_ids)})
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}", "choose another --out path") from None
    return len(items)
