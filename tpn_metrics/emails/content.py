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
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from tpn_metrics.calendar import previous_fiscal_year_label
from tpn_metrics.emails.chart import coverage_chart_png
from tpn_metrics.emails.labels import DEFAULT_LANGUAGE, labels_for
from tpn_metrics.emails.quality_line import data_quality_line
from tpn_metrics.emails.rows import fmt_date, rows, trust_note
from tpn_metrics.emails.week import DistrictWeek
from tpn_metrics.figures import png_data_uri

__all__ = [
    "DEFAULT_MESSAGE_ID_DOMAIN",
    "email_subject",
    "message_id_for",
    "render_district_email",
    "render_district_html",
]

DEFAULT_MESSAGE_ID_DOMAIN = "tpn.example.org"

_TEMPLATES_DIR = Path(__file__).parent / "templates"
_HTML_TEMPLATE = "district_email.html.j2"
_TEXT_TEMPLATE = "district_email.txt.j2"
_CHART_FILENAME = "cbhi-coverage.png"

_DOMAIN_PATTERN = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9-]+")
_MAX_HEADER_LINE = 78  # RFC 5322 recommended line length, the policy's folding point
_MAX_DOMAIN_LENGTH = 31  # longest domain for which "In-Reply-To: <id@domain>" fits one line


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


def _subject(week: DistrictWeek, labels: dict[str, str]) -> str:
    subject = labels["subject"].format(
        district=week.district_name, date=fmt_date(week.report_date, labels)
    )
    return labels["correction_prefix"] + subject if week.is_correction else subject


def email_subject(week: DistrictWeek, language: str = DEFAULT_LANGUAGE) -> str:
    """The subject line of ``week``'s email, without rendering the email."""
    return _subject(week, labels_for(language))


def _fiscal_year_labels(week: DistrictWeek, labels: dict[str, str]) -> tuple[str, str]:
    return week.fiscal_year, previous_fiscal_year_label(week.fiscal_year) or labels["chart_last_fy"]


def _chart_png(week: DistrictWeek, labels: dict[str, str]) -> bytes:
    this_fy, last_fy = _fiscal_year_labels(week, labels)
    reported_label = ""
    if week.trajectory_this_fy_reported:
        # Two bases on one chart: every series names its target.
        reported_label = labels["chart_reported_series"].format(fiscal_year=this_fy)
        this_fy = labels["chart_corrected_series"].format(fiscal_year=this_fy)
        last_fy = labels["chart_corrected_series"].format(fiscal_year=last_fy)
    return coverage_chart_png(
        week.trajectory_this_fy,
        week.trajectory_last_fy,
        title=labels["chart_title"].format(district=week.district_name),
        this_fy_label=this_fy,
        last_fy_label=last_fy,
        x_label=labels["chart_x"],
        y_label=labels["chart_y"],
        reference_label=labels["chart_reference"],
        reported_this_fy=week.trajectory_this_fy_reported,
        reported_label=reported_label,
    )


def _context(
    week: DistrictWeek, labels: dict[str, str], *, language: str, chart_src: str
) -> dict[str, Any]:
    report_date = fmt_date(week.report_date, labels)
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
        "trust_note": trust_note(week, labels),
        "data_quality_line": None
        if week.data_quality is None
        else data_quality_line(week.data_quality, language),
        "rows": rows(week, labels),
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
