"""The secure base every admin view inherits.

It enforces, server side and for every view and action:
- login (anonymous -> login page with `next`) and the role map of app.permissions (else 403);
- community scoping of lists, counts, details, edit, delete, export, actions and form choices;
- an audit entry for every create, edit and delete (old -> new values);
- lost-update protection through the document's `version` (a stale form is refused);
- document validation errors shown on the form field they concern, nothing lost;
- lists without a query per row (references resolved in one query per collection).
"""
import json
import re
import secrets
from datetime import datetime
from types import MappingProxyType
from decimal import Decimal

from bson import ObjectId
from flask import abort, current_app, flash, has_request_context, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.contrib.mongoengine import ModelView
from flask_admin.contrib.mongoengine.ajax import QueryAjaxModelLoader
from flask_admin.helpers import get_redirect_target, is_form_submitted
from flask_admin.model.filters import BaseFilter
from flask_admin.contrib.mongoengine.form import (CustomModelConverter, ModelSelectField,
                                                  ModelSelectMultipleField)
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from mongoengine import (BooleanField, DateField, Document, DateTimeField, EmbeddedDocumentListField, ListField, Q,
                         ReferenceField, StringField, ValidationError)
from mongoengine.base import NON_FIELD_ERRORS
from mongoengine.errors import NotUniqueError
from wtforms import Form, HiddenField
from wtforms.validators import ValidationError as FieldError
from wtforms.fields import FieldList, FormField

from admin_views.datetimes import TypedDateField, TypedDateTimeField
from app import clock
from app.permissions import can
from app.request_cache import per_request
from documents import audit
from documents.base import (DomainError, PermissionDenied, StaleEditError, refusals, sees_community,
                            stale_message)
from documents.deadlines import local_text, to_local, to_utc, zone_of
from documents.money import MoneyField, money_text
from documents.places import Community
from documents.validators import mask_id, mask_phone

# Flask-Admin view method -> the permission it needs (None: checked elsewhere).
VIEW_PERMISSIONS = {
    "index_view": "list", "details_view": "details", "create_view": "create",
    "edit_view": "edit", "delete_view": "delete", "export": "export", "ajax_update": "edit",
    "ajax_lookup": "list", "action_view": None, "api_file_view": "never",
}


#: Row actions that other areas add to a view's list rows, by the view's endpoint, e.g. the visit
#: log adds "Log visit" to the archive list without touching the archive view. A provider is
#: called per request with the view and returns the row actions to add (or none).
EXTRA_ROW_ACTIONS: dict[str, list] = {}


def add_row_actions(endpoint: str, provider):
    providers = EXTRA_ROW_ACTIONS.setdefault(endpoint, [])
    if provider not in providers:
        providers.append(provider)


#: stands for a row's id in a URL built once per request and shape (`row_url`)
_ROW_SLOT = "rowid" + secrets.token_hex(8)
_PLAIN_ID = re.compile(r"[0-9A-Za-z_.~-]+\Z")   # characters url_for writes as they are


def row_url(endpoint: str, id_arg: str = "id", **values) -> str:
    """`url_for(endpoint, id=<row id>, **values)` for the rows of a list: the same URL, but
    Werkzeug builds it once per request for each endpoint and set of other arguments, and each row
    puts its id in (a 100-row page links every row two or three times)."""
    row_id = values.get(id_arg)
    if not isinstance(row_id, (str, ObjectId)) or not has_request_context() \
            or not _PLAIN_ID.match(str(row_id)):
        return url_for(endpoint, **values)
    key = (endpoint, id_arg, tuple((name, type(value), value) for name, value in values.items()
                                   if name != id_arg))
    shapes = per_request("row_urls")
    try:
        shape = shapes.get(key)
    except TypeError:                    # an argument that cannot be a key (a list): built each time
        return url_for(endpoint, **values)
    if shape is None:
        shape = shapes[key] = url_for(endpoint, **{**values, id_arg: _ROW_SLOT})
    return shape.replace(_ROW_SLOT, str(row_id))


def can_open(endpoint: str) -> bool:
    """May the logged-in user open the admin page of `endpoint` ("events.details_view")? Templates
    show a link only then (a Jinja global), so no role is offered a page that answers 403."""
    if endpoint not in current_app.view_functions:
        return False                      # no such page (an area whose pages are not registered)
    blueprint, _dot, method = endpoint.partition(".")
    admin = current_app.extensions.get("estate_admin")
    view = next((v for v in getattr(admin, "_views", []) if v.endpoint == blueprint), None)
    if view is None:
        return True                       # not an admin page (login, password, static)
    if not current_user.is_authenticated or not view.is_accessible():
        return False
    perm = VIEW_PERMISSIONS.get(method)
    return perm != "never" and (not perm or view.allowed(perm))


#: at most this many menus kept (role sets x languages x pages: a few hundred at most)
MENUS_KEPT = 2000


def cached_menu(view, render) -> Markup:
    """The main menu (a Jinja global, estate_master.html): made once for each role set, language and
    page - it depends on nothing else (which entries a role opens, their names, the active one) -
    then reused; building it asked every view's rights and built every link on every page."""
    user = current_user._get_current_object()
    roles = tuple(sorted(getattr(user, "roles", None) or ())) if getattr(user, "is_authenticated", False) \
        else None
    key = (getattr(view, "endpoint", None), roles, str(get_locale()), request.script_root)
    menus = current_app.extensions.setdefault("estate_menus", {})
    html = menus.get(key)
    if html is None:
        html = Markup(render())
        if len(menus) < MENUS_KEPT:
            menus[key] = html
    return html


