"""Research Security Casework: what every service shares, written once."""
