"""Satisfaction surveys (意见征询 / 满意度调查), seeds 000 §4.6, 002 ch.8 and 004.

A questionnaire **template** holds the questions: a rating on a scale (its bounds stored with it),
a single choice, a multiple choice or free text, each text in Chinese and English. A template
without questions cannot be used.

A **campaign** asks one community, some of its buildings, or a sample of its households (drawn
reproducibly from the campaign's seed) the questions of a template, copied into the campaign when it
opens (a template edited later does not change what was asked). Campaign states on the workflow
engine: draft -open-> open -close-> closed.

Opening makes one **Response** per household with a code (printed on its questionnaire: staff enter
the paper answers against it). Handing a questionnaire out gives it a fresh one-time token (the
link of the resident-facing page, /s/<token>): only its SHA-256 is stored, so the link can be
printed once and never read back; handing the same questionnaire out again makes a new link and
kills the old one. A questionnaire handed out comes back within 24 h (004: 问卷在客户家中不超过24h):
a clock on the agenda. A link expires LINK_VALID_DAYS after it was handed out, and with the
campaign's close. Answers are checked as a whole (rating inside its scale, a choice among the
options, required questions answered); on bad input nothing is saved. The answering write is
conditional on the questionnaire still waiting, so a link used twice records one answer.

Satisfaction trend (for reports): every returned questionnaire keeps `score`, the mean of its
satisfaction ratings on a 0-100 scale; `satisfaction_by_month(community_ids, start, end)` averages
them per community-local month.
"""
import hashlib
import hmac
import random
import secrets
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext, lazy_gettext as _l, lazy_pgettext
from mongoengine.errors import NotUniqueError
from mongoengine import (BooleanField, DateTimeField, DynamicField, EmbeddedDocument, EmbeddedDocumentListField,
                         FloatField, IntField, ListField, ReferenceField, StringField)

from app import clock
from documents import audit
from documents.agenda import ClockKind, declare_clocks
from documents.base import CommunityOwned, DomainError, PermissionDenied, Versioned
from documents.bilingual import BilingualText, pick
from documents.deadlines import local_date, zone_of
from documents.service_calendar import Span
from documents.services import next_number, save_numbered
from documents.workflow import Step, Workflow, Workflowed, authorize_area, declare

AREA = "surveys"
CAMPAIGN_PREFIX = "MY"
# --- the numbers, each named once ---
#: a questionnaire handed out comes back within this (004: 问卷在客户家中不超过24h)
RETURN_HOURS = 24
#: a resident's link works this long after it was handed out (a house choice, not from the seeds)
LINK_VALID_DAYS = 14
#: a rating scale's widest bounds, and the default 1-5 (满意度: 很不满意 … 很满意)
SCALE_LOWEST, SCALE_HIGHEST = 0, 10
DEFAULT_SCALE = (1, 5)
MAX_QUESTIONS = 40
MAX_OPTIONS = 12
MAX_TEXT_ANSWER = 2000
#: bytes of randomness in a link's token (URL-safe base64: 43 characters)
TOKEN_BYTES = 32

RATING, SINGLE, MULTIPLE, TEXT = "rating", "single", "multiple", "text"
QUESTION_KINDS = [(RATING, _l("Rating on a scale")), (SINGLE, _l("Single choice")),
                  (MULTIPLE, _l("Multiple choice")), (TEXT, _l("Free text"))]
SCOPES = [("community", _l("Whole community")), ("buildings", _l("Some buildings")),
          ("sample", _l("A sample of households"))]
CAMPAIGN_STATES = [("draft", _l("Draft")), ("open", lazy_pgettext("survey", "Open")),
                   ("closed", lazy_pgettext("survey", "Closed"))]
PENDING, HANDED_OUT, RETURNED, CANCELLED = "pending", "handed_out", "returned", "cancelled"
RESPONSE_STATES = [(PENDING, _l("Not handed out")), (HANDED_OUT, _l("Handed out")), (RETURNED, lazy_pgettext("survey", "Returned")),
                   (CANCELLED, _l("Not returned (survey closed)"))]
