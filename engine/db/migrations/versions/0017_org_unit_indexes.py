"""position.unit_id and unit.parent_id indexed: a unit's positions and a unit's sub-units without a scan

The SMK operations read a unit's positions (its head, its staff, the curve unit) and a unit's sub-units many times
per employee-year. In a generated agency of 1,000 employees (91 positions, 43 units) PostgreSQL answered them with
43,192 and 78,023 sequential scans, cheap while the tables are small; an agency imported with one position per
person has as many positions as employees, and then each of those reads would grow with the agency.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 11:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_position_unit_id", "position", ["unit_id"])
    op.create_index("ix_unit_parent_id", "unit", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_unit_parent_id", table_name="unit")
    op.drop_index("ix_position_unit_id", table_name="position")
