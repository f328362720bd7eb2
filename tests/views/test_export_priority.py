"""An export is background work: it gives way to pages (app/priority.py) and still exports every row."""
import csv
import io
import threading
import time

from app import priority
from documents.audit import AuditEntry
from tests.views.test_list_queries import add_households


def test_a_page_counts_as_foreground_until_it_ends(app):
    before = priority.busy()
    with app.test_request_context("/admin/"):
        app.preprocess_request()
        assert priority.busy() == before + 1
        app.do_teardown_request()
        assert priority.busy() == before
        app.do_teardown_request()             # a second teardown does not count it twice
        assert priority.busy() == before


def test_an_export_steps_back_and_waits_while_a_page_is_served(app):
    with app.test_request_context("/admin/households/export/csv/"):
        app.preprocess_request()
        priority.background()                 # what export_response says of its own request
        assert priority.busy() == 0
        started = time.perf_counter()
        priority.give_way(1.0)                # nobody else is served: no wait at all
        assert time.perf_counter() - started < 0.05

        page_started, page_done = threading.Event(), threading.Event()

        def page():
            with app.test_request_context("/admin/repairs/"):
                app.preprocess_request()
                page_started.set()
                time.sleep(0.3)               # the page is being served
                app.do_teardown_request()
            page_done.set()

        thread = threading.Thread(target=page)
        thread.start()
        page_started.wait(5)
        started = time.perf_counter()
        priority.give_way(5.0)                # waits for the page, not for the 5 s
        waited = time.perf_counter() - started
        thread.join()
        assert page_done.is_set() and 0.15 < waited < 2.0, waited
        # a page that never ends holds an export up for at most max_wait per row
        with app.test_request_context("/admin/rooms/"):
            app.preprocess_request()
            started = time.perf_counter()
            priority.give_way(0.1)
            assert 0.08 < time.perf_counter() - started < 1.0
            app.do_teardown_request()
        app.do_teardown_request()
    assert priority.busy() == 0


def test_an_export_of_more_rows_than_a_batch_has_every_row_once_and_one_audit_entry(client_as, world):
    add_households(world["A"], 110)            # 112 archives in community A: two batches and a part
    text = client_as("clerk").get("/admin/households/export/csv/").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    codes = [row[0] for row in rows]
    assert len(codes) == 112 and len(set(codes)) == 112
    assert codes == sorted(codes, key=lambda code: [int(part) for part in code.split("-")])
    assert AuditEntry.objects(action="export").count() == 1
    assert "112" in AuditEntry.objects(action="export").get().note
