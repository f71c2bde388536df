"""The rows of a district email, as text in its language: numbers formatted, signals paired.

Pure: a :class:`DistrictWeek` and the language's labels in, strings out. The plain-text and
HTML templates both render these rows, so the two parts cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tpn_metrics.calendar import closes_fiscal_year, fiscal_year_end, opens_fiscal_year
from tpn_metrics.emails.week import DistrictWeek


@dataclass(frozen=True)
class Row:
    """One row of the email: a label, its lines of text, and an optional warning line."""

    label: str
    lines: tuple[str, ...]
    warning: str | None = None


# ---------------------------------------------------------------------------
# Number and date formatting. Everything is pre-formatted here so the plain-text
# and HTML templates cannot drift apart in how a figure is written.


def fmt_int(value: int, labels: dict[str, str]) -> str:
    """``12345`` → ``"12,345"`` with the language's thousands separator."""
    return f"{value:,}".replace(",", labels["thousands_sep"])


def fmt_decimal(value: float, labels: dict[str, str]) -> str:
    """One decimal, with the language's thousands and decimal separators: ``"1,234.5"``."""
    english = f"{value:,.1f}"
    return "".join(
        labels["thousands_sep"] if ch == "," else labels["decimal_sep"] if ch == "." else ch
        for ch in english
    )


def fmt_pct(value: float, labels: dict[str, str]) -> str:
    """A percentage (0–100, in %) with one decimal and the language's percent suffix."""
    return fmt_decimal(value, labels) + labels["percent_suffix"]


def rounded_pp(value: float) -> float:
    """A change in percentage points (pp) rounded to one decimal, as the email shows it."""
    return float(f"{value:.1f}")


def fmt_pp(value: float, labels: dict[str, str]) -> str:
    """A change in percentage points, signed (``"+1.2 pp"``); unsigned when it rounds to 0."""
    rounded = rounded_pp(value)
    # A change that rounds to zero is shown unsigned: "-0.0 pp" reads as a loss.
    if rounded == 0:
        return fmt_decimal(0.0, labels) + labels["pp_suffix"]
    sign = "+" if rounded > 0 else "-"
    return sign + fmt_decimal(abs(rounded), labels) + labels["pp_suffix"]


def fmt_signed_int(value: int, labels: dict[str, str]) -> str:
    """A count change with ``+`` for gains (losses keep their ``-``, zero is unsigned)."""
    if value > 0:
        return "+" + fmt_int(value, labels)
    return fmt_int(value, labels)


def fmt_date(day: date, labels: dict[str, str]) -> str:
    """A date in the language's format and month names (``"24 March 2023"``)."""
    return labels["date_format"].format(
        day=day.day, month=labels[f"month_{day.month}"], year=day.year
    )


# ---------------------------------------------------------------------------
# Content


def coverage_lines(week: DistrictWeek, labels: dict[str, str]) -> tuple[str, str]:
    """(census-corrected, reported) coverage lines; corrected first, being the primary figure.

    Without a correction the reported line comes first and the second says why there is none.
    """
    reported = labels["coverage_reported"].format(
        pct=fmt_pct(week.coverage_reported_pct, labels),
        target=fmt_int(week.target_population, labels),
    )
    if week.coverage_corrected_pct is None:
        return reported, labels["coverage_corrected_unavailable"]
    method = week.correction_method or labels["method_unknown"]
    method = labels.get(f"method_{method}", method)
    pct = fmt_pct(week.coverage_corrected_pct, labels)
    if week.corrected_target_population is None:
        corrected = labels["coverage_corrected_no_target"].format(pct=pct, method=method)
    else:
        corrected = labels["coverage_corrected"].format(
            pct=pct,
            method=method,
            target=fmt_int(week.corrected_target_population, labels),
        )
    return corrected, reported


def trust_note(week: DistrictWeek, labels: dict[str, str]) -> str | None:
    """The sentence saying which figure to trust, when the two coverages diverge.

    Only when dbt flagged the week (``is_coverage_divergent``: |corrected - reported| above
    the var coverage_divergence_threshold_pp) and the corrected target is known.
    """
    corrected_target = week.corrected_target_population
    if (
        not week.is_coverage_divergent
        or week.coverage_corrected_pct is None
        or corrected_target is None
    ):
        return None
    key = "trust_target_low" if week.target_population < corrected_target else "trust_target_high"
    return labels[key].format(
        district=week.district_name,
        rssb_target=fmt_int(week.target_population, labels),
        corrected_target=fmt_int(corrected_target, labels),
        pct=fmt_pct(week.coverage_corrected_pct, labels),
        reported_pct=fmt_pct(week.coverage_reported_pct, labels),
    )


def _basis_free(labels: dict[str, str], fiscal_year: str) -> frozenset[str]:
    """Values that say a figure is missing, the same whatever the target: never labelled."""
    return frozenset(
        (
            labels["change_week_unavailable"],
            labels["projection_unavailable"],
            labels["change_week_new_fiscal_year"].format(fiscal_year=fiscal_year),
            labels["projection_new_fiscal_year"].format(fiscal_year=fiscal_year),
        )
    )


def _paired(
    primary: str, reported: str | None, labels: dict[str, str], fiscal_year: str = ""
) -> tuple[str, ...]:
    """The primary (census-based) value, and the reported one beside it where it differs.

    Where both read the same once formatted, one line labelled as holding for both bases
    (``both_bases``), so it never reads as one figure of the two; a value saying the figure
    is missing (``_basis_free``) and a district without a correction (``reported`` None)
    stay unlabelled.
    """
    if reported is None or primary in _basis_free(labels, fiscal_year):
        return (primary,)
    if reported == primary:
        return (labels["both_bases"].format(value=primary),)
    return (
        labels["primary_basis"].format(value=primary),
        labels["reported_beside"].format(value=reported),
    )


