"""audit events name their subject employee and unit, and are hash-chained (tamper evidence)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.db.base
from engine.db.audit import GENESIS, AuditEvent, chain_hash

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = ("UPDATE", "DELETE")


def _triggers(enable: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE audit_event {'ENABLE' if enable else 'DISABLE'} TRIGGER audit_event_no_change")
        return
    for action in _SQLITE_TRIGGERS:
        if enable:
            op.execute(f"""CREATE TRIGGER audit_event_no_{action.lower()} BEFORE {action} ON audit_event
                           BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS audit_event_no_{action.lower()}")


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("verified_at", engine.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoint")),
    )
    _triggers(enable=False)
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    # Who each existing event concerns: its instance's subject, and that employee's unit today.
    bind.execute(sa.text("""UPDATE audit_event SET subject_id =
        (SELECT subject_id FROM instance WHERE instance.id = audit_event.instance_id)
        WHERE instance_id IS NOT NULL"""))
    bind.execute(sa.text("""UPDATE audit_event SET unit_id =
        (SELECT position.unit_id FROM user_account JOIN position ON position.id = user_account.position_id
         WHERE user_account.id = audit_event.subject_id) WHERE subject_id IS NOT NULL"""))
    # Chain what exists, in the order it was written.
    table = sa.table("audit_event", *(sa.column(c) for c in (
        "id", "at", "kind", "actor_id", "actor", "instance_id", "deployment_id", "task_id", "task_name",
        "subject_id", "unit_id", "data", "seq", "hash")))
    previous, seq, last = GENESIS, 0, 0
    while True:
        rows = bind.execute(sa.select(AuditEvent.__table__).where(AuditEvent.__table__.c.id > last)
                            .order_by(AuditEvent.__table__.c.id).limit(2000)).mappings().all()
        if not rows:
            break
        for row in rows:
            seq += 1
            event = AuditEvent(**{k: row[k] for k in row.keys() if k not in ("seq", "hash")})
            event.seq = seq
            previous = chain_hash(previous, event)
            bind.execute(table.update().where(table.c.id == row["id"]).values(seq=seq, hash=previous))
            last = row["id"]
    bind.execute(sa.text("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, :seq, :hash)"),
                 {"seq": seq, "hash": previous})
    with op.batch_alter_table("audit_event") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_audit_event_seq"), ["seq"])
        batch.create_foreign_key(op.f("fk_audit_event_subject_id_user_account"), "user_account",
                                 ["subject_id"], ["id"])
        batch.create_foreign_key(op.f("fk_audit_event_unit_id_unit"), "unit", ["unit_id"], ["id"])
    op.create_index("ix_audit_event_subject_seq", "audit_event", ["subject_id", "seq"])
    op.create_index("ix_audit_event_unit_seq", "audit_event", ["unit_id", "seq"])
    _triggers(enable=True)


def downgrade() -> None:
    _triggers(enable=False)
    op.drop_index("ix_audit_event_unit_seq", table_name="audit_event")
    op.drop_index("ix_audit_event_subject_seq", table_name="audit_event")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_constraint(op.f("fk_audit_event_unit_id_unit"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_audit_event_subject_id_user_account"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_audit_event_seq"), type_="unique")
        batch.drop_column("hash")
        batch.drop_column("seq")
        batch.drop_column("unit_id")
        batch.drop_column("subject_id")
    _triggers(enable=True)
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_chain_head")