CHANNELS = [("paper", _l("Paper, entered by staff")), ("link", _l("Link, answered by the resident"))]


class SurveyAnswerErrors(DomainError):
    """Answers refused: `errors` maps each question key to its message (the form shows them all)."""

    def __init__(self, errors: dict):
        first = next(iter(errors.values()))
        super().__init__(first, field=next(iter(errors)))
        self.errors = errors


# --- the questionnaire ---

class Option(EmbeddedDocument):
    value = StringField(required=True, max_length=20, verbose_name=_l("Option code"))
    text_zh = StringField(max_length=200, verbose_name=_l("Option (Chinese)"))
    text_en = StringField(max_length=200, verbose_name=_l("Option (English)"))

    def text(self, language=None):
        from documents.bilingual import current_language
        return pick(self.text_zh, self.text_en, language or current_language())


class Question(EmbeddedDocument):
    key = StringField(required=True, max_length=20, verbose_name=_l("Question code"))
    kind = StringField(choices=QUESTION_KINDS, required=True, verbose_name=_l("Question type"))
    text_zh = StringField(max_length=300, verbose_name=_l("Question (Chinese)"))
    text_en = StringField(max_length=300, verbose_name=_l("Question (English)"))
    required = BooleanField(default=False, verbose_name=_l("Required"))
    scale_min = IntField(verbose_name=_l("Scale from"))
    scale_max = IntField(verbose_name=_l("Scale to"))
    #: a rating that counts towards the satisfaction score (the trend of the reports)
    satisfaction = BooleanField(default=False, verbose_name=_l("Counts towards satisfaction"))
    options = EmbeddedDocumentListField(Option, verbose_name=_l("Options"))

    def text(self, language=None):
        from documents.bilingual import current_language
        return pick(self.text_zh, self.text_en, language or current_language())

    @property
    def kind_label(self) -> str:
        return str(dict(QUESTION_KINDS).get(self.kind, self.kind))

    @property
    def scale(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1)) if self.kind == RATING else []

    def option_text(self, value, language=None) -> str:
        for option in self.options:
            if option.value == value:
                return option.text(language)
        return str(value)

    def problem(self) -> str | None:
        """What makes this question unusable (translated), or None."""
        if not (self.text_zh or "").strip() and not (self.text_en or "").strip():
            return gettext("Write the question in Chinese or English.")
        if self.kind == RATING:
            low, high = self.scale_min, self.scale_max
            if low is None or high is None or not SCALE_LOWEST <= low < high <= SCALE_HIGHEST:
                return gettext("A rating scale goes from a lower to a higher whole number between %(low)d and "
                               "%(high)d.", low=SCALE_LOWEST, high=SCALE_HIGHEST)
        elif self.kind in (SINGLE, MULTIPLE):
            if len(self.options) < 2:
                return gettext("A choice question needs at least two options.")
            if len(self.options) > MAX_OPTIONS:
                return gettext("At most %(n)d options per question.", n=MAX_OPTIONS)
            if any(not (o.text_zh or "").strip() and not (o.text_en or "").strip() for o in self.options):
                return gettext("Every option needs a text in Chinese or English.")
        elif self.kind != TEXT:
            return gettext("Choose what kind of question it is.")
        return None


def parse_options(text: str) -> list[Option]:
    """One option a line, "中文 | English" (either side may be empty): the template editor's box."""
    options = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        zh, _bar, en = line.partition("|")
        options.append(Option(value=str(len(options) + 1), text_zh=zh.strip() or None, text_en=en.strip() or None))
    return options


def question_from_form(kind: str, text_zh: str = "", text_en: str = "", required: bool = False,
                       scale_min: str = "", scale_max: str = "", satisfaction: bool = False,
                       options: str = "") -> Question:
    """A question as the template editor's row typed it (bounds as text; unusable bounds left empty,
    so that `problem()` says what is wrong)."""
    def whole(text):
        text = (text or "").strip()
        return int(text) if text.lstrip("-").isdigit() and len(text) < 4 else None
    return Question(kind=kind or None, text_zh=(text_zh or "").strip() or None, text_en=(text_en or "").strip() or None,
                    required=bool(required), scale_min=whole(scale_min), scale_max=whole(scale_max),
                    satisfaction=bool(satisfaction), options=parse_options(options))


