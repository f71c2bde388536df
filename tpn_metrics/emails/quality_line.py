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
    "measure_coverage_rate": "RSSB's coverage rate against its own counts",
    "measure_household_size": "members per household",
    "measure_coverage_consistency": "coverage against the same week of earlier years",
    "measure_payments_reconciliation": "payments extract against RSSB's figures",
    "measure_target_stale": "RSSB's target against the census projection",
    "measure_target_growth": "yearly growth of RSSB's target",
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
    "measure_coverage_rate": "taux de couverture de RSSB face à ses propres chiffres",
    "measure_household_size": "membres par ménage",
    "measure_coverage_consistency": "couverture face à la même semaine des années passées",
    "measure_payments_reconciliation": "paiements face aux chiffres de RSSB",
    "measure_target_stale": "cible de RSSB face à la projection du recensement",
    "measure_target_growth": "croissance annuelle de la cible de RSSB",
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
    "days": "",
    "measure_coverage_rate": "igipimo cy'ubwitabire cya RSSB ugereranyije n'imibare yayo",
    "measure_household_size": "abanyamuryango ku rugo",
    "measure_coverage_consistency": "ubwitabire ugereranyije n'icyumweru nk'iki mu myaka ishize",
    "measure_payments_reconciliation": "ubwishyu ugereranyije n'imibare ya RSSB",
    "measure_target_stale": "intego ya RSSB ugereranyije n'ibarura rusange",
    "measure_target_growth": "izamuka ry'intego ya RSSB mu mwaka",
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
    (an RSSB correction), any other measure as "measure: observed (expected …)" in its unit.
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
    measure = words.get(f"measure_{flag.measure}", flag.measure.replace("_", " "))
    shown = "–" if observed is None else _value(observed, flag.unit, labels, words)
    if expected is None:
        return words["value_only"].format(measure=measure, observed=shown)
    return words["value"].format(
        measure=measure, observed=shown, expected=_value(expected, flag.unit, labels, words)
    )


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
