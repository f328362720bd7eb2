"""Notifications: in the portal (the bell), by e-mail, and to a community's group robot.

An event (a clock breached or escalated, documents/agenda.py) becomes one notification per
recipient and channel, never two: each has a unique key (event, channel, recipient), so a retried
or doubled sweep inserts nothing new. In-app notifications are there at once; e-mail (when
`MAIL_SERVER` is set and the staff member has an address) and the group robot (when the community
has a webhook URL: WeCom / DingTalk text-message JSON, the same shape for both) are delivered by
the sweeper, retried with a growing pause, and shown to the manager when they keep failing.

The text is stored as a message id with its values and put into words when shown, in the reader's
language (the e-mail and the robot in the recipient's, or the community's, language).
"""
from datetime import datetime, timedelta
from email.message import EmailMessage
import json
import logging
import smtplib
import urllib.request

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext, lazy_gettext as _l
from mongoengine import (DateTimeField, DictField, Document, IntField, ReferenceField, StringField)
from mongoengine.errors import NotUniqueError

from app import clock
from documents.base import OwnedQuerySet

log = logging.getLogger(__name__)

APP, EMAIL, ROBOT = "app", "email", "robot"
CHANNELS = [(APP, _l("In the portal")), (EMAIL, _l("E-mail")), (ROBOT, _l("Group robot"))]
PENDING, SENT, FAILED = "pending", "sent", "failed"
DELIVERY_STATES = [(PENDING, _l("Waiting")), (SENT, _l("Sent")), (FAILED, _l("Failed"))]
#: a delivery is tried this many times, the pause doubling from the first
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)
SEND_TIMEOUT_SECONDS = 10

#: message ids -> the sentence, with %(record)s, %(clock)s, %(due)s and %(level)s
MESSAGES = {
    "breach": _l("%(record)s: %(clock)s is overdue (due %(due)s)."),
    "escalate": _l("%(record)s was escalated to you (%(level)s): %(clock)s overdue since %(due)s."),
}


class Notification(Document):
    key = StringField(required=True)                 # the event it tells of
    channel = StringField(choices=CHANNELS, required=True, verbose_name=_l("Channel"))
    recipient = ReferenceField("Staff", verbose_name=_l("Recipient"))
    recipient_key = StringField(required=True)       # staff id, or the community for the robot
    community = ReferenceField("Community", verbose_name=_l("Community"))
    message = StringField(required=True)
    values = DictField()
    endpoint = StringField()
    record_id = StringField()
    created_at = DateTimeField(required=True, verbose_name=_l("Time"))
    read_at = DateTimeField(verbose_name=_l("Read on"))
    state = StringField(choices=DELIVERY_STATES, default=SENT, verbose_name=_l("Delivery"))
    attempts = IntField(default=0, verbose_name=_l("Attempts"))
    next_try_at = DateTimeField()
    last_error = StringField(max_length=500, verbose_name=_l("Last error"))
    sent_at = DateTimeField(verbose_name=_l("Sent on"))

    meta = {
        "collection": "notifications",
        "queryset_class": OwnedQuerySet,
        "indexes": [
            {"fields": ["key", "channel", "recipient_key"], "unique": True},
            ("recipient", "channel", "read_at", "-created_at"), ("recipient", "channel", "-created_at"),
            ("state", "next_try_at"), ("channel", "state", "-created_at"),
        ],
        "ordering": ["-created_at"],
    }

    def text(self) -> str:
        """The sentence in the current language (a stored due time shown in the community's zone)."""
        from documents.agenda import KINDS
        from documents.deadlines import local_text
        values = dict(self.values or {})
        kind = KINDS.get(values.get("clock", ""))
        values["clock"] = str(kind.label) if kind else values.get("clock", "")
        level = int(values.get("level") or 0)
        values["level"] = str(kind.ladder[level - 1].label) if kind and 0 < level <= len(kind.ladder) else ""
        due = values.get("due")
        values["due"] = local_text(datetime.fromisoformat(due), self.community) if due else ""
        return MESSAGES[self.message] % values if self.message in MESSAGES else self.message

    def mark_read(self, now=None):
        Notification.objects(pk=self.pk, read_at=None).update_one(set__read_at=now or clock.now())


def unread_count(user) -> int:
    return Notification.objects(recipient=user, channel=APP, read_at=None).count()


def mark_all_read(user, now=None) -> int:
    return Notification.objects(recipient=user, channel=APP, read_at=None).update(
        set__read_at=now or clock.now())


# --- from an event to notifications ---

def recipients(kind, clock_, event) -> list:
    """Who is told: the responsible person (or the kind's role in the community) of a breach, except
    those a rung at the same moment tells anyway; the rung's role of an escalation (company-wide
    roles wherever the community is)."""
    if event["what"] == "escalate":
        return staff_with_role(kind.ladder[event["level"] - 1].role, clock_.community)
    if clock_.responsible is not None and getattr(clock_.responsible, "active", False):
        told = [clock_.responsible]
    else:
        told = list({s.pk: s for role in kind.answering_roles()
                     for s in staff_with_role(role, clock_.community)}.values())
    if kind.ladder and not kind.ladder[0].after:
        at_once = {s.pk for s in staff_with_role(kind.ladder[0].role, clock_.community)}
        told = [s for s in told if s.pk not in at_once]
    return told


