"""`python -m eid_provider serve`: migrate, register the portal and the demo people, serve.

DEMO ONLY: refuses to start with PORTAL_ENV=production (see settings)."""

import argparse
import contextlib
import os
import socketserver
import sys
from pathlib import Path

DEFAULT_PORT = 8792
PORTALS = ["http://127.0.0.1:8000", "http://localhost:8000"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eid_provider", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="prepare and serve the provider")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--data-dir", default=os.environ.get("EID_PROVIDER_DATA_DIR", ""))
    serve.add_argument("--issuer", help="default: http://HOST:PORT/o")
    serve.add_argument("--client-id", default="dvc-portal-dev")
    serve.add_argument("--client-secret", default="DEMO-EID-CLIENT-SECRET-NOT-FOR-PRODUCTION")
    serve.add_argument(
        "--redirect-uri",
        action="append",
        help="the portal's callback (repeatable); loopback IPs match on any port (RFC 8252). "
        "Default: the portal's at 127.0.0.1:8000 and localhost:8000",
    )
    serve.add_argument(
        "--post-logout-redirect-uri", action="append", help="repeatable; default: the portals' /"
    )
    serve.add_argument("--ready-file", help="written once the server listens")
    args = parser.parse_args(argv)

    if args.data_dir:
        os.environ["EID_PROVIDER_DATA_DIR"] = str(Path(args.data_dir).resolve())
    os.environ["EID_PROVIDER_ISSUER"] = args.issuer or f"http://{args.host}:{args.port}/o"
    os.environ["DJANGO_SETTINGS_MODULE"] = "eid_provider.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    from django.core.wsgi import get_wsgi_application

    from eid_provider import people

    call_command("migrate", interactive=False, verbosity=0)
    people.prepare(
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=args.redirect_uri or [f"{p}/account/eid/callback/" for p in PORTALS],
        post_logout_redirect_uris=args.post_logout_redirect_uri or [f"{p}/" for p in PORTALS],
    )

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

    httpd = Server((args.host, args.port), WSGIRequestHandler)
    httpd.set_app(get_wsgi_application())
    if args.ready_file:
        Path(args.ready_file).write_text(str(os.getpid()))
    print(
        f"DEMO eID provider at http://{args.host}:{args.port}/ "
        f"(issuer {os.environ['EID_PROVIDER_ISSUER']})",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        httpd.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
