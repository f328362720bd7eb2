"""One code path for all stores; the embedded store keeps data across restarts."""
import subprocess
import sys
from pathlib import Path

from app.database import storage_kind

ROOT = Path(__file__).resolve().parent.parent

WRITE = """
from app import create_app
from app.config import Config
cfg = Config(); cfg.MONGODB_URI = {uri!r}
app = create_app(cfg)
from documents.places import Building, Community
from documents.residents import Household, Person
c = Community(code="P", name_zh="持久小区").save()
b = Building(community=c, number="9", floors=2).save()
b.generate_units_and_rooms(1, 2, 1)
from documents.places import Room
room = Room.objects(code="9-1-201").get()
Household(community=c, room=room, name="钱多多", owners=[Person(name="钱多多", phone="13512345678")]).save_versioned(None)
print("written")
"""

READ = """
from app import create_app
from app.config import Config
cfg = Config(); cfg.MONGODB_URI = {uri!r}
app = create_app(cfg)
from documents.residents import Household, search_households
hh = search_households(Household.objects, "9-1-201").get()
print(hh.name, hh.owners[0].phone, hh.version, Household.objects.count())
"""


def run(code):
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x"})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_embedded_store_persists_across_restart(tmp_path):
    uri = str(tmp_path / "data")
    assert run(WRITE.format(uri=uri)) == "written"
    # a new process: the server was stopped and started again
    assert run(READ.format(uri=uri)) == "钱多多 13512345678 1 1"


def test_storage_kind_by_uri():
    assert storage_kind("mongomock://localhost") == "mongomock"
    assert storage_kind("mongodb://db1,db2/estate?replicaSet=rs0") == "mongodb"
    assert storage_kind("instance/data") == "embedded"
    assert storage_kind("/var/lib/estate") == "embedded"
