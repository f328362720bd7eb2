"""The archive list makes the same few queries whatever its page size (no query per row)."""
import random

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
