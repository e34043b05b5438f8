"""Card payment providers behind one interface."""
