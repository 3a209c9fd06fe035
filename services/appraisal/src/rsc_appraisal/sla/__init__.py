"""Time-to-grant and security-appraisal SLAs: the SLA clock of a case, as a Temporal building block.

The casework workflows start one `SlaClockWorkflow` per case (proposal version) and pause, resume,
extend, re-level and stop it; the clock sends reminders, escalates and reports breaches as events,
and keeps a read-model row for the officer queue.

Modules (import from them; this package imports nothing, so the workflow sandbox stays light):

    calendars   WorkingCalendar + pure working-time arithmetic (add_working_days, working_days_between, ...)
    config      ProgrammeSla / SlaConfig / CalendarSet, loaded from data/sla-config.yaml and data/calendars.yaml
    contracts   the workflow's dataclasses (input, requests, state, activity input) and `sla_clock_id`
    clock       SlaClock: the pure state machine (milestones, pauses, extensions, level changes)
    workflow    SlaClockWorkflow (updatable timer, updates with validators, signals, query)
    activities  SlaActivities.record: outbox event + read-model row, exactly once per notice key
    models      tables `sla_clock` (read model) and `sla_clock_event` (idempotency ledger), migration 0003
    client      clock_input, start_sla_clock, sla_clock_handle, current_state
    worker      WORKFLOWS, sla_activities(engine), task_queue(settings) (wired in rsc_appraisal.cli)

Public API
----------
* Workflow type `SlaClockWorkflow`, task queue `task_queue(settings)` (RSC_APPRAISAL_TEMPORAL__TASK_QUEUE,
  default `rsc-appraisal`). Workflow id: the caller's; the convention is
  `sla_clock_id(proposal_id, version)` = `sla-appraisal:<proposal_id>:v<version>` with the version that
  opened the case. `start_sla_clock` is repeat-safe (a clock that runs or ran with that id is returned).
* Input `SlaClockInput(case_ref, proposal_id, version, level, programme: ProgrammeSla, calendar:
  WorkingCalendar, started_at, call_closes_at=None)`; build it with `client.clock_input(...)`, which
  snapshots the programme's configuration and calendar and validates them. It reads files, so workflow
  code must not call it: build the input in an activity (or before the casework workflow starts).
* Updates (validated before anything is written, refused with `ApplicationError` type
  `SlaRequestRejected`; they answer the new `SlaState` once the change's event is in the outbox):
  `pause(PauseRequest(reason, actor, request_ref))`, `resume(ResumeRequest(actor, note))`,
  `extend(ExtendRequest(working_days, reason, actor))`, `change_level(ChangeLevelRequest(level, actor,
  reason))`, `stop(StopRequest(outcome, actor))`.
* Signals with the same requests for workflow callers (a workflow cannot send updates):
  `signal_pause`, `signal_resume`, `signal_extend`, `signal_change_level`, `signal_stop`. An invalid
  signal changes nothing and is listed in `SlaState.rejected_signals`.
* Query `state(at)` -> `SlaState`: due_at / due_date, budget, extensions, used / remaining working days,
  used fraction, paused (since, totals), breached, escalated, projected breach, time-to-grant target and
  risk, next milestone, reminders sent, extensions, pauses, level changes, warnings. The workflow result
  is the final `SlaState`.

How the casework uses it: when a case opens, build the input and start the clock as a child workflow
(`workflow.start_child_workflow(SlaClockWorkflow.run, data, id=sla_clock_id(...), task_queue=...,
parent_close_policy=ParentClosePolicy.REQUEST_CANCEL)`) or with `start_sla_clock` from an activity;
on an information request `signal_pause` (reason, request ref), on the applicant's answer (also when it
comes as a resubmitted version: same case, same clock) `signal_resume`; on a re-screening with another
level `signal_change_level`; on an officer's extension the `extend` update from the API (the officer
gets the refusal) or `signal_extend`; on the decision `signal_stop(outcome)`. A cancelled clock
(e.g. its parent closed) records a stop with outcome `cancelled`.

Events (topic `rsc.appraisal.events`, subject = proposal id, staff-internal: they carry the level):
`sla.reminder` (fraction), `sla.escalated` (fraction, to_role), `sla.breached`, `sla.extended`
(working_days, reason, actor, previous_due_at) and `sla.clock_changed` (change = started | paused |
resumed | level_changed | stopped, with actor, reason, previous_level, outcome). Each carries the clock:
clock id, case ref, proposal id and version, programme, config version, level, status, due_at, budget,
used and remaining working days, and `at` (workflow time of the change).

Tables: `sla_clock` (one row per clock: level, status, outcome, paused / paused_since, started_at, due_at,
budget and extension days, used / remaining as of `as_of`, breached(_at), escalated_at,
projected_breach, time_to_grant_due_at, last_seq; partial index on due_at of open clocks for "due within
N days" and "overdue": `status <> 'stopped' AND due_at < now()`), `sla_clock_event` (notice key ->
outbox event id).

Decisions
---------
* Working time is continuous: each working date of the calendar counts its 24 wall-clock hours in the
  calendar's time zone, other dates nothing. N working days after Monday 15:00 is 15:00 on the N-th
  working day after it; a clock started on a weekend counts from the next working day at 00:00; the due
  instant is the earliest instant at which the budget is used, `due_date` that working day. Fractions
  (50 % of 15 days) are therefore exact instants, and a pause of an afternoon counts as such.
* Configuration and calendars are versioned data (YAML, pydantic-validated, errors with line numbers)
  and are snapshotted into the clock's input: editing a file affects only clocks started afterwards,
  and every event names the config version. A programme without an entry gets the default programme.
  The shipped `default` calendar is example data (the state warns); funders add their own calendar id.
  No country is named in code or data (tested).
* Milestones: one reminder per configured fraction, the escalation (at `escalation.at`, default 1.0, to
  `escalation.role`, default `appraisal_supervisor`: a role name in data, routed by notifications; not
  a Keycloak realm role yet) and the breach at 1.0. Each fires once per round; a budget increase
  (extension, higher level) re-arms the milestones now ahead of the used time as a new round (new
  idempotency key), so reminders follow the current budget and a clock extended after its breach can
  breach again. A lower level fires every milestone already passed at once.
* Pause: "waiting on the applicant" is tracked whatever the programme says; the clock only stops if
  `pause_while_waiting_on_applicant` (default true). Otherwise pause/resume are accepted, recorded in
  the state, and change nothing else (no event).
* Time-to-grant (call close + `time_to_grant_months`, default 8, in the calendar's zone) is reported,
  not timed: it runs to the signature, after this clock stops; `time_to_grant_at_risk` says the appraisal
  due date alone lies beyond it. Projected breach = breached, or the last reminder fraction reached, or
  time-to-grant at risk.
* Events: the four notifiable kinds are separate types (consumers subscribe by type; the extension is an
  audit record with reason and actor); the other state changes share `sla.clock_changed` with a
  `change` field, so the catalogue does not grow by one type per transition.
* Exactly once: every notice has a deterministic key ((clock, kind, fraction, round) for milestones,
  (clock, change, seq) otherwise); the activity inserts the key into `sla_clock_event`, the outbox row and
  the read-model upsert in one transaction, so a retried or concurrent attempt writes nothing twice; the
  read-model row is only overwritten by a later notice (`last_seq`). The workflow records notices one at
  a time, in order; activity retries are unlimited (a database outage delays, never loses); a notice the
  activity refuses as invalid (a bug) is logged and listed in the state's warnings, the clock goes on.
* Updates are answered once their event is recorded; validators run the same checks the state machine
  runs before changing anything (empty reason or actor, days outside 1..max_extension_working_days,
  unknown or unchanged level, resume while not paused, anything after stop).
* Queries cannot know the time and the workflow sleeps between milestones, so `state(at)` takes the
  caller's now (`client.current_state`). The read model's due_at is exact while a clock runs; for a
  paused clock it is "if resumed at the last change": queue filters should treat `paused` separately.
* Determinism: all arithmetic is in the pure `SlaClock` with `workflow.now()` as the only time source;
  replay tests (tests/appraisal/integration/histories) fail on an incompatible change, which must use
  `workflow.patched`. The history of a clock is small (about 130 events for a busy one), so no
  continue-as-new.
"""
