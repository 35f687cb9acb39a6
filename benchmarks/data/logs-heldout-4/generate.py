#!/usr/bin/env python3
"""Generate the logs-heldout-4 corpus: six synthetic, labelled 2,000-line logs.

Standard library only, deterministic (one fixed seed per system).  Run:

    python3 benchmarks/data/logs-heldout-4/generate.py

The script rewrites <System>/<System>_2k.log and
<System>/<System>_2k.log_structured.csv next to itself, then reads them back
and checks them; any failed check raises RuntimeError.
"""
import csv
import datetime as dt
import os
import random
import re
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
N_LINES = 2000
WILD = "<*>"


class Rec:
    """One log record: a first line (header + message) and continuation lines."""

    __slots__ = ("eid", "header", "message", "cont")

    def __init__(self, eid, header, message, cont=()):
        self.eid = eid
        self.header = header
        self.message = message
        self.cont = list(cont)

    @property
    def nlines(self):
        return 1 + len(self.cont)


def fill(template, values):
    """Put the values, in order, where the template has <*>."""
    parts = template.split(WILD)
    values = [str(v) for v in values]
    if len(values) != len(parts) - 1:
        raise RuntimeError("template %r wants %d values, got %d"
                           % (template, len(parts) - 1, len(values)))
    out = [parts[0]]
    for v, p in zip(values, parts[1:]):
        if v == "":
            raise RuntimeError("empty value for %r" % template)
        out.append(v)
        out.append(p)
    return "".join(out)


def template_regex(template):
    return re.compile("".join(
        "(.+?)" if piece == WILD else re.escape(piece)
        for piece in re.split(r"(<\*>)", template)) + r"\Z", re.S)


class Clock:
    """Monotonic wall clock that advances by random steps."""

    def __init__(self, rng, start):
        self.rng = rng
        self.t = start

    def tick(self, lo_ms=1, hi_ms=2000):
        self.t += dt.timedelta(milliseconds=self.rng.randint(lo_ms, hi_ms))
        return self.t


def rnd_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def rnd_hex(rng, n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def weighted(rng, table):
    """table: list of (key, weight)."""
    keys = [k for k, _ in table]
    weights = [w for _, w in table]
    return rng.choices(keys, weights)[0]


def fill_schedule(rng, table, n, once_keys=()):
    """n keys drawn by weight, every key of the table (and once_keys) at least
    once, shuffled; the forced ones land in the first 70 % of the list."""
    forced = [k for k, _ in table] + list(once_keys)
    drawn = [weighted(rng, table) for _ in range(max(0, n - len(forced)))]
    rng.shuffle(drawn)
    cut = int(len(drawn) * 0.7)
    head = drawn[:cut] + forced
    rng.shuffle(head)
    return head + drawn[cut:]


# ---------------------------------------------------------------- writing

def write_system(name, events, records):
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    log_path = os.path.join(folder, name + "_2k.log")
    csv_path = log_path + "_structured.csv"
    lines, rows = [], []
    for r in records:
        tpl = events[r.eid]
        for text in [r.header + r.message] + r.cont:
            lines.append(text)
            rows.append((len(lines), r.eid, tpl))
    with open(log_path, "w", encoding="utf-8", newline="") as f:
        for text in lines:
            f.write(text + "\n")
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["LineId", "EventId", "EventTemplate"])
        w.writerows(rows)
    return log_path, csv_path


# ---------------------------------------------------------------- checking

