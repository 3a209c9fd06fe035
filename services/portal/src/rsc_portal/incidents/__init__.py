"""Incident pages for officers and advisers."""
