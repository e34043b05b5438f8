"""Events and tickets ("Cose da Fare"): catalog, purchase, tickets, door check-in, waiting list."""
