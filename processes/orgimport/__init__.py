"""The organisation import: units, positions and employees from a SIASN-style XLSX workbook or three CSV files.

``reader`` reads the files safely, ``validate`` checks every row, ``apply`` previews or applies the difference
with the database (open tasks that change hands included) in one transaction, ``workbook`` writes the template,
the current organisation and the links list. See docs/operations.md ("Starting with your own organisation").
"""

from __future__ import annotations

from processes.orgimport.apply import (
    ACTIONS,
    ADDED,
    CHANGED,
    DEACTIVATED,
    MOVED,
    REACTIVATED,
    Change,
    Handover,
    ImportInvalid,
    ImportReport,
    ImportStale,
    NewAccount,
    file_hash,
    run_import,
)
from processes.orgimport.reader import JABATAN, PEGAWAI, SHEETS, UNIT, Problem
from processes.orgimport.workbook import (
    csv_bytes,
    links_csv,
    organisation_xlsx,
    safe_cell,
    template_xlsx,
    xlsx_bytes,
)

__all__ = ["ACTIONS", "ADDED", "CHANGED", "DEACTIVATED", "MOVED", "REACTIVATED", "Change", "Handover",
           "ImportInvalid", "ImportReport", "ImportStale", "NewAccount", "file_hash", "run_import", "JABATAN",
           "PEGAWAI", "SHEETS", "UNIT", "Problem", "csv_bytes", "links_csv", "organisation_xlsx", "safe_cell",
           "template_xlsx", "xlsx_bytes"]
