"""Casework: one Temporal workflow per proposal version (screen, auto-clear or open a case), officer
review with four-eyes clearance for high risk, safeguard agreement and the grant award.

- `states`: the case statuses and the strict (from, to) transition table.
- `routing`: who reviews a case at which level (data, `data/routing.yaml`).
- `contracts`: the workflow's input, update requests and the changes it records (dataclasses).
- `machine`: the pure case state machine: checks (validators) and the changes an action makes.
- `workflow`, `activities`, `client`: the Temporal side; `models`, `service`, `views`: the read model
  and the officer API; `handlers`: the Kafka events that start and steer the workflows.
"""
