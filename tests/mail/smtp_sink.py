#!/usr/bin/env python3
"""An SMTP server for the mail tests: accepts every message on loopback and writes it into a
folder as NNNN.eml, with NNNN.json next to it holding what a test asserts on (envelope,
decoded headers, text parts and attachments).

    python3 tests/mail/smtp_sink.py --port 2525 --dir /tmp/mail

Prints "ready <port>" on standard output once it accepts connections; stops on SIGTERM.
Recipients in the domain refused.invalid are refused with 550 (a mailbox that does not exist).
"""

import argparse
import email
import email.policy
import json
import os
import signal
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A mailbox that does not exist: addresses in the reserved domain refused.invalid are
        # refused for good, as a real server refuses an unknown recipient.
        if address.lower().endswith("@refused.invalid"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            stem = os.path.join(self.folder, f"{self.count:04d}")
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for index, part in enumerate(message.walk()):
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or "utf-8"
            summary_part = {
                "content_type": part.get_content_type(),
                "params": {k: v for k, v in part.get_params() or [] if v},
                "filename": part.get_filename(),
                "text": payload.decode(charset, errors="replace"),
                "size": len(payload),
            }
            # Binary parts (the minutes' PDF) are also kept as they were sent, decoded.
            if part.get_content_maintype() != "text":
                path = f"{stem}-{index}.part"
                with open(path, "wb") as f:
                    f.write(payload)
                summary_part["path"] = path
            parts.append(summary_part)
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            # The header block as sent: it must be ASCII (non-ASCII text RFC 2047-encoded).
            "raw_headers": raw.split(b"\r\n\r\n", 1)[0].decode("latin-1"),
            "from": str(message["from"]),
            "to": str(message["to"]),
            "message_id": str(message["message-id"]),
            "parts": parts,
        }
        # The JSON is written first and the .eml last, under temporary names, so that a test
        # that sees an .eml also finds its JSON complete.
        with open(stem + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=1)
        os.replace(stem + ".json.tmp", stem + ".json")
        with open(stem + ".eml.tmp", "wb") as f:
            f.write(raw)
        os.replace(stem + ".eml.tmp", stem + ".eml")
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Sink(args.dir), hostname=args.host, port=args.port)
    controller.start()
    print(f"ready {args.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
