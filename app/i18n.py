"""Locale selection: the account's language, else the session's choice, else the browser's."""
from flask import has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

SUPPORTED = ("zh_Hans_CN", "en")


def normalise(tag: str | None) -> str | None:
    if not tag:
        return None
    tag = tag.replace("-", "_")
    low = tag.lower()
    if low.startswith("zh"):
        return "zh_Hans_CN"   # zh, zh_CN, zh_Hans: Flask-Admin only knows zh_Hans_CN
    if low.startswith("en"):
        return "en"
    return None


def select_locale():
    if not has_request_context():  # CLI commands (flask seed) use the default language
        return "zh_Hans_CN"
    if getattr(current_user, "is_authenticated", False) and current_user.language in SUPPORTED:
        return current_user.language
    chosen = normalise(session.get("language"))
    if chosen:
        return chosen
    for tag, _quality in request.accept_languages:
        chosen = normalise(tag)
        if chosen:
            return chosen
    return "zh_Hans_CN"


def select_timezone():
    return "Asia/Shanghai"


def current_language() -> str:
    return "en" if str(get_locale()).startswith("en") else "zh_Hans_CN"


def datetime_local(value, fmt="yyyy-MM-dd HH:mm"):
    """Stored UTC -> the user's time zone (Asia/Shanghai), for display."""
    from flask_babel import format_datetime
    if not value:
        return ""
    return format_datetime(value, fmt)


def personal_data(text, field=None, level=None):
    """Audit values and free text: ID and phone numbers masked unless the reader's archive level
    (`level`, default the role's standing level) shows them. A value of an ID-number or phone field
    (`field`, e.g. "owners.0.id_number") is masked whatever its format (passports, permits)."""
    from app.permissions import archive_standing_level, level_at_least
    from documents.validators import mask_id, mask_phone, mask_text
    level = level or archive_standing_level()
    ids_ok, phones_ok = level == "full", level_at_least(level, "contact")
    last = str(field or "").rsplit(".", 1)[-1]
    if last == "id_number" and not ids_ok:
        return mask_id(text)
    if last.endswith("phone") and not phones_ok:
        return mask_phone(text)
    return mask_text(text, ids=not ids_ok, phones=not phones_ok)


def init_app(app):
    from documents.audit import action_label, display_value
    app.jinja_env.filters["datetime_local"] = datetime_local
    app.jinja_env.filters["personal_data"] = personal_data
    app.jinja_env.filters["action_label"] = action_label
    app.jinja_env.filters["audit_value"] = display_value

    @app.context_processor
    def _languages():
        return {"LANGUAGES": app.config["LANGUAGES"], "current_language": current_language()}
