"""Lay the weekly CBHI counts out the many ways RSSB's files really arrive.

Every shape here is one the contract accepts: CSV with `,` or with `;` and a BOM (an Excel
export on a French-locale PC), XLSX with title rows above the header, alias headers, day-first
dates, district names in capitals or with "District", optional columns present or not, and a
national total row in some files. The mix is drawn from the seed, so it is reproducible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tpn_metrics.reference import District
from tpn_metrics.sample.cbhi import WeeklyRow
from tpn_metrics.sample.writers import Cell, write_csv, write_xlsx

CSV = "csv"
CSV_SEMICOLON = "csv_semicolon"
XLSX = "xlsx"
HOUSEHOLDS = "households_paid"
AMOUNT = "amount_collected_rwf"
COVERAGE = "coverage_rate"
COLUMNS = (
    "report_date",
    "district",
    "target_population",
    "members_paid",
    HOUSEHOLDS,
    AMOUNT,
    COVERAGE,
)
HEADER_STYLES: dict[str, dict[str, str]] = {
    "canonical": {c: c for c in COLUMNS},
    "alias": {
        "report_date": "week_ending",
        "district": "akarere",
        "target_population": "expected_members",
        "members_paid": "paid_members",
        HOUSEHOLDS: "paid_households",
        AMOUNT: "amount",
        COVERAGE: "coverage_pct",
    },
    "titled": {
        "report_date": "Reporting Date",
        "district": "District Name",
        "target_population": "Population Target",
        "members_paid": "Enrolled Members",
        HOUSEHOLDS: "Households",
        AMOUNT: "Collected Amount",
        COVERAGE: "Enrollment Rate",
    },
}
OPTIONAL_SETS: tuple[tuple[str, ...], ...] = (
    (HOUSEHOLDS, AMOUNT, COVERAGE),
    (HOUSEHOLDS, AMOUNT),
    (COVERAGE,),
    (),
)
OPTIONAL_WEIGHTS = (0.5, 0.2, 0.15, 0.15)
TOTAL_LABELS = ("Total", "Rwanda", "National", "Grand total")
TITLE = "RSSB — CBHI weekly progress"
# A district written like a hospital ("Gasabo DH") happens, but rarely.
DH_FILES = 3
NAME_PATTERNS = {
    CSV: ("RSSB_CBHI_update_{iso}.csv", "cbhi_weekly_{compact}.csv", "CBHI progress {dashed}.csv"),
    CSV_SEMICOLON: ("export_mutuelle_{compact}.csv", "RSSB CBHI {dotted}.csv"),
    XLSX: (
        "cbhi weekly {dotted}.xlsx",
        "RSSB_CBHI_update_{iso}.xlsx",
        "Mutuelle weekly report {dashed}.xlsx",
    ),
}


@dataclass(frozen=True)
class WeeklyLayout:
    """How one weekly file is written: format, title rows, header, date and district styles."""

    file_format: str
    file_name: str
    title_rows: int
    header_style: str
    date_style: str
    district_style: str
    optional: tuple[str, ...]
    total_label: str | None
    alphabetical: bool
    dh_district: str | None


def plan_layouts(
    rng: np.random.Generator, report_dates: Sequence[dt.date], district_ids: Sequence[str]
) -> dict[dt.date, WeeklyLayout]:
    """A layout per report date, drawn with ``rng``: about 1/3 XLSX, 1/6 semicolon CSV with a
    BOM, the rest plain CSV, with the header and naming variants RSSB's files show.
    """
    n = len(report_dates)
    n_xlsx = round(n / 3)
    n_semicolon = round(n / 6)
    formats = [XLSX] * n_xlsx + [CSV_SEMICOLON] * n_semicolon + [CSV] * (n - n_xlsx - n_semicolon)
    formats = [formats[int(i)] for i in rng.permutation(n)]
    dh_weeks = {int(i) for i in rng.choice(n, size=min(DH_FILES, n), replace=False)}
    layouts = {}
    for index, (day, file_format) in enumerate(zip(report_dates, formats, strict=True)):
        patterns = NAME_PATTERNS[file_format]
        name = patterns[int(rng.integers(len(patterns)))].format(
            iso=day.isoformat(),
            compact=day.strftime("%Y%m%d"),
            dashed=day.strftime("%d-%m-%Y"),
            dotted=day.strftime("%d.%m.%Y"),
        )
        if file_format == XLSX:
            title_rows = int(rng.choice([0, 2, 3], p=[0.5, 0.2, 0.3]))
            date_style = str(rng.choice(["excel", "iso", "dmy"], p=[0.5, 0.25, 0.25]))
        else:
            title_rows = 0
            date_style = str(rng.choice(["iso", "dmy"], p=[0.6, 0.4]))
        optional = OPTIONAL_SETS[int(rng.choice(len(OPTIONAL_SETS), p=OPTIONAL_WEIGHTS))]
        layouts[day] = WeeklyLayout(
            file_format=file_format,
            file_name=name,
            title_rows=title_rows,
            header_style=str(rng.choice(list(HEADER_STYLES), p=[0.5, 0.3, 0.2])),
            date_style=date_style,
            district_style=str(rng.choice(["plain", "suffix", "upper"], p=[0.5, 0.25, 0.25])),
            optional=optional,
            total_label=str(rng.choice(TOTAL_LABELS)) if rng.random() < 0.4 else None,
            alphabetical=bool(rng.random() < 0.5),
            dh_district=(
                district_ids[int(rng.integers(len(district_ids)))] if index in dh_weeks else None
            ),
        )
    return layouts


def _district_label(name: str, style: str) -> str:
    if style == "suffix":
        return f"{name} District"
    if style == "upper":
        return name.upper()
    return name


def weekly_table(
    day: dt.date,
    rows: Sequence[WeeklyRow],
    districts: Sequence[District],
    layout: WeeklyLayout,
) -> list[list[Cell]]:
    """Header plus data rows (and total row) of one weekly file, without title rows."""
    names = {d.district_id: d.district_name for d in districts}
    columns = [c for c in COLUMNS if c in (*COLUMNS[:4], *layout.optional)]
    if layout.header_style == "titled":
        # This template puts the district first, the date second.
        columns[0], columns[1] = columns[1], columns[0]
    header: list[Cell] = [HEADER_STYLES[layout.header_style][c] for c in columns]
    date_cells: dict[str, Cell] = {
        "excel": day,
        "iso": day.isoformat(),
        "dmy": day.strftime("%d/%m/%Y"),
    }
    date_cell = date_cells[layout.date_style]

    def line(
        label: str,
        target: int,
        members: int,
        households: int,
        amount: int,
        coverage: float | None = None,
    ) -> list[Cell]:
        values: dict[str, Cell] = {
            "report_date": date_cell,
            "district": label,
            "target_population": target,
            "members_paid": members,
            HOUSEHOLDS: households,
            AMOUNT: amount,
            COVERAGE: round(members / target * 100, 1) if coverage is None else coverage,
        }
        return [values[c] for c in columns]

    ordered = sorted(rows, key=lambda r: names[r.district_id]) if layout.alphabetical else rows
    table: list[list[Cell]] = [header]
    for row in ordered:
        label = _district_label(names[row.district_id], layout.district_style)
        if row.district_id == layout.dh_district:
            label = f"{names[row.district_id]} DH"
        table.append(
            line(
                label,
                row.target_population,
                row.members_paid,
                row.households_paid,
                row.amount_collected_rwf,
                row.coverage_rate_as_written,
            )
        )
    if layout.total_label is not None:
        label = (
            layout.total_label.upper() if layout.district_style == "upper" else layout.total_label
        )
        table.append(
            line(
                label,
                sum(r.target_population for r in rows),
                sum(r.members_paid for r in rows),
                sum(r.households_paid for r in rows),
                sum(r.amount_collected_rwf for r in rows),
            )
        )
    return table


def write_weekly(
    folder: Path,
    day: dt.date,
    rows: Sequence[WeeklyRow],
    districts: Sequence[District],
    layout: WeeklyLayout,
) -> Path:
    """Write one weekly RSSB update for ``day`` into ``folder`` as ``layout`` says; its path."""
    path = folder / layout.file_name
    table = weekly_table(day, rows, districts, layout)
    if layout.file_format == CSV:
        write_csv(path, table)
    elif layout.file_format == CSV_SEMICOLON:
        write_csv(path, table, delimiter=";", bom=True, line_end="\r\n")
    else:
        titles: list[list[Cell]] = []
        if layout.title_rows == 3:
            titles = [[TITLE], [f"Report as of {day.strftime('%d/%m/%Y')}"], []]
        elif layout.title_rows == 2:
            titles = [[TITLE], []]
        write_xlsx(
            path,
            titles + table,
            stamp=dt.datetime(day.year, day.month, day.day, 9, 0, 0),
            sheet_title="CBHI",
            author="RSSB CBHI",
        )
    return path
