"""The embedded store under threads, other processes, kill -9, and backup / restore."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from bson import ObjectId

from app import embedded_store

litemongo = pytest.importorskip("litemongo")
ROOT = Path(__file__).resolve().parents[2]


def client_of(path):
    return litemongo.MongoClient(embedded_store.new_server_store(str(path)))


def test_concurrent_conditional_writes_apply_once(tmp_path):
    client = client_of(tmp_path / "store")
    things = client["db"]["things"]
    things.create_index([("state", 1)])
    ids = things.insert_many([{"state": "open", "n": 0} for _ in range(20)]).inserted_ids
    won, errors = [], []

    def clerk():
        try:
            for _id in ids:     # every thread tries to take every step: each succeeds once
                if things.update_one({"_id": _id, "state": "open"}, {"$set": {"state": "done"}}).modified_count:
                    won.append(_id)
                things.update_one({"_id": _id}, {"$inc": {"n": 1}})
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=clerk) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(won) == sorted(ids)
    assert [doc["n"] for doc in things.find()] == [8] * 20
    assert things.count_documents({"state": "done"}) == 20
    client.close()


WRITER = """
import sys, random
sys.path.insert(0, {root!r})
import litemongo
from app import embedded_store
client = litemongo.MongoClient(embedded_store.new_server_store({path!r}))
things = client["db"]["things"]
things.create_index([("community", 1), ("sort_key", 1)])
things.create_index([("tags", 1)])
things.create_index([("when", -1)])
rng = random.Random({seed})
import datetime
n = 0
while True:
    docs = [{{"community": rng.choice("ABC"), "sort_key": str(rng.random()),
              "tags": rng.sample("abcdef", rng.randrange(4)),
              "when": datetime.datetime(2024, 1, 1) + datetime.timedelta(minutes=rng.randrange(10**6)),
              "blob": "x" * rng.randrange(5000)}} for _ in range(rng.randrange(1, 30))]
    things.insert_many(docs)
    things.update_many({{"community": rng.choice("ABC")}}, {{"$set": {{"sort_key": str(rng.random())}},
                                                           "$push": {{"tags": "z"}}}})
    things.delete_many({{"tags": rng.choice("abcdef"), "community": rng.choice("ABC")}})
    n += 1
    print(n, flush=True)
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_during_writes_leaves_documents_and_index_entries_together(tmp_path, seed):
    path = tmp_path / "store"
    writer = subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), path=str(path), seed=seed)],
                              stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(5 + seed * 3):          # let it write a while, then kill it mid-way
            assert writer.stdout.readline(), "the writer died"
        time.sleep(0.01 * seed)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    assert embedded_store.check(path) == []
    client = client_of(path)
    things = client["db"]["things"]
    everything = list(things.find())
    assert everything, "the writer wrote something before it was killed"
    for community in "ABC":
        by_scan = [d["_id"] for d in everything if d["community"] == community]
        assert things.count_documents({"community": community}) == len(by_scan)
        assert sorted(d["_id"] for d in things.find({"community": community})) == sorted(by_scan)
    things.insert_one({"community": "A", "sort_key": "after", "tags": [], "when": None})  # writable
    assert embedded_store.check(path) == []
    client.close()


def test_check_finds_an_index_entry_without_its_document(tmp_path):
    import sqlite3

    client = client_of(tmp_path / "store")
    things = client["db"]["things"]
    things.create_index([("community", 1)])
    things.insert_many([{"community": "A"}, {"community": "B"}])
    client.close()
    conn = sqlite3.connect(str(tmp_path / "store" / "db" / "things"))
    conn.execute("DELETE FROM documents WHERE rowid = (SELECT max(rowid) FROM documents)")
    conn.commit()
    conn.close()
    assert embedded_store.check(tmp_path / "store")


