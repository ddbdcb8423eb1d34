"""figures: audit rows keep the agency, the deadline and a reason code of their moment; a case's
milestones (first verification, routings, first answer, rating) on its row; the LAPOR! tracking
number; indexes for a period's figures

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
        batch_op.create_index('ix_audit_action_at', ['action', 'at', 'complaint_id', 'agency_code', 'due', 'code'], unique=False)
        batch_op.create_index('ix_audit_case_action_at', ['complaint_id', 'action', 'at'], unique=False)
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lapor_number', sa.String(length=32), nullable=True))
        for name in ('verified_at', 'first_routed_at', 'routed_at', 'first_response_at', 'first_response_routed_at', 'rated_at'):
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_response_due', sa.Date(), nullable=True))
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
    # The milestones of the cases so far, from their audit rows.
    of_trail = "(SELECT {aggregate}(a.at) FROM audit_log a WHERE a.complaint_id = complaints.id AND a.action IN ({actions}))"
    for column, aggregate, actions in (
        ("verified_at", "MIN", "'verify_and_route', 'reject', 'mark_duplicate'"),
        ("first_routed_at", "MIN", "'verify_and_route'"),
        ("routed_at", "MAX", "'verify_and_route'"),
        ("first_response_at", "MIN", "'respond'"),
        ("rated_at", "MAX", "'rate'"),
    ):
        op.execute(f"UPDATE complaints SET {column} = " + of_trail.format(aggregate=aggregate, actions=actions))
    op.execute("UPDATE complaints SET first_response_routed_at = (SELECT MAX(a.at) FROM audit_log a WHERE a.complaint_id = complaints.id"
               " AND a.action = 'verify_and_route' AND a.at <= complaints.first_response_at)")
    op.execute("UPDATE complaints SET first_response_due = (SELECT MIN(a.due) FROM audit_log a WHERE a.complaint_id = complaints.id"
               " AND a.action = 'respond' AND a.at = complaints.first_response_at)")
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
        for name in ('verified_at', 'first_routed_at', 'routed_at', 'first_response_at', 'first_response_routed_at',
                     'first_response_due', 'rated_at'):
            batch_op.drop_column(name)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_case_action_at')
        batch_op.drop_index('ix_audit_action_at')
        batch_op.drop_column('code')
        batch_op.drop_column('due')
        batch_op.drop_column('agency_code')
