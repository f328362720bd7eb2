"""The benchmark's bulk-loaded archives are the same documents a save through the app makes."""
import random

from bench.data import bulk_save, make_households, make_places
from documents.places import Community, Room
from documents.residents import Household
from seed.residents import build_household


def raw(household_filter):
    doc = Household._get_collection().find_one(household_filter)
    doc.pop("_id")
    return doc


def test_bulk_saved_archive_equals_one_saved_by_the_app(world):
    community = world["A"]
    room = world["rooms"]["A"]["1-1-102"]
    for index in (0, 5, 4):  # plain, foreign tenant, Chinese tenant (see build_household)
        built = build_household(random.Random(index), community, room, index)
        built.save_versioned(None)
        saved, status_saved = raw({"_id": built.pk}), Room.objects.get(pk=room.pk).status
        Household.objects(pk=built.pk).delete()
        Room.objects(pk=room.pk).update_one(set__status="vacant")

        bulk_save([build_household(random.Random(index), community, room, index)])
        assert raw({"room": room.pk}) == saved
        assert Room.objects.get(pk=room.pk).status == status_saved
        assert saved["search_names"] and saved["name_prefixes"] and saved["sort_key"] \
            and saved["room_codes"] == ["1-1-102"] and saved["version"] == 1
        Household.objects(room=room.pk).delete()


def test_generator_makes_the_asked_number_of_archives_in_its_community(app):
    community = Community(code="G", name_zh="测试小区").save()
    make_places(community, 300)
    assert make_households(community, 300, random.Random(1)) == 300
    assert Household.objects(community=community).count() == 300
    assert Household.objects(community=community, status="moved_out").count() == 6
    current_rooms = Household.objects(community=community, status="current").distinct("room")
    assert len(current_rooms) == 294  # one current archive per room
    occupied = Room.objects(community=community, status__in=["occupied", "rented"]).count()
    assert occupied == 294
