"""Real local endpoints for the channels: an SMTP server, a Web Push service, FCM's HTTP seam."""

from __future__ import annotations

import base64
import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpInbox:
    """aiosmtpd handler keeping every received message."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        self.arrived.set()
        return "250 OK"


class LocalSmtpServer:
    def __init__(self):
        self.inbox = SmtpInbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class BrowserKeys:
    """What a browser creates when it subscribes: a P-256 key pair and an auth secret."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.p256dh = b64url(self.private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
        self.auth_secret = b"0123456789abcdef"
        self.auth = b64url(self.auth_secret)


class PushService:
    """A local Web Push endpoint recording each POST (headers and encrypted body)."""

    def __init__(self, status: int = 201):
        received = self.received = []
        self.arrived = threading.Event()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, self.headers, body))  # case-insensitive
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                service.arrived.set()

            def log_message(self, *args):
                pass

        self.status = status
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class FakeFcmAdapter(requests.adapters.BaseAdapter):
    """Stands in for fcm.googleapis.com at firebase-admin's requests seam."""

    def __init__(self, status: int = 200, error_code: str | None = None):
        super().__init__()
        self.status, self.error_code, self.requests = status, error_code, []

    def send(self, request, **kwargs):
        self.requests.append(request)
        response = requests.Response()
        response.status_code = self.status
        response.url = request.url
        response.request = request
        if self.status == 200:
            body = {"name": "projects/demo-project/messages/1"}
        else:
            body = {
                "error": {
                    "code": self.status,
                    "message": "Requested entity was not found.",
                    "status": "NOT_FOUND",
                    "details": [
                        {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": self.error_code}
                    ],
                }
            }
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        return response

    def close(self):
        pass
