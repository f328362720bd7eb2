"""Estate Desk application factory. Imports happen inside create_app so documents/ can use app.*."""
from flask import Flask


def create_app(config=None) -> Flask:
    from app.config import Config

    app = Flask(__name__, instance_path=str(Config.INSTANCE_DIR))
    app.config.from_object(config if config is not None else Config())
    register_extensions(app)
    register_database(app)
    register_auth(app)
    register_admin(app)
    register_commands(app)
    register_security_headers(app)
    if app.config.get("RUN_SCHEDULER"):
        from app.scheduler import start_scheduler
        start_scheduler(app)
    return app


def register_extensions(app):
    from app import i18n
    from app.extensions import babel, csrf, limiter

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    from app import priority
    priority.init_app(app)      # pages before exports (app/priority.py)
    if app.config.get("PASSWORD_HASHER") == "fast":
        from documents.staff import use_fast_hasher
        use_fast_hasher()


def register_database(app):
    from app.database import connect_db

    app.extensions["estate_db"] = connect_db(app.config["MONGODB_URI"], app.config["MONGODB_DB"])
    from documents.sequences import Sequence
    Sequence.adopt("renovation_counters")   # permit and receipt numbers of earlier releases go on


def register_auth(app):
    from app import auth

    auth.init_app(app)


def register_admin(app):
    from admin_views import init_admin

    init_admin(app)


def register_commands(app):
    from app import cli

    cli.init_app(app)


def register_security_headers(app):
    from app import headers

    headers.init_app(app)
