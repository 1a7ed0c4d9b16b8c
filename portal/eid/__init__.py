"""Citizens' sign-in with the national electronic identity (VNeID, level 2) through the national
single sign-on, over OpenID Connect (authorization code with PKCE; ID token signed RS256).

- `config`: whether it is on, and the provider's endpoints (the settings, or its discovery
  document);
- `backend`: the authentication backend (mozilla-django-oidc's, with the portal's rules: an
  account is found by its citizen ID number, staff are refused, a password account is linked
  only after its password);
- `views`: the start, the return, the linking page and the logout that also ends the provider's
  session.

The session keys it writes are named here, in one place.
"""

# The provider's ID token of this sign-in (the `id_token_hint` of the logout) and its level of
# assurance; the pending link of an eID identity to an existing password account.
SESSION_ID_TOKEN = "eid_id_token"  # noqa: S105 - a session key, not a secret
SESSION_LEVEL = "eid_level"
SESSION_PENDING_LINK = "eid_pending_link"
BACKEND = "portal.eid.backend.EidBackend"
