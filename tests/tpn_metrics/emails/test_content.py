"""Rendering of the weekly district CBHI email (pure: no SMTP, no warehouse)."""

from __future__ import annotations

import base64
import email
import email.policy
import io
import re
from dataclasses import replace
from datetime import date, timedelta
from email.message import EmailMessage

import matplotlib.image
import pytest

from tests.tpn_metrics.emails.sample_week import METHOD, REPORT_DATE, fridays, make_week, png_size
from tpn_metrics.emails.content import (
    message_id_for,
    render_district_email,
    render_district_html,
)
from tpn_metrics.emails.labels import LABELS, labels_for
from tpn_metrics.emails.week import DistrictWeek, ReportedBeside, TwinStatus

RECIPIENTS = ["cbhi.gasabo@example.rw", "dh.gasabo@example.rw"]
SENDER = "TPN warehouse <noreply@tpn.example.org>"

RWANDA_DISTRICTS = (
    "Gasabo", "Kicukiro", "Nyarugenge",
    "Bugesera", "Gatsibo", "Kayonza", "Kirehe", "Ngoma", "Nyagatare", "Rwamagana",
    "Burera", "Gakenke", "Gicumbi", "Musanze", "Rulindo",
    "Gisagara", "Huye", "Kamonyi", "Muhanga", "Nyamagabe", "Nyanza", "Nyaruguru", "Ruhango",
    "Karongi", "Ngororero", "Nyabihu", "Nyamasheke", "Rubavu", "Rusizi", "Rutsiro",
)  # fmt: skip


