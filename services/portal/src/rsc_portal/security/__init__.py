"""Sign-in (OIDC authorisation code + PKCE with Keycloak), encrypted session cookies and CSRF protection."""
