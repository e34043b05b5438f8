"""One line of history: new migrations build on a single head."""

from alembic.script import ScriptDirectory

from backend.migrations_support import alembic_config


def test_migrations_have_a_single_head():
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"several Alembic heads {heads}: add a merge revision"
