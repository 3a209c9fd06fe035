"""Shared contracts: vocabularies and the proposal document that intake validates and appraisal reads."""
