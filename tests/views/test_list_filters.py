"""The list filters every area shares (admin_views/filters.py)."""
import json
import re
from datetime import datetime

import pytest

from app import clock
from documents.renovations import Renovation
from tests.renovations_support import new_file
from tests.support import english_request, filter_arg

COMMUNITY_LISTS = ["renovations", "repairs", "complaints", "visits", "events", "eventplans", "venues",
                   "venuebookings", "signups", "notices"]


def filter_groups(html: str) -> dict:
    return json.loads(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', html, re.S).group(1))


@pytest.mark.parametrize("endpoint", COMMUNITY_LISTS)
def test_community_filter_offers_the_users_own_communities(client_as, world, endpoint):
    """Choices come per request: Flask-Admin alone would compute them once, at start-up, empty."""
    for user, own, other in (("manager", world["A"], world["B"]), ("manager_b", world["B"], world["A"])):
        groups = filter_groups(client_as(user).get(f"/admin/{endpoint}/").data.decode())
        choices = dict(groups["Community"][0]["options"])
        assert choices == {str(own.pk): own.name_en}, (endpoint, user, choices)
        assert str(other.pk) not in choices


def test_community_filter_is_in_chinese_for_chinese_staff(client_as, world):
    from documents.staff import Staff
    Staff.objects(username="manager").update_one(set__language="zh_Hans_CN")
    groups = filter_groups(client_as("manager").get("/admin/repairs/").data.decode())
    assert dict(groups["小区"][0]["options"]) == {str(world["A"].pk): "甲小区"}


def test_a_day_range_on_a_time_field_includes_the_whole_last_day(app, client_as, world):
    """"Opened 2026-03-02 to 2026-03-02" lists a file opened at 18:00 that day (Shanghai time)."""
    clock.freeze(datetime(2026, 3, 2, 10, 0))          # 18:00 in Shanghai
    with english_request(app):
        renovation = new_file(world)
    opened = filter_arg(app, "renovations", "created_at")
    client = client_as("supervisor")
    same_day = client.get(f"/admin/renovations/?{opened}=2026-03-02+to+2026-03-02").data.decode()
    next_day = client.get(f"/admin/renovations/?{opened}=2026-03-03+to+2026-03-03").data.decode()
    assert f"id={renovation.pk}" in same_day and f"id={renovation.pk}" not in next_day
    assert Renovation.objects.count() == 1