def options_text(question: Question) -> str:
    return "\n".join(f"{o.text_zh or ''} | {o.text_en or ''}" for o in question.options)


class SurveyTemplate(CommunityOwned, Versioned, BilingualText):
    """A questionnaire (调查问卷): its title, an introduction and the questions, in zh and en."""
    title_zh = StringField(max_length=120, verbose_name=_l("Title (Chinese)"))
    title_en = StringField(max_length=120, verbose_name=_l("Title (English)"))
    intro_zh = StringField(max_length=1000, verbose_name=_l("Introduction (Chinese)"))
    intro_en = StringField(max_length=1000, verbose_name=_l("Introduction (English)"))
    questions = EmbeddedDocumentListField(Question, verbose_name=_l("Questions"))
    created_by = StringField(max_length=60, verbose_name=_l("Created by"))
    created_at = DateTimeField(verbose_name=_l("Created on"))

    meta = {"collection": "survey_templates",
            "indexes": [("community", "title_zh"), ("community", "title_en"), ("community", "-created_at")],
            "ordering": ["title_zh"]}

    def __str__(self):
        return self.title or ""

    def clean(self):
        if not (self.title_zh or "").strip() and not (self.title_en or "").strip():
            from mongoengine import ValidationError
            raise ValidationError(errors={"title_zh": ValidationError(gettext("Give the questionnaire a title."))})

    def check_usable(self):
        """A questionnaire a campaign can ask: at least one question, every question complete."""
        if not self.questions:
            raise DomainError(gettext("This questionnaire has no questions: add at least one before it is used."),
                              field="questions")
        for number, question in enumerate(self.questions, start=1):
            problem = question.problem()
            if problem:
                raise DomainError(gettext("Question %(n)d: %(problem)s", n=number, problem=problem),
                                  field="questions")

    def set_questions(self, user, questions: list[Question]):
        """Replace the questions (the editor saves them all at once); nothing saved when one is incomplete."""
        authorize_area(AREA, "edit", user, self.community, label=_l("Edit the questions"))
        if len(questions) > MAX_QUESTIONS:
            raise DomainError(gettext("At most %(n)d questions per questionnaire.", n=MAX_QUESTIONS))
        for number, question in enumerate(questions, start=1):
            question.key = f"q{number}"
            if question.kind == RATING:
                question.options = []
            else:
                question.scale_min = question.scale_max = None
                question.satisfaction = False
            if question.kind == TEXT:
                question.options = []
            problem = question.problem()
            if problem:
                raise DomainError(gettext("Question %(n)d: %(problem)s", n=number, problem=problem),
                                  field=f"q{number}")
        before = audit.snapshot(self)
        self.questions = questions
        self.save_versioned(None)
        audit.record("edit_questions", self, audit.diff(before, audit.snapshot(self)), actor=user)
        return self


# --- the campaign ---