def user_communities(user=None) -> list:
    """The communities the user works in (all of them for an administrator); the logged-in
    user's are read once per request (a list page asks for its filter, its title, its forms)."""
    if user is not None or not has_request_context():
        return list(Community.objects.for_user(user or current_user))
    cache = per_request("user_communities")
    key = current_user.get_id() if current_user.is_authenticated else None
    if key not in cache:
        cache[key] = list(Community.objects.for_user(current_user))
    return list(cache[key])


def scoped_or_404(model, raw_id, user=None):
    """The record with this id among the user's communities, else 404 (never another's record).

    Custom routes (steps, files, prints) load their record through this, like Flask-Admin's own
    pages do through `get_query()`.
    """
    if not raw_id or not ObjectId.is_valid(str(raw_id)):
        abort(404)
    record = model.objects.for_user(user or current_user).filter(pk=str(raw_id)).first()
    if record is None:
        abort(404)
    return record


def preset_references(form):
    """A new-record form opened as `/new/?room=<id>` (or `household=`…) starts with that record
    chosen, if the user may see it (the household page's buttons use this)."""
    if request.method != "GET":
        return form
    for name, raw in request.args.items():
        field = form._fields.get(name)
        if field is None or field.data or not ObjectId.is_valid(str(raw)):
            continue
        loader = getattr(field, "loader", None)
        if isinstance(loader, ScopedAjaxLoader):
            found = loader.get_one(raw)
        elif isinstance(field, ModelSelectField):
            found = field.queryset.filter(pk=raw).first()
        else:
            continue
        if found is not None:
            field.data = found
    return form


class AccessMixin:
    """Login and role checks for any admin view (model views and custom pages)."""

    area: str = ""

    def is_accessible(self):
        return current_user.is_authenticated and can(self.area, "list")

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

    def _handle_view(self, name, **kwargs):
        if not current_user.is_authenticated or not self.is_accessible():
            return self.inaccessible_callback(name, **kwargs)
        perm = VIEW_PERMISSIONS.get(name)
        if perm == "never" or (perm and not self.allowed(perm)):
            abort(403)
        return None

    def allowed(self, perm: str) -> bool:
        """Does the user hold `perm` on this view's area (a view may map its rights, see events)?"""
        return can(self.area, perm)


class SecurePage(AccessMixin, BaseView):
    """A custom page (lookup grid, handover, dashboards)."""


class SecureIndexView(AccessMixin, AdminIndexView):
    """The home page's base (the page itself: "My work", admin_views/agenda.py)."""

    def is_accessible(self):
        return current_user.is_authenticated


class OfferedChoiceMixin:
    """A select of records that answers a value it never offered (an empty or malformed id, a record
    that does not exist) with a message on the field; Flask-Admin's own asks the store with the raw
    value and fails with an error page."""

    unknown_choice = False

    def process_formdata(self, valuelist):
        given = [value for value in valuelist or [] if value != "__None"]
        ids = {value for value in given if ObjectId.is_valid(value)}
        super().process_formdata([value for value in valuelist or [] if value == "__None" or value in ids])
        found = self.data if isinstance(self.data, list) else [self.data] if self.data is not None else []
        self.unknown_choice = len(ids) < len(given) or len(found) < len(ids)

    def post_validate(self, form, validation_stopped):
        if self.unknown_choice and not self.errors:
            raise FieldError(_("Please choose one of the offered entries."))


class OfferedModelSelectField(OfferedChoiceMixin, ModelSelectField):
    pass


class OfferedModelSelectMultipleField(OfferedChoiceMixin, ModelSelectMultipleField):
    pass


OFFERED_ONLY = {ModelSelectField: OfferedModelSelectField, ModelSelectMultipleField: OfferedModelSelectMultipleField}


class EstateModelConverter(CustomModelConverter):
    """Flask-Admin drops EmbeddedDocumentListField and LongField from forms; convert them. Record
    selects refuse values they did not offer (OfferedChoiceMixin). Long texts are multi-line. Dates
    and date-times are typed text with a calendar (admin_views/datetimes.py)."""

    def __init__(self, view):
        super().__init__(view)
        self.converters["EmbeddedDocumentListField"] = self.conv_List
        self.converters["LongField"] = self.conv_Int
        self.converters["Decimal128Field"] = self.conv_Decimal

    def conv_DateTime(self, model, field, kwargs):
        return TypedDateTimeField(**kwargs)

    def conv_Date(self, model, field, kwargs):
        return TypedDateField(**kwargs)

    #: a text that may be this long is typed in a multi-line box (descriptions, notes)
    MULTI_LINE_FROM = 500

    def conv_String(self, model, field, kwargs):
        if (field.max_length or 0) >= self.MULTI_LINE_FROM and not getattr(field, "regex", None):
            kwargs.setdefault("textarea", True)
        return super().conv_String(model, field, kwargs)

    def conv_Reference(self, model, field, kwargs):
        return _offered_only(super().conv_Reference(model, field, kwargs))

    def conv_List(self, model, field, kwargs):
        return _offered_only(super().conv_List(model, field, kwargs))


