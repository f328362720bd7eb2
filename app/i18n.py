"""Locale selection: the account's language, else the session's choice, else the browser's.

Form messages: WTForms' own catalog leaves a few of its messages untranslated and Flask-Admin
raises some of its own through it ("Not a valid choice"); `form_translations` adds our catalog
behind WTForms' for those (FORM_MESSAGES lists them for extraction), and `TranslatedForm` is the
base of sub-forms (lines of a list), which WTForms would otherwise leave in English.
"""
from pathlib import Path

from babel import support
from flask import has_request_context, request, session
from flask_babel import get_locale, gettext, lazy_gettext as _l, lazy_ngettext
from flask_login import current_user
from flask_wtf.i18n import translations as flask_wtf_translations
from wtforms import Form
from wtforms.i18n import messages_path

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


#: messages WTForms or Flask-Admin raise that WTForms' Chinese catalog lacks (translated in ours)
FORM_MESSAGES = (
    _l("Not a valid choice"), _l("Not a valid week value."),
    lazy_ngettext("'%(value)s' is not a valid choice for this field.",
                  "'%(value)s' are not valid choices for this field.", 1),
    _l("This field cannot be edited."), _l("This field is disabled and cannot have a value."),
)
_TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
_form_catalogs: dict = {}


def _form_catalog(locale: str):
    """WTForms' catalog of `locale`, falling back to ours (loaded once per locale)."""
    if locale not in _form_catalogs:
        wtforms_catalog = support.Translations.load(messages_path(), [locale], domain="wtforms")
        wtforms_catalog.add_fallback(support.Translations.load(str(_TRANSLATIONS_DIR), [locale]))
        _form_catalogs[locale] = wtforms_catalog
    return _form_catalogs[locale]


def _form_translations_for_request():
    """Flask-WTF reads the request's form catalog from `request.wtforms_translations`."""
    if has_request_context():
        request.wtforms_translations = _form_catalog(str(get_locale()))


class TranslatedForm(Form):
    """Base of sub-forms (FormField, FieldList lines): their messages in the user's language."""

    class Meta:
        def get_translations(self, form):
            return flask_wtf_translations


_picker_configs: dict = {}


def picker_config() -> dict:
    """What the calendar shows, in the user's language: month and weekday names, its buttons, the
    first day of the week (Monday) and the words between the two days of a range. The same for
    every page in one language: made once per language (every page carries it)."""
    key = str(get_locale())
    if key not in _picker_configs:
        _picker_configs[key] = _make_picker_config()
    return dict(_picker_configs[key])


def _make_picker_config() -> dict:
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
    app.before_request(_form_translations_for_request)
    app.jinja_env.filters["datetime_local"] = datetime_local
    app.jinja_env.filters["personal_data"] = personal_data
    app.jinja_env.filters["action_label"] = action_label
    app.jinja_env.filters["audit_value"] = display_value
    app.jinja_env.globals["picker_config"] = picker_config

    @app.context_processor
    def _languages():
        return {"LANGUAGES": app.config["LANGUAGES"], "current_language": current_language()}