def staff_with_role(role: str, community) -> list:
    from documents.staff import Staff
    query = Staff.objects(active=True, roles=role)
    if role not in COMPANY_ROLES:
        query = query.filter(communities=community.pk)
    return list(query)


#: roles that work for the whole company, not one community
COMPANY_ROLES = ("executive",)


def notify_clock_event(kind, clock_, record, event) -> int:
    """One notification per recipient and channel for a clock event; returns how many are new."""
    values = {"record": clock_.record_label or str(record), "clock": kind.name,
              "due": clock_.due_at.isoformat()}
    if event["what"] == "escalate":
        values["level"] = event["level"]
    base = {"key": event["key"], "community": clock_.community, "message": event["what"],
            "values": values, "endpoint": kind.endpoint, "record_id": str(clock_.record_id),
            "created_at": event["at"]}
    made = 0
    for staff in recipients(kind, clock_, event):
        made += _insert(channel=APP, recipient=staff, recipient_key=str(staff.pk), state=SENT, **base)
        if _mail_configured() and getattr(staff, "email", None):
            made += _insert(channel=EMAIL, recipient=staff, recipient_key=str(staff.pk), state=PENDING,
                            next_try_at=event["at"], **base)
    immediate_rung = event["what"] == "breach" and kind.ladder and not kind.ladder[0].after
    if getattr(clock_.community, "robot_webhook", None) and not immediate_rung:
        made += _insert(channel=ROBOT, recipient=None, recipient_key=str(clock_.community.pk),
                        state=PENDING, next_try_at=event["at"], **base)
    return made


def _insert(**fields) -> int:
    try:
        Notification(**fields).save(force_insert=True)
        return 1
    except NotUniqueError:
        return 0           # this event was already told on this channel to this recipient


def _mail_configured() -> bool:
    return has_app_context() and bool(current_app.config.get("MAIL_SERVER"))


# --- delivery of e-mail and robot messages ---

def deliver_due(now: datetime | None = None, limit: int = 100) -> int:
    """Send the e-mail and robot messages whose time has come; returns how many went out."""
    now = now or clock.now()
    sent = 0
    for note in Notification.objects(state=PENDING, next_try_at__lte=now).order_by("next_try_at").limit(limit):
        # take it: a second sender finds next_try_at moved and leaves it
        if not Notification.objects(pk=note.pk, state=PENDING, attempts=note.attempts).update_one(
                inc__attempts=1, set__next_try_at=now + _pause(note.attempts + 1)):
            continue
        try:
            _send(note)
        except Exception as err:  # noqa: BLE001 - any failure of a channel is retried and shown
            log.warning("notification %s over %s failed: %s", note.pk, note.channel, err)
            failed = note.attempts + 1 >= MAX_ATTEMPTS
            Notification.objects(pk=note.pk).update_one(
                set__last_error=str(err)[:500], set__state=FAILED if failed else PENDING)
            continue
        Notification.objects(pk=note.pk).update_one(set__state=SENT, set__sent_at=now, unset__last_error=True)
        sent += 1
    return sent


def retry(note, now=None):
    """The manager sends a failed delivery again."""
    Notification.objects(pk=note.pk, state=FAILED).update_one(
        set__state=PENDING, set__attempts=0, set__next_try_at=now or clock.now())


def _pause(attempt: int) -> timedelta:
    return FIRST_RETRY * (2 ** max(0, attempt - 1))


def _language_of(note) -> str:
    if note.recipient is not None and getattr(note.recipient, "language", None):
        return note.recipient.language
    return "zh_Hans_CN"


def _send(note):
    with force_locale(_language_of(note)):
        text = note.text()
        subject = gettext("Estate Desk: %(text)s", text=text)[:200]
    if note.channel == EMAIL:
        send_mail(note.recipient.email, subject, text)
    elif note.channel == ROBOT:
        post_robot(note.community.robot_webhook, text)


def send_mail(to: str, subject: str, body: str):
    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM") or "estate-desk@localhost"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25),
                      timeout=SEND_TIMEOUT_SECONDS) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def post_robot(url: str, text: str):
    """A WeCom / DingTalk group robot's text message: {"msgtype": "text", "text": {"content": …}}."""
    body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as response:  # noqa: S310
        answer = response.read(2000)
    try:
        reply = json.loads(answer or b"{}")
    except ValueError:
        return
    if isinstance(reply, dict) and reply.get("errcode") not in (None, 0):
        raise RuntimeError(f"robot refused the message: {reply.get('errmsg') or reply.get('errcode')}")
