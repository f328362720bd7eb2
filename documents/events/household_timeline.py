"""Sign-ups, attendance and feedback of a household appear in its archive timeline."""
from flask_babel import gettext, lazy_gettext as _l

from documents import timeline
from documents.bilingual import current_language, pick
from documents.events.events import Event
from documents.events.records import EventFeedback
from documents.events.signups import SignUp


@timeline.register
def _household_events(household):
    kind = str(_l("Community event"))
    language = current_language()
    rows = list(SignUp.objects(household=household).order_by("-created_at").limit(100).as_pymongo())
    events = {e.pk: e for e in Event.objects(pk__in=[r["event"] for r in rows]).only("title_zh", "title_en")} \
        if rows else {}
    items = []
    for row in rows:
        event = events.get(row["event"])
        if event is not None:
            items += _signup_items(SignUp._from_son(row), event, pick(event.title_zh, event.title_en, language), kind)
    for entry in EventFeedback.objects(household=household).order_by("-recorded_at").limit(50):
        title = pick(entry.event.title_zh, entry.event.title_en, language)
        items.append(timeline.TimelineItem(
            at=entry.recorded_at, kind=kind,
            title=gettext("Feedback on %(event)s: %(n)d/5", event=title, n=entry.rating),
            detail=entry.comment or "", endpoint="events.details_view", url_args={"id": str(entry.event.pk)}))
    return items


def _signup_items(signup, event, title, kind) -> list:
    where = {"endpoint": "events.details_view", "url_args": {"id": str(event.pk)}}
    items = [timeline.TimelineItem(
        at=signup.created_at, kind=kind,
        title=gettext("Signed up for %(event)s (%(n)d people)", event=title, n=signup.people),
        detail=signup.state_label, **where)]
    if signup.attended and signup.attended_at:
        items.append(timeline.TimelineItem(at=signup.attended_at, kind=kind,
                                           title=gettext("Attended %(event)s", event=title), **where))
    if signup.state == "cancelled" and signup.cancelled_at:
        items.append(timeline.TimelineItem(at=signup.cancelled_at, kind=kind,
                                           title=gettext("Sign-up for %(event)s cancelled", event=title), **where))
    return items