def render(week: DistrictWeek | None = None, language: str = "en") -> EmailMessage:
    """Render, serialise and parse back, so tests see what a mail client receives."""
    message = render_district_email(
        week or make_week(), recipients=RECIPIENTS, sender=SENDER, language=language
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")  # SMTP policy: CRLF on the wire


def image_part(message: EmailMessage) -> EmailMessage:
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    return images[0]


def coverage_row_text(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("Coverage this week:")
    return lines[start + 1 : start + 3]


# --- structure -------------------------------------------------------------


def test_mime_structure_is_alternative_of_text_and_related_html_with_png() -> None:
    message = render()

    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
    ]
    text_part, related = message.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png"]


def test_headers_to_from_and_language() -> None:
    message = render(language="fr")

    assert message["To"] == ", ".join(RECIPIENTS)
    assert message["From"] == SENDER
    assert message["Content-Language"] == "fr"
    assert message["Auto-Submitted"] == "auto-generated"


def test_html_cid_reference_equals_image_content_id() -> None:
    message = render()
    html = body(message, "html")

    references = re.findall(r'<img[^>]*src="cid:([^"]+)"', html)
    content_id = image_part(message)["Content-ID"]

    assert len(references) == 1
    assert content_id == f"<{references[0]}>"
    assert image_part(message).get_content_disposition() == "inline"


def test_png_decodes_with_expected_size() -> None:
    png = image_part(render()).get_content()

    assert png_size(png) == (600, 300)
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert pixels.shape[:2] == (300, 600)


# --- content ---------------------------------------------------------------


def test_subject() -> None:
    assert render()["Subject"] == "CBHI progress — Gasabo — week ending 24 Mar 2023"


def test_numbers_have_thousands_separators_in_both_parts() -> None:
    message = render()
    for content in (body(message, "plain"), body(message, "html")):
        assert "412,345" in content  # members paid
        assert "100,572" in content  # households paid
        assert "601,250" in content  # RSSB target
        assert "664,800" in content  # census-projected target
        assert "188,905" in content  # gap, members
        assert "46,075" in content  # gap, households
        assert "+1,234 members, +0.2 pp" in content
        assert "412345" not in content


def test_units_are_stated() -> None:
    text = body(render(), "plain")

    assert "68.6%" in text
    assert "+0.2 pp" in text
    assert "weekly change in percentage points (pp)" in text


def test_reported_and_corrected_coverage_share_a_row_with_the_method() -> None:
    message = render()

    # The corrected figure is the primary one: it comes first, RSSB's right under it.
    corrected, reported = coverage_row_text(body(message, "plain"))
    assert reported.strip().startswith("68.6% as reported by RSSB")
    assert corrected.strip().startswith("62.0% corrected")
    assert METHOD in corrected

    cells = re.findall(r"<td[^>]*>(.*?)</td>", body(message, "html"), flags=re.DOTALL)
    coverage_cells = [c for c in cells if "as reported by RSSB" in c]
    assert len(coverage_cells) == 1
    cell = coverage_cells[0]
    assert cell.index("62.0% corrected") < cell.index(METHOD) < cell.index("68.6%")


def test_missing_corrected_coverage_says_not_available_and_keeps_reported() -> None:
    week = make_week(
        coverage_corrected_pct=None, corrected_target_population=None, correction_method=None
    )
    message = render(week)

    for content in (body(message, "plain"), body(message, "html")):
        assert "Corrected figure not available" in content
        assert "68.6% as reported by RSSB" in content
        assert "corrected:" not in content
        assert METHOD not in content


def test_corrected_without_method_names_the_missing_method() -> None:
    corrected, reported = coverage_row_text(
        body(render(make_week(correction_method=None)), "plain")
    )

    assert "as reported by RSSB" in reported
    assert "62.0% corrected: method not stated" in corrected


def test_negative_weekly_change_is_flagged_as_rssb_correction() -> None:
    week = make_week(members_paid_change_week=-2_100, coverage_change_week_pp=-0.35)
    message = render(week)

    for content in (body(message, "plain"), body(message, "html")):
        assert "-2,100 members, -0.3 pp" in content
        assert "RSSB corrected earlier data" in content
    assert "RSSB corrected earlier data" not in body(render(), "plain")


def test_change_that_rounds_to_zero_is_neither_negative_nor_flagged() -> None:
    week = make_week(members_paid_change_week=0, coverage_change_week_pp=-0.0004)
    text = body(render(week), "plain")

    assert "0 members, 0.0 pp" in text
    assert "-0.0" not in text
    assert "RSSB corrected earlier data" not in text


def test_missing_weekly_change_says_not_available() -> None:
    week = make_week(members_paid_change_week=None, coverage_change_week_pp=None)

    assert "Not available (no RSSB report for last Friday)" in body(render(week), "plain")


def test_gap_projection_rank_national_and_twin() -> None:
    text = body(render(), "plain")

    assert "Gap to the 2022/23 target:\n  188,905 members, 46,075 households" in text
    assert "Projected coverage on 30 Jun 2023 at the recent pace:\n  74.3%" in text
    assert "2 of 3 in Kigali City · 27 of 30 nationally" in text
    assert "National coverage:\n  81.4%" in text
    assert "Nyagatare: 91.2% (+0.4 pp since last Friday)" in text


def test_target_reached_and_no_twin() -> None:
    week = make_week(gap_members=0, gap_households=0, twin=None)
    text = body(render(week), "plain")

    assert "Target reached" in text
    assert "Your TPN twin district" not in text
    assert "Nyagatare" not in text


def test_no_other_district_is_named_except_the_twin() -> None:
    others = [d for d in RWANDA_DISTRICTS if d not in {"Gasabo", "Nyagatare"}]
    assert len(others) == 28
    for language in LABELS:
        message = render(language=language)
        content = "\n".join([message["Subject"], body(message, "plain"), body(message, "html")])
        assert "Gasabo" in content
        assert "Nyagatare" in content
        named = [d for d in others if re.search(rf"\b{d}\b", content, flags=re.IGNORECASE)]
        assert named == [], language


# --- corrections and identifiers ---------------------------------------------


def test_correction_prefix_notice_and_threading() -> None:
    normal = render()
    correction = render(make_week(is_correction=True))

    assert correction["Subject"] == "[CORRECTION] " + normal["Subject"]
    assert "RSSB re-issued the figures" in body(correction, "plain")
    assert "RSSB re-issued the figures" in body(correction, "html")
    assert "RSSB re-issued" not in body(normal, "plain")
    assert correction["In-Reply-To"] == normal["Message-ID"]
    assert correction["References"] == normal["Message-ID"]
    assert normal["In-Reply-To"] is None


def test_message_id_is_deterministic_and_distinguishes_corrections() -> None:
    first = render()["Message-ID"]
    again = render()["Message-ID"]
    correction = message_id_for("RW-KGL-GAS", REPORT_DATE, is_correction=True)
    next_week = message_id_for("RW-KGL-GAS", REPORT_DATE + timedelta(days=7), is_correction=False)
    other_district = message_id_for("RW-KGL-KIC", REPORT_DATE, is_correction=False)

    assert first == again
    assert first == message_id_for("RW-KGL-GAS", REPORT_DATE, is_correction=False)
    assert correction == render(make_week(is_correction=True))["Message-ID"]
    assert re.fullmatch(r"<[A-Za-z0-9.\-]+@tpn\.example\.org>", first)
    assert len({first, correction, next_week, other_district}) == 4


def test_whole_message_bytes_are_reproducible() -> None:
    week = make_week()

    def render_bytes() -> bytes:
        return render_district_email(week, recipients=RECIPIENTS, sender=SENDER).as_bytes()

    assert render_bytes() == render_bytes()


def test_long_ids_never_fold_or_encode_id_headers() -> None:
    week = make_week(district_id="RW/Kigali City/Gasabo district (code 0102)", is_correction=True)
    message = render_district_email(
        week, recipients=RECIPIENTS, sender=SENDER, message_id_domain="mail.tpn-rwanda.example.rw"
    )
    headers = message.as_bytes().split(b"\r\n\r\n", 1)[0].decode("ascii")

    assert max(len(line) for line in headers.split("\r\n")) <= 78
    assert "=?" not in next(line for line in headers.split("\r\n") if line.startswith("In-Reply"))
    with pytest.raises(ValueError, match="longer than"):
        message_id_for("RW-KGL-GAS", REPORT_DATE, is_correction=False, domain="x" * 40 + ".rw")


# --- security and input validation -------------------------------------------


def test_district_names_are_html_escaped() -> None:
    week = make_week(
        district_name="Gasabo <script>alert(1)</script>",
        twin=TwinStatus('Nyagatare" onerror="x', 91.2, None),
    )
    message = render(week)
    html = body(message, "html")

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'onerror="x' not in html
    assert "<script>" in body(message, "plain")  # plain text is not HTML: no entities there


def test_header_injection_through_district_name_is_refused() -> None:
    week = make_week(district_name="Gasabo\r\nBcc: everyone@example.org")

    with pytest.raises(ValueError, match="linefeed"):
        render_district_email(week, recipients=RECIPIENTS, sender=SENDER)


def test_recipients_must_be_a_non_empty_sequence_of_addresses() -> None:
    with pytest.raises(TypeError):
        render_district_email(make_week(), recipients="cbhi.gasabo@example.rw", sender=SENDER)
    with pytest.raises(ValueError, match="recipient"):
        render_district_email(make_week(), recipients=[], sender=SENDER)


def test_html_is_self_contained_email_html() -> None:
    html = body(render(), "html")

    assert "<script" not in html.lower()
    assert "<style" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, flags=re.IGNORECASE)
    assert "<table" in html


