"""Locale selection: the account's language, else the session's choice, else the browser's."""
from flask import has_request_context, request, session
from flask_babel import get_locale, gettext
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
    """The zone of the user's first community (Asia/Shanghai without one): times formatted for
    the page are read on that community's clock."""
    from documents.deadlines import DEFAULT_ZONE
    if not has_request_context() or not getattr(current_user, "is_authenticated", False):
        return DEFAULT_ZONE
    from documents.deadlines import zone_of
    from documents.places import Community
    ids = list(getattr(current_user, "community_ids", None) or [])
    community = Community.objects(pk__in=ids).only("timezone").first() if ids else None
    return zone_of(community).key


def current_language() -> str:
    return "en" if str(get_locale()).startswith("en") else "zh_Hans_CN"


def datetime_local(value, fmt="yyyy-MM-dd HH:mm"):
    """Stored UTC -> the user's time zone (Asia/Shanghai), for display."""
    from flask_babel import format_datetime
    if not value:
        return ""
    return format_datetime(value, fmt)


def personal_data(text):
    """Audit values and free text: ID and phone numbers masked unless the role may see them."""
    from app.permissions import can
    from documents.validators import mask_text
    return mask_text(text, ids=not can("residents", "view_id_numbers"),
                     phones=not can("residents", "view_phones"))


def picker_config() -> dict:
    """What the calendar shows, in the user's language: month and weekday names, its buttons, the
    first day of the week (Monday) and the words between the two days of a range."""
    from babel.dates import get_day_names, get_month_names
    locale = get_locale()
    months = get_month_names("abbreviated", locale=locale)
    days = get_day_names("narrow" if str(locale).startswith("zh") else "short", locale=locale)
    return {
        "monthNames": [months[m] for m in range(1, 13)],
        # daterangepicker counts from Sunday; Babel from Monday (0)
        "daysOfWeek": [days[6]] + [days[d] for d in range(6)],
        "firstDay": 1,
        "applyLabel": gettext("Apply"), "cancelLabel": gettext("Cancel"),
        "fromLabel": gettext("From"), "toLabel": gettext("To"), "weekLabel": gettext("Wk"),
        "customRangeLabel": gettext("Custom range"),
        "separator": " to ",
    }


def init_app(app):
    from documents.audit import action_label, display_value
    app.jinja_env.filters["datetime_local"] = datetime_local
    app.jinja_env.filters["personal_data"] = personal_data
    app.jinja_env.filters["action_label"] = action_label
    app.jinja_env.filters["audit_value"] = display_value
    app.jinja_env.globals["picker_config"] = picker_config

    @app.context_processor
    def _languages():
        return {"LANGUAGES": app.config["LANGUAGES"], "current_language": current_language()}
