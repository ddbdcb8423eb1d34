"""personal data: when a case's reporter identity and files were erased

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 15:00:00

`storage.personal_data` cuts a reporter from their cases at their request (/hapusdata) and, with
their files, once a case has been closed for RETENTION_MONTHS. The two moments are kept on the
case: staff cards say the reporter's data was erased, and a second run of the retention job
skips what it already did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reporter_erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('files_erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_column('files_erased_at')
        batch_op.drop_column('reporter_erased_at')
