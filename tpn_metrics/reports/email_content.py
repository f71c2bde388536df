"""Weekly CBHI progress email for one district team: pure rendering.

A :class:`DistrictWeek` goes in, an :class:`email.message.EmailMessage` (or a
browser-preview HTML string) comes out. Nothing here sends mail, reads the
warehouse or knows about Prefect, so the whole email can be tested offline and
a retried flow run renders byte-for-byte the same message.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from tpn_metrics.figures import png_data_uri
from tpn_metrics.reports.email_chart import coverage_chart_png, fiscal_year_start
from tpn_metrics.reports.email_labels import DEFAULT_LANGUAGE, labels_for

DEFAULT_MESSAGE_ID_DOMAIN = "tpn.example.org"

_TEMPLATES_DIR = Path(__file__).parent / "templates"
_HTML_TEMPLATE = "district_email.html.j2"
_TEXT_TEMPLATE = "district_email.txt.j2"
_CHART_FILENAME = "cbhi-coverage.png"

_FISCAL_YEAR_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")
_DOMAIN_PATTERN = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9-]+")
_MAX_HEADER_LINE = 78  # RFC 5322 recommended line length, the policy's folding point
_MAX_DOMAIN_LENGTH = 31  # longest domain for which "In-Reply-To: <id@domain>" fits one line


@dataclass(frozen=True)
class TwinStatus:
    district_name: str
    coverage_reported_pct: float
    coverage_change_week_pp: float | None


@dataclass(frozen=True)
class DistrictWeek:
    district_id: str
    district_name: str
    province: str
    report_date: date  # the Friday
    fiscal_year: str  # e.g. "2022/23" (1 July - 30 June)
    members_paid: int
    households_paid: int | None
    target_population: int  # RSSB's target (the denominator RSSB uses)
    coverage_reported_pct: float  # members_paid / target x 100 as RSSB reports it
    coverage_corrected_pct: float | None  # vs a census-projected target; None if not available
    corrected_target_population: int | None
    correction_method: str | None  # e.g. "geometric projection from the 2012 and 2022 censuses"
    members_paid_change_week: int | None  # since last Friday (negative = RSSB correction)
    coverage_change_week_pp: float | None
    gap_members: int  # max(target - members_paid, 0)
    gap_households: int | None
    projected_year_end_coverage_pct: float | None  # at the recent pace
    rank_national: int
    n_districts: int
    rank_province: int
    n_province: int
    national_coverage_pct: float
    twin: TwinStatus | None  # the TPN twin on CBHI, if any
    trajectory_this_fy: tuple[tuple[date, float], ...]  # (Friday, reported coverage %)
    trajectory_last_fy: tuple[tuple[date, float], ...]
    is_correction: bool = False  # RSSB re-issued this week's data; corrects an earlier email


@dataclass(frozen=True)
class _Row:
    label: str
    lines: tuple[str, ...]
    warning: str | None = None


# ---------------------------------------------------------------------------
# Number and date formatting. Everything is pre-formatted here so the plain-text
# and HTML templates cannot drift apart in how a figure is written.


def _fmt_int(value: int, labels: dict[str, str]) -> str:
    return f"{value:,}".replace(",", labels["thousands_sep"])


def _fmt_decimal(value: float, labels: dict[str, str]) -> str:
    english = f"{value:,.1f}"
    return "".join(
        labels["thousands_sep"] if ch == "," else labels["decimal_sep"] if ch == "." else ch
        for ch in english
    )


def _fmt_pct(value: float, labels: dict[str, str]) -> str:
    return _fmt_decimal(value, labels) + labels["percent_suffix"]


def _rounded_pp(value: float) -> float:
    return float(f"{value:.1f}")


def _fmt_pp(value: float, labels: dict[str, str]) -> str:
    rounded = _rounded_pp(value)
    # A change that rounds to zero is shown unsigned: "-0.0 pp" reads as a loss.
    if rounded == 0:
        return _fmt_decimal(0.0, labels) + labels["pp_suffix"]
    sign = "+" if rounded > 0 else "-"
    return sign + _fmt_decimal(abs(rounded), labels) + labels["pp_suffix"]


def _fmt_signed_int(value: int, labels: dict[str, str]) -> str:
    if value > 0:
        return "+" + _fmt_int(value, labels)
    return _fmt_int(value, labels)


def _fmt_date(day: date, labels: dict[str, str]) -> str:
    return labels["date_format"].format(
        day=day.day, month=labels[f"month_{day.month}"], year=day.year
    )


def _previous_fiscal_year(fiscal_year: str) -> str | None:
    match = _FISCAL_YEAR_PATTERN.match(fiscal_year)
    if match is None:
        return None
    start = int(match.group(1)) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def _fiscal_year_end(report_date: date) -> date:
    return date(fiscal_year_start(report_date).year + 1, 6, 30)


# ---------------------------------------------------------------------------
# Identifiers


def _check_domain(domain: str) -> None:
    if not _DOMAIN_PATTERN.match(domain):
        raise ValueError(f"invalid message id domain: {domain!r}")
    if len(domain) > _MAX_DOMAIN_LENGTH:
        raise ValueError(
            f"message id domain {domain!r} is longer than {_MAX_DOMAIN_LENGTH} characters; "
            "In-Reply-To would no longer fit on one header line"
        )


def _message_token(district_id: str, report_date: date, is_correction: bool, domain: str) -> str:
    kind = "corr" if is_correction else "week"
    # The digest carries the identity; the slug is only there so people can read
    # the id in logs. It is lossy (ids differing only in punctuation collapse),
    # which the digest of the raw id makes harmless.
    digest = hashlib.sha256(
        f"{district_id}\x1f{report_date.isoformat()}\x1f{kind}".encode()
    ).hexdigest()[:12]
    fixed = f"cbhi.{report_date:%Y%m%d}.{kind}.{digest}"
    # Python's email policy RFC 2047-encodes an In-Reply-To or References value
    # that does not fit on one line, which breaks threading; the slug gets only
    # the room left on a 78-character "In-Reply-To: <id@domain>" line.
    room = _MAX_HEADER_LINE - len("In-Reply-To: <.@>") - len(fixed) - len(domain)
    slug = _UNSAFE_ID_CHARS.sub("-", district_id).strip("-")[: max(room, 0)].strip("-")
    return f"cbhi.{report_date:%Y%m%d}.{slug}.{kind}.{digest}" if slug else fixed


def message_id_for(
    district_id: str,
    report_date: date,
    *,
    is_correction: bool,
    domain: str = DEFAULT_MESSAGE_ID_DOMAIN,
) -> str:
    """Deterministic ``Message-ID`` (with angle brackets) of one district's weekly email.

    Equal inputs give the same id, so a retried send is recognisable as a
    duplicate by the sender's log and by receiving servers. ``domain`` may be at
    most 31 characters so the id never needs folding.
    """
    _check_domain(domain)
    return f"<{_message_token(district_id, report_date, is_correction, domain)}@{domain}>"


# ---------------------------------------------------------------------------
# Content


def _coverage_lines(week: DistrictWeek, labels: dict[str, str]) -> tuple[str, str]:
    reported = labels["coverage_reported"].format(
        pct=_fmt_pct(week.coverage_reported_pct, labels),
        target=_fmt_int(week.target_population, labels),
    )
    if week.coverage_corrected_pct is None:
        return reported, labels["coverage_corrected_unavailable"]
    method = week.correction_method or labels["method_unknown"]
    pct = _fmt_pct(week.coverage_corrected_pct, labels)
    if week.corrected_target_population is None:
        corrected = labels["coverage_corrected_no_target"].format(pct=pct, method=method)
    else:
        corrected = labels["coverage_corrected"].format(
            pct=pct,
            method=method,
            target=_fmt_int(week.corrected_target_population, labels),
        )
    return reported, corrected


def _change_row(week: DistrictWeek, labels: dict[str, str]) -> _Row:
    members = week.members_paid_change_week
    pp = week.coverage_change_week_pp
    if members is not None and pp is not None:
        value = labels["change_week_value"].format(
            members=_fmt_signed_int(members, labels), pp=_fmt_pp(pp, labels)
        )
    elif members is not None:
        value = labels["change_week_members_only"].format(members=_fmt_signed_int(members, labels))
    elif pp is not None:
        value = labels["change_week_pp_only"].format(pp=_fmt_pp(pp, labels))
    else:
        value = labels["change_week_unavailable"]
    # Paid membership only grows within a fiscal year, so any fall is RSSB
    # revising its data. The pp change is judged as displayed (rounded) so float
    # noise around zero never raises a false alarm.
    went_down = (members is not None and members < 0) or (pp is not None and _rounded_pp(pp) < 0)
    warning = labels["change_week_correction"] if went_down else None
    return _Row(labels["change_week"], (value,), warning)


def _gap_value(week: DistrictWeek, labels: dict[str, str]) -> str:
    if week.gap_members <= 0:
        return labels["gap_reached"]
    members = _fmt_int(week.gap_members, labels)
    if week.gap_households is None:
        return labels["gap_value_no_households"].format(members=members)
    return labels["gap_value"].format(
        members=members, households=_fmt_int(week.gap_households, labels)
    )


def _rows(week: DistrictWeek, labels: dict[str, str]) -> list[_Row]:
    members = _fmt_int(week.members_paid, labels)
    if week.households_paid is not None:
        note = labels["households_paid_note"].format(
            households=_fmt_int(week.households_paid, labels)
        )
        members = f"{members} ({note})"

    projection = (
        labels["projection_unavailable"]
        if week.projected_year_end_coverage_pct is None
        else _fmt_pct(week.projected_year_end_coverage_pct, labels)
    )

    rows = [
        _Row(labels["members_paid"], (members,)),
        # Reported and corrected share one row so the corrected figure (and its
        # method) can never be read without the official RSSB figure beside it.
        _Row(labels["coverage"], _coverage_lines(week, labels)),
        _change_row(week, labels),
        _Row(labels["gap"].format(fiscal_year=week.fiscal_year), (_gap_value(week, labels),)),
        _Row(
            labels["projection"].format(date=_fmt_date(_fiscal_year_end(week.report_date), labels)),
            (projection,),
        ),
        _Row(
            labels["rank"],
            (
                labels["rank_value"].format(
                    rank_province=week.rank_province,
                    n_province=week.n_province,
                    province=week.province,
                    rank_national=week.rank_national,
                    n_districts=week.n_districts,
                ),
            ),
        ),
        _Row(labels["national"], (_fmt_pct(week.national_coverage_pct, labels),)),
    ]
    if week.twin is not None:
        twin = week.twin
        pct = _fmt_pct(twin.coverage_reported_pct, labels)
        if twin.coverage_change_week_pp is None:
            value = labels["twin_value"].format(district=twin.district_name, pct=pct)
        else:
            value = labels["twin_value_change"].format(
                district=twin.district_name,
                pct=pct,
                pp=_fmt_pp(twin.coverage_change_week_pp, labels),
            )
        rows.append(_Row(labels["twin"], (value,)))
    return rows


def _subject(week: DistrictWeek, labels: dict[str, str]) -> str:
    subject = labels["subject"].format(
        district=week.district_name, date=_fmt_date(week.report_date, labels)
    )
    return labels["correction_prefix"] + subject if week.is_correction else subject


def email_subject(week: DistrictWeek, language: str = DEFAULT_LANGUAGE) -> str:
    """The subject line of ``week``'s email, without rendering the email."""
    return _subject(week, labels_for(language))


