"""+Teca fundraising campaigns: donations, recurring donations, supporter cards, Art Bonus receipts."""