class Campaign(CommunityOwned, Versioned, Workflowed, BilingualText):
    """One survey of a community, some buildings or a sample of households."""
    number = StringField(max_length=30, verbose_name=_l("Number"))
    title_zh = StringField(max_length=120, verbose_name=_l("Title (Chinese)"))
    title_en = StringField(max_length=120, verbose_name=_l("Title (English)"))
    template = ReferenceField(SurveyTemplate, required=True, verbose_name=_l("Questionnaire"))
    scope = StringField(choices=SCOPES, default="community", required=True, verbose_name=_l("Who is asked"))
    building_nos = ListField(StringField(max_length=10), verbose_name=_l("Buildings"))
    sample_size = IntField(min_value=1, verbose_name=_l("Sample size"))
    sample_seed = IntField(verbose_name=_l("Sample seed"))
    state = StringField(choices=CAMPAIGN_STATES, default="draft", verbose_name=_l("State"))
    intro_zh = StringField(max_length=1000)
    intro_en = StringField(max_length=1000)
    questions = EmbeddedDocumentListField(Question, verbose_name=_l("Questions"))
    households_asked = IntField(default=0, verbose_name=_l("Households asked"))
    created_by = StringField(max_length=60, verbose_name=_l("Created by"))
    created_at = DateTimeField(verbose_name=_l("Created on"))
    opened_at = DateTimeField(verbose_name=_l("Opened on"))
    closed_at = DateTimeField(verbose_name=_l("Closed on"))

    meta = {"collection": "survey_campaigns",
            "indexes": [{"fields": ["community", "number"], "unique": True}, ("community", "-created_at"),
                        ("community", "state"), ("community", "title_zh"), ("community", "title_en"),
                        ("community", "-opened_at"), "number"],
            "ordering": ["-created_at"]}

    def __str__(self):
        return f"{self.number or ''} {self.title}".strip()

    def clean(self):
        from mongoengine import ValidationError
        errors = {}
        if not (self.title_zh or "").strip() and not (self.title_en or "").strip():
            errors["title_zh"] = gettext("Give the survey a title.")
        if self.template is not None and self.community is not None \
                and getattr(self.template, "community", None) != self.community:
            errors["template"] = gettext("Choose a questionnaire of the survey's community.")
        self.building_nos = sorted({b.strip() for b in self.building_nos or [] if b and b.strip()})
        if self.scope == "buildings" and not self.building_nos:
            errors["building_nos"] = gettext("Name the buildings that are asked.")
        if self.scope == "sample" and not self.sample_size:
            errors["sample_size"] = gettext("Say how many households the sample has.")
        if errors:
            raise ValidationError(errors={k: ValidationError(str(v)) for k, v in errors.items()})
        if self.scope != "buildings":
            self.building_nos = []
        if self.scope != "sample":
            self.sample_size = None

    @classmethod
    def create(cls, user, community, template, *, title_zh="", title_en="", scope="community", building_nos=(),
               sample_size=None, sample_seed=None):
        authorize_area(AREA, "create", user, community, label=_l("New survey"))
        record = cls(community=community, template=template, title_zh=(title_zh or "").strip() or None,
                     title_en=(title_en or "").strip() or None, scope=scope, building_nos=list(building_nos or []),
                     sample_size=sample_size, sample_seed=sample_seed)
        record.stamp_new(user)
        return save_numbered(record, user, CAMPAIGN_PREFIX)

    def save(self, *args, **kwargs):
        """A survey created through its form is numbered when it is first saved (checked before)."""
        if self.pk is None and not self.number and self.community is not None:
            self.number = next_number(self.community, CAMPAIGN_PREFIX)
        return super().save(*args, **kwargs)

    def stamp_new(self, user):
        """Who created it and when; the seed the sample is drawn with (kept, so it can be drawn again)."""
        self.created_by = user.display_name
        self.created_at = clock.now()
        if self.sample_seed is None:
            self.sample_seed = random.SystemRandom().randrange(1, 10**9)

    def households(self) -> list:
        """The households asked: the community's current households, of the buildings named, or the
        sample drawn with the campaign's seed (the same seed draws the same households)."""
        from documents.residents import Household
        query = Household.objects(community=self.community, status="current")
        if self.scope == "buildings":
            query = query.filter(building_no__in=list(self.building_nos))
        chosen = list(query.only("id", "building_no", "room_code", "name", "sort_key", "community"))
        chosen.sort(key=lambda h: (h.sort_key or "", str(h.pk)))
        if self.scope == "sample" and self.sample_size and self.sample_size < len(chosen):
            chosen = sorted(random.Random(self.sample_seed).sample(chosen, self.sample_size),
                            key=lambda h: (h.sort_key or "", str(h.pk)))
        return chosen

    def open(self, user):
        """Copy the questions, make one questionnaire per household asked (each with its code)."""
        self.check("open", user)
        template = self.template
        template.check_usable()
        households = self.households()
        if not households:
            raise DomainError(gettext("No current household matches who is asked: nothing to open."))
        now = clock.now()
        self._make_questionnaires(households, now)
        self.transition("open", user, values={
            "questions": list(template.questions), "intro_zh": template.intro_zh, "intro_en": template.intro_en,
            "households_asked": len(households), "opened_at": now}, checked=False)
        return self

    def _make_questionnaires(self, households, now):
        """One questionnaire per household, made before the survey opens, so an open survey always has
        them. A draft's questionnaires are nobody's yet (only an open survey hands out): an opening tried
        again starts them afresh; the (campaign, household) and code keys are unique, so two openings at
        once make each one once."""
        Response.objects(campaign=self, state=PENDING).delete()
        rows = [Response(community=self.community, campaign=self, household=household,
                         code=f"{self.number}-{position:04d}", building_no=household.building_no,
                         room_code=household.room_code, household_name=household.name, state=PENDING, version=1,
                         created_at=now) for position, household in enumerate(households, start=1)]
        try:
            Response.objects.insert(rows, load_bulk=False)
        except NotUniqueError:
            for row in rows:
                try:
                    row.save(force_insert=True)
                except NotUniqueError:
                    pass

    def check_editable(self):
        """Once open, the survey is what the households were asked: its form is closed."""
        if self.pk is not None and self.state != "draft":
            raise DomainError(gettext("Only a draft survey can be changed."))

    def close_effects(self) -> list[str]:
        """What closing will do, said on the step page before the person confirms."""
        waiting = Response.objects(campaign=self, state=HANDED_OUT).count()
        unsent = Response.objects(campaign=self, state=PENDING).count()
        lines = [gettext("No more answers are taken, on paper or through a link.")]
        if waiting:
            lines.append(gettext("%(n)d questionnaires handed out and not back are recorded as not returned; "
                                 "their links stop working.", n=waiting))
        if unsent:
            lines.append(gettext("%(n)d questionnaires never handed out are set aside.", n=unsent))
        return lines

    def close(self, user):
        """No more answers: the questionnaires not back are marked so (their clocks cancelled)."""
        self.check("close", user)
        self.transition("close", user, values={"closed_at": clock.now()}, checked=False)
        Response.objects(campaign=self, state=PENDING).update(set__state=CANCELLED)
        for response in Response.objects(campaign=self, state=HANDED_OUT):
            response.record_change("not_returned", user, {"state": CANCELLED},
                                   {"state": HANDED_OUT, "version": response.version})
        return self

    def question(self, key) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