def _offered_only(unbound):
    safer = OFFERED_ONLY.get(getattr(unbound, "field_class", None))
    if safer is not None:
        unbound.field_class = safer
    return unbound


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """AJAX choices for a reference field: scoped to the user's communities, prefix search, capped."""

    MAX_RESULTS = 30

    def __init__(self, name, model, fields, prefix_fields=(), order_by=None, **options):
        super().__init__(name, model, fields=fields, **options)
        self.prefix_fields = prefix_fields
        self.order_by = order_by

    def _base(self):
        qs = self.model.objects.for_user(current_user)
        return qs.order_by(self.order_by) if self.order_by else qs

    def get_one(self, pk):
        try:
            return self._base().filter(pk=pk).first()
        except ValidationError:
            return None

    def get_list(self, term, offset=0, limit=20):
        qs = self._base()
        term = str(term or "").strip()[:50]
        if term:
            criteria = Q()
            for name in self.fields:
                op = "istartswith" if name in self.prefix_fields else "icontains"
                criteria |= Q(**{f"{name}__{op}": term})
            qs = qs.filter(criteria)
        limit = max(1, min(int(limit or 20), self.MAX_RESULTS))
        return list(qs.skip(max(0, int(offset or 0))).limit(limit))


def household_loader(placeholder):
    """The scoped archive lookup of a form: the start of a room code, or part of a name."""
    from documents.residents import Household
    return ScopedAjaxLoader("household", Household, fields=["room_code", "name"], prefix_fields=["room_code"],
                            order_by="sort_key", placeholder=placeholder)


def attach_errors(node, error, leftovers: list, skip=(), drop_unknown=False):
    """Put a mongoengine ValidationError's messages on the matching (nested) form fields.

    At the top (`node` is the form), messages for the fields in `skip` are left out, and with
    `drop_unknown` so are messages for document fields the form does not have."""
    # mongoengine nests list-field errors as plain dicts: {"owners": {0: {"phone": ValidationError}}}
    nested = error if isinstance(error, dict) else getattr(error, "errors", None)
    if nested:
        for key, sub in nested.items():
            if key == NON_FIELD_ERRORS:
                attach_errors(node, sub, leftovers, skip, drop_unknown)
                continue
            if key in skip:
                continue
            child = _child(node, key)
            if child is None:
                if not drop_unknown:
                    leftovers.append(_message(sub))
            else:
                attach_errors(child, sub, leftovers)
        return
    message = _message(error)
    if isinstance(node, (Form, FormField)) or not hasattr(node, "errors"):
        leftovers.append(message)
        return
    try:
        node.errors = list(node.errors or []) + [message]
    except AttributeError:
        leftovers.append(message)


def place_errors(form, problems, document_class=None, skip=(), guessing=False) -> list:
    """Put refusals on the form the one way every form does it; return the messages that concern no
    one field (shown above the form).

    - DomainError: on the field it names, also one inside a list of sub-forms ("owners-0-phone");
      without a field, or naming a hidden one or one the form lacks: above the form;
    - mongoengine ValidationError: its messages (the store's own in the user's language) on the
      matching (nested) fields; a message for a field the form lacks: above the form.
    `skip` names the form's fields that already show an error of their own (their input did not
    parse): a message for them is left out. With `guessing` the record was checked without those
    values, so a message for a field the form lacks (derived from a missing value) is left out too.
    """
    leftovers = []
    problems = problems if isinstance(problems, (list, tuple)) else [problems]
    problems = [part for problem in problems for part in (getattr(problem, "parts", ()) or [problem])]
    for problem in problems:
        if isinstance(problem, DomainError):
            name = problem.field or ""
            if name and name.split("-")[0] in skip:
                continue
            target = _field_named(form, name) if name else None
            if target is not None and not isinstance(target, HiddenField):
                target.errors = list(target.errors or []) + [problem.message]
            elif not (guessing and name):
                leftovers.append(problem.message)
        elif isinstance(problem, ValidationError):
            translate_store_errors(problem, document_class)
            attach_errors(form, problem, leftovers, skip=skip, drop_unknown=guessing)
    return leftovers


def fill_record(form, model, leave_out=()):
    """The form's values into `model`, but those of the fields in `leave_out` (and the form's
    bookkeeping: CSRF token, the version the form was opened at)."""
    for name, field in form._fields.items():
        if name not in leave_out and name not in ("csrf_token", "record_version"):
            field.populate_obj(model, name)


def show_refusal(form, err: DomainError):
    """A rule refused a custom form (a step, a visit): its message on the field it concerns (also
    one inside a list of sub-forms, named as the form names it: "violations-1-type"), or flashed
    above the form when it concerns no one field."""
    for message in place_errors(form, err):
        flash(message, "error")


def _field_named(fields, name):
    for field in fields:
        if field.name == name:
            return field
        if isinstance(field, (FieldList, FormField)):
            found = _field_named(field, name)
            if found is not None:
                return found
    return None


def _child(node, key):
    if isinstance(node, Form):
        return node._fields.get(key)
    if isinstance(node, FormField):
        return node.form._fields.get(key)
    if isinstance(node, FieldList):
        try:
            return node.entries[int(key)]
        except (ValueError, IndexError):
            return None
    return None


