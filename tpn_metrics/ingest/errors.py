"""The ways a received file can be refused, each with a reason a person can act on."""

from __future__ import annotations


class FileRejectedError(Exception):
    """The file breaks a MUST of the contract: quarantine it whole, nothing of it is loaded."""

    def __init__(self, reasons: list[str] | str) -> None:
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        self.sheet: str | None = None  # the workbook sheet read, when there was one
        super().__init__("; ".join(self.reasons))


class ValidationCrashError(Exception):
    """The validator itself failed: not the data's fault, so the file is not quarantined."""
