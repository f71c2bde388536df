"""Prefect flows: thin wiring of tpn_metrics stages into scheduled runs."""
