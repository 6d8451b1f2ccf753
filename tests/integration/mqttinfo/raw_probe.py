#!/usr/bin/env python3
"""Independent cross-check of the malformed-packet checks (no mqttinfo code).

usage: raw_probe.py PORT VERSION KIND   (VERSION 4 or 5)
  qos3    PUBLISH with both QoS bits set
  utf8    PUBLISH QoS 1 to a topic containing \\xc3\\x28
  filter  SUBSCRIBE to 'A+'
Connects anonymously to 127.0.0.1:PORT, sends the packet and prints what the
broker did: "closed", "disconnect:0xNN", "ack:TYPE" (PUBACK/PUBREC), or
"suback:0xNN"; "silent" if nothing happened within 2 s.
"""
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


def main():
    port, version, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    props = b"\x00" if version == 5 else b""
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    cid = b"rawprobe%d%s" % (version, kind.encode())
    s.sendall(packet(0x10, enc_str(b"MQTT") + bytes([version, 0x02, 0, 60]) + props + enc_str(cid)))
    connack = s.recv(64)
    if not connack or connack[0] != 0x20:
        print("no-connack")
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
        print("disconnect:0x%02x" % (data[2] if len(data) > 2 else 0))
    elif data[0] >> 4 in (4, 5):
        print("ack:" + ("PUBACK" if data[0] >> 4 == 4 else "PUBREC"))
    elif data[0] >> 4 == 9:
        print("suback:0x%02x" % data[-1])
    else:
        print("other:0x%02x" % data[0])


if __name__ == "__main__":
    main()