# --- languages ---------------------------------------------------------------


def test_french_labels_and_number_format() -> None:
    message = render(language="fr")
    text = body(message, "plain")

    assert message["Subject"].startswith("Progression de la mutuelle de santé — Gasabo")
    assert "24 mars 2023" in message["Subject"]
    assert "Membres ayant payé" in text
    assert "412\u202f345" in text
    assert "68,6\u00a0% selon la RSSB" in text
    assert "Membres ayant payé" in body(message, "html")


def test_kinyarwanda_labels() -> None:
    message = render(language="rw")
    text = body(message, "plain")

    assert "ubwisungane mu kwivuza" in message["Subject"].lower()
    assert "24 Werurwe 2023" in message["Subject"]
    assert "Akarere ka Gasabo" in text
    assert "Abanyamuryango bishyuye" in text
    assert "Abanyamuryango bishyuye" in body(message, "html")


def test_unknown_language_is_rejected_naming_supported_ones() -> None:
    with pytest.raises(ValueError, match="en, fr, rw"):
        labels_for("de")
    with pytest.raises(ValueError, match="unsupported language 'de'"):
        render_district_email(make_week(), recipients=RECIPIENTS, sender=SENDER, language="de")
    with pytest.raises(ValueError):
        render_district_html(make_week(), language="sw")


