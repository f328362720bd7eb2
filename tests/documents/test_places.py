"""Places: room generation, unique room codes, room code parsing."""
import pytest
from mongoengine import ValidationError

from documents.places import Building, Community, Room, Unit, parse_room_code


@pytest.fixture
def community(app):
    return Community(code="T", name_zh="测试小区").save()


def test_generate_units_and_rooms_is_idempotent(community):
    building = Building(community=community, number="3", floors=2).save()
    assert building.generate_units_and_rooms(2, 12, 2) == 48
    assert building.generate_units_and_rooms(2, 12, 2) == 0
    assert Unit.objects(building=building).count() == 2
    room = Room.objects(community=community, code="3-2-1201").get()
    assert (room.floor, room.number, room.unit_no, room.building_no) == (12, "1201", "2", "3")
    assert building.reload().floors == 12


def test_room_code_unique_in_community(community):
    building = Building(community=community, number="1", floors=1).save()
    building.generate_units_and_rooms(1, 1, 1)
    unit = Unit.objects(building=building).get()
    with pytest.raises(ValidationError) as err:
        Room(community=community, building=building, unit=unit, floor=1, number="101").save()
    assert "1-1-101 already exists" in str(err.value.errors)
    other = Community(code="U", name_zh="另一个").save()
    other_building = Building(community=other, number="1", floors=1).save()
    assert other_building.generate_units_and_rooms(1, 1, 1) == 1  # same code, other community: fine


@pytest.mark.parametrize("text, code", [
    ("3-2-1201", "3-2-1201"), ("3栋2单元1201", "3-2-1201"), ("3号楼2单元1201室", "3-2-1201"),
    (" 12 - 1 - 0302 ", "12-1-0302"), ("a-1-101", "A-1-101"),
    ("张伟", None), ("1201", None), (".*", None), ("3-2", None),
])
def test_parse_room_code(text, code):
    assert parse_room_code(text) == code
