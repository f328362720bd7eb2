"""Notices to residents (通知): written in the portal, published by a supervisor, printed on A4.

The six kinds of notice follow the national vocational standard (批示性、指示性、知照性、事务性、
任免性通知、会议通知). Title and body are kept in Chinese and English; either may be empty, the
page and the print show the chosen language and fall back to the other.
"""
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import DateField, DateTimeField, ListField, ReferenceField, StringField, ValidationError

from app import clock
from documents import audit
from documents.base import CommunityOwned, DomainError, Versioned
from documents.bilingual import BilingualText, pick, to_local
from documents.workflow import Step, Workflow, Workflowed, declare

AREA = "notices"

NOTICE_TYPES = [
    ("instructive", _l("Instructive notice")), ("directive", _l("Directive notice")),
    ("informative", _l("Informative notice")), ("affairs", _l("Affairs notice")),
    ("appointment", _l("Appointment notice")), ("meeting", _l("Meeting notice")),
]
AUDIENCES = [("community", _l("The whole community")), ("buildings", _l("Selected buildings"))]
NOTICE_STATES = [("draft", _l("Draft")), ("published", _l("Published")), ("withdrawn", _l("Withdrawn"))]


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value or ""))


class Notice(BilingualText, CommunityOwned, Versioned, Workflowed):
    notice_type = StringField(choices=NOTICE_TYPES, required=True, default="informative",
                              verbose_name=_l("Type of notice"))
    reference = StringField(max_length=40, verbose_name=_l("Reference no."))
    title_zh = StringField(max_length=120, verbose_name=_l("Title (Chinese)"))
    title_en = StringField(max_length=160, verbose_name=_l("Title (English)"))
    body_zh = StringField(max_length=20000, verbose_name=_l("Text (Chinese)"))
    body_en = StringField(max_length=20000, verbose_name=_l("Text (English)"))
    audience = StringField(choices=AUDIENCES, default="community", verbose_name=_l("Audience"))
    buildings = ListField(ReferenceField("Building"), verbose_name=_l("Buildings"))
    publish_date = DateField(verbose_name=_l("Publish date"))
    issuer_zh = StringField(max_length=80, verbose_name=_l("Issued by (Chinese)"))
    issuer_en = StringField(max_length=120, verbose_name=_l("Issued by (English)"))
    author = ReferenceField("Staff", verbose_name=_l("Author"))
    state = StringField(choices=NOTICE_STATES, default="draft", verbose_name=_l("State"))
    published_by = ReferenceField("Staff", verbose_name=_l("Published by"))
    published_at = DateTimeField(verbose_name=_l("Published at"))
    withdraw_reason = StringField(max_length=500, verbose_name=_l("Reason for withdrawing"))

    meta = {"collection": "notices",
            "indexes": [("community", "-publish_date"), ("community", "state"), "notice_type", "audience",
                        ("community", "title_zh"), ("community", "title_en"), ("community", "reference")],
            "ordering": ["-publish_date"]}

    def __str__(self):
        return self.text("title")

    @property
    def type_label(self) -> str:
        return _label(NOTICE_TYPES, self.notice_type)

    def body(self, language=None) -> str:
        return self.text("body", language)

    def issuer(self, language) -> str:
        """Who signs the notice: the issuer given, else the community's service centre."""
        given = pick(self.issuer_zh, self.issuer_en, language)
        if given:
            return given
        community = self.community.display_name(language) if self.community else ""
        return gettext("%(community)s Customer Service Centre", community=community)

    def audience_text(self) -> str:
        if self.audience == "buildings" and self.buildings:
            return gettext("Residents of buildings %(list)s",
                           list=", ".join(b.number for b in self.buildings))
        return gettext("All residents")

    @property
    def in_force(self) -> bool:
        """Published and not withdrawn: printed without the DRAFT mark."""
        return self.state == "published"

    def can_delete(self) -> bool:
        """Only a draft is deleted; a published notice is withdrawn instead."""
        return self.state == "draft"

    def clean(self):
        if self.audience != "buildings":
            self.buildings = []
        errors: dict = {}
        for check in (_title_given, _text_given, _buildings_fit, _draft_only):
            check(self, errors)
        if errors:
            raise ValidationError(errors={name: ValidationError(message) for name, message in errors.items()})

    # --- steps ---
    def publish(self, user):
        self.check("publish", user)
        today = to_local(clock.now(), self.community).date()
        return self.transition("publish", user, values={
            "publish_date": self.publish_date or today, "published_by": user, "published_at": clock.now()},
            checked=False)

    def withdraw(self, user, reason: str):
        self.check("withdraw", user)
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(gettext("Please give a reason."), field="reason")
        return self.transition("withdraw", user, values={"withdraw_reason": reason[:500]}, note=reason,
                               checked=False)


# --- the checks of clean() ---

def _title_given(notice, errors):
    if not (notice.title_zh or "").strip() and not (notice.title_en or "").strip():
        errors["title_zh"] = gettext("Give a title in Chinese or in English.")


def _text_given(notice, errors):
    if not (notice.body_zh or "").strip() and not (notice.body_en or "").strip():
        errors["body_zh"] = gettext("Write the text in Chinese or in English.")


def _buildings_fit(notice, errors):
    if notice.audience == "buildings" and not notice.buildings:
        errors["buildings"] = gettext("Choose the buildings the notice is for.")
    elif any(notice.community and b.community.pk != notice.community.pk for b in notice.buildings or []):
        errors["buildings"] = gettext("The building belongs to another community.")


def _draft_only(notice, errors):
    if notice.pk is None:
        return
    stored = Notice.objects(pk=notice.pk).only("state").first()
    if stored is not None and stored.state != "draft":
        errors["title_zh"] = gettext("A published notice cannot be changed; withdraw it and write a new one.")


declare(Notice, Workflow(AREA, [
    Step("publish", ("draft",), "published", label=_l("Publish"), audit_label=_l("Notice published"),
         needs=_l("Only a draft can be published.")),
    Step("withdraw", ("published",), "withdrawn", label=_l("Withdraw"), audit_label=_l("Notice withdrawn"),
         needs=_l("Only a published notice can be withdrawn.")),
]))

# the names earlier releases gave these actions, so that their history entries still read well
audit.register_action_labels({"publish_notice": _l("Notice published"), "withdraw_notice": _l("Notice withdrawn")},
                             area=AREA, collections=[Notice._get_collection_name()])