# --- browser preview ---------------------------------------------------------


def test_preview_html_embeds_chart_as_data_uri() -> None:
    html = render_district_html(make_week())

    match = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert match is not None
    assert png_size(base64.b64decode(match.group(1))) == (600, 300)
    assert "cid:" not in html
    assert "412,345" in html


# --- corrected coverage first, RSSB's beside it ---------------------------------


def _stale_week(**overrides: object) -> DistrictWeek:
    """Gasabo with a stale RSSB target: reported 120.7%, corrected 84.8%."""
    stale: dict[str, object] = {
        "members_paid": 701_558,
        "households_paid": 164_554,
        "target_population": 581_246,
        "coverage_reported_pct": 120.7,
        "coverage_corrected_pct": 84.8,
        "corrected_target_population": 827_420,
        "coverage_change_week_pp": 0.26,
        "gap_members": 125_862,
        "gap_households": 29_522,
        "projected_year_end_coverage_pct": 85.1,
        "rank_national": 16,
        "rank_province": 1,
        "national_coverage_pct": 85.5,
        "is_coverage_divergent": True,
        "reported": ReportedBeside(
            coverage_change_week_pp=0.37,
            gap_members=0,
            gap_households=0,
            projected_year_end_coverage_pct=121.1,
            rank_national=1,
            rank_province=1,
            national_coverage_pct=89.3,
        ),
        "trajectory_this_fy_reported": fridays(date(2022, 7, 1), 39, 40.0, 2.0),
    }
    return make_week(**(stale | overrides))


def test_stale_target_email_leads_with_corrected_signals_and_reported_beside() -> None:
    text = body(render(_stale_week()), "plain")

    assert (
        "Which figure to trust: RSSB's target for Gasabo (581,246 people) comes from an old "
        "projection and is below the census-based eligible population (827,420 people). "
        "Against the census-based population, coverage is 84.8%, not 120.7%"
    ) in text
    assert (
        "Gap to the 2022/23 target:\n"
        "  Census-based: 125,862 members, 29,522 households\n"
        "  As reported by RSSB: Target reached"
    ) in text
    assert "  Census-based: 85.1%\n  As reported by RSSB: 121.1%" in text
    assert (
        "  Census-based: 1 of 3 in Kigali City · 16 of 30 nationally\n"
        "  As reported by RSSB: 1 of 3 in Kigali City · 1 of 30 nationally"
    ) in text
    assert "  Census-based: +1,234 members, +0.3 pp\n  As reported by RSSB:" in text
    assert "National coverage:\n  Census-based: 85.5%\n  As reported by RSSB: 89.3%" in text


