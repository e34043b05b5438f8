"""Networks, libraries, patrons and staff: who exists, and where."""
