"""The frame every dated demo seed runs in: a Chinese request (the rules' messages and labels are
translated), the clock put back afterwards (a seed sets it back to when each step happened), and only
the communities that have no records of the seed's kind yet (a second `flask seed` creates nothing)."""
from contextlib import contextmanager, nullcontext

from flask import current_app, has_app_context

from app import clock
from documents.staff import Staff


@contextmanager
def seeding():
    """Inside an app (`flask seed`) a zh-CN test request gives the rules a locale; with no app at all
    (scripts, tests) messages stay untranslated and need nothing. Whatever clock was there (frozen or
    not) is put back on the way out, also when a step fails."""
    frozen_before = clock._frozen
    context = current_app.test_request_context("/", headers={"Accept-Language": "zh-CN"}) \
        if has_app_context() else nullcontext()
    with context:
        try:
            yield
        finally:
            clock.freeze(frozen_before)


def seed_each(communities, model, seed_community, indexed=False) -> int:
    """Run `seed_community(community)` — `seed_community(community, index)` with `indexed`, the index
    being the community's place in `communities` — for every community without `model` records, inside
    `seeding()`. Returns the sum of what the calls return (how many records they created)."""
    created = 0
    with seeding():
        for index, community in enumerate(communities):
            if model.objects(community=community).first() is None:
                created += seed_community(community, index) if indexed else seed_community(community)
    return created


def staff(community, *roles):
    """The community's first active account (by username) holding one of `roles`, or None."""
    return Staff.objects(communities=community.pk, roles__in=list(roles), active=True) \
        .order_by("username").first()
