"""Hand-built institutions and values for the twinning tests."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

PROVINCE_OF = {
    "kigali": "Kigali City",
    "north": "Northern",
    "south": "Southern",
    "east": "Eastern",
    "west": "Western",
}


def institutions(*rows: tuple[str, str, str, str | None]) -> pd.DataFrame:
    """Rows of (institution_id, kind, province key, hospital_category or None)."""
    return pd.DataFrame(
        [
            {
                "institution_id": institution_id,
                "institution_name": institution_id.title(),
                "institution_kind": kind,
                "district_id": institution_id.lower(),
                "province": PROVINCE_OF[province],
                "is_urban": province == "kigali",
                "hospital_category": category,
                "is_tpn_member": True,
            }
            for institution_id, kind, province, category in rows
        ]
    )


def values(pairs: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"institution_id": list(pairs), "value": list(pairs.values()), "as_of": "test"}
    )


def classification(
    roles: dict[str, tuple[str, float]], peer_groups: dict[str, str] | None = None
) -> pd.DataFrame:
    """A classification frame built directly: id → (role, value); higher is better."""
    peer_groups = peer_groups or {}
    return pd.DataFrame(
        [
            {
                "institution_id": institution_id,
                "institution_kind": "district",
                "value": value,
                "as_of": "test",
                "score": value,
                "peer_group": peer_groups.get(institution_id, "district:rural:Northern"),
                "classified_within": peer_groups.get(institution_id, "district:rural:Northern"),
                "group_size": len(roles),
                "percentile": 0.5,
                "role": role,
            }
            for institution_id, (role, value) in roles.items()
        ]
    )


def provinces(mapping: dict[str, str]) -> pd.DataFrame:
    """institution_id → province key, as an institutions frame with province only."""
    return pd.DataFrame(
        {
            "institution_id": list(mapping),
            "province": [PROVINCE_OF[p] for p in mapping.values()],
        }
    )


def pairs(frame: pd.DataFrame) -> dict[str, str | None]:
    """rising id → shining id (None when unmatched)."""
    return {
        rising: None if pd.isna(shining) else str(shining)
        for rising, shining in zip(
            frame["rising_institution_id"], frame["shining_institution_id"], strict=True
        )
    }


def shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def ids(items: Iterable[str]) -> list[str]:
    return sorted(items)


# ------------------------------------------------------------------ a miniature warehouse

MINI_TOPICS_YAML = """
topics:
  - topic: malnutrition
    metric: stunting_pct
    label: Stunting among under-fives
    unit: "%"
    gap_unit: pp
    higher_is_better: false
    sql: |
      select institution_id, stunting_pct as value, 'survey 2024' as as_of
      from marts.fct_test_metrics
    launch_sql: |
      select institution_id, stunting_pct_at_launch as value
      from marts.fct_test_metrics
  - topic: family_planning
    metric: modern_method_pct
    unit: "%"
    sql: |
      select institution_id, modern_method_pct as value from marts.fct_test_metrics
"""

# district_id, province, is_urban; every district has a member DHMT named DHMT-<ID>.
MINI_DISTRICTS = (
    ("n1", "Northern", False),
    ("n2", "Northern", False),
    ("n3", "Northern", False),
    ("s1", "Southern", False),
    ("s2", "Southern", False),
    ("s3", "Southern", False),
    ("w1", "Western", False),
    ("x1", "Eastern", False),  # its DHMT is not a TPN member
)
# institution → (stunting %, stunting % at launch, modern method %)
MINI_METRICS = {
    "DHMT-N1": (20.0, 30.0, 60.0),
    "DHMT-N2": (30.0, 31.0, 50.0),
    "DHMT-N3": (40.0, 32.0, 40.0),
    "DHMT-S1": (25.0, 20.0, 70.0),
    "DHMT-S2": (35.0, 36.0, 45.0),
    "DHMT-S3": (45.0, 40.0, 35.0),
    "DHMT-W1": (33.0, 33.0, None),
    "DHMT-X1": (5.0, 5.0, 99.0),
}
MINI_PRIORITIES = (("DHMT-N3", "malnutrition"), ("DHMT-S3", "family_planning"))
MINI_STRENGTHS = (("DHMT-S1", "malnutrition"),)
# rising, shining, topic, is_active: N3 learns malnutrition from N2 (N2 does better),
# S1 from S3 (S3 does worse), W1 learns data quality (a topic without a metric) from N1.
MINI_PAIRS = (
    ("DHMT-N3", "DHMT-N2", "malnutrition", True),
    ("DHMT-S1", "DHMT-S3", "malnutrition", True),
    ("DHMT-W1", "DHMT-N1", "data_quality", False),
)


def build_mini_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Just the marts twinning reads, with a test metric table."""
    con.execute("create schema if not exists marts; create schema if not exists staging")
    con.execute(
        "create table marts.dim_district (district_id varchar primary key, district_name "
        "varchar, province varchar, is_urban boolean)"
    )
    con.executemany(
        "insert into marts.dim_district values (?, ?, ?, ?)",
        [[d, d.upper(), p, u] for d, p, u in MINI_DISTRICTS],
    )
    con.execute(
        "create table marts.dim_institution (institution_id varchar primary key, "
        "institution_name varchar, institution_kind varchar, district_id varchar, "
        "hospital_id varchar, hospital_category varchar, is_tpn_member boolean)"
    )
    con.executemany(
        "insert into marts.dim_institution values (?, ?, 'district', ?, null, null, ?)",
        [[f"DHMT-{d.upper()}", f"{d.upper()} DHMT", d, d != "x1"] for d, _, _ in MINI_DISTRICTS],
    )
    con.execute(
        "create table marts.fct_test_metrics (institution_id varchar, stunting_pct double, "
        "stunting_pct_at_launch double, modern_method_pct double)"
    )
    con.executemany(
        "insert into marts.fct_test_metrics values (?, ?, ?, ?)",
        [[i, *v] for i, v in MINI_METRICS.items()],
    )
    con.execute("create table marts.fct_tpn_priorities (institution_id varchar, topic varchar)")
    con.executemany("insert into marts.fct_tpn_priorities values (?, ?)", MINI_PRIORITIES)
    con.execute(
        "create table staging.stg_tpn_registry__strengths (institution_id varchar, topic varchar)"
    )
    con.executemany("insert into staging.stg_tpn_registry__strengths values (?, ?)", MINI_STRENGTHS)
    con.execute(
        "create table marts.fct_twinning_pairs (rising_institution_id varchar, "
        "shining_institution_id varchar, topic varchar, started_on date, is_active boolean)"
    )
    con.executemany(
        "insert into marts.fct_twinning_pairs values (?, ?, ?, date '2021-04-01', ?)",
        MINI_PAIRS,
    )
