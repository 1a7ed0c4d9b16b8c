"""A local OpenID provider standing in for the national single sign-on (VNeID) — DEMO ONLY.

A Django project of its own (settings, URLs, SQLite database in its data directory), run as a
separate process by `make run` (scripts/eid_provider.sh) and by the tests: the portal talks to
it over HTTP exactly as to the real provider. django-oauth-toolkit with OpenID Connect: the
authorization code flow with PKCE required (S256), ID tokens signed RS256 with a key made on
first start and kept in the data directory, userinfo, JWKS, discovery and RP-initiated logout.

Claims: `sub` (stable per person), `name`, `citizen_id` (the 12-digit number) and `acr` (the
level of assurance, "2"). It refuses to start with PORTAL_ENV=production.

    python -m eid_provider serve [--port 8792] [--data-dir var/eid-provider] ...
"""
