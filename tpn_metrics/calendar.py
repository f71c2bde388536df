"""Rwanda's calendar for CBHI and the census: written once, imported everywhere.

* **Fiscal year**: 1 July – 30 June (Rwanda's government and RSSB's CBHI year). A fiscal year
  is named by its start year (``2022``) or its label (``"2022/23"``). RSSB's weekly counts are
  cumulative from each 1 July.
* **Census reference nights**: NISR's RPHC4 (2012) and RPHC5 (2022), owned by dbt
  (vars ``census_2012_date``, ``census_2022_date``; read here through :mod:`tpn_metrics.dbt_vars`).
* **Other-scheme share**: the share of residents covered by RAMA, MMI or private insurance
  instead of CBHI (dbt var ``cbhi_other_scheme_share_default``, a fraction 0–1).
"""

from __future__ import annotations

import datetime as dt
import re

from tpn_metrics.dbt_vars import project_var

FISCAL_YEAR_START_MONTH = 7  # 1 July
_WEEK = dt.timedelta(days=7)
_LABEL = re.compile(r"^(\d{4})/(\d{2})$")

#: Census reference nights (dbt vars; NISR RPHC4 and RPHC5, both around 15 August).
CENSUS_2012_DATE: dt.date = dt.date.fromisoformat(str(project_var("census_2012_date")))
CENSUS_2022_DATE: dt.date = dt.date.fromisoformat(str(project_var("census_2022_date")))
#: Residents covered by another scheme, as a fraction (0.10 = 10 %), where a district's own
#: share is not in seeds/reference/cbhi_other_scheme_shares.csv (dbt var).
OTHER_SCHEME_SHARE_DEFAULT: float = float(project_var("cbhi_other_scheme_share_default"))


def fiscal_year_start_year(day: dt.date) -> int:
    """Start year of the fiscal year holding ``day``: 2023-03-24 → 2022, 2023-07-07 → 2023."""
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_year_label(start_year: int) -> str:
    """``2022`` → ``"2022/23"``: the label RSSB and the emails use."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def fiscal_year_label_of(day: dt.date) -> str:
    """The label of the fiscal year holding ``day``: 2023-03-24 → ``"2022/23"``."""
    return fiscal_year_label(fiscal_year_start_year(day))


def previous_fiscal_year_label(label: str) -> str | None:
    """``"2022/23"`` → ``"2021/22"``; None when ``label`` is not of the form YYYY/YY."""
    match = _LABEL.match(label)
    return fiscal_year_label(int(match.group(1)) - 1) if match else None


def first_day_of_fiscal_year(start_year: int) -> dt.date:
    """1 July of ``start_year``."""
    return dt.date(start_year, FISCAL_YEAR_START_MONTH, 1)


def last_day_of_fiscal_year(start_year: int) -> dt.date:
    """30 June of ``start_year + 1``."""
    return first_day_of_fiscal_year(start_year + 1) - dt.timedelta(days=1)


def fiscal_year_start(day: dt.date) -> dt.date:
    """The 1 July that opened ``day``'s fiscal year."""
    return first_day_of_fiscal_year(fiscal_year_start_year(day))


def fiscal_year_end(day: dt.date) -> dt.date:
    """The 30 June that closes ``day``'s fiscal year."""
    return last_day_of_fiscal_year(fiscal_year_start_year(day))


def week_of_fiscal_year(day: dt.date) -> float:
    """Weeks elapsed since 1 July of ``day``'s fiscal year (0.0 on 1 July), fractional.

    Fractional on purpose: Fridays fall on different days after 1 July each year, and
    rounding would shift last year's line on a chart by up to half a week.
    """
    return (day - fiscal_year_start(day)).days / 7


def fiscal_week(day: dt.date) -> int:
    """Whole weeks since ``day``'s 1 July (0 for 1–7 July, 52 for the last days of June)."""
    return (day - fiscal_year_start(day)).days // 7


def opens_fiscal_year(report_date: dt.date) -> bool:
    """True when the Friday before ``report_date`` falls in the previous fiscal year.

    RSSB's counts are cumulative from 1 July, so such a report has nothing in its own year
    to compare with: a weekly change or a pace is meaningless, not missing.
    """
    return fiscal_year_start(report_date - _WEEK) != fiscal_year_start(report_date)


def closes_fiscal_year(report_date: dt.date) -> bool:
    """True when no later Friday falls in ``report_date``'s fiscal year (its last report)."""
    return fiscal_year_start(report_date + _WEEK) != fiscal_year_start(report_date)


def fiscal_year_starts_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every 1 July strictly after ``first`` and up to ``last``: where coverage restarts."""
    return [
        first_day_of_fiscal_year(year)
        for year in range(first.year, last.year + 1)
        if first < first_day_of_fiscal_year(year) <= last
    ]
