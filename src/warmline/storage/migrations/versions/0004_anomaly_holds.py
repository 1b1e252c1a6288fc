"""anomaly holds: each write's figures per window, and each action's hold

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anomaly_counts",
        sa.Column("pack", sa.String(64), primary_key=True),
        sa.Column("action", sa.String(128), primary_key=True),
        sa.Column("window_s", sa.Integer, primary_key=True),
        sa.Column("window", sa.Integer, primary_key=True),
        sa.Column("proposed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("executed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("amount", sa.Float, nullable=False, server_default="0"),
    )
    op.create_table(
        "anomaly_holds",
        sa.Column("pack", sa.String(64), primary_key=True),
        sa.Column("action", sa.String(128), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("measure", sa.String(16), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("baseline", sa.Float, nullable=False),
        sa.Column("factor", sa.Float, nullable=False),
        sa.Column("window_s", sa.Integer, nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_window", sa.Integer, nullable=True),
    )
    op.create_index("ix_anomaly_holds_state", "anomaly_holds", ["state"])


def downgrade() -> None:
    op.drop_index("ix_anomaly_holds_state", table_name="anomaly_holds")
    op.drop_table("anomaly_holds")
    op.drop_table("anomaly_counts")