def _has_template_questions(record, user):
    if record.template is not None and not record.template.questions:
        raise DomainError(gettext("This questionnaire has no questions: add at least one before it is used."))


declare(Campaign, Workflow(AREA, [
    Step("open", ("draft",), "open", label=_l("Open the survey"), preconditions=(_has_template_questions,)),
    Step("close", ("open",), "closed", label=_l("Close the survey"), needs=_l("Open the survey first.")),
]))


# --- one questionnaire of one household ---

class Answer(EmbeddedDocument):
    key = StringField(required=True)
    value = DynamicField()          # int (rating), str (single choice, text), list of str (multiple)


def hash_token(token: str) -> str:
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()


class Response(CommunityOwned, Versioned, Workflowed):
    """A household's questionnaire: handed out, back on paper (entered by staff) or through its link."""
    campaign = ReferenceField(Campaign, required=True, verbose_name=_l("Survey"))
    household = ReferenceField("Household", required=True, verbose_name=_l("Household"))
    code = StringField(required=True, max_length=40, verbose_name=_l("Code"))
    building_no = StringField(verbose_name=_l("Building no."))
    room_code = StringField(verbose_name=_l("Room"))
    household_name = StringField(verbose_name=_l("Household"))
    state = StringField(choices=RESPONSE_STATES, default=PENDING, verbose_name=_l("State"))
    created_at = DateTimeField()
    handed_out_at = DateTimeField(verbose_name=_l("Handed out on"))
    handed_out_by = StringField(max_length=60, verbose_name=_l("Handed out by"))
    return_due_at = DateTimeField(verbose_name=_l("Back by"))
    token_hash = StringField(max_length=64)
    token_expires_at = DateTimeField(verbose_name=_l("Link valid until"))
    returned_at = DateTimeField(verbose_name=lazy_pgettext("survey", "Returned on"))
    channel = StringField(choices=CHANNELS, verbose_name=_l("Way of answering"))
    entered_by = StringField(max_length=60, verbose_name=_l("Entered by"))
    answers = EmbeddedDocumentListField(Answer)
    score = FloatField(verbose_name=_l("Satisfaction (0-100)"))

    meta = {"collection": "survey_responses",
            "indexes": [{"fields": ["community", "code"], "unique": True},
                        {"fields": ["campaign", "household"], "unique": True},
                        {"fields": ["token_hash"], "sparse": True}, ("campaign", "state"),
                        ("campaign", "building_no"), ("community", "state", "returned_at"), ("community", "room_code"),
                        ("community", "building_no"), ("community", "-returned_at"), ("community", "return_due_at"),
                        "code"],
            "ordering": ["code"]}

    def __str__(self):
        return f"{self.code} {self.room_code or ''}".strip()

    def authorize_step(self, step, user):
        """Housekeepers hand out and enter the questionnaires of the buildings they look after."""
        if self.granted_only_as(step, user, "housekeeper") and self.building_no not in (user.buildings or []):
            raise PermissionDenied(gettext(
                "Building %(no)s is not one of the buildings you look after.", no=self.building_no))

    # --- handing out: a fresh link, the 24 h clock ---
    def hand_out(self, user) -> str:
        """Hand the questionnaire out (again): returns its new link token, shown only now."""
        self.check("hand_out", user)
        if self.campaign.state != "open":
            raise DomainError(gettext("The survey is not open."))
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = clock.now()
        self.transition("hand_out", user, values={
            "handed_out_at": now, "handed_out_by": user.display_name,
            "return_due_at": RETURN_CLOCK.deadline(self, now, Span(hours=RETURN_HOURS)),
            "token_hash": hash_token(token), "token_expires_at": now + timedelta(days=LINK_VALID_DAYS)},
            check_version=True, checked=False)
        return token

    def enter_answers(self, user, raw: dict):
        """Staff enter the answers of a paper questionnaire against its code."""
        self.check("enter", user)
        if self.campaign.state != "open":
            raise DomainError(gettext("The survey is closed: no more answers are taken."))
        answers = validate_answers(self.campaign.questions, raw)
        return self.transition("enter", user, values=self._returned(answers, "paper", user.display_name),
                               checked=False)

    def _returned(self, answers, channel, entered_by=None) -> dict:
        return {"answers": answers, "returned_at": clock.now(), "channel": channel, "entered_by": entered_by,
                "score": score_of(self.campaign.questions, answers), "state": RETURNED}

    def link_state(self, now=None) -> str | None:
        """Why the link no longer takes answers (translated), or None while it does."""
        now = now or clock.now()
        if self.state == RETURNED:
            return gettext("This questionnaire has already been answered. Thank you — the link works only once.")
        if self.state != HANDED_OUT or self.campaign.state != "open":
            return gettext("This survey is closed.")
        if self.token_expires_at is None or now >= self.token_expires_at:
            return gettext("This link has expired. Please ask the property service centre for a new questionnaire.")
        return None


