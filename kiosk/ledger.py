"""Bringing in a station's existing ledger (台账) of past requests, from a CSV
file or an Excel workbook (.xlsx).

``read_ledger`` maps the file's columns to ticket fields (by the usual
Chinese and English header names, or an explicit mapping), checks every row
and returns the good ones and the refused ones with their line numbers.
``import_rows`` writes the good rows, all in one transaction: each becomes a
ticket with this station's number for its day, and the events that take it
to its ledger status by the state machine's rules. Imported events have the
origin ``import`` (that is how an imported ticket is told apart) and get no
outbox entry, so they are never sent to the central unless ``send`` asks.
A row already imported (the same values) is skipped, so a file can be
imported again after fixing its bad rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import uuid as uuid_module
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from db import database, write_transaction
from kiosk.bulk import deferred_index
from kiosk.catalog import OTHER_ITEM, Catalog, Category, load_catalog
from kiosk.config import Settings
from kiosk.errors import Refused
from kiosk.report_facts import refresh_station
from kiosk.states import RATING_NAMES, STATUS_NAMES, next_status
from kiosk.text import DESCRIPTION_LIMIT, NAME_LIMIT, clean_text
from kiosk.tickets import TOKEN_BYTES, TicketInputError, next_number, normalize_mobile

FIELDS = (
    "created_at",
    "category",
    "item",
    "building",
    "description",
    "contact_name",
    "contact_mobile",
    "status",
    "rating",
)
REQUIRED = ("created_at", "category")
# Header names seen in station ledgers, per field (compared without spaces,
# case-insensitively).
HEADERS: dict[str, tuple[str, ...]] = {
    "created_at": (
        "日期",
        "登记日期",
        "受理日期",
        "受理时间",
        "时间",
        "date",
        "created_at",
    ),
    "category": ("类别", "分类", "事项类别", "诉求类别", "category"),
    "item": ("事项", "具体事项", "item"),
    "building": ("楼栋", "楼号", "地址", "位置", "building", "location"),
    "description": ("内容", "诉求内容", "问题描述", "情况描述", "description"),
    "contact_name": ("姓名", "联系人", "居民姓名", "name", "contact_name"),
    "contact_mobile": ("电话", "手机", "联系电话", "手机号", "mobile", "phone"),
    "status": ("状态", "办理状态", "status"),
    "rating": ("评价", "回访评价", "满意度", "rating"),
}
IMPORT_NAMESPACE = uuid_module.UUID("6f2b8d1e-4c1a-5b7e-9d3f-0a1b2c3d4e5f")
MAPPING_KEY = "import.mapping"
EXCEL_EPOCH = datetime(1899, 12, 30)
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)
IMPORT_NOTE = "台账导入"
XLSX_SUFFIXES = (".xlsx", ".xlsm")
HEADER_ROWS_SEARCHED = 10  # a workbook's header row is among its first rows
Step = tuple[str, dict[str, object]]  # an event: kind, payload


class LedgerError(Refused):
    """The ledger cannot be read at all; the message says why."""


@dataclass(frozen=True)
class LedgerRow:
    line: int
    values: dict[str, str]
    created_at: datetime
    category: Category
    status: str
    rating: str | None
    mobile: str | None

    @property
    def key(self) -> str:
        """The same row imported twice gets the same ticket uuid."""
        text = json.dumps(self.values, ensure_ascii=False, sort_keys=True)
        return str(uuid_module.uuid5(IMPORT_NAMESPACE, text))


@dataclass
class Ledger:
    mapping: dict[str, str]  # field -> column header
    rows: list[LedgerRow] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # line, why
    blank: int = 0


def _plain(header: str) -> str:
    return re.sub(r"\s+", "", header).lower()


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LedgerError(f"cannot read {path}: {error.strerror}") from error
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerError(f"{path} is neither UTF-8 nor GB18030 text")


def _mapping(
    headers: list[str], explicit: dict[str, str], saved: dict[str, str]
) -> dict[str, str]:
    plain = {_plain(header): header for header in headers if header}
    mapping: dict[str, str] = {
        name: plain[_plain(column)]
        for name, column in saved.items()
        if name in FIELDS and _plain(column) in plain
    }
    for name, column in explicit.items():
        if name not in FIELDS:
            raise LedgerError(f"unknown field {name!r}; fields: {', '.join(FIELDS)}")
        if _plain(column) not in plain:
            raise LedgerError(f"the file has no column {column!r}")
        mapping[name] = plain[_plain(column)]
    for name, aliases in HEADERS.items():
        if name in mapping:
            continue
        for alias in aliases:
            if _plain(alias) in plain:
                mapping[name] = plain[_plain(alias)]
                break
    missing = [name for name in REQUIRED if name not in mapping]
    if missing:
        raise LedgerError(
            f"no column for {', '.join(missing)}; map it with --map COLUMN=FIELD "
            f"(the file's columns: {', '.join(h for h in headers if h)})"
        )
    return mapping


def parse_date(text: str) -> datetime:
    """A ledger date: text in the usual forms, or an Excel serial number."""
    value = text.strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", value):
        return EXCEL_EPOCH + timedelta(days=float(value))
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(value, form)
        except ValueError:
            continue
    raise ValueError(f"date {value!r} not understood (e.g. 2025-03-01 or 2025/3/1)")


def _lookup(names: dict[str, tuple[str, str]], text: str, what: str) -> str:
    wanted = _plain(text)
    for code, (name_zh, name_en) in names.items():
        if wanted in (_plain(code), _plain(name_zh), _plain(name_en)):
            return code
    choices = ", ".join(zh for zh, _ in names.values())
    raise ValueError(f"{what} {text!r} unknown; one of: {choices}")


def _category(catalog: Catalog, text: str) -> Category:
    names = {c.code: (c.name, c.name_en) for c in catalog.categories}
    return catalog.category(_lookup(names, text, "category"))


def _row(
    settings: Settings, catalog: Catalog, line: int, values: dict[str, str]
) -> LedgerRow:
    created = parse_date(values["created_at"])
    created_at = (
        created.replace(tzinfo=settings.zone) if created.tzinfo is None else created
    )
    if not values["category"]:
        raise ValueError("no category")
    category = _category(catalog, values["category"])
    status = "received"
    if values.get("status"):
        status = _lookup(STATUS_NAMES, values["status"], "status")
    rating = None
    if values.get("rating"):
        rating = _lookup(RATING_NAMES, values["rating"], "rating")
    if status == "closed" and rating is None:
        raise ValueError("a call-back (已回访) needs its rating (评价)")
    if status == "withdrawn":
        raise ValueError("withdrawn (已撤销) tickets are not imported: no reason given")
    mobile = None
    if values.get("contact_mobile"):
        try:
            mobile = normalize_mobile(values["contact_mobile"])
        except TicketInputError as error:
            raise ValueError(
                f"mobile {values['contact_mobile']!r} is not 11 digits"
            ) from error
    return LedgerRow(line, values, created_at, category, status, rating, mobile)


def read_ledger(
    settings: Settings,
    path: Path,
    explicit: dict[str, str] | None = None,
    catalog: Catalog | None = None,
    saved: dict[str, str] | None = None,
    sheet: str | None = None,
) -> Ledger:
    """The file's rows, checked; LedgerError when it cannot be read at all.

    A ``.xlsx`` workbook is read from ``sheet`` (by its name), else from its
    first sheet that has the ledger's columns; any other file as CSV.
    ``explicit``: field -> column, from the command line; ``saved``: the
    mapping of the last import, used where the file has those columns.
    """
    catalog = catalog or load_catalog()
    explicit = explicit or {}
    saved = saved or {}
    if path.suffix.lower() in XLSX_SUFFIXES:
        mapping, headers, rows = _xlsx_table(path, sheet, explicit, saved)
    else:
        if sheet is not None:
            raise LedgerError(f"{path.name} is CSV: it has no sheets to choose")
        headers, rows = _csv_table(path)
        mapping = _mapping(headers, explicit, saved)
    ledger = Ledger(mapping)
    columns = {name: headers.index(column) for name, column in ledger.mapping.items()}
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            ledger.blank += 1
            continue
        values = {
            name: (cells[index].strip() if index < len(cells) else "")
            for name, index in columns.items()
        }
        try:
            ledger.rows.append(_row(settings, catalog, line, values))
        except (ValueError, KeyError) as error:
            ledger.refused.append((line, str(error).strip("'\"")))
    return ledger


Table = Iterator[tuple[int, list[str]]]  # (line or sheet row, cells)


def _csv_table(path: Path) -> tuple[list[str], Table]:
    reader = csv.reader(io.StringIO(_read_text(path)))
    try:
        headers = [header.replace("\ufeff", "").strip() for header in next(reader)]
    except StopIteration as error:
        raise LedgerError(f"{path} is empty") from error
    except csv.Error as error:
        raise LedgerError(f"{path} is not CSV: {error}") from error

    def rows() -> Table:
        try:
            for cells in reader:
                yield reader.line_num, cells
        except csv.Error as error:
            raise LedgerError(f"{path} line {reader.line_num}: {error}") from error

    return headers, rows()


def _xlsx_table(
    path: Path, sheet: str | None, explicit: dict[str, str], saved: dict[str, str]
) -> tuple[dict[str, str], list[str], Table]:
    """The ledger's sheet as rows of text, merged cells filled in, and the
    header row: the one of the first rows that maps the most fields (a title
    row above it, or a merged group heading over sub-headings, is passed)."""
    # Imported here: only an XLSX import needs openpyxl, never the kiosk's start.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, data_only=True)
    except FileNotFoundError as error:
        raise LedgerError(f"cannot read {path}: no such file") from error
    except OSError as error:
        raise LedgerError(f"cannot read {path}: {error.strerror or error}") from error
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds
        raise LedgerError(
            f"{path.name} is not an Excel workbook (.xlsx) that can be read "
            f"({type(error).__name__}); an old .xls must be saved as .xlsx or CSV"
        ) from error
    names = workbook.sheetnames
    if sheet is not None and sheet not in names:
        raise LedgerError(
            f"{path.name} has no sheet {sheet!r}; its sheets: {', '.join(names)}"
        )
    first_problem: LedgerError | None = None
    for name in [sheet] if sheet is not None else names:
        grid = _sheet_grid(workbook[name])
        try:
            mapping, header_index = _header_row(grid, explicit, saved)
        except LedgerError as problem:
            if sheet is not None:
                raise LedgerError(f"sheet {name!r}: {problem}") from problem
            first_problem = first_problem or problem
            continue
        headers = grid[header_index]
        body = grid[header_index + 1 :]
        start = header_index + 2  # the sheet's own row numbers, from 1
        return (
            mapping,
            headers,
            ((start + offset, cells) for offset, cells in enumerate(body)),
        )
    raise LedgerError(
        f"no sheet of {path.name} has the ledger's columns ({', '.join(names)}); "
        f"choose one with --sheet NAME"
        + (f". First sheet: {first_problem}" if first_problem else "")
    )


def _sheet_grid(worksheet: Any) -> list[list[str]]:
    """Every row of the sheet as text; a merged range's value in each of its
    cells (a category merged down several rows belongs to each of them)."""
    grid = [
        [_cell_text(value) for value in row]
        for row in worksheet.iter_rows(values_only=True)
    ]
    for merged in worksheet.merged_cells.ranges:
        top = grid[merged.min_row - 1][merged.min_col - 1]
        for row in range(merged.min_row - 1, min(merged.max_row, len(grid))):
            cells = grid[row]
            for column in range(merged.min_col - 1, merged.max_col):
                if column < len(cells):
                    cells[column] = top
    return grid


def _header_row(
    grid: list[list[str]], explicit: dict[str, str], saved: dict[str, str]
) -> tuple[dict[str, str], int]:
    best: tuple[int, dict[str, str], int] | None = None
    first_problem: LedgerError | None = None
    for index, cells in enumerate(grid[:HEADER_ROWS_SEARCHED]):
        headers = [cell.strip() for cell in cells]
        if not any(headers):
            continue
        try:
            mapping = _mapping(headers, explicit, saved)
        except LedgerError as problem:
            first_problem = first_problem or problem
            continue
        if best is None or len(mapping) >= best[0]:
            best = (len(mapping), mapping, index)
    if best is None:
        raise first_problem or LedgerError("the sheet is empty")
    return best[1], best[2]


def _cell_text(value: object) -> str:
    """A cell as the ledger's text: dates as ISO text, whole numbers (a
    mobile, an Excel serial date) without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _chain(row: LedgerRow) -> list[tuple[str, dict[str, object]]]:
    """The events after 'received' that take a ticket to the row's status."""
    unit = row.category.unit
    dispatched: Step = ("dispatched", {"unit": unit})
    resolved: Step = ("resolved", {"text": IMPORT_NOTE})
    chains: dict[str, list[Step]] = {
        "received": [],
        "dispatched": [dispatched],
        "acknowledged": [dispatched, ("acknowledged", {"unit": unit})],
        "resolved": [dispatched, resolved],
        "escalated": [dispatched, ("escalated", {"text": IMPORT_NOTE})],
        "closed": [dispatched, resolved, ("callback", {"rating": row.rating})],
    }
    return chains[row.status]


