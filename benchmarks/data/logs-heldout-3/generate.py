"""Generate the logs-heldout-3 corpus: six synthetic, labelled 2,000-line logs.

Standard library only. Every system uses its own fixed seed (SEED + offset), so running
``python3 generate.py`` from this folder rewrites all files byte-for-byte the same.
The script checks its own output and raises RuntimeError on any inconsistency.
"""

import csv
import datetime as dt
import random
import re
import uuid
from pathlib import Path

SEED = 73_311
LINES = 2000
OUT = Path(__file__).resolve().parent

HOSTS = [
    "alder", "birch", "cedar", "dogwood", "elm", "fir", "ginkgo", "hazel", "juniper",
    "larch", "maple", "oak", "pine", "rowan", "spruce", "willow", "yew", "aspen",
]  # fmt: skip
USERS = [
    "alice", "bruno", "chen", "dmitri", "elena", "farah", "gustavo", "hana", "ivan",
    "jomo", "kenji", "leila", "marta", "nadia", "oscar", "priya", "quentin", "rosa",
    "sven", "tomas", "ursula", "viktor", "wen", "yusuf", "zara",
]  # fmt: skip
APPS = ["billing", "orders", "catalog", "payments", "search", "inventory", "auth", "reports"]
WORDS = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "lambda", "theta"]


class Record:
    """One log record: a header+message first line plus optional continuation lines."""

    __slots__ = ("cont", "eid", "header", "message", "template")

    def __init__(self, header, eid, template, message, cont):
        self.header = header
        self.eid = eid
        self.template = template
        self.message = message
        self.cont = list(cont)

    def lines(self):
        return [self.header + self.message, *self.cont]


def fill(template, values):
    parts = template.split("<*>")
    if len(parts) - 1 != len(values):
        raise RuntimeError(f"{template!r}: expected {len(parts) - 1} values, got {len(values)}")
    out = [parts[0]]
    for value, part in zip(values, parts[1:], strict=False):
        text = str(value)
        if not text or "\n" in text or "\r" in text:
            raise RuntimeError(f"bad value {text!r} for {template!r}")
        out.append(text)
        out.append(part)
    return "".join(out)


def template_regex(template):
    return re.compile(".+".join(re.escape(p) for p in template.split("<*>")), re.DOTALL)


class Gen:
    """Collects the records of one system; event keys map to E1, E2, ... in declaration order."""

    def __init__(self, name, offset, events, start):
        self.name = name
        self.rng = random.Random(SEED + offset)
        self.tpl = {}
        self.eid = {}
        for key, template in events:
            if key in self.eid:
                raise RuntimeError(f"{name}: duplicate event key {key}")
            self.eid[key] = f"E{len(self.eid) + 1}"
            self.tpl[key] = template
        self.records = []
        self.nlines = 0
        self.limit = LINES  # add() refuses records that would pass this many lines
        self.now = start

    # --- time -----------------------------------------------------------------------------
    def tick(self, lo=0.0, hi=1.0):
        self.now += dt.timedelta(microseconds=int(self.rng.uniform(lo, hi) * 1_000_000))
        return self.now

    # --- records --------------------------------------------------------------------------
    def rec(self, header, key, *values, cont=()):
        template = self.tpl[key]
        return Record(header, self.eid[key], template, fill(template, values), cont)

    @property
    def full(self):
        return self.nlines >= LINES

    def add(self, *records):
        """Append the records if they all fit under self.limit; return whether they did."""
        size = sum(1 + len(r.cont) for r in records)
        if self.nlines + size > self.limit:
            return False
        self.records.extend(records)
        self.nlines += size
        return True

    # --- random values --------------------------------------------------------------------
    def pick(self, seq):
        return self.rng.choice(seq)

    def weighted(self, table):
        keys = list(table)
        return self.rng.choices(keys, weights=[table[k] for k in keys])[0]

    def ip(self, prefix="10.0"):
        r = self.rng
        return f"{prefix}.{r.randint(0, 31)}.{r.randint(2, 254)}"

    def port(self):
        return self.rng.randint(32768, 60999)

    def hexid(self, n):
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def b64(self, n):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def host(self):
        return self.pick(HOSTS) + "-" + self.pick(WORDS)

    def user(self):
        return self.pick(USERS)

    def sample(self, seq, lo, hi):
        return self.rng.sample(seq, self.rng.randint(lo, hi))

    # --- rare events ----------------------------------------------------------------------
    def schedule(self, counts, lo=150, hi=LINES - 60):
        """Spread rare events: each key gets counts[key] random line positions."""
        self.pending = sorted(
            (self.rng.randint(lo, hi), key) for key, n in counts.items() for _ in range(n)
        )

    def due(self):
        """Return the next scheduled rare event key whose position has been reached, or None."""
        if self.pending and self.pending[0][0] <= self.nlines:
            return self.pending.pop(0)[1]
        return None


# --- writing and self-check ---------------------------------------------------------------


def write_system(gen):
    if getattr(gen, "pending", None):
        raise RuntimeError(f"{gen.name}: scheduled rare events left over: {gen.pending}")
    if gen.nlines != LINES:
        raise RuntimeError(f"{gen.name}: {gen.nlines} lines, expected {LINES}")
    folder = OUT / gen.name
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"{gen.name}_2k.log"
    csv_path = folder / f"{gen.name}_2k.log_structured.csv"
    raw = []
    rows = []
    for record in gen.records:
        for line in record.lines():
            raw.append(line)
            rows.append((len(raw), record.eid, record.template))
    with open(log_path, "w", encoding="utf-8", newline="") as fh:
        fh.write("".join(line + "\n" for line in raw))
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["LineId", "EventId", "EventTemplate"])
        writer.writerows(rows)
    check_system(gen, log_path, csv_path)
    return summary(gen)


