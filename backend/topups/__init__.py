"""Card top-ups: PaymentIntents, verified webhooks, settlement, refunds of unused balance."""