def test_trust_sentence_names_the_direction_and_appears_only_when_dbt_flags_divergence() -> None:
    high = _stale_week(target_population=1_000_000, coverage_reported_pct=70.2)
    assert "is above the census-based eligible population" in body(render(high), "plain")
    quiet = body(render(_stale_week(is_coverage_divergent=False)), "plain")
    assert "Which figure to trust" not in quiet
    assert "Census-based: 125,862 members" in quiet  # the signals are still corrected first


@pytest.mark.parametrize("language", sorted(LABELS))
def test_a_row_whose_two_versions_read_the_same_has_one_line_saying_so(language: str) -> None:
    labels = labels_for(language)
    reported = replace(_stale_week().reported, coverage_change_week_pp=0.26)  # type: ignore[type-var]
    message = render(_stale_week(reported=reported), language=language)
    text, html = body(message, "plain"), body(message, "html")

    value = labels["change_week_value"].format(
        members=f"+1{labels['thousands_sep']}234",
        pp="+0" + labels["decimal_sep"] + "3" + labels["pp_suffix"],
    )
    line = labels["both_bases"].format(value=value)
    assert f"{labels['change_week']}:\n  {line}\n\n" in text
    assert line.replace("'", "&#39;") in html


def test_a_district_without_a_correction_keeps_unlabelled_single_lines() -> None:
    text = body(render(), "plain")

    assert "Change since last Friday:\n  +1,234 members, +0.2 pp\n\n" in text
    assert "Census-based and as reported by RSSB" not in text


@pytest.mark.parametrize("language", sorted(LABELS))
def test_trust_sentence_and_both_chart_lines_in_every_language(language: str) -> None:
    from tpn_metrics.emails.chart import REPORTED_COLOUR, THIS_FY_COLOUR

    labels = labels_for(language)
    message = render(_stale_week(), language=language)
    text, html = body(message, "plain"), body(message, "html")
    opening = labels["trust_target_low"].split("{district}")[0]
    assert opening in text
    assert opening.replace("'", "&#39;") in html
    assert labels["primary_basis"].format(value="") in text
    assert labels["reported_beside"].format(value="") in text

    pixels = matplotlib.image.imread(io.BytesIO(image_part(message).get_content()), format="png")
    for colour in (THIS_FY_COLOUR, REPORTED_COLOUR):
        rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        drawn = (abs(pixels[..., :3] - rgb) <= 30 / 255).all(axis=-1).sum()
        assert drawn > 150, (language, colour)


