#!/usr/bin/env python3
"""Turns the SK (symmetric-key) part of the e4go reference vectors into C
arrays for the test firmware (tests/mcu/), at build time.

Every vector becomes a short program of operations (struct mv_op, see
mcu_vectors.h) on one SK client, replayed by firmware.c exactly as the host
tests replay them (tests/unit/test_vectors_*.c): hashes, AES-SIV, SK
messages, commands, the negative SK cases, key transition and the library
cross-checks. Reference error texts map to e4_err as in vectors_util.h.

usage: gen_vectors.py VECTORS.json OUT.c
"""
import hashlib
import json
import sys

ERRORS = [  # (test, e4_err name): the mapping of vu_map_error
    (lambda s: s == "ok", "E4_OK"),
    (lambda s: s == "siv: authentication failed", "E4_ERR_NOT_AUTHENTIC"),
    (lambda s: s in ("ciphertext too short", "too short ciphertext",
                     "invalid length of protected message"), "E4_ERR_TOO_SHORT"),
    (lambda s: s == "topic key not found", "E4_ERR_TOPIC_KEY_NOT_FOUND"),
    (lambda s: s == "timestamp too old", "E4_ERR_TIMESTAMP_TOO_OLD"),
    (lambda s: s == "timestamp received is in the future", "E4_ERR_TIMESTAMP_IN_FUTURE"),
    (lambda s: s == "invalid command", "E4_ERR_INVALID_COMMAND"),
    (lambda s: s == "this operation is not supported", "E4_ERR_UNSUPPORTED_COMMAND"),
    (lambda s: "all zeros" in s, "E4_ERR_ZERO_KEY"),
    (lambda s: s.startswith("invalid ") and " length" in s, "E4_ERR_INVALID_ARG_LENGTH"),
]


def err(text):
    for test, name in ERRORS:
        if test(text):
            return name
    raise SystemExit("gen_vectors: unmapped reference error %r" % text)


def cmd_result(text):
    """A command that the reference accepts is E4_COMMAND for unprotect."""
    name = err(text)
    return "E4_COMMAND" if name == "E4_OK" else name


class Out:
    def __init__(self):
        self.blobs = {}   # bytes -> C name
        self.lines = []
        self.ops = []

    def blob(self, data, nul=False):
        data = bytes(data) + (b"\0" if nul else b"")
        if not data:
            return "NULL"
        if data not in self.blobs:
            name = "b%d" % len(self.blobs)
            self.blobs[data] = name
            body = ",".join("0x%02x" % c for c in data)
            self.lines.append("static const uint8_t %s[%d] = {%s};" % (name, len(data), body))
        return self.blobs[data]

    def op(self, kind, name, want="E4_OK", now=0, a=b"", b=b"", c=b"", d=b"", a_str=False):
        """a: topic, key or input (a_str: a NUL-terminated string); b: the
        message or plaintext; c: the expected output; d: an extra key."""
        fields = []
        for v, s in ((a, a_str), (b, False), (c, False), (d, False)):
            if v is None:
                fields.append("NULL, 0")
            else:
                fields.append("%s, %d" % (self.blob(v, nul=s), len(v)))
        self.ops.append('{%s, %s, %s, %dULL, "%s", %s}' % (
            kind, want, "1" if c is not None and len(c) else "0", now, name, ", ".join(fields)))


def hx(s):
    return bytes.fromhex(s)


def le64(b):
    return int.from_bytes(b[:8], "little")


def dummy_key(label):
    """Keys the vectors leave random (a client's own key when only topic
    keys matter): fixed here, derived from the entry name."""
    return hashlib.sha3_256(b"e4-mcu-dummy:" + label.encode()).digest()


def new_client(o, name, cid=None, key=None):
    cid = cid if cid is not None else dummy_key("id" + name)[:16]
    key = key if key is not None else dummy_key("key" + name)
    o.op("MV_NEW_CLIENT", name, a=cid, b=key)
    return cid, key


def control_topic(cid):
    return ("e4/" + cid.hex()).encode()


