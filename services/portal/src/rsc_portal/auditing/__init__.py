"""auditing pages."""
