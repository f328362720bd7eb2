"""The agenda on the embedded store: clocks started by a step, a sweep that breaches and escalates
a complaint once however often it runs, the lease, and the notifications it leaves — in a process of
its own on a fresh litemongo store (the same code path as mongomock and MongoDB)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from datetime import datetime
from app import clock, create_app
from app.config import Config
cfg = Config(); cfg.MONGODB_URI = {uri!r}
app = create_app(cfg)
from documents.agenda import Clock, sweep, take_lease
from documents.complaints import Complaint
from documents.notifications import Notification
from documents.places import Community
from documents.staff import Staff
with app.test_request_context("/"):
    c = Community(code="W", name_zh="W").save()
    clerk = Staff(username="clerk", display_name="Clerk", roles=["clerk"], communities=[c]).save()
    boss = Staff(username="sup", display_name="Sup", roles=["supervisor"], communities=[c]).save()
    clock.freeze(datetime(2026, 11, 23, 1, 0))
    complaint = Complaint(community=c, kind="complaint", channel="phone", complaint_class=1,
                          content="x", registered_by=clerk).save_versioned(None)
    clocks = [(k.kind, k.state) for k in Clock.objects(record_id=complaint.pk)]
    clock.freeze(datetime(2026, 11, 23, 5, 30))
    first, second = sweep(holder="a"), sweep(holder="b")
    complaint.reload()
    blocked = take_lease("sweep", "x", clock.now()) and not sweep(holder="y").ran
    notes = Notification.objects(recipient=boss).count()
    print(clocks, first.breached, first.escalated, second.escalated, complaint.escalation_level,
          complaint.escalated_at.isoformat(), notes, blocked)
"""


def test_a_sweep_on_the_embedded_store(tmp_path):
    code = SCRIPT.format(uri=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == \
        "[('complaint_handling', 'running')] 1 1 0 1 2026-11-23T05:00:00 1 True"
