"""figures: audit rows keep the agency, the deadline and a reason code of their moment; the
LAPOR! tracking number; indexes for a period's figures

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 21:00:00

Rows written before this revision get what can still be known: the case's current agency (an
officer's return names its agency in the actor), and the case's current deadlines. A case that
was re-routed or reopened before the upgrade is counted against today's agency and deadline.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_VERIFICATION = ("verify_and_route", "reject", "mark_duplicate", "request_info")
_AGENCY = ("respond", "not_ours", "agency_request_info")


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('code', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_audit_action_at', ['action', 'at'], unique=False)
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lapor_number', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_complaints_created', ['created_at'], unique=False)
        batch_op.create_index('ix_complaints_closed', ['closed_at'], unique=False)
        batch_op.create_index('ix_complaints_status_agency', ['status', 'agency_code'], unique=False)
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_day', ['day'], unique=False)

    audit = sa.table('audit_log', sa.column('complaint_id', sa.Integer), sa.column('action', sa.String),
                     sa.column('actor', sa.String), sa.column('agency_code', sa.String), sa.column('due', sa.Date))
    complaints = sa.table('complaints', sa.column('id', sa.Integer), sa.column('agency_code', sa.String),
                          sa.column('verification_due', sa.Date), sa.column('response_due', sa.Date))

    def of_case(column: str) -> sa.ScalarSelect:
        return sa.select(complaints.c[column]).where(complaints.c.id == audit.c.complaint_id).scalar_subquery()

    op.execute(audit.update().values(agency_code=of_case('agency_code')))
    op.execute(audit.update().where(audit.c.action.in_(_VERIFICATION)).values(due=of_case('verification_due')))
    op.execute(audit.update().where(audit.c.action.in_(_AGENCY)).values(due=of_case('response_due')))
    # "officer:<agency>:<telegram id>": the agency that acted, whatever the case's agency is now.
    rows = op.get_bind().execute(sa.select(audit.c.actor).where(audit.c.actor.like('officer:%')).distinct()).scalars()
    for actor in list(rows):
        op.execute(audit.update().where(audit.c.actor == actor).values(agency_code=actor.split(':')[1]))


def downgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_day')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_status_agency')
        batch_op.drop_index('ix_complaints_closed')
        batch_op.drop_index('ix_complaints_created')
        batch_op.drop_column('lapor_number')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_action_at')
        batch_op.drop_column('code')
        batch_op.drop_column('due')
        batch_op.drop_column('agency_code')
