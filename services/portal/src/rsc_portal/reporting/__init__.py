"""reporting pages."""