def check_system(gen, log_path, csv_path):
    def fail(msg):
        raise RuntimeError(f"{gen.name}: {msg}")

    data = log_path.read_bytes()
    if b"\r" in data:
        fail("carriage return in log")
    text = data.decode("utf-8")
    if not text.endswith("\n"):
        fail("log does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) != LINES:
        fail(f"log has {len(lines)} lines")
    if any(not line.strip() for line in lines):
        fail("empty line in log")
    with open(csv_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    if rows[0] != ["LineId", "EventId", "EventTemplate"]:
        fail("bad CSV header")
    rows = rows[1:]
    if len(rows) != LINES:
        fail(f"CSV has {len(rows)} rows")
    seen = {}
    for i, (line_id, eid, template) in enumerate(rows, 1):
        if line_id != str(i):
            fail(f"row {i} has LineId {line_id}")
        if not re.fullmatch(r"E[1-9][0-9]*", eid):
            fail(f"row {i} has EventId {eid}")
        if seen.setdefault(eid, template) != template:
            fail(f"{eid} has two templates")
    if set(seen) != set(gen.eid.values()):
        unused = sorted(set(gen.eid.values()) - set(seen), key=lambda e: int(e[1:]))
        fail(f"declared events never used: {unused}")
    pos = 0
    for record in gen.records:
        first = lines[pos]
        if first != record.header + record.message:
            fail(f"line {pos + 1} differs from its record")
        if rows[pos][1] != record.eid:
            fail(f"line {pos + 1} has the wrong EventId")
        if not template_regex(record.template).fullmatch(record.message):
            fail(f"line {pos + 1}: message does not match {record.template!r}")
        for k, cont in enumerate(record.cont, 1):
            if lines[pos + k] != cont or rows[pos + k][1] != record.eid:
                fail(f"continuation line {pos + k + 1} misaligned")
        pos += 1 + len(record.cont)
    if pos != LINES:
        fail("records do not cover the log")


def summary(gen):
    return {
        "system": gen.name,
        "events": len(gen.eid),
        "lines": gen.nlines,
        "records": len(gen.records),
        "continuation": sum(len(r.cont) for r in gen.records),
    }


# --- systems ------------------------------------------------------------------------------

# MongoDB 4.2 mongod, legacy text log: "<iso ts> <sev>  <COMPONENT> [<context>] <message>"

MONGO_EVENTS = [
    ("start", "MongoDB starting : pid=<*> port=<*> dbpath=<*> 64-bit host=<*>"),
    ("version", "db version v<*>"),
    ("git", "git version: <*>"),
    ("openssl", "OpenSSL version: <*>"),
    ("alloc", "allocator: <*>"),
    ("modules", "modules: <*>"),
    ("buildenv", "build environment:"),
    ("buildkv", "<*>: <*>"),
    ("options", "options: <*>"),
    ("detected", "Detected data files in <*> created by the '<*>' storage engine, so setting "
                 "the active storage engine to '<*>'."),
    ("wtopen", "wiredtiger_open config: <*>"),
    ("ftdc", "Initializing full-time diagnostic data capture with directory '<*>'"),
    ("listening", "Listening on <*>"),
    ("waiting", "Waiting for connections on port <*>"),
    ("transition", "transition to <*> from <*>"),
    ("accept", "connection accepted from <*> #<*> (<*> connections now open)"),
    ("metadata", "received client metadata from <*> <*>: <*>"),
    ("authok", "Successfully authenticated as principal <*> on <*> from client <*>"),
    ("authfail", "SASL <*> authentication failed for <*> on <*> from client <*> ; <*>: <*>"),
    ("end", "end connection <*> (<*> connections now open)"),
    ("slowcmd", "command <*> command: <*> <*> planSummary: <*> keysExamined:<*> docsExamined:<*> "
                "cursorExhausted:<*> numYields:<*> nreturned:<*> reslen:<*> locks:<*> "
                "storage:<*> protocol:op_msg <*>ms"),
    ("slowupd", "update <*> command: <*> planSummary: <*> keysExamined:<*> docsExamined:<*> "
                "nMatched:<*> nModified:<*> keysInserted:<*> keysDeleted:<*> numYields:<*> "
                "locks:<*> <*>ms"),
    ("checkpoint", "WiredTiger message <*>, WT_SESSION.checkpoint: Checkpoint ran for <*> "
                   "seconds and wrote: <*> pages (<*> MB)"),
    ("createcoll", "createCollection: <*> with generated UUID: <*> and options: <*>"),
    ("idxstart", "index build: starting on <*> properties: <*> using method: <*>"),
    ("idxdone", "index build: done building index <*> on ns <*>"),
    ("dropstart", "dropDatabase <*> - starting"),
    ("dropdone", "dropDatabase <*> - finished"),
    ("recverr", "Error receiving request from client: <*>: <*>. Ending connection from <*> "
                "(connection id: <*>)"),
    ("sessions", "Sessions collection is not set up; waiting until next sessions refresh "
                 "interval: <*>"),
    ("member", "Member <*> is now in state <*>"),
    ("syncsrc", "sync source candidate: <*>"),
    ("setparam", "successfully set parameter <*> to <*> (was <*>)"),
    ("slowstatus", "serverStatus was very slow: <*>"),
]  # fmt: skip

MONGO_COLLS = {
    "shop": ["orders", "customers", "carts", "products"],
    "telemetry": ["events", "sessions"],
    "cms": ["pages", "assets", "revisions"],
}
MONGO_FIELDS = ["status", "customer_id", "created_at", "sku", "region", "owner", "tags", "slug"]
MONGO_DRIVERS = [
    ("PyMongo", "3.12.3", "CPython 3.9.18.final.0"),
    ("nodejs", "4.17.1", "Node.js v18.18.2, LE (unified)"),
    ("mongo-java-driver|sync", "4.9.1", "Java/Eclipse Adoptium/17.0.8+7"),
    ("mongo-go-driver", "v1.12.1", "go1.21.3"),
]


def build_mongodb():
    start = dt.datetime(2023, 11, 14, 6, 2, 11, 120000)
    g = Gen("MongoDB", 100, MONGO_EVENTS, start)
    r = g.rng
    me = "db-" + g.pick(HOSTS)
    peers = [f"db-{h}:27017" for h in ("larch", "rowan", "spruce")]

    def hdr(sev, comp, ctx):
        ts = g.now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{g.now.microsecond // 1000:03d}+0000"
        return f"{ts} {sev}  {comp:<8} [{ctx}] "

    def ns():
        db = g.pick(list(MONGO_COLLS))
        return db, g.pick(MONGO_COLLS[db])

    def doc(n):
        return (
            "{ " + ", ".join(f"{f}: {r.randint(1, 9999)}" for f in r.sample(MONGO_FIELDS, n)) + " }"
        )

    def locks():
        kinds = r.sample(["Global", "Database", "Collection", "Mutex"], r.randint(2, 4))
        mode = g.pick(["r", "w"])
        return (
            "{ "
            + ", ".join(f"{k}: {{ acquireCount: {{ {mode}: {r.randint(1, 3)} }} }}" for k in kinds)
            + " }"
        )

    ini = "initandlisten"
    pid = r.randint(900, 4000)
    g.add(g.rec(hdr("I", "CONTROL", ini), "start", pid, 27017, "/var/lib/mongodb", me))
    for key, val in [
        ("version", "4.2.24"),
        ("git", "5e4ec1d24431fcdd28b579a024c5c801b8cde4e2"),
        ("openssl", "OpenSSL 1.1.1f  31 Mar 2020"),
        ("alloc", "tcmalloc"),
        ("modules", "none"),
    ]:
        g.tick(0, 0.002)
        g.add(g.rec(hdr("I", "CONTROL", ini), key, val))
    g.add(g.rec(hdr("I", "CONTROL", ini), "buildenv"))
    for k, v in [("distmod", "ubuntu1804"), ("distarch", "x86_64"), ("target_arch", "x86_64")]:
        # mongod indents these lines; the indentation is treated as part of the header
        g.add(g.rec(hdr("I", "CONTROL", ini) + "    ", "buildkv", k, v))
    opts = (
        '{ config: "/etc/mongod.conf", net: { bindIp: "0.0.0.0", port: 27017 }, '
        'replication: { replSetName: "rs0" }, security: { authorization: "enabled" }, '
        'storage: { dbPath: "/var/lib/mongodb", journal: { enabled: true } }, '
        'systemLog: { destination: "file", logAppend: true, path: "/var/log/mongodb/mongod.log" } }'
    )
    g.add(g.rec(hdr("I", "CONTROL", ini), "options", opts))
    g.tick(0, 0.05)
    g.add(
        g.rec(hdr("I", "STORAGE", ini), "detected", "/var/lib/mongodb", "wiredTiger", "wiredTiger")
    )
    wt = (
        "create,cache_size=7485M,cache_overflow=(file_max=0M),session_max=33000,eviction=(threads_min=4,"
        "threads_max=4),config_base=false,statistics=(fast),log=(enabled=true,archive=true,"
        "path=journal,compressor=snappy),file_manager=(close_idle_time=100000),"
        "statistics_log=(wait=0),verbose=[recovery_progress,checkpoint_progress],"
    )
    g.add(g.rec(hdr("I", "STORAGE", ini), "wtopen", wt))
    g.tick(0.5, 2)
    g.add(g.rec(hdr("I", "FTDC", ini), "ftdc", "/var/lib/mongodb/diagnostic.data"))
    g.add(g.rec(hdr("I", "NETWORK", "listener"), "listening", "/tmp/mongodb-27017.sock"))
    g.add(g.rec(hdr("I", "NETWORK", "listener"), "listening", "0.0.0.0"))
    g.add(g.rec(hdr("I", "NETWORK", ini), "waiting", 27017))
    for i, (new, old) in enumerate(
        [("STARTUP2", "STARTUP"), ("RECOVERING", "STARTUP2"), ("SECONDARY", "RECOVERING")]
    ):
        g.tick(0.01, 0.3)
        g.add(g.rec(hdr("I", "REPL", f"replexec-{i}"), "transition", new, old))

    g.schedule(
        {
            "authfail": 5,
            "createcoll": 4,
            "idxstart": 2,
            "idxdone": 2,
            "dropstart": 1,
            "recverr": 3,
            "sessions": 1,
            "member": 3,
            "syncsrc": 2,
            "setparam": 1,
            "slowstatus": 2,
            "transition": 2,
        }
    )
    conns = {}  # connection number -> remote host:port
    next_conn = r.randint(1200, 1900)
    primary = False
    while not g.full:
        g.tick(0.05, 4.0)
        rare = g.due()
        if rare == "authfail":
            mech = g.pick(["SCRAM-SHA-256", "SCRAM-SHA-1"])
            why = g.pick(
                [
                    "SCRAM authentication failed, storedKey mismatch",
                    "Authentication failed.",
                    "Unable to locate the requested user",
                ]
            )
            g.add(
                g.rec(
                    hdr("I", "ACCESS", f"conn{next_conn}"),
                    "authfail",
                    mech,
                    g.user(),
                    "admin",
                    f"{g.ip()}:{g.port()}",
                    "AuthenticationFailed",
                    why,
                )
            )
        elif rare == "createcoll":
            db, coll = ns()
            opt = g.pick(
                [
                    "{}",
                    "{ capped: true, size: 10485760 }",
                    "{ validator: { sku: { $exists: true } } }",
                ]
            )
            g.add(
                g.rec(
                    hdr("I", "STORAGE", f"conn{next_conn}"),
                    "createcoll",
                    f"{db}.{coll}_{g.pick(WORDS)}",
                    g.uuid(),
                    opt,
                )
            )
        elif rare in ("idxstart", "idxdone"):
            db, coll = ns()
            field = g.pick(MONGO_FIELDS)
            name = f"{field}_{g.pick(['1', '-1'])}"
            if rare == "idxstart":
                props = (
                    f"{{ v: 2, key: {{ {field}: {name.rsplit('_', maxsplit=1)[-1]} }}, "
                    f'name: "{name}", ns: "{db}.{coll}" }}'
                )
                g.add(
                    g.rec(
                        hdr("I", "INDEX", f"conn{next_conn}"),
                        "idxstart",
                        f"{db}.{coll}",
                        props,
                        g.pick(["Hybrid", "Foreground"]),
                    )
                )
            else:
                g.add(g.rec(hdr("I", "INDEX", f"conn{next_conn}"), "idxdone", name, f"{db}.{coll}"))
        elif rare == "dropstart":
            name = "scratch_" + g.pick(WORDS)
            g.add(g.rec(hdr("I", "COMMAND", f"conn{next_conn}"), "dropstart", name))
            g.tick(0.01, 0.2)
            g.add(g.rec(hdr("I", "COMMAND", f"conn{next_conn}"), "dropdone", name))
        elif rare == "recverr" and conns:
            c = g.pick(sorted(conns))
            remote = conns.pop(c)
            g.add(
                g.rec(
                    hdr("I", "NETWORK", f"conn{c}"),
                    "recverr",
                    "HostUnreachable",
                    g.pick(["Connection reset by peer", "Connection timed out"]),
                    remote,
                    c,
                )
            )
        elif rare == "sessions":
            g.add(
                g.rec(
                    hdr("I", "CONTROL", "LogicalSessionCacheRefresh"),
                    "sessions",
                    "ShardingStateNotInitialized: sharding state is not yet initialized",
                )
            )
        elif rare == "member":
            state = g.pick(["SECONDARY", "PRIMARY", "ARBITER", "RECOVERING"])
            g.add(
                g.rec(
                    hdr("I", "REPL", f"replexec-{r.randint(3, 40)}"), "member", g.pick(peers), state
                )
            )
        elif rare == "syncsrc":
            g.add(g.rec(hdr("I", "REPL", "rsBackgroundSync"), "syncsrc", g.pick(peers)))
        elif rare == "setparam":
            g.add(g.rec(hdr("I", "COMMAND", f"conn{next_conn}"), "setparam", "logLevel", 1, 0))
        elif rare == "slowstatus":
            stats = (
                "{ "
                + ", ".join(
                    f"after {s}: {r.randint(0, 1500)}"
                    for s in r.sample(
                        [
                            "basic",
                            "asserts",
                            "connections",
                            "electionMetrics",
                            "extra_info",
                            "globalLock",
                            "locks",
                            "network",
                            "opLatencies",
                            "wiredTiger",
                        ],
                        r.randint(3, 7),
                    )
                )
                + " }"
            )
            g.add(g.rec(hdr("I", "COMMAND", "ftdc"), "slowstatus", stats))
        elif rare == "transition":
            new, old = ("SECONDARY", "PRIMARY") if primary else ("PRIMARY", "SECONDARY")
            primary = not primary
            g.add(g.rec(hdr("I", "REPL", f"replexec-{r.randint(3, 40)}"), "transition", new, old))
        action = g.weighted({"open": 10, "close": 9, "slow": 14, "update": 4, "ckpt": 2})
        if action == "open" or not conns:
            c, next_conn = next_conn, next_conn + 1
            remote = f"{g.ip()}:{g.port()}"
            conns[c] = remote
            g.add(g.rec(hdr("I", "NETWORK", "listener"), "accept", remote, c, len(conns)))
            drv = g.pick(MONGO_DRIVERS)
            meta = (
                f'{{ driver: {{ name: "{drv[0]}", version: "{drv[1]}" }}, os: {{ type: "Linux", '
                f'name: "Linux", architecture: "x86_64", version: '
                f'"5.15.0-{r.randint(40, 90)}-generic" }}, '
                f'platform: "{drv[2]}" }}'
            )
            if r.random() < 0.85:
                g.add(g.rec(hdr("I", "NETWORK", f"conn{c}"), "metadata", remote, f"conn{c}", meta))
            if r.random() < 0.7:
                g.add(
                    g.rec(
                        hdr("I", "ACCESS", f"conn{c}"),
                        "authok",
                        "svc_" + g.pick(APPS),
                        g.pick(["admin", "shop"]),
                        remote,
                    )
                )
        elif action == "close":
            c = g.pick(sorted(conns))
            remote = conns.pop(c)
            g.add(g.rec(hdr("I", "NETWORK", f"conn{c}"), "end", remote, len(conns)))
        elif action == "slow":
            c = g.pick(sorted(conns))
            db, coll = ns()
            cmd = g.pick(["find", "aggregate", "count", "getMore"])
            body = f'{{ {cmd}: "{coll}", filter: {doc(r.randint(1, 3))}, $db: "{db}" }}'
            field = g.pick(MONGO_FIELDS)
            plan = g.pick(
                [f"IXSCAN {{ {field}: 1 }}", "COLLSCAN", f"IXSCAN {{ {field}: -1, _id: 1 }}"]
            )
            docs = r.randint(0, 250000)
            stor = g.pick(
                [
                    "{}",
                    f"{{ data: {{ bytesRead: {r.randint(1000, 9_000_000)}, "
                    f"timeReadingMicros: {r.randint(10, 90000)} }} }}",
                ]
            )
            g.add(
                g.rec(
                    hdr("I", "COMMAND", f"conn{c}"),
                    "slowcmd",
                    f"{db}.{coll}",
                    cmd,
                    body,
                    plan,
                    r.randint(0, docs),
                    docs,
                    g.pick(["true", "false"]),
                    r.randint(0, 900),
                    r.randint(0, 500),
                    r.randint(100, 800000),
                    locks(),
                    stor,
                    int(r.lognormvariate(5.2, 0.8)),
                )
            )
        elif action == "update":
            c = g.pick(sorted(conns))
            db, coll = ns()
            field = g.pick(MONGO_FIELDS)
            body = (
                f"{{ q: {doc(1)}, u: {{ $set: {doc(r.randint(1, 3))} }}, "
                f"multi: {g.pick(['true', 'false'])}, upsert: false }}"
            )
            n = r.randint(0, 40)
            g.add(
                g.rec(
                    hdr("I", "WRITE", f"conn{c}"),
                    "slowupd",
                    f"{db}.{coll}",
                    body,
                    g.pick(["COLLSCAN", f"IXSCAN {{ {field}: 1 }}"]),
                    r.randint(0, 5000),
                    r.randint(0, 90000),
                    n,
                    r.randint(0, n),
                    r.randint(0, 3),
                    r.randint(0, 3),
                    r.randint(0, 200),
                    locks(),
                    int(r.lognormvariate(5.0, 0.7)),
                )
            )
        else:
            ts = f"[{int(g.now.timestamp())}:{r.randint(0, 999999)}][{pid}:0x7f{g.hexid(10)}]"
            g.add(
                g.rec(
                    hdr("I", "STORAGE", "WTCheckpointThread"),
                    "checkpoint",
                    ts,
                    r.randint(1, 40),
                    r.randint(200, 90000),
                    r.randint(2, 900),
                )
            )
    return g


# Elasticsearch 7.17 server log (log4j2): "[<ts>][<LEVEL>][<logger padded to 25>] [<node>] <msg>",
# exceptions follow on continuation lines ("<class>: <msg>", "\tat ...", "Caused by: ...").

ES_EVENTS = [
    ("version", "version[<*>], pid[<*>], build[<*>], OS[<*>], JVM[<*>]"),
    ("jvmhome", "JVM home [<*>], using bundled JDK [<*>]"),
    ("jvmargs", "JVM arguments <*>"),
    ("module", "loaded module [<*>]"),
    ("noplugins", "no plugins loaded"),
    (
        "datapaths",
        "using [<*>] data paths, mounts [<*>], net usable_space [<*>], "
        "net total_space [<*>], types [<*>]",
    ),
    ("heap", "heap size [<*>], compressed ordinary object pointers [<*>]"),
    ("nodeid", "node name [<*>], node ID [<*>], cluster name [<*>], roles [<*>]"),
    ("initialized", "initialized"),
    ("starting", "starting ..."),
    ("publish", "publish_address {<*>}, bound_addresses {<*>}"),
    ("bootstrap", "bound or publishing to a non-loopback address, enforcing bootstrap checks"),
    ("clusteruuid", "cluster UUID [<*>]"),
    ("started", "started"),
    ("license", "license [<*>] mode [<*>] - valid"),
    ("recovered", "recovered [<*>] indices into cluster_state"),
    ("gc", "[gc][<*>] overhead, spent [<*>] collecting in the last [<*>]"),
    ("health", "Cluster health status changed from [<*>] to [<*>] (reason: [<*>])."),
    ("createidx", "[<*>] creating index, cause [<*>], templates [<*>], shards [<*>]/[<*>]"),
    ("mapping", "[<*>/<*>] update_mapping [<*>]"),
    ("ilm", "moving index [<*>] from [<*>] to [<*>] in policy [<*>]"),
    ("deleteidx", "[<*>/<*>] deleting index"),
    ("bulkfail", "[<*>][<*>] failed to execute bulk item (<*>) <*>"),
    ("searchfail", "<*>: Failed to execute [<*>] lastShard [<*>]"),
    ("transport", "exception caught on transport layer [<*>], closing connection"),
    (
        "disklow",
        "low disk watermark [<*>] exceeded on [<*>][<*>][<*>] free: <*>[<*>], "
        "replicas will not be assigned to this node",
    ),
    (
        "diskhigh",
        "high disk watermark [<*>] exceeded on [<*>][<*>][<*>] free: <*>[<*>], "
        "shards will be relocated away from this node; currently relocating away "
        "shards totalling [<*>] bytes; the node is expected to continue to exceed the "
        "high disk watermark when these relocations are complete",
    ),
    (
        "inbound",
        "handling inbound transport message [<*>] took [<*>] which is above the warn "
        "threshold of [<*>]",
    ),
    ("fshealth", "health check of [<*>] took [<*>] which is above the warn threshold of [<*>]"),
    (
        "nodejoin",
        "node-join[<*> join existing leader], term: <*>, version: <*>, delta: added {<*>}",
    ),
    ("nodeleft", "node-left[<*> reason: <*>], term: <*>, version: <*>, delta: removed {<*>}"),
    (
        "master",
        "master node changed {previous [<*>], current [<*>]}, term: <*>, version: <*>, reason: <*>",
    ),
    ("authfail", "Authentication to realm <*> failed - <*>"),
    ("snapstart", "snapshot [<*>] started"),
    ("snapdone", "snapshot [<*>] completed with state [<*>]"),
]

ES_MODULES = [
    "aggs-matrix-stats",
    "analysis-common",
    "ingest-common",
    "ingest-geoip",
    "lang-painless",
    "mapper-extras",
    "parent-join",
    "percolator",
    "rank-eval",
    "reindex",
    "repository-s3",
    "transport-netty4",
    "x-pack-core",
    "x-pack-ilm",
    "x-pack-security",
]
ES_ILM_STEPS = [
    ("hot", "rollover", "check-rollover-ready"),
    ("hot", "rollover", "attempt-rollover"),
    ("hot", "rollover", "wait-for-active-shards"),
    ("hot", "rollover", "update-rollover-lifecycle-date"),
    ("hot", "complete", "complete"),
    ("warm", "migrate", "migrate"),
    ("warm", "shrink", "shrink"),
    ("warm", "forcemerge", "forcemerge"),
    ("delete", "delete", "wait-for-shard-history-leases"),
    ("delete", "delete", "delete"),
]
ES_STREAMS = ["logs-app", "logs-nginx", "metrics-system", "traces-apm", "audit-events"]


def build_elasticsearch():
    g = Gen("Elasticsearch", 200, ES_EVENTS, dt.datetime(2023, 11, 14, 7, 41, 3, 551000))
    r = g.rng
    me = "es-data-" + g.pick(WORDS)
    nodes = {f"es-data-{w}": (g.b64(22), g.ip()) for w in ["kappa", "sigma", "theta", "omega"]}
    nodes[me] = (g.b64(22), "10.0.4.17")
    jar = "[elasticsearch-7.17.9.jar:7.17.9]"

    def hdr(level, logger, node=None):
        ts = g.now.strftime("%Y-%m-%dT%H:%M:%S,") + f"{g.now.microsecond // 1000:03d}"
        return f"[{ts}][{level:<5}][{logger:<25}] [{node or me}] "

    def index():
        day = g.now - dt.timedelta(days=r.randint(0, 6))
        return f".ds-{g.pick(ES_STREAMS)}-default-{day:%Y.%m.%d}-{r.randint(1, 60):06d}"

    def node_desc(name):
        nid, ip = nodes[name]
        return f"{{{name}}}{{{nid}}}{{{g.b64(22)}}}{{{ip}}}{{{ip}:9300}}{{cdfhilmrstw}}"

    def frames(pkgs, lo, hi):
        out = []
        for _ in range(r.randint(lo, hi)):
            cls, meth = g.pick(pkgs)
            out.append(
                f"\tat {cls}.{meth}({cls.rsplit('.', 1)[-1].split('$')[0]}.java:"
                f"{r.randint(40, 900)}) ~{jar}"
            )
        return out

    es_fr = [
        ("org.elasticsearch.index.mapper.DocumentParser", "parseObject"),
        ("org.elasticsearch.index.mapper.DocumentParser", "innerParseObject"),
        ("org.elasticsearch.index.mapper.FieldMapper", "parse"),
        ("org.elasticsearch.index.shard.IndexShard", "applyIndexOperation"),
        ("org.elasticsearch.action.bulk.TransportShardBulkAction", "executeBulkItemRequest"),
        ("org.elasticsearch.search.SearchService", "executeQueryPhase"),
        ("org.elasticsearch.search.aggregations.support.ValuesSourceConfig", "resolve"),
        ("org.elasticsearch.common.util.concurrent.AbstractRunnable", "run"),
        ("org.elasticsearch.transport.InboundHandler$RequestHandler", "doRun"),
    ]

    info, node_log = "INFO", "o.e.n.Node"
    pid = r.randint(7, 9999)
    g.add(
        g.rec(
            hdr(info, node_log),
            "version",
            "7.17.9",
            pid,
            "default/docker/ef48222227ee6b9e70e502f0f0daa52435ee634d/2023-01-31T05:34:43.305517834Z",
            "Linux/5.15.0-88-generic/amd64",
            "Eclipse Adoptium/OpenJDK 64-Bit Server VM/19.0.2/19.0.2+7",
        )
    )
    g.add(g.rec(hdr(info, node_log), "jvmhome", "/usr/share/elasticsearch/jdk", "true"))
    args = [
        "-Xshare:auto",
        "-Des.networkaddress.cache.ttl=60",
        "-XX:+UseG1GC",
        "-Xms8g",
        "-Xmx8g",
        "-Djava.io.tmpdir=/tmp/elasticsearch-" + str(r.randint(10**17, 10**18)),
        "-XX:+HeapDumpOnOutOfMemoryError",
        "-Des.path.home=/usr/share/elasticsearch",
    ]
    g.add(g.rec(hdr(info, node_log), "jvmargs", "[" + ", ".join(args) + "]"))
    for m in ES_MODULES:
        g.tick(0, 0.004)
        g.add(g.rec(hdr(info, "o.e.p.PluginsService"), "module", m))
    g.add(g.rec(hdr(info, "o.e.p.PluginsService"), "noplugins"))
    g.tick(0.1, 0.3)
    g.add(
        g.rec(
            hdr(info, "o.e.e.NodeEnvironment"),
            "datapaths",
            1,
            "/usr/share/elasticsearch/data (/dev/nvme1n1)",
            "412.3gb",
            "492gb",
            "ext4",
        )
    )
    g.add(g.rec(hdr(info, "o.e.e.NodeEnvironment"), "heap", "8gb", "true"))
    g.add(
        g.rec(
            hdr(info, node_log),
            "nodeid",
            me,
            nodes[me][0],
            "logging-prod",
            "[data_content, data_hot, ingest, master, remote_cluster_client, transform]",
        )
    )
    g.tick(3, 6)
    g.add(g.rec(hdr(info, node_log), "initialized"))
    g.add(g.rec(hdr(info, node_log), "starting"))
    g.add(g.rec(hdr(info, "o.e.t.TransportService"), "publish", "10.0.4.17:9300", "[0.0.0.0:9300]"))
    g.add(g.rec(hdr(info, "o.e.b.BootstrapChecks"), "bootstrap"))
    g.tick(0.5, 2)
    g.add(g.rec(hdr(info, "o.e.c.c.Coordinator"), "clusteruuid", g.b64(22)))
    g.add(
        g.rec(
            hdr(info, "o.e.h.AbstractHttpServerTransport"),
            "publish",
            "10.0.4.17:9200",
            "[0.0.0.0:9200]",
        )
    )
    g.add(g.rec(hdr(info, node_log), "started"))
    g.add(g.rec(hdr(info, "o.e.l.LicenseService"), "license", g.uuid(), "basic"))
    g.add(g.rec(hdr(info, "o.e.g.GatewayService"), "recovered", r.randint(40, 300)))

    g.schedule(
        {
            "transport": 3,
            "diskhigh": 2,
            "inbound": 4,
            "fshealth": 2,
            "nodejoin": 2,
            "nodeleft": 2,
            "master": 2,
            "snap": 3,
        }
    )
    boot = g.now
    health = "YELLOW"
    while not g.full:
        g.tick(0.1, 9.0)
        rare = g.due()
        if rare == "transport":
            peer = f"{g.ip()}:{g.port()}"
            g.add(
                g.rec(
                    hdr("WARN", "o.e.t.TcpTransport"),
                    "transport",
                    f"Netty4TcpChannel{{localAddress=/10.0.4.17:9300, remoteAddress=/{peer}, "
                    f"profile=default}}",
                    cont=[
                        "java.io.IOException: Connection reset by peer",
                        "\tat sun.nio.ch.FileDispatcherImpl.read0(Native Method) ~[?:?]",
                        "\tat sun.nio.ch.SocketDispatcher.read(SocketDispatcher.java:47) ~[?:?]",
                        "\tat sun.nio.ch.IOUtil.readIntoNativeBuffer(IOUtil.java:340) ~[?:?]",
                        "\tat io.netty.buffer.PooledByteBuf.setBytes(PooledByteBuf.java:258) "
                        "~[netty-buffer-4.1.66.Final.jar:4.1.66.Final]",
                        "\tat java.lang.Thread.run(Thread.java:1589) [?:?]",
                    ],
                )
            )
        elif rare in ("diskhigh",):
            g.add(
                g.rec(
                    hdr("WARN", "o.e.c.r.a.DiskThresholdMonitor"),
                    "diskhigh",
                    "90%",
                    me,
                    nodes[me][0],
                    me,
                    f"{r.uniform(20, 45):.1f}gb",
                    f"{r.uniform(8, 9.9):.1f}%",
                    r.randint(10**9, 10**11),
                )
            )
        elif rare == "inbound":
            action = g.pick(
                [
                    "internal:coordination/fault_detection/follower_check",
                    "indices:data/write/bulk[s][r]",
                    "cluster:monitor/nodes/stats[n]",
                ]
            )
            g.add(
                g.rec(
                    hdr("WARN", "o.e.t.InboundHandler"),
                    "inbound",
                    f"Request{{{action}}}{{{r.randint(10**5, 10**7)}}}{{false}}{{false}}{{false}}",
                    f"{r.randint(5001, 30000)}ms",
                    "5s",
                )
            )
        elif rare == "fshealth":
            g.add(
                g.rec(
                    hdr("WARN", "o.e.m.f.FsHealthService"),
                    "fshealth",
                    "/usr/share/elasticsearch/data/nodes/0",
                    f"{r.randint(5001, 12000)}ms",
                    "5s",
                )
            )
        elif rare in ("nodejoin", "nodeleft", "master"):
            other = g.pick(sorted(n for n in nodes if n != me))
            term, ver = r.randint(8, 12), r.randint(40000, 90000)
            if rare == "nodejoin":
                g.add(
                    g.rec(
                        hdr(info, "o.e.c.s.MasterService"),
                        "nodejoin",
                        node_desc(other),
                        term,
                        ver,
                        node_desc(other),
                    )
                )
            elif rare == "nodeleft":
                g.add(
                    g.rec(
                        hdr(info, "o.e.c.s.MasterService"),
                        "nodeleft",
                        node_desc(other),
                        g.pick(["disconnected", "followers check retry count exceeded"]),
                        term,
                        ver,
                        node_desc(other),
                    )
                )
            else:
                old, new = r.sample(sorted(nodes), 2)
                g.add(
                    g.rec(
                        hdr(info, "o.e.c.s.ClusterApplierService"),
                        "master",
                        node_desc(old),
                        node_desc(new),
                        term,
                        ver,
                        f"ApplyCommitRequest{{term={term}, version={ver}, "
                        f"sourceNode={node_desc(new)}}}",
                    )
                )
        elif rare == "snap":
            snap = f"backups:nightly-{g.now:%Y.%m.%d}-{g.b64(22).lower()}/{g.b64(22)}"
            g.add(g.rec(hdr(info, "o.e.s.SnapshotsService"), "snapstart", snap))
            g.tick(30, 400)
            g.add(
                g.rec(
                    hdr(info, "o.e.s.SnapshotsService"),
                    "snapdone",
                    snap,
                    g.pick(["SUCCESS", "SUCCESS", "PARTIAL"]),
                )
            )
        act = g.weighted(
            {
                "gc": 30,
                "mapping": 14,
                "ilm": 12,
                "health": 4,
                "create": 5,
                "delete": 2,
                "disklow": 3,
                "auth": 2,
                "bulk": 1.2,
                "search": 0.6,
            }
        )
        if act == "gc":
            gc_n = int((g.now - boot).total_seconds()) + 31
            spent = int(r.lognormvariate(5.6, 0.5))
            level = "WARN" if spent > 500 else info
            g.add(g.rec(hdr(level, "o.e.m.j.JvmGcMonitorService"), "gc", gc_n, f"{spent}ms", "1s"))
        elif act == "mapping":
            fields = g.pick(["_doc"])
            g.add(
                g.rec(
                    hdr(info, "o.e.c.m.MetadataMappingService"),
                    "mapping",
                    index(),
                    g.b64(22),
                    fields,
                )
            )
        elif act == "ilm":
            i = r.randint(0, len(ES_ILM_STEPS) - 2)
            step = [
                '{{"phase":"{}","action":"{}","name":"{}"}}'.format(*s)
                for s in ES_ILM_STEPS[i : i + 2]
            ]
            g.add(
                g.rec(
                    hdr(info, "o.e.x.i.IndexLifecycleTransition"),
                    "ilm",
                    index(),
                    step[0],
                    step[1],
                    g.pick(
                        ["logs", "metrics", "traces-apm.traces-default_policy", "90-days-default"]
                    ),
                )
            )
        elif act == "health":
            new = g.pick([c for c in ["GREEN", "GREEN", "YELLOW", "YELLOW", "RED"] if c != health])
            why = g.pick(
                [
                    f"shards started [[{index()}][{r.randint(0, 4)}]]",
                    "index-created",
                    f"shards failed [[{index()}][{r.randint(0, 4)}]]",
                    "reroute after node-left",
                ]
            )
            g.add(g.rec(hdr(info, "o.e.c.r.a.AllocationService"), "health", health, new, why))
            health = new
        elif act == "create":
            tpls = (
                "["
                + ", ".join(
                    g.sample(
                        [
                            "logs",
                            "logs-mappings",
                            "data-streams-mappings",
                            "ecs@mappings",
                            "logs-settings",
                        ],
                        1,
                        4,
                    )
                )
                + "]"
            )
            g.add(
                g.rec(
                    hdr(info, "o.e.c.m.MetadataCreateIndexService"),
                    "createidx",
                    index(),
                    g.pick(["rollover_data_stream", "initialize_data_stream", "auto(bulk api)"]),
                    tpls,
                    g.pick([1, 1, 3, 5]),
                    g.pick([0, 1, 1]),
                )
            )
        elif act == "delete":
            g.add(
                g.rec(
                    hdr(info, "o.e.c.m.MetadataDeleteIndexService"), "deleteidx", index(), g.b64(22)
                )
            )
        elif act == "disklow":
            g.add(
                g.rec(
                    hdr(info, "o.e.c.r.a.DiskThresholdMonitor"),
                    "disklow",
                    "85%",
                    me,
                    nodes[me][0],
                    me,
                    f"{r.uniform(50, 70):.1f}gb",
                    f"{r.uniform(12, 14.9):.1f}%",
                )
            )
        elif act == "auth":
            user = g.pick([*USERS, "elastic", "kibana_system", "logstash_writer"])
            realm = g.pick(["reserved", "file1", "native1"])
            g.add(
                g.rec(
                    hdr("WARN", "o.e.x.s.a.AuthenticationService"),
                    "authfail",
                    f"[{realm}]",
                    f"failed to authenticate user [{user}]",
                )
            )
        elif act == "bulk":
            idx, doc_id = index(), g.b64(20)
            field = g.pick(["response_time", "http.status", "bytes_sent", "upstream.latency"])
            bad = g.pick(["n/a", "-", "null", "12ms", "true"])
            head = (
                f"org.elasticsearch.index.mapper.MapperParsingException: failed to parse field "
                f"[{field}] "
                f"of type [long] in document with id '{doc_id}'. Preview of field's value: '{bad}'"
            )
            more = r.randint(14, 40)
            cont = [
                head,
                *frames(es_fr[:5], 3, 7),
                f'Caused by: java.lang.NumberFormatException: For input string: "{bad}"',
                "\tat java.lang.Long.parseLong(Long.java:711) ~[?:?]",
                *frames(es_fr[:3], 1, 3),
                f"\t... {more} more",
            ]
            g.add(
                g.rec(
                    hdr("DEBUG", "o.e.a.b.TransportShardBulkAction"),
                    "bulkfail",
                    idx,
                    r.randint(0, 4),
                    "index",
                    f"index {{[{idx}][_doc][{doc_id}], source[n/a, actual length: "
                    f"[{r.uniform(2.1, 9.9):.1f}kb], max length: 2kb]}}",
                    cont=cont,
                )
            )
        else:
            other = g.pick(sorted(nodes))
            target = f"[{other}][{index()}][{r.randint(0, 4)}]"
            req = (
                f"SearchRequest{{searchType=QUERY_THEN_FETCH, indices=[{g.pick(ES_STREAMS)}-*], "
                f"indicesOptions=IndicesOptions[ignore_unavailable=false, allow_no_indices=true], "
                f"routing='null', preference='null', requestCache=null, scroll=null, "
                f"maxConcurrentShardRequests=0, batchedReduceSize=512, preFilterShardSize=null}}"
            )
            field = g.pick(["message", "user.name", "url.path", "host.name"])
            cont = [
                f"org.elasticsearch.transport.RemoteTransportException: "
                f"[{other}][{nodes[other][1]}:9300]"
                "[indices:data/read/search[phase/query]]",
                f"Caused by: java.lang.IllegalArgumentException: Text fields are not optimised "
                f"for operations "
                f"that require per-document field data like aggregations and sorting, so these "
                f"operations are "
                f"disabled by default. Please use a keyword field instead. Alternatively, set "
                f"fielddata=true "
                f"on [{field}] in order to load field data by uninverting the inverted index.",
            ]
            cont += frames(es_fr[5:], 4, 9)
            g.add(
                g.rec(
                    hdr("DEBUG", "o.e.a.s.TransportSearchAction"),
                    "searchfail",
                    target,
                    req,
                    g.pick(["true", "false"]),
                    cont=cont,
                )
            )
    return g


# RabbitMQ 3.8 (lager) log: "<date> <time.ms> [<level>] <erlang pid> <msg>"; some messages span
# several lines, the later ones written without a header.

RMQ_EVENTS = [
    ("banner", "Starting RabbitMQ <*> on Erlang <*>"),
    ("nodeinfo", "node           : <*>"),
    ("bootstep", "Running boot step <*> defined by app <*>"),
    ("memwm", "Memory high watermark set to <*> MiB (<*> bytes) of <*> MiB (<*> bytes) total"),
    ("diskmon", "Enabling free disk space monitoring"),
    ("disklimit", "Disk free limit set to <*>MB"),
    ("fhc", "Limiting to approx <*> file handles (<*> sockets)"),
    ("fhcread", "FHC read buffering:  <*>"),
    ("fhcwrite", "FHC write buffering: <*>"),
    ("mnesiawait", "Waiting for Mnesia tables for <*> ms, <*> retries left"),
    ("synced", "Successfully synced tables from a peer"),
    ("prioq", "Priority queues enabled, real BQ is <*>"),
    ("msgstores", "Starting message stores for vhost '<*>'"),
    ("msgindex", "Message store <*>: using <*> to provide index"),
    ("msgstarted", "Started message store of type <*> for vhost '<*>'"),
    ("listener", "started TCP listener on <*>"),
    ("mgmt", "Management plugin: HTTP (non-TLS) listener started on port <*>"),
    ("statsdb", "Statistics database started."),
    ("complete", "Server startup complete; <*> plugins started."),
    ("accept", "accepting AMQP connection <*> (<*>)"),
    ("clientname", "Connection <*> (<*>) has a client-provided name: <*>"),
    ("granted", "connection <*> (<*>): user '<*>' authenticated and granted access to vhost '<*>'"),
    ("closing", "closing AMQP connection <*> (<*>, vhost: '<*>', user: '<*>')"),
    ("closingwarn", "closing AMQP connection <*> (<*>, vhost: '<*>', user: '<*>'):"),
    ("chanclose", "Closing all channels from connection '<*>' because it has been closed"),
    ("chanerr", "Channel error on connection <*> (<*>, vhost: '<*>', user: '<*>'), channel <*>:"),
    ("loginerr", "Error on AMQP connection <*> (<*>, state: <*>):"),
    ("httpdenied", "HTTP access denied: user '<*>' - invalid credentials"),
    (
        "consumertimeout",
        "Consumer <*> on channel <*> has timed out waiting for delivery "
        "acknowledgement. Timeout used: <*> ms. This timeout value can be "
        "configured, see consumers doc guide to learn more",
    ),
    ("alarmset", "memory resource limit alarm set on node <*>."),
    ("alarmclear", "memory resource limit alarm cleared on node <*>"),
    ("alarmall", "memory resource limit alarm cleared across the cluster"),
    ("nodedown", "rabbit on node <*> down"),
    ("nodeup", "rabbit on node <*> up"),
    ("mirror", "Mirrored queue '<*>' in vhost '<*>': Adding mirror on node <*>: <*>"),
    ("syncq", "Mirrored queue '<*>' in vhost '<*>': Synchronising: <*> messages to synchronise"),
    ("addvhost", "Adding vhost '<*>'"),
    ("createuser", "Creating user '<*>'"),
    ("setperm", "Setting permissions for '<*>' in '<*>' to '<*>', '<*>', '<*>'"),
    (
        "crash",
        "CRASH REPORT Process <*> with <*> neighbours exited with reason: <*> in <*> line <*>",
    ),
]

RMQ_BOOT = [
    ("pre_boot", "rabbit"),
    ("rabbit_core_metrics", "rabbit"),
    ("rabbit_alarm", "rabbit"),
    ("code_server_cache", "rabbit"),
    ("file_handle_cache", "rabbit"),
    ("worker_pool", "rabbit"),
    ("database", "rabbit"),
    ("database_sync", "rabbit"),
    ("feature_flags", "rabbit"),
    ("codec_correctness_check", "rabbit"),
    ("external_infrastructure", "rabbit"),
    ("rabbit_registry", "rabbit"),
    ("rabbit_auth_mechanism_plain", "rabbit"),
    ("rabbit_event", "rabbit"),
    ("rabbit_priority_queue", "rabbit"),
    ("recovery", "rabbit"),
    ("empty_db_check", "rabbit"),
    ("rabbit_mgmt_db_handler", "rabbitmq_management_agent"),
    ("networking", "rabbit"),
]
RMQ_PLUGINS = [
    "rabbitmq_prometheus",
    "rabbitmq_management",
    "rabbitmq_web_dispatch",
    "rabbitmq_management_agent",
    "rabbitmq_shovel",
    "rabbitmq_federation",
]
RMQ_QUEUES = [
    "orders.created",
    "orders.paid",
    "emails.outbound",
    "search.reindex",
    "audit.log",
    "payments.retry",
    "inventory.sync",
]


def build_rabbitmq():
    g = Gen("RabbitMQ", 300, RMQ_EVENTS, dt.datetime(2023, 11, 14, 3, 17, 45, 302000))
    r = g.rng
    node = "rabbit@mq-" + g.pick(HOSTS)
    peers = [f"rabbit@mq-{h}" for h in ("hazel", "rowan")]
    vhosts = ["/", "orders", "analytics"]

    def pid(lo=300, hi=40000):
        return f"<0.{r.randint(lo, hi)}.0>"

    def hdr(level, proc):
        return f"{g.now:%Y-%m-%d %H:%M:%S}.{g.now.microsecond // 1000:03d} [{level}] {proc} "

    def at(level, proc, key, *vals, cont=()):
        g.tick(0, 0.004)
        g.add(g.rec(hdr(level, proc), key, *vals, cont=cont))

    boot = pid(200, 300)
    at(
        "info",
        boot,
        "banner",
        "3.8.35",
        "23.3.4.18",
        cont=[
            " Copyright (c) 2007-2023 VMware, Inc. or its affiliates.",
            " Licensed under the MPL 2.0. Website: https://rabbitmq.com",
        ],
    )
    at(
        "info",
        boot,
        "nodeinfo",
        node,
        cont=[
            " home dir       : /var/lib/rabbitmq",
            " config file(s) : /etc/rabbitmq/rabbitmq.conf",
            f" cookie hash    : {g.b64(22)}==",
            f" log(s)         : /var/log/rabbitmq/{node}.log",
            f"                : /var/log/rabbitmq/{node}_upgrade.log",
            f" database dir   : /var/lib/rabbitmq/mnesia/{node}",
        ],
    )
    for _i, (step, app) in enumerate(RMQ_BOOT):
        at("info", boot, "bootstep", step, app)
        if step == "rabbit_alarm":
            total = g.pick([7976, 15951, 32007])
            wm = int(total * 0.4)
            at("info", pid(), "memwm", wm, wm * 1048576, total, total * 1048576)
            at("info", pid(), "diskmon")
            at("info", pid(), "disklimit", 50)
        elif step == "file_handle_cache":
            at("info", pid(), "fhc", 1048476, 943326)
            at("info", pid(), "fhcread", "OFF")
            at("info", pid(), "fhcwrite", "ON")
        elif step == "database":
            for left in (9, 8):
                at("info", boot, "mnesiawait", 30000, left)
            at("info", boot, "synced")
        elif step == "rabbit_priority_queue":
            at("info", boot, "prioq", "rabbit_variable_queue")
        elif step == "recovery":
            for vh in vhosts:
                vp = pid()
                at("info", vp, "msgstores", vh)
                for kind in ("msg_store_transient", "msg_store_persistent"):
                    store = f'"{g.hexid(25).upper()}/{kind}"'
                    at("info", pid(), "msgindex", store, "rabbit_msg_store_ets_index")
                    at("info", vp, "msgstarted", kind, vh)
    at("info", pid(), "listener", "[::]:5672")
    at("info", pid(), "mgmt", 15672)
    at("info", pid(), "statsdb")
    at("info", boot, "complete", len(RMQ_PLUGINS), cont=[f" * {p}" for p in RMQ_PLUGINS])

    g.schedule(
        {
            "alarm": 2,
            "nodedown": 2,
            "mirror": 4,
            "syncq": 2,
            "addvhost": 1,
            "createuser": 2,
            "crash": 1,
            "consumertimeout": 4,
        }
    )
    conns = {}  # pid -> (name, vhost, user)
    while not g.full:
        g.tick(0.02, 6.0)
        rare = g.due()
        if rare == "alarm":
            ap = pid(300, 400)
            at(
                "warning",
                ap,
                "alarmset",
                node,
                cont=[
                    "**********************************************************",
                    "*** Publishers will be blocked until this alarm clears ***",
                    "**********************************************************",
                ],
            )
            g.tick(5, 90)
            at("info", ap, "alarmclear", node)
            at("info", ap, "alarmall")
        elif rare == "nodedown":
            peer = g.pick(peers)
            at("info", pid(), "nodedown", peer)
            g.tick(20, 200)
            at("info", pid(), "nodeup", peer)
        elif rare in ("mirror", "syncq"):
            q, vh = g.pick(RMQ_QUEUES), g.pick(vhosts)
            if rare == "mirror":
                at("info", pid(), "mirror", q, vh, g.pick(peers), pid())
            else:
                at("info", pid(), "syncq", q, vh, r.randint(1, 250000))
        elif rare == "addvhost":
            at("info", pid(), "addvhost", "staging")
        elif rare == "createuser":
            u = g.pick(USERS)
            at("info", pid(), "createuser", u)
            at(
                "info",
                pid(),
                "setperm",
                u,
                g.pick(vhosts),
                ".*",
                g.pick([".*", "^amq\\.gen.*"]),
                ".*",
            )
        elif rare == "crash":
            at(
                "error",
                pid(),
                "crash",
                pid(),
                0,
                "{timeout,{gen_server,call,[rabbit_mgmt_db_cache_queues,{fetch,#Fun<rabbit_mgmt_db.21.66340163>}]}}",
                "gen_server:call/3",
                247,
            )
        elif rare == "consumertimeout":
            at("warning", pid(), "consumertimeout", f"ctag-{g.b64(22)}", r.randint(1, 4), 1800000)
        act = g.weighted({"open": 10, "close": 9, "chanerr": 1, "httpdenied": 0.4})
        if act == "open" or not conns:
            p = pid()
            name = f"{g.ip()}:{g.port()} -> 10.0.4.21:5672"
            at("info", p, "accept", p, name)
            if r.random() < 0.03:
                at(
                    "error",
                    p,
                    "loginerr",
                    p,
                    name,
                    "starting",
                    cont=[f"PLAIN login refused: user '{g.user()}' - invalid credentials"],
                )
                continue
            app = g.pick(APPS)
            if r.random() < 0.7:
                at("info", p, "clientname", p, name, f"{app}-service:{r.randint(1, 9)}:{g.uuid()}")
            user, vh = "svc_" + app, g.pick(vhosts)
            at("info", p, "granted", p, name, user, vh)
            conns[p] = (name, vh, user)
        elif act == "close":
            p = g.pick(sorted(conns))
            name, vh, user = conns.pop(p)
            if r.random() < 0.22:
                why = g.pick(
                    [
                        "client unexpectedly closed TCP connection",
                        "client unexpectedly closed TCP connection",
                        "missed heartbeats from client, timeout: 60s",
                    ]
                )
                at("warning", p, "closingwarn", p, name, vh, user, cont=[why])
            else:
                at("info", p, "closing", p, name, vh, user)
            at("info", pid(), "chanclose", name)
        elif act == "chanerr":
            p = g.pick(sorted(conns))
            name, vh, user = conns[p]
            q = g.pick(RMQ_QUEUES)
            why = g.pick(
                [
                    f"operation basic.publish caused a channel exception not_found: no exchange "
                    f"'{q.split('.')[0]}.events' in vhost '{vh}'",
                    f"operation queue.declare caused a channel exception precondition_failed: "
                    f"inequivalent arg 'durable' for queue '{q}' in vhost '{vh}': received 'false' "
                    f"but current is 'true'",
                    f"operation basic.consume caused a channel exception resource_locked: cannot "
                    f"obtain exclusive access to locked queue '{q}' in vhost '{vh}'. It could be "
                    f"originally declared on another connection or the exclusive property value "
                    f"does not match that of the original declaration.",
                ]
            )
            at("error", pid(), "chanerr", p, name, vh, user, r.randint(1, 12), cont=[why])
        else:
            at("warning", pid(), "httpdenied", g.pick([*USERS, "guest", "admin"]))
    return g


# CoreDNS 1.10 in Kubernetes, as collected by `kubectl logs --timestamps`:
# "<RFC3339Nano ts> [LEVEL] <msg>" (banner lines have no level); client-go traces span lines.

DNS_EVENTS = [
    ("noimport", "No files matching import glob pattern: <*>"),
    ("apifail", "plugin/kubernetes: Kubernetes API connection failure: <*>"),
    ("stillwaiting", "plugin/ready: Still waiting on: <*>"),
    ("unsynced", "plugin/kubernetes: starting server with unsynced Kubernetes API"),
    ("serverblock", ".:<*>"),
    ("sha", "plugin/reload: Running configuration SHA512 = <*>"),
    ("version", "CoreDNS-<*>"),
    ("platform", "<*>/<*>, <*>, <*>"),
    ("query", '<*>:<*> - <*> "<*> <*> <*> <*> <*> <*> <*>" <*> <*> <*> <*>s'),
    ("errors", "plugin/errors: <*> <*> <*>: <*>"),
    ("listfail", "<*>: failed to list <*>: <*>"),
    ("watchfail", "<*>: Failed to watch <*>: failed to list <*>: <*>"),
    ("trace", 'Trace[<*>]: "Reflector ListAndWatch" name:<*> (<*>) (total time: <*>ms):'),
    ("slowhealth", "plugin/health: Local health request to <*> took more than 1s: <*>"),
    ("reloading", "Reloading"),
    ("reloaded", "Reloading complete"),
    ("lameduck", "plugin/health: Going into lameduck mode for <*>"),
    ("sigterm", "SIGTERM: Shutting down servers then terminating"),
]

DNS_SERVICES = [
    "orders",
    "payments",
    "catalog",
    "redis-master",
    "postgres",
    "keycloak",
    "grafana",
    "prometheus-server",
    "api-gateway",
    "search",
]
DNS_NAMESPACES = ["default", "shop", "monitoring", "auth", "data"]
DNS_EXTERNAL = [
    "api.github.com.",
    "registry.npmjs.org.",
    "sts.amazonaws.com.",
    "pypi.org.",
    "hooks.slack.com.",
    "oauth2.googleapis.com.",
    "login.microsoftonline.com.",
]
DNS_KINDS = ["*v1.Namespace", "*v1.Service", "*v1.EndpointSlice"]
DNS_URLS = {
    "*v1.Namespace": "namespaces",
    "*v1.Service": "services",
    "*v1.EndpointSlice": "apis/discovery.k8s.io/v1/endpointslices",
}


def build_coredns():
    g = Gen("CoreDNS", 400, DNS_EVENTS, dt.datetime(2023, 11, 14, 10, 5, 2, 913000))
    r = g.rng
    reflector = "pkg/mod/k8s.io/client-go@v0.27.4/tools/cache/reflector.go:231"

    def hdr(level=None):
        ts = (
            g.now.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{g.now.microsecond:06d}{r.randint(0, 999):03d}Z "
        )
        return ts + (f"[{level}] " if level else "")

    def at(level, key, *vals, cont=()):
        g.tick(0.000002, 0.00004)
        return g.add(g.rec(hdr(level), key, *vals, cont=cont))

    def api_error(kind):
        path = DNS_URLS[kind]
        if not path.startswith("apis/"):
            path = "api/v1/" + path
        return (
            f'Get "https://10.96.0.1:443/{path}?limit=500&resourceVersion=0": '
            "dial tcp 10.96.0.1:443: i/o timeout"
        )

    def sha():
        return g.hexid(128)

    def qname():
        roll = r.random()
        if roll < 0.55:
            return f"{g.pick(DNS_SERVICES)}.{g.pick(DNS_NAMESPACES)}.svc.cluster.local.", "internal"
        if roll < 0.8:
            return (
                f"{g.pick(DNS_EXTERNAL)[:-1]}.{g.pick(DNS_NAMESPACES)}.svc.cluster.local.",
                "search",
            )
        return g.pick(DNS_EXTERNAL), "external"

    for pattern in ("custom/*.override", "custom/*.server"):
        at("WARNING", "noimport", pattern)
    at(
        "WARNING",
        "apifail",
        'Get "https://10.96.0.1:443/version": dial tcp 10.96.0.1:443: i/o timeout',
    )
    for _ in range(3):
        g.tick(0.5, 1.0)
        at("INFO", "stillwaiting", '"kubernetes"')
    at("WARNING", "unsynced")
    at(None, "serverblock", 53)
    at("INFO", "sha", sha())
    at(None, "version", "1.10.1")
    at(None, "platform", "linux", "amd64", "go1.20", "055b2c3")
    loop_a, loop_b = r.getrandbits(62), r.getrandbits(62)
    at(
        "INFO",
        "query",
        "127.0.0.1",
        g.port(),
        r.randint(0, 65535),
        "HINFO",
        "IN",
        f"{loop_a}.{loop_b}.",
        "udp",
        57,
        "false",
        512,
        "NXDOMAIN",
        "qr,rd,ra",
        132,
        f"{r.uniform(0.004, 0.03):.9f}".rstrip("0"),
    )

    g.schedule({"outage": 5, "slowhealth": 3, "reload": 2, "upstream": 4}, hi=LINES - 120)
    upstream_bad = 0
    pods = [f"10.244.{r.randint(0, 7)}.{r.randint(2, 250)}" for _ in range(40)]
    while g.nlines < LINES - 2:
        g.tick(0.001, 1.6)
        rare = g.due()
        if rare == "outage":
            at(
                "WARNING",
                "apifail",
                'Get "https://10.96.0.1:443/version": dial tcp 10.96.0.1:443: i/o timeout',
            )
            for _ in range(r.randint(2, 4)):
                g.tick(1, 30)
                kind = g.pick(DNS_KINDS)
                started = g.now - dt.timedelta(seconds=30, milliseconds=r.randint(0, 20))
                total = r.randint(30000, 30020)
                tid = r.randint(10**8, 2 * 10**9)
                at(
                    "INFO",
                    "trace",
                    tid,
                    reflector,
                    started.strftime("%d-%b-%Y %H:%M:%S.") + f"{started.microsecond // 1000:03d}",
                    total,
                    cont=[
                        f'Trace[{tid}]: ---"Objects listed" error:{api_error(kind)} {total}ms '
                        f"({g.now:%H:%M:%S}.{g.now.microsecond // 1000:03d})",
                        f"Trace[{tid}]: [{total / 1000:.3f}s] [{total / 1000:.3f}s] END",
                    ],
                )
                at("INFO", "listfail", reflector, kind, api_error(kind))
                at("ERROR", "watchfail", reflector, kind, kind, api_error(kind))
        elif rare == "upstream":
            upstream_bad = r.randint(60, 140)
        elif rare == "slowhealth":
            at("WARNING", "slowhealth", '"http://:8080/health"', f"{r.uniform(1.0, 4.5):.6f}s")
        elif rare == "reload":
            at("INFO", "reloading")
            g.tick(0.5, 2)
            at("INFO", "sha", sha())
            at("INFO", "reloaded")
        client = g.pick(pods)
        name, kind = qname()
        qtype = g.weighted({"A": 10, "AAAA": 7, "SRV": 1, "PTR": 0.5, "TXT": 0.3})
        proto = "udp" if r.random() < 0.93 else "tcp"
        dnssec = "true" if r.random() < 0.05 else "false"
        bufsize = 65535 if proto == "tcp" else g.pick([512, 1232, 1232, 4096])
        upstream_bad = max(0, upstream_bad - 1)
        if kind != "internal" and r.random() < (0.6 if upstream_bad else 0.04):
            why = g.pick(
                [
                    f"read udp 10.244.0.{r.randint(2, 9)}:{g.port()}-"
                    f">{g.pick(['10.0.0.2', '10.0.0.3'])}"
                    ":53: i/o timeout",
                    f"dial tcp {g.pick(['10.0.0.2', '10.0.0.3'])}:53: connect: connection refused",
                ]
            )
            at("ERROR", "errors", 2, name, qtype, why)
            continue
        if kind == "search":
            rcode, flags, size = "NXDOMAIN", "qr,aa,rd", r.randint(140, 190)
        elif kind == "internal":
            ok = r.random() < 0.93 or qtype == "AAAA"
            rcode, flags = ("NOERROR" if ok else "NXDOMAIN"), "qr,aa,rd"
            size = r.randint(90, 260)
        else:
            rcode = "NOERROR" if r.random() < 0.97 else "SERVFAIL"
            flags, size = "qr,rd,ra", r.randint(60, 520)
        secs = r.lognormvariate(-8.0, 1.3) if kind != "external" else r.lognormvariate(-4.2, 0.9)
        at(
            "INFO",
            "query",
            client,
            g.port(),
            r.randint(0, 65535),
            qtype,
            "IN",
            name,
            proto,
            r.randint(30, 110),
            dnssec,
            bufsize,
            rcode,
            flags,
            size,
            f"{secs:.9f}".rstrip("0"),
        )
    g.tick(0, 0.01)
    at("INFO", "lameduck", "5s")
    g.tick(5, 5.01)
    at("INFO", "sigterm")
    return g


# Jenkins 2.4xx controller log (java.util.logging): "<date> <time.ms+zone> [id=<thread>]\t<LEVEL>\t
# <class>#<method>: <msg>"; exception stack traces follow on continuation lines.

JK_EVENTS = [
    ("home", "Jenkins home directory: <*> found at: <*>"),
    ("war", "Beginning extraction from war file"),
    ("jetty", "jetty-<*>; built: <*>; git: <*>; jvm <*>"),
    ("nojsp", "NO JSP Support for <*>, did not find <*>"),
    ("session", "Session workerName=<*>"),
    (
        "refresh",
        "Refreshing <*>: display name [<*>]; startup date [<*>]; root of context hierarchy",
    ),
    (
        "beans",
        "Pre-instantiating singletons in <*>: defining beans [<*>]; root of factory hierarchy",
    ),
    ("serverstarted", "Started <*> @<*>ms"),
    ("winstone", "Winstone Servlet Engine running: controlPort=<*>"),
    ("ready", "Jenkins is fully up and running"),
    ("pstart", "Started <*>"),
    ("pdone", "Finished <*>. <*> ms"),
    ("obtained", "Obtained the updated data file for <*>"),
    ("updatesite", "Obtained the latest update center data file for UpdateSource <*>"),
    ("runmain", "<*> #<*> main build action completed: <*>"),
    ("wfdone", "<*> #<*> completed: <*>"),
    ("poked", "Poked <*>"),
    ("scmchange", "SCM changes detected in <*>. Triggering #<*>"),
    (
        "provision",
        "Started provisioning <*> from <*> with <*> executors. Remaining excess workload: <*>",
    ),
    ("provisioned", "<*> provisioning successfully completed. We have now <*> computer(s)"),
    ("podcreated", "Created Pod: <*> <*>/<*>"),
    ("accepted", "Accepted <*> connection #<*> from <*>"),
    ("podterm", "Terminating Kubernetes instance for agent <*>"),
    ("terminated", "Computer.threadPoolForRemoting [#<*>] for <*> terminated: <*>"),
    ("pingfail", "Ping failed. Terminating the channel <*>."),
    ("crumb", "No valid crumb was included in request for <*> by <*>. Returning 403."),
    ("loginfail", "Login attempt failed"),
    ("timerfail", "Timer task <*> failed"),
    ("diskoffline", "Making <*> offline temporarily due to the lack of disk space"),
]

JK_PERIODIC = [
    "Download metadata",
    "Periodic background build discarder",
    "Fingerprint cleanup",
    "Workspace clean-up",
    "telemetry collection",
    "Connection Activity monitoring to agents",
]
JK_TOOLS = [
    "hudson.tasks.Maven.MavenInstaller",
    "hudson.tools.JDKInstaller",
    "hudson.tasks.Ant.AntInstaller",
    "hudson.plugins.gradle.GradleInstaller",
    "jenkins.plugins.nodejs.tools.NodeJSInstaller",
]
JK_REMOTING = [
    "\tat org.jenkinsci.remoting.protocol.NetworkLayer.onRecvClosed(NetworkLayer.java:155)",
    "\tat org.jenkinsci.remoting.protocol.impl.NIONetworkLayer.ready(NIONetworkLayer.java:143)",
    "\tat org.jenkinsci.remoting.protocol.IOHub$OnReady.run(IOHub.java:789)",
    "\tat jenkins.util.ContextResettingExecutorService$1.run(ContextResettingExecutorService.ja"
    "va:30)",
    "\tat jenkins.security.ImpersonatingExecutorService$1.run(ImpersonatingExecutorService.java"
    ":68)",
    "\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1"
    "136)",
    "\tat java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:"
    "635)",
    "\tat java.base/java.lang.Thread.run(Thread.java:840)",
]


def build_jenkins():
    g = Gen("Jenkins", 500, JK_EVENTS, dt.datetime(2023, 11, 14, 8, 0, 41, 77000))
    r = g.rng
    jobs = [
        f"{team}/{svc}/{br}"
        for team, svc in [
            ("shop", "orders-service"),
            ("shop", "cart-ui"),
            ("platform", "terraform-live"),
            ("data", "etl-nightly"),
            ("platform", "base-images"),
        ]
        for br in ("main", "develop", f"PR-{r.randint(100, 999)}")
    ]
    freestyle = ["deploy-staging", "nightly-backup", "seed-job", "db-migrate-prod"]
    builds = {j: r.randint(1, 900) for j in jobs + freestyle}
    agents = {}  # agent name -> channel number

    def hdr(level, source, tid):
        ts = g.now.strftime("%Y-%m-%d %H:%M:%S.") + f"{g.now.microsecond // 1000:03d}+0000"
        return f"{ts} [id={tid}]\t{level}\t{source}: "

    def at(level, source, tid, key, *vals, cont=()):
        g.tick(0, 0.02)
        g.add(g.rec(hdr(level, source, tid), key, *vals, cont=cont))

    def agent_name():
        pool = g.pick(["maven", "node", "docker", "default"])
        return (
            f"{pool}-{''.join(r.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(5))}"
        )

    web = "hudson.WebAppMain#contextInitialized"
    at("INFO", web, 1, "home", "/var/jenkins_home", 'EnvVars.masterEnvVars.get("JENKINS_HOME")')
    at("INFO", "winstone.Logger#logInternal", 1, "war")
    at(
        "INFO",
        "org.eclipse.jetty.server.Server#doStart",
        1,
        "jetty",
        "10.0.18",
        "2023-10-27T01:44:27.117Z",
        "de6b19c3e9b4d2f6f3fd0d0f1c1ac33cf2c96c52",
        "17.0.9+9",
    )
    at(
        "INFO",
        "o.e.j.w.StandardDescriptorProcessor#visitServlet",
        1,
        "nojsp",
        "/",
        "org.eclipse.jetty.jsp.JettyJspServlet",
    )
    at("INFO", "o.e.j.s.s.DefaultSessionIdManager#doStart", 1, "session", "node0")
    ctx = f"org.springframework.web.context.support.StaticWebApplicationContext@{g.hexid(8)}"
    at(
        "INFO",
        "o.s.c.s.AbstractApplicationContext#prepareRefresh",
        1,
        "refresh",
        ctx,
        "Root WebApplicationContext",
        g.now.strftime("%a %b %d %H:%M:%S UTC %Y"),
    )
    at(
        "INFO",
        "o.s.b.f.s.DefaultListableBeanFactory#preInstantiateSingletons",
        1,
        "beans",
        f"org.springframework.beans.factory.support.DefaultListableBeanFactory@{g.hexid(8)}",
        "filter,legacy,authenticationManager,activeDirectory,rememberMeServices",
    )
    g.tick(4, 9)
    at(
        "INFO",
        "org.eclipse.jetty.server.Server#doStart",
        1,
        "serverstarted",
        f"Server@{g.hexid(8)}{{STARTING}}[10.0.18,sto=0]",
        r.randint(6000, 12000),
    )
    at("INFO", "winstone.Logger#logInternal", 1, "winstone", "disabled")
    g.tick(20, 50)
    at("INFO", "hudson.lifecycle.Lifecycle#onReady", 33, "ready")

    g.schedule({"loginfail": 3, "timerfail": 2, "diskoffline": 2, "updatesite": 2, "pingfail": 4})
    while not g.full:
        g.tick(0.5, 40)
        rare = g.due()
        if rare == "loginfail":
            at(
                "INFO",
                "h.s.AuthenticationProcessingFilter2#unsuccessfulAuthentication",
                r.randint(90, 400),
                "loginfail",
                cont=[
                    "org.springframework.security.authentication.BadCredentialsException: Bad "
                    "credentials",
                    "\tat org.springframework.security.authentication.dao.AbstractUserDetailsAu"
                    "thenticationProvider"
                    ".authenticate(AbstractUserDetailsAuthenticationProvider.java:141)",
                    "\tat org.springframework.security.authentication.ProviderManager.authenticate"
                    "(ProviderManager.java:182)",
                    "\tat hudson.security.AuthenticationProcessingFilter2.attemptAuthentication"
                    "(AuthenticationProcessingFilter2.java:104)",
                ],
            )
        elif rare == "timerfail":
            at(
                "SEVERE",
                "hudson.triggers.SafeTimerTask#run",
                r.randint(30, 60),
                "timerfail",
                f"hudson.model.WorkspaceCleanupThread@{g.hexid(8)}",
                cont=[
                    'java.lang.NullPointerException: Cannot invoke "hudson.FilePath.list()" '
                    "because "
                    '"ws" is null',
                    "\tat hudson.model.WorkspaceCleanupThread.execute(WorkspaceCleanupThread.ja"
                    "va:91)",
                    "\tat hudson.model.AsyncPeriodicWork.lambda$doRun$1(AsyncPeriodicWork.java:"
                    "102)",
                    "\tat java.base/java.lang.Thread.run(Thread.java:840)",
                ],
            )
        elif rare == "diskoffline":
            at(
                "WARNING",
                "h.n.DiskSpaceMonitorDescriptor#markNodeOfflineIfDiskspaceIsTooLow",
                r.randint(30, 60),
                "diskoffline",
                agent_name(),
            )
        elif rare == "updatesite":
            at(
                "INFO",
                "hudson.model.UpdateSite#updateData",
                r.randint(30, 60),
                "updatesite",
                "default",
            )
        elif rare == "pingfail" and agents:
            name = g.pick(sorted(agents))
            started = int(g.now.timestamp() * 1000) - 240000 - r.randint(0, 999)
            at(
                "INFO",
                "hudson.slaves.ChannelPinger$1#onDead",
                r.randint(20, 60),
                "pingfail",
                f"hudson.remoting.Channel@{g.hexid(8)}:{name}",
                cont=[
                    f"java.util.concurrent.TimeoutException: Ping started at {started} hasn't "
                    f"completed by "
                    f"{started + 240000}",
                    "\tat hudson.remoting.PingThread.ping(PingThread.java:132)",
                    "\tat hudson.remoting.PingThread.run(PingThread.java:88)",
                ],
            )
        act = g.weighted(
            {"periodic": 6, "build": 7, "webhook": 3, "agent_up": 3, "agent_down": 3, "crumb": 1.2}
        )
        tid = r.randint(30, 60)
        if act == "periodic":
            task = g.pick(JK_PERIODIC)
            at("INFO", "hudson.model.AsyncPeriodicWork#lambda$doRun$1", tid, "pstart", task)
            if task == "Download metadata":
                for tool in g.sample(JK_TOOLS, 1, 4):
                    g.tick(0.2, 3)
                    at(
                        "INFO",
                        "hudson.model.DownloadService$Downloadable#load",
                        tid,
                        "obtained",
                        tool,
                    )
            g.tick(0.01, 30)
            at(
                "INFO",
                "hudson.model.AsyncPeriodicWork#lambda$doRun$1",
                tid,
                "pdone",
                task,
                f"{int(r.lognormvariate(7, 1.8)):,}",
            )
        elif act == "build":
            job = g.pick(jobs + freestyle)
            builds[job] += 1
            result = g.weighted(
                {"SUCCESS": 20, "FAILURE": 4, "UNSTABLE": 1.5, "ABORTED": 1, "NOT_BUILT": 0.3}
            )
            tid = r.randint(300, 2000)
            if job in freestyle:
                at("INFO", "hudson.model.Run#execute", tid, "runmain", job, builds[job], result)
            else:
                at(
                    "INFO",
                    "o.j.p.workflow.job.WorkflowRun#finish",
                    tid,
                    "wfdone",
                    job,
                    builds[job],
                    result,
                )
        elif act == "webhook":
            job = g.pick(jobs)
            repo = job.split("/")[1]
            at("INFO", "o.j.p.g.w.s.DefaultPushGHEventSubscriber$1#run", tid, "poked", repo)
            if r.random() < 0.6:
                at(
                    "INFO",
                    "c.c.jenkins.GitHubPushTrigger$1#run",
                    tid,
                    "scmchange",
                    job,
                    builds[job] + 1,
                )
        elif act == "agent_up":
            name = agent_name()
            at(
                "INFO",
                "h.s.NodeProvisioner$StandardStrategyImpl#apply",
                tid,
                "provision",
                "Kubernetes Pod Template",
                "kubernetes",
                1,
                f"{r.uniform(-0.9, 0.9):.3f}".replace("-0.000", "0.000"),
            )
            at(
                "INFO",
                "o.c.j.p.k.KubernetesLauncher#launch",
                r.randint(300, 2000),
                "podcreated",
                "kubernetes",
                "jenkins-agents",
                name,
            )
            g.tick(3, 20)
            n = r.randint(1, 40)
            at(
                "INFO",
                "h.TcpSlaveAgentListener$ConnectionHandler#run",
                r.randint(60, 300),
                "accepted",
                "JNLP4-connect",
                n,
                f"/10.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(2, 254)}:{g.port()}",
            )
            at(
                "INFO",
                "hudson.slaves.NodeProvisioner#update",
                tid,
                "provisioned",
                name,
                len(agents) + 2,
            )
            agents[name] = n
        elif act == "agent_down" and agents:
            name = g.pick(sorted(agents))
            n = agents.pop(name)
            at(
                "INFO",
                "o.c.j.p.k.KubernetesSlave#_terminate",
                r.randint(300, 2000),
                "podterm",
                name,
            )
            if r.random() < 0.35:
                at(
                    "WARNING",
                    "j.s.DefaultJnlpSlaveReceiver#channelClosed",
                    r.randint(60, 300),
                    "terminated",
                    n,
                    name,
                    "java.nio.channels.ClosedChannelException",
                    cont=[
                        "java.nio.channels.ClosedChannelException",
                        *JK_REMOTING[: r.randint(3, 8)],
                    ],
                )
        elif act == "crumb":
            url = g.pick(
                [
                    "/job/deploy-staging/build",
                    "/job/shop/job/orders-service/job/main/build",
                    "/manage/scriptText",
                    "/job/db-migrate-prod/buildWithParameters",
                ]
            )
            at(
                "WARNING",
                "hudson.security.csrf.CrumbFilter#doFilter",
                r.randint(90, 400),
                "crumb",
                url,
                g.pick([*USERS, "anonymous"]),
            )
    return g


# Apache Airflow 2.7 scheduler log: "[<iso ts>] {<file>:<line>} <LEVEL> - <msg>"; task lists and
# Python tracebacks continue on following lines.

AF_EVENTS = [
    ("executor", "executor_loader.py:117", "Loaded executor: <*>"),
    ("starting", "scheduler_job_runner.py:803", "Starting the scheduler"),
    ("eachfile", "scheduler_job_runner.py:810", "Processing each file at most <*> times"),
    ("manager", "manager.py:168", "Launched DagFileProcessorManager with pid: <*>"),
    ("timezone", "settings.py:61", "Configured default timezone <*>"),
    (
        "orphan",
        "scheduler_job_runner.py:1611",
        "Adopting or resetting orphaned tasks for active dag runs",
    ),
    ("setnext", "dag.py:3722", "Setting next_dagrun for <*> to <*>, run_after=<*>"),
    ("upfor", "scheduler_job_runner.py:414", "<*> tasks up for execution:"),
    ("dagrunning", "scheduler_job_runner.py:477", "DAG <*> has <*>/<*> running and queued tasks"),
    (
        "notexec",
        "scheduler_job_runner.py:489",
        "Not executing <*> since the number of tasks running or "
        "queued from DAG <*> is >= to the DAG's max_active_tasks of <*>",
    ),
    (
        "poolfull",
        "scheduler_job_runner.py:446",
        "Not scheduling since there are <*> open slots in pool <*>",
    ),
    ("setqueued", "scheduler_job_runner.py:593", "Setting the following tasks to queued state:"),
    (
        "sending",
        "scheduler_job_runner.py:636",
        "Sending <*> to executor with priority <*> and queue <*>",
    ),
    ("addqueue", "base_executor.py:144", "Adding to queue: <*>"),
    (
        "recvevent",
        "scheduler_job_runner.py:686",
        "Received executor event with state <*> for task instance <*>",
    ),
    (
        "tifinished",
        "scheduler_job_runner.py:723",
        "TaskInstance Finished: dag_id=<*>, task_id=<*>, run_id=<*>, "
        "map_index=<*>, run_start_date=<*>, run_end_date=<*>, run_duration=<*>, state=<*>, "
        "executor_state=<*>, try_number=<*>, max_tries=<*>, job_id=<*>, pool=<*>, queue=<*>, "
        "priority_weight=<*>, operator=<*>, queued_dttm=<*>, queued_by_job_id=<*>, pid=<*>",
    ),
    ("marksuccess", "dagrun.py:653", "Marking run <*> successful"),
    ("markfailed", "dagrun.py:602", "Marking run <*> failed"),
    (
        "drfinished",
        "dagrun.py:704",
        "DagRun Finished: dag_id=<*>, execution_date=<*>, run_id=<*>, "
        "run_start_date=<*>, run_end_date=<*>, run_duration=<*>, state=<*>, external_trigger=<*>, "
        "run_type=<*>, data_interval_start=<*>, data_interval_end=<*>, dag_hash=<*>",
    ),
    (
        "extkilled",
        "scheduler_job_runner.py:750",
        "Executor reports task instance <*> finished (<*>) although "
        "the task says it's <*>. (Info: <*>) Was the task killed externally?",
    ),
    ("zombie", "scheduler_job_runner.py:1765", "Detected zombie job: <*>"),
    (
        "noheartbeat",
        "scheduler_job_runner.py:1740",
        "Failing (<*>) jobs without heartbeat after <*>",
    ),
    ("celeryerr", "celery_executor.py:290", "Error sending Celery task: <*>"),
    (
        "loopexc",
        "scheduler_job_runner.py:865",
        "Exception when executing SchedulerJob._run_scheduler_loop",
    ),
    (
        "sigterm",
        "process_utils.py:131",
        "Sending <*> to group <*>. PIDs of all processes in the group: <*>",
    ),
    (
        "procexit",
        "process_utils.py:79",
        "Process psutil.Process(pid=<*>, status='terminated', exitcode=<*>, "
        "started='<*>') (<*>) terminated with exit code <*>",
    ),
    ("exited", "scheduler_job_runner.py:877", "Exited execute loop"),
]

AF_DAGS = {
    "etl_daily": [
        "extract_orders",
        "extract_customers",
        "transform",
        "load_warehouse",
        "notify_slack",
    ],
    "hourly_metrics": ["compute_kpis", "publish_dashboard"],
    "ml_retrain": ["prepare_features", "train_model", "evaluate_model", "register_model"],
    "s3_inventory_sync": ["list_keys", "diff_manifest", "sync_objects"],
    "dbt_run": ["dbt_deps", "dbt_seed", "dbt_run_models", "dbt_test"],
}
AF_OPERATORS = [
    "PythonOperator",
    "BashOperator",
    "KubernetesPodOperator",
    "SQLExecuteQueryOperator",
]


def build_airflow():
    g = Gen(
        "Airflow",
        600,
        [(k, t) for k, _, t in AF_EVENTS],
        dt.datetime(2023, 11, 14, 9, 0, 0, 217000),
    )
    r = g.rng
    src = {k: f for k, f, _ in AF_EVENTS}
    utc = "+00:00"

    def at(level, key, *vals, cont=()):
        g.tick(0.0005, 0.02)
        ts = g.now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{g.now.microsecond // 1000:03d}+0000"
        return g.add(g.rec(f"[{ts}] {{{src[key]}}} {level} - ", key, *vals, cont=cont))

    def iso(t):
        return t.isoformat(sep=" ") + utc

    def ti(run, task, state):
        return f"<TaskInstance: {run['dag']}.{task} {run['id']} [{state}]>"

    def key(run, task):
        return (
            f"TaskInstanceKey(dag_id='{run['dag']}', task_id='{task}', run_id='{run['id']}', "
            f"try_number=1, map_index=-1)"
        )

    def dagrun(run, state):
        return (
            f"<DagRun {run['dag']} @ {iso(run['logical'])}: {run['id']}, state:{state}, queued_at: "
            f"{iso(run['queued'])}. externally triggered: {run['ext']}>"
        )

    sched_pid, boot = r.randint(7, 99), g.now
    at("INFO", "executor", "CeleryExecutor")
    at("INFO", "starting")
    at("INFO", "eachfile", -1)
    mgr_pid = sched_pid + r.randint(5, 40)
    at("INFO", "manager", mgr_pid)
    at("INFO", "timezone", "Timezone('UTC')")
    at("INFO", "orphan")
    last_orphan = g.now
    runs, running, job_id = [], [], r.randint(20000, 90000)
    next_hour = g.now.replace(minute=0, second=0, microsecond=0)
    g.schedule(
        {
            "notexec": 4,
            "poolfull": 3,
            "extkilled": 2,
            "zombie": 2,
            "noheartbeat": 2,
            "celeryerr": 2,
        },
        hi=LINES - 160,
    )
    g.limit = LINES - 13  # room for the closing traceback and shutdown records
    stuck = 0
    while g.nlines < g.limit and stuck < 200:
        before = g.nlines
        g.tick(0.5, 12)
        if (g.now - last_orphan).total_seconds() > 300:
            at("INFO", "orphan")
            at("INFO", "timezone", "Timezone('UTC')")
            last_orphan = g.now
        rare = g.due()
        if rare and running:
            run, task = g.pick(running)[:2]
            if rare == "notexec":
                at("INFO", "notexec", ti(run, task, "scheduled"), run["dag"], 16)
            elif rare == "poolfull":
                at("INFO", "poolfull", 0, g.pick(["default_pool", "warehouse_pool"]))
            elif rare == "extkilled":
                at("ERROR", "extkilled", ti(run, task, "queued"), "failed", "queued", "None")
            elif rare == "zombie":
                info = (
                    f"{{'DAG Id': '{run['dag']}', 'Task Id': '{task}', 'Run Id': '{run['id']}', "
                    f"'Hostname': 'airflow-worker-{g.pick(HOSTS)}', 'External Executor Id': "
                    f"'{g.uuid()}'}}"
                )
                at(
                    "ERROR",
                    "zombie",
                    f"{{'full_filepath': '/opt/airflow/dags/{run['dag']}.py', "
                    f"'processor_subdir': '/opt/airflow/dags', 'msg': \"{info}\", "
                    f"'is_failure_callback': True}}",
                )
            elif rare == "noheartbeat":
                at("INFO", "noheartbeat", r.randint(1, 3), iso(g.now - dt.timedelta(seconds=300)))
            elif rare == "celeryerr":
                tb = [
                    "Celery Task ID: " + key(run, task),
                    "Traceback (most recent call last):",
                    '  File "/home/airflow/.local/lib/python3.11/site-packages/airflow/provider'
                    "s/celery/"
                    'executors/celery_executor_utils.py", line 220, in send_task_to_executor',
                    "    result = task_to_run.apply_async(args=[command], queue=queue)",
                    '  File "/home/airflow/.local/lib/python3.11/site-packages/kombu/connection'
                    '.py", '
                    "line 450, in _reraise_as_library_errors",
                    "    raise ConnectionError(str(exc)) from exc",
                    "kombu.exceptions.OperationalError: Error 111 connecting to redis:6379. "
                    "Connection refused.",
                ]
                at(
                    "ERROR",
                    "celeryerr",
                    "Error 111 connecting to redis:6379. Connection refused.",
                    cont=tb,
                )
        if g.now >= next_hour or not runs:
            dag = g.pick(sorted(AF_DAGS))
            manual = r.random() < 0.15
            logical = g.now if manual else next_hour - dt.timedelta(hours=1)
            rid = (
                "manual__" + logical.isoformat() if manual else "scheduled__" + logical.isoformat()
            ) + utc
            run = {
                "dag": dag,
                "id": rid,
                "logical": logical,
                "queued": g.now,
                "ext": manual,
                "todo": list(AF_DAGS[dag]),
                "active": 0,
                "start": g.now,
                "failed": False,
            }
            runs.append(run)
            if not manual:
                at("INFO", "setnext", dag, iso(next_hour), iso(next_hour + dt.timedelta(hours=1)))
                next_hour += dt.timedelta(minutes=g.pick([15, 20, 30]))
        act = g.weighted({"schedule": 3, "finish": 4})
        ready = [x for x in runs if x["todo"] and x["active"] == 0]
        if act == "schedule" and ready:
            run = g.pick(ready)
            n = min(len(run["todo"]), r.randint(1, 3))
            tasks, run["todo"] = run["todo"][:n], run["todo"][n:]
            lines = ["\t" + ti(run, t, "scheduled") for t in tasks]
            at("INFO", "upfor", n, cont=lines)
            for i, _ in enumerate(tasks):
                at("INFO", "dagrunning", run["dag"], i, 16)
            at("INFO", "setqueued", cont=lines)
            for t in tasks:
                prio = len(AF_DAGS[run["dag"]]) - AF_DAGS[run["dag"]].index(t)
                at("INFO", "sending", key(run, t), prio, "default")
                at(
                    "INFO",
                    "addqueue",
                    f"['airflow', 'tasks', 'run', '{run['dag']}', '{t}', '{run['id']}', "
                    f"'--local', '--subdir', 'DAGS_FOLDER/{run['dag']}.py']",
                )
            for t in tasks:
                at("INFO", "recvevent", "queued", key(run, t))
                running.append((run, t, g.now, prio))
            run["active"] += n
        elif running:
            run, t, queued, prio = running.pop(r.randrange(len(running)))
            state = "success" if r.random() < 0.96 else "failed"
            run["failed"] |= state == "failed"
            end = g.now - dt.timedelta(seconds=r.uniform(0.3, 3))
            start = min(
                queued + dt.timedelta(seconds=r.uniform(0.5, 5)), queued + (end - queued) / 3
            )
            job_id += r.randint(1, 5)
            at("INFO", "recvevent", state, key(run, t))
            at(
                "INFO",
                "tifinished",
                run["dag"],
                t,
                run["id"],
                -1,
                iso(start),
                iso(end),
                f"{(end - start).total_seconds():.6f}",
                state,
                state,
                1,
                g.pick([0, 1, 2]),
                job_id,
                "default_pool",
                "default",
                prio,
                g.pick(AF_OPERATORS),
                iso(queued),
                job_id - r.randint(900, 2000),
                r.randint(1000, 60000),
            )
            run["active"] -= 1
            if run["active"] == 0 and (not run["todo"] or run["failed"]):
                runs.remove(run)
                final = "failed" if run["failed"] else "success"
                at(
                    "ERROR" if run["failed"] else "INFO",
                    "markfailed" if run["failed"] else "marksuccess",
                    dagrun(run, "running"),
                )
                at(
                    "INFO",
                    "drfinished",
                    run["dag"],
                    iso(run["logical"]),
                    run["id"],
                    iso(run["start"]),
                    iso(g.now),
                    f"{(g.now - run['start']).total_seconds():.6f}",
                    final,
                    run["ext"],
                    "manual" if run["ext"] else "scheduled",
                    iso(run["logical"]),
                    iso(run["logical"] + dt.timedelta(hours=1)),
                    g.hexid(32),
                )
        stuck = stuck + 1 if g.nlines == before else 0
    g.limit = LINES
    tb = [
        "Traceback (most recent call last):",
        '  File "/home/airflow/.local/lib/python3.11/site-packages/sqlalchemy/engine/base.py", '
        "line 1910, "
        "in _execute_context",
        "    self.dialect.do_execute(",
        '  File "/home/airflow/.local/lib/python3.11/site-packages/sqlalchemy/engine/default.py'
        '", line 736, '
        "in do_execute",
        "    cursor.execute(statement, parameters)",
        "psycopg2.OperationalError: server closed the connection unexpectedly",
        "\tThis probably means the server terminated abnormally",
        "\tbefore or while processing the request.",
    ]
    at("ERROR", "loopexc", cont=tb)
    extra = LINES - g.nlines - 3  # processes left in the group besides the manager
    pids = [mgr_pid, *sorted(r.sample(range(mgr_pid + 1, mgr_pid + 400), extra))]
    at("INFO", "sigterm", "Signals.SIGTERM", mgr_pid, pids)
    for p in pids:
        started = boot if p == mgr_pid else g.now - dt.timedelta(seconds=r.randint(20, 900))
        started = started.strftime("%H:%M:%S")
        at("INFO", "procexit", p, "None" if p == mgr_pid else 0, started, mgr_pid, 0)
    at("INFO", "exited")
    return g


# @@SYSTEMS@@

SYSTEMS = [
    build_mongodb,
    build_elasticsearch,
    build_rabbitmq,
    build_coredns,
    build_jenkins,
    build_airflow,
]


def main():
    for build in SYSTEMS:
        info = write_system(build())
        print(
            "{system:<14} events={events:>3} lines={lines} records={records:>5} "
            "continuation={continuation}".format(**info)
        )


if __name__ == "__main__":
    main()
