#!/usr/bin/env python3
"""Misbehaving TCP servers for the mqttinfo tests.

usage: fake_server.py MODE PORT[,PORT...] [HOST]
  silent      accept connections, read everything, never answer
  garbage     answer whatever arrives with an HTTP error page
  close       accept and close at once
  v5close     a minimal 3.1.1-only broker: CONNACK 0 to a 3.1.1 CONNECT, PINGRESP to
              PINGREQ, nothing else; closes the socket on a 5.0 CONNECT
  v5silent    same, but never answers a 5.0 CONNECT
  flood       CONNACK (of the CONNECT's version) to every CONNECT, then an endless
              stream of PUBLISH packets ($SYS/... and other topics); answers
              nothing but SUBSCRIBE
  subflood    the same, but the stream starts after the first SUBACK (so that
              the SUBACK of $SYS/# is never queued behind megabytes of data)
  broker      a minimal broker for both versions: PUBACK, PUBREC/PUBCOMP, SUBACK,
              PINGRESP, delivery of QoS 0/1 publishes to exact or '#' subscribers
  bigsys      the broker, publishing 200 $SYS topics with long names on a
              subscription to $SYS/# (results of more than 8 KB)
  v5dupprops, v5unknownprop, v5overlongprops
              the broker, but its 5.0 CONNACK carries a duplicate Maximum QoS,
              an unknown property id, or a property length past the packet end
  qos2close   the broker, but it closes the connection on a QoS 2 PUBLISH
  qos2reset   the same, with a TCP reset
  qos2puback  the broker, but it answers a QoS 2 PUBLISH with a PUBACK (QoS
              downgraded, as RabbitMQ does) and 5.0 with a DISCONNECT 0x9B
  silentdns   UDP and TCP listeners (port 53 in the DNS test) that read every
              query and never answer
  wsnul       an HTTP server whose answer to a WebSocket upgrade is a 403
              with a NUL byte in a header; keeps the connection open
Listens on 127.0.0.1 (or the address given as third argument, e.g. ::1); runs
until killed.
"""
import socket
import struct
import sys
import threading

from mini_broker import MiniBroker, read_packet


CANNED = {
    "garbage": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    "wsnul": b"HTTP/1.1 403 Forbidden\r\nX-Junk: a\x00b\r\nContent-Length: 0\r\n\r\n",
}


def serve(conn, mode):
    try:
        if mode == "close":
            return
        if mode == "silent":
            while conn.recv(4096):
                pass
            return
        if mode in CANNED:  # one answer to whatever arrives, then silence
            if conn.recv(4096):
                conn.sendall(CANNED[mode])
            while conn.recv(4096):
                pass
            return
        if mode in MiniBroker.MODES:
            MiniBroker(conn, mode).run()
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


def silent_udp(host, port):
    udp = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((host, port))
    while True:
        udp.recvfrom(4096)


def listen(host, port, mode):
    srv = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(128)
    return srv


def accept_loop(srv, mode):
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


def main():
    mode, ports = sys.argv[1], [int(p) for p in sys.argv[2].split(",")]
    host = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    if mode == "silentdns":
        threading.Thread(target=silent_udp, args=(host, ports[0]), daemon=True).start()
        mode = "silent"
    servers = [listen(host, port, mode) for port in ports]
    print("ready", flush=True)
    for srv in servers[1:]:
        threading.Thread(target=accept_loop, args=(srv, mode), daemon=True).start()
    accept_loop(servers[0], mode)


if __name__ == "__main__":
    main()
