"""The district email's one data-quality line, in the district's language (en, fr, rw):
"Your data this week: on time, complete, one unusual value: members paid rose by 41,200
(usual weekly rise about 3,000)".

Pure: a :class:`tpn_metrics.quality.records.DistrictQuality` (from
:func:`tpn_metrics.quality.review.week_review`) in, a string out. ``tpn dq`` and the
evaluation report print the same line (English), so the three show the same figures.
Every language has the same keys and placeholders (tests/tpn_metrics/emails/
test_quality_line.py); the Kinyarwanda is a draft to be reviewed like the rest.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from tpn_metrics.emails.labels import DEFAULT_LANGUAGE, labels_for
from tpn_metrics.emails.rows import fmt_decimal, fmt_int, fmt_pct
from tpn_metrics.quality.records import DistrictQuality, Flag

_EN = {
    "line": "Your data this week: {parts}",
    "on_time": "on time",
    "late": "late ({days} days after the Friday)",
    "backfilled": "loaded from history (no delivery time)",
    "unknown_time": "delivery time unknown",
    "complete": "complete",
    "incomplete": "incomplete ({pct} of required fields filled)",
    "missing": "your district is missing from the file",
    "no_unusual": "no unusual value",
    "one_unusual": "one unusual value: {items}",
    "n_unusual": "{n} unusual values: {items}",
    "rise": "members paid rose by {observed} (usual weekly rise about {expected})",
    "rise_low": "members paid rose by only {observed} (usual weekly rise about {expected})",
    "fall": "members paid fell by {observed} (an RSSB correction)",
    "value": "{measure}: {observed} (expected {expected})",
    "value_only": "{measure}: {observed}",
    "days": " days",
    "m_coverage_rate": "RSSB's coverage rate {observed}, members paid ÷ target {expected}",
    "m_household_size": "{observed} members per household",
    "m_coverage_consistency": "coverage {observed}, same week of earlier years {expected}",
    "m_payments_reconciliation": "payments extract {observed} members paid, RSSB {expected}",
    "m_target_stale": "RSSB's target {observed} people, census-based {expected}",
    "m_target_growth": "RSSB's target grew {observed} in a year, the census projection {expected}",
    "m_late_file": "delivered {observed} after the Friday (due within {expected})",
    "m_district_missing": "district missing from the file ({observed} of {expected} districts)",
}

_FR = {
    "line": "Vos données cette semaine : {parts}",
    "on_time": "à l'heure",
    "late": "en retard ({days} jours après le vendredi)",
    "backfilled": "chargées après coup (sans heure de livraison)",
    "unknown_time": "heure de livraison inconnue",
    "complete": "complètes",
    "incomplete": "incomplètes ({pct} des champs requis remplis)",
    "missing": "votre district manque dans le fichier",
    "no_unusual": "aucune valeur inhabituelle",
    "one_unusual": "une valeur inhabituelle : {items}",
    "n_unusual": "{n} valeurs inhabituelles : {items}",
    "rise": (
        "les membres payés ont augmenté de {observed} "
        "(hausse hebdomadaire habituelle d'environ {expected})"
    ),
    "rise_low": (
        "les membres payés n'ont augmenté que de {observed} "
        "(hausse hebdomadaire habituelle d'environ {expected})"
    ),
    "fall": "les membres payés ont baissé de {observed} (une correction de RSSB)",
    "value": "{measure} : {observed} (attendu {expected})",
    "value_only": "{measure} : {observed}",
    "days": "\u00a0jours",
    "m_coverage_rate": "taux de couverture de RSSB {observed}, membres payés ÷ cible {expected}",
    "m_household_size": "{observed} membres par ménage",
    "m_coverage_consistency": "couverture {observed}, même semaine des années passées {expected}",
    "m_payments_reconciliation": "paiements {observed} membres payés, RSSB {expected}",
    "m_target_stale": "cible de RSSB {observed} personnes, selon le recensement {expected}",
    "m_target_growth": "la cible de RSSB a crû de {observed} en un an, la projection de {expected}",
    "m_late_file": "livré {observed} après le vendredi (attendu sous {expected})",
    "m_district_missing": "district absent du fichier ({observed} sur {expected} districts)",
}

_RW = {
    "line": "Amakuru yanyu y'iki cyumweru: {parts}",
    "on_time": "yageze ku gihe",
    "late": "yatinze (iminsi {days} nyuma yo ku wa Gatanu)",
    "backfilled": "yinjijwe nyuma (nta gihe yatangiweho)",
    "unknown_time": "igihe yagereyeho ntikizwi",
    "complete": "yuzuye",
    "incomplete": "ntiyuzuye ({pct} by'ibisabwa byujujwe)",
    "missing": "akarere kanyu ntikari muri dosiye",
    "no_unusual": "nta mubare udasanzwe",
    "one_unusual": "umubare umwe udasanzwe: {items}",
    "n_unusual": "imibare {n} idasanzwe: {items}",
    "rise": "abishyuye biyongereyeho {observed} (ubusanzwe ni hafi {expected} buri cyumweru)",
    "rise_low": (
        "abishyuye biyongereyeho {observed} gusa (ubusanzwe ni hafi {expected} buri cyumweru)"
    ),
    "fall": "abishyuye bagabanutseho {observed} (ikosora rya RSSB)",
    "value": "{measure}: {observed} (hari hitezwe {expected})",
    "value_only": "{measure}: {observed}",
    "days": " (iminsi)",
    "m_coverage_rate": "igipimo cya RSSB {observed}, abishyuye ÷ intego {expected}",
    "m_household_size": "abanyamuryango {observed} ku rugo",
    "m_coverage_consistency": "ubwitabire {observed}, icyumweru nk'iki mu myaka ishize {expected}",
    "m_payments_reconciliation": "ubwishyu: abishyuye {observed}, RSSB {expected}",
    "m_target_stale": "intego ya RSSB: abantu {observed}, ibarura rusange {expected}",
    "m_target_growth": "intego ya RSSB yazamutseho {observed} mu mwaka, ibarura {expected}",
    "m_late_file": "yatanzwe {observed} nyuma yo ku wa Gatanu (igihe ntarengwa {expected})",
    "m_district_missing": "akarere ntikari muri dosiye (uturere {observed} kuri {expected})",
}

COUNT_UNITS = frozenset({"members", "persons", "districts", "hospitals"})
"""Units of ``fct_dq_flags.unit`` that count people or places: shown as whole numbers."""

QUALITY_LABELS: dict[str, dict[str, str]] = {"en": _EN, "fr": _FR, "rw": _RW}
"""The line's words per language (same keys and placeholders in each)."""


