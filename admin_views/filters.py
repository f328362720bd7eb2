"""List filters shared by the areas' views: a reference (community, event, handler), a flag, dates.

Choices that depend on the user (their communities, their events) are given as `choices`, a
function that EstateModelView calls on every request; Flask-Admin computes a filter's `options`
once at start-up, outside any request, where they would come out empty.
"""
from datetime import timedelta

from bson import ObjectId
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter
from flask_admin.model import filters as base_filters
from flask_babel import gettext as _, lazy_gettext as _l

from admin_views.base import user_communities
from admin_views.datetimes import parse_date_range
from documents.bilingual import current_language
from documents.deadlines import local_range_query


class ReferenceFilter(BaseMongoEngineFilter):
    """Equality on a reference field; the value must be an id, the choices come per request."""

    def __init__(self, column, name, choices=None):
        super().__init__(column, name)
        self.request_choices = choices

    def validate(self, value):
        return ObjectId.is_valid(str(value))

    def apply(self, query, value):
        return query.filter(**{self.column: ObjectId(str(value))})

    def operation(self):
        return _l("equals")


def chosen_community(communities, field):
    """The community a form's select `field` names among `communities` (the only one when there is
    one); else None, with "Choose the community." on the field."""
    chosen = next((c for c in communities if str(c.pk) == (field.data or "")), None) \
        or (communities[0] if len(communities) == 1 else None)
    if chosen is None:
        field.errors = list(field.errors or []) + [_("Choose the community.")]
    return chosen


def community_choices(communities=None):
    """(id, name in the user's language) of `communities`, by default every community the user sees."""
    return [(str(c.pk), c.display_name(current_language()))
            for c in (user_communities() if communities is None else communities)]


class CommunityFilter(ReferenceFilter):
    """One of the user's communities (the list is scoped to them anyway)."""

    def __init__(self, name=_l("Community")):
        super().__init__("community", name, choices=community_choices)


class TrueFilter(BaseMongoEngineFilter):
    """A flag that is set (e.g. late arrival)."""

    def __init__(self, column, name):
        super().__init__(column, name, options=[("1", _l("Yes"))])

    def validate(self, value):
        return value == "1"

    def apply(self, query, value):
        return query.filter(**{self.column: True})

    def operation(self):
        return _l("is")


class TypedDaysMixin:
    """Two days as people type them: `2026-11-01 to 2026-11-28`, `2026/11/01 - 2026/11/28`, `至`…"""

    def __init__(self, column, name):
        super().__init__(column, name, data_type="daterangepicker")

    def validate(self, value):
        return parse_date_range(value) is not None

    def clean(self, value):
        return list(parse_date_range(value))


class LocalDateBetweenFilter(TypedDaysMixin, BaseMongoEngineFilter, base_filters.BaseDateBetweenFilter):
    """A range of days for a time field: local calendar days of each community (not UTC days)."""

    def apply(self, query, value):
        start, end = value
        return query.filter(local_range_query(self.column, user_communities(), start, end))


class DateBetweenFilter(TypedDaysMixin, BaseMongoEngineFilter, base_filters.BaseDateBetweenFilter):
    """A range of days for a date field (no time of day, no zone), both days included."""

    def apply(self, query, value):
        start, end = value
        return query.filter(**{f"{self.column}__gte": start, f"{self.column}__lt": end + timedelta(days=1)})
