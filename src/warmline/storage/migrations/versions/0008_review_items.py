"""learning loop: the review queue of turns worth a human label, and its collection watermark

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            sa.String(36),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("pack", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("predicted", sa.String(128), nullable=True),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("zone", sa.String(16), nullable=False),
        sa.Column("alternatives", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("suggested", sa.String(128), nullable=True),
        sa.Column("segments", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("label", sa.String(128), nullable=True),
        sa.Column("reviewer", sa.String(128), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_review_items_turn"),
    )
    op.create_index("ix_review_items_queue", "review_items", ["status", "rank", "confidence"])
    op.create_index("ix_review_items_pack", "review_items", ["pack", "status"])
    op.create_table(
        "review_watermark",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_event_id", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("review_watermark")
    op.drop_index("ix_review_items_pack", table_name="review_items")
    op.drop_index("ix_review_items_queue", table_name="review_items")
    op.drop_table("review_items")
