"""merge the domain branches (accounts, ledger/fees/top-ups/events, notifications) into one head

Revision ID: 0009
Revises: 0002, 0005, 0006, 0007, 0008
Create Date: 2026-11-22
"""

revision = "0009"
down_revision = ("0002", "0005", "0006", "0007", "0008")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
