"""The SMK lanes and groups: the words the models and the people use for the engine's roles."""

from __future__ import annotations

from engine.access import ADMIN_GROUP, SUBJECT, SUPERIOR, SUPERIOR_2, Roles

PEGAWAI = "Pegawai"
PEJABAT_PENILAI = "Pejabat Penilai"
ATASAN_PEJABAT_PENILAI = "Atasan Pejabat Penilai"
# The unit's case (smk_predikat_unit) is about the unit's head: its subject is the head, who acts there as the head
# of the unit, not as an employee on their own SKP. Same relation as Pegawai, the role's own word on the task page.
PIMPINAN_UNIT_KERJA = "Pimpinan Unit Kerja"
LANES = {PEGAWAI: SUBJECT, PIMPINAN_UNIT_KERJA: SUBJECT, PEJABAT_PENILAI: SUPERIOR, ATASAN_PEJABAT_PENILAI: SUPERIOR_2}

PROCESS_OWNER_GROUP = "Pemilik Proses"
HR_GROUP = "Biro SDM"

ROLES = Roles(
    admin=(ADMIN_GROUP,),
    overseers=(ADMIN_GROUP, HR_GROUP, PROCESS_OWNER_GROUP),
    model_managers=(PROCESS_OWNER_GROUP, ADMIN_GROUP),
    escalation=(ADMIN_GROUP, HR_GROUP),
    auditors=(HR_GROUP, ADMIN_GROUP),
    org_admins=(HR_GROUP, ADMIN_GROUP),
)
