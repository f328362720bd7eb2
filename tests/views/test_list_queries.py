"""The archive list makes the same few queries whatever its page size (no query per row)."""
import random

import pytest

from bench.data import bulk_save
from bench.queries import count_queries
from documents.places import Building, Room
from seed.residents import build_household


def add_households(community, n):
    building = Building(community=community, number="9", floors=10).save()
    building.generate_units_and_rooms(2, 10, 6)
    rooms = list(Room.objects(building=building).order_by("sort_key"))[:n]
    rng = random.Random(3)
    bulk_save([build_household(rng, community, room, i) for i, room in enumerate(rooms)])


def test_list_queries_do_not_grow_with_page_size(client_as, world):
    add_households(world["A"], 110)
    client = client_as("clerk")
    client.get("/admin/households/")  # the test's app context keeps the user loaded from here on
    counts = {}
    for size in (20, 100):
        with count_queries() as log:
            page = client.get(f"/admin/households/?page_size={size}").data.decode()
        assert page.count('name="rowid"') == size
        counts[size] = log.calls
    assert counts[20] == counts[100]
    assert sum(counts[20].values()) <= 6, counts[20]


def test_query_counter_counts_each_driver_call_once(world):
    from documents.residents import Household

    with count_queries() as log:
        Household.objects.count()
        list(Household.objects(community=world["A"]).limit(1))
        Household.objects(pk=world["hh_a"].pk).update_one(set__notes="x")
        Household._get_collection().find_one({"_id": world["hh_a"].pk})  # calls find inside
    assert log.total == 4 and log.by_collection() == {"households": 4}
    with count_queries() as log:
        pass
    assert log.total == 0


def _service_records(world):
    """25 repairs (rooms and a public area, some dispatched or done), 25 complaints (some given to
    the housekeeper) and 22 renovation files (drafts and a few further on), in community A."""
    from app import clock
    from documents.places import Building
    from documents.residents import Household
    from tests.renovations_support import NOW, file_in_state, new_file
    from tests.services_support import completed_repair, make_complaint, make_repair

    clock.freeze(NOW)
    staff = world["staff"]
    building = Building.objects(community=world["A"], number="1").first()
    for i in range(25):
        if i % 5 == 0:
            make_repair(world, location="public", room=None, public_building=building, public_place="lobby")
        elif i % 5 == 1:
            make_repair(world).dispatch(staff["clerk"], "王师傅")
        elif i % 5 == 2:
            completed_repair(world)
        else:
            make_repair(world)
        complaint = make_complaint(world)
        if i % 2:
            complaint.assign(staff["supervisor"], "cleaning", staff["housekeeper"] if i % 4 == 1 else None)
    add_households(world["A"], 22)
    staff["housekeeper"].update(push__buildings="9")    # building 9 is theirs too
    staff["housekeeper"].reload()
    households = list(Household.objects(community=world["A"], room__nin=[world["hh_a"].room,
                                                                          world["hh_a2"].room]))
    for i, household in enumerate(households):
        if i < 3:
            file_in_state(world, ("submitted", "approved", "in_progress")[i], household=household)
        else:
            new_file(world, household=household)


@pytest.mark.parametrize("role", ["manager", "supervisor", "clerk", "housekeeper", "cashier"])
def test_service_lists_read_no_record_per_row(app, client_as, world, role):
    """Each row's cells and buttons read only what the page read for all rows at once
    (`list_references`): 25 rows cost the queries that the last 5 cost."""
    from tests.support import english_request

    with english_request(app):
        _service_records(world)
    client = client_as(role)
    for endpoint in ("repairs", "complaints", "renovations"):
        if client.get(f"/admin/{endpoint}/").status_code == 403:
            continue
        counts, rows = [], []
        for query in ("page=1&page_size=20", "page_size=50"):     # the last few rows, then all
            with count_queries() as log:
                page = client.get(f"/admin/{endpoint}/?{query}").data.decode()
            rows.append(page.split("</thead>", 1)[-1].split("</table>", 1)[0].count("<tr"))
            counts.append(log.calls)
        assert 0 < rows[0] < rows[1] and rows[1] >= 22, (role, endpoint, rows)
        assert counts[0] == counts[1], (role, endpoint, counts)
