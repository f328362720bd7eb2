"""Satisfaction surveys (意见征询): questionnaires and their question editor, surveys (campaigns) with
the printed questionnaires handed out, answers entered by code, results with charts and exports; and
the resident's page behind a questionnaire's link (/s/<token>: no login, nothing else reachable)."""
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import force_locale, gettext as _, lazy_gettext as _l, refresh
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from admin_views.base import CommunityFormMixin, EstateModelView, SecurePage, choice_label, scoped_or_404
from admin_views.exports import rows_response
from admin_views.fees.payments import print_language
from admin_views.filters import CommunityFilter, ReferenceFilter
from admin_views.steps import ConfirmStepForm, StepPageMixin, state_badge
from app import clock
from app.charts import Chart, Series, charts_xlsx
from app.extensions import limiter
from app.qr import printed_url, qr_svg
from app.permissions import can
from documents import audit
from documents.base import DomainError
from documents.bilingual import current_language
from documents.deadlines import local_text
from documents.surveys import (AREA, CAMPAIGN_STATES, CHANNELS, QUESTION_KINDS, RATING,
                               RESPONSE_STATES, RETURN_HOURS, SCOPES, SINGLE, TEXT, Campaign, LinkRefused, Response,
                               SurveyAnswerErrors, SurveyTemplate, answer_by_link, find_by_code, options_text,
                               question_from_form, response_for_token, results)

#: empty rows the question editor offers below the questions (save, and it offers as many again)
BLANK_ROWS = 3
STATE_COLOURS = {"draft": "secondary", "open": "success", "closed": "dark", "pending": "secondary",
                 "handed_out": "warning", "returned": "success", "cancelled": "dark"}


def _local(field):
    return lambda v, c, m, n: local_text(getattr(m, field), m.community)


class TemplateView(CommunityFormMixin, EstateModelView):
    """Questionnaires: title and introduction in the form, the questions in their own editor."""
    area = AREA
    details_template = "surveys/template_details.html"
    column_list = ["title_zh", "title_en", "questions", "community", "created_at"]
    column_details_list = ["community", "title_zh", "title_en", "intro_zh", "intro_en", "created_by", "created_at"]
    column_sortable_list = ["title_zh", "created_at"]
    column_searchable_list = ["title_zh", "title_en"]
    form_columns = ["community", "title_zh", "title_en", "intro_zh", "intro_en"]
    form_overrides = {"intro_zh": TextAreaField, "intro_en": TextAreaField}
    column_formatters = {"questions": lambda v, c, m, n: len(m.questions), "created_at": _local("created_at")}
    column_formatters_detail = column_formatters
    column_export_list = ["title_zh", "title_en", "community", "created_at"]

    def __init__(self, *args, **kwargs):
        self.column_filters = [CommunityFilter()]
        super().__init__(*args, **kwargs)

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.created_by = current_user.display_name
            model.created_at = clock.now()

    def details_extra(self, model):
        extra = super().details_extra(model)
        extra.update(questions=model.questions, can_edit_questions=self.allowed("edit"),
                     editor_url=self.get_url(".questions_view", id=str(model.pk)))
        return extra

    @expose("/questions/", methods=("GET", "POST"))
    def questions_view(self):
        """The question editor: every question a row (kind, texts, scale or options), saved at once."""
        if not self.allowed("edit"):
            abort(403)
        record = scoped_or_404(SurveyTemplate, request.args.get("id"))
        form = FlaskForm()
        if request.method == "POST" and form.validate():
            rows = _posted_rows()
            try:
                record.set_questions(current_user._get_current_object(),
                                     [question_from_form(**row["fields"]) for row in rows])
            except DomainError as err:
                flash(err.message, "error")
            else:
                flash(_("The questions were saved."), "success")
                return redirect(self.get_url(".details_view", id=str(record.pk)))
            shown = [row["fields"] | {"order": row["order"]} for row in rows]
        else:
            shown = [{"kind": q.kind, "text_zh": q.text_zh or "", "text_en": q.text_en or "",
                      "required": q.required, "scale_min": q.scale_min if q.scale_min is not None else "",
                      "scale_max": q.scale_max if q.scale_max is not None else "", "satisfaction": q.satisfaction,
                      "options": options_text(q), "order": n} for n, q in enumerate(record.questions, start=1)]
        start = len(shown)
        shown += [{"kind": "", "text_zh": "", "text_en": "", "required": False, "scale_min": "1", "scale_max": "5",
                   "satisfaction": False, "options": "", "order": start + n} for n in range(1, BLANK_ROWS + 1)]
        return self.render("surveys/questions.html", record=record, form=form, rows=shown, kinds=QUESTION_KINDS,
                           return_url=self.get_url(".details_view", id=str(record.pk)))