def test_without_a_reported_series_the_chart_has_no_reported_line() -> None:
    from tpn_metrics.emails.chart import REPORTED_COLOUR

    png = image_part(render()).get_content()
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    rgb = [int(REPORTED_COLOUR[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    assert (abs(pixels[..., :3] - rgb) <= 30 / 255).all(axis=-1).sum() == 0


@pytest.mark.parametrize("language", sorted(LABELS))
def test_the_marts_method_key_is_worded_in_the_emails_language(language: str) -> None:
    labels = labels_for(language)
    text = body(render(make_week(correction_method="geometric"), language=language), "plain")

    assert labels["method_geometric"] in text
    assert "geometric" not in text or language == "en"


# --- the fiscal year's first and last reports ---------------------------------


def _first_report_of_fy(**overrides: object) -> DistrictWeek:
    """Gasabo, Friday 7 July 2023: FY 2023/24's first report, counts restarted on 1 July."""
    first: dict[str, object] = {
        "report_date": date(2023, 7, 7),
        "fiscal_year": "2023/24",
        "members_paid_change_week": None,
        "coverage_change_week_pp": None,
        "projected_year_end_coverage_pct": None,
        "trajectory_this_fy": ((date(2023, 7, 7), 0.1),),
        "reported": replace(
            _stale_week().reported,  # type: ignore[type-var]
            coverage_change_week_pp=None,
            projected_year_end_coverage_pct=None,
        ),
    }
    return _stale_week(**(first | overrides))


@pytest.mark.parametrize("language", sorted(LABELS))
def test_first_report_of_a_fiscal_year_says_counts_restart_not_missing_report(
    language: str,
) -> None:
    labels = labels_for(language)
    text = body(render(_first_report_of_fy(), language=language), "plain")

    restart = labels["change_week_new_fiscal_year"].format(fiscal_year="2023/24")
    assert f"{labels['change_week']}:\n  {restart}\n\n" in text  # one line, no basis label
    assert labels["change_week_unavailable"] not in text
    pace = labels["projection_new_fiscal_year"].format(fiscal_year="2023/24")
    assert f"\n  {pace}\n\n" in text
    assert f"\n  {labels['projection_unavailable']}\n" not in text


def test_a_missing_friday_inside_the_fiscal_year_still_says_no_report() -> None:
    # 14 July 2023: last Friday (7 July) is in the same fiscal year, so a missing change
    # really means RSSB sent no report for it.
    text = body(render(_first_report_of_fy(report_date=date(2023, 7, 14))), "plain")

    assert "Not available (no RSSB report for last Friday)" in text
    assert "cumulative counts restart" not in text


def test_second_report_of_a_fiscal_year_shows_change_and_pace() -> None:
    week = _first_report_of_fy(
        report_date=date(2023, 7, 14),
        members_paid_change_week=5_000,
        coverage_change_week_pp=0.6,
        projected_year_end_coverage_pct=31.4,
        reported=replace(
            _stale_week().reported,  # type: ignore[type-var]
            coverage_change_week_pp=0.86,
            projected_year_end_coverage_pct=44.7,
        ),
    )
    text = body(render(week), "plain")

    assert "  Census-based: +5,000 members, +0.6 pp\n  As reported by RSSB: +5,000 members" in text
    assert "  Census-based: 31.4%\n  As reported by RSSB: 44.7%" in text
    assert "Projected coverage on 30 Jun 2024 at the recent pace" in text


@pytest.mark.parametrize("language", sorted(LABELS))
def test_last_report_of_the_fiscal_year_projects_nothing(language: str) -> None:
    labels = labels_for(language)
    week = _stale_week(report_date=date(2023, 6, 30), projected_year_end_coverage_pct=84.8)
    text = body(render(week, language=language), "plain")

    year_end = labels["date_format"].format(day=30, month=labels["month_6"], year=2023)
    assert labels["projection"].format(date=year_end) not in text
    assert (
        f"{labels['projection_year_end'].format(fiscal_year='2022/23')}:\n"
        f"  {labels['projection_year_ended'].format(date=year_end)}\n"
    ) in text


def test_the_friday_before_the_last_still_projects() -> None:
    text = body(render(_stale_week(report_date=date(2023, 6, 23))), "plain")

    assert "Projected coverage on 30 Jun 2023 at the recent pace:\n  Census-based: 85.1%" in text
    assert "End of fiscal year" not in text


def _pixels_of(png: bytes, colour: str) -> int:
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return int((abs(pixels[..., :3] - rgb) <= 30 / 255).all(axis=-1).sum())


def test_the_first_friday_of_a_fiscal_year_is_a_visible_point_over_last_years_line() -> None:
    from tpn_metrics.emails.chart import REPORTED_COLOUR, THIS_FY_COLOUR

    week = _first_report_of_fy(
        trajectory_this_fy=((date(2023, 7, 7), 20.0),),
        trajectory_this_fy_reported=((date(2023, 7, 7), 40.0),),
        trajectory_last_fy=fridays(date(2022, 7, 1), 53, 1.0, 1.6),
    )
    png = image_part(render(week)).get_content()

    # A one-point series has no line: only its marker shows it. Measured: 176 and 200 px
    # of each colour with 6 pt markers, 80 and 100 px (mostly the legend) with 2.5 pt ones.
    assert _pixels_of(png, THIS_FY_COLOUR) > 130
    assert _pixels_of(png, REPORTED_COLOUR) > 130
