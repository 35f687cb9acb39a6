#!/usr/bin/env python3
"""Deterministic generator for the held-out log-clustering benchmark corpus.

Standard library only.  Run:  python3 generate.py
Writes, for each system S, S/S_2k.log and S/S_2k.log_structured.csv next to
this script.  Every run with the same SEED produces byte-identical files.
"""
import csv
import datetime as dt
import os
import random
import re
import uuid

SEED = 20240311
N_LINES = 2000
OUT = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- vocabularies
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
         "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert",
         "sybil", "trent", "victor", "walter", "yolanda", "zoe", "quentin",
         "wendy", "oscar", "svc_reporting", "app_orders"]
HOSTS = ["db-primary", "db-replica", "cache.internal", "auth-svc",
         "payments.internal", "inventory-api", "search.internal", "mq-broker",
         "ledger", "edge-proxy", "billing.internal", "shipping-api"]
DBS = ["orders", "inventory", "billing", "analytics", "auth", "postgres"]
TABLES = ["orders", "order_items", "customers", "payments", "shipments",
          "inventory_levels", "audit_log", "sessions", "products", "invoices"]
REGIONS = ["eu-west-1", "us-east-1", "eu-central-1", "ap-southeast-2", "us-west-2"]
WAREHOUSES = ["berlin-north", "lyon", "rotterdam", "madrid-south", "warsaw"]
STATUSES = ["PENDING", "PAID", "PACKED", "SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"]
NAMESPACES = ["default", "payments", "kube-system", "monitoring", "orders", "ingress-nginx"]
APPS = ["web", "api", "worker", "checkout", "redis", "prometheus", "coredns",
        "ingress-nginx-controller", "grafana", "orders-consumer"]
CONTAINERS = ["app", "sidecar", "istio-proxy", "init-db", "metrics", "nginx"]
NODES = ["node-alpha", "node-bravo", "node-charlie"]
CITIES = ["Berlin", "Paris", "Lyon", "São Paulo", "New York", "Zürich", "Kraków",
          "Tokyo", "Los Angeles", "Madrid"]
COUNTRIES = ["DE", "FR", "BR", "US", "CH", "PL", "JP", "ES", "NL"]
CLIENT_IDS = ["web-frontend", "mobile-ios", "mobile-android", "partner-acme",
              "backoffice", "cli"]
