"""Create forms of every area preset the community only when the user works in exactly one."""
import re

import pytest

from tests.conftest import PASSWORD

FORMS = {"repairs": "clerk", "complaints": "clerk", "events": "culture", "eventplans": "culture",
         "venues": "culture", "notices": "culture"}


def selected_community(html: str):
    select = re.search(r'<select[^>]*name="community"[^>]*>(.*?)</select>', html, re.S).group(1)
    chosen = re.search(r'<option selected value="([^"]+)"', select)
    return chosen.group(1) if chosen else None


@pytest.mark.parametrize("endpoint", FORMS)
def test_the_only_community_is_preset_and_none_is_guessed(client_as, world, endpoint):
    from documents.staff import Staff
    role = FORMS[endpoint]
    page = client_as(role).get(f"/admin/{endpoint}/new/").data.decode()
    assert selected_community(page) == str(world["A"].pk), endpoint
    both = Staff(username=f"{role}_ab", display_name="A+B", roles=[role], language="en",
                 communities=[world["A"], world["B"]])
    both.set_password(PASSWORD)
    both.save()
    page = client_as(f"{role}_ab").get(f"/admin/{endpoint}/new/").data.decode()
    assert str(world["B"].pk) in page and selected_community(page) is None, endpoint