def hashes(o, v):
    for e in v["sha3_256"]:
        o.op("MV_HASH", "sha3_256/%d" % e["input_len"], a=hx(e["input"]), c=hx(e["sha3_256"]))
    for e in v["topic_hash"]:
        t = hx(e["topic_hex"])
        o.op("MV_HASH", "topic_hash/%d" % len(t), a=t, c=hx(e["sha3_256_full"]))
        o.op("MV_HASH", "hash_of_hash/%d" % len(t), a=hx(e["hash"]), c=hx(e["hash_of_hash"]))
        if t and b"\0" not in t:
            o.op("MV_TOPIC_HASH", "e4_hash_topic/%d" % len(t), a=t, a_str=True, c=hx(e["hash"]))
    for e in v["id_alias"]:
        n = hx(e["name_hex"])
        o.op("MV_HASH", "id_alias/" + e["name"][:24], a=n, c=hx(e["id"]))


def siv(o, v):
    for e in v["aes_siv"]:
        o.op("MV_SIV", e["name"], a=hx(e["key"]), b=hx(e["plaintext"]), c=hx(e["output"]),
             d=hx(e["ad"]))


def symkey_messages(o, v):
    for e in v["symkey_message"]:
        n, key, pt, prot = e["name"], hx(e["topic_key"]), hx(e["plaintext"]), hx(e["protected"])
        topic, ts = e["topic"].encode(), le64(hx(e["timestamp_le"]))
        o.op("MV_SK_PROTECT", n, now=ts, a=key, b=pt, c=prot)
        new_client(o, n)
        o.op("MV_SET_TOPIC", n, now=ts, a=topic, a_str=True, b=key)
        o.op("MV_PROTECT", n, now=ts, a=topic, a_str=True, b=pt, c=prot)
        now, want = ts, ("E4_ERR_TOO_SHORT" if not pt else "E4_OK")
        if e["source"] == "e4go_client_live":
            now, want = int(e["e4go_unprotect_now"]), err(e["e4go_unprotect_result"])
        o.op("MV_UNPROTECT", n, want, now, a=topic, a_str=True, b=prot, c=pt)
        o.op("MV_SK_UNPROTECT", n, want, now, a=key, b=prot, c=pt)


def negative(o, v):
    for e in v["negative"]:
        n, kind, prot = e["name"], e["kind"], hx(e["protected"])
        if kind == "symkey_message":
            key, pt, now = hx(e["topic_key"]), hx(e["plaintext"]), int(e["now"])
            new_client(o, n)
            o.op("MV_SET_TOPIC", n, now=now, a=e["client_topic"].encode(), a_str=True, b=key)
            o.op("MV_UNPROTECT", n, err(e["expected_error"]), now, a=e["topic"].encode(),
                 a_str=True, b=prot, c=pt)
            if "decrypt_error" in e:
                o.op("MV_DECRYPT", n, err(e["decrypt_error"]), a=key, b=prot, c=pt)
        elif kind == "symkey_message_fixed":
            key, pt, want = hx(e["topic_key"]), hx(e["plaintext"]), err(e["expected_error"])
            o.op("MV_DECRYPT", n, want, a=key, b=prot, c=pt)
            if "decrypt_error" in e:
                o.op("MV_DECRYPT", n, err(e["decrypt_error"]), a=key, b=prot, c=pt)
            if len(prot) >= 8:
                w2 = "E4_ERR_TOO_SHORT" if want == "E4_ERR_TOO_SHORT" or len(prot) <= 24 else want
                o.op("MV_SK_UNPROTECT", n, w2, le64(prot), a=key, b=prot, c=pt)
        elif kind == "symkey_command":
            cid, key, now = hx(e["client_id"]), hx(e["client_key"]), int(e["now"])
            assert control_topic(cid) == e["receiving_topic"].encode()
            new_client(o, n, cid, key)
            o.op("MV_UNPROTECT", n, cmd_result(e["expected_error"]), now, a=control_topic(cid),
                 a_str=True, b=prot)
            # a refused command changed nothing: the client key still works
            o.op("MV_PROBE_COMMAND", n, "E4_COMMAND", now, a=key)


