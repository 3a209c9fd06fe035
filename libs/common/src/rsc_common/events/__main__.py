"""`python -m rsc_common.events`: create the project topics (idempotent)."""

from rsc_common.events.topics import main

main()
