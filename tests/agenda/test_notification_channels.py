"""E-mail (a local SMTP server) and the group robot (a local HTTP server): one message per event and
channel, failures retried with a growing pause and shown as failed after the last try."""
import email
import email.policy
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

from app import clock
from documents.agenda import sweep
from documents.notifications import EMAIL, FAILED, MAX_ATTEMPTS, PENDING, ROBOT, SENT, Notification, deliver_due
from tests.services_support import freeze_shanghai, make_complaint, request_context, shanghai  # noqa: F401


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    with socket.socket() as probe:                      # a free port on the loopback address
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()


@pytest.fixture
def robot():
    received, answers = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            status, reply = answers.pop(0) if answers else (200, {"errcode": 0, "errmsg": "ok"})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(reply).encode())

        def log_message(self, *args):
            pass
    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/robot/send?key=test", received, answers
    server.shutdown()


def overdue_complaint(world):
    supervisor = world["staff"]["supervisor"]
    supervisor.email = "supervisor@example.com"
    supervisor.language = "zh_Hans_CN"
    supervisor.save()
    freeze_shanghai(2026, 11, 23, 9, 0)
    return make_complaint(world, complaint_class=1)


def test_an_escalation_is_mailed_once_in_the_recipients_language(world, app, smtp):
    complaint = overdue_complaint(world)
    with app.app_context():
        clock.freeze(shanghai(2026, 11, 23, 13, 30))
        sweep()
        sweep()
    assert len(smtp.messages) == 1
    to, content = smtp.messages[0]
    assert to == ["supervisor@example.com"]
    mail = email.message_from_string(content, policy=email.policy.default)
    body = mail.get_content()
    assert complaint.number in body and "已上报给您" in body and "2026-11-23 13:00" in body
    assert mail["Subject"].startswith("物业客服台")
    sent = Notification.objects(channel=EMAIL).get()
    assert sent.state == SENT and sent.attempts == 1


def test_the_group_robot_gets_a_text_message_and_a_failure_is_retried(world, app, robot):
    url, received, answers = robot
    world["A"].robot_webhook = url
    world["A"].save()
    complaint = overdue_complaint(world)
    answers.append((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    with app.app_context():
        clock.freeze(shanghai(2026, 11, 23, 13, 30))
        sweep()
        note = Notification.objects(channel=ROBOT).get()
        assert note.state == PENDING and "invalid webhook" in note.last_error and note.attempts == 1
        sweep()                                              # too early for the next try
        assert len(received) == 1
        clock.freeze(shanghai(2026, 11, 23, 13, 32))
        sweep()
    assert len(received) == 2
    assert received[1]["msgtype"] == "text" and complaint.number in received[1]["text"]["content"]
    assert Notification.objects(channel=ROBOT).get().state == SENT


def test_a_delivery_that_keeps_failing_is_marked_failed_for_the_manager(world, app):
    world["A"].robot_webhook = "http://127.0.0.1:9/nothing-listens-here"
    world["A"].save()
    overdue_complaint(world)
    with app.app_context():
        at = shanghai(2026, 11, 23, 13, 30)
        clock.freeze(at)
        sweep()
        for attempt in range(MAX_ATTEMPTS):
            at += timedelta(days=1)
            deliver_due(at)
    note = Notification.objects(channel=ROBOT).get()
    assert note.state == FAILED and note.attempts == MAX_ATTEMPTS and note.last_error
