"""A finance ``Table`` as a file: CSV for machines, CSV for people in Italy, XLSX.

- ``csv``: for programs. ISO dates (Europe/Rome calendar day), UTC timestamps ending in Z,
  money in integer cents, ``,`` separated, UTF-8.
- ``csv_it``: for a spreadsheet set to Italian. ``;`` separated, dd/mm/yyyy, 1.234,56,
  UTF-8 with a BOM so Excel reads the accents.
- ``xlsx``: real dates and numbers (euros, two decimals, thousands separated), a bold header
  and a totals row for money columns; headers in the chosen language.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from openpyxl import Workbook
from openpyxl.styles import Font

from backend.finance.reports import Table
from backend.i18n import ROME
from backend.schema_fields import utc_timestamp

FORMATS = ("csv", "csv_it", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "csv_it": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render(table: Table, fmt: str, language: str) -> bytes:
    if fmt == "csv":
        return _csv_machine(table)
    if fmt == "csv_it":
        return _csv_human(table, language)
    if fmt == "xlsx":
        return _xlsx(table, language)
    raise ValueError(f"unknown format {fmt!r}")


def filename(table: Table, network_code: str, month: str, fmt: str) -> str:
    extension = "xlsx" if fmt == "xlsx" else "csv"
    return f"{network_code}-{month}-{table.name}.{extension}"


def machine_value(column_type: str, value: Any) -> Any:
    """A cell as JSON and the machine CSV carry it."""
    if value is None:
        return None
    if column_type == "date":
        return value.astimezone(ROME).date().isoformat()
    if column_type == "datetime":
        return utc_timestamp(value)
    return value


def _csv_machine(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name + ("_cents" if c.type == "money" else "") for c in table.columns])
    for row in table.rows:
        writer.writerow([machine_value(c.type, v) for c, v in zip(table.columns, row)])
    return out.getvalue().encode()


def _human(column_type: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if column_type == "money":
        return format_decimal(Decimal(value) / 100, format="#,##0.00", locale="it_IT")
    if column_type == "date":
        return value.astimezone(ROME).strftime("%d/%m/%Y")
    if column_type == "datetime":
        return value.astimezone(ROME).strftime("%d/%m/%Y %H:%M")
    if column_type == "int":
        return format_decimal(value, locale="it_IT")
    return str(value)


def _csv_human(table: Table, language: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.label.render(language) for c in table.columns])
    for row in table.rows:
        writer.writerow([_human(c.type, v) for c, v in zip(table.columns, row)])
    return ("\ufeff" + out.getvalue()).encode()


def _xlsx(table: Table, language: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.name[:31]
    sheet.append([table.title.render(language)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([c.label.render(language) for c in table.columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_xlsx_value(c.type, v) for c, v in zip(table.columns, row)])
    money = [i for i, c in enumerate(table.columns) if c.type == "money"]
    if money and table.rows:
        totals: list[Any] = [None] * len(table.columns)
        totals[0] = "Totale" if language == "it" else "Total"
        for i in money:
            totals[i] = Decimal(sum(row[i] or 0 for row in table.rows)) / 100
        sheet.append(totals)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for i, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=2, column=i).column_letter
        fmt = {"money": "#,##0.00", "date": "DD/MM/YYYY", "datetime": "DD/MM/YYYY HH:MM", "int": "#,##0"}.get(
            column.type
        )
        for cell in sheet[letter][2:]:
            if fmt:
                cell.number_format = fmt
        sheet.column_dimensions[letter].width = 14 if column.type != "text" else 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(column_type: str, value: Any) -> Any:
    if value is None:
        return None
    if column_type == "money":
        return Decimal(value) / 100
    if column_type in ("date", "datetime") and isinstance(value, datetime):
        local = value.astimezone(ROME).replace(tzinfo=None)
        return local.date() if column_type == "date" else local
    return value
