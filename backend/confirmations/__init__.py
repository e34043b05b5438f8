"""A counter asks, the patron confirms in the app (push + inbox) within a deadline.

Domain-neutral: partners' pay-at-the-till uses it, the library shop can too.
See ``backend.confirmations.services``.
"""
