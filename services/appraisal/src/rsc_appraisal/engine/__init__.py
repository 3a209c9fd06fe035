"""The pure screening engine (no I/O): `inputs.from_snapshot`, `inputs.queries`, `hashing.input_hash`,
`screen.screen` with `screen.References`. Deliberately imports nothing, so that `policy` can import the
shared `contracts` without a cycle. See docs/screening-policy.md."""
