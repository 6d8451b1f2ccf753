#!/usr/bin/env python3
"""A hostile MQTT 3.1.1 broker for `e4 client` tests (issue 11, defect 13).

Usage: e4_hostile_broker.py PORT_FILE
Listens on a free loopback port (written to PORT_FILE), accepts one client:
CONNACK, then unsolicited SUBACKs for message ids 2..2000, then a SUBACK for
each SUBSCRIBE it receives; it never acknowledges a PUBLISH.
"""
import socket
import struct
import sys


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_packet(conn):
    first = read_exact(conn, 1)[0]
    length, mult = 0, 1
    while True:
        b = read_exact(conn, 1)[0]
        length += (b & 0x7F) * mult
        mult *= 128
        if not b & 0x80:
            break
    return first, read_exact(conn, length)


def suback(mid):
    return bytes([0x90, 3]) + struct.pack(">H", mid) + b"\x01"


def serve(conn):
    read_packet(conn)  # CONNECT
    conn.sendall(b"\x20\x02\x00\x00")
    conn.sendall(b"".join(suback(mid) for mid in range(2, 2001)))
    while True:
        first, body = read_packet(conn)
        if first & 0xF0 == 0x80:
            conn.sendall(suback(struct.unpack(">H", body[:2])[0]))
        elif first == 0xC0:
            conn.sendall(b"\xd0\x00")
        elif first == 0xE0:
            return


def main():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    while True:
        conn, _ = srv.accept()
        try:
            serve(conn)
        except (EOFError, OSError):
            pass
        conn.close()


if __name__ == "__main__":
    main()