def check_system(name, events, header_re, records, log_path, csv_path):
    def fail(msg):
        raise RuntimeError("%s: %s" % (name, msg))

    with open(log_path, "rb") as f:
        raw = f.read()
    if b"\r" in raw:
        fail("carriage return in log")
    text = raw.decode("utf-8")
    if not text.endswith("\n"):
        fail("last line has no newline")
    lines = text[:-1].split("\n")
    if len(lines) != N_LINES:
        fail("%d lines, want %d" % (len(lines), N_LINES))
    for i, line in enumerate(lines, 1):
        if not line.strip():
            fail("line %d is empty" % i)

    with open(csv_path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if rows[0] != ["LineId", "EventId", "EventTemplate"]:
        fail("bad CSV header %r" % rows[0])
    rows = rows[1:]
    if len(rows) != N_LINES:
        fail("%d CSV rows, want %d" % (len(rows), N_LINES))
    tpl_of = {}
    for i, row in enumerate(rows, 1):
        if len(row) != 3 or row[0] != str(i):
            fail("CSV row %d malformed: %r" % (i, row))
        eid, tpl = row[1], row[2]
        if not re.fullmatch(r"E\d+", eid):
            fail("bad EventId %r" % eid)
        if tpl_of.setdefault(eid, tpl) != tpl:
            fail("EventId %s has two templates" % eid)
    if set(tpl_of) != set(events):
        fail("events declared but absent: %s; present but undeclared: %s"
             % (sorted(set(events) - set(tpl_of)), sorted(set(tpl_of) - set(events))))
    for eid, tpl in tpl_of.items():
        if events[eid] != tpl:
            fail("template of %s differs from declaration" % eid)
    if len(set(tpl_of.values())) != len(tpl_of):
        fail("two EventIds share one template")

    hdr = re.compile(header_re)
    regexes = {eid: template_regex(t) for eid, t in events.items()}
    firsts = set()
    n = 0
    for r in records:
        firsts.add(n)
        n += r.nlines
    current = None
    for i, line in enumerate(lines):
        eid = rows[i][1]
        m = hdr.match(line)
        if i in firsts:
            if not m:
                fail("line %d: record's first line lacks header: %r" % (i + 1, line))
            msg = line[m.end():]
            if not regexes[eid].match(msg):
                fail("line %d: message %r does not match %s %r"
                     % (i + 1, msg, eid, events[eid]))
            current = eid
        else:
            if m:
                fail("line %d: continuation line looks like a header: %r" % (i + 1, line))
            if current is None or eid != current:
                fail("line %d: continuation line with EventId %s after record %s"
                     % (i + 1, eid, current))
    return {
        "events": len(tpl_of),
        "lines": len(lines),
        "records": len(firsts),
        "continuation": len(lines) - len(firsts),
    }


def fit(records, n_lines, make_block, make_single):
    """Extend records with blocks until exactly n_lines lines; a block that
    would overshoot is replaced by one single-line record."""
    total = sum(r.nlines for r in records)
    if total > n_lines:
        raise RuntimeError("prefix already too long")
    while total < n_lines:
        block = make_block()
        size = sum(r.nlines for r in block)
        if total + size > n_lines:
            block = [make_single()]
            size = 1
        records.extend(block)
        total += size
    return records


SYSTEMS = []  # (name, seed, events, header_re, build, producer, header_desc)


def system(name, seed, events, header_re, producer, header_desc):
    def deco(build):
        SYSTEMS.append((name, seed, events, header_re, build, producer, header_desc))
        return build
    return deco


# ---- systems go here ----


# ================================================================ Cassandra
# Apache Cassandra 4.0 system.log, logback pattern
#   %-5level [%thread] %date{ISO8601} %F:%L - %msg%n

CASSANDRA_EVENTS = {
    "E1": "Compacted (<*>) <*> sstables to [<*>] to level=<*>.  <*> to <*> (~<*>% of original) in <*>ms.  Read Throughput = <*>, Write Throughput = <*>, Row Throughput = ~<*>/s.  <*> total partitions merged to <*>.  Partition merge counts were {<*>}. Time spent writing keys = <*>ms",
    "E2": "<*> GC in <*>ms.  <*>",
    "E3": "Enqueuing flush of <*>: <*> (<*>%) on-heap, <*> (<*>%) off-heap",
    "E4": "Writing Memtable-<*>@<*>(<*> serialized bytes, <*> ops, <*>%/<*>% of on/off-heap limit), flushed range = (<*>, <*>]",
    "E5": "Completed flushing <*> (<*>) for commitlog position <*>",
    "E6": "Flushing largest CFS(Keyspace='<*>', ColumnFamily='<*>') to free up room. Used total: <*>/<*>, live: <*>/<*>, flushing: <*>/<*>, this: <*>/<*>",
    "E7": "Some operations were slow, details available at debug level (debug.log)",
    "E8": "Maximum memory usage reached (<*>), cannot allocate chunk of <*>",
    "E9": "Writing large partition <*>/<*>:<*> (<*>) to sstable <*>",
    "E10": "Read <*> live rows and <*> tombstone cells for query <*> (see tombstone_warn_threshold)",
    "E11": "Saved <*> (<*> items) in <*> ms",
    "E12": "Completed loading (<*> ms; <*> keys) <*> cache",
    "E13": "<*> successfully connected, version = <*>, framing = <*>, encryption = <*>",
    "E14": "InetAddress <*> is now DOWN",
    "E15": "InetAddress <*> is now UP",
    "E16": "Node <*> state jump to NORMAL",
    "E17": "Node <*> is now part of the cluster",
    "E18": "Finished hinted handoff of file <*> to endpoint <*>: <*>",
    "E19": "Finished hinted handoff of file <*> to endpoint <*>: <*>, partially",
    "E20": "Unexpected exception during request; channel = <*>",
    "E21": "Exception in thread <*>",
    "E22": "[Stream #<*>] Session with <*> is complete",
    "E23": "[Stream #<*>] All sessions completed",
    "E24": "[repair #<*>] session completed successfully",
    "E25": "Repair command #<*> finished in <*>",
    "E26": "Initializing <*>.<*>",
    "E27": "Configuration location: <*>",
    "E28": "JVM Arguments: <*>",
    "E29": "Heap size: <*>/<*>",
    "E30": "Replaying <*>",
    "E31": "Log replay complete, <*> replayed mutations",
    "E32": "Starting listening for CQL clients on <*> (<*>)...",
    "E33": "Startup complete",
}

CASSANDRA_HEADER_RE = (r"(?:INFO |WARN |ERROR|DEBUG) \[[^\]]+\] "
                       r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Za-z0-9_$]+\.java:\d+ - ")

# EventId -> (level, source file:line, thread kind)
CASSANDRA_SITES = {
    "E1": ("INFO", "CompactionTask.java:241", "compaction"),
    "E2": ("INFO", "GCInspector.java:294", "Service Thread"),
    "E3": ("INFO", "ColumnFamilyStore.java:878", "flushcaller"),
    "E4": ("INFO", "Memtable.java:469", "flushwriter"),
    "E5": ("INFO", "Memtable.java:498", "flushwriter"),
    "E6": ("INFO", "ColumnFamilyStore.java:1357", "SlabPoolCleaner"),
    "E7": ("INFO", "NoSpamLogger.java:92", "ScheduledTasks:1"),
    "E8": ("INFO", "NoSpamLogger.java:92", "readstage"),
    "E9": ("WARN", "BigTableWriter.java:258", "compaction"),
    "E10": ("WARN", "ReadCommand.java:608", "readstage"),
    "E11": ("INFO", "AutoSavingCache.java:395", "compaction"),
    "E12": ("INFO", "AutoSavingCache.java:174", "main"),
    "E13": ("INFO", "OutboundConnection.java:1151", "messaging"),
    "E14": ("INFO", "Gossiper.java:1101", "GossipStage:1"),
    "E15": ("INFO", "Gossiper.java:1139", "GossipStage:1"),
    "E16": ("INFO", "StorageService.java:2588", "GossipStage:1"),
    "E17": ("INFO", "Gossiper.java:1234", "GossipStage:1"),
    "E18": ("INFO", "HintsDispatchExecutor.java:282", "hints"),
    "E19": ("INFO", "HintsDispatchExecutor.java:288", "hints"),
    "E20": ("ERROR", "ExceptionHandlers.java:136", "ntr"),
    "E21": ("ERROR", "CassandraDaemon.java:581", "compaction"),
    "E22": ("INFO", "StreamResultFuture.java:187", "stream"),
    "E23": ("INFO", "StreamResultFuture.java:233", "stream"),
    "E24": ("INFO", "RepairSession.java:284", "repairtask"),
    "E25": ("INFO", "RepairRunnable.java:356", "repair"),
    "E26": ("INFO", "ColumnFamilyStore.java:385", "main"),
    "E27": ("INFO", "YamlConfigurationLoader.java:97", "main"),
    "E28": ("INFO", "CassandraDaemon.java:597", "main"),
    "E29": ("INFO", "CassandraDaemon.java:585", "main"),
    "E30": ("INFO", "CommitLogReplayer.java:291", "main"),
    "E31": ("INFO", "CommitLog.java:193", "main"),
    "E32": ("INFO", "Server.java:158", "main"),
    "E33": ("INFO", "CassandraDaemon.java:650", "main"),
}

CASS_TABLES = [
    ("system", "local"), ("system", "peers_v2"), ("system", "size_estimates"),
    ("system", "compaction_history"), ("system", "sstable_activity"),
    ("system", "paxos"), ("system", "batches"), ("system", "prepared_statements"),
    ("system_schema", "tables"), ("system_schema", "columns"),
    ("system_schema", "keyspaces"), ("system_auth", "roles"),
    ("system_distributed", "repair_history"), ("system_traces", "sessions"),
    ("shop", "orders"), ("shop", "order_items"), ("shop", "customers"),
    ("shop", "carts"), ("shop", "inventory_by_sku"), ("metrics", "samples_by_minute"),
    ("metrics", "rollups_hourly"), ("iot", "readings_by_device"), ("iot", "devices"),
    ("sessions", "web_sessions"), ("audit", "events_by_day"),
]
CASS_HOT = [("shop", "orders"), ("iot", "readings_by_device"), ("metrics", "samples_by_minute"),
            ("sessions", "web_sessions"), ("system", "compaction_history"), ("shop", "carts"),
            ("audit", "events_by_day"), ("system", "sstable_activity")]
CASS_PEERS = ["10.40.1.%d" % i for i in (11, 12, 13, 14, 21, 22, 23, 24, 31, 32)]
CASS_SELF = "10.40.1.11"


def _cass_size(rng, lo_kib, hi_kib):
    kib = rng.uniform(lo_kib, hi_kib)
    if kib >= 1024 * 1024:
        return "%.3fGiB" % (kib / 1024 / 1024)
    if kib >= 1024:
        return "%.3fMiB" % (kib / 1024)
    return "%.3fKiB" % kib


def _grouped(n):
    return "{:,}".format(n)


def build_cassandra(rng):
    clock = Clock(rng, dt.datetime(2023, 11, 14, 9, 58, 11, 402000))
    table_ids = {t: rnd_hex(rng, 32) for t in CASS_TABLES}
    gen = {t: rng.randint(3, 900) for t in CASS_TABLES}
    segment = [1699955800000 + rng.randint(0, 99999)]

    def thread(kind):
        if kind == "compaction":
            return "CompactionExecutor:%d" % rng.randint(1, 8)
        if kind == "flushwriter":
            return "PerDiskMemtableFlushWriter_0:%d" % rng.randint(1, 40)
        if kind == "flushcaller":
            return rng.choice(["SlabPoolCleaner", "OptionalTasks:1", "MigrationStage:1",
                               "NativePoolCleaner", "CompactionExecutor:%d" % rng.randint(1, 8)])
        if kind == "readstage":
            return "ReadStage-%d" % rng.randint(1, 32)
        if kind == "messaging":
            return "Messaging-EventLoop-3-%d" % rng.randint(1, 8)
        if kind == "hints":
            return "HintsDispatcher:%d" % rng.randint(1, 4)
        if kind == "ntr":
            return "Native-Transport-Requests-%d" % rng.randint(1, 128)
        if kind == "stream":
            return "Stream-Deserializer-/%s:7000-%s" % (rng.choice(CASS_PEERS[1:]), rnd_hex(rng, 8))
        if kind == "repairtask":
            return "RepairJobTask:%d" % rng.randint(1, 6)
        if kind == "repair":
            return "Repair#%d:1" % rng.randint(1, 40)
        return kind

    def rec(eid, values, cont=(), lo=1, hi=2500):
        level, site, kind = CASSANDRA_SITES[eid]
        t = clock.tick(lo, hi)
        header = "%-5s [%s] %s,%03d %s - " % (
            level, thread(kind), t.strftime("%Y-%m-%d %H:%M:%S"), t.microsecond // 1000, site)
        return Rec(eid, header, fill(CASSANDRA_EVENTS[eid], values), cont)

    def sstable(t):
        gen[t] += 1
        return "/var/lib/cassandra/data/%s/%s-%s/nb-%d-big" % (t[0], t[1], table_ids[t], gen[t])

    def peer():
        return "/%s:7000" % rng.choice(CASS_PEERS[1:])

    def commitlog_pos():
        if rng.random() < 0.1:
            segment[0] += rng.randint(1, 3)
        return "CommitLogPosition(segmentId=%d, position=%d)" % (segment[0], rng.randint(100, 33554000))

    def java_trace(kind):
        if kind == "reset":
            return ["io.netty.channel.unix.Errors$NativeIoException: readAddress(..) failed: Connection reset by peer"]
        if kind == "proto":
            return [
                "org.apache.cassandra.transport.ProtocolException: Invalid or unsupported protocol version (%d); supported versions are (3/v3, 4/v4, 5/v5, 6/v6-beta)" % rng.choice([1, 2, 65, 83]),
                "\tat org.apache.cassandra.transport.PreV5Handlers$ProtocolDecoder.decode(PreV5Handlers.java:294)",
                "\tat org.apache.cassandra.transport.PreV5Handlers$ProtocolDecoder.decode(PreV5Handlers.java:247)",
                "\tat io.netty.handler.codec.MessageToMessageDecoder.channelRead(MessageToMessageDecoder.java:88)",
                "\tat io.netty.channel.AbstractChannelHandlerContext.invokeChannelRead(AbstractChannelHandlerContext.java:379)",
                "\tat io.netty.channel.epoll.AbstractEpollStreamChannel$EpollStreamUnsafe.epollInReady(AbstractEpollStreamChannel.java:795)",
                "\tat io.netty.channel.epoll.EpollEventLoop.run(EpollEventLoop.java:333)",
                "\tat io.netty.util.concurrent.SingleThreadEventExecutor$4.run(SingleThreadEventExecutor.java:905)",
                "\tat java.base/java.lang.Thread.run(Thread.java:829)",
            ]
        if kind == "timeout":
            return [
                "org.apache.cassandra.exceptions.ReadTimeoutException: Operation timed out - received only %d responses." % rng.randint(0, 1),
                "\tat org.apache.cassandra.service.reads.ReadCallback.awaitResults(ReadCallback.java:133)",
                "\tat org.apache.cassandra.service.reads.AbstractReadExecutor.awaitResponses(AbstractReadExecutor.java:387)",
                "\tat org.apache.cassandra.service.StorageProxy.fetchRows(StorageProxy.java:1861)",
                "\tat org.apache.cassandra.service.StorageProxy.readRegular(StorageProxy.java:1786)",
                "\tat org.apache.cassandra.cql3.statements.SelectStatement.execute(SelectStatement.java:247)",
                "\tat org.apache.cassandra.transport.Dispatcher.processRequest(Dispatcher.java:86)",
                "\tat java.base/java.lang.Thread.run(Thread.java:829)",
            ]
        t = rng.choice(CASS_HOT)
        path = sstable(t) + "-Data.db"
        return [
            "java.lang.RuntimeException: java.nio.file.NoSuchFileException: " + path,
            "\tat org.apache.cassandra.io.util.ChannelProxy.openChannel(ChannelProxy.java:55)",
            "\tat org.apache.cassandra.io.util.ChannelProxy.<init>(ChannelProxy.java:66)",
            "\tat org.apache.cassandra.io.sstable.format.SSTableReader.open(SSTableReader.java:457)",
            "\tat org.apache.cassandra.db.compaction.CompactionTask.runMayThrow(CompactionTask.java:196)",
            "\tat org.apache.cassandra.utils.WrappedRunnable.run(WrappedRunnable.java:28)",
            "\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1128)",
            "\tat java.base/java.lang.Thread.run(Thread.java:829)",
            "Caused by: java.nio.file.NoSuchFileException: " + path,
            "\tat java.base/sun.nio.fs.UnixException.translateToIOException(UnixException.java:92)",
            "\tat java.base/sun.nio.fs.UnixFileSystemProvider.newFileChannel(UnixFileSystemProvider.java:182)",
            "\t... 14 common frames omitted",
        ]

    # ---- startup
    out = [
        rec("E27", ["file:/etc/cassandra/cassandra.yaml"], lo=1, hi=5),
        rec("E28", ["[-ea, -da:net.openhft..., -XX:+UseThreadPriorities, -XX:+HeapDumpOnOutOfMemoryError, "
                    "-Xss256k, -XX:+UseG1GC, -XX:MaxGCPauseMillis=300, -Xms8G, -Xmx8G, "
                    "-Dcassandra.config=file:///etc/cassandra/cassandra.yaml, -Dcassandra.storagedir=/var/lib/cassandra]"], lo=20, hi=200),
        rec("E29", ["8.000GiB", "8.000GiB"], lo=1, hi=5),
    ]
    for t in CASS_TABLES:
        out.append(rec("E26", list(t), lo=5, hi=120))
    out.append(rec("E12", [rng.randint(20, 90), rng.randint(1000, 90000), "KeyCache"], lo=50, hi=400))
    out.append(rec("E12", [rng.randint(0, 3), 0, "RowCache"], lo=1, hi=20))
    for i in range(3):
        out.append(rec("E30", ["/var/lib/cassandra/commitlog/CommitLog-7-%d.log" % (segment[0] - 3 + i)], lo=30, hi=900))
    out.append(rec("E31", [_grouped(rng.randint(5000, 400000))], lo=100, hi=2000))
    for p in CASS_PEERS[1:6]:
        out.append(rec("E17", ["/%s:7000" % p], lo=5, hi=80))
        out.append(rec("E15", ["/%s:7000" % p], lo=1, hi=30))
        out.append(rec("E16", ["/%s:7000" % p], lo=1, hi=30))
    out.append(rec("E32", ["/%s:9042" % CASS_SELF, "unencrypted"], lo=500, hi=3000))
    out.append(rec("E33", [], lo=5, hi=60))

    table = [("E1", 17), ("E2", 15), ("E3", 10), ("E6", 3),
             ("E7", 7), ("E8", 2), ("E9", 1.5), ("E10", 2.5), ("E11", 1), ("E13", 3),
             ("E14", 0.8), ("E15", 0.8), ("E18", 1.5), ("E19", 0.4), ("E20", 1.2),
             ("E21", 0.15), ("E22", 0.4), ("E23", 0.25), ("E24", 0.25), ("E25", 0.15)]
    sched = iter(fill_schedule(rng, table, 3000))

    def make(eid):
        if eid == "E1":
            t = rng.choice(CASS_HOT)
            n = rng.choice([2, 4, 4, 4, 5, 6, 32])
            before = rng.uniform(20, 900000)
            ratio = rng.randint(35, 99)
            after = before * ratio / 100
            ms = rng.randint(20, 90000)
            rows = rng.randint(100, 9000000)
            merged = max(1, rows // rng.randint(1, 40))
            counts = ", ".join("%d:%d" % (k, rng.randint(1, 99999)) for k in range(1, rng.randint(2, 5))) + ", "
            return [rec("E1", [rnd_uuid(rng), n, sstable(t) + ",", rng.choice([0, 0, 0, 1, 2]),
                               _cass_size(rng, before, before), _cass_size(rng, after, after), ratio,
                               _grouped(ms), _cass_size(rng, before / ms * 1000, before / ms * 1000) + "/s",
                               _cass_size(rng, after / ms * 1000, after / ms * 1000) + "/s",
                               _grouped(rng.randint(10, 300000)), _grouped(rows), _grouped(merged),
                               counts, _grouped(rng.randint(1, ms))])]
        if eid == "E2":
            young = rng.random() < 0.93
            ms = rng.randint(201, 900) if young else rng.randint(900, 4800)
            eden = rng.randint(300, 420) * 1048576 + rng.randint(0, 1048575)
            old = rng.randint(1500, 6200) * 1048576 + rng.randint(0, 1048575)
            surv = rng.randint(10, 60) * 1048576 + rng.randint(0, 1048575)
            pools = "G1 Eden Space: %d -> 0; G1 Old Gen: %d -> %d; G1 Survivor Space: %d -> %d" % (
                eden, old, old + rng.randint(-1000000, 90000000), surv, surv + rng.randint(-4000000, 4000000))
            if not young:
                pools = "G1 Old Gen: %d -> %d" % (old, old // rng.randint(2, 4))
            return [rec("E2", ["G1 Young Generation" if young else "G1 Old Generation", ms, pools])]
        if eid == "E3":
            t = rng.choice(CASS_HOT + CASS_TABLES)
            on, off = rng.randint(1, 60), rng.randint(0, 40)
            addr = rnd_hex(rng, 8)
            data = sstable(t) + "-Data.db"
            return [
                rec("E3", [t[1], _cass_size(rng, 50, 400000), on, _cass_size(rng, 1, 300000), off]),
                rec("E4", [t[1], addr, _grouped(rng.randint(1000, 99000000)), _grouped(rng.randint(1, 900000)),
                           on, off, "min(-9223372036854775808)", "max(9223372036854775807)"], lo=1, hi=40),
                rec("E5", ["Memtable-%s@%s" % (t[1], addr), data, commitlog_pos()], lo=30, hi=4000),
            ]
        if eid == "E6":
            t = rng.choice(CASS_HOT)
            return [rec("E6", [t[0], t[1], "%.2f" % rng.uniform(0.3, 0.9), "0.00",
                               "%.2f" % rng.uniform(0.2, 0.8), "0.00", "%.2f" % rng.uniform(0, 0.3), "0.00",
                               "%.2f" % rng.uniform(0.05, 0.4), "0.00"])]
        if eid == "E7":
            return [rec("E7", [])]
        if eid == "E8":
            return [rec("E8", [rng.choice(["512.000MiB", "1.000GiB"]), rng.choice(["1.000MiB", "128.000KiB"])])]
        if eid == "E9":
            t = rng.choice([("iot", "readings_by_device"), ("metrics", "samples_by_minute"), ("audit", "events_by_day")])
            key = rng.choice(["dev-%05d" % rng.randint(1, 30000), "2023-11-%02d" % rng.randint(1, 14),
                              "%d:%s" % (rng.randint(1, 99), rnd_hex(rng, 6))])
            return [rec("E9", [t[0], t[1], key, _cass_size(rng, 102400, 3000000),
                               "/var/lib/cassandra/data/%s/%s-%s/nb-%d-big-Data.db" % (t[0], t[1], table_ids[t], gen[t])])]
        if eid == "E10":
            q = rng.choice([
                "SELECT * FROM shop.carts WHERE customer_id = %d LIMIT 5000" % rng.randint(1000, 99999),
                "SELECT status, updated_at FROM shop.orders WHERE customer_id = %d AND order_day = '2023-11-%02d' LIMIT 5000" % (rng.randint(1000, 99999), rng.randint(1, 14)),
                "SELECT * FROM sessions.web_sessions WHERE user_id = %s LIMIT 100" % rnd_uuid(rng),
                "SELECT * FROM iot.readings_by_device WHERE device_id = 'dev-%05d' AND ts > 1699900000000 LIMIT 5000" % rng.randint(1, 30000),
            ])
            return [rec("E10", [rng.randint(0, 200), _grouped(rng.randint(1001, 90000)), q])]
        if eid == "E11":
            return [rec("E11", [rng.choice(["KeyCache", "KeyCache", "KeyCache", "CounterCache", "RowCache"]),
                                rng.randint(0, 250000), rng.randint(2, 900)])]
        if eid == "E13":
            p = rng.choice(CASS_PEERS[1:])
            conn = "/%s:7000->/%s:7000-%s-%s" % (CASS_SELF, p, rng.choice(["SMALL_MESSAGES", "LARGE_MESSAGES", "URGENT_MESSAGES"]), rnd_hex(rng, 8))
            return [rec("E13", [conn, 12, rng.choice(["CRC", "CRC", "LZ4"]), "unencrypted"])]
        if eid in ("E14", "E15"):
            p = peer()
            return [rec("E14", [p]), rec("E15", [p], lo=4000, hi=90000)] if eid == "E14" else [rec("E15", [p])]
        if eid in ("E18", "E19"):
            p = rng.choice(CASS_PEERS[1:])
            hid = rnd_uuid(rng)
            return [rec(eid, ["%s-%d-2.hints" % (hid, 1699950000000 + rng.randint(0, 9999999)), "/%s:7000" % p, hid])]
        if eid == "E20":
            ch = "[id: 0x%s, L:/%s:9042 - R:/10.%d.%d.%d:%d]" % (rnd_hex(rng, 8), CASS_SELF, rng.choice([20, 20, 30]),
                                                                  rng.randint(0, 9), rng.randint(2, 250), rng.randint(32768, 60999))
            kind = rng.choice(["reset", "reset", "reset", "proto", "timeout"])
            return [rec("E20", [ch], java_trace(kind))]
        if eid == "E21":
            return [rec("E21", ["Thread[CompactionExecutor:%d,1,main]" % rng.randint(1, 8)], java_trace("nofile"))]
        if eid in ("E22", "E23"):
            sid = str(uuid.UUID(int=rng.getrandbits(128), version=1))
            return [rec("E22", [sid, peer()]), rec("E23", [sid], lo=1, hi=50)] if eid == "E23" else [rec("E22", [sid, peer()])]
        if eid in ("E24", "E25"):
            rid = str(uuid.UUID(int=rng.getrandbits(128), version=1))
            block = [rec("E24", [rid]) for _ in range(rng.randint(1, 3))]
            if eid == "E25":
                block.append(rec("E25", [rng.randint(1, 60), rng.choice(["%d seconds" % rng.randint(2, 59),
                                                                        "1 minute %d seconds" % rng.randint(0, 59),
                                                                        "%d minutes %d seconds" % (rng.randint(2, 40), rng.randint(0, 59))])]))
            return block
        raise RuntimeError(eid)

    def make_block():
        return make(next(sched))

    return fit(out, N_LINES, make_block, lambda: make("E2")[0])


system("Cassandra", 40401, CASSANDRA_EVENTS, CASSANDRA_HEADER_RE,
       "Apache Cassandra 4.0 (system.log)",
       "`LEVEL [thread] yyyy-MM-dd HH:mm:ss,SSS File.java:line - `")(build_cassandra)


# ================================================================ Consul
# HashiCorp Consul 1.16 agent (server mode, log_level=debug), hclog text format:
#   2023-11-14T10:00:00.123Z [INFO]  agent.server.raft: message: key=value ...
# The logger name ends the header; the message starts after "name: ".

CONSUL_EVENTS = {
    "E1": "Node info in sync",
    "E2": "Skipping remote check since it is managed automatically: check=<*>",
    "E3": "Service in sync: service=<*>",
    "E4": "Check in sync: check=<*>",
    "E5": "Synced service: service=<*>",
    "E6": "Synced check: check=<*>",
    "E7": "Deregistered service: service=<*>",
    "E8": "Check status updated: check=<*> status=<*>",
    "E9": "Check is now critical: check=<*>",
    "E10": "Check socket connection failed: check=<*> error=<*>",
    "E11": "Request finished: method=<*> url=<*> from=<*> latency=<*>",
    "E12": "Request error: method=<*> url=<*> from=<*> error=<*>",
    "E13": "serf: EventMemberJoin: <*> <*>",
    "E14": "serf: EventMemberLeave: <*> <*>",
    "E15": "serf: EventMemberFailed: <*> <*>",
    "E16": "member joined, marking health alive: member=<*> partition=<*>",
    "E17": "deregistering member: member=<*> partition=<*> reason=<*>",
    "E18": "entering follower state: follower=<*> leader-address=<*> leader-id=<*>",
    "E19": "heartbeat timeout reached, starting election: last-leader-addr=<*> last-leader-id=<*>",
    "E20": "entering candidate state: node=<*> term=<*>",
    "E21": "election won: term=<*> tally=<*>",
    "E22": "entering leader state: leader=<*>",
    "E23": "pipelining replication: peer=<*>",
    "E24": "cluster leadership acquired",
    "E25": "cluster leadership lost",
    "E26": "New leader elected: payload=<*>",
    "E27": "started routine: routine=<*>",
    "E28": "stopped routine: routine=<*>",
    "E29": "starting snapshot up to: index=<*>",
    "E30": "creating new snapshot: path=<*>",
    "E31": "snapshot complete up to: index=<*>",
    "E32": "compacting logs: from=<*> to=<*>",
    "E33": "memberlist: Stream connection from=<*>",
    "E34": "memberlist: Initiating push/pull sync with: <*> <*>",
    "E35": "memberlist: Refuting a suspect message (from: <*>)",
    "E36": "memberlist: Suspect <*> has failed, no acks received",
    "E37": "failed to sync remote state: error=<*>",
    "E38": "Coordinate update error: error=<*>",
    "E39": "Consul agent running!",
    "E40": "failed to contact quorum of nodes, stepping down",
    "E41": "Synced node info",
}

CONSUL_HEADER_RE = (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
                    r"(?:\[TRACE\] |\[DEBUG\] |\[INFO\]  |\[WARN\]  |\[ERROR\] )[a-z0-9_.\-]+: ")

CONSUL_SITES = {  # EventId -> (level, logger name)
    "E1": ("DEBUG", "agent"), "E2": ("DEBUG", "agent"), "E3": ("DEBUG", "agent"),
    "E4": ("DEBUG", "agent"), "E5": ("INFO", "agent"), "E6": ("INFO", "agent"),
    "E7": ("INFO", "agent"), "E8": ("DEBUG", "agent"), "E9": ("WARN", "agent"),
    "E10": ("WARN", "agent"), "E11": ("DEBUG", "agent.http"), "E12": ("ERROR", "agent.http"),
    "E13": ("INFO", "agent.server.serf.lan"), "E14": ("INFO", "agent.server.serf.lan"),
    "E15": ("INFO", "agent.server.serf.lan"), "E16": ("INFO", "agent.server"),
    "E17": ("INFO", "agent.server"), "E18": ("INFO", "agent.server.raft"),
    "E19": ("WARN", "agent.server.raft"), "E20": ("INFO", "agent.server.raft"),
    "E21": ("INFO", "agent.server.raft"), "E22": ("INFO", "agent.server.raft"),
    "E23": ("INFO", "agent.server.raft"), "E24": ("INFO", "agent.server"),
    "E25": ("INFO", "agent.server"), "E26": ("INFO", "agent.server"),
    "E27": ("INFO", "agent.leader"), "E28": ("INFO", "agent.leader"),
    "E29": ("INFO", "agent.server.raft"), "E30": ("INFO", "agent.server.snapshot"),
    "E31": ("INFO", "agent.server.raft"), "E32": ("INFO", "agent.server.raft"),
    "E33": ("DEBUG", "agent.server.memberlist.lan"), "E34": ("DEBUG", "agent.server.memberlist.lan"),
    "E35": ("WARN", "agent.server.memberlist.lan"), "E36": ("INFO", "agent.server.memberlist.lan"),
    "E37": ("ERROR", "agent.anti_entropy"), "E38": ("ERROR", "agent"),
    "E39": ("INFO", "agent"), "E40": ("WARN", "agent.server.raft"), "E41": ("INFO", "agent"),
}

CONSUL_LEVEL_TAG = {"TRACE": "[TRACE] ", "DEBUG": "[DEBUG] ", "INFO": "[INFO]  ",
                    "WARN": "[WARN]  ", "ERROR": "[ERROR] "}

CONSUL_ROUTINES = ["federation state anti-entropy", "federation state pruning",
                   "intermediate cert renew watch", "CA root pruning", "CA root expiration metric",
                   "CA signing expiration metric", "virtual IP version check", "config entry controllers",
                   "streaming peering resources", "metrics for streaming peering resources",
                   "peering deferred deletion"]


def build_consul(rng):
    clock = Clock(rng, dt.datetime(2023, 11, 14, 10, 3, 27, 118000))
    servers = {"consul-server-1": "10.50.0.11", "consul-server-2": "10.50.0.12",
               "consul-server-3": "10.50.0.13"}
    ids = {n: rnd_uuid(rng) for n in servers}
    me = "consul-server-2"
    clients = {}
    for i in range(1, 19):
        name = rng.choice(["web", "api", "worker", "db", "cache"]) + "-%02d" % i
        clients[name] = "10.50.%d.%d" % (rng.randint(1, 6), rng.randint(10, 250))
    services = ["web", "web-sidecar-proxy", "api", "api-sidecar-proxy", "payments", "redis",
                "postgres", "billing-worker", "ingress-gateway", "metrics-exporter"]
    checks = ["service:web-1", "service:api-1", "service:api-2", "service:payments-1",
              "service:redis-1", "service:postgres-1", "service:web-sidecar-proxy:1",
              "service:web-sidecar-proxy:2", "service:api-sidecar-proxy:1", "mem-util", "disk-util"]
    state = {"leader": "consul-server-1", "term": rng.randint(40, 90), "index": rng.randint(2000000, 3000000)}

    def rec(eid, values, lo=1, hi=900):
        level, name = CONSUL_SITES[eid]
        t = clock.tick(lo, hi)
        header = "%s.%03dZ %s%s: " % (t.strftime("%Y-%m-%dT%H:%M:%S"), t.microsecond // 1000,
                                      CONSUL_LEVEL_TAG[level], name)
        return Rec(eid, header, fill(CONSUL_EVENTS[eid], values))

    def caller():
        if rng.random() < 0.6:
            return "127.0.0.1:%d" % rng.randint(32768, 60999)
        return "%s:%d" % (rng.choice(list(clients.values())), rng.randint(32768, 60999))

    def url():
        s = rng.choice(services[:8])
        return rng.choice([
            "/v1/health/service/%s?dc=dc1&index=%d&passing=1&wait=60000ms" % (s, state["index"] - rng.randint(0, 500)),
            "/v1/health/service/%s?passing=1" % s,
            "/v1/agent/self",
            "/v1/kv/config/%s/%s?index=%d" % (s, rng.choice(["flags", "limits", "db"]), state["index"] - rng.randint(0, 9000)),
            "/v1/catalog/services?index=%d" % (state["index"] - rng.randint(0, 900)),
            "/v1/agent/checks",
            "/v1/status/leader",
        ])

    def latency(u):
        if "index=" in u and rng.random() < 0.6:
            return "%.6fs" % rng.uniform(5, 60.01)
        return rng.choice(["%.3fµs" % rng.uniform(80, 999), "%.6fms" % rng.uniform(1, 40)])

    def leader_payload(n):
        return n

    def raft_id(n):
        return ids[n]

    out = [rec("E39", []), rec("E1", [], lo=1, hi=20)]
    for n, ip in servers.items():
        out.append(rec("E13", [n, ip], lo=1, hi=40))
    out.append(rec("E18", ['"Node at %s:8300 [Follower]"' % servers[me], "%s:8300" % servers[state["leader"]],
                           raft_id(state["leader"])], lo=1, hi=50))
    out.append(rec("E26", [leader_payload(state["leader"])], lo=100, hi=900))
    for n in list(clients)[:6]:
        out.append(rec("E13", [n, clients[n]], lo=1, hi=60))
    out.append(rec("E41", [], lo=10, hi=300))
    for s in services[:3]:
        out.append(rec("E5", [s], lo=1, hi=20))
    for c in checks[:3]:
        out.append(rec("E6", [c], lo=1, hi=20))

    table = [("E1", 14), ("E2", 13), ("E3", 10), ("E4", 9), ("E11", 40), ("E8", 4),
             ("E5", 1.2), ("E6", 1.5), ("E7", 0.4), ("E9", 0.8), ("E10", 1.0), ("E12", 1.0),
             ("E33", 4), ("E34", 4), ("E35", 0.2), ("E37", 0.25), ("E38", 0.15),
             ("CHURN", 0.5), ("FAIL", 0.2), ("SNAP", 0.3), ("LEAD", 0.1)]
    sched = iter(fill_schedule(rng, table, 3000, once_keys=["LEAD"]))

    def routines(eid):
        return [rec(eid, [r], lo=0, hi=3) for r in CONSUL_ROUTINES]

    def make(key):
        if key in ("E1", "E2"):
            return [rec(key, ["serfHealth"] if key == "E2" else [], lo=1, hi=200)]
        if key == "E3":
            return [rec("E3", [rng.choice(services)], lo=0, hi=5)]
        if key in ("E4", "E6"):
            return [rec(key, [rng.choice(checks)], lo=0, hi=5)]
        if key == "E5":
            return [rec("E5", [rng.choice(services)])]
        if key == "E7":
            return [rec("E7", [rng.choice(services[2:]) + "-%d" % rng.randint(1, 3)])]
        if key == "E8":
            return [rec("E8", [rng.choice(checks), rng.choice(["passing", "passing", "passing", "warning", "critical"])])]
        if key == "E9":
            return [rec("E9", [rng.choice(checks[:7])])]
        if key == "E10":
            c = rng.choice(["service:redis-1", "service:postgres-1", "service:payments-1"])
            port = {"service:redis-1": 6379, "service:postgres-1": 5432, "service:payments-1": 8443}[c]
            err = rng.choice(["connect: connection refused", "i/o timeout"])
            return [rec("E10", [c, '"dial tcp %s:%d: %s"' % (rng.choice(list(clients.values())), port, err)])]
        if key == "E11":
            u = url()
            m = "GET"
            if rng.random() < 0.08:
                m, u = "PUT", rng.choice(["/v1/agent/check/pass/%s" % rng.choice(checks), "/v1/session/renew/%s" % rnd_uuid(rng),
                                          "/v1/kv/locks/billing-worker/leader?acquire=%s" % rnd_uuid(rng)])
            return [rec("E11", [m, u, caller(), latency(u)], lo=0, hi=400)]
        if key == "E12":
            m = rng.choice(["GET", "PUT", "DELETE"])
            u = rng.choice(["/v1/kv/locks/%s/leader?acquire=%s" % (rng.choice(services[:5]), rnd_uuid(rng)),
                            "/v1/acl/token/self", "/v1/agent/service/register", "/v1/session/create"])
            e = rng.choice(['"Permission denied: token with AccessorID \'%s\' lacks permission \'key:write\' on \\"locks/api/leader\\""' % rnd_uuid(rng),
                            '"ACL not found"', '"No cluster leader"', '"rpc error making call: Missing service registration"'])
            return [rec("E12", [m, u, caller(), e])]
        if key == "E33":
            return [rec("E33", ["%s:%d" % (rng.choice(list(servers.values()) + list(clients.values())), rng.randint(32768, 60999))])]
        if key == "E34":
            n = rng.choice([n for n in list(servers) + list(clients) if n != me])
            ip = servers.get(n) or clients[n]
            return [rec("E34", [n, "%s:8301" % ip])]
        if key == "E35":
            return [rec("E35", [rng.choice(list(servers) + list(clients)[:5])])]
        if key == "E37":
            return [rec("E37", [rng.choice(['"No cluster leader"', '"rpc error making call: EOF"'])])]
        if key == "E38":
            return [rec("E38", ['"rpc error making call: rpc: can\'t find service Coordinate.Update"' if rng.random() < 0.3
                                else '"No cluster leader"'])]
        if key == "CHURN":
            n = rng.choice(list(clients))
            ip = clients[n]
            if rng.random() < 0.5:
                return [rec("E14", [n, ip]), rec("E17", [n, "default", "left"], lo=1, hi=30),
                        rec("E13", [n, ip], lo=20000, hi=200000), rec("E16", [n, "default"], lo=1, hi=30)]
            return [rec("E13", [n, ip]), rec("E16", [n, "default"], lo=1, hi=30)]
        if key == "FAIL":
            n = rng.choice(list(clients))
            ip = clients[n]
            return [rec("E36", [n]), rec("E15", [n, ip], lo=1, hi=60),
                    rec("E17", [n, "default", "reaped"], lo=100, hi=900)]
        if key == "SNAP":
            state["index"] += rng.randint(5000, 40000)
            idx = state["index"]
            return [rec("E29", [idx]),
                    rec("E30", ["/opt/consul/raft/snapshots/%d-%d-%d.tmp" % (state["term"], idx, int(clock.t.timestamp() * 1000))], lo=1, hi=20),
                    rec("E31", [idx], lo=50, hi=900),
                    rec("E32", [idx - rng.randint(10000, 20000), idx - 10240], lo=1, hi=40)]
        if key == "LEAD":
            if state["leader"] != me:
                old = state["leader"]
                state["term"] += 1
                block = [rec("E36", [old], lo=100, hi=2000),
                         rec("E15", [old, servers[old]], lo=1, hi=50),
                         rec("E19", ["%s:8300" % servers[old], raft_id(old)], lo=1, hi=900),
                         rec("E20", ['"Node at %s:8300 [Candidate]"' % servers[me], state["term"]], lo=1, hi=5),
                         rec("E21", [state["term"], 2], lo=5, hi=300),
                         rec("E22", ['"Node at %s:8300 [Leader]"' % servers[me]], lo=0, hi=3),
                         rec("E24", [], lo=0, hi=3)]
                block += routines("E27")
                for n in servers:
                    if n not in (me, old):
                        block.append(rec("E23", ['"{Voter %s %s:8300}"' % (raft_id(n), servers[n])], lo=1, hi=40))
                block.append(rec("E13", [old, servers[old]], lo=30000, hi=120000))
                block.append(rec("E16", [old, "default"], lo=1, hi=30))
                block.append(rec("E23", ['"{Voter %s %s:8300}"' % (raft_id(old), servers[old])], lo=1, hi=40))
                state["leader"] = me
                return block
            new = rng.choice([n for n in servers if n != me])
            state["term"] += 1
            block = [rec("E40", [], lo=100, hi=900),
                     rec("E18", ['"Node at %s:8300 [Follower]"' % servers[me], "%s:8300" % servers[new], raft_id(new)], lo=1, hi=20),
                     rec("E25", [], lo=0, hi=3)]
            block += routines("E28")
            block.append(rec("E26", [leader_payload(new)], lo=200, hi=2000))
            state["leader"] = new
            return block
        raise RuntimeError(key)

    def make_block():
        return make(next(sched))

    return fit(out, N_LINES, make_block, lambda: make("E11")[0])


system("Consul", 40402, CONSUL_EVENTS, CONSUL_HEADER_RE,
       "HashiCorp Consul 1.16 agent (server, log_level=debug)",
       "`yyyy-MM-ddTHH:mm:ss.SSSZ [LEVEL] logger.name: `")(build_consul)


# ================================================================ Tomcat
# Apache Tomcat 9 catalina.out, JULI OneLineFormatter:
#   dd-MMM-yyyy HH:mm:ss.SSS LEVEL [thread] class.method message
# Throwables follow on their own lines, indented by a tab.

TOMCAT_EVENTS = {
    "E1": "Server version name:   <*>",
    "E2": "Server built:          <*>",
    "E3": "Server version number: <*>",
    "E4": "OS Name:               <*>",
    "E5": "OS Version:            <*>",
    "E6": "Architecture:          <*>",
    "E7": "Java Home:             <*>",
    "E8": "JVM Version:           <*>",
    "E9": "JVM Vendor:            <*>",
    "E10": "CATALINA_BASE:         <*>",
    "E11": "CATALINA_HOME:         <*>",
    "E12": "Command line argument: <*>",
    "E13": "The Apache Tomcat Native library which allows using OpenSSL was not found on the java.library.path: [<*>]",
    "E14": "Initializing ProtocolHandler [<*>]",
    "E15": "Starting ProtocolHandler [<*>]",
    "E16": "Pausing ProtocolHandler [<*>]",
    "E17": "Stopping ProtocolHandler [<*>]",
    "E18": "Destroying ProtocolHandler [<*>]",
    "E19": "Server initialization in [<*>] milliseconds",
    "E20": "Starting service [<*>]",
    "E21": "Stopping service [<*>]",
    "E22": "Starting Servlet engine: [<*>]",
    "E23": "Deploying web application archive [<*>]",
    "E24": "Deployment of web application archive [<*>] has finished in [<*>] ms",
    "E25": "Deploying web application directory [<*>]",
    "E26": "Deployment of web application directory [<*>] has finished in [<*>] ms",
    "E27": "At least one JAR was scanned for TLDs yet contained no TLDs. Enable debug logging for this logger for a complete list of JARs that were scanned but no TLDs were found in them. Skipping unneeded JARs during scanning can improve startup time and JSP compilation time.",
    "E28": "Server startup in [<*>] milliseconds",
    "E29": "Creation of SecureRandom instance for session ID generation using [<*>] took [<*>] milliseconds.",
    "E30": "Error parsing HTTP request header",
    "E31": "Servlet.service() for servlet [<*>] in context with path [<*>] threw exception",
    "E32": "Servlet.service() for servlet [<*>] in context with path [<*>] threw exception [<*>] with root cause",
    "E33": "Exception Processing <*>",
    "E34": "The web application [<*>] appears to have started a thread named [<*>] but has failed to stop it. This is very likely to create a memory leak. Stack trace of thread:",
    "E35": "The web application [<*>] registered the JDBC driver [<*>] but failed to unregister it when the web application was stopped. To prevent a memory leak, the JDBC Driver has been forcibly unregistered.",
    "E36": "The web application [<*>] created a ThreadLocal with key of type [<*>] (value [<*>]) and a value of type [<*>] (value [<*>]) but failed to remove it when the web application was stopped. Threads are going to be renewed over time to try and avoid a probable memory leak.",
    "E37": "A valid shutdown command was received via the shutdown port. Stopping the Server instance.",
    "E38": "Initializing Spring DispatcherServlet '<*>'",
    "E39": "Initializing Spring root WebApplicationContext",
    "E40": "Reloading Context with name [<*>] has started",
    "E41": "Reloading Context with name [<*>] is completed",
    "E42": "Undeploying context [<*>]",
    "E43": "Character decoding failed. Parameter [<*>] with value [<*>] has been ignored. Note that the name and value quoted here may be corrupted due to the failed decoding. Use debug level logging to see the original, non-corrupted values.",
}

TOMCAT_HEADER_RE = (r"\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3} "
                    r"(?:SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST) \[[^\]]+\] [A-Za-z0-9_$.]+ ")

TOMCAT_SITES = {  # EventId -> (level, class.method)
    **{"E%d" % i: ("INFO", "org.apache.catalina.startup.VersionLoggerListener.log") for i in range(1, 13)},
    "E13": ("INFO", "org.apache.catalina.core.AprLifecycleListener.lifecycleEvent"),
    "E14": ("INFO", "org.apache.coyote.AbstractProtocol.init"),
    "E15": ("INFO", "org.apache.coyote.AbstractProtocol.start"),
    "E16": ("INFO", "org.apache.coyote.AbstractProtocol.pause"),
    "E17": ("INFO", "org.apache.coyote.AbstractProtocol.stop"),
    "E18": ("INFO", "org.apache.coyote.AbstractProtocol.destroy"),
    "E19": ("INFO", "org.apache.catalina.startup.Catalina.load"),
    "E20": ("INFO", "org.apache.catalina.core.StandardService.startInternal"),
    "E21": ("INFO", "org.apache.catalina.core.StandardService.stopInternal"),
    "E22": ("INFO", "org.apache.catalina.core.StandardEngine.startInternal"),
    "E23": ("INFO", "org.apache.catalina.startup.HostConfig.deployWAR"),
    "E24": ("INFO", "org.apache.catalina.startup.HostConfig.deployWAR"),
    "E25": ("INFO", "org.apache.catalina.startup.HostConfig.deployDirectory"),
    "E26": ("INFO", "org.apache.catalina.startup.HostConfig.deployDirectory"),
    "E27": ("INFO", "org.apache.jasper.servlet.TldScanner.scanJars"),
    "E28": ("INFO", "org.apache.catalina.startup.Catalina.start"),
    "E29": ("WARNING", "org.apache.catalina.util.SessionIdGeneratorBase.createSecureRandom"),
    "E30": ("INFO", "org.apache.coyote.http11.Http11Processor.service"),
    "E31": ("SEVERE", "org.apache.catalina.core.StandardWrapperValve.invoke"),
    "E32": ("SEVERE", "org.apache.catalina.core.StandardWrapperValve.invoke"),
    "E33": ("SEVERE", "org.apache.catalina.core.StandardHostValve.custom"),
    "E34": ("WARNING", "org.apache.catalina.loader.WebappClassLoaderBase.clearReferencesThreads"),
    "E35": ("WARNING", "org.apache.catalina.loader.WebappClassLoaderBase.clearReferencesJdbc"),
    "E36": ("SEVERE", "org.apache.catalina.loader.WebappClassLoaderBase.checkThreadLocalMapForLeaks"),
    "E37": ("INFO", "org.apache.catalina.core.StandardServer.await"),
    "E38": ("INFO", "org.apache.catalina.core.ApplicationContext.log"),
    "E39": ("INFO", "org.apache.catalina.core.ApplicationContext.log"),
    "E40": ("INFO", "org.apache.catalina.core.StandardContext.reload"),
    "E41": ("INFO", "org.apache.catalina.core.StandardContext.reload"),
    "E42": ("INFO", "org.apache.catalina.startup.HostConfig.undeploy"),
    "E43": ("INFO", "org.apache.tomcat.util.http.Parameters.processParameters"),
}

TOMCAT_CONTAINER_FRAMES = [
    "javax.servlet.http.HttpServlet.service(HttpServlet.java:529)",
    "javax.servlet.http.HttpServlet.service(HttpServlet.java:623)",
    "org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:209)",
    "org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:153)",
    "org.apache.tomcat.websocket.server.WsFilter.doFilter(WsFilter.java:51)",
    "org.apache.catalina.core.ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:178)",
    "org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:153)",
    "org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:167)",
    "org.apache.catalina.core.StandardContextValve.invoke(StandardContextValve.java:90)",
    "org.apache.catalina.authenticator.AuthenticatorBase.invoke(AuthenticatorBase.java:482)",
    "org.apache.catalina.core.StandardHostValve.invoke(StandardHostValve.java:130)",
    "org.apache.catalina.valves.ErrorReportValve.invoke(ErrorReportValve.java:93)",
    "org.apache.catalina.valves.AbstractAccessLogValve.invoke(AbstractAccessLogValve.java:670)",
    "org.apache.catalina.core.StandardEngineValve.invoke(StandardEngineValve.java:74)",
    "org.apache.catalina.connector.CoyoteAdapter.service(CoyoteAdapter.java:343)",
    "org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:390)",
    "org.apache.coyote.AbstractProcessorLight.process(AbstractProcessorLight.java:63)",
    "org.apache.coyote.AbstractProtocol$ConnectionHandler.process(AbstractProtocol.java:926)",
    "org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1791)",
    "org.apache.tomcat.util.net.SocketProcessorBase.run(SocketProcessorBase.java:52)",
    "org.apache.tomcat.util.threads.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1191)",
    "org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:659)",
    "org.apache.tomcat.util.threads.TaskThread$WrappingRunnable.run(TaskThread.java:61)",
    "java.base/java.lang.Thread.run(Thread.java:840)",
]


def build_tomcat(rng):
    clock = Clock(rng, dt.datetime(2023, 11, 14, 8, 12, 40, 77000))
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    wars = ["shop", "api", "reports"]
    dirs = ["ROOT", "manager", "host-manager", "docs"]
    paths = {"shop": "/shop", "api": "/api", "reports": "/reports", "ROOT": "", "manager": "/manager"}
    st = {"version": "9.0.82", "built": "Oct 6 2023 11:35:27 UTC", "run": 0}

    def rec(eid, values, cont=(), lo=1, hi=200, thread="main"):
        level, where = TOMCAT_SITES[eid]
        t = clock.tick(lo, hi)
        header = "%02d-%s-%d %s.%03d %s [%s] %s " % (
            t.day, months[t.month - 1], t.year, t.strftime("%H:%M:%S"), t.microsecond // 1000,
            level, thread, where)
        return Rec(eid, header, fill(TOMCAT_EVENTS[eid], values), cont)

    def exec_thread():
        return "http-nio-8080-exec-%d" % rng.randint(1, 40)

    def trace(exc, app_frames, cause=None, container=True):
        lines = ["\t" + exc] + ["\t\tat " + f for f in app_frames]
        if container:
            start = rng.choice([0, 0, 0, 2])
            lines += ["\t\tat " + f for f in TOMCAT_CONTAINER_FRAMES[start:]]
        if cause:
            lines.append("\tCaused by: " + cause[0])
            lines += ["\t\tat " + f for f in cause[1]]
            lines.append("\t\t... %d more" % rng.randint(20, 60))
        return lines

    def startup():
        st["run"] += 1
        if st["run"] == 4:
            st["version"], st["built"] = "9.0.83", "Nov 10 2023 19:26:43 UTC"
        t0 = clock.t
        v = st["version"]
        out = [rec("E1", ["Apache Tomcat/" + v], lo=400, hi=900),
               rec("E2", [st["built"]], lo=0, hi=2),
               rec("E3", [v + ".0"], lo=0, hi=2),
               rec("E4", ["Linux"], lo=0, hi=2),
               rec("E5", ["5.15.0-88-generic"], lo=0, hi=2),
               rec("E6", ["amd64"], lo=0, hi=2),
               rec("E7", ["/usr/lib/jvm/java-17-openjdk-amd64"], lo=0, hi=2),
               rec("E8", ["17.0.9+9-Ubuntu-122.04"], lo=0, hi=2),
               rec("E9", ["Private Build"], lo=0, hi=2),
               rec("E10", ["/opt/tomcat"], lo=0, hi=2),
               rec("E11", ["/opt/tomcat"], lo=0, hi=2)]
        args = ["--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
                "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
                "-Djava.util.logging.config.file=/opt/tomcat/conf/logging.properties",
                "-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager",
                "-Xms%dm" % (1024 if st["run"] < 3 else 2048), "-Xmx%dm" % (2048 if st["run"] < 3 else 4096),
                "-XX:+UseG1GC", "-Dfile.encoding=UTF-8", "-Dspring.profiles.active=prod",
                "-Djdk.tls.ephemeralDHKeySize=2048", "-Djava.protocol.handler.pkgs=org.apache.catalina.webresources",
                "-Dorg.apache.catalina.security.SecurityListener.UMASK=0027", "-Dignore.endorsed.dirs=",
                "-Dcatalina.base=/opt/tomcat", "-Dcatalina.home=/opt/tomcat", "-Djava.io.tmpdir=/opt/tomcat/temp"]
        if st["run"] >= 3:
            args.insert(11, "-Djava.security.egd=file:/dev/./urandom")
        out += [rec("E12", [a], lo=0, hi=2) for a in args]
        out.append(rec("E13", ["/usr/java/packages/lib:/usr/lib64:/lib64:/lib:/usr/lib"], lo=5, hi=40))
        for h in ("http-nio-8080", "ajp-nio-127.0.0.1-8009"):
            out.append(rec("E14", [h], lo=20, hi=300))
        init_ms = int((clock.t - t0).total_seconds() * 1000) + rng.randint(300, 700)
        out.append(rec("E19", [init_ms], lo=5, hi=40))
        out.append(rec("E20", ["Catalina"], lo=1, hi=10))
        out.append(rec("E22", ["Apache Tomcat/" + v], lo=1, hi=10))
        for w in wars:
            out.append(rec("E23", ["/opt/tomcat/webapps/%s.war" % w], lo=10, hi=60))
            if w in ("shop", "api"):
                out.append(rec("E39", [], lo=800, hi=3000))
            if rng.random() < 0.7:
                out.append(rec("E27", [], lo=500, hi=3000))
            ms = rng.randint(2500, 14000)
            out.append(rec("E24", ["/opt/tomcat/webapps/%s.war" % w, ms], lo=ms // 2, hi=ms))
        for d in dirs:
            out.append(rec("E25", ["/opt/tomcat/webapps/" + d], lo=1, hi=20))
            ms = rng.randint(20, 400)
            out.append(rec("E26", ["/opt/tomcat/webapps/" + d, ms], lo=ms // 2, hi=ms))
        for h in ("http-nio-8080", "ajp-nio-127.0.0.1-8009"):
            out.append(rec("E15", [h], lo=5, hi=60))
        out.append(rec("E28", [int((clock.t - t0).total_seconds() * 1000)], lo=1, hi=10))
        if st["run"] < 3:
            # before -Djava.security.egd was added, SecureRandom seeding is slow
            out.append(rec("E29", [rng.choice(["SHA1PRNG", "NativePRNG"]), rng.randint(200, 4500)],
                           lo=2000, hi=60000, thread=exec_thread()))
        for app in ("shop", "api"):
            out.append(rec("E38", ["dispatcherServlet"], lo=100, hi=90000, thread=exec_thread()))
        return out

    def shutdown():
        out = [rec("E37", [], lo=3600 * 1000, hi=4 * 3600 * 1000)]
        for h in ("http-nio-8080", "ajp-nio-127.0.0.1-8009"):
            out.append(rec("E16", [h], lo=1, hi=20))
        out.append(rec("E21", ["Catalina"], lo=1, hi=20))
        if rng.random() < 0.8:
            out.append(rec("E35", ["shop", "com.mysql.cj.jdbc.Driver"], lo=100, hi=600))
        if rng.random() < 0.8:
            out.append(rec("E34", ["shop", "mysql-cj-abandoned-connection-cleanup"], [
                " java.base@17.0.9/java.lang.Object.wait(Native Method)",
                " java.base@17.0.9/java.lang.ref.ReferenceQueue.remove(ReferenceQueue.java:155)",
                " com.mysql.cj.jdbc.AbandonedConnectionCleanupThread.run(AbandonedConnectionCleanupThread.java:91)",
                " java.base@17.0.9/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)",
                " java.base@17.0.9/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:635)",
                " java.base@17.0.9/java.lang.Thread.run(Thread.java:840)"], lo=1, hi=20))
        if rng.random() < 0.5:
            out.append(rec("E34", ["reports", "pool-%d-thread-1" % rng.randint(1, 4)], [
                " java.base@17.0.9/jdk.internal.misc.Unsafe.park(Native Method)",
                " java.base@17.0.9/java.util.concurrent.locks.LockSupport.park(LockSupport.java:341)",
                " java.base@17.0.9/java.util.concurrent.LinkedBlockingQueue.take(LinkedBlockingQueue.java:435)",
                " java.base@17.0.9/java.util.concurrent.ThreadPoolExecutor.getTask(ThreadPoolExecutor.java:1062)",
                " java.base@17.0.9/java.lang.Thread.run(Thread.java:840)"], lo=1, hi=20))
        if rng.random() < 0.5:
            out.append(rec("E36", ["api", "java.lang.ThreadLocal",
                                   "java.lang.ThreadLocal@%s" % rnd_hex(rng, 8).lstrip("0"),
                                   "com.example.api.security.RequestContext",
                                   "com.example.api.security.RequestContext@%s" % rnd_hex(rng, 8).lstrip("0")], lo=1, hi=20))
        for h in ("http-nio-8080", "ajp-nio-127.0.0.1-8009"):
            out.append(rec("E17", [h], lo=5, hi=200))
        for h in ("http-nio-8080", "ajp-nio-127.0.0.1-8009"):
            out.append(rec("E18", [h], lo=1, hi=20))
        return out

    npe_targets = [('"com.example.shop.model.Cart.getItems()"', '"cart"'),
                   ('"java.util.Map.get(Object)"', '"this.priceCache"'),
                   ('"com.example.api.dto.OrderRequest.getCustomerId()"', '"request"'),
                   ('"String.length()"', '"token"')]

    def servlet_error():
        app = rng.choice(["shop", "shop", "api", "api", "api", "reports"])
        th = exec_thread()
        if app == "reports":
            n = rng.randint(0, 9)
            return [rec("E31", ["ReportServlet", "/reports"], trace(
                "java.lang.ArrayIndexOutOfBoundsException: Index %d out of bounds for length %d" % (n + 1, n + 1),
                ["com.example.reports.ReportServlet.columnFor(ReportServlet.java:211)",
                 "com.example.reports.ReportServlet.doGet(ReportServlet.java:88)"]), lo=1000, hi=400000, thread=th)]
        if rng.random() < 0.3:
            m, v = rng.choice(npe_targets)
            svc = "CartServlet" if app == "shop" else "OrderServlet"
            return [rec("E31", [svc, paths[app]], trace(
                "java.lang.NullPointerException: Cannot invoke %s because %s is null" % (m, v),
                ["com.example.%s.web.%s.doPost(%s.java:%d)" % (app, svc, svc, rng.choice([57, 73, 102]))]),
                lo=1000, hi=400000, thread=th)]
        kind = rng.choice(["db", "db", "db", "timeout", "json"])
        if kind == "db":
            ms = 30000
            msg = "Request processing failed; nested exception is org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection; nested exception is java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after %dms." % (ms + rng.randint(0, 12))
            root = ("java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after %dms." % (ms + rng.randint(0, 12)),
                    ["com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)",
                     "com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)",
                     "com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:146)",
                     "com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:100)",
                     "org.springframework.jdbc.datasource.DataSourceUtils.fetchConnection(DataSourceUtils.java:159)",
                     "org.springframework.jdbc.core.JdbcTemplate.execute(JdbcTemplate.java:376)",
                     "com.example.%s.repo.OrderRepository.findByCustomer(OrderRepository.java:%d)" % (app, rng.choice([48, 61])),
                     "com.example.%s.service.OrderService.history(OrderService.java:133)" % app,
                     "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:883)"])
        elif kind == "timeout":
            host = rng.choice(["inventory.internal", "pricing.internal"])
            msg = "Request processing failed; nested exception is org.springframework.web.client.ResourceAccessException: I/O error on GET request for \"http://%s:8080/v2/items\": Read timed out; nested exception is java.net.SocketTimeoutException: Read timed out" % host
            root = ("java.net.SocketTimeoutException: Read timed out",
                    ["java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)",
                     "java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:314)",
                     "java.base/java.net.Socket$SocketInputStream.read(Socket.java:966)",
                     "org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:776)",
                     "com.example.%s.client.InventoryClient.items(InventoryClient.java:52)" % app,
                     "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:883)"])
        else:
            msg = "Request processing failed; nested exception is java.lang.IllegalArgumentException: Unknown currency code: %s" % rng.choice(["XBT", "EURO", "usd "])
            root = ("java.lang.IllegalArgumentException: Unknown currency code",
                    ["java.base/java.util.Currency.getInstance(Currency.java:321)",
                     "com.example.%s.service.PriceService.convert(PriceService.java:77)" % app,
                     "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:883)"])
        return [rec("E32", ["dispatcherServlet", paths[app], msg], trace(root[0], root[1]),
                    lo=1000, hi=400000, thread=th)]

    def header_error():
        junk = rng.choice(["0x160x030x010x020x000x010x000x010xfc0x030x03", "0x160x030x010x000xf70x010x000x000xf30x03"])
        return [rec("E30", [], [" Note: further occurrences of HTTP request parsing errors will be logged at DEBUG level.",
                                "\tjava.lang.IllegalArgumentException: Invalid character found in method name [%s...]. HTTP method names must be tokens" % junk,
                                "\t\tat org.apache.coyote.http11.Http11InputBuffer.parseRequestLine(Http11InputBuffer.java:419)",
                                "\t\tat org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:271)",
                                "\t\tat org.apache.coyote.AbstractProcessorLight.process(AbstractProcessorLight.java:63)",
                                "\t\tat org.apache.coyote.AbstractProtocol$ConnectionHandler.process(AbstractProtocol.java:926)",
                                "\t\tat org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1791)",
                                "\t\tat org.apache.tomcat.util.net.SocketProcessorBase.run(SocketProcessorBase.java:52)",
                                "\t\tat org.apache.tomcat.util.threads.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1191)",
                                "\t\tat org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:659)",
                                "\t\tat org.apache.tomcat.util.threads.TaskThread$WrappingRunnable.run(TaskThread.java:61)",
                                "\t\tat java.base/java.lang.Thread.run(Thread.java:840)"],
                    lo=1000, hi=900000, thread=exec_thread())]

    def error_page():
        code = rng.choice([404, 500, 500])
        return [rec("E33", ["ErrorPage[errorCode=%d, location=/error]" % code], trace(
            "java.lang.IllegalStateException: Cannot call sendError() after the response has been committed",
            ["org.apache.catalina.connector.ResponseFacade.sendError(ResponseFacade.java:472)",
             "com.example.shop.web.ErrorController.handle(ErrorController.java:%d)" % rng.choice([31, 44])],
            container=False) + ["\t\tat " + f for f in TOMCAT_CONTAINER_FRAMES[7:]],
            lo=1000, hi=400000, thread=exec_thread())]

    def param_error():
        name = rng.choice(["q", "name", "search", "city"])
        return [rec("E43", [name, rng.choice(["K\ufffdln", "Stra\ufffde", "caf\ufffd", "%E9t%E9"])],
                    [" Note: further occurrences of Parameter errors will be logged at DEBUG level."],
                    lo=1000, hi=900000, thread=exec_thread())]

    def reload():
        app = rng.choice(["reports", "shop"])
        th = "Catalina-utility-%d" % rng.randint(1, 2)
        return [rec("E40", [paths[app]], lo=60000, hi=900000, thread=th),
                rec("E41", [paths[app]], lo=2000, hi=9000, thread=th)]

    def redeploy():
        app = rng.choice(wars)
        th = "Catalina-utility-%d" % rng.randint(1, 2)
        ms = rng.randint(2500, 12000)
        return [rec("E42", [paths[app]], lo=60000, hi=900000, thread=th),
                rec("E23", ["/opt/tomcat/webapps/%s.war" % app], lo=100, hi=900, thread=th),
                rec("E24", ["/opt/tomcat/webapps/%s.war" % app, ms], lo=ms // 2, hi=ms, thread=th)]

    records = startup()
    runtime = [("ERR", 10), ("PAGE", 0.8), ("RELOAD", 0.6), ("REDEPLOY", 0.4), ("RESTART", 1.6)]
    budget_left = lambda: N_LINES - sum(r.nlines for r in records)
    flags = {"hdr": False, "param": False}

    def make_block():
        # the first HTTP parsing / parameter error of each run is logged at INFO
        if not flags["hdr"] and rng.random() < 0.08:
            flags["hdr"] = True
            return header_error()
        if not flags["param"] and rng.random() < 0.04:
            flags["param"] = True
            return param_error()
        key = weighted(rng, runtime)
        if key == "RESTART":
            if budget_left() < 200:
                return servlet_error()
            flags["hdr"] = flags["param"] = False
            return shutdown() + startup()
        return {"ERR": servlet_error, "PAGE": error_page, "RELOAD": reload, "REDEPLOY": redeploy}[key]()

    # near the end, when a block no longer fits, play out a shutdown and a
    # restart one single-line record at a time (the log just stops there)
    tail = []

    def make_single():
        while not tail:
            flags["hdr"] = flags["param"] = False
            tail.extend(r for r in shutdown() + startup() if r.nlines == 1)
        return tail.pop(0)

    return fit(records, N_LINES, make_block, make_single)


system("Tomcat", 40403, TOMCAT_EVENTS, TOMCAT_HEADER_RE,
       "Apache Tomcat 9.0 (catalina.out, JULI OneLineFormatter)",
       "`dd-MMM-yyyy HH:mm:ss.SSS LEVEL [thread] class.method `")(build_tomcat)


# ================================================================ Slapd
# OpenLDAP 2.5 slapd, loglevel stats, through rsyslog's RFC 3164 file format:
#   Nov 14 10:00:00 ldap1 slapd[812]: conn=1001 op=2 SRCH ...

SLAPD_EVENTS = {
    "E1": "conn=<*> fd=<*> ACCEPT from <*> (<*>)",
    "E2": "conn=<*> fd=<*> closed",
    "E3": 'conn=<*> op=<*> BIND dn="<*>" method=<*>',
    "E4": 'conn=<*> op=<*> BIND dn="<*>" mech=<*> bind_ssf=<*> ssf=<*>',
    "E5": "conn=<*> op=<*> RESULT tag=<*> err=<*> qtime=<*> etime=<*> text=",
    "E6": 'conn=<*> op=<*> SRCH base="<*>" scope=<*> deref=<*> filter="<*>"',
    "E7": "conn=<*> op=<*> SRCH attr=<*>",
    "E8": "conn=<*> op=<*> SEARCH RESULT tag=<*> err=<*> qtime=<*> etime=<*> nentries=<*> text=",
    "E9": "conn=<*> op=<*> UNBIND",
    "E10": 'conn=<*> op=<*> MOD dn="<*>"',
    "E11": "conn=<*> op=<*> MOD attr=<*>",
    "E12": 'conn=<*> op=<*> ADD dn="<*>"',
    "E13": 'conn=<*> op=<*> DEL dn="<*>"',
    "E14": "conn=<*> op=<*> EXT oid=<*>",
    "E15": "conn=<*> op=<*> STARTTLS",
    "E16": "conn=<*> op=<*> RESULT oid= err=<*> qtime=<*> etime=<*> text=",
    "E17": "conn=<*> fd=<*> TLS established tls_ssf=<*> ssf=<*> tls_proto=<*> tls_cipher=<*>",
    "E18": "conn=<*> op=<*> ABANDON msg=<*>",
    "E19": 'conn=<*> op=<*> CMP dn="<*>" attr="<*>"',
    "E20": 'conn=<*> op=<*> PASSMOD id="<*>" new',
    "E21": 'conn=<*> op=<*> do_search: invalid dn: "<*>"',
    "E22": "connection_read(<*>): no connection!",
    "E23": "@(#) $OpenLDAP: slapd <*> (<*>) $",
    "E24": "slapd starting",
    "E25": "daemon: shutdown requested and initiated.",
    "E26": "slapd shutdown: waiting for <*> operations/tasks to finish",
    "E27": "slapd stopped.",
    "E28": 'conn=<*> op=<*> MODRDN dn="<*>"',
    "E29": "conn=<*> op=<*> WHOAMI",
}

SLAPD_HEADER_RE = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d [A-Za-z0-9.\-]+ slapd\[\d+\]: "

SLAPD_USERS = ["jdoe", "asmith", "bwilliams", "cjohnson", "dmiller", "edavis", "fgarcia", "grodriguez",
               "hmartinez", "ihernandez", "jlopez", "kgonzalez", "lwilson", "manderson", "nthomas",
               "otaylor", "pmoore", "qjackson", "rmartin", "slee", "tperez", "uthompson", "vwhite",
               "wharris", "xsanchez", "yclark", "zramirez", "alewis", "brobinson", "cwalker",
               "dyoung", "eallen", "fking", "gwright", "hscott", "itorres", "jnguyen", "khill",
               "lflores", "mgreen", "nadams", "onelson", "pbaker", "qhall", "rrivera", "scampbell"]
SLAPD_GROUPS = ["developers", "ops", "finance", "hr", "vpn-users", "wiki-editors", "sudo-admins", "contractors"]
SLAPD_SUFFIX = "dc=example,dc=com"


def build_slapd(rng):
    clock = Clock(rng, dt.datetime(2023, 11, 14, 9, 41, 7))
    st = {"pid": 812, "conn": rng.randint(184000, 186000), "fd": 12}
    clients = ["10.20.%d.%d" % (rng.randint(0, 7), rng.randint(2, 250)) for _ in range(30)]
    servers = ["10.20.1.%d" % i for i in (21, 22, 23, 24, 31, 32, 33)]

    def header():
        t = clock.t
        return "%s %2d %s ldap1 slapd[%d]: " % (t.strftime("%b"), t.day, t.strftime("%H:%M:%S"), st["pid"])

    def qe():
        q = rng.uniform(0.000008, 0.00004)
        return "%.6f" % q, "%.6f" % (q + rng.choice([rng.uniform(0.00005, 0.0009), rng.uniform(0.0009, 0.03)]))

    def user_dn(u):
        return "uid=%s,ou=people,%s" % (u, SLAPD_SUFFIX)

    def conn_script(kind):
        """Full list of (eid, values) for one connection of the given kind."""
        c = st["conn"]
        st["conn"] += 1
        fd = rng.randint(12, 64)
        lines = []
        op = [0]

        def nop():
            o = op[0]
            op[0] += 1
            return o

        if kind == "ldapi":
            lines.append(("E1", [c, fd, "PATH=/var/run/slapd/ldapi", "PATH=/var/run/slapd/ldapi"]))
        else:
            ip = rng.choice(servers if kind in ("sssd", "monitor") else clients)
            port = 389 if kind != "ldaps" else 636
            lines.append(("E1", [c, fd, "IP=%s:%d" % (ip, rng.randint(32768, 60999)), "IP=0.0.0.0:%d" % port]))
        if kind == "ldaps":
            lines.append(("E17", [c, fd, 256, 256, "TLSv1.3", "TLS_AES_256_GCM_SHA384"]))
        if kind == "starttls":
            o = nop()
            q, e = qe()
            lines += [("E14", [c, o, "1.3.6.1.4.1.1466.20037"]), ("E15", [c, o]), ("E16", [c, o, 0, q, e]),
                      ("E17", [c, fd, rng.choice([128, 256]), rng.choice([128, 256]), rng.choice(["TLSv1.2", "TLSv1.3", "TLSv1.3"]),
                               rng.choice(["TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"])])]

        def bind(dn, ok=True):
            o = nop()
            q, e = qe()
            out = [("E3", [c, o, dn, 128])]
            if ok:
                out.append(("E4", [c, o, dn, "SIMPLE", 0, 256 if kind in ("ldaps", "starttls") else (71 if kind == "ldapi" else 0)]))
            out.append(("E5", [c, o, 97, 0 if ok else 49, q, e]))
            return out

        def search(base, scope, flt, attrs=None, n=1):
            o = nop()
            q, e = qe()
            out = [("E6", [c, o, base, scope, rng.choice([0, 0, 3]), flt])]
            if attrs:
                out.append(("E7", [c, o, attrs]))
            out.append(("E8", [c, o, 101, 0 if n >= 0 else 32, q, e, max(n, 0)]))
            return out

        def end(unbind=True):
            out = []
            if unbind:
                out.append(("E9", [c, nop()]))
            out.append(("E2", [c, fd]))
            return out

        u = rng.choice(SLAPD_USERS)
        if kind == "sssd":
            lines += bind("cn=sssd-%s,ou=services,%s" % (rng.choice(["web", "app", "db", "bastion"]), SLAPD_SUFFIX))
            for _ in range(rng.randint(1, 6)):
                u = rng.choice(SLAPD_USERS)
                r = rng.random()
                if r < 0.45:
                    lines += search("ou=people," + SLAPD_SUFFIX, 2, "(&(objectClass=posixAccount)(uid=%s))" % u,
                                    "objectClass uid userPassword uidNumber gidNumber gecos homeDirectory loginShell krbPrincipalName cn memberOf modifyTimestamp", 1)
                elif r < 0.8:
                    lines += search("ou=groups," + SLAPD_SUFFIX, 2, "(&(memberUid=%s)(objectClass=posixGroup)(cn=*))" % u,
                                    "objectClass cn userPassword gidNumber member memberUid modifyTimestamp", rng.randint(0, 5))
                else:
                    lines += search("ou=people," + SLAPD_SUFFIX, 2, "(&(objectClass=posixAccount)(uidNumber=%d))" % rng.randint(10000, 10999),
                                    "objectClass uid uidNumber gidNumber", rng.choice([0, 1, 1]))
            lines += end(unbind=rng.random() < 0.7)
        elif kind in ("webauth", "starttls", "ldaps", "ldapi"):
            svc = rng.choice(["cn=svc-wiki,ou=services,", "cn=svc-vpn,ou=services,", "cn=svc-gitlab,ou=services,",
                              "cn=svc-jenkins,ou=services,"]) + SLAPD_SUFFIX
            lines += bind(svc)
            lines += search("ou=people," + SLAPD_SUFFIX, 2, rng.choice(["(uid=%s)", "(&(objectClass=inetOrgPerson)(uid=%s))", "(mail=%s@example.com)"]) % u,
                            rng.choice([None, "uid cn mail", "dn", "1.1"]), 1)
            lines += bind(user_dn(u), ok=rng.random() > 0.12)
            if rng.random() < 0.5:
                lines += search("ou=groups," + SLAPD_SUFFIX, 2, "(&(objectClass=groupOfNames)(member=%s))" % user_dn(u),
                                "cn", rng.randint(0, 4))
            lines += end()
        elif kind == "monitor":
            lines += bind("cn=monitor-ro,ou=services," + SLAPD_SUFFIX)
            lines += search(rng.choice(["cn=Monitor", "cn=Connections,cn=Monitor", "cn=Operations,cn=Monitor"]), rng.choice([1, 2]),
                            rng.choice(["(objectClass=*)", "(objectClass=monitorCounterObject)", "(objectClass=monitorOperation)"]),
                            rng.choice(["monitorCounter monitorOpInitiated monitorOpCompleted", "+", None]), rng.randint(1, 12))
            lines += end(unbind=False)
        elif kind == "admin":
            lines += bind("cn=admin," + SLAPD_SUFFIX)
            for _ in range(rng.randint(1, 4)):
                r = rng.random()
                o = nop()
                q, e = qe()
                if r < 0.6:
                    who = rng.choice(SLAPD_USERS)
                    lines += [("E10", [c, o, user_dn(who)]),
                              ("E11", [c, o, rng.choice(["userPassword shadowLastChange", "mail", "telephoneNumber",
                                                         "loginShell", "description", "title departmentNumber"])]),
                              ("E5", [c, o, 103, rng.choice([0] * 9 + [50]), q, e])]
                elif r < 0.75:
                    g = rng.choice(SLAPD_GROUPS)
                    lines += [("E10", [c, o, "cn=%s,ou=groups,%s" % (g, SLAPD_SUFFIX)]),
                              ("E11", [c, o, rng.choice(["member", "memberUid", "member memberUid"])]),
                              ("E5", [c, o, 103, rng.choice([0, 0, 0, 20]), q, e])]
                elif r < 0.9:
                    lines += [("E12", [c, o, user_dn("%s%d" % (rng.choice(SLAPD_USERS), rng.randint(2, 9)))]),
                              ("E5", [c, o, 105, rng.choice([0, 0, 0, 68]), q, e])]
                else:
                    lines += [("E13", [c, o, user_dn("%s%d" % (rng.choice(SLAPD_USERS), rng.randint(2, 9)))]),
                              ("E5", [c, o, 107, rng.choice([0, 0, 32]), q, e])]
            lines += end()
        elif kind == "passmod":
            lines += bind(user_dn(u))
            o = nop()
            q, e = qe()
            lines += [("E14", [c, o, "1.3.6.1.4.1.4203.1.11.1"]), ("E20", [c, o, user_dn(u)]), ("E16", [c, o, 0, q, e])]
            lines += end()
        elif kind == "whoami":
            lines += bind(user_dn(u))
            o = nop()
            q, e = qe()
            lines += [("E14", [c, o, "1.3.6.1.4.1.4203.1.11.3"]), ("E29", [c, o]), ("E16", [c, o, 0, q, e])]
            lines += end()
        elif kind == "abandon":
            lines += bind("cn=svc-gitlab,ou=services," + SLAPD_SUFFIX)
            o = nop()
            lines += [("E6", [c, o, SLAPD_SUFFIX, 2, 0, "(objectClass=*)"]), ("E18", [c, nop(), o])]
            lines += end()
        elif kind == "compare":
            lines += bind("cn=svc-vpn,ou=services," + SLAPD_SUFFIX)
            o = nop()
            q, e = qe()
            g = rng.choice(SLAPD_GROUPS)
            lines += [("E19", [c, o, "cn=%s,ou=groups,%s" % (g, SLAPD_SUFFIX), "member"]),
                      ("E5", [c, o, 111, rng.choice([5, 6]), q, e])]
            lines += end()
        elif kind == "baddn":
            lines += bind("cn=svc-jenkins,ou=services," + SLAPD_SUFFIX)
            o = nop()
            q, e = qe()
            bad = rng.choice(["ou=people,dc=example;dc=com", "uid=%s,ou=people,dc=example,dc=com,=" % u])
            lines += [("E21", [c, o, bad]), ("E5", [c, o, 101, 34, q, e])]
            lines += end()
        elif kind == "delete":
            lines += bind("cn=admin," + SLAPD_SUFFIX)
            o = nop()
            q, e = qe()
            lines += [("E13", [c, o, user_dn(u)]), ("E5", [c, o, 107, 0, q, e])]
            lines += end()
        elif kind == "modrdn":
            lines += bind("cn=admin," + SLAPD_SUFFIX)
            o = nop()
            q, e = qe()
            lines += [("E28", [c, o, user_dn(u)]), ("E5", [c, o, 109, 0, q, e])]
            lines += end()
        else:
            raise RuntimeError(kind)
        return [c, fd, lines]

    kinds = [("sssd", 30), ("webauth", 26), ("starttls", 8), ("ldaps", 6), ("ldapi", 2), ("monitor", 12),
             ("admin", 2.5), ("passmod", 0.6), ("whoami", 0.5)]
    rare = ["abandon", "compare", "compare", "baddn", "modrdn", "passmod", "whoami", "delete", "ldapi"]
    rare_at = sorted(rng.sample(range(80, 1700), len(rare)))
    restart_at = rng.randint(1100, 1300)
    noconn_at = sorted(rng.sample(range(200, 1900), 3))

    records, active = [], []

    def emit(eid, values, lo=0, hi=0):
        clock.tick(lo, hi) if hi else None
        records.append(Rec(eid, header(), fill(SLAPD_EVENTS[eid], values)))

    while len(records) < N_LINES:
        n = len(records)
        if rare_at and n >= rare_at[0]:
            rare_at.pop(0)
            active.append(conn_script(rare.pop(0)))
        if noconn_at and n >= noconn_at[0]:
            noconn_at.pop(0)
            emit("E22", [rng.randint(12, 64)], 1, 900)
            continue
        if restart_at is not None and n >= restart_at:
            restart_at = None
            emit("E25", [], 1000, 20000)
            for c, fd, _ in active:
                emit("E2", [c, fd], 0, 3)
            active = []
            emit("E26", [0], 1, 50)
            emit("E27", [], 100, 900)
            st["pid"] = rng.randint(20000, 40000)
            st["conn"] = 1000
            emit("E23", ["2.5.16+dfsg-0ubuntu0.22.04.2", "Nov  2 2023 09:14:51"], 1500, 4000)
            emit("E24", [], 100, 600)
            continue
        if not active or (len(active) < 6 and rng.random() < 0.18):
            active.append(conn_script(weighted(rng, kinds)))
        script = rng.choice(active)
        eid, values = script[2].pop(0)
        emit(eid, values, 1, 6000 if eid == "E1" else 400)
        if not script[2]:
            active.remove(script)
    return records[:N_LINES]


system("Slapd", 40404, SLAPD_EVENTS, SLAPD_HEADER_RE,
       "OpenLDAP slapd 2.5 (loglevel stats) via rsyslog",
       "`MMM dd HH:mm:ss host slapd[pid]: `")(build_slapd)


# ================================================================ Squid
# Squid 5 access.log, native "squid" logformat
#   %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
# Every line is written by one statement (Log::Format::SquidNative), so the
# whole file is one event: result code, status, method, user, hierarchy code
# and content type are all filled in at run time.  The header is taken to be
# the time stamp, the elapsed time and the client address.

SQUID_EVENTS = {
    "E1": "<*>/<*> <*> <*> <*> <*> <*>/<*> <*>",
}

SQUID_HEADER_RE = r"\d{9,10}\.\d{3} +\d+ [0-9a-fA-F.:]+ "


def build_squid(rng):
    t = 1699956000.0 + rng.uniform(0, 1)
    clients = ["10.0.%d.%d" % (rng.randint(0, 3), rng.randint(5, 250)) for _ in range(45)]
    users = {c: (rng.choice(SLAPD_USERS) if rng.random() < 0.35 else "-") for c in clients}
    hot = clients[:8]
    sites = {
        "www.google.com": "142.250.74.%d", "fonts.gstatic.com": "142.250.74.%d",
        "update.microsoft.com": "13.107.4.%d", "slack.com": "3.120.12.%d",
        "github.com": "140.82.121.%d", "objects.githubusercontent.com": "185.199.108.%d",
        "login.microsoftonline.com": "20.190.160.%d", "outlook.office365.com": "52.97.146.%d",
        "api.example-partner.com": "203.0.113.%d", "cdn.jsdelivr.net": "151.101.1.%d",
        "deb.debian.org": "151.101.130.%d", "security.ubuntu.com": "91.189.91.%d",
        "archive.ubuntu.com": "185.125.190.%d", "news.example.org": "198.51.100.%d",
        "ocsp.digicert.com": "93.184.220.%d", "ctldl.windowsupdate.com": "23.50.51.%d",
        "detectportal.firefox.com": "34.107.221.%d", "pypi.org": "151.101.0.%d",
        "files.pythonhosted.org": "151.101.64.%d", "registry.npmjs.org": "104.16.30.%d",
    }
    site_ip = {h: pat % rng.randint(2, 250) for h, pat in sites.items()}
    tls_hosts = ["www.google.com", "fonts.gstatic.com", "slack.com", "github.com", "objects.githubusercontent.com",
                 "login.microsoftonline.com", "outlook.office365.com", "api.example-partner.com", "cdn.jsdelivr.net",
                 "pypi.org", "files.pythonhosted.org", "registry.npmjs.org"]
    http_objs = [
        ("deb.debian.org", "/debian/dists/bookworm/InRelease", "application/octet-stream"),
        ("deb.debian.org", "/debian/pool/main/o/openssl/libssl3_3.0.11-1~deb12u2_amd64.deb", "application/vnd.debian.binary-package"),
        ("security.ubuntu.com", "/ubuntu/dists/jammy-security/InRelease", "application/octet-stream"),
        ("archive.ubuntu.com", "/ubuntu/dists/jammy-updates/main/binary-amd64/by-hash/SHA256/%s" % rnd_hex(rng, 64), "application/octet-stream"),
        ("archive.ubuntu.com", "/ubuntu/pool/main/c/curl/curl_7.81.0-1ubuntu1.14_amd64.deb", "application/vnd.debian.binary-package"),
        ("news.example.org", "/", "text/html"), ("news.example.org", "/static/css/main.8f2c1a.css", "text/css"),
        ("news.example.org", "/static/js/app.41bd77.js", "application/javascript"),
        ("news.example.org", "/img/logo.png", "image/png"),
        ("ocsp.digicert.com", "/MFEwTzBNMEswSTAJBgUrDgMCGgUABBSAUQYBMq2awn1Rh6Doh%2FsBYgFV7gQUA95QNVbRTLtm8KPiGxvDl7I90VUCEAJ0LqoXyo4hxxe7H%2Fz9DKA%3D", "application/ocsp-response"),
        ("ctldl.windowsupdate.com", "/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab?%s" % rnd_hex(rng, 16), "application/vnd.ms-cab-compressed"),
        ("detectportal.firefox.com", "/canonical.html", "text/html"),
        ("detectportal.firefox.com", "/success.txt?ipv4", "text/plain"),
        ("update.microsoft.com", "/v6/ClientWebService/client.asmx", "text/xml"),
    ]
    blocked = ["http://ads.tracker-example.net/pixel.gif", "http://casino-example.biz/", "http://torrent-example.org/announce",
               "ads.tracker-example.net:443", "vpn-bypass-example.io:443"]

    records = []
    for _ in range(N_LINES):
        t += rng.expovariate(1 / 0.45)
        client = rng.choice(hot) if rng.random() < 0.5 else rng.choice(clients)
        user = users[client]
        r = rng.random()
        if r < 0.55:  # HTTPS tunnel
            host = rng.choice(tls_hosts)
            code = "TCP_TUNNEL" if rng.random() < 0.97 else "TCP_TUNNEL_ABORTED"
            status = 200
            elapsed = int(rng.choice([rng.expovariate(1 / 900), rng.uniform(5000, 300000)]))
            size = rng.randint(300, 90000000) if elapsed > 5000 else rng.randint(300, 60000)
            method, url = "CONNECT", "%s:443" % host
            hier, peer, mime = "HIER_DIRECT", site_ip[host], "-"
        elif r < 0.88:  # plain HTTP object
            host, path, mime = rng.choice(http_objs)
            method, url = ("GET" if rng.random() < 0.93 else rng.choice(["HEAD", "POST"])), "http://%s%s" % (host, path)
            kind = rng.random()
            if kind < 0.5:
                code, status, hier, peer = "TCP_MISS", rng.choice([200] * 12 + [304, 404, 301]), "HIER_DIRECT", site_ip[host]
            elif kind < 0.7:
                code, status, hier, peer = "TCP_MEM_HIT", 200, "HIER_NONE", "-"
            elif kind < 0.8:
                code, status, hier, peer = "TCP_HIT", 200, "HIER_NONE", "-"
            elif kind < 0.9:
                code, status, hier, peer = "TCP_REFRESH_UNMODIFIED", 200, "HIER_DIRECT", site_ip[host]
            elif kind < 0.95:
                code, status, hier, peer = "TCP_REFRESH_MODIFIED", 200, "HIER_DIRECT", site_ip[host]
            else:
                code, status, hier, peer = "TCP_INM_HIT", 304, "HIER_NONE", "-"
            if method == "POST":
                code, status, hier, peer = "TCP_MISS", 200, "HIER_DIRECT", site_ip[host]
            if status in (304,) or method == "HEAD":
                size = rng.randint(250, 420)
            elif status in (404, 301):
                size, mime = rng.randint(380, 900), "text/html"
            else:
                size = rng.randint(400, 4000000) if mime.startswith("application/vnd") else rng.randint(300, 250000)
            elapsed = rng.randint(0, 3) if hier == "HIER_NONE" else int(rng.expovariate(1 / 180))
            if code == "TCP_MISS" and rng.random() < 0.03:
                code = "TCP_MISS_ABORTED"
        elif r < 0.96:  # denied by ACL
            url = rng.choice(blocked)
            method = "CONNECT" if url.endswith(":443") else "GET"
            code, status, size, hier, peer, mime = "TCP_DENIED", 403, rng.randint(3800, 4100), "HIER_NONE", "-", "text/html"
            elapsed = rng.randint(0, 2)
        elif r < 0.985:  # proxy auth required
            host = rng.choice(tls_hosts)
            method, url = "CONNECT", "%s:443" % host
            code, status, size, hier, peer, mime = "TCP_DENIED", 407, rng.randint(3900, 4200), "HIER_NONE", "-", "text/html"
            elapsed, user = rng.randint(0, 1), "-"
        else:  # malformed request or upstream failure
            if rng.random() < 0.5:
                method, url, code, status = "NONE", "error:invalid-request", "NONE_NONE", 400
                size, hier, peer, mime, elapsed = rng.randint(3800, 4000), "HIER_NONE", "-", "text/html", rng.randint(0, 40)
            else:
                host, path, _ = rng.choice(http_objs)
                method, url, code, status = "GET", "http://%s%s" % (host, path), "TCP_MISS", rng.choice([502, 503, 504])
                size, hier, peer, mime = rng.randint(3900, 4300), "HIER_DIRECT", site_ip[host], "text/html"
                elapsed = rng.randint(30000, 60000) if status == 504 else rng.randint(5, 900)
        done = t
        header = "%d.%03d %6d %s " % (int(done), int((done % 1) * 1000), elapsed, client)
        msg = fill(SQUID_EVENTS["E1"], [code, "%03d" % status, size, method, url, user, hier, peer, mime])
        records.append(Rec("E1", header, msg))
    return records


system("Squid", 40405, SQUID_EVENTS, SQUID_HEADER_RE,
       "Squid 5 (access.log, native format)",
       "`epoch.millis elapsed client `")(build_squid)


# ================================================================ Celery
# Celery 5.3 worker started with -B (embedded beat), --autoscale, Redis broker,
# default worker_log_format "[%(asctime)s: %(levelname)s/%(processName)s] %(message)s".
# Exceptions logged with exc_info follow as Python traceback lines.

CELERY_EVENTS = {
    "E1": "Task <*>[<*>] received",
    "E2": "Task <*>[<*>] succeeded in <*>s: <*>",
    "E3": "Task <*>[<*>] raised unexpected: <*>",
    "E4": "Task <*>[<*>] retry: <*>",
    "E5": "Connected to <*>",
    "E6": "mingle: searching for neighbors",
    "E7": "mingle: all alone",
    "E8": "mingle: sync with <*> nodes",
    "E9": "mingle: sync complete",
    "E10": "<*> ready.",
    "E11": "Events of group {task} enabled by remote.",
    "E12": "Events of group {task} disabled by remote.",
    "E13": "Scaling up <*> processes.",
    "E14": "Scaling down <*> processes.",
    "E15": "consumer: Connection to broker lost. Trying to re-establish the connection...",
    "E16": "consumer: Cannot connect to <*>: <*>.",
    "E17": "Restoring <*> unacknowledged message(s)",
    "E18": "Process <*> pid:<*> exited with <*>",
    "E19": "Task handler raised error: <*>",
    "E20": "Soft time limit (<*>s) exceeded for <*>[<*>]",
    "E21": "Hard time limit (<*>s) exceeded for <*>[<*>]",
    "E22": "Discarding revoked task: <*>[<*>]",
    "E23": "Terminating <*> (<*>)",
    "E24": "beat: Starting...",
    "E25": "Scheduler: Sending due task <*> (<*>)",
    "E26": "pidbox: Connected to <*>.",
    "E27": "worker: Warm shutdown (MainProcess)",
    "E28": "missed heartbeat from <*>",
    "E29": "Substantial drift from <*> may mean clocks are out of sync.  Current drift is <*> seconds.  [orig: <*> recv: <*>]",
}

CELERY_HEADER_RE = (r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: "
                    r"(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)/[A-Za-z0-9_\-]+\] ")

CELERY_LEVEL = {"E3": "ERROR", "E15": "WARNING", "E16": "ERROR", "E17": "WARNING", "E18": "ERROR",
                "E19": "ERROR", "E20": "WARNING", "E21": "ERROR", "E27": "WARNING", "E29": "WARNING"}

SITE = "/srv/app/.venv/lib/python3.11/site-packages"


def _frame(path, line, func, code, expr=None):
    """A Python 3.11 traceback frame, with the caret line when the failing
    expression is only part of the source line."""
    out = ['  File "%s", line %d, in %s' % (path, line, func), "    " + code]
    if expr and expr != code:
        start = code.index(expr)
        out.append("    " + " " * start + "^" * len(expr))
    return out


def _celery_trace_head():
    return (["Traceback (most recent call last):"]
            + _frame(SITE + "/celery/app/trace.py", 477, "trace_task",
                     "R = retval = fun(*args, **kwargs)", "fun(*args, **kwargs)")
            + _frame(SITE + "/celery/app/trace.py", 760, "__protected_call__",
                     "return self.run(*args, **kwargs)", "self.run(*args, **kwargs)"))


def build_celery(rng):
    clock = Clock(rng, dt.datetime(2023, 11, 14, 6, 0, 2, 310000))
    broker = "redis://redis.internal:6379/0"
    me = "celery@worker-1.prod"
    peers = ["celery@worker-2.prod", "celery@worker-3.prod"]
    pool = {"next": 9, "alive": list(range(1, 9))}

    tasks = {
        "app.tasks.send_email": (30, lambda: "None", (0.05, 1.2)),
        "app.tasks.send_push": (18, lambda: rng.choice(["True", "True", "True", "False"]), (0.02, 0.4)),
        "app.tasks.resize_image": (12, lambda: "{'width': %d, 'height': %d, 'key': 'thumbs/%s.jpg'}" % (
            rng.choice([160, 320, 640]), rng.choice([120, 240, 480]), rnd_hex(rng, 12)), (0.1, 3.5)),
        "app.tasks.index_document": (10, lambda: "None", (0.01, 0.8)),
        "app.tasks.charge_card": (6, lambda: "{'status': 'succeeded', 'charge_id': 'ch_%s'}" % "".join(
            rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789") for _ in range(24)), (0.3, 2.5)),
        "app.tasks.sync_inventory": (4, lambda: "{'updated': %d, 'skipped': %d}" % (rng.randint(0, 400), rng.randint(0, 20)), (2, 40)),
        "billing.tasks.create_invoice": (3, lambda: "'INV-2023-%06d'" % rng.randint(1, 99999), (0.2, 1.5)),
        "app.tasks.generate_report": (1.2, lambda: "'s3://reports/2023-11-14/r-%d.pdf'" % rng.randint(1000, 9999), (20, 250)),
    }
    beat_entries = [("cleanup-sessions", "app.tasks.cleanup_sessions", 300, lambda: str(rng.randint(0, 900))),
                    ("sync-inventory-every-10m", "app.tasks.sync_inventory", 600, None),
                    ("celery.backend_cleanup", "celery.backend_cleanup", 3600, lambda: "None")]

    timeline = []  # (time, seq, eid, process, values, cont)
    seq = [0]

    def at(t, eid, proc, values, cont=()):
        seq[0] += 1
        timeline.append((t, seq[0], eid, proc, values, list(cont)))

    def worker():
        return "ForkPoolWorker-%d" % rng.choice(pool["alive"])

    def exc_for(name, tid):
        """(repr for the log message, traceback lines) of a task failure."""
        if name == "app.tasks.send_email":
            body = _frame("/srv/app/app/tasks.py", 41, "send_email", "smtp.send_message(msg)") + \
                _frame("/usr/lib/python3.11/smtplib.py", 986, "send_message",
                       "return self.sendmail(from_addr, to_addrs, flatmsg, mail_options,", "self.sendmail(from_addr, to_addrs, flatmsg, mail_options,")
            if rng.random() < 0.5:
                u = rng.choice(SLAPD_USERS)
                return ("SMTPRecipientsRefused({'%s@example.con': (550, b'5.1.1 <%s@example.con>: Recipient address rejected: User unknown')})" % (u, u),
                        body + _frame("/usr/lib/python3.11/smtplib.py", 887, "sendmail", "raise SMTPRecipientsRefused(senderrs)")
                        + ["smtplib.SMTPRecipientsRefused: {'%s@example.con': (550, b'5.1.1 <%s@example.con>: Recipient address rejected: User unknown')}" % (u, u)])
            return ("SMTPServerDisconnected('Connection unexpectedly closed')",
                    body + _frame("/usr/lib/python3.11/smtplib.py", 405, "getreply", 'raise SMTPServerDisconnected("Connection unexpectedly closed")')
                    + ["smtplib.SMTPServerDisconnected: Connection unexpectedly closed"])
        if name == "app.tasks.resize_image":
            f = "/tmp/upload-%s.jpg" % rnd_hex(rng, 8)
            return ("UnidentifiedImageError(\"cannot identify image file '%s'\")" % f,
                    _frame("/srv/app/app/tasks.py", 63, "resize_image", "img = Image.open(path)", "Image.open(path)")
                    + _frame(SITE + "/PIL/Image.py", 3305, "open", "raise UnidentifiedImageError(msg)")
                    + ["PIL.UnidentifiedImageError: cannot identify image file '%s'" % f])
        if name == "app.tasks.sync_inventory":
            return ("KeyError('sku')",
                    _frame("/srv/app/app/tasks.py", 117, "sync_inventory", 'stock[item["sku"]] = item["qty"]', 'item["sku"]')
                    + ["KeyError: 'sku'"])
        if name == "app.tasks.index_document":
            d = rng.randint(10000, 99999)
            return ("ValueError('document %d has no body')" % d,
                    _frame("/srv/app/app/tasks.py", 142, "index_document", "raise ValueError(f\"document {doc_id} has no body\")")
                    + ["ValueError: document %d has no body" % d])
        if name == "app.tasks.generate_report":
            return ("SoftTimeLimitExceeded()",
                    _frame("/srv/app/app/reports.py", 88, "render", "for row in cursor:")
                    + _frame(SITE + "/billiard/pool.py", 229, "soft_timeout_sighandler", "raise SoftTimeLimitExceeded()")
                    + ["billiard.exceptions.SoftTimeLimitExceeded: SoftTimeLimitExceeded()"])
        # payments
        return ("ConnectTimeout(MaxRetryError(\"HTTPSConnectionPool(host='api.payments.example', port=443): Max retries exceeded with url: /v1/charges (Caused by ConnectTimeoutError(<urllib3.connection.HTTPSConnection object at 0x7f%s>, 'Connection to api.payments.example timed out. (connect timeout=10)'))\"))" % rnd_hex(rng, 10),
                _frame("/srv/app/app/tasks.py", 88, "charge_card", "resp = client.post(url, json=payload, timeout=10)", "client.post(url, json=payload, timeout=10)")
                + _frame(SITE + "/requests/sessions.py", 637, "post", 'return self.request("POST", url, data=data, json=json, **kwargs)',
                         'self.request("POST", url, data=data, json=json, **kwargs)')
                + _frame(SITE + "/requests/adapters.py", 507, "send", "raise ConnectTimeout(e, request=request)")
                + ["requests.exceptions.ConnectTimeout: HTTPSConnectionPool(host='api.payments.example', port=443): Max retries exceeded with url: /v1/charges (Caused by ConnectTimeoutError(<urllib3.connection.HTTPSConnection object at 0x7f%s>, 'Connection to api.payments.example timed out. (connect timeout=10)'))" % rnd_hex(rng, 10)])

    def run_task(t, name, result=None, tid=None):
        tid = tid or rnd_uuid(rng)
        at(t, "E1", "MainProcess", [name, tid])
        lo, hi = tasks[name][2] if name in tasks else (0.01, 2.0)
        dur = rng.uniform(lo, hi)
        end = t + dt.timedelta(seconds=dur + rng.uniform(0, 0.05))
        fail_p = {"app.tasks.charge_card": 0.12, "app.tasks.send_email": 0.05, "app.tasks.resize_image": 0.05,
                  "app.tasks.sync_inventory": 0.06, "app.tasks.index_document": 0.03}.get(name, 0)
        r = rng.random()
        if r < fail_p:
            if name in ("app.tasks.charge_card", "app.tasks.send_email") and rng.random() < 0.6:
                rep, _ = exc_for(name, tid)
                delay = rng.choice([10, 30, 60, 120, 180])
                at(end, "E4", worker(), [name, tid, "Retry in %ds: %s" % (delay, rep)])
                run_task(end + dt.timedelta(seconds=delay + rng.uniform(0, 1)), name, tid=tid)
            else:
                rep, tb = exc_for(name, tid)
                at(end, "E3", worker(), [name, tid, rep], _celery_trace_head() + tb)
        else:
            value = result() if result else tasks[name][1]()
            at(end, "E2", worker(), [name, tid, repr(dur), value])

    def startup(t, first):
        at(t, "E5", "MainProcess", [broker])
        t += dt.timedelta(milliseconds=rng.randint(5, 30))
        at(t, "E6", "MainProcess", [])
        t += dt.timedelta(milliseconds=rng.randint(1000, 1100))
        if first:
            at(t, "E7", "MainProcess", [])
        else:
            at(t, "E8", "MainProcess", [len(peers)])
            t += dt.timedelta(milliseconds=rng.randint(1, 40))
            at(t, "E9", "MainProcess", [])
        t += dt.timedelta(milliseconds=rng.randint(10, 60))
        at(t, "E10", "MainProcess", [me])
        at(t + dt.timedelta(milliseconds=rng.randint(1, 9)), "E26", "MainProcess", [broker])
        at(t + dt.timedelta(milliseconds=rng.randint(10, 90)), "E24", "Beat", [])

    t0 = clock.t
    startup(t0, True)
    t = t0 + dt.timedelta(seconds=2)
    names = [(n, w[0]) for n, w in tasks.items()]
    arrivals = []
    for _ in range(1400):
        t += dt.timedelta(seconds=rng.expovariate(1 / 7.0))
        arrivals.append(t)
        run_task(t, weighted(rng, names))
    span_end = arrivals[int(len(arrivals) * 0.55)]

    # beat
    for key, task, every, res in beat_entries:
        bt = t0 + dt.timedelta(seconds=every)
        while bt < arrivals[-1]:
            at(bt, "E25", "Beat", [key, task])
            run_task(bt + dt.timedelta(milliseconds=rng.randint(2, 30)), task, res)
            bt += dt.timedelta(seconds=every, milliseconds=rng.randint(0, 3))

    def when(frac):
        return arrivals[int(len(arrivals) * 0.55 * frac)] + dt.timedelta(milliseconds=rng.randint(1, 900))

    # flower connects: events enabled; later disabled
    at(when(0.03), "E11", "MainProcess", [])
    at(when(0.70), "E12", "MainProcess", [])
    at(when(0.72), "E11", "MainProcess", [])
    # autoscale
    for f in (0.1, 0.35, 0.6, 0.85):
        up = rng.random() < 0.5
        k = rng.randint(1, 4)
        at(when(f), "E13" if up else "E14", "MainProcess", [k])
    at(when(0.2), "E13", "MainProcess", [2])
    at(when(0.25), "E14", "MainProcess", [2])
    # broker outage: nothing else is logged until the consumer reconnects
    tb = when(0.4)
    outage_start, outage_seq = tb, seq[0] + 1
    at(tb, "E15", "MainProcess", [], ["Traceback (most recent call last):"]
       + _frame(SITE + "/celery/worker/consumer/consumer.py", 340, "start", "blueprint.start(self)")
       + _frame(SITE + "/celery/bootsteps.py", 116, "start", "step.start(parent)")
       + _frame(SITE + "/celery/worker/consumer/consumer.py", 746, "start", "c.loop(*c.loop_args())")
       + _frame(SITE + "/celery/worker/loops.py", 97, "asynloop", "next(loop)")
       + _frame(SITE + "/kombu/asynchronous/hub.py", 373, "create_loop", "cb(*cbargs)")
       + _frame(SITE + "/kombu/transport/redis.py", 1344, "on_readable", "self.cycle.on_readable(fileno)")
       + _frame(SITE + "/kombu/transport/redis.py", 569, "on_readable", "chan.handlers[type]()")
       + _frame(SITE + "/redis/connection.py", 836, "read_response",
                "response = self._parser.read_response(disable_decoding=disable_decoding)",
                "self._parser.read_response(disable_decoding=disable_decoding)")
       + ["redis.exceptions.ConnectionError: Connection closed by server."])
    wait = 0.0
    for i in range(1, rng.randint(4, 6)):
        tb += dt.timedelta(seconds=wait + rng.uniform(0.001, 0.05))
        at(tb, "E16", "MainProcess", [broker, "Error 111 connecting to redis.internal:6379. Connection refused."],
           ["Trying again in %.2f seconds... (%d/100)" % (min(2 * i, 32), i)])
        wait = min(2 * i, 32)
    tb += dt.timedelta(seconds=wait + 0.01)
    at(tb, "E5", "MainProcess", [broker])
    at(tb + dt.timedelta(milliseconds=12), "E6", "MainProcess", [])
    at(tb + dt.timedelta(milliseconds=1030), "E8", "MainProcess", [len(peers)])
    at(tb + dt.timedelta(milliseconds=1061), "E9", "MainProcess", [])
    timeline[:] = [e for e in timeline if not (outage_start <= e[0] <= tb and e[1] < outage_seq)]
    # lost pool processes: OOM kill, and one hard time limit
    for f, hard in ((0.15, True), (0.5, False), (0.78, False)):
        tt = when(f)
        job = rng.randint(100, 4000)
        victim = rng.choice(pool["alive"])
        if hard:
            tid = rnd_uuid(rng)
            at(tt - dt.timedelta(seconds=301), "E1", "MainProcess", ["app.tasks.generate_report", tid])
            at(tt - dt.timedelta(seconds=1), "E20", "MainProcess", [240, "app.tasks.generate_report", tid])
            at(tt, "E21", "MainProcess", [300, "app.tasks.generate_report", tid])
            tt += dt.timedelta(milliseconds=rng.randint(5, 80))
        pid = rng.randint(2000, 60000)
        at(tt, "E18", "MainProcess", ["'ForkPoolWorker-%d'" % victim, pid, "'signal 9 (SIGKILL)'"])
        at(tt + dt.timedelta(milliseconds=rng.randint(1, 9)), "E19", "MainProcess",
           ["WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL) Job: %d.')" % job],
           ["Traceback (most recent call last):"]
           + _frame(SITE + "/billiard/pool.py", 1264, "mark_as_worker_lost", "raise WorkerLostError(")
           + ["billiard.exceptions.WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL) Job: %d." % job])
        pool["alive"].remove(victim)
        pool["alive"].append(pool["next"])
        pool["next"] += 1
    # revokes
    for f in (0.3, 0.65):
        tid = rnd_uuid(rng)
        at(when(f), "E22", "MainProcess", ["app.tasks.generate_report", tid])
    tid = rnd_uuid(rng)
    tt = when(0.55)
    at(tt - dt.timedelta(seconds=40), "E1", "MainProcess", ["app.tasks.sync_inventory", tid])
    at(tt, "E23", "MainProcess", [tid, "Signals.SIGTERM"])
    # gossip
    for f in (0.08, 0.45, 0.46, 0.9):
        at(when(f), "E28", "MainProcess", [rng.choice(peers)])
    o = when(0.62)
    at(o, "E29", "MainProcess", [peers[1], rng.randint(61, 95), (o - dt.timedelta(seconds=70)).strftime("%Y-%m-%d %H:%M:%S") + "." + str(rng.randint(100000, 999999)), o.strftime("%Y-%m-%d %H:%M:%S") + "." + str(rng.randint(100000, 999999))])
    # warm restart (deploy)
    tr = when(0.82)
    at(tr, "E27", "MainProcess", [])
    at(tr + dt.timedelta(milliseconds=rng.randint(50, 300)), "E17", "MainProcess", [rng.randint(1, 9)])
    timeline_cut = tr + dt.timedelta(milliseconds=400)
    restart = tr + dt.timedelta(seconds=rng.uniform(8, 20))
    timeline[:] = [e for e in timeline if not (timeline_cut < e[0] < restart)]
    startup(restart, False)

    timeline.sort(key=lambda e: (e[0], e[1]))
    records, total = [], 0
    for t, _, eid, proc, values, cont in timeline:
        size = 1 + len(cont)
        if total + size > N_LINES:
            continue
        level = CELERY_LEVEL.get(eid, "INFO")
        header = "[%s,%03d: %s/%s] " % (t.strftime("%Y-%m-%d %H:%M:%S"), t.microsecond // 1000, level, proc)
        records.append(Rec(eid, header, fill(CELERY_EVENTS[eid], values), cont))
        total += size
        if total == N_LINES:
            break
    return records


system("Celery", 40406, CELERY_EVENTS, CELERY_HEADER_RE,
       "Celery 5.3 worker (-B, --autoscale, Redis broker)",
       "`[yyyy-MM-dd HH:mm:ss,SSS: LEVEL/ProcessName] `")(build_celery)


# ---- main ----

def main(only=None):
    stats = {}
    for name, seed, events, header_re, build, _, _ in SYSTEMS:
        if only and name not in only:
            continue
        rng = random.Random(seed)
        records = build(rng)
        log_path, csv_path = write_system(name, events, records)
        stats[name] = check_system(name, events, header_re, records, log_path, csv_path)
        print("%-10s %s" % (name, stats[name]))
    return stats


if __name__ == "__main__":
    import sys
    main(sys.argv[1:] or None)
