"""Documents attached to a proposal (partnership agreements, ethics approvals, export licences, ...).

Uploads are streamed, size-limited, content-sniffed (never trusting the client's type or file
name), hashed and stored under server-generated keys; submission freezes them into the version.
"""