def _change_value(
    members: int | None, pp: float | None, labels: dict[str, str], week: DistrictWeek
) -> str:
    if members is not None and pp is not None:
        return labels["change_week_value"].format(
            members=fmt_signed_int(members, labels), pp=fmt_pp(pp, labels)
        )
    if members is not None:
        return labels["change_week_members_only"].format(members=fmt_signed_int(members, labels))
    if pp is not None:
        return labels["change_week_pp_only"].format(pp=fmt_pp(pp, labels))
    if opens_fiscal_year(week.report_date):
        return labels["change_week_new_fiscal_year"].format(fiscal_year=week.fiscal_year)
    return labels["change_week_unavailable"]


def _change_row(week: DistrictWeek, labels: dict[str, str]) -> Row:
    members = week.members_paid_change_week
    pp = week.coverage_change_week_pp
    reported = week.reported
    lines = _paired(
        _change_value(members, pp, labels, week),
        None
        if reported is None
        else _change_value(members, reported.coverage_change_week_pp, labels, week),
        labels,
        week.fiscal_year,
    )
    # Paid membership only grows within a fiscal year, so any fall is RSSB
    # revising its data. The pp change is judged as displayed (rounded) so float
    # noise around zero never raises a false alarm.
    went_down = (members is not None and members < 0) or (pp is not None and rounded_pp(pp) < 0)
    warning = labels["change_week_correction"] if went_down else None
    return Row(labels["change_week"], lines, warning)


def _gap_value(gap_members: int, gap_households: int | None, labels: dict[str, str]) -> str:
    if gap_members <= 0:
        return labels["gap_reached"]
    members = fmt_int(gap_members, labels)
    if gap_households is None:
        return labels["gap_value_no_households"].format(members=members)
    return labels["gap_value"].format(members=members, households=fmt_int(gap_households, labels))


def _projection_value(pct: float | None, labels: dict[str, str], week: DistrictWeek) -> str:
    if pct is not None:
        return fmt_pct(pct, labels)
    if opens_fiscal_year(week.report_date):
        return labels["projection_new_fiscal_year"].format(fiscal_year=week.fiscal_year)
    return labels["projection_unavailable"]


def _projection_row(week: DistrictWeek, labels: dict[str, str]) -> Row:
    """Coverage on 30 June at the recent pace; on the year's last report, that it has ended
    (a projection to the same day would only repeat this week's figure)."""
    year_end = fmt_date(fiscal_year_end(week.report_date), labels)
    if closes_fiscal_year(week.report_date):
        return Row(
            labels["projection_year_end"].format(fiscal_year=week.fiscal_year),
            (labels["projection_year_ended"].format(date=year_end),),
        )
    reported = week.reported
    return Row(
        labels["projection"].format(date=year_end),
        _paired(
            _projection_value(week.projected_year_end_coverage_pct, labels, week),
            None
            if reported is None
            else _projection_value(reported.projected_year_end_coverage_pct, labels, week),
            labels,
            week.fiscal_year,
        ),
    )


def _rank_value(week: DistrictWeek, national: int, province: int, labels: dict[str, str]) -> str:
    return labels["rank_value"].format(
        rank_province=province,
        n_province=week.n_province,
        province=week.province,
        rank_national=national,
        n_districts=week.n_districts,
    )


def _twin_row(week: DistrictWeek, labels: dict[str, str]) -> Row | None:
    twin = week.twin
    if twin is None:
        return None
    change = twin.coverage_change_week_pp
    reported_pct = fmt_pct(twin.coverage_reported_pct, labels)
    if twin.coverage_corrected_pct is None:
        key, pct = "twin_value", reported_pct
    else:
        key, pct = "twin_value_corrected", fmt_pct(twin.coverage_corrected_pct, labels)
    if change is not None:
        key += "_change"
    value = labels[key].format(
        district=twin.district_name,
        pct=pct,
        reported_pct=reported_pct,
        pp="" if change is None else fmt_pp(change, labels),
    )
    return Row(labels["twin"], (value,))


def rows(week: DistrictWeek, labels: dict[str, str]) -> list[Row]:
    """The table of the email: label and line(s) per signal, primary basis first."""
    members = fmt_int(week.members_paid, labels)
    if week.households_paid is not None:
        note = labels["households_paid_note"].format(
            households=fmt_int(week.households_paid, labels)
        )
        members = f"{members} ({note})"
    reported = week.reported
    result = [
        Row(labels["members_paid"], (members,)),
        # Reported and corrected share one row so the corrected figure (and its
        # method) can never be read without the official RSSB figure beside it.
        Row(labels["coverage"], coverage_lines(week, labels)),
        _change_row(week, labels),
        Row(
            labels["gap"].format(fiscal_year=week.fiscal_year),
            _paired(
                _gap_value(week.gap_members, week.gap_households, labels),
                None
                if reported is None
                else _gap_value(reported.gap_members, reported.gap_households, labels),
                labels,
            ),
        ),
        _projection_row(week, labels),
        Row(
            labels["rank"],
            _paired(
                _rank_value(week, week.rank_national, week.rank_province, labels),
                None
                if reported is None
                else _rank_value(week, reported.rank_national, reported.rank_province, labels),
                labels,
            ),
        ),
        Row(
            labels["national"],
            _paired(
                fmt_pct(week.national_coverage_pct, labels),
                None if reported is None else fmt_pct(reported.national_coverage_pct, labels),
                labels,
            ),
        ),
    ]
    twin = _twin_row(week, labels)
    if twin is not None:
        result.append(twin)
    return result
