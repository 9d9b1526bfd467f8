#!/usr/bin/python3
"""A disk with a volatile write cache, for the VM test's power cuts: an NBD server (fixed newstyle
handshake, NBD_OPT_GO / EXPORT_NAME, simple replies only) in front of an image file.

WRITE is acknowledged into a per-sector cache that READ sees; FLUSH writes the whole cache to the image;
a write with FUA goes to the image at once. When the connection ends without a flush (qemu was killed:
the power cut), each unflushed 512-byte sector reaches the image only with probability KEEP (seeded), so
a write the guest did not flush is lost or torn, as on an SD card that loses power.

Usage: nbd-cache-disk.py IMAGE SOCKET SEED [KEEP]
Serves one connection, then prints one JSON line of counts and exits.
Protocol: the NBD protocol document (doc/proto.md of the NBD project): magics, option and command codes.
"""
import json
import os
import random
import socket
import struct
import sys

NBDMAGIC = b"NBDMAGIC"
IHAVEOPT = 0x49484156454F5054
REPLY_MAGIC_OPT = 0x3E889045565A9
REQUEST_MAGIC = 0x25609513
SIMPLE_REPLY_MAGIC = 0x67446698
FLAG_FIXED_NEWSTYLE, FLAG_NO_ZEROES = 1, 2
OPT_EXPORT_NAME, OPT_ABORT, OPT_INFO, OPT_GO = 1, 2, 6, 7
REP_ACK, REP_INFO, REP_ERR_UNSUP = 1, 3, (1 << 31) + 1
INFO_EXPORT = 0
TFLAG_HAS_FLAGS, TFLAG_SEND_FLUSH, TFLAG_SEND_FUA = 1, 4, 8
CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH = 0, 1, 2, 3
CMD_FLAG_FUA = 1
EINVAL = 22
SECTOR = 512


def recv_exact(conn, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


class CachedDisk:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR)
        self.size = os.fstat(self.fd).st_size
        self.cache = {}  # sector -> 512 bytes, not yet on the image
        self.stats = {"writes": 0, "flushes": 0, "fua": 0, "flushed_sectors": 0}

    def _sector(self, s):
        return self.cache.get(s) or os.pread(self.fd, SECTOR, s * SECTOR).ljust(SECTOR, b"\0")

    def read(self, off, length):
        first, last = off // SECTOR, (off + length - 1) // SECTOR
        data = b"".join(self._sector(s) for s in range(first, last + 1))
        start = off - first * SECTOR
        return data[start:start + length]

    def write(self, off, data, fua):
        self.stats["writes"] += 1
        first, last = off // SECTOR, (off + len(data) - 1) // SECTOR
        for s in range(first, last + 1):
            lo = max(off, s * SECTOR)
            hi = min(off + len(data), (s + 1) * SECTOR)
            sec = bytearray(self._sector(s))
            sec[lo - s * SECTOR:hi - s * SECTOR] = data[lo - off:hi - off]
            if fua:
                os.pwrite(self.fd, bytes(sec), s * SECTOR)
                self.cache.pop(s, None)
            else:
                self.cache[s] = bytes(sec)
        if fua:
            self.stats["fua"] += 1

    def flush(self):
        self.stats["flushes"] += 1
        self.stats["flushed_sectors"] += len(self.cache)
        for s, sec in self.cache.items():
            os.pwrite(self.fd, sec, s * SECTOR)
        self.cache.clear()
        os.fsync(self.fd)

    def power_cut(self, rnd, keep):
        kept = 0
        for s in sorted(self.cache):
            if rnd.random() < keep:
                os.pwrite(self.fd, self.cache[s], s * SECTOR)
                kept += 1
        self.stats["unflushed_at_cut"] = len(self.cache)
        self.stats["kept"] = kept
        self.stats["dropped"] = len(self.cache) - kept
        self.cache.clear()
        os.fsync(self.fd)


def handshake(conn, disk):
    conn.sendall(NBDMAGIC + struct.pack(">QH", IHAVEOPT, FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES))
    (cflags,) = struct.unpack(">I", recv_exact(conn, 4))
    tflags = TFLAG_HAS_FLAGS | TFLAG_SEND_FLUSH | TFLAG_SEND_FUA
    while True:
        magic, opt, length = struct.unpack(">QII", recv_exact(conn, 16))
        if magic != IHAVEOPT:
            raise EOFError
        data = recv_exact(conn, length) if length else b""

        def reply(rtype, payload=b""):
            conn.sendall(struct.pack(">QIII", REPLY_MAGIC_OPT, opt, rtype, len(payload)) + payload)

        if opt == OPT_EXPORT_NAME:
            conn.sendall(struct.pack(">QH", disk.size, tflags) + (b"" if cflags & FLAG_NO_ZEROES else b"\0" * 124))
            return
        if opt in (OPT_INFO, OPT_GO):
            reply(REP_INFO, struct.pack(">HQH", INFO_EXPORT, disk.size, tflags))
            reply(REP_ACK)
            if opt == OPT_GO:
                return
        elif opt == OPT_ABORT:
            reply(REP_ACK)
            raise EOFError
        else:  # structured replies, meta contexts, lists: not offered
            reply(REP_ERR_UNSUP)


def serve(conn, disk):
    handshake(conn, disk)
    while True:
        magic, flags, cmd, handle, off, length = struct.unpack(">IHHQQI", recv_exact(conn, 28))
        if magic != REQUEST_MAGIC:
            return
        if cmd == CMD_READ:
            conn.sendall(struct.pack(">IIQ", SIMPLE_REPLY_MAGIC, 0, handle) + disk.read(off, length))
        elif cmd == CMD_WRITE:
            disk.write(off, recv_exact(conn, length), flags & CMD_FLAG_FUA)
            conn.sendall(struct.pack(">IIQ", SIMPLE_REPLY_MAGIC, 0, handle))
        elif cmd == CMD_FLUSH:
            disk.flush()
            conn.sendall(struct.pack(">IIQ", SIMPLE_REPLY_MAGIC, 0, handle))
        elif cmd == CMD_DISC:
            return
        else:
            conn.sendall(struct.pack(">IIQ", SIMPLE_REPLY_MAGIC, EINVAL, handle))


def main():
    image, sock_path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    keep = float(sys.argv[4]) if len(sys.argv) > 4 else 0.5
    disk = CachedDisk(image)
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    print("listening", flush=True)
    conn, _ = srv.accept()
    try:
        serve(conn, disk)
    except (EOFError, ConnectionError):
        pass
    # Whatever is still in the cache was never flushed: the power is gone now.
    disk.power_cut(random.Random(seed), keep)
    print(json.dumps(disk.stats), flush=True)


if __name__ == "__main__":
    main()
