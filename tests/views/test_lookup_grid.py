"""The lookup grid: floors top-down, current archives in their rooms, never another community's."""
from documents.places import Building, Unit
from documents.residents import Household, unit_grid


def grid_url(community, building, unit):
    return f"/admin/lookup/?community={community.pk}&building={building.pk}&unit={unit.pk}"


def place(world, code):
    community = world[code]
    building = Building.objects(community=community, number="1").first()
    return community, building, Unit.objects(building=building).first()


def test_unit_grid_lists_floors_top_down_with_current_archives(world):
    _community, _building, unit = place(world, "A")
    moved = world["hh_a2"]
    moved.status = "moved_out"
    moved.save_versioned(moved.version)
    floors = unit_grid(unit)
    assert [floor for floor, _rooms in floors] == [3, 2, 1]
    cells = {room.code: (room, household) for _floor, rooms in floors for room, household in rooms}
    assert [room.number for room, _h in floors[-1][1]] == ["101", "102"]
    room, household = cells["1-1-101"]
    assert household["name"] == "张伟" and room.status == "occupied"
    assert cells["1-1-201"][1] is None and cells["1-1-201"][0].status == "vacant"  # moved out
    assert cells["1-1-102"] == (cells["1-1-102"][0], None)


def test_grid_page_shows_the_unit(client_as, world):
    page = client_as("clerk").get(grid_url(*place(world, "A"))).data.decode()
    assert "张伟" in page and 'data-room="1-1-302"' in page
    assert page.count('class="table-') >= 6 and "/admin/households/new/?room=" in page
    assert f"/admin/households/details/?id={world['hh_a'].pk}" in page


def test_grid_never_shows_another_communitys_unit(client_as, world):
    page = client_as("clerk").get(grid_url(*place(world, "B"))).data.decode()
    assert "李娜" not in page and 'data-room="' not in page
    community_a, _b, _u = place(world, "A")
    _c, building_b, unit_b = place(world, "B")
    page = client_as("clerk").get(grid_url(community_a, building_b, unit_b)).data.decode()
    assert "李娜" not in page and 'data-room="' not in page
    assert Household.objects(name="李娜").count() == 1


def test_buildings_are_offered_in_numeric_order(client_as, world):
    import re
    from documents.places import Building
    for number in ("10", "2"):
        Building(community=world["A"], number=number, floors=1).save()
    page = client_as("clerk").get(f"/admin/lookup/?community={world['A'].pk}").data.decode()
    select = page[page.index('id="building"'):]
    select = select[:select.index("</select>")]
    labels = re.findall(r"<option value=\"[0-9a-f]{24}\"[^>]*>([^<]+)</option>", select)
    assert [re.sub(r"\D", "", label) for label in labels] == ["1", "2", "10"]