def translate_store_errors(error, document_class):
    """mongoengine's own messages ("String value is too long") in the user's language, naming the
    limit from the field they concern; walks the error tree as `attach_errors` does."""
    nested = error if isinstance(error, dict) else getattr(error, "errors", None)
    if nested:
        for key, sub in nested.items():
            field = getattr(document_class, "_fields", {}).get(key) if document_class else None
            inner = getattr(getattr(field, "field", None), "document_type", None) or \
                getattr(field, "document_type", None)
            if isinstance(sub, dict) or getattr(sub, "errors", None):
                translate_store_errors(sub, inner or (document_class if str(key).isdigit() else None))
            elif isinstance(sub, ValidationError):
                sub.message = store_message(sub.message, field)
        return
    if isinstance(error, ValidationError):
        error.message = store_message(error.message, None)


def store_message(message, field) -> str:
    """One of mongoengine's English validation messages, translated (others are ours already)."""
    text = str(message or "")
    limit = lambda name: getattr(field, name, None)  # noqa: E731
    if text == "String value is too long":
        return _("At most %(n)d characters.", n=limit("max_length")) if limit("max_length") \
            else _("The text is too long.")
    if text == "String value is too short":
        return _("At least %(n)d characters.", n=limit("min_length")) if limit("min_length") \
            else _("The text is too short.")
    if text.endswith("value is too small") and limit("min_value") is not None:
        return _("Must be at least %(min)s.", min=limit("min_value"))
    if text.endswith("value is too large") and limit("max_value") is not None:
        return _("Must be at most %(max)s.", max=limit("max_value"))
    if text == "Field is required":
        return _("This field is required.")
    if text.startswith("Value must be one of"):
        return _("Please choose one of the offered entries.")
    if text == "String value did not match validation regex":
        return _("This value does not have the expected form.")
    return message


def _message(error) -> str:
    if isinstance(error, dict):
        return "; ".join(_message(e) for e in error.values())
    if isinstance(error, ValidationError):
        if error.errors:
            return "; ".join(_message(e) for e in error.errors.values())
        return error.message
    return str(error)


class CommunityFormMixin:
    """Create and edit forms of a community's records (put it before EstateModelView).

    Times in `local_time_fields` are shown and typed as wall-clock times of the record's community
    and stored as naive UTC (call `store_local_times(model)` from `on_model_change`); the community
    is preset when the user works in exactly one.
    """

    local_time_fields: tuple = ()

    def create_form(self, obj=None):
        form = super().create_form(obj)
        field = form._fields.get("community")
        if field is not None and not field.data:
            communities = user_communities()
            if len(communities) == 1:
                field.data = communities[0]
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and request.method == "GET":
            for name, value in self._local_times(obj):
                if name in form._fields:
                    form[name].data = value
        return form

    def as_typed(self, model):
        """A record's times as its form shows them (wall-clock times of its community), so that a
        time the form left out is read like one typed (see check_despite_field_errors)."""
        for name, value in self._local_times(model):
            setattr(model, name, value)

    def _local_times(self, record):
        zone = zone_of(record.community)
        for name in self.local_time_fields:
            value = getattr(record, name, None)
            if value is not None:
                yield name, to_local(value, zone).replace(tzinfo=None)

    def store_local_times(self, model):
        zone = zone_of(model.community)
        for name in self.local_time_fields:
            value = getattr(model, name, None)
            if isinstance(value, datetime):
                setattr(model, name, to_utc(value, zone))


