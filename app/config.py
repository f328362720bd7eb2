"""Configuration read from the environment (one place, no secrets in code)."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _secret_key(instance_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    INSTANCE_DIR = BASE_DIR / "instance"
    MONGODB_URI = os.environ.get("MONGODB_URI", str(INSTANCE_DIR / "data"))
    MONGODB_DB = os.environ.get("MONGODB_DB", "estate_desk")
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {"zh_Hans_CN": "简体中文", "en": "English"}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=10)  # one working shift
    REMEMBER_COOKIE_DURATION = timedelta(days=1)
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    #: the portal's address as people outside reach it (behind a proxy: "https://desk.example.org");
    #: printed links and QR codes use it. Empty: the address of the request that printed them.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    #: the resident's survey page (/s/<token>, no login) per address
    SURVEY_RATE_LIMIT = os.environ.get("SURVEY_RATE_LIMIT", "30 per minute")
    # After this many failed logins of one account from one address, that account waits at that
    # address, doubling each time (seconds); colleagues and the account elsewhere are not affected.
    LOGIN_FAILURES_BEFORE_DELAY = 5
    LOGIN_BASE_DELAY_SECONDS = 30
    # An address (an office behind one NAT) waits only after many more failures, whatever the names.
    LOGIN_ADDRESS_FAILURES_BEFORE_DELAY = 30
    LOGIN_ADDRESS_BASE_DELAY_SECONDS = 60
    PAGE_SIZE = 20
    TESTING = False
    # The agenda's sweeper in this process, every SWEEP_SECONDS (`make run` turns it on; with
    # several workers, run `flask sweep` from cron instead or as well: a lease keeps sweeps apart).
    RUN_SCHEDULER = os.environ.get("RUN_SCHEDULER", "0") == "1"
    SWEEP_SECONDS = int(os.environ.get("SWEEP_SECONDS", "60"))
    # Notifications by e-mail (off unless MAIL_SERVER is set); the group robot's URL is per community.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "")

    def __init__(self):
        self.SECRET_KEY = _secret_key(self.INSTANCE_DIR)


class TestConfig(Config):
    __test__ = False  # not a pytest test class
    TESTING = True
    MONGODB_URI = "mongomock://localhost"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = "1000 per minute"
    SURVEY_RATE_LIMIT = "1000 per minute"
    PASSWORD_HASHER = "fast"  # argon2 with small cost; production keeps the strong default
    RUN_SCHEDULER = False
    MAIL_SERVER = ""

    def __init__(self):
        self.SECRET_KEY = "test-secret-key"
