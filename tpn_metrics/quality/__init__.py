"""The data-quality review of every delivery, in the terms of WHO's Data Quality Review (DQR):
read from the dbt marts ``fct_dq_*`` (never recomputed here), turned into a district ×
dimension scorecard, the flagged values with their context, one line per district email and
the data team's alert. Pure typed functions; nothing here knows about Prefect.

Modules: ``records`` (the plain records), ``marts`` (reading the marts, read-only),
``review`` (the week's review: the one function the report, the email line, the alert and
``tpn dq`` share), ``wording`` (English wording of flags for people).
"""
