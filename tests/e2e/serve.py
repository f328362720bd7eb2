"""Serve the portal for browser tests: a fresh embedded store, demo data, one port (argv[1])."""
import os
import sys

from werkzeug.serving import make_server


def main():
    port = int(sys.argv[1])
    from app import create_app
    from app.config import Config

    config = Config()
    config.LOGIN_RATE_LIMIT = "1000 per minute"
    app = create_app(config)
    with app.app_context():
        from seed import run
        print(run(households_per_community=(60, 30)), flush=True)
    # Werkzeug's server, one request at a time, is enough for the browser tests. The embedded store
    # does not need it: it opens a connection per thread (app/embedded_store.py), and `make run`
    # serves it from waitress's threads.
    server = make_server("127.0.0.1", port, app, threaded=False)
    print(f"serving on {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    os.environ.setdefault("DEMO_PASSWORD", "e2e-password-1")
    main()
