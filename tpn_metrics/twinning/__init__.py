"""Twinning network: rising/shining classification and partner recommendations (issue #8).

Pure computation (pandas in, pandas/dataclasses out), one module per job:

- ``classify`` — rising / middle / shining within peer groups;
- ``recommend`` — the capacitated assignment of shining partners (``geography`` gives the
  distance classes it costs);
- ``compute`` — every topic at once, the comparison with the workshop's pairs and the
  network edges;
- ``warehouse`` — read marts, write the ``twinning`` schema; ``plot`` — the PNG and the
  evaluation report's section; ``topics`` — ``topics.yaml``'s metrics and thresholds.

Import from the module that defines a name; the package itself imports nothing
(``tpn --help`` imports the CLI).
"""
