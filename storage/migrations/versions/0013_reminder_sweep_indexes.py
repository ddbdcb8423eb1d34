"""reminder sweep: indexes for the cases that may have something due today

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:30:00

The scheduler's sweep (every 15 minutes) used to read every open case and ask the rules about
each. It now asks the database only for the cases inside `cases.reminders.window` — by status
and deadline, or by when they were answered — that have no reminder of their stage yet today
(storage.reminders.due_candidates); these indexes serve those bounds and that check, so a sweep
over a million cases reads the few that may be due.
"""

from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_status_verification_due', ['status', 'verification_due'], unique=False)
        batch_op.create_index('ix_complaints_status_response_due', ['status', 'response_due'], unique=False)
        batch_op.create_index('ix_complaints_status_responded', ['status', 'responded_at'], unique=False)
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_case_day', ['complaint_id', 'day', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_case_day')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_status_responded')
        batch_op.drop_index('ix_complaints_status_response_due')
        batch_op.drop_index('ix_complaints_status_verification_due')