def dump(db):
    """Every document of every collection, in natural order, and every GridFS file's bytes."""
    import gridfs

    collections = {name: list(db[name].find()) for name in sorted(db.list_collection_names())}
    files = {}
    for prefix in {name.rsplit(".", 1)[0] for name in collections if name.endswith(".files")}:
        bucket = gridfs.GridFS(db, collection=prefix)
        files |= {(prefix, f["_id"]): bucket.get(f["_id"]).read() for f in db[f"{prefix}.files"].find()}
    return collections, files


def test_backup_and_restore_round_trip_every_collection_and_file(tmp_path, monkeypatch):
    from app import create_app
    from app.config import Config

    monkeypatch.setenv("DEMO_PASSWORD", "round-trip-password")
    config = Config()
    config.MONGODB_URI = str(tmp_path / "data")
    app = create_app(config)
    try:
        with app.app_context():
            from seed import run
            run((20, 10))
        db = app.extensions["estate_db"]
        before = dump(db)
        assert before[1], "the demo data has GridFS files (attachments, photos)"
        assert len(before[0]) > 15
        runner = app.test_cli_runner()
        result = runner.invoke(args=["backup", str(tmp_path / "backup")])
        assert result.exit_code == 0, result.output
        # the store moves on: a collection emptied, a file replaced, a new collection
        db["households"].delete_many({})
        prefix, file_id = next(iter(before[1]))
        import gridfs
        gridfs.GridFS(db, collection=prefix).delete(file_id)
        db["scratch"].insert_one({"x": 1})
        assert dump(db) != before
        result = runner.invoke(args=["restore", str(tmp_path / "backup"), "--yes"])
        assert result.exit_code == 0, result.output
        after = dump(db)
        assert after[1] == before[1]
        assert {k: v for k, v in after[0].items() if k != "scratch"} == before[0]
        assert after[0].get("scratch", []) == []
        assert embedded_store.check(tmp_path / "data") == []
        assert embedded_store.check(tmp_path / "backup") == []
    finally:
        from mongoengine.connection import disconnect_all
        disconnect_all()


def test_backup_refuses_a_non_empty_target_and_mongodb(tmp_path):
    from app.database import backup

    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    (tmp_path / "data" / "db").mkdir(parents=True)
    with pytest.raises(ValueError):
        backup(str(tmp_path / "data"), str(tmp_path / "full"))
    with pytest.raises(ValueError, match="mongodump"):
        backup("mongodb://db1/estate", str(tmp_path / "b"))


def test_a_backup_taken_during_writes_is_consistent(tmp_path):
    client = client_of(tmp_path / "store")
    things = client["db"]["things"]
    things.create_index([("k", 1)])
    stop = threading.Event()

    def write():
        n = 0
        while not stop.is_set():
            things.insert_one({"k": str(n), "_id": ObjectId()})
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.2)
    try:
        embedded_store.backup(tmp_path / "store", tmp_path / "backup")
    finally:
        stop.set()
        writer.join()
    client.close()
    assert embedded_store.check(tmp_path / "backup") == []
    copy = client_of(tmp_path / "backup")
    assert copy["db"]["things"].count_documents({}) == len(list(copy["db"]["things"].find())) > 0
    copy.close()


COUNTER = """
import sys
sys.path.insert(0, {root!r})
import litemongo
from app import embedded_store
things = litemongo.MongoClient(embedded_store.new_server_store({path!r}))["db"]["things"]
for _ in range(150):
    things.update_one({{"_id": "counter"}}, {{"$inc": {{"n": 1}}}})
    doc = things.find_one_and_update({{"_id": "ticket", "state": "open"}}, {{"$set": {{"state": "taken"}}}})
    if doc is not None:
        print("took the ticket")
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    """Read-modify-write operations run under SQLite's write lock: safe between processes too."""
    path = tmp_path / "store"
    client = client_of(path)
    things = client["db"]["things"]
    things.insert_many([{"_id": "counter", "n": 0}, {"_id": "ticket", "state": "open"}])
    code = COUNTER.format(root=str(ROOT), path=str(path))
    workers = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
               for _ in range(2)]
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert things.find_one({"_id": "counter"})["n"] == 300
    assert sum(out.count("took the ticket") for out in outputs) == 1
    client.close()
