"""Safeguard agreement, the applicant's side: the measures appraisal proposes (received as events)
and the applicant's answers to them (accept, ask for a change, submit evidence), published back."""
