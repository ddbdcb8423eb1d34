"""whistleblower vault

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:29:22.072911
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('anon_attempts',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('anon_drafts',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('state', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('vault_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('ticket', sa.String(length=32), nullable=True),
    sa.Column('operator', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('anon_reports',
    sa.Column('complaint_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('identity', sa.LargeBinary(), nullable=False),
    sa.Column('push', sa.LargeBinary(), nullable=True),
    sa.Column('push_index', sa.String(length=64), nullable=True),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], ),
    sa.PrimaryKeyConstraint('complaint_id')
    )
    with op.batch_alter_table('anon_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anon_reports_push_index'), ['push_index'], unique=False)

    op.create_table('anon_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('complaint_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lookup', sa.String(length=8), nullable=False),
    sa.Column('salt', sa.LargeBinary(), nullable=False),
    sa.Column('digest', sa.LargeBinary(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('lookup')
    )
    with op.batch_alter_table('anon_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anon_tokens_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('anon_files',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('complaint_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], ),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('anon_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anon_files_complaint_id'), ['complaint_id'], unique=False)

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymous', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pseudonym', sa.String(length=16), nullable=True))
        batch_op.alter_column('citizen_id',
               existing_type=sa.BIGINT(),
               nullable=True)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sensitive', sa.Boolean(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('sensitive')

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.alter_column('citizen_id',
               existing_type=sa.BIGINT(),
               nullable=False)
        batch_op.drop_column('pseudonym')
        batch_op.drop_column('anonymous')

    with op.batch_alter_table('anon_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anon_files_complaint_id'))

    op.drop_table('anon_files')
    with op.batch_alter_table('anon_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anon_tokens_complaint_id'))

    op.drop_table('anon_tokens')
    with op.batch_alter_table('anon_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anon_reports_push_index'))

    op.drop_table('anon_reports')
    op.drop_table('vault_audit')
    op.drop_table('anon_drafts')
    op.drop_table('anon_attempts')
