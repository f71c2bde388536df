"""The evaluation report: its sections, plots, summary and Markdown tables (HTML and Markdown)."""
