"""Seeding an area once per community: in a Chinese request context (the rules translate their
messages), the clock set back by the area's steps and restored afterwards."""
from contextlib import nullcontext

from flask import current_app, has_app_context

from app import clock


def seed_new_communities(communities, has_data, seed_one) -> int:
    """`seed_one(community)` for every community `has_data(community)` is false for; the sum of what they return."""
    created = 0
    frozen_before = clock._frozen
    context = current_app.test_request_context("/", headers={"Accept-Language": "zh-CN"}) \
        if has_app_context() else nullcontext()
    with context:
        try:
            for community in communities:
                if not has_data(community):
                    created += seed_one(community)
        finally:
            clock.freeze(frozen_before)
    return created