declare(Response, Workflow(AREA, [
    Step("hand_out", (PENDING, HANDED_OUT), HANDED_OUT, label=_l("Hand out")),
    Step("enter", (PENDING, HANDED_OUT), RETURNED, label=_l("Enter answers"),
         needs=_l("Answers are entered once.")),
]))
audit.register_action_labels({"answer_by_link": _l("Answered through the link"),
                              "not_returned": _l("Not returned (survey closed)"),
                              "edit_questions": _l("Questions edited")}, area=AREA,
                             collections=["survey_responses", "survey_templates"])

(RETURN_CLOCK,) = declare_clocks(Response, [
    ClockKind("survey_return", _l("Questionnaire back (24 h)"), (HANDED_OUT,), "return_due_at",
              done_field="returned_at", role="clerk"),
], area=AREA, endpoint="survey_responses.details_view")


class LinkRefused(DomainError):
    """The resident's link takes no (more) answers: unknown, used, expired or its survey closed."""


def response_for_token(token: str) -> Response:
    """The questionnaire of a link token, else LinkRefused (an unknown token says no more than that)."""
    if not token or len(token) > 100:
        raise LinkRefused(gettext("This link is not valid. Please check it, or ask the property service centre."))
    digest = hash_token(token)
    response = Response.objects(token_hash=digest).first()
    # the stored digest compared in constant time as well (the lookup is by digest, never by the token)
    if response is None or not hmac.compare_digest(response.token_hash or "", digest):
        raise LinkRefused(gettext("This link is not valid. Please check it, or ask the property service centre."))
    return response


