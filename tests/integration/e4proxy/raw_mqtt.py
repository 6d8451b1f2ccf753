#!/usr/bin/env python3
"""Hostile and odd MQTT clients for the e4proxy fault tests (raw sockets).

  raw_mqtt.py malformed PORT       CONNECT, then a PUBLISH with QoS 3
  raw_mqtt.py garbage PORT         bytes that are no CONNECT
  raw_mqtt.py oversized PORT SIZE  CONNECT, then a PUBLISH of SIZE bytes
  raw_mqtt.py midpacket PORT       CONNECT, then half a PUBLISH, then close
  raw_mqtt.py silent PORT KEEPALIVE
        connect with that keep-alive and send nothing: prints "closed after
        N s" when the connection ends (the broker's keep-alive check)
  raw_mqtt.py stall PORT TOPIC SECONDS
        subscribe to TOPIC and never read for SECONDS (a client that stops
        reading), then read for 2 s at most and report the bytes

Each prints what the proxy did: "closed" when it closed the connection,
"open" when it still answers a PINGREQ.
"""
import socket
import sys
import time


def varint(n):
    out = b""
    while True:
        b = n % 128
        n //= 128
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def string(s):
    b = s.encode()
    return len(b).to_bytes(2, "big") + b


def packet(first, body):
    return bytes([first]) + varint(len(body)) + body


def connect(cid, keepalive=60):
    return packet(0x10, string("MQTT") + bytes([4, 0x02]) + keepalive.to_bytes(2, "big") + string(cid))


def dial(port, cid, keepalive=60):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(connect(cid, keepalive))
    ack = s.recv(4)
    if ack[:1] != b"\x20":
        print("no CONNACK")
        sys.exit(1)
    return s


def state(s):
    """closed or open (answers PINGREQ)."""
    try:
        s.sendall(b"\xc0\x00")
        s.settimeout(3)
        data = s.recv(16)
        return "open" if data[:1] == b"\xd0" else "closed"
    except OSError:
        return "closed"


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "garbage":
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"\x10\x05GET /")
        print(state(s))
    elif mode == "malformed":
        s = dial(port, "raw-malformed")
        s.sendall(packet(0x36, string("a/b") + b"\x00\x01x"))  # QoS 3
        print(state(s))
    elif mode == "oversized":
        s = dial(port, "raw-oversized")
        s.sendall(packet(0x30, string("a/b") + b"x" * int(sys.argv[3])))
        print(state(s))
    elif mode == "midpacket":
        s = dial(port, "raw-midpacket")
        p = packet(0x30, string("a/b") + b"x" * 100)
        s.sendall(p[:40])
        s.close()
        print("closed")
    elif mode == "silent":
        s = dial(port, "raw-silent", int(sys.argv[3]))
        start = time.time()
        s.settimeout(30)
        try:
            while s.recv(16):
                pass
        except OSError:
            pass
        print("closed after %d s" % round(time.time() - start))
    elif mode == "stall":
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(connect("raw-stall"))
        s.recv(4)
        s.sendall(packet(0x82, (1).to_bytes(2, "big") + string(sys.argv[3]) + b"\x00"))
        time.sleep(float(sys.argv[4]))
        # then read for 2 s at most (what was waiting, not the whole flood)
        s.settimeout(0.5)
        total, end = 0, time.time() + 2
        try:
            while time.time() < end:
                d = s.recv(65536)
                if not d:
                    break
                total += len(d)
        except OSError:
            pass
        print("received", total)
    else:
        print("unknown mode", mode)
        sys.exit(2)


main()
