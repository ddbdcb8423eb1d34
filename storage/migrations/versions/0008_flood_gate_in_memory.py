"""flood gate in memory: the per-user counters leave the users table (nobody is remembered for writing)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:17:08.602263
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('flood_warned')
        batch_op.drop_column('flood_window_start')
        batch_op.drop_column('flood_count')


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flood_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('flood_window_start', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('flood_warned', sa.Boolean(), nullable=False, server_default='0'))