def answer_by_link(token: str, raw: dict) -> Response:
    """The resident answers through the link: once, before it expires, while the survey is open."""
    response = response_for_token(token)
    refused = response.link_state()
    if refused:
        raise LinkRefused(refused)
    answers = validate_answers(response.campaign.questions, raw)
    values = response._returned(answers, "link")
    done = response.record_change("answer_by_link", None, values, {
        "state": HANDED_OUT, "token_hash": response.token_hash, "token_expires_at__gt": clock.now()},
        note=gettext("Answered through the link"))
    if not done:
        raise LinkRefused(gettext("This questionnaire has already been answered. Thank you — the link works only once."))
    return response


# --- answers ---

def validate_answers(questions: list[Question], raw: dict) -> list[Answer]:
    """`raw`: question key -> list of submitted strings. Every question checked; all problems raised together."""
    errors, answers = OrderedDict(), []
    for number, question in enumerate(questions, start=1):
        values = [str(v).strip() for v in (raw.get(question.key) or []) if v is not None and str(v).strip()]
        if not values:
            if question.required:
                errors[question.key] = gettext("Question %(n)d needs an answer.", n=number)
            continue
        try:
            answers.append(Answer(key=question.key, value=READERS[question.kind](question, values, number)))
        except DomainError as err:
            errors[question.key] = err.message
    if errors:
        raise SurveyAnswerErrors(errors)
    return answers


def _rating(question, values, number):
    try:
        value = int(values[0])
    except ValueError:
        value = None
    if len(values) != 1 or value is None or not question.scale_min <= value <= question.scale_max:
        raise DomainError(gettext("Question %(n)d: choose a rating from %(low)d to %(high)d.", n=number,
                                  low=question.scale_min, high=question.scale_max))
    return value


def _choice(question, values, number):
    allowed = [o.value for o in question.options]
    if any(v not in allowed for v in values) or len(set(values)) != len(values) \
            or (question.kind == SINGLE and len(values) != 1):
        raise DomainError(gettext("Question %(n)d: choose among the options given.", n=number))
    chosen = sorted(values, key=allowed.index)
    return chosen[0] if question.kind == SINGLE else chosen


def _text(question, values, number):
    text = "\n".join(values)
    if len(text) > MAX_TEXT_ANSWER:
        raise DomainError(gettext("Question %(n)d: at most %(max)d characters.", n=number, max=MAX_TEXT_ANSWER))
    return text


READERS = {RATING: _rating, SINGLE: _choice, MULTIPLE: _choice, TEXT: _text}


def score_of(questions, answers) -> float | None:
    """Mean of the satisfaction ratings (every rating if none is marked) on 0-100: (v - min) / (max - min)."""
    ratings = [q for q in questions if q.kind == RATING]
    counted = [q for q in ratings if q.satisfaction] or ratings
    by_key = {a.key: a.value for a in answers}
    points = [(by_key[q.key] - q.scale_min) * 100.0 / (q.scale_max - q.scale_min)
              for q in counted if isinstance(by_key.get(q.key), int)]
    return round(sum(points) / len(points), 1) if points else None


def find_by_code(user, code: str) -> Response:
    """The questionnaire with this printed code among the user's communities."""
    code = (code or "").strip().upper()
    response = Response.objects.for_user(user).filter(code=code).first() if code else None
    if response is None:
        raise DomainError(gettext("No questionnaire of your communities has the code %(code)s.", code=code or "—"),
                          field="code")
    return response


# --- results ---

@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    counts: list = field(default_factory=list)      # [(label, count)] in the order of the scale/options
    average: float | None = None
    comments: list = field(default_factory=list)    # [(room code, text)] of a free-text question


