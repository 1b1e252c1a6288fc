"""the handover events indexed by conversation: the queue seeks each waiting conversation's
last handover and last escalation instead of reading them all

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

A partial index (SQLite and PostgreSQL): only the events that change who has a conversation
(escalated, agent_joined, agent_left, handed_back), a few per conversation, so a turn's other
events cost it nothing to write.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

HANDOVERS = sa.text("kind IN ('escalated', 'agent_joined', 'agent_left', 'handed_back')")


def upgrade() -> None:
    op.create_index(
        "ix_events_handovers",
        "events",
        ["conversation_id", "seq"],
        sqlite_where=HANDOVERS,
        postgresql_where=HANDOVERS,
    )


def downgrade() -> None:
    op.drop_index("ix_events_handovers", table_name="events")
