"""casework pages."""