@dataclass
class BuildingResult:
    building_no: str
    asked: int = 0
    returned: int = 0
    averages: dict = field(default_factory=dict)    # rating question key -> average

    @property
    def rate(self) -> float:
        return round(self.returned * 100.0 / self.asked, 1) if self.asked else 0.0


@dataclass
class CampaignResults:
    asked: int
    handed_out: int
    returned: int
    late: int
    questions: list
    buildings: list
    average_score: float | None

    @property
    def rate(self) -> float:
        return round(self.returned * 100.0 / self.asked, 1) if self.asked else 0.0


def _average(values):
    return round(sum(values) / len(values), 2) if values else None


def _values(responses, key) -> list:
    return [a.value for r in responses for a in r.answers if a.key == key]


def question_result(question: Question, returned: list, language=None) -> QuestionResult:
    values = _values(returned, question.key)
    result = QuestionResult(question, answered=len(values))
    if question.kind == RATING:
        counter = Counter(values)
        result.counts = [(str(v), counter.get(v, 0)) for v in question.scale]
        result.average = _average(values)
    elif question.kind in (SINGLE, MULTIPLE):
        counter = Counter(v for value in values for v in (value if isinstance(value, list) else [value]))
        result.counts = [(o.text(language), counter.get(o.value, 0)) for o in question.options]
    else:
        result.comments = [(r.room_code or "", a.value) for r in returned for a in r.answers if a.key == question.key]
    return result


def building_results(campaign: Campaign, rows: list) -> list[BuildingResult]:
    buildings = OrderedDict()
    for row in sorted(rows, key=lambda r: (len(r.building_no or ""), r.building_no or "")):
        building = buildings.setdefault(row.building_no or "", BuildingResult(row.building_no or ""))
        building.asked += 1
        building.returned += row.state == RETURNED
    for building in buildings.values():
        mine = [r for r in rows if r.state == RETURNED and (r.building_no or "") == building.building_no]
        building.averages = {q.key: _average(_values(mine, q.key)) for q in campaign.questions if q.kind == RATING}
    return list(buildings.values())


def results(campaign: Campaign, language=None) -> CampaignResults:
    """Response rate, each question's counts and average, each building's rate and averages, the comments."""
    rows = list(Response.objects(campaign=campaign).only(
        "state", "building_no", "room_code", "answers", "score", "returned_at", "return_due_at", "handed_out_at"))
    returned = [r for r in rows if r.state == RETURNED]
    scores = [r.score for r in returned if r.score is not None]
    late = sum(1 for r in returned if r.return_due_at and r.returned_at and r.returned_at > r.return_due_at)
    return CampaignResults(asked=len(rows), handed_out=sum(1 for r in rows if r.handed_out_at),
                           returned=len(returned), late=late,
                           questions=[question_result(q, returned, language) for q in campaign.questions],
                           buildings=building_results(campaign, rows),
                           average_score=round(sum(scores) / len(scores), 1) if scores else None)


def satisfaction_by_month(community_ids, start: datetime, end: datetime) -> list[dict]:
    """Per community-local month: the average satisfaction score (0-100) of the questionnaires
    returned in [start, end) in these communities, and how many there were.

    Returns [{"month": "2026-11", "average": 86.7, "count": 12}, ...] in month order; months with
    no questionnaire back are left out. One indexed range query (community, state, returned_at)."""
    from documents.places import Community
    zones = {c.pk: zone_of(c) for c in Community.objects(pk__in=list(community_ids)).only("timezone")}
    rows = Response.objects(community__in=list(community_ids), state=RETURNED, returned_at__gte=start,
                            returned_at__lt=end).only("community", "returned_at", "score").no_dereference()
    sums: dict[str, list] = {}
    for row in rows:
        if row.score is None:
            continue
        community_id = getattr(row.community, "pk", None) or getattr(row.community, "id", row.community)
        month = local_date(row.returned_at, zones.get(community_id) or zone_of(None)).strftime("%Y-%m")
        sums.setdefault(month, []).append(row.score)
    return [{"month": month, "average": round(sum(values) / len(values), 1), "count": len(values)}
            for month, values in sorted(sums.items())]


def campaigns_of(user):
    return Campaign.objects.for_user(user)