class EstateModelView(AccessMixin, ModelView):
    """Base of every model view: secure, scoped, audited, versioned."""

    form_base_class = FlaskForm
    model_form_converter = EstateModelConverter
    page_size = 20
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    can_view_details = True
    export_types = ["csv", "xlsx"]
    export_max_rows = 10000
    column_display_actions = True
    details_template = "admin_ext/details.html"
    edit_template = "admin_ext/edit.html"
    create_template = "admin_ext/create.html"
    list_template = "admin_ext/list.html"
    #: reference fields resolved in one query per page instead of one per row
    list_select_related = True
    #: which of them: the references the list's rows read (None: every one, mongoengine's
    #: select_related - a repair's household, read whole, only to be left unread)
    list_references: tuple | None = None

    #: placeholder of the list's search box; by default the labels of the searchable columns
    search_hint = None

    # --- role map -> Flask-Admin switches (evaluated per request) ---
    @property
    def can_create(self):
        return self.allowed("create")

    @property
    def can_edit(self):
        return self.allowed("edit")

    @property
    def can_delete(self):
        return self.allowed("delete")

    @property
    def can_export(self):
        return self.allowed("export")

    def get_list_row_actions(self):
        actions = super().get_list_row_actions()
        for provider in EXTRA_ROW_ACTIONS.get(self.endpoint, []):
            actions.extend(provider(self) or [])
        return actions

    def _get_filter_groups(self):
        """Filters whose choices depend on the user (`request_choices`, see admin_views/filters.py)
        get them on every request; Flask-Admin computes `options` once at start-up."""
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                choices = getattr(self._filters[item["index"]], "request_choices", None)
                if choices:
                    item["options"] = [(str(k), str(v)) for k, v in choices()]
        return groups

    # --- defaults: labels from the documents, values formatted by field type ---
    def get_export_name(self, export_type: str = "csv") -> str:
        """`repairs_2026-11-28_10-00-00.csv`: the list's endpoint (plain ASCII for the download
        header) and the moment on the clock of the user's community (not the server's)."""
        communities = user_communities()
        stamp = local_text(clock.now(), communities[0] if communities else None, "%Y-%m-%d_%H-%M-%S")
        return f"{self.endpoint}_{stamp}.{export_type}"

    def get_column_name(self, field):
        """The column's label: `column_labels` if the view says so, else the field's verbose_name."""
        if self.column_labels and field in self.column_labels:
            return self.column_labels[field]
        label = getattr(self.model._fields.get(field), "verbose_name", None)
        return label if label else super().get_column_name(field)

    def _get_list_value(self, context, model, name, column_formatters, column_type_formatters):
        if name not in column_formatters:
            formatters = self.__dict__.setdefault("_field_formatters", {})   # the same for every row
            if name not in formatters:
                formatters[name] = field_formatter(self.model._fields.get(name))
            formatter = formatters[name]
            if formatter is not None:
                return formatter(model, getattr(model, name, None))
        return super()._get_list_value(context, model, name, column_formatters, column_type_formatters)

    # --- list filters: a value typed into the URL is checked before it reaches the store ---
    def _get_list_filter_args(self):
        filters = super()._get_list_filter_args()
        if not filters:
            return filters
        kept = []
        for index, name, value in filters:
            if self.filter_value_ok(self._filters[index], value):
                kept.append((index, name, value))
            else:
                flash(self.get_invalid_value_msg(value, self._filters[index]), "error")
        return kept

    def get_invalid_value_msg(self, value, filter):
        return _("“%(value)s” is not a valid value for the filter “%(filter)s”; the filter was left out.",
                 value=str(value)[:40], filter=str(filter.name))

    def filter_value_ok(self, flt, value) -> bool:
        """A choice must be one of the filter's choices; a number or date must read as one."""
        choices = getattr(flt, "request_choices", None)
        options = choices() if choices else flt.get_options(self)
        if options:
            return str(value) in {str(key) for key, _label in options}
        if type(flt).validate is not BaseFilter.validate:
            return True   # the filter checks its own values (date ranges, ids…)
        field = self.model._fields.get(flt.column) if isinstance(flt.column, str) else None
        if field is None or isinstance(field, StringField):
            return True   # any text is a valid text to look for
        try:
            field.validate(field.to_python(value))
        except (ValueError, TypeError, ArithmeticError, ValidationError):
            return False
        return True

    def get_url(self, endpoint, **kwargs):
        """URLs of list rows are built once per request and shape (`row_url`)."""
        if "id" in kwargs:
            return row_url(endpoint, **kwargs)
        return super().get_url(endpoint, **kwargs)

    def is_action_allowed(self, name):
        if name == "delete":
            return self.can_delete
        return self.allowed(f"action:{name}")

    @expose("/action/", methods=("POST",))
    def action_view(self):
        name = request.form.get("action", "")
        if name not in self._actions_data or not self.is_action_allowed(name):
            abort(403)
        if not request.form.getlist("rowid") or \
                not all(ObjectId.is_valid(raw) for raw in request.form.getlist("rowid")):
            flash(_("Choose the records first (a chosen record could not be found); nothing was changed."),
                  "error")
            return redirect(get_redirect_target() or self.get_url(".index_view"))
        return self.handle_action()

    # --- scoping ---
    def get_one(self, id):
        """A malformed id is a record that does not exist (Flask-Admin then says so, translated)."""
        if not ObjectId.is_valid(str(id or "")):
            return None
        return super().get_one(id)

    def get_query(self):
        return self.model.objects.for_user(current_user)

    def sort_field(self, column):
        """The field a column sorts by: `column_sortable_list` may name another one, e.g.
        ("room_code", "sort_key") or ("owed", "owed_fen") (Flask-Admin's MongoEngine view would sort
        by the column itself: room 1201 before 201, and money the embedded stores cannot sort)."""
        for entry in self.column_sortable_list or ():
            if isinstance(entry, tuple) and entry[0] == column and isinstance(entry[1], str):
                return entry[1]
        return column

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        sort_column = self.sort_field(sort_column) if sort_column else sort_column
        count, query = super().get_list(page, sort_column, sort_desc, search, filters,
                                        execute=False, page_size=page_size)
        if not execute:
            return count, query
        if self.list_select_related and self.list_references is not None:
            return count, resolve_references(list(query), self.list_references)
        if self.list_select_related:
            return count, query.select_related(max_depth=1)
        return count, list(query)

    def _scope_form(self, form):
        for field in form:
            if isinstance(field, (ModelSelectField, ModelSelectMultipleField)):
                if hasattr(field.queryset, "for_user"):   # records of a community
                    field.queryset = field.queryset.for_user(current_user)
        return form

    def create_form(self, obj=None):
        form = preset_references(self._scope_form(super().create_form(obj)))
        form.estate_record = (True, None)       # what validate_form checks besides the fields
        return form

    def edit_form(self, obj=None):
        form = self._scope_form(super().edit_form(obj))
        form.estate_record = (False, obj)
        return form

    def check_community(self, model):
        """A record may only be saved into one of the user's communities."""
        if "community" in model._fields and not sees_community(current_user, model.community):
            raise PermissionDenied(_("You may only work on records of your own communities."),
                                   field="community")

    # --- version field on edit forms ---
    def scaffold_form(self):
        form_class = super().scaffold_form()
        if "version" in self.model._fields:
            form_class.record_version = HiddenField()
        return form_class

    # --- every error of a form in one round ---
    def validate_form(self, form):
        """The fields' own checks, and, when some field refused its input, the record's own checks
        (rules of the document) on the values that did parse: the user sees every error of the
        form at once instead of one round per kind. Nothing is saved here."""
        if super().validate_form(form):
            return True
        target = getattr(form, "estate_record", None)
        if target is not None and is_form_submitted():
            self.check_despite_field_errors(form, *target)
        return False

    def record_problems(self, form, model, is_created) -> list:
        """Every refusal of the record's own checks on the values `form` put into `model`: the
        view's preparation (`on_model_change`), the community check and the document's validation
        (its fields and its `clean()` rules), each run even when an earlier one refused.

        A view whose `create_model` calls a document method instead of saving the form's record
        (a venue booking, a sign-up) overrides this with that method's checks."""
        return refusals((lambda: self._on_model_change(form, model, is_created),
                         lambda: self.check_community(model), model.validate), also=(ValidationError,))

    def as_typed(self, model):
        """A record's values as its form shows them (CommunityFormMixin: times in local time)."""

    def draft_refused(self, form) -> bool:
        """For a `create_model` that calls a document method instead of saving the form's record:
        the form's values in a draft record, checked all at once by `record_problems`; True (and
        every refusal shown on the form) when the method would refuse them."""
        draft = self.model()
        fill_record(form, draft)
        problems = self.record_problems(form, draft, True)
        if problems:
            self._refuse(form, problems, create=True)
        return bool(problems)

    def check_despite_field_errors(self, form, is_created, record):
        """Some fields refused their input: run the record's checks on a scratch copy holding the
        other fields' values (a skipped field keeps the record's value, or none on a new record)
        and show their messages too, except on the fields that show an error already."""
        failed = {name for name, field in form._fields.items() if field.errors}
        if "csrf_token" in failed:
            return
        try:
            if is_created:
                model = self.model()
            else:
                model = type(record)._from_son(record.to_mongo())
                self.as_typed(model)          # a time left out reads as if typed again
            fill_record(form, model, leave_out=failed)
            problems = self.record_problems(form, model, is_created)
        except Exception:  # noqa: BLE001 - a check that needs a value the user has still to correct
            current_app.logger.debug("record checks skipped on a form with field errors", exc_info=True)
            return
        for message in place_errors(form, problems, self.model, skip=failed, guessing=True):
            flash(message, "error")

    # --- create / update / delete with audit, versions and field errors ---
    def create_model(self, form):
        model = self.model()
        form_data_version = self._pop_version(form)  # noqa: F841 - not used on create
        try:
            form.populate_obj(model)
            problems = self.record_problems(form, model, True)
            if problems:
                return self._refuse(form, problems, create=True)
            if hasattr(model, "save_versioned"):
                model.save_versioned(None)
            else:
                model.save()
        except Exception as ex:  # noqa: BLE001 - every failure is shown to the user
            return self._refuse(form, ex, create=True)
        audit.record("create", model, audit.diff({}, audit.snapshot(model)))
        self.after_model_change(form, model, True)
        return model

    def update_model(self, form, model):
        expected = self._pop_version(form)
        before = audit.snapshot(model)
        try:
            self.check_community(model)
            form.populate_obj(model)
            problems = self.record_problems(form, model, False)
            if problems:
                return self._refuse(form, problems, create=False)
            if hasattr(model, "save_versioned"):
                if expected is None:   # no version sent, or not a number: it cannot prove it is fresh
                    raise StaleEditError(stale_message())
                model.save_versioned(expected)
            else:
                model.save()
        except Exception as ex:  # noqa: BLE001
            return self._refuse(form, ex, create=False)
        audit.record("edit", model, audit.diff(before, audit.snapshot(model)))
        self.after_model_change(form, model, False)
        return True

    def delete_model(self, model):
        try:
            self.check_community(model)
            self.on_model_delete(model)
            before = audit.snapshot(model)
            model.delete()
        except Exception as ex:  # noqa: BLE001
            flash(_("The record was not deleted: %(error)s", error=_message(ex)), "error")
            return False
        audit.record("delete", model, audit.diff(before, {}))
        self.after_model_delete(model)
        return True

    @staticmethod
    def _pop_version(form):
        field = form._fields.get("record_version")
        if field is None:
            return None
        # what the browser sent: the field falls back to the record's own version when it is left out
        value = request.form.get("record_version", "").strip()
        del form["record_version"]
        return int(value) if value.isascii() and value.isdigit() else None

    def _refuse(self, form, ex, create):
        """Show why the record was not saved (one refusal or a list of them); nothing was saved."""
        problems = ex if isinstance(ex, list) else [ex]
        for problem in problems:
            if isinstance(problem, StaleEditError):
                flash(problem.message, "error")
                return False
            if not isinstance(problem, (DomainError, ValidationError, NotUniqueError)):
                raise problem
        leftovers = place_errors(form, [p for p in problems if not isinstance(p, NotUniqueError)], self.model)
        if any(isinstance(p, NotUniqueError) for p in problems):
            leftovers.append(_("A record with the same key already exists."))
        if not leftovers and any(isinstance(p, ValidationError) for p in problems):
            leftovers.append(_("Please correct the marked fields."))
        for message in leftovers:
            flash(message, "error")
        return False

    # --- export: one safe, typed, streamed and audited path for every list (admin_views/exports.py) ---
    @expose("/export/<export_type>/")
    def export(self, export_type):
        if not self.can_export or export_type not in self.export_types:
            abort(403)
        from admin_views.exports import export_response
        return export_response(self, export_type)

    # --- inline list editing: same checks as the edit form (Flask-Admin #2129) ---
    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        if not self.can_edit:
            abort(403)
        return super().ajax_update()

    @expose("/api/file/")
    def api_file_view(self):
        abort(404)  # Flask-Admin's version takes db/collection from the URL; never serve it

    # --- helpers for area views ---
    def render_history(self, model):
        """The record's change history as people read it: each entry's time in the record's
        community, the staff member by name ("System" for automatic steps)."""
        if getattr(model, "audit_outbox", None):   # entries left by a process that died mid-step
            from documents.workflow import deliver_audit
            deliver_audit(type(model), model.pk)
        entries = list(audit.AuditEntry.for_record(model))
        names = actor_names(entries)
        for entry in entries:
            entry.at_text = local_text(entry.at, record_community(model))
            entry.actor_text = names.get(raw_id(entry._data.get("actor"))) or (
                _("System") if entry.actor_name in (None, "", "system") else entry.actor_name)
        return entries

    def shown_change(self, path: str) -> bool:
        """A change people read: a field with a name of its own (counters and markers the software
        keeps for itself have none and are left out)."""
        return bool((self.column_labels or {}).get(path.split(".")[0])) or named_field(self.model, path)

    def search_placeholder(self):
        """Flask-Admin's default is None, shown as the text "None" in the search box."""
        if self.search_hint:
            return str(self.search_hint)
        if not self.column_searchable_list:
            return None
        labels = self.field_labels()
        return ", ".join(labels.get(name, name) for name in self.column_searchable_list
                         if isinstance(name, str))

    def field_labels(self) -> dict:
        """Field name -> label in the user's language (for change history lists).

        The same for every request in one language: made once per language (a history of 50
        changes asked for it per cell, translating every label of the model each time)."""
        locale = str(get_locale())
        cache = self.__dict__.setdefault("_field_labels_by_locale", {})
        labels = cache.get(locale)
        if labels is None:
            labels = {name: str(getattr(field, "verbose_name", None) or name)
                      for name, field in self.model._fields.items()}
            labels.update({name: str(label) for name, label in (self.column_labels or {}).items()})
            labels = cache[locale] = MappingProxyType(labels)
        return labels

    def _walk(self, path: str):
        """The schema field at `owners.0.phone` (or None), and its label words."""
        return walk_field(self.model, path, self.field_labels())

    def field_label(self, path: str) -> str:
        """`owners.0.phone` -> "Owners #1 · Phone", in the user's language (for change lists)."""
        return " · ".join(self._walk(path)[1])

    def field_value(self, path: str, text: str, record=None) -> str:
        """A stored old/new value as the user reads it: choice labels, times in the record's
        community, money as 1,234.50, yes/no, records by their names (a list item by item)."""
        return change_value(self._walk(path)[0], text, record)

    def details_extra(self, model) -> dict:
        """What an area's details page shows besides the fields (workflow buttons, files, ...)."""
        return {}

    def render(self, template, **kwargs):
        if "model" in kwargs and kwargs.get("model") is not None and template == self.details_template:
            kwargs.update(self.details_extra(kwargs["model"]))
            kwargs.setdefault("history", self.render_history(kwargs["model"]))
            kwargs.setdefault("field_labels", self.field_labels())
            kwargs.setdefault("field_label", self.field_label)
            kwargs.setdefault("field_value", lambda path, text, record=kwargs["model"]:
                              self.field_value(path, text, record))
            kwargs.setdefault("shown_change", self.shown_change)
        return super().render(template, **kwargs)


