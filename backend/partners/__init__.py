"""Partner venues and discount passes ("convenzioni"): agreements, offers, passes, till validation."""
