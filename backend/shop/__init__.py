"""The library shop: catalogue, cart checkout from the wallet, room bookings, desk sales."""
