"""One export path for the back office and the command line: filters → recorded rows → file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from quiz.auth import Scope
from quiz.conversions import render
from quiz.exports import iter_csv, write_xlsx
from quiz.models import ExportRecord
from quiz.queries import LeadFilters, conversions, export_ids, export_rows
from quiz.services.leadwork import record_conversions_download, record_export

FORMATS = ("csv", "xlsx")


@dataclass
class Export:
    """A recorded export: its record and the rows it covers, ready to be written."""

    record: ExportRecord

    def rows(self) -> Iterator[dict[str, Any]]:
        """Yield the export's rows from the recorded lead set."""
        return export_rows(self.record.id)

    def csv_chunks(self) -> Iterator[str]:
        """Yield the CSV text in chunks."""
        return iter_csv(self.rows())

    def xlsx_file(self, directory: str | None = None) -> str:
        """Write the XLSX to a new temporary file and return its path (the caller removes it)."""
        fd, path = tempfile.mkstemp(suffix=".xlsx", dir=directory)
        os.close(fd)
        try:
            write_xlsx(self.rows(), path)
        except BaseException:
            os.unlink(path)
            raise
        return path


def start_export(
    scope: Scope,
    filters: LeadFilters,
    *,
    fmt: str,
    actor: str,
    user_id: int | None,
    since: date | None = None,
) -> Export:
    """Record who exports which leads (exactly the filtered set) and return the export."""
    assert fmt in FORMATS
    described = filters.describe()
    if since is not None:
        described["since"] = since.isoformat()
    record = record_export(
        export_ids(scope, filters, since),
        actor=actor,
        user_id=user_id,
        fmt=fmt,
        filters=described,
    )
    return Export(record)


def conversions_file(
    scope: Scope,
    platform: str,
    *,
    status: str = "booked",
    clinic: str | None = None,
    since: date | None = None,
    actor: str,
) -> tuple[str, int]:
    """Return an ad platform's offline-conversions file and its row count, audited."""
    items = conversions(scope, platform, status=status, clinic=clinic, since=since)
    filters = {"status": status}
    if clinic:
        filters["clinic"] = clinic
    if since:
        filters["since"] = since.isoformat()
    record_conversions_download(actor, platform, filters, len(items))
    return render(platform, items), len(items)
