"""Library fees: charged by librarians or imported from the library system, paid from the wallet."""