def commands(o, v):
    t1, t2 = b"vectors/precondition/one", b"vectors/precondition/two"
    for e in v["commands"]:
        n, sk, op = e["name"], e["symkey"], int(e["opcode"])
        cmd, args = hx(e["command_bytes"]), e["args"]
        cid, key, prot = hx(sk["client_id"]), hx(sk["client_key"]), hx(sk["protected"])
        now = le64(hx(sk["timestamp_le"]))
        o.op("MV_SK_PROTECT", n, now=now, a=key, b=cmd, c=prot)
        new_client(o, n, cid, key)
        k1, k2 = dummy_key("k1" + n), dummy_key("k2" + n)
        topic = args["topic"].encode() if op == 0 else t1
        if op in (0, 1):
            o.op("MV_SET_TOPIC", n, now=now, a=topic, a_str=True, b=k1)
        if op == 1:
            o.op("MV_SET_TOPIC", n, now=now, a=t2, a_str=True, b=k2)
        o.op("MV_UNPROTECT", n, cmd_result(e["e4go_apply"]["symkey_client_result"]), now,
             a=control_topic(cid), a_str=True, b=prot)
        if op == 0:
            o.op("MV_PROTECT", n, "E4_ERR_TOPIC_KEY_NOT_FOUND", now, a=topic, a_str=True, b=b"x")
            o.op("MV_TOPIC_COUNT", n, now=0)
        elif op == 1:
            o.op("MV_PROTECT", n, "E4_ERR_TOPIC_KEY_NOT_FOUND", now, a=t1, a_str=True, b=b"x")
            o.op("MV_PROTECT", n, "E4_ERR_TOPIC_KEY_NOT_FOUND", now, a=t2, a_str=True, b=b"x")
        elif op == 2 and len(cmd) == 33:  # accepted: the new key protects commands
            o.op("MV_PROBE_COMMAND", n, "E4_ERR_NOT_AUTHENTIC", now, a=key)
            o.op("MV_PROBE_COMMAND", n, "E4_COMMAND", now, a=cmd[1:33])
        elif op == 2:
            o.op("MV_PROBE_COMMAND", n, "E4_COMMAND", now, a=key)
        elif op == 3:  # stored: a message protected now opens with the new key
            o.op("MV_PROTECT", n, "E4_OK", now, a=args["topic"].encode(), a_str=True,
                 b=b"after SetTopicKey", d=cmd[1:33])
        else:  # pubkey-only commands: refused, nothing changed
            o.op("MV_TOPIC_COUNT", n, now=0)


def transition(o, v):
    for i, e in enumerate(v["key_transition"]):
        if e["mode"] != "symkey":
            continue
        cid, key = hx(e["client_id"]), hx(e["client_key"])
        rt = e["receiving_topic"].encode()
        assert rt == control_topic(cid)
        new_client(o, "key_transition[%d]" % i, cid, key)
        for st in e["steps"]:
            n = "key_transition[%d] step %d" % (i, st["step"])
            prot, now, act = hx(st["protected"]), int(st["now"]), st["action"]
            if act == "apply_command":
                o.op("MV_UNPROTECT", n, cmd_result(st["result"]), now, a=rt, a_str=True, b=prot)
            elif act == "unprotect":
                pt = hx(st["plaintext"]) if st["result"] == "ok" else b""
                o.op("MV_UNPROTECT", n, err(st["result"]), now, a=st["topic"].encode(),
                     a_str=True, b=prot, c=pt)
            else:
                o.op("MV_PROTECT", n, err(st["result"]), now, a=st["topic"].encode(), a_str=True,
                     b=hx(st["plaintext_in"]), c=prot, d=hx(e["keys"][st["encrypted_with"]]))


def crosscheck(o, v):
    for i, e in enumerate(v["library_crosscheck"]):
        kind, n = e["kind"], "library_crosscheck[%d]" % i
        if kind.startswith("pubkey client."):
            continue  # public-key mode
        lib, pt = hx(e["library_output"]), hx(e["plaintext"])
        ts = le64(lib)
        o.op("MV_SK_PROTECT", n, now=ts, a=hx(e["key"]), b=pt, c=lib)
        if kind == "symkey client.ProtectMessage":
            new_client(o, n, hx(e["client_id"]))
            topic = e["topic"].encode()
            o.op("MV_SET_TOPIC", n, now=ts, a=topic, a_str=True, b=hx(e["key"]))
            o.op("MV_PROTECT", n, now=ts, a=topic, a_str=True, b=pt, c=lib)


def main():
    v = json.load(open(sys.argv[1]))
    o = Out()
    for section in (hashes, siv, symkey_messages, negative, commands, transition, crosscheck):
        section(o, v)
    with open(sys.argv[2], "w") as f:
        f.write("/* Generated by tests/mcu/gen_vectors.py from %s: do not edit. */\n"
                % sys.argv[1].split("/")[-1])
        f.write('#include "mcu_vectors.h"\n\n')
        f.write("\n".join(o.lines))
        f.write("\n\nconst mv_op mv_ops[] = {\n    ")
        f.write(",\n    ".join(o.ops))
        f.write("\n};\nconst unsigned mv_op_count = %d;\n" % len(o.ops))


if __name__ == "__main__":
    main()
