"""figures: one covering index for a period's cases, in place of the index on filing time alone

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:00:00

`storage.statistics.tallies` scans a period's cases a dozen ways; with every column it reads in
one index (led by the filing time, so it also serves what the old index did), SQLite reads the
index's pages instead of the table's (bench/year_of_reports.py: a year's scans 3x faster).
"""

from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# As storage.models.FIGURES_COLUMNS at this revision (a migration does not follow later models).
_COLUMNS = [
    "created_at", "closed_at", "status", "agency_code", "anonymous", "kecamatan", "topic", "report_class", "privacy",
    "maladministration", "verified_at", "first_routed_at", "first_response_at", "first_response_routed_at",
    "first_response_due", "verification_due", "response_due", "rated_at", "rating", "ticket",
]


def upgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_figures', _COLUMNS, unique=False)
        batch_op.drop_index('ix_complaints_created')


def downgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_created', ['created_at'], unique=False)
        batch_op.drop_index('ix_complaints_figures')
