"""Argument checks shared by the `tpn` commands: a wrong argument is answered by click's usage
error (exit 2, one line saying what is accepted), never by a traceback.

Callbacks raise ``typer.BadParameter``; checks that need the warehouse end with ``usage_error``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, NoReturn

import typer

from tpn_metrics.settings import Settings

DATE_FORMATS = ["%Y-%m-%d"]
#: ``--week``: an RSSB report date (a Friday); None means the latest week the warehouse holds.
ReportWeek = Annotated[
    dt.datetime | None,
    typer.Option(formats=DATE_FORMATS, help="Report date, YYYY-MM-DD (default: latest)"),
]
"""ISO dates only (`2023-03-24`): the form every report date is shown in."""


def usage_error(message: str) -> NoReturn:
    """One line on stderr (never wrapped), exit 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def as_date(value: dt.datetime | None) -> dt.date | None:
    """The day of a `--date`/`--week` parsed by typer with DATE_FORMATS."""
    return value.date() if value is not None else None


def share_below_one(value: float) -> float:
    """A share of the population, 0 ≤ share < 1 (1 would leave no one for CBHI)."""
    if not 0 <= value < 1:
        raise typer.BadParameter(f"{value:g} is not a share: use 0 ≤ share < 1, e.g. 0.10")
    return value


def district_id(name: str) -> str:
    """The district id a name means (`Gasabo`, `gasabo`, `Butare`); a province, an unknown or
    an ambiguous name is a usage error naming the closest districts."""
    from tpn_metrics.names import UnknownNameError, normalise_name
    from tpn_metrics.reference import district_resolver, load_districts

    seeds = Settings().seeds_dir
    districts = load_districts(seeds)
    provinces = {
        normalise_name(form): d.province
        for d in districts
        for form in (d.province, d.province.removesuffix(" City"), f"{d.province} Province")
    }
    province = provinces.get(normalise_name(name))
    if province is not None:
        names = ", ".join(d.district_name for d in districts if d.province == province)
        raise typer.BadParameter(f"'{name}' is a province, not a district: use one of {names}")
    try:
        return district_resolver(seeds).resolve(name)
    except UnknownNameError as error:
        raise typer.BadParameter(str(error)) from error


def warehouse_or_exit(settings: Settings) -> None:
    """Exit 2 with the command to run when there is no warehouse yet."""
    if not settings.warehouse_path.exists():
        usage_error(
            f"no warehouse at {settings.warehouse_path}: run `tpn demo`, or `tpn ingest` "
            "then `tpn build`"
        )


def report_week_or_exit(settings: Settings, week: dt.date | None) -> dt.date:
    """The CBHI report date to use: ``week`` if it is one the marts hold, else the latest.
    Exit 2 naming the nearest loaded report dates when ``week`` is not one of them, or when
    nothing has been built yet."""
    from tpn_metrics.warehouse import open_warehouse, table_exists

    warehouse_or_exit(settings)
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        if not table_exists(con, "marts", "fct_cbhi_weekly"):
            usage_error(f"no CBHI marts in {settings.warehouse_path} yet: run `tpn build`")
        loaded = [
            row[0]
            for row in con.execute(
                "select distinct report_date from marts.fct_cbhi_weekly order by report_date"
            ).fetchall()
        ]
    if not loaded:
        usage_error("no RSSB week is loaded yet: `tpn ingest` an RSSB update, then `tpn build`")
    if week is None:
        return loaded[-1]  # type: ignore[no-any-return]
    if week not in loaded:
        nearest = sorted(loaded, key=lambda day: (abs((day - week).days), day))[:2]
        usage_error(
            f"--week {week}: no RSSB report for that date; nearest loaded: "
            f"{', '.join(map(str, sorted(nearest)))} (weeks {loaded[0]} to {loaded[-1]})"
        )
    return week


PROJECTION_YEARS_BEYOND_CENSUS = 10
"""How far before the 2012 census and after the 2022 one `tpn population` projects: one
intercensal interval either way (a linear projection far back turns negative)."""


def projection_date(value: dt.datetime) -> dt.datetime:
    """A `--date` within ten years of the census interval (15 Aug 2002 – 15 Aug 2032)."""
    from tpn_metrics.calendar import CENSUS_2012_DATE, CENSUS_2022_DATE

    years = PROJECTION_YEARS_BEYOND_CENSUS
    first = CENSUS_2012_DATE.replace(year=CENSUS_2012_DATE.year - years)
    last = CENSUS_2022_DATE.replace(year=CENSUS_2022_DATE.year + years)
    if not first <= value.date() <= last:
        raise typer.BadParameter(
            f"{value.date()} is too far from the 2012 and 2022 censuses: "
            f"use a date from {first} to {last}"
        )
    return value


def marts_or_exit(settings: Settings) -> None:
    """Exit 2 with the command to run when the warehouse has no marts built yet."""
    from tpn_metrics.warehouse import open_warehouse

    warehouse_or_exit(settings)
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchone()
    if not found or not found[0]:
        usage_error(f"no marts in {settings.warehouse_path} yet: run `tpn build`")
