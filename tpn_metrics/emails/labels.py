"""User-facing text of the weekly district CBHI email, per language.

Every language has exactly the same keys and the same ``{placeholders}`` in each
value (a test enforces this), so a missing translation fails in CI rather than
in a district's inbox.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"

# The subject prefix stays in English in every language: district teams and the
# RSSB liaison filter their mailboxes on it, and a translated prefix would slip
# past those rules.
_CORRECTION_PREFIX = "[CORRECTION] "

_EN: dict[str, str] = {
    "subject": "CBHI progress — {district} — week ending {date}",
    "correction_prefix": _CORRECTION_PREFIX,
    "correction_notice": (
        "Correction: RSSB re-issued the figures for the week ending {date}. "
        "This email replaces the one sent earlier for that week."
    ),
    "heading": "CBHI progress — {district}",
    "district_line": "{district} district, {province}",
    "week_line": "Week ending Friday {date} · fiscal year {fiscal_year}",
    "members_paid": "Members paid",
    "households_paid_note": "in {households} households",
    "coverage": "Coverage this week",
    "coverage_reported": "{pct} as reported by RSSB (against RSSB's target of {target} people)",
    "coverage_corrected": "{pct} corrected: {method} (against a target of {target} people)",
    "coverage_corrected_no_target": "{pct} corrected: {method}",
    "coverage_corrected_unavailable": (
        "Corrected figure not available (no census-projected target for this district)"
    ),
    "method_unknown": "method not stated",
    "method_geometric": "geometric projection from the 2012 and 2022 censuses",
    "method_linear": "linear projection from the 2012 and 2022 censuses",
    "method_exponential": "exponential projection from the 2012 and 2022 censuses",
    "trust_target_low": (
        "Which figure to trust: RSSB's target for {district} ({rssb_target} people) comes "
        "from an old projection and is below the census-based eligible population "
        "({corrected_target} people). Against the census-based population, coverage is "
        "{pct}, not {reported_pct}; the figures below use it first."
    ),
    "trust_target_high": (
        "Which figure to trust: RSSB's target for {district} ({rssb_target} people) comes "
        "from an old projection and is above the census-based eligible population "
        "({corrected_target} people). Against the census-based population, coverage is "
        "{pct}, not {reported_pct}; the figures below use it first."
    ),
    "primary_basis": "Census-based: {value}",
    "reported_beside": "As reported by RSSB: {value}",
    "twin_value_corrected": "{district}: {pct} census-based ({reported_pct} as reported by RSSB)",
    "twin_value_corrected_change": (
        "{district}: {pct} census-based ({pp} since last Friday; {reported_pct} as reported "
        "by RSSB)"
    ),
    "both_bases": "Census-based and as reported by RSSB: {value}",
    "change_week_new_fiscal_year": (
        "Not available: cumulative counts restart on 1 July with the new fiscal year "
        "{fiscal_year}, and this is its first report"
    ),
    "projection_new_fiscal_year": (
        "Not available yet: the pace needs two reports of the new fiscal year {fiscal_year}"
    ),
    "projection_year_end": "End of fiscal year {fiscal_year}",
    "projection_year_ended": (
        "This is the last Friday report of the fiscal year, which ends on {date}: "
        "there is nothing left to project; this week's figures are the year's final ones."
    ),
    "chart_corrected_series": "{fiscal_year}, census-based target",
    "chart_reported_series": "{fiscal_year}, as reported by RSSB",
    "change_week": "Change since last Friday",
    "change_week_value": "{members} members, {pp}",
    "change_week_members_only": "{members} members",
    "change_week_pp_only": "{pp}",
    "change_week_unavailable": "Not available (no RSSB report for last Friday)",
    "change_week_correction": (
        "The figures went down since last Friday: RSSB corrected earlier data, "
        "this is not a loss of members."
    ),
    "gap": "Gap to the {fiscal_year} target",
    "gap_value": "{members} members, {households} households",
    "gap_value_no_households": "{members} members (household figure not available)",
    "gap_reached": "Target reached",
    "projection": "Projected coverage on {date} at the recent pace",
    "projection_unavailable": "Not available yet",
    "rank": "Rank",
    "rank_value": "{rank_province} of {n_province} in {province} · "
    "{rank_national} of {n_districts} nationally",
    "national": "National coverage",
    "twin": "Your TPN twin district",
    "twin_value": "{district}: {pct}",
    "twin_value_change": "{district}: {pct} ({pp} since last Friday)",
    "chart_title": "{district}: CBHI coverage by week",
    "chart_alt": (
        "Line chart of the CBHI coverage of {district} by week of the fiscal year: "
        "{this_fy} compared with {last_fy}."
    ),
    "chart_x": "Week of the fiscal year (weeks since 1 July)",
    "chart_y": "Coverage (%)",
    "chart_reference": "100% of target",
    "chart_last_fy": "Last fiscal year",
    "chart_text_note": "The weekly chart is in the HTML version of this email.",
    "units_note": "Coverage in %; weekly change in percentage points (pp).",
    "source_note": (
        "Source: RSSB weekly CBHI report. Sent automatically by the Twinning "
        "Partnership Network (TPN) after the Friday data load."
    ),
    "date_format": "{day} {month} {year}",
    "thousands_sep": ",",
    "decimal_sep": ".",
    "percent_suffix": "%",
    "pp_suffix": " pp",
    "month_1": "Jan",
    "month_2": "Feb",
    "month_3": "Mar",
    "month_4": "Apr",
    "month_5": "May",
    "month_6": "Jun",
    "month_7": "Jul",
    "month_8": "Aug",
    "month_9": "Sep",
    "month_10": "Oct",
    "month_11": "Nov",
    "month_12": "Dec",
}

_FR: dict[str, str] = {
    "subject": "Progression de la mutuelle de santé — {district} — semaine se terminant le {date}",
    "correction_prefix": _CORRECTION_PREFIX,
    "correction_notice": (
        "Correction : la RSSB a republié les chiffres de la semaine se terminant le {date}. "
        "Ce courriel remplace celui envoyé plus tôt pour cette semaine."
    ),
    "heading": "Progression de la mutuelle de santé — {district}",
    "district_line": "District de {district}, {province}",
    "week_line": "Semaine se terminant le vendredi {date} · exercice {fiscal_year}",
    "members_paid": "Membres ayant payé",
    "households_paid_note": "dans {households} ménages",
    "coverage": "Couverture cette semaine",
    "coverage_reported": (
        "{pct} selon la RSSB (par rapport à l'objectif de la RSSB de {target} personnes)"
    ),
    "coverage_corrected": (
        "{pct} corrigée : {method} (par rapport à un objectif de {target} personnes)"
    ),
    "coverage_corrected_no_target": "{pct} corrigée : {method}",
    "coverage_corrected_unavailable": (
        "Chiffre corrigé non disponible (pas d'objectif projeté à partir du recensement "
        "pour ce district)"
    ),
    "method_unknown": "méthode non précisée",
    "method_geometric": "projection géométrique des recensements de 2012 et 2022",
    "method_linear": "projection linéaire des recensements de 2012 et 2022",
    "method_exponential": "projection exponentielle des recensements de 2012 et 2022",
    "trust_target_low": (
        "Quel chiffre retenir : l'objectif de la RSSB pour {district} ({rssb_target} "
        "personnes) provient d'une ancienne projection et est inférieur à la population "
        "éligible selon le recensement ({corrected_target} personnes). Rapportée à la "
        "population du recensement, la couverture est de {pct}, et non de {reported_pct} ; "
        "les chiffres ci-dessous l'utilisent en premier."
    ),
    "trust_target_high": (
        "Quel chiffre retenir : l'objectif de la RSSB pour {district} ({rssb_target} "
        "personnes) provient d'une ancienne projection et est supérieur à la population "
        "éligible selon le recensement ({corrected_target} personnes). Rapportée à la "
        "population du recensement, la couverture est de {pct}, et non de {reported_pct} ; "
        "les chiffres ci-dessous l'utilisent en premier."
    ),
    "primary_basis": "Selon le recensement : {value}",
    "reported_beside": "Selon la RSSB : {value}",
    "twin_value_corrected": (
        "{district} : {pct} selon le recensement ({reported_pct} selon la RSSB)"
    ),
    "twin_value_corrected_change": (
        "{district} : {pct} selon le recensement ({pp} depuis vendredi dernier ; "
        "{reported_pct} selon la RSSB)"
    ),
    "both_bases": "Selon le recensement et selon la RSSB : {value}",
    "change_week_new_fiscal_year": (
        "Non disponible : les cumuls repartent de zéro le 1er juillet avec le nouvel "
        "exercice {fiscal_year}, et ceci en est le premier rapport"
    ),
    "projection_new_fiscal_year": (
        "Pas encore disponible : le rythme demande deux rapports du nouvel exercice {fiscal_year}"
    ),
    "projection_year_end": "Fin de l'exercice {fiscal_year}",
    "projection_year_ended": (
        "Ceci est le dernier rapport du vendredi de l'exercice, qui se termine le {date} : "
        "il n'y a plus rien à projeter ; les chiffres de cette semaine sont ceux de fin d'exercice."
    ),
    "chart_corrected_series": "{fiscal_year}, objectif selon le recensement",
    "chart_reported_series": "{fiscal_year}, selon la RSSB",
    "change_week": "Variation depuis vendredi dernier",
    "change_week_value": "{members} membres, {pp}",
    "change_week_members_only": "{members} membres",
    "change_week_pp_only": "{pp}",
    "change_week_unavailable": "Non disponible (pas de rapport de la RSSB vendredi dernier)",
    "change_week_correction": (
        "Les chiffres ont baissé depuis vendredi dernier : la RSSB a corrigé des données "
        "antérieures, il ne s'agit pas d'une perte de membres."
    ),
    "gap": "Écart par rapport à l'objectif {fiscal_year}",
    "gap_value": "{members} membres, {households} ménages",
    "gap_value_no_households": "{members} membres (nombre de ménages non disponible)",
    "gap_reached": "Objectif atteint",
    "projection": "Couverture projetée au {date} au rythme récent",
    "projection_unavailable": "Pas encore disponible",
    "rank": "Rang",
    "rank_value": "{rank_province} sur {n_province} en {province} · "
    "{rank_national} sur {n_districts} au niveau national",
    "national": "Couverture nationale",
    "twin": "Votre district jumeau TPN",
    "twin_value": "{district} : {pct}",
    "twin_value_change": "{district} : {pct} ({pp} depuis vendredi dernier)",
    "chart_title": "{district} : couverture de la mutuelle, par semaine",
    "chart_alt": (
        "Graphique de la couverture de la mutuelle de {district}, par semaine de "
        "l'exercice : {this_fy} comparé à {last_fy}."
    ),
    "chart_x": "Semaine de l'exercice (semaines depuis le 1er juillet)",
    "chart_y": "Couverture (%)",
    "chart_reference": "100 % de l'objectif",
    "chart_last_fy": "Exercice précédent",
    "chart_text_note": "Le graphique hebdomadaire figure dans la version HTML de ce courriel.",
    "units_note": ("Couverture en % ; variation hebdomadaire en points de pourcentage (pp)."),
    "source_note": (
        "Source : rapport hebdomadaire de la RSSB sur la mutuelle de santé. Envoyé "
        "automatiquement par le Twinning Partnership Network (TPN) après le chargement "
        "du vendredi."
    ),
    "date_format": "{day} {month} {year}",
    # French typography: narrow no-break space between thousands, decimal comma,
    # and a no-break space before % so a line never wraps between number and unit.
    "thousands_sep": "\u202f",
    "decimal_sep": ",",
    "percent_suffix": "\u00a0%",
    "pp_suffix": "\u00a0pp",
    "month_1": "janv.",
    "month_2": "févr.",
    "month_3": "mars",
    "month_4": "avr.",
    "month_5": "mai",
    "month_6": "juin",
    "month_7": "juil.",
    "month_8": "août",
    "month_9": "sept.",
    "month_10": "oct.",
    "month_11": "nov.",
    "month_12": "déc.",
}

# Kinyarwanda: a best-effort draft, NOT reviewed. A native speaker on the TPN team
# must review every string below before any district receives it.
_RW: dict[str, str] = {
    "subject": "Aho ubwisungane mu kwivuza bugeze — {district} — icyumweru kirangira ku wa {date}",
    "correction_prefix": _CORRECTION_PREFIX,
    "correction_notice": (
        "Ikosora: RSSB yongeye gutangaza imibare y'icyumweru kirangira ku wa {date}. "
        "Iyi imeri isimbura iyoherejwe mbere kuri icyo cyumweru."
    ),
    "heading": "Aho ubwisungane mu kwivuza bugeze — {district}",
    "district_line": "Akarere ka {district}, {province}",
    "week_line": "Icyumweru kirangira ku wa Gatanu {date} · umwaka w'ingengo y'imari {fiscal_year}",
    "members_paid": "Abanyamuryango bishyuye",
    "households_paid_note": "mu ngo {households}",
    "coverage": "Ijanisha ry'abishyuye muri iki cyumweru",
    "coverage_reported": (
        "{pct} nk'uko RSSB yabitangaje (ugereranyije n'intego ya RSSB y'abantu {target})"
    ),
    "coverage_corrected": ("{pct} ryakosowe: {method} (ugereranyije n'intego y'abantu {target})"),
    "coverage_corrected_no_target": "{pct} ryakosowe: {method}",
    "coverage_corrected_unavailable": (
        "Ijanisha ryakosowe ntiriraboneka (nta ntego ishingiye ku ibarura rusange "
        "ry'abaturage kuri aka karere)"
    ),
    "method_unknown": "uburyo ntibwavuzwe",
    "method_geometric": "igereranya rya geometiriki rishingiye ku ibarura rusange rya 2012 na 2022",
    "method_linear": "igereranya ry'umurongo rishingiye ku ibarura rusange rya 2012 na 2022",
    "method_exponential": (
        "igereranya rya eksiponensiyeli rishingiye ku ibarura rusange rya 2012 na 2022"
    ),
    "trust_target_low": (
        "Imibare yo kwizera: intego ya RSSB kuri {district} (abantu {rssb_target}) ishingiye "
        "ku igereranya rya kera kandi iri munsi y'abaturage bemerewe hashingiwe ku ibarura "
        "rusange (abantu {corrected_target}). Ugereranyije n'abaturage b'ibarura rusange, "
        "ijanisha ni {pct}, si {reported_pct}; imibare ikurikira ishingiye kuri iryo janisha."
    ),
    "trust_target_high": (
        "Imibare yo kwizera: intego ya RSSB kuri {district} (abantu {rssb_target}) ishingiye "
        "ku igereranya rya kera kandi iri hejuru y'abaturage bemerewe hashingiwe ku ibarura "
        "rusange (abantu {corrected_target}). Ugereranyije n'abaturage b'ibarura rusange, "
        "ijanisha ni {pct}, si {reported_pct}; imibare ikurikira ishingiye kuri iryo janisha."
    ),
    "primary_basis": "Hashingiwe ku ibarura rusange: {value}",
    "reported_beside": "Nk'uko RSSB ibitangaza: {value}",
    "twin_value_corrected": (
        "{district}: {pct} hashingiwe ku ibarura rusange ({reported_pct} nk'uko RSSB ibitangaza)"
    ),
    "twin_value_corrected_change": (
        "{district}: {pct} hashingiwe ku ibarura rusange ({pp} kuva ku wa Gatanu ushize; "
        "{reported_pct} nk'uko RSSB ibitangaza)"
    ),
    "both_bases": "Hashingiwe ku ibarura rusange no nk'uko RSSB ibitangaza: {value}",
    "change_week_new_fiscal_year": (
        "Ntibiraboneka: imibare itangira kubarwa bundi bushya ku wa 1 Nyakanga mu mwaka "
        "mushya w'ingengo y'imari {fiscal_year}, kandi iyi ni raporo yawo ya mbere"
    ),
    "projection_new_fiscal_year": (
        "Ntiriraboneka: umuvuduko usaba raporo ebyiri z'umwaka mushya w'ingengo y'imari "
        "{fiscal_year}"
    ),
    "projection_year_end": "Impera z'umwaka w'ingengo y'imari {fiscal_year}",
    "projection_year_ended": (
        "Iyi ni raporo ya nyuma yo ku wa Gatanu y'umwaka w'ingengo y'imari, urangira ku wa "
        "{date}: nta kindi cyo guteganya; imibare y'iki cyumweru ni iya nyuma y'umwaka."
    ),
    "chart_corrected_series": "{fiscal_year}, intego ishingiye ku ibarura rusange",
    "chart_reported_series": "{fiscal_year}, nk'uko RSSB ibitangaza",
    "change_week": "Impinduka kuva ku wa Gatanu ushize",
    "change_week_value": "abanyamuryango {members}, {pp}",
    "change_week_members_only": "abanyamuryango {members}",
    "change_week_pp_only": "{pp}",
    "change_week_unavailable": "Ntibiraboneka (nta raporo ya RSSB yo ku wa Gatanu ushize)",
    "change_week_correction": (
        "Imibare yagabanutse kuva ku wa Gatanu ushize: RSSB yakosoye imibare ya mbere, "
        "si abanyamuryango batakaye."
    ),
    "gap": "Abasigaye ngo intego ya {fiscal_year} igerweho",
    "gap_value": "abanyamuryango {members}, ingo {households}",
    "gap_value_no_households": "abanyamuryango {members} (umubare w'ingo ntuboneka)",
    "gap_reached": "Intego yagezweho",
    "projection": "Ijanisha riteganyijwe ku wa {date} ukurikije umuvuduko wa vuba",
    "projection_unavailable": "Ntiriraboneka",
    "rank": "Umwanya",
    "rank_value": "{rank_province} muri {n_province} mu {province} · "
    "{rank_national} muri {n_districts} mu gihugu",
    "national": "Ijanisha ku rwego rw'igihugu",
    "twin": "Akarere k'impanga muri TPN",
    "twin_value": "{district}: {pct}",
    "twin_value_change": "{district}: {pct} ({pp} kuva ku wa Gatanu ushize)",
    "chart_title": "{district}: ijanisha ry'ubwisungane mu kwivuza, buri cyumweru",
    "chart_alt": (
        "Igishushanyo cy'ijanisha ry'ubwisungane mu kwivuza kuri {district}, buri cyumweru "
        "cy'umwaka w'ingengo y'imari: {this_fy} ugereranyije na {last_fy}."
    ),
    "chart_x": "Icyumweru cy'umwaka w'ingengo y'imari (kuva ku wa 1 Nyakanga)",
    "chart_y": "Ijanisha (%)",
    "chart_reference": "100% by'intego",
    "chart_last_fy": "Umwaka ushize",
    "chart_text_note": "Igishushanyo cya buri cyumweru kiri mu buryo bwa HTML bw'iyi imeri.",
    "units_note": "Ijanisha ni muri %; impinduka ya buri cyumweru ni mu manota ku ijana (pp).",
    "source_note": (
        "Inkomoko: raporo ya buri cyumweru ya RSSB ku bwisungane mu kwivuza. Yoherejwe "
        "n'ikoranabuhanga rya Twinning Partnership Network (TPN) nyuma yo kwinjiza "
        "imibare yo ku wa Gatanu."
    ),
    "date_format": "{day} {month} {year}",
    # Rwandan official statistics written in Kinyarwanda use the same digit
    # grouping as the English editions.
    "thousands_sep": ",",
    "decimal_sep": ".",
    "percent_suffix": "%",
    "pp_suffix": " pp",
    "month_1": "Mutarama",
    "month_2": "Gashyantare",
    "month_3": "Werurwe",
    "month_4": "Mata",
    "month_5": "Gicurasi",
    "month_6": "Kamena",
    "month_7": "Nyakanga",
    "month_8": "Kanama",
    "month_9": "Nzeri",
    "month_10": "Ukwakira",
    "month_11": "Ugushyingo",
    "month_12": "Ukuboza",
}

LABELS: dict[str, dict[str, str]] = {"en": _EN, "fr": _FR, "rw": _RW}


def labels_for(language: str) -> dict[str, str]:
    """Return a copy of the labels of ``language`` (``en``, ``fr`` or ``rw``).

    A copy, so a caller that tweaks one email cannot change every later one.
    """
    try:
        return dict(LABELS[language])
    except KeyError:
        supported = ", ".join(sorted(LABELS))
        raise ValueError(
            f"unsupported language {language!r}; supported languages: {supported}"
        ) from None
