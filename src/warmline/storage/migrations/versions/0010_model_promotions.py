"""model promotions: for each pack, the reviewed corrections its intent model is trained on,
one row per promotion with its evaluation, who, when and why

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

It follows 0010 (the knowledge tables), which was released first on top of 0008.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_promotions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pack", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("item_ids", sa.JSON, nullable=False),
        sa.Column("intents", sa.JSON, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("evaluation", sa.JSON, nullable=False),
        sa.Column("promoted_by", sa.String(128), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.UniqueConstraint("pack", "version", name="uq_model_promotions_version"),
    )


def downgrade() -> None:
    op.drop_table("model_promotions")
