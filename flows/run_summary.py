"""The Markdown a run leaves behind as a Prefect artifact (and the CLI prints as a table)."""

from __future__ import annotations

from tpn_metrics.emails.deliver import DeliveryReport
from tpn_metrics.evaluation.headline import headline_text
from tpn_metrics.stages import CorrectionCheck, EvaluationOutputs, IngestSummary


def run_summary_markdown(
    title: str,
    ingest: IngestSummary,
    tables: dict[str, int],
    corrections: CorrectionCheck | None,
    evaluation: EvaluationOutputs | None,
    emails: DeliveryReport | None,
) -> str:
    lines = [f"# {title}", "", "## Files", ""]
    for status, count in sorted(ingest.counts.items()):
        lines.append(f"- {status}: {count}")
    for outcome in ingest.refused:
        lines.append(f"- **{outcome.status}** `{outcome.file_name}`: {outcome.reason}")
    lines += ["", "## Tables", "", "| table | rows |", "|---|---:|"]
    lines += [f"| {name} | {rows:,} |" for name, rows in tables.items()]
    if corrections is not None:
        lines += [
            "",
            "## Population corrections",
            "",
            f"{corrections.rows_checked:,} district-weeks agree with the Python projection. "
            f"Stale RSSB targets: {', '.join(corrections.stale_districts) or 'none'}.",
        ]
    if evaluation is not None:
        lines += ["", "## Evaluation", ""]
        lines += [f"- {headline_text(h)}" for h in evaluation.headlines]
        lines += ["", f"Report: `{evaluation.html_path}`"]
    if emails is not None:
        lines += [
            "",
            "## Emails",
            "",
            f"Week {emails.report_date}: {emails.delivered} delivered, "
            f"{emails.already_done} already delivered earlier, {emails.pending} pending.",
        ]
        lines += [f"- error: {error}" for error in emails.errors]
    return "\n".join(lines) + "\n"
