#!/usr/bin/env python3
"""Independent cross-check of the malformed-packet checks (no mqttinfo code).

usage: raw_probe.py PORT VERSION KIND   (VERSION 4 or 5)
  qos3    PUBLISH with both QoS bits set
  utf8    PUBLISH QoS 1 to a topic containing \\xc3\\x28
  filter  SUBSCRIBE to 'A+'
  props   nothing: prints the 5.0 CONNACK's property ids in the order they
          came, "props:22,21" (hex)
Connects to 127.0.0.1:PORT (anonymously, or as RAWPROBE_USER with
RAWPROBE_PASSWORD), sends the packet and prints what the broker did:
"closed", "disconnect:0xNN" (plus " reason=TEXT" when a 5.0 DISCONNECT
carries a reason string), "ack:TYPE" (PUBACK/PUBREC), or "suback:0xNN";
"silent" if nothing happened within 2 s.
"""
import os
import socket
import sys


def enc_str(b):
    return len(b).to_bytes(2, "big") + b


def packet(first, body):
    n, rl = len(body), b""
    while True:
        d, n = n % 128, n // 128
        rl += bytes([d | (0x80 if n else 0)])
        if not n:
            break
    return bytes([first]) + rl + body


PROP_WIDTH = {0x01: 1, 0x02: 4, 0x11: 4, 0x13: 2, 0x17: 1, 0x18: 4, 0x19: 1, 0x21: 2,
              0x22: 2, 0x23: 2, 0x24: 1, 0x25: 1, 0x27: 4, 0x28: 1, 0x29: 1, 0x2A: 1}


def props_list(b):
    """(id, value) of a property block (after its length), in wire order."""
    out, i = [], 0
    while i < len(b):
        pid = b[i]
        i += 1
        if pid in PROP_WIDTH:
            w = PROP_WIDTH[pid]
            out.append((pid, b[i:i + w]))
            i += w
        else:  # strings and binary data: 2-byte length
            n = int.from_bytes(b[i:i + 2], "big")
            out.append((pid, b[i + 2:i + 2 + n]))
            i += 2 + n + (2 + int.from_bytes(b[i + 2 + n:i + 4 + n], "big") if pid == 0x26 else 0)
    return out


def prop_ids(b):
    n = b[0]  # property length (a one-byte varint in every CONNACK seen here)
    return [pid for pid, _ in props_list(b[1:1 + n])]


def reason(data):
    if len(data) < 4:
        return ""
    for pid, v in props_list(data[4:4 + data[3]]):
        if pid == 0x1F:
            return " reason=" + v.decode("utf-8", "replace")
    return ""


def main():
    port, version, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    props = b"\x00" if version == 5 else b""
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    cid = b"rawprobe%d%s" % (version, kind.encode())
    user, password = os.environ.get("RAWPROBE_USER"), os.environ.get("RAWPROBE_PASSWORD", "")
    flags, creds = 0x02, b""
    if user:
        flags, creds = 0xC2, enc_str(user.encode()) + enc_str(password.encode())
    s.sendall(packet(0x10, enc_str(b"MQTT") + bytes([version, flags, 0, 60]) + props + enc_str(cid) + creds))
    connack = s.recv(256)
    if not connack or connack[0] != 0x20:
        print("no-connack")
        return
    if kind == "props":
        print("props:" + ",".join("%02x" % i for i in prop_ids(connack[2 + (connack[1] > 127):][2:])))
        return
    if kind == "qos3":
        s.sendall(packet(0x36, enc_str(b"rawprobe/qos3") + b"\x00\x07" + props + b"x"))
    elif kind == "utf8":
        s.sendall(packet(0x32, enc_str(b"rawprobe/\xc3\x28") + b"\x00\x07" + props + b"x"))
    elif kind == "filter":
        s.sendall(packet(0x82, b"\x00\x07" + props + enc_str(b"A+") + b"\x00"))
    try:
        data = s.recv(64)
    except socket.timeout:
        print("silent")
        return
    except ConnectionResetError:
        print("closed")
        return
    if not data:
        print("closed")
    elif data[0] == 0xE0:
        print("disconnect:0x%02x%s" % (data[2] if len(data) > 2 else 0, reason(data)))
    elif data[0] >> 4 in (4, 5):
        print("ack:" + ("PUBACK" if data[0] >> 4 == 4 else "PUBREC"))
    elif data[0] >> 4 == 9:
        print("suback:0x%02x" % data[-1])
    else:
        print("other:0x%02x" % data[0])


if __name__ == "__main__":
    main()
