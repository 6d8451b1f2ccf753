#!/usr/bin/env python3
"""Misbehaving TCP servers for the mqttinfo tests.

usage: fake_server.py MODE PORT
  silent      accept connections, read everything, never answer
  garbage     answer whatever arrives with an HTTP error page
  close       accept and close at once
  v5close     a minimal 3.1.1-only broker: CONNACK 0 to a 3.1.1 CONNECT, PINGRESP to
              PINGREQ, nothing else; closes the socket on a 5.0 CONNECT
  v5silent    same, but never answers a 5.0 CONNECT
Listens on 127.0.0.1 only; runs until killed.
"""
import socket
import sys
import threading


def read_packet(conn):
    """One MQTT packet (type byte, body) or None at EOF."""
    head = conn.recv(1)
    if not head:
        return None
    length, shift = 0, 0
    while True:
        b = conn.recv(1)
        if not b:
            return None
        length |= (b[0] & 0x7F) << shift
        shift += 7
        if not b[0] & 0x80:
            break
    body = b""
    while len(body) < length:
        chunk = conn.recv(length - len(body))
        if not chunk:
            return None
        body += chunk
    return head[0], body


def serve(conn, mode):
    try:
        if mode == "close":
            return
        if mode == "silent":
            while conn.recv(4096):
                pass
            return
        if mode == "garbage":
            if conn.recv(4096):
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            while conn.recv(4096):
                pass
            return
        # v5close / v5silent: a tiny 3.1.1-only broker
        while True:
            pkt = read_packet(conn)
            if pkt is None:
                return
            ptype, body = pkt
            if ptype >> 4 == 1:  # CONNECT: 00 04 'MQTT' level
                level = body[6] if len(body) > 6 else 0
                if level == 5:
                    if mode == "v5close":
                        return
                    while conn.recv(4096):
                        pass
                    return
                conn.sendall(bytes([0x20, 0x02, 0x00, 0x00]))
            elif ptype >> 4 == 12:  # PINGREQ
                conn.sendall(bytes([0xD0, 0x00]))
            elif ptype >> 4 == 14:  # DISCONNECT
                return
    except OSError:
        pass
    finally:
        conn.close()


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(128)
    print("ready", flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    main()
