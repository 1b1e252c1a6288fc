"""analytics projection: one row of facts per conversation

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_facts",
        sa.Column("conversation_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("pack", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("tier", sa.String(64), nullable=True),
        sa.Column("customer_id", sa.String(128), nullable=True),
        sa.Column("intent", sa.String(128), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_s", sa.Float, nullable=False),
        sa.Column("last_s", sa.Float, nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated", sa.Integer, nullable=False),
        sa.Column("trigger", sa.String(64), nullable=True),
        sa.Column("joined", sa.Integer, nullable=False),
        sa.Column("resolved", sa.Integer, nullable=False),
        sa.Column("csat", sa.Integer, nullable=True),
        sa.Column("ces", sa.Float, nullable=True),
        sa.Column("bot_s", sa.Float, nullable=False),
        sa.Column("human_s", sa.Float, nullable=False),
        sa.Column("next_contact_s", sa.Float, nullable=True),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("owner", sa.String(8), nullable=False),
        sa.Column("segments", sa.JSON, nullable=False),
    )
    op.create_index("ix_analytics_facts_started", "analytics_facts", ["started_s"])
    op.create_index("ix_analytics_facts_pack", "analytics_facts", ["pack", "started_s"])
    op.create_index(
        "ix_analytics_facts_need", "analytics_facts", ["customer_id", "intent", "started_s"]
    )


def downgrade() -> None:
    op.drop_index("ix_analytics_facts_need", table_name="analytics_facts")
    op.drop_index("ix_analytics_facts_pack", table_name="analytics_facts")
    op.drop_index("ix_analytics_facts_started", table_name="analytics_facts")
    op.drop_table("analytics_facts")
