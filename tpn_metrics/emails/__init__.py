"""The weekly district emails and the data team's messages.

Figures (``district_figures``, ``week``) → rendering (``content``, ``rows``, ``chart``,
``labels``, ``templates/``) → delivery once per district and week (``ledger``, ``deliver``)
over ``smtp`` or as ``eml`` files; ``recipients`` says who gets what; ``data_team``,
``failure_notice`` and ``late_alert`` write to the data team. See docs/emails.md.
"""
