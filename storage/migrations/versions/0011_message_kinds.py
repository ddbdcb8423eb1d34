"""message kinds: the length of a voice note or video and whether a file or a description was
forwarded; replies
that a later one in the same burst replaces

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('forwarded', sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coalesce_key', sa.String(length=80), nullable=True))
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_forwarded', sa.Boolean(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_column('description_forwarded')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('coalesce_key')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('forwarded')
        batch_op.drop_column('duration')