TICKET_SQL = """INSERT INTO ticket (uuid, ticket_no, queue_no, station, day,
    category, item, building, description, contact_name, contact_mobile,
    consent_at, created_at, status, unit, due_at, token, print_state, language)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, 'none', 'zh-CN')"""
EVENT_SQL = """INSERT INTO ticket_event (uuid, ticket_uuid, kind, actor, at,
    payload, origin) VALUES (?, ?, ?, ?, ?, ?, 'import')"""


def import_rows(
    settings: Settings, rows: list[LedgerRow], *, source: str, send: bool = False
) -> tuple[int, int]:
    """Write the rows as tickets; returns (imported, already there).

    Plain SQL, one transaction: peewee's query building cost more than the
    writes themselves.
    """
    station = settings.station.code
    imported = skipped = 0
    written: list[str] = []
    with write_transaction(), deferred_index(database.connection()):
        for row in rows:
            known = database.execute_sql(
                "SELECT 1 FROM ticket WHERE uuid = ?", (row.key,)
            ).fetchone()
            if known is not None:
                skipped += 1
                continue
            _write(station, row, source, send)
            written.append(row.key)
            imported += 1
        refresh_station(written)
    return imported, skipped


def _write(station: str, row: LedgerRow, source: str, send: bool) -> None:
    moment = row.created_at
    at = moment.isoformat()
    day = moment.strftime("%Y-%m-%d")
    serial = next_number(station, day, "ticket")
    queue = next_number(station, day, f"queue:{row.category.letter}")
    category = row.category
    snapshot: dict[str, object] = {
        "ticket_no": f"{station}-{moment:%y%m%d}-{serial:03d}",
        "queue_no": f"{category.letter}{queue:03d}",
        "station": station,
        "category": category.code,
        "item": row.values.get("item") or OTHER_ITEM,
        "building": clean_text(row.values.get("building", ""), 60),
        "description": clean_text(row.values.get("description", ""), DESCRIPTION_LIMIT),
        "contact_name": clean_text(row.values.get("contact_name", ""), NAME_LIMIT)
        or None,
        "contact_mobile": row.mobile,
        "created_at": at,
        "unit": category.unit,
        "due_at": (moment + timedelta(hours=category.resolution_hours)).isoformat(),
        "token": secrets.token_urlsafe(TOKEN_BYTES),
        "language": "zh-CN",
        "imported_from": source,
    }
    events: list[Step] = [("received", snapshot), *_chain(row)]
    status: str | None = None
    for kind, payload in events:
        status = next_status(status, kind, payload)
    database.execute_sql(
        TICKET_SQL,
        (
            row.key,
            snapshot["ticket_no"],
            snapshot["queue_no"],
            station,
            day,
            category.code,
            snapshot["item"],
            snapshot["building"],
            snapshot["description"],
            snapshot["contact_name"],
            row.mobile,
            at,
            status,
            category.unit,
            snapshot["due_at"],
            snapshot["token"],
        ),
    )
    actor = f"import:{source}:{row.line}"
    for kind, payload in events:
        event_uuid = str(uuid_module.uuid4())
        database.execute_sql(
            EVENT_SQL,
            (
                event_uuid,
                row.key,
                kind,
                actor,
                at,
                json.dumps(payload, ensure_ascii=False),
            ),
        )
        if send:
            database.execute_sql(
                "INSERT INTO outbox (event_uuid, created_at) VALUES (?, ?)",
                (event_uuid, at),
            )
