from __future__ import annotations


class SignInRequired(Exception):
    """No valid session: pages redirect to the sign-in, htmx requests are told to reload."""


class Forbidden(Exception):
    """Signed in, but the page is for other roles."""


class CsrfRejected(Exception):
    """A state-changing request without the session's CSRF token."""
