"""Community culture (社区文化): annual plans, events, venues and bookings, sign-ups, records.

The flow: the culture officer drafts the year's plan and its events; a supervisor approves (the plan
as a whole, or one event); the event is published (its venue is booked then); the front desk signs
households up (capacity, waiting list); staff tick attendance on the day; afterwards the officer
records the summary, photos and residents' feedback.

Every state change is a step of the workflow engine (documents/workflow.py): the acting staff
member's role and community, the state and what must happen first are checked, and the change is
written with its audit entry in one conditional update. Actions that create a record (booking a
venue, signing up, adding a photo or feedback) check role and community with `authorize_area`.

- `common`: the area's choices and small shared checks;
- `venues`: venues and bookings (no overlaps);
- `signups`: sign-ups, seats and the waiting list, attendance;
- `records`: photos and feedback;
- `events`: the event and its workflow;
- `plans`: the annual plan, approved as a whole;
- `household_timeline`: the household archive's view of all this.
"""
from documents.events.common import (AREA, BOOKING_STATES, EVENT_STATES, EVENT_TYPES, FIRST_YEAR, LAST_YEAR,
                                     MAX_PEOPLE_PER_SIGNUP, PLAN_STATES, SIGNUP_STATES, label)
from documents.events.events import CANCELLABLE, EDITABLE_AFTER_SUBMIT, Event
from documents.events.plans import AnnualPlan
from documents.events.records import PHOTO_UPLOAD, EventFeedback, EventPhoto, make_thumbnail
from documents.events.signups import SignUp
from documents.events.venues import Venue, VenueBooking
from documents.events import household_timeline  # noqa: F401 - registers the timeline entries

__all__ = ["AREA", "BOOKING_STATES", "CANCELLABLE", "EDITABLE_AFTER_SUBMIT", "EVENT_STATES", "EVENT_TYPES",
           "FIRST_YEAR", "LAST_YEAR", "MAX_PEOPLE_PER_SIGNUP", "PHOTO_UPLOAD", "PLAN_STATES", "SIGNUP_STATES",
           "AnnualPlan", "Event", "EventFeedback", "EventPhoto", "SignUp", "Venue", "VenueBooking", "label",
           "make_thumbnail"]
