"""The main menu is made once per role set, language and page, then reused (admin_views.base.cached_menu):
each user still sees their own entries, in their language, with the page they are on marked."""
import re

from documents.staff import Staff


def menu(html: str) -> str:
    return re.search(r'<ul class="nav navbar-nav mr-auto">(.*?)</ul>\s*<ul class="nav navbar-nav navbar-right">',
                     html, re.S).group(1)


def active(html: str) -> list[str]:
    return re.findall(r'class="dropdown-item active[^"]*" href="([^"]+)"', menu(html))


def test_each_page_marks_its_own_entry(client_as, world):
    clerk = client_as("clerk")
    assert active(clerk.get("/admin/repairs/").data.decode()) == ["/admin/repairs/"]
    assert active(clerk.get("/admin/households/").data.decode()) == ["/admin/households/"]
    assert active(clerk.get("/admin/repairs/").data.decode()) == ["/admin/repairs/"]     # from the cache


def test_each_role_sees_its_own_entries(client_as, world):
    clerk_menu = menu(client_as("clerk").get("/admin/households/").data.decode())
    manager_menu = menu(client_as("manager").get("/admin/households/").data.decode())
    assert 'href="/admin/audit/"' in manager_menu and 'href="/admin/audit/"' not in clerk_menu
    assert menu(client_as("clerk").get("/admin/households/").data.decode()) == clerk_menu


def test_each_language_its_own_words(client_as, world):
    english = menu(client_as("clerk").get("/admin/repairs/").data.decode())
    Staff.objects(username="clerk").update_one(set__language="zh_Hans_CN")
    chinese = menu(client_as("clerk").get("/admin/repairs/").data.decode())
    assert "Repairs" in english and "Repairs" not in chinese and "报修" in chinese
