"""applicant pages."""
