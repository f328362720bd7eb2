"""The engine's writes (conditional modify with the audit outbox, the pull that delivers it, the
outbox query of `flask flush-audit`) and the numbering document behave the same on the embedded
store as on mongomock: run in a process of their own on a fresh litemongo store."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from flask_babel import lazy_gettext as _l
from mongoengine import StringField
from app import create_app
from app.config import Config
from app.permissions import PERMISSIONS
cfg = Config(); cfg.MONGODB_URI = {uri!r}
app = create_app(cfg)
from documents import workflow
from documents.audit import AuditEntry
from documents.base import CommunityOwned, DomainError, Versioned
from documents.places import Community
from documents.sequences import Sequence
from documents.staff import Staff
from documents.workflow import Step, Workflow, Workflowed, declare

PERMISSIONS["toy"] = {{"manager": {{"action:finish"}}}}

class Chore(CommunityOwned, Versioned, Workflowed):
    state = StringField(choices=[("open", "Open"), ("done", "Done")], default="open")
    meta = {{"collection": "chores"}}
    def finish(self, user):
        return self.transition("finish", user)

declare(Chore, Workflow("toy", [Step("finish", ("open",), "done", label=_l("Finish"))]))
with app.test_request_context("/"):
    c = Community(code="W", name_zh="W").save()
    boss = Staff(username="boss", display_name="Boss", roles=["manager"], communities=[c]).save()
    one, two = Chore(community=c).save(), Chore(community=c).save()
    one.finish(boss)
    stale = Chore.objects.get(pk=two.pk)
    real = workflow.deliver_audit
    workflow.deliver_audit = lambda model, pk: (_ for _ in ()).throw(RuntimeError("killed"))
    try:
        two.finish(boss)
    except RuntimeError:
        pass
    workflow.deliver_audit = real
    waiting = [len(x.audit_outbox) for x in Chore.objects.order_by("id")]
    delivered = workflow.deliver_all_audit()
    try:
        stale.finish(boss)
        refused = "no"
    except DomainError:
        refused = "yes"
    entries = AuditEntry.objects(collection="chores").count()
    left = sum(len(x.audit_outbox) for x in Chore.objects)
    states = "".join(x.state[0] for x in Chore.objects.order_by("id"))
    numbers = [Sequence.next("W:test"), Sequence.next("W:test")]
    Sequence._get_db()["old_counters"].insert_one({{"key": "W:test", "value": 41}})
    Sequence.adopt("old_counters")
    numbers.append(Sequence.next("W:test"))
    print(waiting, delivered, refused, entries, left, states, numbers)
"""


def test_engine_writes_on_the_embedded_store(tmp_path):
    code = SCRIPT.format(uri=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x"})
    assert result.returncode == 0, result.stderr
    # the crashed step left its entry in the record; delivery copied it once; the stale copy was
    # refused; numbers continue from the adopted counter
    assert result.stdout.strip().splitlines()[-1] == "[0, 1] 1 yes 2 0 dd [1, 2, 42]"


def test_the_old_plain_index_on_counters_gives_way_to_the_unique_one(app):
    """Stores made by an older release have a non-unique `key_1` index on `counters`."""
    from documents.sequences import Sequence
    raw = Sequence._get_db()["counters"]
    raw.drop_indexes()
    raw.create_index("key")
    Sequence._collection = None              # as in a fresh process: indexes not made yet
    Sequence.adopt("renovation_counters")
    assert Sequence.next("X:test") == 1
    assert raw.index_information()["key_1"].get("unique") is True