def about(value: float) -> int:
    """``value`` rounded half away from zero to two significant figures, for "about 3,000"
    (3,040 → 3,000; 3,050 → 3,100; 87 → 87)."""
    if value == 0 or not math.isfinite(value):
        return 0
    exponent = math.floor(math.log10(abs(value))) - 1
    quantum = Decimal(1).scaleb(exponent)
    return int(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def _value(value: float, unit: str, labels: dict[str, str], words: dict[str, str]) -> str:
    if unit in COUNT_UNITS:
        return fmt_int(round(value), labels)
    if unit == "percent":
        return fmt_pct(value, labels)
    if unit == "pp":
        return fmt_decimal(value, labels) + labels["pp_suffix"]
    if unit == "days":
        return fmt_decimal(value, labels) + words["days"]
    if unit == "ratio":
        return f"{value:.2f}".replace(".", labels["decimal_sep"])
    return fmt_decimal(value, labels)  # persons per household and any other unit


def unusual_value_text(flag: Flag, language: str = DEFAULT_LANGUAGE) -> str:
    """One flagged value in words, with its figures formatted as in the email: the weekly
    increment of members paid as a rise against the usual rise (the window's median,
    rounded to two significant figures by :func:`about`), a negative increment as a fall
    (an RSSB correction), the marts' other measures by their own sentence (``m_<measure>``),
    an unknown one as "measure: observed (expected …)"; figures in their unit.
    Raises KeyError for a language without labels."""
    labels, words = labels_for(language), QUALITY_LABELS[language]
    observed, expected = flag.observed_value, flag.expected_value
    if flag.measure == "members_paid_increment" and observed is not None and expected is not None:
        key = "rise" if observed >= expected else "rise_low"
        return words[key].format(
            observed=fmt_int(round(observed), labels),
            expected=fmt_int(about(expected), labels),
        )
    if flag.measure == "negative_increment" and observed is not None:
        return words["fall"].format(observed=fmt_int(abs(round(observed)), labels))
    shown = "–" if observed is None else _value(observed, flag.unit, labels, words)
    wanted = "–" if expected is None else _value(expected, flag.unit, labels, words)
    template = words.get(f"m_{flag.measure}")
    if template is not None:
        return template.format(observed=shown, expected=wanted)
    measure = flag.measure.replace("_", " ")
    if expected is None:
        return words["value_only"].format(measure=measure, observed=shown)
    return words["value"].format(measure=measure, observed=shown, expected=wanted)


def data_quality_line(quality: DistrictQuality, language: str = DEFAULT_LANGUAGE) -> str:
    """The email's line for one district and week: timeliness, completeness, then the
    unusual values (outliers, consistency, denominators) with their figures. Days late in
    days (one decimal), fill rates in %. Raises KeyError for a language without labels."""
    labels, words = labels_for(language), QUALITY_LABELS[language]
    status = quality.timeliness_status
    if status == "late":
        days = quality.days_after_report_date
        timeliness = words["late"].format(days="–" if days is None else fmt_decimal(days, labels))
    elif status in ("on_time", "backfilled"):
        timeliness = words[status]
    else:
        timeliness = words["unknown_time"]
    if not quality.is_district_reported:
        completeness = words["missing"]
    elif quality.is_complete:
        completeness = words["complete"]
    else:
        filled = quality.required_fields_filled_pct
        completeness = words["incomplete"].format(
            pct="–" if filled is None else fmt_pct(filled, labels)
        )
    unusual = [unusual_value_text(flag, language) for flag in quality.unusual_values]
    if not unusual:
        values = words["no_unusual"]
    elif len(unusual) == 1:
        values = words["one_unusual"].format(items=unusual[0])
    else:
        values = words["n_unusual"].format(n=len(unusual), items="; ".join(unusual))
    return words["line"].format(parts=", ".join((timeliness, completeness, values)))
