"""Periodic jobs and the ``borsellino scheduler`` process that runs them."""
