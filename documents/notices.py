"""Notices to residents (通知): written in the portal, published by a supervisor, printed on A4.

The six kinds of notice follow the national vocational standard (批示性、指示性、知照性、事务性、
任免性通知、会议通知). Title and body are kept in Chinese and English; either may be empty, the
page and the print show the chosen language and fall back to the other.
"""
from flask_babel import gettext, lazy_gettext as _l
from mongoengine import DateField, DateTimeField, ListField, ReferenceField, StringField, ValidationError

from app import clock
from app.permissions import can
from documents import audit
from documents.base import DomainError, PermissionDenied, CommunityOwned, Versioned
from documents.bilingual import BilingualText, pick, to_local

AREA = "notices"

NOTICE_TYPES = [
    ("instructive", _l("Instructive notice")), ("directive", _l("Directive notice")),
    ("informative", _l("Informative notice")), ("affairs", _l("Affairs notice")),
    ("appointment", _l("Appointment notice")), ("meeting", _l("Meeting notice")),
]
AUDIENCES = [("community", _l("The whole community")), ("buildings", _l("Selected buildings"))]
NOTICE_STATES = [("draft", _l("Draft")), ("published", _l("Published")), ("withdrawn", _l("Withdrawn"))]

audit.register_action_labels({"publish_notice": _l("Notice published"),
                              "withdraw_notice": _l("Notice withdrawn")})


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value or ""))


class Notice(BilingualText, CommunityOwned, Versioned):
    STATES = NOTICE_STATES
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

    @property
    def state_label(self) -> str:
        return _label(NOTICE_STATES, self.state)

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

    def clean(self):
        errors = {}
        if not (self.title_zh or "").strip() and not (self.title_en or "").strip():
            errors["title_zh"] = ValidationError(gettext("Give a title in Chinese or in English."))
        if not (self.body_zh or "").strip() and not (self.body_en or "").strip():
            errors["body_zh"] = ValidationError(gettext("Write the text in Chinese or in English."))
        if self.audience == "buildings" and not self.buildings:
            errors["buildings"] = ValidationError(gettext("Choose the buildings the notice is for."))
        if self.audience != "buildings":
            self.buildings = []
        if any(self.community and b.community.pk != self.community.pk for b in self.buildings or []):
            errors["buildings"] = ValidationError(gettext("The building belongs to another community."))
        if self.pk is not None:
            stored = Notice.objects(pk=self.pk).only("state").first()
            if stored is not None and stored.state != "draft":
                errors["title_zh"] = ValidationError(gettext(
                    "A published notice cannot be changed; withdraw it and write a new one."))
        if errors:
            raise ValidationError(errors=errors)

    def _require(self, action, user):
        if not can(AREA, f"action:{action}", user):
            raise PermissionDenied(gettext("Your role does not allow this: %(action)s.",
                                           action=audit.action_label(f"{action}_notice")))

    def _move(self, action, from_state, to_state, user, extra, note=None):
        before = audit.snapshot(self)
        updates = {"set__state": to_state, "inc__version": 1}
        updates.update({f"set__{k}": v for k, v in extra.items()})
        if Notice.objects(pk=self.pk, state=from_state).modify(**updates) is None:
            raise DomainError(gettext("Someone else changed this record just now (or the button was "
                                      "pressed twice); nothing more was done. Reload the page to see its state."))
        self.reload()
        audit.record(f"{action}_notice", self, audit.diff(before, audit.snapshot(self)), note=note, actor=user)
        return self

    def publish(self, user):
        self._require("publish", user)
        if self.state != "draft":
            raise DomainError(gettext("Only a draft can be published."))
        today = to_local(clock.now(), self.community).date()
        return self._move("publish", "draft", "published", user,
                          {"publish_date": self.publish_date or today, "published_by": user,
                           "published_at": clock.now()})

    def withdraw(self, user, reason: str):
        self._require("withdraw", user)
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(gettext("Please give a reason."), field="reason")
        if self.state != "published":
            raise DomainError(gettext("Only a published notice can be withdrawn."))
        return self._move("withdraw", "published", "withdrawn", user, {"withdraw_reason": reason[:500]},
                          note=reason)
