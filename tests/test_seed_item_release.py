"""The item release demo: a renovation's large items on the same release form as the households' (issue 11
point 1), and a second seed adds nothing."""
from documents.item_release import ItemRelease


def test_the_item_release_demo_has_a_renovation_form(app_ctx, monkeypatch):
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-xyz")
    run(households_per_community=(40, 20))
    renovation_forms = list(ItemRelease.objects(source="renovation"))
    assert renovation_forms and all(f.renovation is not None and f.driver_name for f in renovation_forms)
    assert all(f.renovation.item_release_problem(f.release_on) is None for f in renovation_forms)
    count = ItemRelease.objects.count()
    assert "New item release forms: 0" in run(households_per_community=(40, 20))
    assert ItemRelease.objects.count() == count
