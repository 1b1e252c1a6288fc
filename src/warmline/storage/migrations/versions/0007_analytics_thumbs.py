"""analytics projection: the thumbs on the bot's replies (the fold's map and its two counts)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "analytics_facts",
        sa.Column("thumbs", sa.JSON, nullable=False, server_default=sa.text("'{}'")),
    )
    for name in ("thumbs_n", "thumbs_down"):
        op.add_column(
            "analytics_facts", sa.Column(name, sa.Integer, nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("analytics_facts") as batch:
        for name in ("thumbs_down", "thumbs_n", "thumbs"):
            batch.drop_column(name)