def _posted_rows() -> list[dict]:
    """The editor's rows as posted, in the order typed, without the rows left empty or removed."""
    rows = []
    for index in range(int(request.form.get("rows", "0") or 0) if request.form.get("rows", "").isdigit() else 0):
        get = lambda name: request.form.get(f"{name}-{index}", "")  # noqa: E731
        fields = {"kind": get("kind"), "text_zh": get("text_zh"), "text_en": get("text_en"),
                  "required": bool(get("required")), "scale_min": get("scale_min"), "scale_max": get("scale_max"),
                  "satisfaction": bool(get("satisfaction")), "options": get("options")}
        if get("remove") or not (fields["kind"] or fields["text_zh"].strip() or fields["text_en"].strip()):
            continue
        order = get("order").strip()
        rows.append({"fields": fields, "order": int(order) if order.isdigit() else 1000 + index})
    return sorted(rows, key=lambda row: row["order"])


class CloseForm(ConfirmStepForm):
    """The confirmation, below what closing will do (the survey says it)."""
    intro_template = "surveys/_close_intro.html"


class CampaignView(StepPageMixin, CommunityFormMixin, EstateModelView):
    """Surveys: who is asked, opened and closed as steps; hand out, enter answers, results."""
    area = AREA
    step_forms = {"close": CloseForm}
    details_template = "surveys/campaign_details.html"
    column_list = ["number", "title_zh", "state", "scope", "households_asked", "opened_at", "closed_at"]
    column_details_list = ["number", "community", "title_zh", "title_en", "template", "state", "scope",
                           "building_nos", "sample_size", "sample_seed", "households_asked", "created_by",
                           "created_at", "opened_at", "closed_at"]
    column_sortable_list = ["number", "opened_at", "state"]
    column_default_sort = ("created_at", True)
    column_searchable_list = ["number", "title_zh", "title_en"]
    form_columns = ["community", "template", "title_zh", "title_en", "scope", "buildings", "sample_size"]
    form_extra_fields = {"buildings": StringField(
        _l("Buildings"), description=_l("Building numbers separated by commas, e.g. 1, 3, 5 (only when some "
                                        "buildings are asked)"))}
    form_args = {"sample_size": {"description": _l("Only for a sample: how many households are drawn")}}
    column_export_list = ["number", "community", "title_zh", "state", "scope", "households_asked", "opened_at",
                          "closed_at"]
    column_formatters = {
        "state": lambda v, c, m, n: state_badge(m, STATE_COLOURS), "opened_at": _local("opened_at"),
        "closed_at": _local("closed_at"), "created_at": _local("created_at"),
        "scope": lambda v, c, m, n: choice_label(SCOPES, m.scope),
        "building_nos": lambda v, c, m, n: ", ".join(m.building_nos or []),
        "template": lambda v, c, m, n: m.template.title if m.template else "",
    }
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters | {"state": lambda v, c, m, n: m.state_label}

    def __init__(self, *args, **kwargs):
        self.column_filters = [CommunityFilter(), FilterEqual("state", _l("State"), options=CAMPAIGN_STATES)]
        super().__init__(*args, **kwargs)

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and request.method == "GET":
            form.buildings.data = ", ".join(obj.building_nos or [])
        return form

    def on_model_change(self, form, model, is_created):
        if not is_created:
            model.check_editable()
        model.building_nos = [b.strip() for b in (form.buildings.data or "").replace("，", ",").split(",")
                              if b.strip()]
        if is_created:
            model.stamp_new(current_user._get_current_object())

    def details_extra(self, model):
        extra = super().details_extra(model)
        counts = {state: Response.objects(campaign=model, state=state).count() for state, _label in RESPONSE_STATES}
        extra.update(counts=counts, states=RESPONSE_STATES, questions=model.questions or model.template.questions,
                     hand_out_url=self.get_url(".hand_out_view", id=str(model.pk))
                     if model.state == "open" and can(AREA, "action:hand_out") else None,
                     results_url=self.get_url(".results_view", id=str(model.pk))
                     if model.state != "draft" and can(AREA, "results") else None,
                     entry_url=url_for("survey_entry.index") if model.state == "open" and can(AREA, "action:enter")
                     else None,
                     responses_url=url_for("survey_responses.index_view", flt0_0=str(model.pk)))
        return extra

    def step_summary(self, record):
        return [(_("Number"), record.number), (_("Title"), record.title),
                (_("Who is asked"), choice_label(SCOPES, record.scope)), (_("State"), record.state_label)]

    # --- handing out: printed questionnaires with their codes and links ---
    @expose("/hand-out/", methods=("GET", "POST"))
    def hand_out_view(self):
        if not can(AREA, "action:hand_out"):
            abort(403)
        campaign = scoped_or_404(Campaign, request.args.get("id"))
        building = request.values.get("building", "").strip()
        query = Response.objects(campaign=campaign, state__in=["pending", "handed_out"])
        if building:
            query = query.filter(building_no=building)
        form = FlaskForm()
        if request.method == "POST" and form.validate():
            chosen = request.form.getlist("response")
            sheets, user = [], current_user._get_current_object()
            for response in query.filter(pk__in=[c for c in chosen if len(c) == 24]):
                try:
                    token = response.hand_out(user)
                except DomainError as err:
                    flash(_("%(record)s: %(message)s", record=str(response), message=err.message), "error")
                    continue
                sheets.append((response, printed_url("survey_public.answer", token=token)))
            if sheets:
                return _no_store(self._print(campaign, sheets, request.form.get("lang")))
            flash(_("Choose the questionnaires to hand out."), "error")
        buildings = sorted({r.building_no or "" for r in Response.objects(campaign=campaign).only("building_no")},
                           key=lambda b: (len(b), b))
        return self.render("surveys/hand_out.html", campaign=campaign, form=form, responses=list(query.limit(500)),
                           building=building, buildings=buildings, hours=RETURN_HOURS,
                           print_lang="en" if print_language() == "en" else "zh",
                           local_time=lambda v: local_text(v, campaign.community),
                           return_url=self.get_url(".details_view", id=str(campaign.pk)))

    def _print(self, campaign, sheets, lang):
        """The questionnaires in the language chosen on the hand-out page (its labels too). Its
        language links lead back to that page: a new print is a new hand-out (new links)."""
        lang = "en" if lang == "en" else "zh"
        with force_locale("en" if lang == "en" else "zh_Hans_CN"):
            return self.render("surveys/questionnaire_print.html", campaign=campaign, community=campaign.community,
                               sheets=sheets, lang=lang, printed_at=clock.now(), hours=RETURN_HOURS, qr=qr_svg,
                               local_time=lambda v: local_text(v, campaign.community))

    # --- results ---
    @expose("/results/")
    def results_view(self):
        if not can(AREA, "results"):
            abort(403)
        campaign = scoped_or_404(Campaign, request.args.get("id"))
        language = current_language()
        found = results(campaign, language)
        charts = result_charts(campaign, found, language)
        what = request.args.get("export")
        if what == "xlsx" and can(AREA, "export"):
            return charts_xlsx(charts, f"survey-{campaign.number}.xlsx", heading=str(campaign),
                               endpoint="campaigns.results_view", community=campaign.community)
        if what == "comments" and can(AREA, "export"):
            audit.record_event("export", "survey_responses", str(campaign.pk), str(campaign),
                               note=_("Comments"), community=campaign.community)
            rows = [[r.question.text(language), room, text] for r in found.questions for room, text in r.comments]
            return rows_response("xlsx", f"survey-{campaign.number}-comments.xlsx",
                                 [_("Question"), _("Room"), _("Comment")], rows)
        return self.render("surveys/results.html", campaign=campaign, found=found, charts=charts,
                           rating_questions=[q for q in campaign.questions if q.kind == RATING],
                           can_export=can(AREA, "export"), hours=RETURN_HOURS,
                           return_url=self.get_url(".details_view", id=str(campaign.pk)))