def _fiscal_year_labels(week: DistrictWeek, labels: dict[str, str]) -> tuple[str, str]:
    return week.fiscal_year, _previous_fiscal_year(week.fiscal_year) or labels["chart_last_fy"]


def _chart_png(week: DistrictWeek, labels: dict[str, str]) -> bytes:
    this_fy_label, last_fy_label = _fiscal_year_labels(week, labels)
    return coverage_chart_png(
        week.trajectory_this_fy,
        week.trajectory_last_fy,
        title=labels["chart_title"].format(district=week.district_name),
        this_fy_label=this_fy_label,
        last_fy_label=last_fy_label,
        x_label=labels["chart_x"],
        y_label=labels["chart_y"],
        reference_label=labels["chart_reference"],
    )


def _context(
    week: DistrictWeek, labels: dict[str, str], *, language: str, chart_src: str
) -> dict[str, Any]:
    report_date = _fmt_date(week.report_date, labels)
    this_fy_label, last_fy_label = _fiscal_year_labels(week, labels)
    return {
        "lang": language,
        "subject": _subject(week, labels),
        "correction_notice": (
            labels["correction_notice"].format(date=report_date) if week.is_correction else None
        ),
        "heading": labels["heading"].format(district=week.district_name),
        "district_line": labels["district_line"].format(
            district=week.district_name, province=week.province
        ),
        "week_line": labels["week_line"].format(date=report_date, fiscal_year=week.fiscal_year),
        "rows": _rows(week, labels),
        "chart_src": chart_src,
        "chart_alt": labels["chart_alt"].format(
            district=week.district_name, this_fy=this_fy_label, last_fy=last_fy_label
        ),
        "chart_text_note": labels["chart_text_note"],
        "units_note": labels["units_note"],
        "source_note": labels["source_note"],
    }


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES_DIR),
        # District and twin names come from data: escape everything in HTML, and
        # default to escaping for any template not explicitly plain text.
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(template: str, context: dict[str, Any]) -> str:
    return _environment().get_template(template).render(context)


