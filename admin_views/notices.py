"""Admin view of notices to residents: write, publish, withdraw, print on A4 in either language."""
from flask import abort, request
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import format_date, force_locale, gettext as _, lazy_gettext as _l

from admin_views.base import CommunityFormMixin, scoped_or_404
from admin_views.events import EventsAreaView, ReasonForm, staff
from admin_views.filters import CommunityFilter, DateBetweenFilter
from admin_views.steps import StepPageMixin
from app import clock
from documents.base import DomainError
from documents.bilingual import current_language, is_english
from documents.notices import AREA, AUDIENCES, NOTICE_STATES, NOTICE_TYPES, Notice

PRINT_LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}


class NoticeView(StepPageMixin, CommunityFormMixin, EventsAreaView):
    area = AREA
    details_template = "notices/notice_details.html"
    step_forms = {"withdraw": ReasonForm}
    row_steps = ("publish",)
    column_list = ["publish_date", "title", "notice_type", "audience", "state", "author", "community"]
    column_details_list = ["community", "notice_type", "reference", "title_zh", "title_en", "audience",
                           "buildings", "publish_date", "issuer_zh", "issuer_en", "state", "author",
                           "published_by", "withdraw_reason", "body_zh", "body_en"]
    column_sortable_list = ["publish_date", "state", "notice_type"]
    column_default_sort = ("publish_date", True)
    column_searchable_list = ["title_zh", "title_en", "reference"]
    search_hint = _l("Title or reference no.")
    column_filters = [
        CommunityFilter(),
        FilterEqual("state", _l("State"), options=NOTICE_STATES),
        FilterEqual("notice_type", _l("Type of notice"), options=NOTICE_TYPES),
        FilterEqual("audience", _l("Audience"), options=AUDIENCES),
        DateBetweenFilter("publish_date", _l("Publish date")),
    ]
    form_columns = ["community", "notice_type", "reference", "title_zh", "title_en", "body_zh", "body_en",
                    "audience", "buildings", "publish_date", "issuer_zh", "issuer_en"]
    form_args = {
        "buildings": {"allow_blank": True, "blank_text": "—"},
        "title_zh": {"description": _l("Either language may be empty; the other one is shown and printed then.")},
        "issuer_zh": {"description": _l("Empty: the community's customer service centre")},
        "publish_date": {"description": _l("Empty: the day it is published")},
    }
    form_widget_args = {"body_zh": {"rows": 12}, "body_en": {"rows": 12}}
    column_labels = {
        "title": _l("Title"),
    }
    column_formatters = {
        "title": lambda v, c, m, n: m.title,
        "audience": lambda v, c, m, n: m.audience_text(),
        "buildings": lambda v, c, m, n: ", ".join(b.number for b in m.buildings),
    }
    column_formatters_detail = column_formatters

    def on_model_change(self, form, model, is_created):
        model.buildings = model.buildings or []
        if is_created:
            model.author = staff()
            model.state = "draft"

    def on_model_delete(self, model):
        if not model.can_delete():
            raise DomainError(_("Only a draft can be deleted; withdraw a published notice instead."))

    def step_summary(self, notice) -> list:
        return [(_("Title"), notice.title), (_("Type of notice"), notice.type_label),
                (_("Audience"), notice.audience_text()), (_("State"), notice.state_label)]

    @expose("/print/")
    def print_view(self):
        """The notice as a clean A4 page in the chosen language (`lang=zh|en`), ready to print."""
        notice = scoped_or_404(Notice, request.args.get("id"))
        chosen = request.args.get("lang") or ("en" if is_english(current_language()) else "zh")
        if chosen not in PRINT_LANGUAGES:
            abort(404)
        locale = PRINT_LANGUAGES[chosen]
        with force_locale(locale):
            day = notice.publish_date
            page = self.render("notices/print.html", notice=notice, lang=chosen, printed_at=clock.now(),
                               title=notice.text("title", locale), body=notice.body(locale),
                               issuer=notice.issuer(locale), audience=notice.audience_text(),
                               type_label=notice.type_label,
                               date_text=format_date(day, "long") if day else "",
                               draft=not notice.in_force)
        return page


def register(admin):
    admin.add_view(NoticeView(Notice, name=_l("Notices"), category=_l("Community events"), endpoint="notices"))