def resolve_references(records: list, names) -> list:
    """Put the referenced documents of `names` (reference fields) into `records`, one query per
    field for the whole page; a reference to a record that no longer exists is left as it was."""
    for name in names:
        ids = {raw_id(record._data.get(name)) for record in records
               if not isinstance(record._data.get(name), (Document, type(None)))}
        if not ids:
            continue
        model = type(records[0])._fields[name].document_type
        found = model.objects.in_bulk(list(ids))
        for record in records:
            raw = record._data.get(name)
            if raw is not None and not isinstance(raw, Document) and raw_id(raw) in found:
                record._data[name] = found[raw_id(raw)]
    return records


# --- formatting helpers shared by area views ---

def raw_id(value):
    """The id a reference holds, whether it was loaded or not (DBRef, ObjectId or the record)."""
    return getattr(value, "id", value)


def actor_names(entries) -> dict:
    """Staff id -> display name for the actors of these audit entries (one query)."""
    from documents.staff import Staff
    ids = {raw_id(entry._data.get("actor")) for entry in entries} - {None}
    return {staff.pk: staff.display_name for staff in Staff.objects(pk__in=list(ids)).only("display_name")} \
        if ids else {}


def record_community(record):
    """The community whose clock a record's times are read on (a staff member: their first)."""
    community = getattr(record, "community", None)
    if community is None:
        communities = getattr(record, "communities", None) or []
        community = communities[0] if communities else None
    return community


