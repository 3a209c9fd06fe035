"""Versioned research-security questionnaires per call, and validation of the answers to them.

A call's questionnaire is published as numbered, immutable versions; a proposal's self-assessment
names the version it answers (`SelfAssessment.questionnaire_version`).
"""