def render_district_html(week: DistrictWeek, language: str = DEFAULT_LANGUAGE) -> str:
    """HTML of the email with the chart inlined as a ``data:`` URI, for browser previews.

    Not for sending: many email clients block ``data:`` images.
    """
    labels = labels_for(language)
    chart_src = png_data_uri(_chart_png(week, labels))
    context = _context(week, labels, language=language, chart_src=chart_src)
    return _render(_HTML_TEMPLATE, context)


def render_district_email(
    week: DistrictWeek,
    *,
    recipients: Sequence[str],
    sender: str,
    language: str = DEFAULT_LANGUAGE,
    message_id_domain: str = DEFAULT_MESSAGE_ID_DOMAIN,
) -> EmailMessage:
    """The weekly CBHI progress email for one district team, ready to hand to SMTP.

    Structure: multipart/alternative of text/plain and multipart/related
    (text/html + the chart as an inline image/png referenced by ``cid:``).
    No ``Date`` header: the sender stamps it when the message actually leaves,
    which keeps this rendering deterministic.
    """
    # A bare string is a Sequence[str] too; joining it would address one letter each.
    if isinstance(recipients, str):
        raise TypeError("recipients must be a sequence of addresses, not a single string")
    if not recipients:
        raise ValueError("at least one recipient is required")
    labels = labels_for(language)
    message_id = message_id_for(
        week.district_id,
        week.report_date,
        is_correction=week.is_correction,
        domain=message_id_domain,
    )
    token = _message_token(
        week.district_id, week.report_date, week.is_correction, message_id_domain
    )
    # Kept short (digest only) so the header never folds: some clients compare the
    # folded value, leading whitespace included, with the cid: reference.
    content_id = f"chart.{token.rsplit('.', 1)[-1]}@{message_id_domain}"

    context = _context(week, labels, language=language, chart_src=f"cid:{content_id}")
    text = _render(_TEXT_TEMPLATE, context)
    html = _render(_HTML_TEMPLATE, context)

    message = EmailMessage(policy=SMTP)
    message["Subject"] = context["subject"]
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = message_id
    if week.is_correction:
        # Threads the correction under the email it replaces in the team's inbox.
        original = message_id_for(
            week.district_id, week.report_date, is_correction=False, domain=message_id_domain
        )
        message["In-Reply-To"] = original
        message["References"] = original
    # RFC 3834: keeps out-of-office replies from 30 teams off the sender's mailbox.
    message["Auto-Submitted"] = "auto-generated"

    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    html_part = next(p for p in message.iter_parts() if p.get_content_type() == "text/html")
    html_part.add_related(
        _chart_png(week, labels),
        maintype="image",
        subtype="png",
        cid=f"<{content_id}>",
        disposition="inline",
        filename=_CHART_FILENAME,
    )
    # Set last: add_alternative moves every Content-* header into the first subpart.
    message["Content-Language"] = language
    # Fixed boundaries make the serialised bytes, not just the Message-ID, equal on a
    # retry. "=_" cannot occur in quoted-printable or base64 bodies, and the token
    # makes a clash with a 7bit body practically impossible.
    message.set_boundary(f"=_{token}.alt")
    html_part.set_boundary(f"=_{token}.rel")
    return message
