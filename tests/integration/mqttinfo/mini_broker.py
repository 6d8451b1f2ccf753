"""A minimal MQTT broker (3.1.1 and 5.0) for fake_server.py, with switchable
misbehaviour. One MiniBroker per connection; subscriptions are shared by all
connections of the process (exact topic or '#', delivered at QoS 0)."""
import socket
import struct
import threading

SUBS_LOCK = threading.Lock()
SUBS = []  # [MiniBroker]

BAD_V5_PROPS = {
    # property length 4: Maximum QoS (0x24) twice
    "v5dupprops": b"\x04\x24\x01\x24\x01",
    # property length 2: id 0x7f does not exist
    "v5unknownprop": b"\x02\x7f\x00",
    # property length 10, but only 2 bytes of properties follow
    "v5overlongprops": b"\x0a\x24\x01",
}


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def packet(first, body):
    return bytes([first]) + varint(len(body)) + body


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


def skip_props(body, i):
    """Index after a 5.0 property block starting at i."""
    length, shift = 0, 0
    while True:
        b = body[i]
        i += 1
        length |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return i + length


def flood_chunks(level):
    """~600 KB of PUBLISH packets that the flood mode sends again and again
    (the client never waits for data), in chunks of whole packets so that a
    SUBACK can be sent between two chunks."""
    props = b"\x00" if level == 5 else b""
    packets = []
    for n in range(4096):
        topic = ("$SYS/flood/%s/%d" % ("t" * 40, n) if n % 2 else "flood/%d" % n).encode()
        packets.append(packet(0x30, struct.pack(">H", len(topic)) + topic + props + b"x" * 100))
    return [b"".join(packets[i:i + 64]) for i in range(0, len(packets), 64)]


FLOOD = {4: flood_chunks(4), 5: flood_chunks(5)}


class MiniBroker:
    MODES = ("broker", "bigsys", "flood", "subflood", "qos2close", "qos2reset",
             "qos2puback") + tuple(BAD_V5_PROPS)

    def __init__(self, conn, mode):
        self.conn, self.mode, self.level = conn, mode, 4
        self.filters = set()
        self.lock = threading.Lock()
        self.flooding = False  # then only the flood thread writes; others queue
        self.pending = []

    def send(self, data):
        with self.lock:
            if self.flooding:
                self.pending.append(data)
                return
            self.conn.sendall(data)

    def ack(self, ptype, pid):
        self.send(packet(ptype, struct.pack(">H", pid)))

    def on_connect(self, body):
        self.level = body[6] if len(body) > 6 else 4
        if self.level != 5:
            self.send(packet(0x20, b"\x00\x00"))
            return
        props = BAD_V5_PROPS.get(self.mode, b"\x00")
        self.send(packet(0x20, b"\x00\x00" + props))

    def deliver(self, topic, payload):
        with SUBS_LOCK:
            targets = [s for s in SUBS if topic in s.filters or "#" in s.filters]
        for s in targets:
            body = struct.pack(">H", len(topic)) + topic
            body += (b"\x00" if s.level == 5 else b"") + payload
            try:
                s.send(packet(0x30, body))
            except OSError:
                pass

    def on_publish(self, flags, body):
        """False when the connection must be closed."""
        qos = (flags >> 1) & 3
        if qos == 3:
            return False
        tl = struct.unpack(">H", body[:2])[0]
        topic, i = body[2:2 + tl], 2 + tl
        pid = struct.unpack(">H", body[i:i + 2])[0] if qos else 0
        i += 2 if qos else 0
        if self.level == 5:
            i = skip_props(body, i)
        if qos == 2 and self.mode == "qos2close":
            return False
        if qos == 2 and self.mode == "qos2reset":  # close with a TCP RST
            self.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if qos == 2 and self.mode == "qos2puback":
            if self.level == 5:
                self.send(packet(0xE0, b"\x9b\x00"))  # DISCONNECT: QoS not supported
                return False
            self.ack(0x40, pid)
            return True
        self.deliver(topic, body[i:])
        if qos:
            self.ack(0x40 if qos == 1 else 0x50, pid)
        return True

    def on_subscribe(self, body):
        pid = struct.unpack(">H", body[:2])[0]
        i = skip_props(body, 2) if self.level == 5 else 2
        codes = b""
        while i < len(body):
            fl = struct.unpack(">H", body[i:i + 2])[0]
            self.filters.add(body[i + 2:i + 2 + fl])
            i += 3 + fl
            codes += b"\x00"
        head = struct.pack(">H", pid) + (b"\x00" if self.level == 5 else b"")
        self.send(packet(0x90, head + codes))
        if self.mode == "bigsys" and b"$SYS/#" in self.filters:
            props = b"\x00" if self.level == 5 else b""
            for n in range(200):
                topic = b"$SYS/big/" + b"t" * 40 + b"/%d" % n
                self.send(packet(0x30, struct.pack(">H", len(topic)) + topic + props + b"1"))

    def flood(self):
        """Chunks of PUBLISH packets without end; answers queued by send()
        go out between two chunks."""
        try:
            while True:
                for chunk in FLOOD[self.level]:
                    with self.lock:
                        out, self.pending = b"".join(self.pending), []
                    self.conn.sendall(out + chunk)
        except OSError:
            pass

    def start_flood(self, kind):
        """flood: from the CONNACK on; subflood: from the first SUBACK on."""
        if kind == {"flood": 1, "subflood": 8}.get(self.mode) and not self.flooding:
            self.flooding = True
            threading.Thread(target=self.flood, daemon=True).start()

    def handle(self, ptype, body):
        """False when the connection ends."""
        kind = ptype >> 4
        if self.mode in ("flood", "subflood") and kind not in (1, 8):
            return True  # answers nothing but CONNECT and SUBSCRIBE
        if kind == 1:
            self.on_connect(body)
        elif kind == 3:
            return self.on_publish(ptype & 0x0F, body)
        elif kind == 6:  # PUBREL -> PUBCOMP
            self.ack(0x70, struct.unpack(">H", body[:2])[0])
        elif kind == 8:
            self.on_subscribe(body)
        elif kind == 12:
            self.send(bytes([0xD0, 0x00]))
        elif kind == 14:
            return False
        self.start_flood(kind)
        return True

    def run(self):
        with SUBS_LOCK:
            SUBS.append(self)
        try:
            while True:
                pkt = read_packet(self.conn)
                if pkt is None or not self.handle(*pkt):
                    return
        except (OSError, IndexError, struct.error):
            pass
        finally:
            with SUBS_LOCK:
                SUBS.remove(self)