def walk_field(model, path: str, labels: dict | None = None):
    """The schema field of `model` at `owners.0.phone` (or None), and its label words
    ("Owners #1", "Phone") in the user's language."""
    labels = labels if labels is not None else {
        name: str(getattr(field, "verbose_name", None) or name) for name, field in model._fields.items()}
    parts = path.split(".")
    words = [labels.get(parts[0], parts[0])]
    field = model._fields.get(parts[0])
    for part in parts[1:]:
        if part.isdigit():
            words[-1] += f" #{int(part) + 1}"
            continue
        inner = getattr(getattr(field, "field", None), "document_type", None) or \
            getattr(field, "document_type", None)
        field = inner._fields.get(part) if inner is not None and hasattr(inner, "_fields") else None
        words.append(str(getattr(field, "verbose_name", None) or part))
    return field, words


def named_field(model, path: str) -> bool:
    """Has the field a name people read (counters and markers of the software have none)?"""
    return getattr(model._fields.get(path.split(".")[0]), "verbose_name", None) is not None


def change_value(field, text: str, record=None) -> str:
    """An old or new value of a change (stored as text) as people read it; a list item by item."""
    if not text or field is None:
        return text or ""
    inner = getattr(field, "field", None)
    if isinstance(field, ListField) and not isinstance(field, EmbeddedDocumentListField) and inner is not None:
        try:
            items = json.loads(text) if text.startswith("[") else [text]
        except ValueError:
            items = [text]
        if isinstance(items, list) and all(not isinstance(item, (dict, list)) for item in items):
            return ", ".join(stored_value(inner, str(item), record) for item in items)
    return stored_value(field, text, record)