TOPICS = ["orders.created", "orders.updated", "payments.settled", "shipments.dispatched"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
METHODS = ["GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH"]
UAS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
       "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
       "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
       "curl/8.5.0", "python-requests/2.31.0", "okhttp/4.12.0",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"]


def uid(r):
    return str(uuid.UUID(int=r.getrandbits(128), version=4))


def hexid(r, n):
    return "%0*x" % (n, r.getrandbits(4 * n))


def priv_ip(r):
    return "10.%d.%d.%d" % (r.randint(0, 3), r.randint(0, 255), r.randint(2, 254))


def pub_ip(r):
    return r.choice(["203.0.113.%d", "198.51.100.%d", "192.0.2.%d", "185.199.%d.1",
                     "91.198.174.%d", "31.13.%d.36"]) % r.randint(1, 254)


def pick_list(r, pool, lo=1, hi=4):
    return r.sample(pool, r.randint(lo, min(hi, len(pool))))


def go_dur(r):
    k = r.random()
    if k < 0.25:
        return "%dµs" % r.randint(80, 999)
    if k < 0.7:
        return "%.6fms" % (r.uniform(0.5, 999)) if r.random() < 0.5 else "%.3fms" % r.uniform(0.5, 999)
    if k < 0.95:
        return "%.3fs" % r.uniform(1, 59)
    return "%dm%.3fs" % (r.randint(1, 5), r.uniform(0, 59))


def short_dur(r):
    k = r.random()
    if k < 0.6:
        return "%dms" % r.randint(1, 950)
    if k < 0.9:
        return "%.1fs" % r.uniform(1, 30)
    return "%dm%ds" % (r.randint(1, 9), r.randint(0, 59))


def size_h(r):
    k = r.random()
    if k < 0.15:
        return "%d B" % r.randint(12, 1023)
    if k < 0.75:
        return "%.2f KB" % r.uniform(1, 1023)
    return "%.2f MB" % r.uniform(1, 250)


def date_in_msg(r, base):
    d = base + dt.timedelta(days=r.randint(-40, 40))
    return "%s %s %d" % (WEEKDAYS[d.weekday()], MONTHS[d.month - 1], d.day)


def api_path(r):
    t = r.random()
    if t < 0.3:
        return "/api/v1/orders/%d" % r.randint(1000, 99999)
    if t < 0.45:
        return "/api/v1/orders?page=%d&size=%d" % (r.randint(1, 40), r.choice([10, 20, 50]))
    if t < 0.6:
        return "/api/v1/customers/%s/orders" % uid(r)
    if t < 0.7:
        return "/api/v2/products/%s" % r.choice(["sku-", "p-"]) + str(r.randint(100, 9999))
    if t < 0.8:
        return "/static/js/main.%s.js" % hexid(r, 8)
    if t < 0.88:
        return "/api/v1/cart/%s/items" % hexid(r, 12)
    if t < 0.95:
        return "/login"
    return "/api/v1/search?q=%s" % r.choice(["shoes", "red+dress", "laptop%20bag", "kaffee", "t%C3%BCr"])


def logfmt_val(v):
    v = str(v)
    if v == "" or any(c in v for c in ' ="\t'):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return v


# ---------------------------------------------------------------- engine
class Ev:
    def __init__(self, tpl, lvl="INFO", w=0, n=0, gen=None, cont=None, opt=None,
                 optgen=None, optp=0.3, start=False, **meta):
        self.tpl, self.lvl, self.w, self.n = tpl, lvl, w, n
        self.gen, self.cont, self.opt, self.optgen, self.optp = gen, cont, opt, optgen, optp
        self.start, self.meta = start, meta
        self.eid = None

    @property
    def template(self):
        return self.tpl + (self.opt or "")


def fill(tpl, vals):
    parts = tpl.split("<*>")
    if len(parts) - 1 != len(vals):
        raise ValueError("template %r wants %d values, got %r" % (tpl, len(parts) - 1, vals))
    out = [parts[0]]
    for v, p in zip(vals, parts[1:]):
        out.append(str(v))
        out.append(p)
    return "".join(out)


def tpl_regex(t):
    return re.compile("^" + ".+?".join(re.escape(p) for p in t.split("<*>")) + "$", re.S)


class Record:
    def __init__(self, ev, msg, cont, ctx):
        self.ev, self.msg, self.cont, self.ctx = ev, msg, cont, ctx
        self.n = 1 + len(cont)


def make_record(r, ev, ctxf):
    ctx = ctxf(r, ev) if ctxf else {}
    vals = ev.gen(r, ctx) if ev.gen else []
    msg = fill(ev.tpl, vals)
    if ev.opt and r.random() < ev.optp:
        msg += fill(ev.opt, ev.optgen(r, ctx))
    cont = ev.cont(r, ctx, vals) if ev.cont else []
    return Record(ev, msg, cont, ctx)


def number(events):
    for i, ev in enumerate(events, 1):
        ev.eid = "E%d" % i
    return events


def plan(r, events, ctxf, total=N_LINES):
    start = [make_record(r, ev, ctxf) for ev in events if ev.start for _ in range(ev.n)]
    rare = [make_record(r, ev, ctxf) for ev in events if not ev.start and ev.n for _ in range(ev.n)]
    used = sum(x.n for x in start + rare)
    weighted = [ev for ev in events if ev.w]
    single = [ev for ev in weighted if not ev.cont]
    ww = [ev.w for ev in weighted]
    sw = [ev.w for ev in single]
    body = []
    while used < total:
        rec = make_record(r, r.choices(weighted, ww)[0], ctxf)
        if used + rec.n > total:
            rec = make_record(r, r.choices(single, sw)[0], ctxf)
        body.append(rec)
        used += rec.n
    for rec in rare:
        body.insert(r.randrange(len(body) + 1), rec)
    return start + body


def render_all(r, recs, base, mean_gap, render):
    out = []  # (line, ev)
    ts = base
    for rec in recs:
        ts = ts + dt.timedelta(microseconds=int(r.expovariate(1.0 / mean_gap) * 1e6) + 1)
        for line in render(ts, rec):
            out.append((line, rec.ev, rec))
    return out


def write_system(name, rows, events):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    lines = [x[0] for x in rows]
    assert len(lines) == N_LINES, (name, len(lines))
    for ln in lines:
        assert ln.strip() and "\n" not in ln and "\r" not in ln, (name, ln)
    for line, ev, rec in rows:
        if rec is not None:
            rx = tpl_regex(ev.template)
            rx2 = tpl_regex(ev.tpl)
            assert rx.match(rec.msg) or rx2.match(rec.msg), (name, ev.template, rec.msg)
    with open(os.path.join(d, name + "_2k.log"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(d, name + "_2k.log_structured.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["LineId", "EventId", "EventTemplate"])
        for i, (line, ev, rec) in enumerate(rows, 1):
            w.writerow([i, ev.eid, ev.template])
    counts = {}
    for _, ev, _ in rows:
        counts[ev.eid] = counts.get(ev.eid, 0) + 1
    missing = [ev.eid for ev in events if ev.eid not in counts]
    assert not missing, (name, missing)
    return counts


# ================================================================ PostgreSQL
def sql_stmt(r):
    t = r.randrange(9)
    if t == 0:
        return "SELECT id, status, total_cents FROM orders WHERE customer_id = %d ORDER BY created_at DESC LIMIT %d" % (r.randint(1, 90000), r.choice([10, 20, 50]))
    if t == 1:
        return "UPDATE orders SET status = '%s', updated_at = now() WHERE id = %d" % (r.choice(STATUSES).lower(), r.randint(1000, 999999))
    if t == 2:
        return "INSERT INTO audit_log (actor, action, payload) VALUES ('%s', '%s', '{\"id\": %d}')" % (r.choice(USERS), r.choice(["login", "export", "update"]), r.randint(1, 9999))
    if t == 3:
        return "SELECT count(*) FROM order_items oi JOIN products p ON p.id = oi.product_id WHERE p.category = '%s'" % r.choice(["shoes", "books", "garden", "toys"])
    if t == 4:
        return "DELETE FROM sessions WHERE expires_at < now() - interval '%d days'" % r.randint(1, 30)
    if t == 5:
        return "SELECT * FROM inventory_levels WHERE warehouse = '%s' AND sku IN (%s)" % (r.choice(WAREHOUSES), ", ".join("'sku-%d'" % r.randint(100, 9999) for _ in range(r.randint(1, 5))))
    if t == 6:
        return "COPY analytics.events_%d FROM STDIN WITH (FORMAT csv)" % r.randint(202401, 202412)
    if t == 7:
        return "BEGIN"
    return "SELECT pg_sleep(%d)" % r.randint(1, 5)


def pg_prep(r):
    return r.choice([
        ("SELECT id, email FROM customers WHERE id = $1", 1),
        ("UPDATE payments SET state = $1 WHERE order_id = $2", 2),
        ("INSERT INTO order_items (order_id, product_id, qty, price_cents) VALUES ($1, $2, $3, $4)", 4),
        ("SELECT * FROM sessions WHERE token = $1 AND expires_at > $2", 2),
    ])


def pg_param(r):
    return r.choice([str(r.randint(1, 99999)), "'%s'" % r.choice(USERS), "'%s'" % uid(r),
                     "'%s'" % r.choice(STATUSES).lower(), "'2024-03-%02d 10:%02d:00+00'" % (r.randint(1, 28), r.randint(0, 59))])


def pg_events():
    def tmpfile(r, c):
        return ["base/pgsql_tmp/pgsql_tmp%d.%d" % (r.randint(1000, 65000), r.randint(0, 9)), r.randint(1, 900) * 1048576 + r.randint(0, 99999)]

    def exec_gen(r, c):
        stmt, k = pg_prep(r)
        c["k"] = k
        return ["%.3f" % r.uniform(0.05, 80), r.choice(["<unnamed>", "S_%d" % r.randint(1, 40)]), stmt]

    def exec_cont(r, c, vals):
        return [("DETAIL", "parameters: " + ", ".join("$%d = %s" % (i, pg_param(r)) for i in range(1, c["k"] + 1)))]

    def vacuum_cont(r, c, vals):
        tot = r.randint(50, 90000)
        return ["\tpages: %d removed, %d remain, %d scanned (%.2f%% of total)" % (r.randint(0, 50), tot, r.randint(1, tot), r.uniform(0.01, 100)),
                "\ttuples: %d removed, %d remain, %d are dead but not yet removable" % (r.randint(0, 9000), r.randint(1000, 900000), r.randint(0, 40)),
                "\tindex scan %s: %d pages from table (%.2f%% of total) had %d dead item identifiers removed" % (r.choice(["needed", "bypassed"]), r.randint(0, 900), r.uniform(0, 10), r.randint(0, 9000)),
                "\tavg read rate: %.3f MB/s, avg write rate: %.3f MB/s" % (r.uniform(0, 90), r.uniform(0, 40)),
                "\tbuffer usage: %d hits, %d misses, %d dirtied" % (r.randint(100, 90000), r.randint(0, 900), r.randint(0, 500)),
                "\tWAL usage: %d records, %d full page images, %d bytes" % (r.randint(10, 9000), r.randint(0, 300), r.randint(1000, 9000000)),
                "\tsystem usage: CPU: user: %.2f s, system: %.2f s, elapsed: %.2f s" % (r.uniform(0, 2), r.uniform(0, 1), r.uniform(0, 9))]

    def analyze_cont(r, c, vals):
        return ["\tavg read rate: %.3f MB/s, avg write rate: %.3f MB/s" % (r.uniform(0, 90), r.uniform(0, 40)),
                "\tbuffer usage: %d hits, %d misses, %d dirtied" % (r.randint(100, 9000), r.randint(0, 900), r.randint(0, 50)),
                "\tsystem usage: CPU: user: %.2f s, system: %.2f s, elapsed: %.2f s" % (r.uniform(0, 2), r.uniform(0, 1), r.uniform(0, 9))]

    def stmt_cont(r, c, vals):
        return [("STATEMENT", sql_stmt(r))]

    def dup_cont(r, c, vals):
        return [("DETAIL", "Key (%s)=(%s) already exists." % (r.choice(["id", "email", "order_id, product_id", "token"]), r.choice([str(r.randint(1, 99999)), "%s@example.com" % r.choice(USERS), "%d, %d" % (r.randint(1, 9999), r.randint(1, 9999))]))),
                ("STATEMENT", "INSERT INTO %s (id, created_at) VALUES (%d, now())" % (r.choice(TABLES), r.randint(1, 99999)))]

    def deadlock_cont(r, c, vals):
        a, b = r.randint(1000, 65000), r.randint(1000, 65000)
        ta, tb = r.randint(100000, 999999), r.randint(100000, 999999)
        return [("DETAIL", "Process %d waits for ShareLock on transaction %d; blocked by process %d." % (a, tb, b)),
                "\tProcess %d waits for ShareLock on transaction %d; blocked by process %d." % (b, ta, a),
                "\tProcess %d: UPDATE orders SET status = 'paid' WHERE id = %d" % (a, r.randint(1000, 99999)),
                "\tProcess %d: UPDATE orders SET status = 'cancelled' WHERE id = %d" % (b, r.randint(1000, 99999)),
                ("HINT", "See server log for query details."),
                ("CONTEXT", "while updating tuple (%d,%d) in relation \"orders\"" % (r.randint(0, 9000), r.randint(1, 90))),
                ("STATEMENT", "UPDATE orders SET status = 'paid' WHERE id = %d" % r.randint(1000, 99999))]

    def wait_cont(r, c, vals):
        return [("DETAIL", "Process holding the lock: %d. Wait queue: %s." % (r.randint(1000, 65000), ", ".join(str(r.randint(1000, 65000)) for _ in range(r.randint(1, 3))))),
                ("CONTEXT", "while locking tuple (%d,%d) in relation \"%s\"" % (r.randint(0, 900), r.randint(1, 60), r.choice(TABLES))),
                ("STATEMENT", sql_stmt(r))]

    def hba_cont(r, c, vals):
        return [("DETAIL", "Connection matched pg_hba.conf line %d: \"host all all %s/16 scram-sha-256\"" % (r.randint(88, 130), r.choice(["10.0.0.0", "10.1.0.0", "172.16.0.0"])))]

    ev = [
        Ev("connection received: host=<*> port=<*>", "LOG", w=300, sess="unknown",
           gen=lambda r, c: [r.choice([priv_ip(r), r.choice(HOSTS), "[local]"]), r.randint(32768, 60999)]),
        Ev("connection authorized: user=<*> database=<*> application_name=<*>", "LOG", w=240, sess=True,
           gen=lambda r, c: [c["user"], c["db"], r.choice(["psql", "orders-api", "PostgreSQL JDBC Driver", "pgbouncer", "metabase"])]),
        Ev("connection authorized: user=<*> database=<*> SSL enabled (protocol=<*>, cipher=<*>, bits=<*>)", "LOG", w=45, sess=True,
           gen=lambda r, c: [c["user"], c["db"], r.choice(["TLSv1.3", "TLSv1.2"]), r.choice(["TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"]), r.choice([256, 128])]),
        Ev("disconnection: session time: <*> user=<*> database=<*> host=<*> port=<*>", "LOG", w=280, sess=True,
           gen=lambda r, c: ["%d:%02d:%06.3f" % (r.choice([0, 0, 0, 1, 3]), r.randint(0, 59), r.uniform(0, 59.999)), c["user"], c["db"], priv_ip(r), r.randint(32768, 60999)]),
        Ev("duration: <*> ms  statement: <*>", "LOG", w=230, sess=True,
           gen=lambda r, c: ["%.3f" % r.choice([r.uniform(0.01, 5), r.uniform(5, 900), r.uniform(1000, 30000)]), sql_stmt(r)]),
        Ev("duration: <*> ms  execute <*>: <*>", "LOG", w=90, sess=True, gen=exec_gen, cont=exec_cont),
        Ev("checkpoint starting: time", "LOG", w=20, proc="ckpt"),
        Ev("checkpoint complete: wrote <*> buffers (<*>%); <*> WAL file(s) added, <*> removed, <*> recycled; write=<*> s, sync=<*> s, total=<*> s; sync files=<*>, longest=<*> s, average=<*> s; distance=<*> kB, estimate=<*> kB", "LOG", w=21, proc="ckpt",
           gen=lambda r, c: (lambda w, s: [r.randint(1, 9000), "%.1f" % r.uniform(0, 30), 0, r.randint(0, 3), r.randint(0, 5), "%.3f" % w, "%.3f" % s, "%.3f" % (w + s + r.uniform(0, 0.05)), r.randint(1, 90), "%.3f" % r.uniform(0, 0.1), "%.3f" % r.uniform(0, 0.01), r.randint(10, 90000), r.randint(10, 90000)])(r.uniform(0, 270), r.uniform(0, 0.5))),
        Ev("automatic vacuum of table \"<*>\": index scans: <*>", "LOG", w=12, proc="av",
           gen=lambda r, c: ["%s.public.%s" % (r.choice(DBS), r.choice(TABLES)), r.randint(0, 2)], cont=vacuum_cont),
        Ev("automatic analyze of table \"<*>\"", "LOG", w=14, proc="av",
           gen=lambda r, c: ["%s.public.%s" % (r.choice(DBS), r.choice(TABLES))], cont=analyze_cont),
        Ev("duplicate key value violates unique constraint \"<*>\"", "ERROR", w=14, sess=True,
           gen=lambda r, c: ["%s_%s" % (r.choice(TABLES), r.choice(["pkey", "email_key", "token_key"]))], cont=dup_cont),
        Ev("relation \"<*>\" does not exist at character <*>", "ERROR", n=4, sess=True,
           gen=lambda r, c: [r.choice(["order_itmes", "public.legacy_orders", "tmp_export", "customer"]), r.randint(8, 90)], cont=stmt_cont),
        Ev("canceling statement due to statement timeout", "ERROR", w=5, sess=True, cont=stmt_cont),
        Ev("deadlock detected", "ERROR", n=2, sess=True, cont=deadlock_cont),
        Ev("password authentication failed for user \"<*>\"", "FATAL", w=6, sess=True,
           gen=lambda r, c: [c["user"]], cont=hba_cont),
        Ev("database \"<*>\" does not exist", "FATAL", n=3, sess=True,
           gen=lambda r, c: [r.choice(["order", "test", "orders_v2"])]),
        Ev("terminating connection due to administrator command", "FATAL", n=2, sess=True),
        Ev("could not receive data from client: Connection reset by peer", "LOG", w=10, sess=True),
        Ev("unexpected EOF on client connection with an open transaction", "LOG", n=5, sess=True),
        Ev("there is no transaction in progress", "WARNING", w=8, sess=True),
        Ev("temporary file: path \"<*>\", size <*>", "LOG", w=6, sess=True, gen=tmpfile, cont=stmt_cont),
        Ev("process <*> still waiting for ShareLock on transaction <*> after <*> ms", "LOG", n=4, sess=True,
           gen=lambda r, c: [c["pid"], r.randint(100000, 999999), "%.3f" % r.uniform(1000, 1100)], cont=wait_cont),
        Ev("process <*> acquired ShareLock on transaction <*> after <*> ms", "LOG", n=3, sess=True,
           gen=lambda r, c: [c["pid"], r.randint(100000, 999999), "%.3f" % r.uniform(1000, 9000)], cont=stmt_cont),
        Ev("skipping vacuum of \"<*>\" --- lock not available", "LOG", n=3, proc="av",
           gen=lambda r, c: [r.choice(TABLES)]),
        Ev("starting PostgreSQL 15.6 (Debian 15.6-1.pgdg120+2) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit", "LOG", n=1, start=True, proc="post"),
        Ev("listening on IPv4 address \"<*>\", port <*>", "LOG", n=1, start=True, proc="post", gen=lambda r, c: ["0.0.0.0", 5432]),
        Ev("listening on IPv6 address \"<*>\", port <*>", "LOG", n=1, start=True, proc="post", gen=lambda r, c: ["::", 5432]),
        Ev("listening on Unix socket \"<*>\"", "LOG", n=1, start=True, proc="post", gen=lambda r, c: ["/var/run/postgresql/.s.PGSQL.5432"]),
        Ev("database system was shut down at <*>", "LOG", n=1, start=True, proc="startup", gen=lambda r, c: ["2024-03-10 23:58:41 UTC"]),
        Ev("database system is ready to accept connections", "LOG", n=1, start=True, proc="post"),
        Ev("background worker \"<*>\" (PID <*>) exited with exit code <*>", "LOG", n=1, proc="post",
           gen=lambda r, c: ["logical replication launcher", r.randint(60, 200), 1]),
        Ev("could not send data to client: Broken pipe", "LOG", n=4, sess=True),
    ]
    return number(ev)


def gen_postgres():
    r = random.Random(SEED + 1)
    events = pg_events()
    sessions = [(r.randint(3000, 65000), r.choice(USERS), r.choice(DBS)) for _ in range(25)]

    def ctx(r, ev):
        p = ev.meta.get("proc")
        c = {"user": r.choice(USERS), "db": r.choice(DBS)}
        if p == "ckpt":
            c["pid"] = 62
        elif p == "post":
            c["pid"] = 1
        elif p == "startup":
            c["pid"] = 64
        elif p == "av":
            c["pid"] = r.randint(3000, 65000)
        else:
            tpl = ev.tpl
            if tpl.startswith("connection received"):
                i = r.randrange(len(sessions))
                sessions[i] = (r.randint(3000, 65000), r.choice(USERS), r.choice(DBS))
            else:
                i = r.randrange(len(sessions))
            c["pid"], c["user"], c["db"] = sessions[i]
            if tpl.startswith("disconnection") or ev.lvl == "FATAL":
                sessions[i] = (r.randint(3000, 65000), r.choice(USERS), r.choice(DBS))
        return c

    recs = plan(r, events, ctx)

    def render(ts, rec):
        c, ev = rec.ctx, rec.ev
        sess = ev.meta.get("sess")
        pre = "%s.%03d UTC [%d] " % (ts.strftime("%Y-%m-%d %H:%M:%S"), ts.microsecond // 1000, c["pid"])
        if sess == "unknown":
            pre += "[unknown]@[unknown] "
        elif sess:
            pre += "%s@%s " % (c["user"], c["db"])
        out = [pre + "%s:  %s" % (ev.lvl, rec.msg)]
        for item in rec.cont:
            out.append(pre + "%s:  %s" % item if isinstance(item, tuple) else item)
        return out

    rows = render_all(r, recs, dt.datetime(2024, 3, 11, 0, 0, 3, 117000), 2.2, render)
    return write_system("PostgreSQL", rows, events), events


# ================================================================ Kubelet (klog)
def pod_name(r):
    app = r.choice(APPS)
    return "%s/%s-%s-%s" % (r.choice(NAMESPACES), app, hexid(r, 10)[:r.choice([9, 10])], "".join(r.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5)))


def kubelet_events():
    def podq(r):
        return '"%s"' % pod_name(r)

    def pods_list(r):
        return "[" + ",".join('"%s"' % pod_name(r) for _ in range(r.choice([1, 1, 1, 1, 2, 3]))) + "]"

    def vol(r):
        return r.choice(["kube-api-access-%s" % "".join(r.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5)),
                         "config-volume", "tls-certs", "data", "tmp-dir", "secret-volume"])

    def vol_gen(r, c):
        v, u = vol(r), uid(r)
        pn = pod_name(r)
        plugin = r.choice(["kubernetes.io/projected", "kubernetes.io/configmap", "kubernetes.io/secret", "kubernetes.io/empty-dir"])
        return [v, "%s/%s-%s" % (plugin, u, v), pn.split("/")[1], u, '"%s"' % pn]

    def pleg(r, c):
        return [podq(r), '{"ID":"%s","Type":"%s","Data":"%s"}' % (uid(r), r.choice(["ContainerStarted", "ContainerStarted", "ContainerDied"]), hexid(r, 64))]

    def probe_out(r):
        ip = "%s:%d" % (priv_ip(r), r.choice([8080, 9090, 3000, 8443]))
        return r.choice([
            '"Get \\"http://%s/healthz\\": dial tcp %s: connect: connection refused"' % (ip, ip),
            '"Get \\"http://%s/ready\\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"' % ip,
            '"HTTP probe failed with statuscode: %d"' % r.choice([500, 503, 404]),
            '"command timed out"'])

    def ts_q(r):
        return '"2024-03-%02d %02d:%02d:%02d.%09d +0000 UTC"' % (r.randint(1, 11), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.randint(0, 999999999))

    ev = [
        Ev('"SyncLoop (PLEG): event for pod" pod=<*> event=<*>', "I", w=240, src="kubelet.go:2457", gen=pleg),
        Ev('"SyncLoop UPDATE" source=<*> pods=<*>', "I", w=150, src="kubelet.go:2424", gen=lambda r, c: ['"api"', pods_list(r)]),
        Ev('"SyncLoop ADD" source=<*> pods=<*>', "I", w=45, src="kubelet.go:2410", gen=lambda r, c: ['"api"', pods_list(r)]),
        Ev('"SyncLoop DELETE" source=<*> pods=<*>', "I", w=35, src="kubelet.go:2430", gen=lambda r, c: ['"api"', pods_list(r)]),
        Ev('"SyncLoop REMOVE" source=<*> pods=<*>', "I", w=33, src="kubelet.go:2426", gen=lambda r, c: ['"api"', pods_list(r)]),
        Ev('"SyncLoop RECONCILE" source=<*> pods=<*>', "I", w=25, src="kubelet.go:2437", gen=lambda r, c: ['"api"', pods_list(r)]),
        Ev('"Probe failed" probeType=<*> pod=<*> podUID=<*> containerName=<*> probeResult="failure" output=<*>', "I", w=110, src="prober.go:107",
           gen=lambda r, c: ['"%s"' % r.choice(["Readiness", "Liveness", "Startup"]), podq(r), '"%s"' % uid(r), '"%s"' % r.choice(CONTAINERS), probe_out(r)]),
        Ev('"RemoveContainer" containerID=<*>', "I", w=70, src="scope.go:117", gen=lambda r, c: ['"%s"' % hexid(r, 64)]),
        Ev('"ContainerStatus from runtime service failed" err=<*> containerID=<*>', "E", w=14, src="remote_runtime.go:432",
           gen=lambda r, c: ['"rpc error: code = NotFound desc = could not find container \\"%s\\": container with ID starting with %s not found: ID does not exist"' % ((lambda h: (h, h[:12] if False else h))(hexid(r, 64))), '"%s"' % hexid(r, 64)]),
        Ev('"Observed pod startup duration" pod=<*> podStartSLOduration=<*> podStartE2EDuration=<*> podCreationTimestamp=<*> firstStartedPulling=<*> lastFinishedPulling=<*> observedRunningTime=<*> watchObservedRunningTime=<*>', "I", w=40, src="pod_startup_latency_tracker.go:102",
           gen=lambda r, c: [podq(r), "%.9f" % r.uniform(0.5, 40), '"%s"' % go_dur(r), ts_q(r), r.choice(['"0001-01-01 00:00:00 +0000 UTC"', ts_q(r)]), r.choice(['"0001-01-01 00:00:00 +0000 UTC"', ts_q(r)]), ts_q(r), ts_q(r)]),
        Ev('"operationExecutor.VerifyControllerAttachedVolume started for volume \\"<*>\\" (UniqueName: \\"<*>\\") pod \\"<*>\\" (UID: \\"<*>\\")" pod=<*>', "I", w=60, src="reconciler_common.go:258", gen=vol_gen),
        Ev('"operationExecutor.MountVolume started for volume \\"<*>\\" (UniqueName: \\"<*>\\") pod \\"<*>\\" (UID: \\"<*>\\")" pod=<*>', "I", w=55, src="reconciler_common.go:231", gen=vol_gen),
        Ev('"MountVolume.SetUp succeeded for volume \\"<*>\\" (UniqueName: \\"<*>\\") pod \\"<*>\\" (UID: \\"<*>\\")" pod=<*>', "I", w=55, src="operation_generator.go:721", gen=vol_gen),
        Ev('"Killing container with a grace period" pod=<*> podUID=<*> containerName=<*> containerID=<*> gracePeriod=<*>', "I", w=28, src="kuberuntime_container.go:770",
           gen=lambda r, c: [podq(r), '"%s"' % uid(r), '"%s"' % r.choice(CONTAINERS), '"containerd://%s"' % hexid(r, 64), r.choice([30, 30, 30, 2, 60, 120])]),
        Ev('"Error syncing pod, skipping" err=<*> pod=<*> podUID=<*>', "E", w=22, src="pod_workers.go:1300",
           gen=lambda r, c: ['"failed to \\"StartContainer\\" for \\"%s\\" with CrashLoopBackOff: \\"back-off %s restarting failed container=%s pod=%s_%s(%s)\\""' % ((lambda cn: (cn, r.choice(["10s", "20s", "40s", "1m20s", "2m40s", "5m0s"]), cn, r.choice(APPS) + "-" + hexid(r, 5), r.choice(NAMESPACES), uid(r)))(r.choice(CONTAINERS))), podq(r), '"%s"' % uid(r)]),
        Ev('"Image garbage collection succeeded"', "I", n=3, src="image_gc_manager.go:356"),
        Ev('"Eviction manager: attempting to reclaim" resourceName=<*>', "I", n=2, src="eviction_manager.go:366", gen=lambda r, c: ['"%s"' % r.choice(["ephemeral-storage", "memory"])]),
        Ev('"Housekeeping took longer than expected" err="housekeeping took too long" expected=<*> actual=<*>', "W", w=12, src="kubelet.go:2436",
           gen=lambda r, c: ['"1s"', '"%.3fs"' % r.uniform(1.0, 4)]),
        Ev('"Nameserver limits exceeded" err="Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: <*>"', "E", w=16, src="dns.go:153",
           gen=lambda r, c: [" ".join(priv_ip(r) for _ in range(r.randint(1, 3)))]),
        Ev('"Unable to fetch pod log stats" err=<*> pod=<*>', "E", n=4, src="log_metrics.go:66",
           gen=lambda r, c: ['"open /var/log/pods/%s/%s: no such file or directory"' % (pod_name(r).replace("/", "_"), r.choice(CONTAINERS)), podq(r)]),
        Ev('"Failed to update lease" err=<*>', "E", n=2, src="controller.go:195",
           gen=lambda r, c: ['"Operation cannot be fulfilled on leases.coordination.k8s.io \\"%s\\": the object has been modified; please apply your changes to the latest version and try again"' % c["node"]]),
        Ev('"Volume detached for volume \\"<*>\\" (UniqueName: \\"<*>\\") on node \\"<*>\\" DevicePath \\"\\""', "I", w=30, src="reconciler_common.go:300",
           gen=lambda r, c: (lambda v, u: [v, "kubernetes.io/projected/%s-%s" % (u, v), c["node"]])(vol(r), uid(r))),
        Ev('"UnmountVolume.TearDown succeeded for volume \\"<*>\\" (OuterVolumeSpecName: \\"<*>\\") pod \\"<*>\\" (UID: \\"<*>\\"). InnerVolumeSpecName \\"<*>\\". PluginName \\"<*>\\", VolumeGidValue \\"\\""', "I", w=30, src="operation_generator.go:803",
           gen=lambda r, c: (lambda v, u: ["kubernetes.io/projected/%s-%s" % (u, v), v, u, u, v, "kubernetes.io/projected"])(vol(r), uid(r))),
        Ev('"Attempting to register node" node=<*>', "I", n=1, start=True, src="kubelet_node_status.go:73", gen=lambda r, c: ['"%s"' % c["node"]]),
        Ev('"Successfully registered node" node=<*>', "I", n=1, start=True, src="kubelet_node_status.go:76", gen=lambda r, c: ['"%s"' % c["node"]]),
        Ev('"Starting to sync pod status with apiserver"', "I", n=1, start=True, src="status_manager.go:217"),
        Ev("Waited for <*> due to client-side throttling, not priority and fairness, request: <*>:<*>", "I", n=5, src="request.go:629",
           gen=lambda r, c: [r.choice(["1.04772561s", "195.22347ms", "397.512ms", "596.1s"]), r.choice(["GET", "PATCH"]), "https://%s:6443/api/v1/namespaces/%s/pods/%s" % (r.choice(["10.96.0.1", "api.cluster.internal"]), r.choice(NAMESPACES), r.choice(APPS) + "-" + hexid(r, 5))]),
    ]
    return number(ev)


def gen_kubelet():
    r = random.Random(SEED + 2)
    events = kubelet_events()
    node = "node-bravo"
    recs = plan(r, events, lambda r, ev: {"node": node})

    def render(ts, rec):
        return ["%s%s %7d %s] %s" % (rec.ev.lvl, ts.strftime("%m%d %H:%M:%S.%f"), 2417, rec.ev.meta["src"], rec.msg)]

    rows = render_all(r, recs, dt.datetime(2024, 3, 11, 9, 14, 2, 331412), 0.9, render)
    return write_system("Kubelet", rows, events), events


# ================================================================ Spring Boot
def java_trace(r, exc, msg, frames, cause=None):
    out = ["%s: %s" % (exc, msg) if msg else exc]
    for f in frames[: r.randint(max(3, len(frames) - 6), len(frames))]:
        out.append("\tat " + f)
    if cause:
        cexc, cmsg, cframes = cause
        out.append("Caused by: %s: %s" % (cexc, cmsg))
        k = r.randint(2, len(cframes))
        for f in cframes[:k]:
            out.append("\tat " + f)
        out.append("\t... %d more" % r.randint(8, 120))
    return out


WEB_FRAMES = [
    "com.example.orders.service.OrderService.cancel(OrderService.java:142)",
    "com.example.orders.web.OrderController.cancel(OrderController.java:88)",
    "java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
    "java.base/java.lang.reflect.Method.invoke(Method.java:580)",
    "org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:259)",
    "org.springframework.web.method.support.InvocableHandlerMethod.invokeForRequest(InvocableHandlerMethod.java:192)",
    "org.springframework.web.servlet.mvc.method.annotation.ServletInvocableHandlerMethod.invokeAndHandle(ServletInvocableHandlerMethod.java:118)",
    "org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)",
    "org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1014)",
    "jakarta.servlet.http.HttpServlet.service(HttpServlet.java:590)",
    "org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:659)",
    "java.base/java.lang.Thread.run(Thread.java:1583)",
]
DAO_FRAMES = [
    "org.springframework.orm.jpa.vendor.HibernateJpaDialect.convertHibernateAccessException(HibernateJpaDialect.java:290)",
    "org.springframework.orm.jpa.vendor.HibernateJpaDialect.translateExceptionIfPossible(HibernateJpaDialect.java:241)",
    "org.springframework.orm.jpa.JpaTransactionManager.doCommit(JpaTransactionManager.java:565)",
    "org.springframework.transaction.support.AbstractPlatformTransactionManager.commit(AbstractPlatformTransactionManager.java:660)",
    "com.example.orders.service.OrderService.process(OrderService.java:97)",
    "com.example.orders.events.OrderEventListener.onMessage(OrderEventListener.java:54)",
    "org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.doInvokeOnMessage(KafkaMessageListenerContainer.java:2800)",
    "java.base/java.lang.Thread.run(Thread.java:1583)",
]
PG_FRAMES = [
    "org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2725)",
    "org.postgresql.core.v3.QueryExecutorImpl.processResults(QueryExecutorImpl.java:2412)",
    "org.postgresql.core.v3.QueryExecutorImpl.execute(QueryExecutorImpl.java:371)",
    "org.postgresql.jdbc.PgStatement.executeInternal(PgStatement.java:502)",
    "com.zaxxer.hikari.pool.HikariProxyPreparedStatement.executeUpdate(HikariProxyPreparedStatement.java)",
]
HTTP_FRAMES = [
    "java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)",
    "java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:314)",
    "java.base/java.net.Socket$SocketInputStream.read(Socket.java:1099)",
    "org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:878)",
    "com.example.orders.service.ShippingClient.createLabel(ShippingClient.java:61)",
]


def spring_events():
    oid = lambda r: "ord-%s" % hexid(r, 8)

    def unhandled_cont(r, c, vals):
        o = oid(r)
        return java_trace(r, "java.lang.IllegalStateException", "Order %s is already %s" % (o, r.choice(STATUSES)), WEB_FRAMES)

    def failed_cont(r, c, vals):
        t = r.choice(TABLES)
        return java_trace(r, "org.springframework.dao.DataIntegrityViolationException",
                          "could not execute statement [ERROR: duplicate key value violates unique constraint \"%s_pkey\"] [insert into %s (created_at,id) values (?,?)]" % (t, t),
                          DAO_FRAMES,
                          ("org.postgresql.util.PSQLException", "ERROR: duplicate key value violates unique constraint \"%s_pkey\"" % t, PG_FRAMES))

    def io_cont(r, c, vals):
        return java_trace(r, "org.springframework.web.client.ResourceAccessException",
                          "I/O error on POST request for \"http://shipping-api:8080/v1/labels\": Read timed out",
                          HTTP_FRAMES[3:] + WEB_FRAMES[2:],
                          ("java.net.SocketTimeoutException", "Read timed out", HTTP_FRAMES))

    cust = lambda r: r.choice(USERS)
    ev = [
        Ev("Received order request orderId=<*> customer=<*> items=<*>", "INFO", w=260, th="web", lg="c.e.orders.web.OrderController",
           gen=lambda r, c: [oid(r), cust(r), "[" + ", ".join("sku-%d" % r.randint(100, 9999) for _ in range(r.choice([1, 1, 2, 3, 5]))) + "]"]),
        Ev("Order <*> created for customer '<*>' total=<*> EUR", "INFO", w=220, th="web", lg="c.e.orders.service.OrderService",
           gen=lambda r, c: [oid(r), cust(r), "%.2f" % r.uniform(3, 900)]),
        Ev("Payment authorized for order <*> in <*>ms", "INFO", w=190, th="web", lg="c.e.orders.service.PaymentClient",
           gen=lambda r, c: [oid(r), r.randint(30, 2400)]),
        Ev("Payment declined for order <*>: reason=<*>", "WARN", w=28, th="web", lg="c.e.orders.service.PaymentClient",
           gen=lambda r, c: [oid(r), r.choice(["insufficient_funds", "card_expired", "do_not_honor", "3ds_failed"])]),
        Ev("Payment gateway timeout for order <*> after <*>ms", "WARN", w=18, th="web", lg="c.e.orders.service.PaymentClient",
           gen=lambda r, c: [oid(r), r.choice([3000, 5000, 10000])], opt=" (attempt <*> of <*>)", optp=0.5,
           optgen=lambda r, c: (lambda a: [a, 3])(r.randint(1, 3))),
        Ev("Reserved <*> items in warehouse '<*>' for order <*>", "INFO", w=150, th="web", lg="c.e.orders.service.InventoryClient",
           gen=lambda r, c: [r.randint(1, 12), r.choice(WAREHOUSES), oid(r)]),
        Ev("Inventory service slow response: <*> took <*>ms (threshold <*>ms)", "WARN", w=35, th="web", lg="c.e.orders.service.InventoryClient",
           gen=lambda r, c: ["http://inventory-api:8080/v2/stock/%s" % r.choice(WAREHOUSES), r.randint(800, 9000), 750]),
        Ev("Request completed: <*> <*> status=<*> duration=<*>ms bytes=<*>", "INFO", w=230, th="web", lg="c.e.orders.web.RequestLoggingFilter",
           gen=lambda r, c: [r.choice(METHODS), api_path(r), r.choice([200, 200, 200, 201, 204, 400, 401, 404, 409, 500]), r.randint(1, 3000), r.randint(0, 90000)]),
        Ev("Cache hit for product <*>", "DEBUG", w=150, th="web", lg="c.e.orders.cache.ProductCache", gen=lambda r, c: ["sku-%d" % r.randint(100, 9999)]),
        Ev("Cache miss for product <*>", "DEBUG", w=60, th="web", lg="c.e.orders.cache.ProductCache", gen=lambda r, c: ["sku-%d" % r.randint(100, 9999)]),
        Ev("Order <*> status changed from <*> to <*> by <*>", "INFO", w=80, th="web", lg="c.e.orders.web.OrderController",
           gen=lambda r, c: [oid(r), r.choice(STATUSES), r.choice(STATUSES), r.choice(USERS + ["system"])]),
        Ev("Rejected request to <*> from <*>: token expired at <*>", "WARN", w=22, th="web", lg="c.e.orders.security.JwtFilter",
           gen=lambda r, c: [api_path(r), pub_ip(r), "2024-03-11T%02d:%02d:%02dZ" % (r.randint(0, 9), r.randint(0, 59), r.randint(0, 59))]),
        Ev("Shipment label created for order <*>: carrier=<*> tracking=<*> weight=<*>kg", "INFO", w=70, th="task", lg="c.e.orders.service.ShippingClient",
           gen=lambda r, c: [oid(r), r.choice(["DHL", "UPS", "DPD", "GLS"]), hexid(r, 12).upper(), "%.2f" % r.uniform(0.1, 30)]),
        Ev("Consumed event <*> from topic '<*>' partition <*> offset <*>", "INFO", w=120, th="kafka", lg="c.e.orders.events.OrderEventListener",
           gen=lambda r, c: [uid(r), r.choice(TOPICS), r.randint(0, 11), r.randint(10000, 9999999)]),
        Ev("Published event <*> to topic '<*>' key=<*>", "INFO", w=115, th="web", lg="c.e.orders.events.OrderEventPublisher",
           gen=lambda r, c: [uid(r), r.choice(TOPICS), oid(r)]),
        Ev("Reconciliation run started on <*>", "INFO", w=6, th="sched", lg="c.e.orders.jobs.ReconciliationJob",
           gen=lambda r, c: [date_in_msg(r, dt.datetime(2024, 3, 11))]),
        Ev("Reconciliation run finished: checked=<*> fixed=<*> duration=<*>", "INFO", w=6, th="sched", lg="c.e.orders.jobs.ReconciliationJob",
           gen=lambda r, c: [r.randint(100, 90000), r.randint(0, 40), short_dur(r)]),
        Ev("Unhandled exception on <*> <*>", "ERROR", w=9, th="web", lg="c.e.orders.web.GlobalExceptionHandler",
           gen=lambda r, c: [r.choice(["POST", "PUT", "DELETE"]), api_path(r)], cont=unhandled_cont),
        Ev("Failed to process order <*>", "ERROR", n=4, th="kafka", lg="c.e.orders.service.OrderService",
           gen=lambda r, c: [oid(r)], cont=failed_cont),
        Ev("Label request failed for order <*>, will retry", "ERROR", n=3, th="task", lg="c.e.orders.service.ShippingClient",
           gen=lambda r, c: [oid(r)], cont=io_cont),
        Ev("SQL Error: <*>, SQLState: <*>", "WARN", n=5, th="kafka", lg="o.h.engine.jdbc.spi.SqlExceptionHelper",
           gen=lambda r, c: [0, "23505"]),
        Ev("HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta=<*>).", "WARN", n=3, th="hikari", lg="com.zaxxer.hikari.pool.HikariPool",
           gen=lambda r, c: ["%dm%ds%dms" % (r.randint(1, 3), r.randint(0, 59), r.randint(0, 999))]),
        Ev("[Consumer clientId=<*>, groupId=<*>] Setting offset for partition <*> to the committed offset FetchPosition{offset=<*>, offsetEpoch=Optional.empty, currentLeader=LeaderAndEpoch{leader=Optional[<*> (id: <*> rack: null)], epoch=<*>}}", "INFO", n=5, th="kafka", lg="o.a.k.c.c.internals.ConsumerCoordinator",
           gen=lambda r, c: ["consumer-orders-1", "orders", "%s-%d" % (r.choice(TOPICS), r.randint(0, 11)), r.randint(10000, 9999999), "kafka-%s.internal:9092" % r.choice(["a", "b", "c"]), r.randint(0, 2), r.randint(0, 40)]),
        Ev("[Consumer clientId=<*>, groupId=<*>] Revoke previously assigned partitions <*>", "INFO", n=2, th="kafka", lg="o.a.k.c.c.internals.ConsumerCoordinator",
           gen=lambda r, c: ["consumer-orders-1", "orders", ", ".join("%s-%d" % (r.choice(TOPICS), r.randint(0, 11)) for _ in range(r.randint(1, 4)))]),
        Ev("[Consumer clientId=<*>, groupId=<*>] Adding newly assigned partitions: <*>", "INFO", n=2, th="kafka", lg="o.a.k.c.c.internals.ConsumerCoordinator",
           gen=lambda r, c: ["consumer-orders-1", "orders", ", ".join("%s-%d" % (r.choice(TOPICS), r.randint(0, 11)) for _ in range(r.randint(1, 4)))]),
        Ev("CircuitBreaker '<*>' changed state from <*> to <*>", "WARN", n=4, th="web", lg="c.e.orders.config.ResilienceConfig",
           gen=lambda r, c: [r.choice(["inventory", "payments", "shipping"]), r.choice(["CLOSED", "HALF_OPEN"]), r.choice(["OPEN", "CLOSED"])]),
        Ev("Starting OrderApplication v2.14.3 using Java 21.0.2 with PID <*> (<*> started by <*> in <*>)", "INFO", n=1, start=True, th="main", lg="c.e.orders.OrderApplication",
           gen=lambda r, c: [c["pid"], "/app/orders.jar", "app", "/app"]),
        Ev("Tomcat started on port <*> (http) with context path '<*>'", "INFO", n=1, start=True, th="main", lg="o.s.b.w.embedded.tomcat.TomcatWebServer",
           gen=lambda r, c: [8080, "/"]),
        Ev("HikariPool-1 - Start completed.", "INFO", n=1, start=True, th="main", lg="com.zaxxer.hikari.HikariDataSource"),
        Ev("Started OrderApplication in <*> seconds (process running for <*>)", "INFO", n=1, start=True, th="main", lg="c.e.orders.OrderApplication",
           gen=lambda r, c: ["%.3f" % r.uniform(4, 12), "%.3f" % r.uniform(12, 14)]),
    ]
    return number(ev)


def gen_spring():
    r = random.Random(SEED + 3)
    events = spring_events()
    pid = 4121
    threads = {"web": lambda r: "http-nio-8080-exec-%d" % r.randint(1, 10),
               "task": lambda r: "task-%d" % r.randint(1, 8),
               "kafka": lambda r: "org.springframework.kafka.KafkaListenerEndpointContainer#0-0-C-1",
               "sched": lambda r: "scheduling-1",
               "hikari": lambda r: "HikariPool-1 housekeeper",
               "main": lambda r: "main"}

    def ctx(r, ev):
        return {"pid": pid, "thread": threads[ev.meta["th"]](r)}

    recs = plan(r, events, ctx)
    tz = dt.timezone(dt.timedelta(hours=1))

    def render(ts, rec):
        t = rec.ctx["thread"][-15:]
        lg = rec.ev.meta["lg"][-40:]
        head = "%s.%03d+01:00 %5s %d --- [%15s] %-40s : " % (ts.strftime("%Y-%m-%dT%H:%M:%S"), ts.microsecond // 1000, rec.ev.lvl, pid, t, lg)
        return [head + rec.msg] + list(rec.cont)

    rows = render_all(r, recs, dt.datetime(2024, 3, 11, 9, 14, 2, 331000), 1.3, render)
    return write_system("SpringBoot", rows, events), events


# ================================================================ Go service (slog / logfmt)
def gosvc_events():
    L = logfmt_val

    def kv(*pairs):
        return " ".join("%s=<*>" % k for k in pairs)

    ev = [
        Ev('msg="request handled" ' + kv("method", "path", "status", "duration", "bytes", "remote"), "INFO", w=480,
           gen=lambda r, c: [r.choice(METHODS), L(api_path(r)), r.choice([200, 200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 429, 500, 502]), go_dur(r), r.randint(0, 200000), "%s:%d" % (pub_ip(r), r.randint(1024, 65535))]),
        Ev('msg="token issued" ' + kv("user", "client_id", "scopes", "expires_in"), "INFO", w=150,
           gen=lambda r, c: [r.choice(USERS), r.choice(CLIENT_IDS), L(" ".join(pick_list(r, ["orders:read", "orders:write", "profile", "email", "admin", "billing:read"], 1, 4))), r.choice(["15m0s", "1h0m0s", "24h0m0s"])]),
        Ev('msg="token refreshed" ' + kv("user", "client_id"), "INFO", w=110,
           gen=lambda r, c: [r.choice(USERS), r.choice(CLIENT_IDS)]),
        Ev('msg="token revoked" ' + kv("user", "reason"), "INFO", w=9,
           gen=lambda r, c: [r.choice(USERS), L(r.choice(["user logout", "password changed", "admin action", "compromised"]))]),
        Ev('msg="login failed" ' + kv("user", "remote", "reason", "attempt"), "WARN", w=45,
           gen=lambda r, c: [r.choice(USERS), pub_ip(r), L(r.choice(["invalid password", "unknown user", "account disabled"])), r.randint(1, 5)]),
        Ev('msg="user locked out" ' + kv("user", "until"), "WARN", n=3,
           gen=lambda r, c: [r.choice(USERS), "2024-03-%02dT%02d:%02d:00Z" % (r.randint(11, 12), r.randint(0, 23), r.randint(0, 59))]),
        Ev('msg="cache lookup" ' + kv("key", "hit"), "DEBUG", w=160,
           gen=lambda r, c: [r.choice(["session:", "user:", "jwks:", "ratelimit:"]) + hexid(r, 16), r.choice(["true", "true", "false"])]),
        Ev('msg="upstream request failed" ' + kv("upstream", "err", "retry"), "WARN", w=30,
           gen=lambda r, c: (lambda h: [h, L(r.choice(["dial tcp %s: connect: connection refused" % h, "context deadline exceeded", "read tcp %s:%d->%s: read: connection reset by peer" % (priv_ip(r), r.randint(30000, 60000), h)])), r.randint(0, 3)])("%s:%d" % (r.choice([priv_ip(r), r.choice(HOSTS)]), r.choice([5432, 6379, 8080, 443])))),
        Ev('msg="circuit breaker state change" ' + kv("name", "from", "to"), "WARN", n=4,
           gen=lambda r, c: [r.choice(["userdb", "redis", "ldap"]), r.choice(["closed", "half-open"]), r.choice(["open", "closed"])]),
        Ev('msg="rate limit exceeded" ' + kv("client_id", "limit", "window", "remote"), "WARN", w=50,
           gen=lambda r, c: [r.choice(CLIENT_IDS), r.choice([100, 600, 1000]), r.choice(["1m0s", "1s", "10s"]), pub_ip(r)]),
        Ev('msg="session created" ' + kv("session", "user", "ttl"), "INFO", w=120,
           gen=lambda r, c: [uid(r), r.choice(USERS), r.choice(["30m0s", "8h0m0s", "720h0m0s"])]),
        Ev('msg="session destroyed" ' + kv("session", "user"), "INFO", w=55,
           gen=lambda r, c: [uid(r), r.choice(USERS)]),
        Ev('msg="config reloaded" ' + kv("path", "changed"), "INFO", n=3,
           gen=lambda r, c: ["/etc/gatekeeper/config.yaml", "[" + ",".join(pick_list(r, ["ratelimit", "cors", "clients", "jwks_url", "log_level"], 1, 3)) + "]"]),
        Ev('msg="db pool stats" ' + kv("open", "in_use", "idle", "wait_count", "wait_duration"), "DEBUG", w=40,
           gen=lambda r, c: (lambda o, u: [o, u, o - u, r.randint(0, 900), go_dur(r)])(r.randint(5, 50), r.randint(0, 5))),
        Ev('msg="slow query" ' + kv("query", "duration", "rows"), "WARN", w=14,
           gen=lambda r, c: [L(r.choice(["SELECT * FROM users WHERE email = $1", "UPDATE sessions SET last_seen = now() WHERE id = $1", "SELECT id FROM clients WHERE client_id = $1 AND secret_hash = $2"])), "%.3fs" % r.uniform(0.5, 9), r.randint(0, 5000)]),
        Ev('msg="panic recovered" ' + kv("err", "path", "stack"), "ERROR", n=3,
           gen=lambda r, c: [L(r.choice(["runtime error: invalid memory address or nil pointer dereference", "runtime error: index out of range [3] with length 3"])), api_path(r), L("goroutine %d [running]:\\nmain.(*Server).handleToken(...)\\n\\t/src/server.go:%d" % (r.randint(10, 9999), r.randint(50, 400)))]),
        Ev('msg="server listening" ' + kv("addr", "tls"), "INFO", n=1, start=True, gen=lambda r, c: [":8443", "true"]),
        Ev('msg="server listening" ' + kv("addr", "tls", "purpose"), "INFO", n=1, start=True, gen=lambda r, c: [":9090", "false", "metrics"]),
        Ev('msg="jwks refreshed" ' + kv("url", "keys"), "INFO", w=6,
           gen=lambda r, c: ["https://idp.example.com/.well-known/jwks.json", r.randint(1, 4)]),
        Ev('msg="webhook delivered" ' + kv("url", "event", "status", "duration", "attempt"), "INFO", w=60,
           gen=lambda r, c: ["https://%s/hooks/%s" % (r.choice(["partner.example.net", "hooks.acme.io", "crm.internal"]), hexid(r, 8)), r.choice(["user.created", "user.deleted", "login.succeeded"]), r.choice([200, 202, 204]), go_dur(r), r.randint(1, 3)]),
        Ev('msg="webhook delivery failed" ' + kv("url", "event", "err", "attempt", "next_retry"), "ERROR", w=12,
           gen=lambda r, c: ["https://%s/hooks/%s" % (r.choice(["partner.example.net", "hooks.acme.io"]), hexid(r, 8)), r.choice(["user.created", "user.deleted"]), L(r.choice(["unexpected status 503", "Post \"https://hooks.acme.io/x\": EOF", "context deadline exceeded"])), r.randint(1, 5), r.choice(["30s", "1m0s", "2m0s", "4m0s"])]),
        Ev('msg="mfa challenge sent" ' + kv("user", "channel"), "INFO", w=30,
           gen=lambda r, c: [r.choice(USERS), r.choice(["sms", "email", "totp", "webauthn"])]),
        Ev('msg="mfa challenge verified" ' + kv("user"), "INFO", w=25, gen=lambda r, c: [r.choice(USERS)]),
        Ev('msg="mfa challenge failed" ' + kv("user"), "WARN", n=5, gen=lambda r, c: [r.choice(USERS)]),
        Ev('msg="geoip lookup" ' + kv("ip", "country", "city"), "DEBUG", w=40,
           gen=lambda r, c: [pub_ip(r), r.choice(COUNTRIES), L(r.choice(CITIES))]),
        Ev('msg=audit ' + kv("actor", "action", "resource", "allowed"), "INFO", w=50,
           gen=lambda r, c: [r.choice(USERS), r.choice(["client.update", "user.disable", "key.rotate", "role.grant"]), L("/clients/%s" % r.choice(CLIENT_IDS)), r.choice(["true", "false"])]),
        Ev('msg="certificate expires soon" ' + kv("domain", "not_after", "days_left"), "WARN", n=2,
           gen=lambda r, c: [r.choice(["auth.example.com", "idp.example.com"]), "2024-04-%02dT00:00:00Z" % r.randint(1, 9), r.randint(20, 29)]),
        Ev('msg="shutting down" ' + kv("signal", "timeout"), "INFO", n=1, gen=lambda r, c: ["terminated", "30s"]),
    ]
    return number(ev)


def gen_gosvc():
    r = random.Random(SEED + 4)
    events = gosvc_events()
    recs = plan(r, events, None)
    # "shutting down" should be the last record
    sd = [x for x in recs if x.ev.tpl.startswith('msg="shutting down"')]
    recs = [x for x in recs if x not in sd] + sd

    def render(ts, rec):
        return ["time=%s.%03dZ level=%s %s" % (ts.strftime("%Y-%m-%dT%H:%M:%S"), ts.microsecond // 1000, rec.ev.lvl, rec.msg)]

    rows = render_all(r, recs, dt.datetime(2024, 3, 12, 6, 0, 0, 12000), 0.6, render)
    return write_system("GoLogfmt", rows, events), events


# ================================================================ nginx (docker stdout+stderr mix)
TS = "\x00TS\x00"


def nginx_events():
    def cl(r, c):
        return pub_ip(r)

    def req(r):
        return "%s %s HTTP/1.1" % (r.choice(METHODS), api_path(r))

    def up(r):
        return "http://%s:%d%s" % (priv_ip(r), r.choice([8080, 3000, 9000]), api_path(r))

    def ref(r):
        return r.choice(["-", "https://shop.example.com/", "https://shop.example.com/cart", "https://www.google.com/", "https://shop.example.com/p/sku-%d" % r.randint(100, 9999)])

    def access_gen(r, c):
        return [cl(r, c), r.choice(["-"] * 5 + USERS), TS, r.choice(METHODS), api_path(r),
                r.choice([200] * 12 + [201, 204, 301, 304, 304, 400, 401, 403, 404, 404, 499, 500, 502, 503]),
                r.randint(0, 250000), ref(r), r.choice(UAS)]

    TAIL = ", client: <*>, server: <*>, request: \"<*>\", upstream: \"<*>\", host: \"<*>\""

    def tail_gen(r):
        return [pub_ip(r), "shop.example.com", req(r), up(r), r.choice(["shop.example.com", "api.example.com"])]

    ev = [
        Ev('<*> - <*> [<*>] "<*> <*> HTTP/1.1" <*> <*> "<*>" "<*>"', "acc", w=900, kind="acc", gen=access_gen),
        Ev('<*> - <*> [<*>] "<*> <*> HTTP/2.0" <*> <*> "<*>" "<*>"', "acc", w=260, kind="acc", gen=access_gen),
        Ev('<*> - - [<*>] "GET /healthz HTTP/1.1" 200 <*> "-" "kube-probe/1.28"', "acc", w=300, kind="acc",
           gen=lambda r, c: [priv_ip(r), TS, 2]),
        Ev('<*> - - [<*>] "<*>" 400 <*> "-" "-"', "acc", w=6, kind="acc",
           gen=lambda r, c: [pub_ip(r), TS, r.choice(["\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03", "SSH-2.0-Go", "\\x00\\x00\\x00\\x00", "GET /../../etc/passwd"]), r.choice([157, 150, 0])]),
        Ev("*<*> connect() failed (111: Connection refused) while connecting to upstream" + TAIL, "error", w=40, kind="err",
           gen=lambda r, c: [c["conn"]] + tail_gen(r)),
        Ev("*<*> upstream timed out (110: Connection timed out) while reading response header from upstream" + TAIL, "error", w=30, kind="err",
           gen=lambda r, c: [c["conn"]] + tail_gen(r)),
        Ev("*<*> upstream prematurely closed connection while reading response header from upstream" + TAIL, "error", w=16, kind="err",
           gen=lambda r, c: [c["conn"]] + tail_gen(r)),
        Ev("*<*> no live upstreams while connecting to upstream" + TAIL, "error", n=3, kind="err",
           gen=lambda r, c: [c["conn"]] + tail_gen(r)[:3] + ["http://api_backend%s" % api_path(r)] + ["shop.example.com"]),
        Ev("*<*> an upstream response is buffered to a temporary file <*> while reading upstream" + TAIL, "warn", w=22, kind="err",
           gen=lambda r, c: [c["conn"], "/var/cache/nginx/proxy_temp/%d/%02d/%010d" % (r.randint(0, 9), r.randint(0, 99), r.randint(1, 99999))] + tail_gen(r)),
        Ev("*<*> a client request body is buffered to a temporary file <*>, client: <*>, server: <*>, request: \"<*>\", host: \"<*>\"", "warn", w=14, kind="err",
           gen=lambda r, c: [c["conn"], "/var/cache/nginx/client_temp/%010d" % r.randint(1, 99999), pub_ip(r), "shop.example.com", "POST /api/v1/uploads HTTP/1.1", "shop.example.com"]),
        Ev("*<*> open() \"<*>\" failed (2: No such file or directory), client: <*>, server: <*>, request: \"<*>\", host: \"<*>\"", "error", w=24, kind="err",
           gen=lambda r, c: (lambda p: [c["conn"], "/usr/share/nginx/html" + p, pub_ip(r), "shop.example.com", "GET %s HTTP/1.1" % p, "shop.example.com"])(r.choice(["/favicon.ico", "/robots.txt", "/wp-login.php", "/.env", "/apple-touch-icon.png", "/static/img/banner-%d.webp" % r.randint(1, 40)])),
           opt=", referrer: \"<*>\"", optp=0.4, optgen=lambda r, c: ["https://shop.example.com/"]),
        Ev("*<*> client intended to send too large body: <*> bytes, client: <*>, server: <*>, request: \"<*>\", host: \"<*>\"", "error", n=4, kind="err",
           gen=lambda r, c: [c["conn"], r.randint(10485761, 90000000), pub_ip(r), "shop.example.com", "POST /api/v1/uploads HTTP/1.1", "shop.example.com"]),
        Ev("*<*> limiting requests, excess: <*> by zone \"<*>\", client: <*>, server: <*>, request: \"<*>\", host: \"<*>\"", "error", w=20, kind="err",
           gen=lambda r, c: [c["conn"], "%.3f" % r.uniform(5, 30), r.choice(["api", "login"]), pub_ip(r), "shop.example.com", req(r), "shop.example.com"]),
        Ev("*<*> delaying request, excess: <*>, by zone \"<*>\", client: <*>, server: <*>, request: \"<*>\", host: \"<*>\"", "warn", w=10, kind="err",
           gen=lambda r, c: [c["conn"], "%.3f" % r.uniform(0, 5), r.choice(["api", "login"]), pub_ip(r), "shop.example.com", req(r), "shop.example.com"]),
        Ev("*<*> SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: <*>, server: <*>", "crit", n=3, kind="err",
           gen=lambda r, c: [c["conn"], pub_ip(r), "0.0.0.0:443"]),
        Ev("signal <*> (SIGHUP) received from <*>, reconfiguring", "notice", n=1, kind="master", gen=lambda r, c: [1, r.randint(40, 90)]),
        Ev("signal <*> (SIGCHLD) received from <*>", "notice", n=2, kind="master", gen=lambda r, c: [17, r.randint(20, 40)]),
        Ev("worker process <*> exited with code <*>", "notice", n=2, kind="master", gen=lambda r, c: [r.randint(20, 40), 0]),
        Ev("gracefully shutting down", "notice", n=2, kind="worker"),
        Ev("/docker-entrypoint.sh: <*> is not empty, will attempt to perform configuration", "ent", n=1, start=True, kind="ent", gen=lambda r, c: ["/docker-entrypoint.d/"]),
        Ev("/docker-entrypoint.sh: Launching <*>", "ent", n=3, start=True, kind="ent", seq=True,
           gen=lambda r, c: [c["seq"](["/docker-entrypoint.d/10-listen-on-ipv6-by-default.sh", "/docker-entrypoint.d/20-envsubst-on-templates.sh", "/docker-entrypoint.d/30-tune-worker-processes.sh"])]),
        Ev("/docker-entrypoint.sh: Configuration complete; ready for start up", "ent", n=1, start=True, kind="ent"),
        Ev("using the \"<*>\" event method", "notice", n=1, start=True, kind="master", gen=lambda r, c: ["epoll"]),
        Ev("nginx/<*>", "notice", n=1, start=True, kind="master", gen=lambda r, c: ["1.25.4"]),
        Ev("built by gcc <*> (Debian 12.2.0-14)", "notice", n=1, start=True, kind="master", gen=lambda r, c: ["12.2.0"]),
        Ev("OS: Linux <*>", "notice", n=1, start=True, kind="master", gen=lambda r, c: ["5.15.0-97-generic"]),
        Ev("getrlimit(RLIMIT_NOFILE): <*>:<*>", "notice", n=1, start=True, kind="master", gen=lambda r, c: [1048576, 1048576]),
        Ev("start worker processes", "notice", n=1, start=True, kind="master"),
        Ev("start worker process <*>", "notice", n=4, start=True, kind="master", seq=True, gen=lambda r, c: [c["seq"]([29, 30, 31, 32])]),
    ]
    return number(ev)


def gen_nginx():
    r = random.Random(SEED + 5)
    events = nginx_events()
    state = {"conn": 1000, "seq": {}}

    def ctx(r, ev):
        state["conn"] += r.randint(1, 9)
        key = ev.tpl

        def seq(lst):
            i = state["seq"].get(key, 0)
            state["seq"][key] = i + 1
            return lst[i]
        return {"conn": state["conn"], "seq": seq, "wpid": r.choice([29, 30, 31, 32])}

    recs = plan(r, events, ctx)
    # a reload sequence in the middle: SIGHUP, graceful shutdowns, SIGCHLD, exited
    kinds = ["(SIGHUP)", "gracefully", "(SIGCHLD)", "exited"]
    special = {k: [x for x in recs if k in x.ev.tpl] for k in kinds}
    flat = [x for x in recs if not any(x in v for v in special.values())]
    cut = len(flat) * 3 // 5
    seq = special["(SIGHUP)"] + [special["gracefully"][0], special["(SIGCHLD)"][0], special["exited"][0],
                                  special["gracefully"][1], special["(SIGCHLD)"][1], special["exited"][1]]
    recs = flat[:cut] + seq + flat[cut:]

    def render(ts, rec):
        k = rec.ev.meta["kind"]
        if k == "acc":
            return [rec.msg.replace(TS, ts.strftime("%d/%b/%Y:%H:%M:%S +0000"))]
        if k == "ent":
            return [rec.msg]
        pid = 1 if k == "master" else rec.ctx["wpid"]
        return ["%s [%s] %d#%d: %s" % (ts.strftime("%Y/%m/%d %H:%M:%S"), rec.ev.lvl, pid, pid, rec.msg)]

    rows = render_all(r, recs, dt.datetime(2024, 3, 9, 17, 42, 11), 0.7, render)
    return write_system("Nginx", rows, events), events


# ================================================================ AWS Lambda (Python runtime)
LAMBDA_ERRS = [
    "An error occurred (ConditionalCheckFailedException) when calling the PutItem operation: The conditional request failed",
    "An error occurred (ProvisionedThroughputExceededException) when calling the PutItem operation (reached max retries: 9): The level of configured provisioned throughput for the table was exceeded.",
    "An error occurred (ValidationException) when calling the PutItem operation: One or more parameter values were invalid: Missing the key pk in the item",
]


def lambda_events():
    def tb_cont(r, c, vals):
        out = ["Traceback (most recent call last):",
               '  File "/var/task/handler.py", line %d, in lambda_handler' % r.randint(30, 60),
               "    results.append(process_record(record))"]
        if r.random() < 0.6:
            out += ['  File "/var/task/app/orders.py", line %d, in process_record' % r.randint(60, 140),
                    '    table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")']
        out += ['  File "/var/lang/lib/python3.12/site-packages/boto3/resources/factory.py", line 581, in do_action',
                "    response = action(self, *args, **kwargs)",
                '  File "/var/lang/lib/python3.12/site-packages/botocore/client.py", line 1021, in _make_api_call',
                "    raise error_class(parsed_response, operation_name)",
                "botocore.errorfactory.%s: %s" % (re.search(r"\((\w+)\)", vals[1]).group(1), vals[1])]
        return out

    def key_cont(r, c, vals):
        return ["Traceback (most recent call last):",
                '  File "/var/task/handler.py", line %d, in lambda_handler' % r.randint(30, 60),
                '    customer = body["%s"]' % vals[1].strip("'"),
                "KeyError: %s" % vals[1]]

    ev = [
        Ev("START RequestId: <*> Version: $LATEST", kind="start", w=0),
        Ev("END RequestId: <*>", kind="end", w=0),
        Ev("REPORT RequestId: <*>\tDuration: <*> ms\tBilled Duration: <*> ms\tMemory Size: <*> MB\tMax Memory Used: <*> MB", kind="report", w=0,
           opt="\tInit Duration: <*> ms"),
        Ev("INIT_START Runtime Version: <*>\tRuntime Version ARN: <*>", kind="init", w=0),
        Ev("Task timed out after <*> seconds", kind="timeout", w=0),
        Ev("Found credentials in environment variables.", "INFO", kind="initlog", w=0),
        Ev("Loaded config from SSM parameter '<*>' (<*> keys)", "INFO", kind="initlog", w=0),
        Ev("Received event with <*> records from <*>", "INFO", kind="app", w=300,
           gen=lambda r, c: [r.choice([1, 1, 1, 2, 5, 10]), "arn:aws:sqs:%s:123456789012:%s" % (r.choice(REGIONS), r.choice(["orders-queue", "orders-dlq", "billing-events"]))]),
        Ev("Processing message <*> for order <*>", "INFO", kind="app", w=260, gen=lambda r, c: [uid(r), r.randint(100000, 999999)]),
        Ev("Fetched object s3://<*>/<*> (<*>)", "INFO", kind="app", w=120,
           gen=lambda r, c: [r.choice(["orders-invoices-prod", "acme-exports", "media-eu-west-1"]), "%d/%02d/%s.json" % (2024, r.randint(1, 3), uid(r)), size_h(r)]),
        Ev("Wrote item to table '<*>' pk=<*> in <*>ms", "INFO", kind="app", w=180,
           gen=lambda r, c: [r.choice(["orders", "order-events", "idempotency"]), "ORDER#%d" % r.randint(100000, 999999), r.randint(3, 250)]),
        Ev("Published <*> messages to <*>", "INFO", kind="app", w=70,
           gen=lambda r, c: [r.randint(1, 25), "arn:aws:sns:%s:123456789012:%s" % (r.choice(REGIONS), r.choice(["order-notifications", "fulfilment"]))]),
        Ev("Calling <*> <*>", "INFO", kind="app", w=60,
           gen=lambda r, c: [r.choice(["GET", "POST", "PUT"]), "https://%s/v2/%s/%d" % (r.choice(["api.partner-logistics.com", "payments.internal", "erp.acme.io"]), r.choice(["orders", "labels", "invoices"]), r.randint(1000, 99999))]),
        Ev("Partner API responded <*> in <*>ms", "INFO", kind="app", w=55, gen=lambda r, c: [r.choice([200, 200, 201, 202, 409, 429, 500]), r.randint(40, 9000)]),
        Ev("Skipping duplicate message <*> (already processed on <*>)", "WARNING", kind="app", w=15,
           gen=lambda r, c: [uid(r), date_in_msg(r, dt.datetime(2024, 3, 13))]),
        Ev("Partner API throttled us, backing off <*>", "WARNING", kind="app", w=8, gen=lambda r, c: [r.choice(["0.5s", "1s", "2s", "4s"])],
           opt=" (retry <*>)", optp=0.6, optgen=lambda r, c: [r.randint(1, 4)]),
        Ev("Failed to process record <*>: <*>", "ERROR", kind="app", w=5,
           gen=lambda r, c: [uid(r), r.choice(LAMBDA_ERRS)], cont=tb_cont),
        Ev("Invalid payload in message <*>: missing field <*>", "ERROR", kind="app", n=3,
           gen=lambda r, c: [uid(r), r.choice(["'customer_id'", "'items'", "'currency'"])], cont=key_cont),
        Ev("Batch item failures: <*>", "WARNING", kind="app", n=4,
           gen=lambda r, c: ["[" + ", ".join("{'itemIdentifier': '%s'}" % uid(r) for _ in range(r.randint(1, 3))) + "]"]),
        Ev("Event payload: <*>", "DEBUG", kind="app", n=2,
           gen=lambda r, c: ['{"orderId": %d, "currency": "EUR", "region": "%s", "express": %s}' % (r.randint(100000, 999999), r.choice(REGIONS), r.choice(["true", "false"]))]),
    ]
    return number(ev)


def gen_lambda():
    r = random.Random(SEED + 6)
    events = lambda_events()
    by = {}
    for e in events:
        by.setdefault(e.meta["kind"], []).append(e)
    app = by["app"]
    # pool of application records: weighted picks, rare ones placed in the first part
    weighted = [e for e in app if e.w]
    pool = [make_record(r, r.choices(weighted, [e.w for e in weighted])[0], None) for _ in range(1500)]
    for e in app:
        for _ in range(e.n):
            pool.insert(r.randrange(400), make_record(r, e, None))
    rid = lambda: uid(r)
    rows = []
    ts = dt.datetime(2024, 3, 13, 14, 2, 55, 118000)
    n_inv = 0
    cold_at = {0, 61, 140, 233}
    timeout_at = {37, 118, 190}
    mem = 512

    def tick(mean=0.05):
        nonlocal ts
        ts = ts + dt.timedelta(microseconds=int(r.expovariate(1 / mean) * 1e6) + 1000)
        return ts

    def iso(t):
        return "%s.%03dZ" % (t.strftime("%Y-%m-%dT%H:%M:%S"), t.microsecond // 1000)

    def plain(ev, vals, opt=None):
        msg = fill(ev.tpl, vals) + (fill(ev.opt, opt) if opt is not None else "")
        rec = Record(ev, msg, [], {})
        return msg, rec

    while len(rows) < N_LINES:
        tick(r.choice([2, 5, 20, 60]))
        cold = n_inv in cold_at
        req = rid()
        t0 = ts
        if cold:
            e = by["init"][0]
            m, rec = plain(e, ["python:3.12.v%d" % 18, "arn:aws:lambda:eu-west-1::runtime:%s" % hexid(r, 64)])
            rows.append((m, e, rec))
            tick()
            e = by["initlog"][0]
            m, rec = plain(e, [])
            rows.append(("[INFO]\t%s\t\t%s" % (iso(ts), m), e, rec))
            e = by["initlog"][1]
            m, rec = plain(e, ["/orders/prod/config", r.randint(6, 14)])
            tick()
            rows.append(("[INFO]\t%s\t\t%s" % (iso(ts), m), e, rec))
            tick(0.3)
        e = by["start"][0]
        m, rec = plain(e, [req])
        rows.append((m, e, rec))
        k = r.choice([1, 1, 2, 2, 2, 3, 3, 4])
        for _ in range(k):
            rec = pool.pop(0)
            tick()
            rows.append(("[%s]\t%s\t%s\t%s" % (rec.ev.lvl, iso(ts), req, rec.msg), rec.ev, rec))
            for cl in rec.cont:
                rows.append((cl, rec.ev, rec))
        if n_inv in timeout_at:
            e = by["timeout"][0]
            m, rec = plain(e, ["30.03"])
            ts = t0 + dt.timedelta(seconds=30.03)
            rows.append(("%s %s %s" % (iso(ts), req, m), e, rec))
            dur = 30030.0
        else:
            tick()
            dur = (ts - t0).total_seconds() * 1000 + r.uniform(1, 40)
        e = by["end"][0]
        m, rec = plain(e, [req])
        rows.append((m, e, rec))
        e = by["report"][0]
        vals = [req, "%.2f" % dur, int(dur) + 1, mem, r.randint(72, 140)]
        m, rec = plain(e, vals, ["%.2f" % r.uniform(380, 900)] if cold else None)
        rows.append((m, e, rec))
        n_inv += 1
    rows = rows[:N_LINES]
    return write_system("AWSLambda", rows, events), events


# ================================================================ main
def main():
    summary = []
    for name, fn in [("PostgreSQL", gen_postgres), ("Kubelet", gen_kubelet), ("SpringBoot", gen_spring),
                     ("GoLogfmt", gen_gosvc), ("Nginx", gen_nginx), ("AWSLambda", gen_lambda)]:
        counts, events = fn()
        cs = sorted(counts.values(), reverse=True)
        summary.append((name, len(events), sum(cs), cs[:3], cs[-3:]))
    for s in summary:
        print("%-11s events=%d lines=%d top=%s rarest=%s" % s)


if __name__ == "__main__":
    main()