def result_charts(campaign, found, language) -> list[Chart]:
    """The response rate per building, each building's average per rating, and each question's counts."""
    charts = [Chart("rate", _("Response rate per building"), "bar",
                    [_("Building %(no)s", no=b.building_no) for b in found.buildings],
                    [Series(_("Questionnaires back"), [b.rate for b in found.buildings])], unit="%")]
    ratings = [q for q in campaign.questions if q.kind == RATING]
    if ratings and found.buildings:
        charts.append(Chart("buildings", _("Average rating per building"), "bar",
                            [_("Building %(no)s", no=b.building_no) for b in found.buildings],
                            [Series(q.text(language), [b.averages.get(q.key) for b in found.buildings])
                             for q in ratings]))
    for number, result in enumerate(found.questions, start=1):
        question = result.question
        if question.kind == TEXT:
            continue
        charts.append(Chart(f"question-{question.key}", f"{number}. {question.text(language)}",
                            "pie" if question.kind == SINGLE else "bar", [label for label, _n in result.counts],
                            [Series(_("Answers"), [n for _label, n in result.counts])]))
    return charts


def _no_store(body):
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


class ResponseView(EstateModelView):
    """Every household's questionnaire: handed out, back, by which way (read only)."""
    area = AREA
    can_create = can_edit = can_delete = False    # answers change only through their steps
    column_list = ["code", "campaign", "room_code", "household_name", "state", "handed_out_at", "return_due_at",
                   "returned_at", "channel", "score"]
    column_details_list = ["code", "community", "campaign", "building_no", "room_code", "household_name", "state",
                           "handed_out_at", "handed_out_by", "return_due_at", "token_expires_at", "returned_at",
                           "channel", "entered_by", "score"]
    column_sortable_list = ["code", "returned_at", "return_due_at"]
    column_searchable_list = ["code", "room_code"]
    list_references = ("campaign",)
    column_formatters = {
        "state": lambda v, c, m, n: state_badge(m, STATE_COLOURS),
        "campaign": lambda v, c, m, n: m.campaign.number if m.campaign else "",
        "channel": lambda v, c, m, n: choice_label(CHANNELS, m.channel) if m.channel else "",
        **{name: _local(name) for name in ("handed_out_at", "return_due_at", "returned_at", "token_expires_at")},
    }
    column_formatters_detail = column_formatters
    column_export_list = ["code", "campaign", "room_code", "household_name", "state", "returned_at", "channel",
                          "score"]

    def __init__(self, *args, **kwargs):
        self.column_filters = [ReferenceFilter("campaign", _l("Survey"), choices=_campaign_choices), CommunityFilter(),
                               FilterEqual("state", _l("State"), options=RESPONSE_STATES),
                               FilterEqual("building_no", _l("Building no."))]
        super().__init__(*args, **kwargs)


