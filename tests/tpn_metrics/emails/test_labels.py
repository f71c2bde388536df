"""The labels of the three languages: the same keys and placeholders, handed out as copies."""

from __future__ import annotations

import string

from tpn_metrics.emails.labels import LABELS, labels_for


def test_every_language_has_the_same_keys_and_placeholders() -> None:
    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    english = LABELS["en"]
    for language, labels in LABELS.items():
        assert labels.keys() == english.keys(), language
        for key, text in labels.items():
            assert placeholders(text) == placeholders(english[key]), (language, key)


def test_labels_for_returns_a_copy() -> None:
    labels_for("en")["subject"] = "changed"

    assert LABELS["en"]["subject"].startswith("CBHI progress")