def stored_value(field, text: str, record=None) -> str:
    """One stored value (as the audit keeps it: text) as people read it, by the field's type."""
    choices = getattr(field, "choices", None)
    if choices:
        labels = {str(key): label for key, label in choices}
        if text in labels:
            return str(labels[text])
    if isinstance(field, DateField):
        return text[:10]
    if isinstance(field, DateTimeField):
        try:
            return local_text(datetime.fromisoformat(text), record_community(record))
        except ValueError:
            return text
    if isinstance(field, MoneyField):
        try:
            return money_text(Decimal(text))
        except ArithmeticError:
            return text
    if isinstance(field, BooleanField):
        return _("Yes") if text == "True" else _("No") if text == "False" else text
    if isinstance(field, ReferenceField) and ObjectId.is_valid(text):
        name = referenced_name(field, text)
        return _("(a deleted record)") if name == text else name
    return text


def _local_time(model, value):
    return local_text(value, record_community(model)) if value else ""


def _date(model, value):
    return value.strftime("%Y-%m-%d") if value else ""


def _money(model, value):
    return money_text(value) if value is not None else ""


def _yes_no(model, value):
    return _("Yes") if value else (_("No") if value is not None else "")


def referenced_name(field, raw_id: str) -> str:
    """A stored reference (an id in the change history) as the record's name, if it still exists."""
    try:
        target = field.document_type.objects(pk=raw_id).first()
    except (ValidationError, LookupError):
        target = None
    return _reference(None, target) if target is not None else raw_id


def _reference(model, value):
    if value is None:
        return ""
    name = getattr(value, "display_name", None)
    if callable(name):
        from documents.bilingual import current_language
        return name(current_language())     # a community in the user's language
    return name or str(value)               # a staff member by name


def _list_of(inner):
    return lambda model, values: ", ".join(str(inner(model, v)) for v in values or [])


def field_formatter(field):
    """How a field's value reads when a view does not say: local time in the record's community,
    date, choice label, money, yes/no, a reference's name, a list as "a, b" (None: Flask-Admin's
    own way, e.g. embedded documents)."""
    if field is None or isinstance(field, EmbeddedDocumentListField):
        return None
    if isinstance(field, ListField):
        return _list_of(field_formatter(field.field) or (lambda model, value: value))
    if isinstance(field, ReferenceField):
        return _reference
    choices = getattr(field, "choices", None)
    if choices:
        return lambda model, value: choice_label(choices, value) if value is not None else ""
    if isinstance(field, DateField):      # (a DateField is also a DateTimeField)
        return _date
    if isinstance(field, DateTimeField):
        return _local_time
    if isinstance(field, MoneyField):
        return _money
    if isinstance(field, BooleanField):
        return _yes_no
    return None

def masked_phone(area: str, value: str) -> str:
    return value if can(area, "view_phones") else mask_phone(value)


def masked_id(area: str, value: str) -> str:
    return value if can(area, "view_id_numbers") else mask_id(value)


def money_cell(view, context, model, name) -> str:
    """Column formatter of a money field: "1,234.50", empty when there is no amount."""
    value = getattr(model, name)
    return money_text(value) if value is not None else ""


def choice_label(choices, value) -> str:
    return str(dict(choices).get(value, value or ""))


def html_table(headers, rows) -> Markup:
    """A small escaped table for embedded lists on list and details pages."""
    if not rows:
        return Markup("")
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return Markup(f'<table class="table table-sm table-bordered mb-0"><thead><tr>{head}</tr></thead>'
                  f"<tbody>{body}</tbody></table>")