def _campaign_choices():
    """The user's surveys that have questionnaires (the latest first)."""
    return [(str(c.pk), str(c)) for c in Campaign.objects.for_user(current_user).filter(state__in=["open", "closed"])
            .order_by("-created_at").only("number", "title_zh", "title_en").limit(100)]


class EntryPage(SecurePage):
    """Paper questionnaires back at the desk: the code printed on one, then its answers."""
    area = AREA

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if not can(AREA, "action:enter"):
            abort(403)
        form = FlaskForm()
        code = request.values.get("code", "").strip()
        response, errors, values = None, {}, {}
        if code:
            try:
                response = find_by_code(current_user._get_current_object(), code)
            except DomainError as err:
                flash(err.message, "error")
        if response is not None and request.method == "POST" and form.validate():
            values = {q.key: request.form.getlist(q.key) for q in response.campaign.questions}
            try:
                response.enter_answers(current_user._get_current_object(), values)
            except SurveyAnswerErrors as err:
                errors = err.errors
            except DomainError as err:
                flash(err.message, "error")
            else:
                flash(_("The answers of %(code)s were saved. Next questionnaire:", code=response.code), "success")
                return redirect(self.get_url(".index"))
        refusal = response.why_not("enter", current_user._get_current_object()) if response is not None else None
        return self.render("surveys/enter.html", form=form, code=code, response=response, errors=errors,
                           values=values, refusal=refusal, language=current_language())


