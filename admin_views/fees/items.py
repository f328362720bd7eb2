"""Fee items (收费项目) per community: list, create and edit, the dated rates as lines of the form.

The rules are the item's own (documents/fees/items.py): a rate a bill was made with cannot change
(its message lands on the rates), two rates of one day and room use are refused. A rate is added
as a new line valid from a later month; an item with bill lines is never deleted (switch "Billed"
off instead).
"""
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField
from wtforms.validators import Optional

from admin_views.base import CommunityFormMixin, EstateModelConverter, EstateModelView, choice_label, html_table
from admin_views.filters import CommunityFilter
from documents.fees.items import FEE_KINDS, FeeItem, Rate
from documents.money import money_text
from documents.places import ROOM_USES

AREA = "fees"


def rate_rows(item) -> list:
    """The item's rates, oldest first: (valid from, amount, room use)."""
    rates = sorted(item.rates or [], key=lambda r: (r.valid_from, r.room_use or ""))
    return [[f"{r.valid_from:%Y-%m-%d}", money_text(r.amount),
             choice_label(ROOM_USES, r.room_use) if r.room_use else _("Any use")] for r in rates]


def _rates_text(view, context, model, name):
    return "; ".join(f"{day} {amount} ({use})" for day, amount, use in rate_rows(model))


def _rates_table(view, context, model, name):
    return html_table([_("Valid from"), _("Rate (yuan)"), _("Room use")], rate_rows(model))


class RateLineConverter(EstateModelConverter):
    """A rate line of the form: its room use may be left at "Any use" (stored as none), and its
    amount is typed as text with a decimal keyboard (a number box would empty "abc" silently)."""

    def convert(self, model, field, field_args):
        if model is Rate and field.name == "room_use":
            return SelectField(field.verbose_name, choices=[("", _l("Any use"))] + list(ROOM_USES),
                               validators=[Optional()], filters=[lambda value: value or None], validate_choice=False)
        if model is Rate and field.name == "amount":
            field_args = dict(field_args or {}, render_kw={"type": "text", "inputmode": "decimal",
                                                           "autocomplete": "off"})
        return super().convert(model, field, field_args)


class FeeItemView(CommunityFormMixin, EstateModelView):
    area = AREA
    model_form_converter = RateLineConverter
    column_list = ["community", "code", "name_zh", "name_en", "kind", "basis", "rates", "due_day", "active",
                   "billed_through"]
    column_details_list = column_list
    column_export_list = column_list
    column_sortable_list = ["code", "kind"]
    column_default_sort = "code"
    column_searchable_list = ["code"]             # and the names: see _search
    column_filters = [CommunityFilter(), FilterEqual("kind", _l("Kind"), options=FEE_KINDS)]
    column_formatters = {"rates": _rates_text}
    column_formatters_detail = {"rates": _rates_table}
    column_formatters_export = {"rates": _rates_text}
    form_columns = ["community", "code", "name_zh", "name_en", "kind", "basis", "rates", "due_day", "active"]
    form_args = {
        "code": {"description": _l("Letters, digits, - or _, e.g. WY; unique in the community")},
        "rates": {"description": _l(
            "A new rate is a new line valid from a later month: rates that bills were made with stay "
            "as they are. A rate for a room use comes before one for any use.")},
        "due_day": {"description": _l("Day of the billed month by which a monthly bill is due")},
        "active": {"description": _l("Switched off: the monthly generation leaves the item out")},
    }

    def search_placeholder(self):
        return _("Code or name")

    def _search(self, query, term):
        """By code or name: a community keeps a few dozen items, read in one go."""
        term = str(term or "").strip().lower()[:40]
        if not term:
            return query
        ids = [item.pk for item in FeeItem.objects.for_user(current_user).only("code", "name_zh", "name_en")
               if any(term in (text or "").lower() for text in (item.code, item.name_zh, item.name_en))]
        return query.filter(pk__in=ids)

    def edit_form(self, obj=None):
        """An item stays in its community (its bill lines are there)."""
        form = super().edit_form(obj)
        if "community" in form._fields:
            del form["community"]
        return form

    def on_model_delete(self, model):
        model.check_deletable()


def register(admin, category):
    admin.add_view(FeeItemView(FeeItem, name=_l("Fee items"), category=category, endpoint="fee_items"))
