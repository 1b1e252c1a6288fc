"""bias incidents: one row per gap the parity monitor flagged, and its append-only history

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTIVE = sa.text("state != 'remediated'")


def upgrade() -> None:
    op.create_table(
        "bias_incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("dimension", sa.String(64), nullable=False),
        sa.Column("group_name", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times_flagged", sa.Integer, nullable=False, server_default="1"),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("reference_group", sa.String(128), nullable=False),
        sa.Column("reference_value", sa.Float, nullable=True),
        sa.Column("difference", sa.Float, nullable=True),
        sa.Column("p_adjusted", sa.Float, nullable=True),
    )
    op.create_index("ix_bias_incidents_state", "bias_incidents", ["state", "opened_at"])
    op.create_index(
        "ux_bias_incidents_active",
        "bias_incidents",
        ["metric", "dimension", "group_name"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_table(
        "bias_incident_notes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("bias_incidents.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.String(2000), nullable=False, server_default=""),
    )
    op.create_index("ix_bias_incident_notes_incident", "bias_incident_notes", ["incident_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_bias_incident_notes_incident", table_name="bias_incident_notes")
    op.drop_table("bias_incident_notes")
    op.drop_index("ux_bias_incidents_active", table_name="bias_incidents")
    op.drop_index("ix_bias_incidents_state", table_name="bias_incidents")
    op.drop_table("bias_incidents")