# --- the resident's page: /s/<token>, no login ---

public = Blueprint("survey_public", __name__, url_prefix="/s")


def _survey_limit():
    return current_app.config["SURVEY_RATE_LIMIT"]


@public.route("/<token>", methods=("GET", "POST"))
@limiter.limit(_survey_limit)
def answer(token):
    """The questionnaire of one household, in zh or en; once answered the link is spent."""
    chosen = request.args.get("lang")
    if chosen in ("zh", "en"):
        session["language"] = "en" if chosen == "en" else "zh_Hans_CN"
        refresh()
        return redirect(url_for(".answer", token=token))
    form = FlaskForm()
    try:
        response = response_for_token(token)
    except LinkRefused as err:
        return _refused(err.message, 404)
    refused = response.link_state()
    if refused:
        return _refused(refused, 410)
    campaign, errors, values = response.campaign, {}, {}
    if request.method == "POST":
        if not form.validate():
            return _refused(_("This page was open too long. Please open the link again."), 400)
        values = {q.key: request.form.getlist(q.key) for q in campaign.questions}
        try:
            answer_by_link(token, values)
        except SurveyAnswerErrors as err:
            errors = err.errors
        except LinkRefused as err:
            return _refused(err.message, 410)
        else:
            return redirect(url_for(".thanks"))
    status = 422 if errors else 200
    return _no_store(render_template("surveys/public.html", form=form, campaign=campaign,
                                     community=campaign.community, errors=errors, values=values,
                                     language=current_language())), status


@public.route("/thanks")
@limiter.limit(_survey_limit)
def thanks():
    return render_template("surveys/public_done.html", message=None)


def _refused(message, status):
    return render_template("surveys/public_done.html", message=message), status


def register(admin):
    admin.add_view(TemplateView(SurveyTemplate, name=_l("Questionnaires"), category=_l("Surveys"),
                                endpoint="survey_templates"))
    admin.add_view(CampaignView(Campaign, name=_l("Survey campaigns"), category=_l("Surveys"), endpoint="campaigns"))
    admin.add_view(ResponseView(Response, name=_l("Questionnaires handed out"), category=_l("Surveys"),
                                endpoint="survey_responses"))
    admin.add_view(EntryPage(name=_l("Enter answers by code"), category=_l("Surveys"), endpoint="survey_entry"))
    admin.app.register_blueprint(public)
