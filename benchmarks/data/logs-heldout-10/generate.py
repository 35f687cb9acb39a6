#!/usr/bin/env python3
"""Generate the logs-heldout-10 corpus: six synthetic, labelled 2,000-line logs.

Standard library only, deterministic (a fixed seed per system).

    python3 generate.py              # writes every system
    python3 generate.py Keepalived   # writes one system

Each system S gets S/S_2k.log (raw lines, headers included) and
S/S_2k.log_structured.csv (LineId,EventId,EventTemplate, one row per raw line;
continuation lines carry the EventId and template of their record).  After
writing, the files are read back and checked; any failed check raises
RuntimeError.

The framework (records, timeline merge, write-out and checks) is copied from
the ninth corpus's generate.py.  One hook is added: each system may run its
own checks on the lines it wrote (`extra_check`), used here for JSON validity,
CockroachDB's repeated continuation headers and ClickHouse's frame numbering.
Each system describes independent activities (a query, a connection, a
deployment, an outage), each a chunk of records placed at an absolute time on
the timeline.  All records are merged by time, so activities interleave the
way they do in a real log, and the merged stream is cut at 2,000 lines.
"""

import csv
import ipaddress
import json
import os
import random
import re
import sys
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
N_LINES = 2000
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']


# ----------------------------------------------------------------------------
# framework
# ----------------------------------------------------------------------------

class Lazy:
    """A value computed once, when its first record is rendered (in final order)."""

    def __init__(self, fn):
        self.fn = fn
        self.done = False
        self.v = None

    def get(self, ctx):
        if not self.done:
            self.v = self.fn(ctx)
            self.done = True
        return self.v


class AtTs:
    """A value computed from the timestamp of the record being rendered."""

    def __init__(self, fn):
        self.fn = fn

    def get(self, ctx):
        return self.fn(ctx.ts)


def resolve(v, ctx):
    while isinstance(v, (Lazy, AtTs)):
        v = v.get(ctx)
    return v


class Rec:
    """One log record: an event, the values for its <*>s, continuation lines."""

    __slots__ = ('eid', 'vals', 'conts', 'h', 'dt')

    def __init__(self, eid, vals=(), conts=(), h=None, dt=None):
        self.eid = eid
        self.vals = list(vals)
        self.conts = list(conts)
        self.h = h or {}
        self.dt = dt  # seconds after the previous record of the same chunk


class Ctx:
    def __init__(self, rng):
        self.ts = None
        self.st = {}
        self.rng = rng

    def counter(self, key, start, lo=1, hi=1):
        v = self.st.get(key, start) + self.rng.randint(lo, hi)
        self.st[key] = v
        return v


def fill(template, vals, ctx):
    parts = template.split('<*>')
    if len(parts) - 1 != len(vals):
        raise RuntimeError('template %r wants %d values, got %d' % (template, len(parts) - 1, len(vals)))
    out = [parts[0]]
    for v, p in zip(vals, parts[1:]):
        v = str(resolve(v, ctx))
        if not v or '\n' in v or '\r' in v:
            raise RuntimeError('bad value %r for %r' % (v, template))
        out.append(v)
        out.append(p)
    return ''.join(out)


def poisson(rng, t0, t1, mean_gap):
    """Arrival times of a Poisson process between t0 and t1."""
    out = []
    t = t0 + rng.expovariate(1.0 / mean_gap)
    while t < t1:
        out.append(t)
        t += rng.expovariate(1.0 / mean_gap)
    return out


def periodic(rng, t0, t1, period, phase=0.0, jitter=0.0):
    out = []
    t = t0 - (t0 % period) + phase
    while t < t1:
        if t >= t0:
            out.append(t + rng.uniform(0, jitter))
        t += period
    return out


IP_RE = re.compile(r'(?<![\w.])(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?![\w.]*\d)')
DOMAIN_RE = re.compile(r'(?<![\w.-])((?:[a-z0-9-]+\.)+(?:com|org|net|io|dev|info|biz|co|app|cloud))(?![\w-])',
                       re.I)


def allowed_ip(s):
    try:
        ip = ipaddress.ip_address(s)
    except ValueError:
        return True   # not an address (a version string, for instance)
    return (ip in ipaddress.ip_network('10.0.0.0/8') or ip in ipaddress.ip_network('172.16.0.0/12')
            or ip in ipaddress.ip_network('192.168.0.0/16') or ip in ipaddress.ip_network('127.0.0.0/8')
            or str(ip) == '0.0.0.0')


def allowed_domain(d):
    d = d.lower()
    return any(d == s or d.endswith('.' + s) for s in ('example.com', 'example.org', 'example.net'))


class System:
    name = None
    seed = None
    header_re = None
    start = None
    not_domains = ()   # fixed names of the program that look like domains but are not hosts
    not_ips = ()       # fixed version numbers of the program that look like dotted-quad addresses

    def __init__(self):
        self.rng = random.Random(self.seed)
        self.events = []      # (eid, template, meta)
        self.by_id = {}
        self.define()

    def ev(self, template, **meta):
        eid = 'E%d' % (len(self.events) + 1)
        for _, t, _ in self.events:
            if t == template:
                raise RuntimeError('duplicate template %r' % template)
        self.events.append((eid, template, meta))
        self.by_id[eid] = (template, meta)
        return eid

    # to override
    def define(self):
        raise NotImplementedError

    def plan(self):
        """-> start_chunk, [(t0, chunk)], end_chunk, filler_fn(t) -> (t0, one-line chunk)

        Times of the timed chunks count from the end of the start chunk."""
        raise NotImplementedError

    def header(self, meta, ts, h):
        raise NotImplementedError

    def ts_key(self, m):
        """A sortable key for the timestamp in a header match."""
        raise NotImplementedError

    def in_chunk_gap(self):
        return self.rng.uniform(0.0005, 0.02)

    def init_state(self, ctx):
        pass

    def extra_check(self, lines, rows, fail):
        """System-specific checks on the written lines; call fail(msg) on a problem."""
        pass

    # assembly
    def _place(self, t0, ch, items, prio):
        t = t0
        for i, r in enumerate(ch):
            if i:
                t += r.dt if r.dt is not None else self.in_chunk_gap()
            items.append((t, prio, len(items), r))
        return t

    def build(self):
        start, timed, end, filler = self.plan()
        items = []
        t_start = self._place(0.0, start, items, 0) if start else 0.0
        base = t_start + 0.5
        for t0, ch in timed:
            self._place(base + t0, ch, items, 1)
        items.sort(key=lambda x: (x[0], x[1], x[2]))
        end_lines = sum(1 + len(r.conts) for r in end)
        target = N_LINES - end_lines
        chosen = []
        total = 0
        for it in items:
            n = 1 + len(it[3].conts)
            if total + n <= target:
                chosen.append(it)
                total += n
            if total == target:
                break
        while total < target:   # only if the timeline ran out
            t_last = chosen[-1][0] if chosen else base
            t0, ch = filler(t_last + 1.0)
            chosen.append((t0, 1, len(items), ch[0]))
            total += 1
        self.cut_fraction = (chosen[-1][0] - base) / max(t0 for t0, _ in timed)
        t_end = chosen[-1][0] + self.rng.uniform(2, 20)
        tail = []
        self._place(t_end, end, tail, 2)
        chosen += tail

        ctx = Ctx(self.rng)
        self.init_state(ctx)
        lines, labels, is_cont = [], [], []
        for t, _, _, r in chosen:
            ts = self.start + timedelta(seconds=t)
            ctx.ts = ts
            template, meta = self.by_id[r.eid]
            msg = fill(template, r.vals, ctx)
            h = {k: resolve(v, ctx) for k, v in r.h.items()}
            lines.append(self.header(meta, ts, h) + msg)
            labels.append((r.eid, template))
            is_cont.append(False)
            for c in r.conts:
                c = str(resolve(c, ctx))
                lines.append(c)
                labels.append((r.eid, template))
                is_cont.append(True)
        self.is_cont = is_cont
        return lines, labels

    def write(self):
        lines, labels = self.build()
        d = os.path.join(HERE, self.name)
        os.makedirs(d, exist_ok=True)
        log_path = os.path.join(d, '%s_2k.log' % self.name)
        csv_path = log_path + '_structured.csv'
        with open(log_path, 'w', encoding='utf-8', newline='') as f:
            for ln in lines:
                f.write(ln + '\n')
        with open(csv_path, 'w', encoding='utf-8', newline='') as f:
            w = csv.writer(f, lineterminator='\n')
            w.writerow(['LineId', 'EventId', 'EventTemplate'])
            for i, (eid, t) in enumerate(labels, 1):
                w.writerow([i, eid, t])
        return self.check(log_path, csv_path)

    # read back and verify
    def check(self, log_path, csv_path):
        def fail(msg):
            raise RuntimeError('%s: %s' % (self.name, msg))

        with open(log_path, 'rb') as f:
            raw = f.read()
        if b'\r' in raw:
            fail('carriage return in log')
        text = raw.decode('utf-8')
        if not text.endswith('\n'):
            fail('log does not end with a newline')
        lines = text[:-1].split('\n')
        if len(lines) != N_LINES:
            fail('log has %d lines' % len(lines))
        for i, ln in enumerate(lines, 1):
            if ln == '' or ln.strip() == '':
                fail('empty line %d' % i)
            for m in IP_RE.finditer(ln):
                ip = m.group(1)
                if ln.startswith('.in-addr.arpa', m.end(1)):
                    ip = '.'.join(reversed(ip.split('.')))   # a reverse-lookup name: check the address it names
                if not allowed_ip(ip) and ip not in self.not_ips:
                    fail('line %d has a non-private IPv4 address %s' % (i, ip))
            # JSON's \\n and \\t escapes (inside an escaped stack trace) are read as whitespace
            for dom in DOMAIN_RE.findall(ln.replace('\\n', ' ').replace('\\t', ' ')):
                if not allowed_domain(dom) and dom not in self.not_domains:
                    fail('line %d has a domain outside example.com/.org/.net: %s' % (i, dom))

        with open(csv_path, 'rb') as f:
            craw = f.read()
        if b'\r' in craw:
            fail('carriage return in csv')
        ctext = craw.decode('utf-8')
        if not ctext.endswith('\n') or ctext.count('\n') != N_LINES + 1:
            fail('csv does not have one row per line')
        with open(csv_path, encoding='utf-8', newline='') as f:
            rows = list(csv.reader(f))
        if rows[0] != ['LineId', 'EventId', 'EventTemplate']:
            fail('csv header %r' % rows[0])
        rows = rows[1:]
        if len(rows) != N_LINES:
            fail('csv has %d rows' % len(rows))
        for i, row in enumerate(rows, 1):
            if len(row) != 3 or row[0] != str(i):
                fail('csv row %d is %r' % (i, row))

        tmpl_of = {}
        eid_of = {}
        for _, eid, t in rows:
            if tmpl_of.setdefault(eid, t) != t:
                fail('EventId %s has two templates' % eid)
            if eid_of.setdefault(t, eid) != eid:
                fail('template %r has two EventIds' % t)
        declared = {eid: t for eid, t, _ in self.events}
        for eid, t in declared.items():
            if eid not in tmpl_of:
                fail('declared event %s never occurs: %r' % (eid, t))
            if tmpl_of[eid] != t:
                fail('event %s template differs from its declaration' % eid)
        for eid in tmpl_of:
            if eid not in declared:
                fail('undeclared event %s' % eid)
        if not 15 <= len(declared) <= 45:
            fail('%d events' % len(declared))

        hre = re.compile(self.header_re)
        tre = {}
        for eid, t in declared.items():
            tre[eid] = re.compile('^' + '.+?'.join(re.escape(p) for p in t.split('<*>')) + '$', re.S)
        cur = None
        records = 0
        conts = 0
        rcounts = {}
        last_key = None
        for i, (ln, row) in enumerate(zip(lines, rows), 1):
            eid = row[1]
            m = hre.match(ln)
            if bool(m) == self.is_cont[i - 1]:
                fail('line %d: the header regex %s it, but the generator wrote it as a %s' % (
                    i, 'matches' if m else 'does not match', 'continuation line' if m else 'record'))
            if m:
                records += 1
                rcounts[eid] = rcounts.get(eid, 0) + 1
                cur = eid
                if not tre[eid].match(m.group('msg')):
                    fail('line %d message %r does not match %s %r' % (i, m.group('msg'), eid, declared[eid]))
                key = self.ts_key(m)
                if last_key is not None and key < last_key:
                    fail('line %d: timestamp goes backwards' % i)
                last_key = key
            else:
                conts += 1
                if cur is None:
                    fail('line %d is a continuation with no record before it' % i)
                if eid != cur:
                    fail('continuation line %d carries %s, its record is %s' % (i, eid, cur))
        self.extra_check(lines, rows, fail)
        counts = {}
        for row in rows:
            counts[row[1]] = counts.get(row[1], 0) + 1
        return {'events': len(declared), 'lines': len(lines), 'records': records,
                'continuation': conts, 'counts': counts, 'rcounts': rcounts}


# ----------------------------------------------------------------------------
# helpers for values
# ----------------------------------------------------------------------------

def hexs(rng, n):
    return ''.join(rng.choice('0123456789abcdef') for _ in range(n))


def uuid4(rng):
    return '%s-%s-4%s-%s%s-%s' % (hexs(rng, 8), hexs(rng, 4), hexs(rng, 3),
                                  rng.choice('89ab'), hexs(rng, 3), hexs(rng, 12))


def port(rng):
    return rng.randint(32768, 60999)


def go_dur(s):
    """A Go time.Duration string for s seconds."""
    if s >= 60:
        m = int(s // 60)
        return '%dm%ss' % (m, ('%.9f' % (s - 60 * m)).rstrip('0').rstrip('.'))
    if s >= 1:
        return ('%.9f' % s).rstrip('0').rstrip('.') + 's'
    if s >= 0.001:
        return ('%.6f' % (s * 1e3)).rstrip('0').rstrip('.') + 'ms'
    return ('%.3f' % (s * 1e6)).rstrip('0').rstrip('.') + '\u00b5s'


def js(s):
    """The inside of a JSON string literal."""
    return json.dumps(s, ensure_ascii=False)[1:-1]


def weighted(rng, pairs):
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def epoch(ts):
    return (ts - datetime(1970, 1, 1)).total_seconds()


def shortest(x):
    """A double as fmt's "{}" and Go's strconv 'g'-shortest print it: the shortest round-trip digits, no '.0'."""
    s = repr(float(x))
    if 'e' in s:
        s = ('%.6f' % x).rstrip('0').rstrip('.')
    if s.endswith('.0'):
        s = s[:-2]
    return s


# ----------------------------------------------------------------------------
# 1. ClickHouse 23.8 LTS: clickhouse-server.log at the default level (trace)
# ----------------------------------------------------------------------------

CH_BUILD = '23.8.9.54 (official build)'
STACK_NOTE = 'Stack trace (when copying this message, always include the lines below):'
CH_TID = '(1, 1, 00000000-0000-0000-0000-000000000000)'


def ch_size(n):
    """ClickHouse's formatReadableSizeWithBinarySuffix."""
    units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
    x, i = float(n), 0
    while x >= 1024 and i < len(units) - 1:
        x /= 1024
        i += 1
    return '%.2f %s' % (x, units[i])


def ch_secs(x):
    return shortest(round(x, 6))


class ClickHouse(System):
    name = 'ClickHouse'
    seed = 10101
    start = datetime(2024, 3, 11, 10, 14, 7, 412803)
    header_re = (r'^(?P<ts>\d{4}\.\d\d\.\d\d \d\d:\d\d:\d\d\.\d{6}) \[ (?P<tid>\d+) \] \{(?P<qid>[^{}]*)\} '
                 r'<(?P<level>Trace|Debug|Information|Warning|Error|Fatal)> (?P<logger>.+?): (?P<msg>.+)$')
    # the server's own version, printed in every exception
    not_ips = ('23.8.9.54',)

    def header(self, meta, ts, h):
        return '%s.%06d [ %d ] {%s} <%s> %s: ' % (ts.strftime('%Y.%m.%d %H:%M:%S'), ts.microsecond, h['tid'],
                                                   h.get('q', ''), h.get('lvl', meta.get('lvl', 'Debug')),
                                                   h.get('lg', meta.get('lg')))

    def ts_key(self, m):
        return m.group('ts')

    def in_chunk_gap(self):
        return self.rng.uniform(0.00003, 0.0012)

    def extra_check(self, lines, rows, fail):
        # stack frames are numbered from 0, one more on each line, under their record
        nxt = None
        for i, (ln, cont) in enumerate(zip(lines, self.is_cont), 1):
            if not cont:
                nxt = 0
                continue
            m = re.match(r'^(\d+)\. ', ln)
            if not m or int(m.group(1)) != nxt:
                fail('line %d: stack frame %r out of order' % (i, ln[:20]))
            nxt += 1

    def define(self):
        ev = self.ev
        T = 'Trace'
        Dg = 'Debug'
        self.TCPREQ = ev('TCP Request. Address: <*>', lvl=T, lg='TCPHandlerFactory')
        self.CONNECTED = ev('Connected <*> version <*>, revision: <*>, user: <*>.', lvl=Dg, lg='TCPHandler')
        self.AUTHING = ev("<*> Authenticating user '<*>' from <*>", lvl=Dg)
        self.AUTHED = ev('<*> Authenticated with global context as user <*>', lvl=Dg)
        self.SESSCTX = ev('<*> Creating session context with user_id: <*>', lvl=Dg, lg='TCP-Session')
        self.QUERYCTX = ev('<*> Creating query context from session context, user_id: <*>, parent context user: <*>',
                           lvl=Dg, lg='HTTP-Session')
        self.QUERY = ev('(from <*>) <*> (stage: <*>)', lvl=Dg, lg='executeQuery')
        self.QUERY_USER = ev('(from <*>, user: <*>) <*> (stage: <*>)', lvl=Dg, lg='executeQuery')
        self.ACCESS = ev('Access granted: <*>', lvl=T)
        self.STAGES = ev('<*> -> <*>', lvl=T, lg='InterpreterSelectQuery')
        self.KEYCOND = ev('Key condition: <*>', lvl=Dg)
        self.PARTS = ev('Selected <*>/<*> parts by partition key, <*> parts by primary key, <*>/<*> marks by primary '
                        'key, <*> marks to read from <*> ranges', lvl=Dg)
        self.APPROX = ev('Reading approx. <*> rows with <*> streams', lvl=T)
        self.AGGING = ev('Aggregating', lvl=T, lg='AggregatingTransform')
        self.AGGED = ev('Aggregated. <*> to <*> rows (from <*>) in <*> sec. (<*> rows/sec., <*>/sec.)', lvl=Dg,
                        lg='AggregatingTransform')
        self.MERGEAGG = ev('Merging aggregated data', lvl=Dg, lg='Aggregator')
        self.READ = ev('Read <*> rows, <*> in <*> sec., <*> rows/sec., <*>/sec.', lvl=Dg, lg='executeQuery')
        self.PEAK = ev('Peak memory usage (for query): <*>.', lvl=Dg, lg='MemoryTracker')
        self.PROCESSED = ev('Processed in <*> sec.', lvl=Dg, lg='TCPHandler')
        self.DONECONN = ev('Done processing connection.', lvl=Dg, lg='TCPHandler')
        self.CANCEL = ev('Client has dropped the connection, cancel the query.', lvl='Information', lg='TCPHandler')
        self.HTTPREQ = ev('HTTP Request for HTTPHandler-factory. Method: <*>, Address: <*>, User-Agent: <*>, '
                          'Length: <*>, Content Type: <*>, Transfer Encoding: <*>, X-Forwarded-For: <*>', lvl=T,
                          lg='HTTPHandler-factory')
        self.REQURI = ev('Request URI: <*>', lvl=T, lg='DynamicQueryHandler')
        self.DONEQ = ev('Done processing query', lvl=Dg, lg='DynamicQueryHandler')
        self.RESERVE = ev('Trying to reserve <*> using storage policy from min volume index <*>', lvl=T)
        self.RESERVED = ev('Reserved <*> on local disk `<*>`, having unreserved <*>.', lvl=T, lg='DiskLocal')
        self.RENAME = ev('Renaming temporary part <*> to <*> with tid <*>.', lvl=T)
        self.FLUSHING = ev('Flushing system log, <*> entries to flush up to offset <*>', lvl=T)
        self.FLUSHED = ev('Flushed system log up to offset <*>', lvl=T)
        self.MSEL = ev('Selected <*> parts from <*> to <*>', lvl=Dg)
        self.MERGING = ev('Merging <*> parts: from <*> to <*> into <*> with storage <*>', lvl=Dg,
                          lg='MergeTask::PrepareStage')
        self.MALGO = ev('Selected MergeAlgorithm: <*>', lvl=Dg, lg='MergeTask::PrepareStage')
        self.MREAD = ev('Reading <*> marks from part <*>, total <*> rows starting from the beginning of the part',
                        lvl=Dg, lg='MergeTreeSequentialSource')
        self.MSORTED = ev('Merge sorted <*> rows, containing <*> columns (<*> merged, <*> gathered) in <*> sec., '
                          '<*> rows/sec., <*>/sec.', lvl=Dg, lg='MergeTask::MergeProjectionsStage')
        self.MERGED = ev('Merged <*> parts: [<*>, <*>] -> <*>', lvl=T)
        self.REMOVING = ev('Removing <*> parts from filesystem (serially): Parts: [<*>]', lvl=Dg)
        self.DELAY = ev('Delaying inserting block by <*> ms. because there are <*> parts and their average size is '
                        '<*>', lvl='Information')
        self.CFG_LOADING = ev("Loading config '<*>'", lvl=Dg, lg='ConfigReloader')
        self.CFG_DONE = ev("Loaded config '<*>', performed update on configuration", lvl=Dg, lg='ConfigReloader')
        # exceptions: one event per raising statement and per logging site; the stack follows on its own lines
        X = ' (version <*>) (from <*>, user: <*>) (in query: <*>), ' + STACK_NOTE
        E = 'Error'
        TBL = 'Code: 60. DB::Exception: Table <*> does not exist. (UNKNOWN_TABLE)'
        SYN = ('Code: 62. DB::Exception: Syntax error: failed at position <*> (<*>) (line <*>, col <*>): <*>. '
               'Expected one of: <*>. (SYNTAX_ERROR)')
        MEM = ('Code: 241. DB::Exception: Memory limit (for query) exceeded: would use <*> (attempt to allocate '
               'chunk of <*> bytes), maximum: <*>.: While executing <*>. (MEMORY_LIMIT_EXCEEDED)')
        self.X_TABLE = ev(TBL + X, lvl=E, lg='executeQuery')
        self.X_TABLE_TCP = ev(TBL + ', ' + STACK_NOTE, lvl=E, lg='TCPHandler')
        self.X_SYNTAX = ev(SYN + X, lvl=E, lg='executeQuery')
        self.X_SYNTAX_TCP = ev(SYN + ', ' + STACK_NOTE, lvl=E, lg='TCPHandler')
        self.X_MEM = ev(MEM + X, lvl=E, lg='executeQuery')
        self.X_MEM_HTTP = ev(MEM + ', ' + STACK_NOTE, lvl=E, lg='DynamicQueryHandler')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 8 * 60.0
        timed = []
        EV = 'analytics.events (%s)' % uuid4(rng)
        SYS = {t: 'system.%s (%s)' % (t, uuid4(rng)) for t in ('query_log', 'part_log', 'trace_log')}
        ETL, GRAF, EXP, ANALYST = '10.0.3.41', '10.0.3.30', '10.0.3.50', '10.0.3.62'
        uid = {u: uuid4(rng) for u in ('etl', 'grafana', 'default', 'analyst')}
        T0 = epoch(self.start)
        tids = {'tcp': [rng.randint(1400, 2900) for _ in range(12)], 'http': [rng.randint(3000, 3400) for _ in range(8)],
                'pipe': [rng.randint(700, 1300) for _ in range(24)], 'merge': [rng.randint(560, 640) for _ in range(6)],
                'sys': {t: rng.randint(420, 520) for t in SYS}, 'cfg': rng.randint(400, 419)}
        qtimes, ptimes = [], []          # when queries ran and parts were written, for the system log flushes
        disk0 = 872.6 * 2 ** 30

        def unreserved():
            return AtTs(lambda ts: ch_size(disk0 - (epoch(ts) - T0) * 2.3e6 + rng.uniform(-3e8, 3e8)))

        def addr(ip):
            return '[::ffff:%s]:%d' % (ip, port(rng))

        # ---------------- addresses of the functions in the stack traces (one binary, one process)
        fa = {}

        def frame(n, fn):
            if fn is None:
                if n not in fa:
                    fa[n] = 0x7f3a1c000000 + rng.randrange(0, 0x200000, 16)
                return '%d. ? @ 0x%016x in ?' % (n, fa[n])
            if fn not in fa:
                fa[fn] = rng.randrange(0x7000000, 0x16000000, 1)
            return '%d. %s @ 0x%016x in /usr/bin/clickhouse' % (n, fn, fa[fn])

        EXC0 = 'DB::Exception::Exception(DB::Exception::MessageMasked&&, int, bool)'
        TCP_TAIL = ['DB::TCPHandler::runImpl()', 'DB::TCPHandler::run()', 'Poco::Net::TCPServerConnection::start()',
                    'Poco::Net::TCPServerDispatcher::run()', 'Poco::PooledThread::run()',
                    'Poco::ThreadImpl::runnableEntry(void*)', None, None]
        EXECQ = ['DB::executeQueryImpl(char const*, char const*, std::shared_ptr<DB::Context>, bool, '
                 'DB::QueryProcessingStage::Enum, DB::ReadBuffer*)',
                 'DB::executeQuery(String const&, std::shared_ptr<DB::Context>, bool, DB::QueryProcessingStage::Enum)']
        ST_TABLE = [EXC0,
                    'DB::Exception::Exception<String, String>(int, FormatStringHelperImpl<std::type_identity<String>'
                    '::type, std::type_identity<String>::type>, String&&, String&&)',
                    'DB::IDatabase::getTable(String const&, std::shared_ptr<DB::Context const>) const',
                    'DB::DatabaseCatalog::getTableImpl(DB::StorageID const&, std::shared_ptr<DB::Context const>, '
                    'std::optional<DB::Exception>*) const',
                    'DB::DatabaseCatalog::getTable(DB::StorageID const&, std::shared_ptr<DB::Context const>) const',
                    'DB::JoinedTables::getLeftTableStorage()',
                    'DB::InterpreterSelectQuery::InterpreterSelectQuery(std::shared_ptr<DB::IAST> const&, '
                    'std::shared_ptr<DB::Context> const&, std::optional<DB::Pipe>, std::shared_ptr<DB::IStorage> '
                    'const&, DB::SelectQueryOptions const&, std::vector<String, std::allocator<String>> const&, '
                    'std::shared_ptr<DB::StorageInMemoryMetadata const> const&, std::shared_ptr<DB::PreparedSets>)',
                    'DB::InterpreterSelectWithUnionQuery::InterpreterSelectWithUnionQuery(std::shared_ptr<DB::IAST> '
                    'const&, std::shared_ptr<DB::Context>, DB::SelectQueryOptions const&, std::vector<String, '
                    'std::allocator<String>> const&)',
                    'DB::InterpreterFactory::get(std::shared_ptr<DB::IAST>&, std::shared_ptr<DB::Context>, '
                    'DB::SelectQueryOptions const&)'] + EXECQ + TCP_TAIL
        ST_SYNTAX = [EXC0, 'DB::Exception::createDeprecated(String const&, int, bool)',
                     'DB::parseQueryAndMovePosition(DB::IParser&, char const*&, char const*, String const&, bool, '
                     'unsigned long, unsigned long)'] + EXECQ + TCP_TAIL
        ST_MEM = [EXC0,
                  'DB::Exception::Exception<char const*, char const*, String, long&, String, char const*, '
                  'std::basic_string_view<char, std::char_traits<char>>>(int, FormatStringHelperImpl<std::type_'
                  'identity<char const*>::type, std::type_identity<char const*>::type, std::type_identity<String>::'
                  'type, std::type_identity<long&>::type, std::type_identity<String>::type, std::type_identity<char '
                  'const*>::type, std::type_identity<std::basic_string_view<char, std::char_traits<char>>>::type>, '
                  'char const*&&, char const*&&, String&&, long&, String&&, char const*&&, std::basic_string_view<'
                  'char, std::char_traits<char>>&&)',
                  'MemoryTracker::allocImpl(long, bool, MemoryTracker*, double)',
                  'MemoryTracker::allocImpl(long, bool, MemoryTracker*, double)',
                  'Allocator<false, false>::realloc(void*, unsigned long, unsigned long, unsigned long)',
                  'void DB::PODArrayBase<8ul, 4096ul, Allocator<false, false>, 0ul, 0ul>::resize<>(unsigned long)',
                  'DB::Aggregator::executeOnBlock(std::vector<COW<DB::IColumn>::immutable_ptr<DB::IColumn>, '
                  'std::allocator<COW<DB::IColumn>::immutable_ptr<DB::IColumn>>>, unsigned long, unsigned long, '
                  'DB::AggregatedDataVariants&, std::vector<DB::IColumn const*, std::allocator<DB::IColumn const*>>&, '
                  'std::vector<std::vector<DB::IColumn const*, std::allocator<DB::IColumn const*>>, std::allocator<'
                  'std::vector<DB::IColumn const*, std::allocator<DB::IColumn const*>>>>&, bool&) const',
                  'DB::AggregatingTransform::consume(DB::Chunk)', 'DB::AggregatingTransform::work()',
                  'DB::ExecutionThreadContext::executeTask()',
                  'DB::PipelineExecutor::executeStepImpl(unsigned long, std::atomic<bool>*)',
                  'void std::__function::__policy_invoker<void ()>::__call_impl<std::__function::__default_alloc_'
                  'func<DB::PipelineExecutor::spawnThreads()::$_0, void ()>>(std::__function::__policy_storage '
                  'const*)',
                  'ThreadPoolImpl<ThreadFromGlobalPoolImpl<false>>::worker(std::__list_iterator<ThreadFromGlobalPool'
                  'Impl<false>, void*>)',
                  'ThreadPoolImpl<std::thread>::worker(std::__list_iterator<std::thread, void*>)', None, None]

        def stack(fns):
            lines = [frame(n, fn) for n, fn in enumerate(fns)]
            return lines[0], lines[1:]

        # ---------------- the pieces of a query
        def native_open(ip, user, client, ver, rev):
            a = addr(ip)
            sid = uuid4(rng)
            h = {'tid': rng.choice(tids['tcp'])}
            hs = dict(h, lg='TCP-Session')
            return a, h, [R(self.TCPREQ, [a], h=h), R(self.CONNECTED, [client, ver, rev, user], h=h,
                                                       dt=rng.uniform(0.0002, 0.002)),
                          R(self.AUTHING, [sid, user, a], h=hs), R(self.AUTHED, [sid, uid[user]], h=hs),
                          R(self.SESSCTX, [sid, uid[user]], h=hs)]

        def http_open(ip, user, method, ua, length, ctype, uri):
            a = addr(ip)
            sid = uuid4(rng)
            h = {'tid': rng.choice(tids['http'])}
            hs = dict(h, lg='HTTP-Session')
            return a, h, [R(self.HTTPREQ, [method, a, ua, length, ctype, 'identity', '(none)'], h=h),
                          R(self.REQURI, [uri], h=h), R(self.AUTHING, [sid, user, a], h=hs),
                          R(self.AUTHED, [sid, uid[user]], h=hs),
                          R(self.QUERYCTX, [sid, uid[user], '<NOT SET>'], h=hs)]

        def query_line(hq, a, user, sql):
            if user == 'default':
                return R(self.QUERY, [a, sql, 'Complete'], h=hq)
            return R(self.QUERY_USER, [a, user, sql, 'Complete'], h=hq)

        def finish(hq, rows, nbytes, secs, peak):
            return [R(self.READ, [rows, ch_size(nbytes), ch_secs(secs), shortest(rows / secs),
                                  ch_size(nbytes / secs)], h=hq, dt=secs),
                    R(self.PEAK, [ch_size(peak)], h=hq)]

        def scan(hq, user, cols, cond, nparts, rows, streams, agg_rows, secs):
            """SELECT over analytics.events with an aggregation."""
            ch = [R(self.ACCESS, ['SELECT(%s) ON analytics.events' % cols], h=dict(hq, lg='ContextAccess (%s)' % user)),
                  R(self.STAGES, weighted(rng, [(['FetchColumns', 'Complete'], 6),
                                                (['WithMergeableState', 'Complete'], 1)]), h=hq)]
            hx = dict(hq, lg=EV + ' (SelectExecutor)')
            total = rng.randint(9, 17)
            sel = min(nparts, total)
            marks = max(1, rows // 8192)
            mtotal = rng.randint(1700, 2300)
            ch += [R(self.KEYCOND, [cond], h=hx),
                   R(self.PARTS, [sel, total, sel, marks, mtotal, marks, sel + rng.randint(0, 2)], h=hx),
                   R(self.APPROX, [marks * 8192, streams], h=hx)]
            pts = rng.sample(tids['pipe'], streams)
            for pt in pts:
                ch.append(R(self.AGGING, [], h=dict(hq, tid=pt), dt=rng.uniform(0.0001, 0.001)))
            for pt in pts:
                part_rows = marks * 8192 // streams
                el = secs * rng.uniform(0.5, 0.9)
                src = part_rows * rng.choice([8, 12, 16])
                ch.append(R(self.AGGED, [part_rows, agg_rows, ch_size(src), ch_secs(el), '%.3f' % (part_rows / el),
                                         ch_size(src / el)], h=dict(hq, tid=pt), dt=el / streams))
            ch.append(R(self.MERGEAGG, [], h=dict(hq, tid=pts[0])))
            return ch, marks * 8192

        # ---------------- the ETL's inserts over the native protocol, every 30 s (a backfill runs faster)
        state = {'blk': 48211, 'since_merge': [], 'base': (1, 48210, 377)}
        init_base = state['base']
        T_BACKFILL = 0.44 * D
        ins_times = periodic(rng, 0, D, 30, phase=rng.uniform(0, 30), jitter=1.5)
        ins_times += [T_BACKFILL + 3.1 * k + rng.uniform(0, 0.8) for k in range(14)]
        ins_times.sort()
        merges = []
        for k, t in enumerate(ins_times):
            backfill = T_BACKFILL <= t <= T_BACKFILL + 50
            a, h, ch = native_open(ETL, 'etl', 'ClickHouse python-driver', '20.10.2', 54468)
            q = uuid4(rng)
            hq = dict(h, q=q)
            rows = rng.randint(1800, 6500) if not backfill else 50000
            nbytes = rows * rng.randint(74, 90)
            state['blk'] += 1
            blk = state['blk']
            part = '202403_%d_%d_0' % (blk, blk)
            ch.append(query_line(hq, a, 'etl', 'INSERT INTO analytics.events (ts, site_id, session_id, user_id, event, '
                                               'url, duration_ms) VALUES'))
            ch.append(R(self.ACCESS, ['INSERT(ts, site_id, session_id, user_id, event, url, duration_ms) ON '
                                      'analytics.events'], h=dict(hq, lg='ContextAccess (etl)')))
            if backfill and t > T_BACKFILL + 12:
                nparts = 150 + len(state['since_merge']) + rng.randint(0, 3)
                ch.append(R(self.DELAY, [rng.randint(3, 40), nparts, ch_size(rng.uniform(1.1, 1.4) * 2 ** 20)],
                            h=dict(hq, lg=EV, lvl='Information')))
            ch += [R(self.RESERVE, [ch_size(nbytes * 0.31), 0], h=dict(hq, lg=EV), dt=rng.uniform(0.005, 0.03)),
                   R(self.RESERVED, [ch_size(nbytes * 0.31), 'default', unreserved()], h=hq),
                   R(self.RENAME, ['tmp_insert_' + part, part, CH_TID], h=dict(hq, lg=EV), dt=rng.uniform(0.003, 0.02))]
            secs = rng.uniform(0.02, 0.09) * (4 if backfill else 1)
            ch += finish(hq, rows, nbytes, secs, rng.uniform(3.5, 9) * 2 ** 20)
            ch.append(R(self.PROCESSED, [ch_secs(secs + 0.0003)], h=hq))
            ch.append(R(self.DONECONN, [], h=dict(h, q=''), dt=rng.uniform(0.0005, 0.004)))
            timed.append((t, ch))
            qtimes.append(t)
            ptimes.append(t)
            state['since_merge'].append(part)
            if len(state['since_merge']) >= rng.randint(5, 7) and (not backfill or len(state['since_merge']) > 9):
                merges.append((t + rng.uniform(0.5, 3), list(state['since_merge'])))
                state['since_merge'] = []

        # ---------------- background merges of the new parts into the big one
        pending_removal = []
        for t, parts in merges:
            b0, b1, lvl = state['base']
            base = '202403_%d_%d_%d' % (b0, b1, lvl)
            last = parts[-1]
            lb = int(last.split('_')[2])
            new = '202403_%d_%d_%d' % (b0, lb, lvl + 1)
            state['base'] = (b0, lb, lvl + 1)
            allp = [base] + parts
            q = '%s::%s' % (EV.split('(')[1].rstrip(')'), new)
            mt = rng.choice(tids['merge'])
            hm = {'tid': mt, 'q': q}
            hm0 = {'tid': mt}
            brows = rng.randint(44000000, 46000000)
            rows_new = [rng.randint(1800, 6500) for _ in parts]
            total = brows + sum(rows_new)
            ch = [R(self.MSEL, [len(allp), base, last], h=dict(hm0, lg=EV + ' (MergerMutator)')),
                  R(self.RESERVE, [ch_size(total * 0.31 * 80), 0], h=dict(hm0, lg=EV)),
                  R(self.RESERVED, [ch_size(total * 0.31 * 80), 'default', unreserved()], h=hm0),
                  R(self.MERGING, [len(allp), base, last, 'Wide', 'Full'], h=hm),
                  R(self.MALGO, ['Vertical' if len(allp) > 6 else 'Horizontal'], h=hm)]
            for p, r in zip(allp, [brows] + rows_new):
                ch.append(R(self.MREAD, [max(1, r // 8192 + 1), p, r], h=hm, dt=rng.uniform(0.0001, 0.002)))
            secs = rng.uniform(9, 16)
            ch += [R(self.MSORTED, [total, 7, 7 if len(allp) <= 6 else 2, 0 if len(allp) <= 6 else 5, ch_secs(secs),
                                    shortest(total / secs), ch_size(total * 80 / secs)], h=hm, dt=secs),
                   R(self.RENAME, ['tmp_merge_' + new, new, CH_TID], h=dict(hm0, lg=EV), dt=rng.uniform(0.01, 0.05)),
                   R(self.MERGED, [len(allp), base, last, new], h=dict(hm0, lg=EV + ' (MergerMutator)'))]
            timed.append((t, ch))
            ptimes.append(t + secs)
            pending_removal.append((t + secs + 480 + rng.uniform(0, 30), allp))
        # parts merged before the file began are removed when their old_parts_lifetime (480 s) ends
        b0, b1, lvl = init_base
        for k in range(2):
            lb = b1 - rng.randint(6, 8)
            old = ['202403_%d_%d_%d' % (b0, lb, lvl - 1)] + ['202403_%d_%d_0' % (b, b) for b in range(lb + 1, b1 + 1)]
            pending_removal.append(((0.45 - 0.35 * k) * D, old))
            b1, lvl = lb, lvl - 1
        for t, parts in pending_removal:
            timed.append((t, [R(self.REMOVING, [len(parts), ', '.join(parts)],
                                h={'tid': rng.choice(tids['merge']), 'lg': EV})]))
            ptimes.append(t)

        # ---------------- Grafana: a dashboard open for part of the window, three panels refreshed each minute
        GUA = 'Grafana/10.2.3 clickhouse-datasource/4.0.3'
        panels = [
            ('toStartOfInterval(ts, INTERVAL 30 second) AS time, count() AS events', 'ts', '', 'GROUP BY time ORDER BY '
             'time', 120),
            ('toStartOfInterval(ts, INTERVAL 30 second) AS time, quantile(0.95)(duration_ms) AS p95', 'ts, duration_ms',
             '', 'GROUP BY time ORDER BY time', 120),
            ('event, count() AS c', 'ts, event, site_id', ' AND site_id = %d', 'GROUP BY event ORDER BY c DESC LIMIT 10',
             10)]

        def grafana_query(t, sel, cols, extra, tail, agg_rows, big=False):
            now = int(T0 + t)
            frm = now - (3600 if not big else 30 * 86400)
            site = rng.choice([3, 3, 7, 12])
            where = 'ts >= toDateTime(%d) AND ts <= toDateTime(%d)%s' % (frm, now, extra % site if extra else '')
            sql = 'SELECT %s FROM analytics.events WHERE %s %s' % (sel, where, tail)
            a, h, ch = http_open(GRAF, 'grafana', 'POST', GUA, len(sql) + 2, 'text/plain; charset=utf-8',
                                 '/?database=analytics&default_format=JSONCompact&query_id=%s' % uuid4(rng))
            q = uuid4(rng)
            hq = dict(h, q=q)
            ch.append(query_line(hq, a, 'grafana', sql))
            cond = '(column 0 in [%d, %d])' % (frm, now)
            if extra:
                cond = '(column 1 in [%d, %d]), %s, and' % (site, site, cond)
            streams = 8 if not big else 16
            rows = rng.randint(200000, 420000) if not big else 44000000
            secs = rng.uniform(0.012, 0.06) if not big else rng.uniform(3, 6)
            body, rows = scan(hq, 'grafana', cols, cond, rng.randint(3, 6), rows, streams, agg_rows, secs)
            ch += body
            return ch, hq, a, sql, rows, secs

        T_DASH0, T_DASH1 = 0.03 * D, 1.2 * D
        for t in periodic(rng, T_DASH0, T_DASH1, 60, phase=rng.uniform(0, 60), jitter=0.2):
            for k, (sel, cols, extra, tail, agg_rows) in enumerate(panels):
                tt = t + k * rng.uniform(0.002, 0.03)
                ch, hq, a, sql, rows, secs = grafana_query(tt, sel, cols, extra, tail, agg_rows)
                ch += finish(hq, rows, rows * 6, secs, rng.uniform(8, 30) * 2 ** 20)
                ch.append(R(self.DONEQ, [], h=hq))
                timed.append((tt, ch))
                qtimes.append(tt)
        # someone widens a panel to 30 days in Explore: the aggregation runs out of memory
        t = 0.57 * D
        ch, hq, a, sql, rows, secs = grafana_query(t, 'user_id, uniqExact(session_id) AS sessions, count() AS c',
                                                   'ts, session_id, user_id', '', 'GROUP BY user_id ORDER BY c DESC '
                                                   'LIMIT 100', 100, big=True)
        ch = [r for r in ch if r.eid not in (self.AGGED, self.MERGEAGG)]    # the aggregation never finishes
        first, rest = stack(ST_MEM)
        mx = 10 * 2 ** 30
        vals = [ch_size(mx + rng.randint(10, 4000000)), rng.choice([4194304, 8388608, 16777216]), ch_size(mx),
                'AggregatingTransform']
        ch.append(R(self.X_MEM, vals + [CH_BUILD, a, 'grafana', sql], h=dict(hq, lvl='Error', lg='executeQuery'),
                    dt=rng.uniform(3, 5)))
        ch.append(R(self.X_MEM_HTTP, [first], conts=[], h={}))   # placeholder, replaced below
        ch[-1] = R(self.X_MEM_HTTP, vals, h=dict(hq, lg='DynamicQueryHandler'), dt=0.0004)
        # the stack: the same trace follows each of the two error lines
        ch[-2].conts = [first] + rest
        ch[-1].conts = [first] + rest
        timed.append((t, ch))
        qtimes.append(t)

        # ---------------- the metrics exporter, every 60 s, as the default user
        for t in periodic(rng, 0, D, 60, phase=rng.uniform(0, 60), jitter=0.05):
            for k, tbl in enumerate(['metrics', 'events']):
                tt = t + k * rng.uniform(0.003, 0.01)
                col = 'metric' if tbl == 'metrics' else 'event'
                sql = 'SELECT %s, value FROM system.%s' % (col, tbl)
                a, h, ch = http_open(EXP, 'default', 'GET', 'Go-http-client/1.1', '(none)', '(none)',
                                     '/?query=%s' % sql.replace(' ', '+').replace(',', '%2C'))
                q = uuid4(rng)
                hq = dict(h, q=q)
                ch += [query_line(hq, a, 'default', sql),
                       R(self.ACCESS, ['SELECT(%s, value) ON system.%s' % (col, tbl)],
                         h=dict(hq, lg='ContextAccess (default)')),
                       R(self.STAGES, ['FetchColumns', 'Complete'], h=hq)]
                n = rng.randint(280, 300) if tbl == 'metrics' else rng.randint(180, 190)
                ch += finish(hq, n, n * 40, rng.uniform(0.0008, 0.003), rng.uniform(0.2, 0.6) * 2 ** 20)
                ch.append(R(self.DONEQ, [], h=hq))
                timed.append((tt, ch))
                qtimes.append(tt)

        # ---------------- an analyst with clickhouse-client: a few queries, two mistakes, one Ctrl-C
        def analyst(t, items):
            a, h, ch = native_open(ANALYST, 'analyst', 'ClickHouse client', '23.8.9', 54465)
            for kind, sql, extra in items:
                q = uuid4(rng)
                hq = dict(h, q=q)
                ql = query_line(hq, a, 'analyst', sql)
                ql.dt = rng.uniform(4, 25)
                ch.append(ql)
                qtimes.append(t)
                if kind == 'table':
                    first, rest = stack(ST_TABLE)
                    ch.append(R(self.X_TABLE, [extra, CH_BUILD, a, 'analyst', sql], conts=[first] + rest,
                                h=dict(hq, lvl='Error', lg='executeQuery'), dt=0.0008))
                    ch.append(R(self.X_TABLE_TCP, [extra], conts=[first] + rest,
                                h=dict(hq, lvl='Error', lg='TCPHandler'), dt=0.0001))
                elif kind == 'syntax':
                    pos, tok, rest_sql, exp = extra
                    first, rest = stack(ST_SYNTAX)
                    v = [pos, "'%s'" % tok, 1, pos, rest_sql, exp]
                    ch.append(R(self.X_SYNTAX, v + [CH_BUILD, a, 'analyst', sql], conts=[first] + rest,
                                h=dict(hq, lvl='Error', lg='executeQuery'), dt=0.0006))
                    ch.append(R(self.X_SYNTAX_TCP, v, conts=[first] + rest, h=dict(hq, lvl='Error', lg='TCPHandler'),
                                dt=0.0001))
                else:
                    cols, cond, agg, rows = extra
                    secs = rng.uniform(0.3, 1.6)
                    body, rows = scan(hq, 'analyst', cols, cond, rng.randint(8, 14), rows, 16, agg, secs)
                    ch += body
                    if kind == 'cancel':
                        ch.append(R(self.CANCEL, [], h=hq, dt=rng.uniform(0.5, 2)))
                    ch += finish(hq, rows, rows * 14, secs, rng.uniform(60, 400) * 2 ** 20)
                    ch.append(R(self.PROCESSED, [ch_secs(secs + 0.001)], h=hq))
            ch.append(R(self.DONECONN, [], h=h, dt=rng.uniform(10, 40)))
            timed.append((t, ch))

        now = int(T0 + 0.12 * D)
        analyst(0.12 * D, [
            ('table', 'SELECT event, count() FROM analytics.event WHERE toDate(ts) = today() GROUP BY event',
             'analytics.event'),
            ('ok', 'SELECT event, count() FROM analytics.events WHERE toDate(ts) = today() GROUP BY event',
             ('ts, event', '(column 0 in [%d, +Inf))' % (now - now % 86400), 14, 9000000)),
            ('syntax', 'SELECT site_id, avg(duration_ms) FORM analytics.events GROUP BY site_id',
             (36, 'FORM', 'FORM analytics.events GROUP BY site_id',
              'token, Comma, Dot, UUID, alias, AS, identifier, FROM, PREWHERE, WHERE, WINDOW, GROUP BY, WITH, HAVING, '
              'QUALIFY, ORDER BY, LIMIT, OFFSET, SETTINGS, UNION, EXCEPT, INTERSECT, INTO OUTFILE, FORMAT')),
            ('ok', 'SELECT site_id, avg(duration_ms) FROM analytics.events WHERE ts > now() - INTERVAL 1 DAY GROUP BY '
                   'site_id', ('ts, site_id, duration_ms', '(column 0 in [%d, +Inf))' % (now - 86400), 8, 3000000))])
        now = int(T0 + 0.58 * D)
        analyst(0.58 * D, [
            ('cancel', 'SELECT url, count() AS c FROM analytics.events WHERE ts > now() - INTERVAL 7 DAY GROUP BY url '
                       'ORDER BY c DESC', ('ts, url', '(column 0 in [%d, +Inf))' % (now - 7 * 86400), 200000,
                                           24000000)),
            ('ok', 'SELECT url, count() AS c FROM analytics.events WHERE ts > now() - INTERVAL 7 DAY GROUP BY url '
                   'ORDER BY c DESC LIMIT 50', ('ts, url', '(column 0 in [%d, +Inf))' % (now - 7 * 86400), 50,
                                               24000000))])

        # ---------------- users.xml changed by the config management: the server reloads it
        t = 0.34 * D
        hc = {'tid': tids['cfg']}
        timed.append((t, [R(self.CFG_LOADING, ['/etc/clickhouse-server/users.xml'], h=hc),
                          R(self.CFG_DONE, ['/etc/clickhouse-server/users.xml'], h=hc, dt=rng.uniform(0.003, 0.01))]))

        # ---------------- the system logs, flushed every 7.5 s when they have entries
        offs = {'query_log': rng.randint(4000000, 4100000), 'part_log': rng.randint(900000, 950000),
                'trace_log': rng.randint(70000, 80000)}
        blk = {k: rng.randint(30000, 60000) for k in offs}

        def flush(t, tbl, n):
            offs[tbl] += n
            blk[tbl] += 1
            part = '202403_%d_%d_0' % (blk[tbl], blk[tbl])
            hs = {'tid': tids['sys'][tbl]}
            lg = 'SystemLog (system.%s)' % tbl
            nbytes = n * rng.randint(900, 2400)
            timed.append((t, [R(self.FLUSHING, [n, offs[tbl]], h=dict(hs, lg=lg)),
                              R(self.RESERVE, [ch_size(max(nbytes * 0.2, 1024 ** 2)), 0], h=dict(hs, lg=SYS[tbl])),
                              R(self.RESERVED, [ch_size(max(nbytes * 0.2, 1024 ** 2)), 'default', unreserved()], h=hs),
                              R(self.RENAME, ['tmp_insert_' + part, part, CH_TID], h=dict(hs, lg=SYS[tbl]),
                                dt=rng.uniform(0.002, 0.01)),
                              R(self.FLUSHED, [offs[tbl]], h=dict(hs, lg=lg), dt=rng.uniform(0.0001, 0.001))]))

        phase = {k: rng.uniform(0, 7.5) for k in offs}
        for tbl, src, per in [('query_log', qtimes, 2), ('part_log', ptimes, 1)]:
            src = sorted(src)
            for t in periodic(rng, 0, D + 30, 7.5, phase=phase[tbl], jitter=0.01):
                n = sum(1 for x in src if t - 7.5 <= x < t)
                if n:
                    flush(t, tbl, n * per * rng.randint(1, 2) if tbl == 'part_log' else n * per)
        # the query profiler's samples of the long queries
        for t in [0.12 * D + 40, 0.57 * D + 7.5, 0.58 * D + 30]:
            flush(t, 'trace_log', rng.randint(20, 200))

        def filler(t):
            return t, [R(self.FLUSHING, [1, 1], h={'tid': tids['sys']['query_log'], 'lg': 'SystemLog (system.query_log)'})]

        return [], timed, [], filler


# ----------------------------------------------------------------------------
# 2. CockroachDB v22.2: cockroach.log of node n1 in the crdb-v2 format
# ----------------------------------------------------------------------------

def hbytes(n):
    """go-humanize's IBytes, as CockroachDB prints sizes: one decimal below 10, none above."""
    units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
    x, i = float(n), 0
    while x >= 1024 and i < len(units) - 1:
        x /= 1024
        i += 1
    if i == 0:
        return '%d B' % n
    return ('%.1f %s' if x < 10 else '%.0f %s') % (x, units[i])


class CockroachDB(System):
    name = 'CockroachDB'
    seed = 10202
    start = datetime(2024, 3, 11, 9, 58, 41, 201837)
    header_re = (r'^(?P<sev>[IWEF])(?P<date>\d{6}) (?P<time>\d\d:\d\d:\d\d\.\d{6}) (?P<gid>\d+) '
                 r'(?:(?P<chan>\d+)@)?(?P<file>[\w./-]+\.go):(?P<line>\d+) \u22ee \[(?P<tags>[^\]]*)\] '
                 r'(?P<counter>\d+) (?P<marker>[ =])(?P<msg>.+)$')

    def init_state(self, ctx):
        self._cnt = 0
        self._pre = None

    def header(self, meta, ts, h):
        self._cnt += 1
        chan = h.get('chan', meta.get('chan'))
        self._pre = '%s%s %s.%06d %d %s%s \u22ee [%s] %d' % (
            h.get('sev', meta.get('sev', 'I')), ts.strftime('%y%m%d'), ts.strftime('%H:%M:%S'), ts.microsecond,
            h.get('g', meta.get('g', 1)), ('%d@' % chan) if chan else '', h.get('f', meta.get('f')),
            h.get('tags', meta.get('tags', 'n1')), self._cnt)
        return self._pre + ' ' + meta.get('mk', ' ')

    def cont(self, text):
        """A continuation line: the record's header again, with '+' as the marker."""
        return Lazy(lambda ctx: '%s +%s' % (self._pre, text))

    def ts_key(self, m):
        return (m.group('date'), m.group('time'))

    def in_chunk_gap(self):
        return self.rng.uniform(0.00005, 0.002)

    def extra_check(self, lines, rows, fail):
        hre = re.compile(self.header_re)
        pre = None
        for i, (ln, cont) in enumerate(zip(lines, self.is_cont), 1):
            if not cont:
                m = hre.match(ln)
                pre = ln[:m.start('marker')]
                if m.group('marker') == '=':
                    try:
                        json.loads(m.group('msg'))
                    except ValueError:
                        fail('line %d: the structured payload is not JSON' % i)
            elif not ln.startswith(pre + '+'):
                fail('line %d: a continuation line does not repeat its record\'s header' % i)

    def define(self):
        ev = self.ev
        CF = dict(g=1, f='util/log/file_sync_buffer.go:238', tags='config')
        self.CREATED = ev('file created at: <*>', **CF)
        self.MACHINE = ev('running on machine: \u2039<*>\u203a', **CF)
        self.BINARY = ev('binary: CockroachDB <*> <*> (<*>, built <*>, <*>)', **CF)
        self.ARGS = ev('arguments: <*>', **CF)
        self.LOGFMT = ev('log format (utf8=\u2713): <*>', **CF)
        self.LINEFMT = ev('line format: [IWEF]yymmdd hh:mm:ss.uuuuuu goid [chan@]file:line redactionmark '
                          '\\[tags\\] [counter] msg', **CF)
        self.ENGINES = ev('<*> storage engine initialized', f='server/config.go:487', tags='n?')
        self.CACHE = ev('Pebble cache size: <*>', f='server/config.go:490', tags='n?')
        self.STORE = ev('store <*>: <*>', f='server/config.go:490', tags='n?')
        self.CLOCK = ev('monitoring forward clock jumps based on server.clock.forward_jump_check_enabled', chan=1,
                        f='server/server.go:1540')
        self.NOUPGRADE = ev('no need to upgrade, cluster already at the newest version', f='server/auto_upgrade.go:78')
        self.STARTED = ev('node startup completed:', chan=1, f='cli/start.go:1240')
        EVF = 'util/log/event_log.go:32'
        self.RESTART = ev('{"Timestamp":<*>,"EventType":"node_restart","NodeID":<*>,"StartedAt":<*>,"LastUp":<*>}',
                          chan=1, f=EVF, mk='=')
        # health, gossip, jobs
        self.RUNTIME = ev('runtime stats: <*> RSS, <*> goroutines (stacks: <*>), <*>/<*> Go alloc/total (heap '
                          'fragmentation: <*>, heap reserved: <*>, heap released: <*>), <*>/<*> CGO alloc/total (<*> '
                          'CGO/sec), <*>/<*> %(u/s)time, <*> %gc (<*>x), <*>/<*> (r/w)net', chan=2,
                          f='server/status/runtime_log.go:48')
        self.HEALTH = ev('health alerts detected: <*>', chan=2, f='server/status/health_check.go:171', sev='W')
        self.GOSSIP = ev('gossip status (<*>, <*> nodes)', f='gossip/gossip.go:566')
        self.GCLIENT = ev('started gossip client to n<*> (\u2039<*>\u203a)', f='gossip/client.go:124')
        self.GCLOSE = ev('closing client to n<*> (\u2039<*>\u203a): <*>', f='gossip/client.go:129')
        self.DIAL = ev('unable to dial n<*>: <*>', f='rpc/nodedialer/nodedialer.go:160', sev='W')
        self.SLOWHB = ev('slow heartbeat took <*>; err=<*>', f='kv/kvserver/liveness/liveness.go:1294', sev='W',
                         tags='n1,liveness-hb')
        self.JOB = ev('<*> job <*>: stepping through state <*>', f='jobs/registry.go:1584')
        # ranges
        self.SPLIT = ev('initiating a split of this range at key <*> [r<*>] (<*>)',
                        f='kv/kvserver/replica_command.go:411')
        # %v of a Go slice prints its own brackets: '[]' is a filled-in value
        self.CHANGE = ev('change replicas (add <*> remove <*>): existing descriptor <*>',
                         f='kv/kvserver/replica_command.go:2302')
        self.STREAMED = ev('streamed <*> snapshot <*> at applied index <*> to <*> with <*> in <*> @ <*>/s: kvs=<*> '
                           'rangeKVs=<*>, rate-limit: <*>/s, queued: <*>', f='kv/kvserver/store_snapshot.go:1583')
        self.APPLIED = ev('applied <*> snapshot <*> from <*> at applied index <*> (total=<*> data=<*> '
                          'ingestion=<*>)', f='kv/kvserver/replica_raftstorage.go:1016')
        # structured events: sessions, slow queries, schema and settings
        S = dict(chan=4, f=EVF, mk='=')
        C = '"InstanceID":<*>,"Network":"<*>","RemoteAddress":"\u2039<*>\u203a","SessionID":"<*>"'
        A = C + ',"Transport":"<*>","User":"\u2039<*>\u203a","SystemIdentity":"\u2039<*>\u203a"'
        self.CSTART = ev('{"Timestamp":<*>,"EventType":"client_connection_start",' + C + '}', **S)
        self.AINFO = ev('{"Timestamp":<*>,"EventType":"client_authentication_info",' + A + ',"Method":"<*>",'
                        '"Info":"<*>"}', **S)
        self.AOK = ev('{"Timestamp":<*>,"EventType":"client_authentication_ok",' + A + ',"Method":"<*>"}', **S)
        self.AFAIL = ev('{"Timestamp":<*>,"EventType":"client_authentication_failed",' + A + ',"Reason":"<*>",'
                        '"Detail":"<*>","Method":"<*>"}', **S)
        self.SEND = ev('{"Timestamp":<*>,"EventType":"client_session_end",' + C + ',"Duration":<*>}', **S)
        self.CEND = ev('{"Timestamp":<*>,"EventType":"client_connection_end",' + C + ',"Duration":<*>}', **S)
        Q = ('{"Timestamp":<*>,"EventType":"slow_query","Statement":"<*>","Tag":"<*>","User":"\u2039<*>\u203a",'
             '"ApplicationName":"\u2039<*>\u203a"')
        self.SLOWQ = ev(Q + ',"ExecMode":"<*>","NumRows":<*>,"Age":<*>,"TxnCounter":<*>}', chan=10, f=EVF, mk='=')
        self.SLOWQ_FTS = ev(Q + ',"PlaceholderValues":[<*>],"ExecMode":"<*>","NumRows":<*>,"Age":<*>,'
                            '"FullTableScan":true,"FullIndexScan":true,"TxnCounter":<*>}', chan=10, f=EVF, mk='=')
        self.CINDEX = ev('{"Timestamp":<*>,"EventType":"create_index","Statement":"<*>","Tag":"<*>",'
                         '"User":"\u2039<*>\u203a","DescriptorID":<*>,"TableName":"\u2039<*>\u203a",'
                         '"IndexName":"\u2039<*>\u203a","MutationID":<*>}', chan=5, f=EVF, mk='=')
        self.FINSCHEMA = ev('{"Timestamp":<*>,"EventType":"finish_schema_change","InstanceID":<*>,"DescriptorID":<*>,'
                            '"MutationID":<*>}', chan=5, f=EVF, mk='=')
        self.SETTING = ev('{"Timestamp":<*>,"EventType":"set_cluster_setting","Statement":"<*>","Tag":"<*>",'
                          '"User":"\u2039<*>\u203a","SettingName":"<*>","Value":"\u2039<*>\u203a"}', chan=1, f=EVF,
                          mk='=')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 1.6 * 3600
        timed = []
        NODES = {k: ('crdb%d.example.com' % k, '10.0.2.%d' % (10 + k)) for k in range(1, 6)}
        T0 = epoch(self.start)
        gids = {'rt': rng.randint(300, 400), 'gossip': rng.randint(30, 60), 'jobs': rng.randint(2000, 2500)}

        def nanos(off=0.0):
            return AtTs(lambda ts: '%d%09d' % (int(epoch(ts) - off), int(round(((epoch(ts) - off) % 1) * 1e9))
                                               % 1000000000))

        def sess_id():
            return '%016x%016x' % (rng.getrandbits(60) | (0x17b << 52), rng.randint(1, 5))

        def g():
            return rng.randint(1000, 990000)

        # ---------------- start-up: n1 was restarted for the patch upgrade; a new log file
        st = [R(self.CREATED, [AtTs(lambda ts: ts.strftime('%Y/%m/%d %H:%M:%S'))]),
              R(self.MACHINE, ['crdb1']),
              R(self.BINARY, ['CCL', 'v22.2.12', 'x86_64-pc-linux-gnu', '2023/07/21 16:43:51', 'go1.19.10']),
              R(self.ARGS, ['[%s]' % ' '.join('\u2039%s\u203a' % a for a in [
                  '/cockroach/cockroach', 'start', '--certs-dir=/cockroach/certs',
                  '--advertise-addr=crdb1.example.com', '--join=crdb1.example.com,crdb2.example.com,crdb3.example.com',
                  '--cache=.25', '--max-sql-memory=.25', '--locality=region=eu-west,zone=eu-west-1a'])]),
              R(self.LOGFMT, ['crdb-v2']), R(self.LINEFMT, [])]
        for r in st:
            r.dt = 0.00002
        st += [R(self.ENGINES, [1], dt=0.41), R(self.CACHE, ['3.9 GiB'], dt=0.0002),
               R(self.STORE, [0, 'max size 0 B, max open file limit 1043576'], dt=0.0001),
               R(self.STORE, [0, '{Encrypted:false ReadOnly:false FileStoreProperties:{path=\u2039/cockroach/cockroach-'
                                 'data\u203a, fs=ext4, blkdev=\u2039/dev/nvme1n1\u203a, mnt=\u2039/cockroach/cockroach-'
                                 'data\u203a opts=\u2039rw,relatime,discard\u203a}}'], dt=0.0001),
               R(self.CLOCK, [], dt=1.92, h={'g': 1}),
               R(self.GCLIENT, [3, NODES[3][0] + ':26257'], dt=0.08, h={'g': gids['gossip']}),
               R(self.RESTART, [nanos(), 1, nanos(3.3), nanos(41.7)], dt=0.9, h={'g': rng.randint(400, 900)}),
               R(self.NOUPGRADE, [], dt=0.02, h={'g': rng.randint(400, 900)})]
        here, ip1 = NODES[1]
        rows = [
            'CockroachDB node starting at %s (took 3.4s)',
            'build:               CCL v22.2.12 @ 2023/07/21 16:43:51 (go1.19.10)',
            'webui:               https://%s:8080' % here,
            'sql:                 postgresql://root@%s:26257/defaultdb?sslcert=%%2Fcockroach%%2Fcerts%%2Fclient.root'
            '.crt&sslkey=%%2Fcockroach%%2Fcerts%%2Fclient.root.key&sslmode=verify-full&sslrootcert=%%2Fcockroach%%2F'
            'certs%%2Fca.crt' % here,
            'sql (JDBC):          jdbc:postgresql://%s:26257/defaultdb?sslcert=%%2Fcockroach%%2Fcerts%%2Fclient.root'
            '.crt&sslkey=%%2Fcockroach%%2Fcerts%%2Fclient.root.key&sslmode=verify-full&sslrootcert=%%2Fcockroach%%2F'
            'certs%%2Fca.crt&user=root' % here,
            'RPC client flags:    \u2039/cockroach/cockroach\u203a <client cmd> --host=%s:26257 '
            '--certs-dir=\u2039/cockroach/certs\u203a' % here,
            'logs:                \u2039/cockroach/cockroach-data/logs\u203a',
            'temp dir:            \u2039/cockroach/cockroach-data/cockroach-temp%d\u203a' % rng.randint(10 ** 8, 10 ** 9),
            'external I/O path:   \u2039/cockroach/cockroach-data/extern\u203a',
            'store[0]:            \u2039path=/cockroach/cockroach-data\u203a',
            'storage engine:      pebble',
            'clusterID:           \u2039%s\u203a' % uuid4(rng),
            'status:              restarted pre-existing node',
            'nodeID:              1']
        first = rows[0]
        conts = [Lazy(lambda ctx: '%s +%s' % (self._pre, first % (
            (ctx.ts.strftime('%Y-%m-%d %H:%M:%S.') + '%06d' % ctx.ts.microsecond)[:-4] + ' +0000 UTC')))]
        conts += [self.cont(x) for x in rows[1:]]
        st.append(R(self.STARTED, [], conts=conts, dt=0.3, h={'g': 1}))

        # ---------------- every 10 s: runtime stats
        rss = 5.2 * 2 ** 30
        for t in periodic(rng, 0, D, 10, phase=rng.uniform(0, 10), jitter=0.002):
            rss += rng.uniform(-40, 46) * 2 ** 20
            goal = rng.uniform(1.6, 2.6) * 2 ** 30
            cgo = rng.uniform(2.7, 3.0) * 2 ** 30
            timed.append((t, [R(self.RUNTIME, [
                hbytes(rss), rng.randint(820, 1350), hbytes(rng.uniform(14, 26) * 2 ** 20), hbytes(goal),
                hbytes(goal * rng.uniform(1.25, 1.45)), hbytes(rng.uniform(30, 60) * 2 ** 20),
                hbytes(rng.uniform(400, 620) * 2 ** 20), hbytes(rng.uniform(200, 420) * 2 ** 20), hbytes(cgo),
                hbytes(cgo * rng.uniform(1.1, 1.2)), '%.1f' % rng.uniform(1500, 9000), '%.1f' % rng.uniform(30, 140),
                '%.1f' % rng.uniform(5, 25), '%.1f' % rng.uniform(0.1, 1.8), rng.choice([0, 1, 1, 1, 2]),
                hbytes(rng.uniform(4, 22) * 2 ** 20), hbytes(rng.uniform(3, 19) * 2 ** 20)], h={'g': gids['rt']})]))

        # ---------------- rolling upgrade of the other nodes, one every ~15 min, seen from n1
        gstate = {'client': 3}
        down = []
        for k, n in enumerate([2, 3, 4, 5]):
            t = 0.08 * D + k * rng.uniform(800, 1000)
            dur = rng.uniform(40, 75)
            down.append((n, t, t + dur))
            host = NODES[n][0] + ':26257'
            err = ('initial connection heartbeat failed: \u2039rpc error: code = Unavailable desc = connection '
                   'error: desc = "transport: Error while dialing dial tcp %s:26257: connect: connection refused"'
                   '\u203a' % NODES[n][1])
            dial = 'failed to connect to n%d at \u2039%s\u203a: %s' % (n, host, err)
            if gstate['client'] == n:
                other = [x for x in (2, 3, 4, 5) if x != n][rng.randint(0, 2)]
                timed.append((t + 0.4, [R(self.GCLOSE, [n, host, '\u2039rpc error: code = Unavailable desc = error '
                                                                  'reading from server: EOF\u203a'],
                                          h={'g': gids['gossip']}),
                                        R(self.GCLIENT, [other, NODES[other][0] + ':26257'], dt=rng.uniform(1, 2.5),
                                          h={'g': gids['gossip']})]))
                gstate['client'] = other
            tt = t + rng.uniform(2, 4)
            while tt < t + dur:
                timed.append((tt, [R(self.DIAL, [n, dial], h={'g': g(), 'tags': 'n1'})]))
                tt += rng.uniform(4, 14)
            timed.append((t + 8 + rng.uniform(0, 2), [R(self.HEALTH, [
                '{Alerts:[{StoreID:0 Category:\u2039METRICS\u203a Description:\u2039liveness.livenodes\u203a Value:4 '
                'XXX_NoUnkeyedLiteral:{} XXX_sizecache:0}]}'], h={'g': gids['rt'] + 3})]))
            if rng.random() < 0.7:
                timed.append((t + rng.uniform(3, 20), [R(self.SLOWHB, [go_dur(rng.uniform(1.02, 2.9)), '<nil>'],
                                                         h={'g': g()})]))

        def gossip_rows(t):
            c = gstate_at(t)
            peers = [n for n in (2, 3, 4, 5) if n != c and not any(a <= t <= b and x == n for x, a, b in down)]
            srv = rng.sample(peers, min(len(peers), rng.randint(1, 2)))
            since = max([0.0] + [tt for tt, n in moves if tt <= t])
            out = ['gossip client (1/3 cur/max conns)',
                   '  %d: %s:26257 (%s: infos %d/%d sent/received, bytes %dB/%dB sent/received)' % (
                       c, NODES[c][0], go_dur(float(int(t - since + 3))),
                       rng.randint(40, 400), rng.randint(300, 3000), rng.randint(9000, 90000), rng.randint(60000, 900000)),
                   'gossip server (%d/3 cur/max conns, infos %d/%d sent/received, bytes %dB/%dB sent/received)' % (
                       len(srv), rng.randint(2000, 9000), rng.randint(400, 2000), rng.randint(600000, 3000000),
                       rng.randint(90000, 400000))]
            for n in srv:
                a0 = max([0.0] + [bb for x, aa, bb in down if x == n and bb <= t])
                out.append('  %d: %s:26257 (%s)' % (n, NODES[n][0], go_dur(float(int(rng.uniform(a0, t) - a0 + 2)))))
            return out, 4 - sum(1 for x, a, b in down if a <= t <= b)

        moves = []

        def gstate_at(t):
            c = 3
            for tt, n in moves:
                if tt <= t:
                    c = n
            return c
        # the gossip client's peer over time (it moves when its peer restarts)
        c = 3
        for n, a, b in down:
            if c == n:
                c = [x for x in (2, 3, 4, 5) if x != n][rng.randint(0, 2)]
                moves.append((a + 2, c))
        for t in periodic(rng, 0, D, 60, phase=rng.uniform(0, 60), jitter=0.01):
            rows_, live = gossip_rows(t)
            timed.append((t, [R(self.GOSSIP, ['ok', live + 1], conts=[self.cont(x) for x in rows_],
                                h={'g': gids['gossip']})]))

        # ---------------- SQL sessions (authentication logging is on)
        apps = [('orders-api', 'app', ['10.0.5.%d' % rng.randint(10, 60) for _ in range(3)]),
                ('billing-worker', 'billing', ['10.0.5.%d' % rng.randint(70, 90)]),
                ('metabase', 'report', ['10.0.6.14'])]
        HBA = 'HBA rule: \u2039host  all all  all cert-password # built-in CockroachDB default\u203a'

        def session(t, app, user, ip, dur, queries=(), fail=False):
            ra = '%s:%d' % (ip, port(rng))
            sid = sess_id()
            tg = 'n1,client=\u2039%s\u203a' % ra
            tgu = tg + ',hostssl,user=\u2039%s\u203a' % user
            gg = g()
            method = 'cert-password'
            ch = [R(self.CSTART, [nanos(), 1, 'tcp', ra, sid], h={'g': gg, 'tags': tg}),
                  R(self.AINFO, [nanos(), 1, 'tcp', ra, sid, 'hostssl', user, user, method, HBA],
                    h={'g': gg, 'tags': tgu}, dt=rng.uniform(0.002, 0.01))]
            if fail:
                ch.append(R(self.AFAIL, [nanos(), 1, 'tcp', ra, sid, 'hostssl', user, user, 'CREDENTIALS_INVALID',
                                         'password authentication failed for user \u2039%s\u203a' % user, method],
                            h={'g': gg, 'tags': tgu}, dt=rng.uniform(0.05, 0.2)))
                ch.append(R(self.CEND, [nanos(), 1, 'tcp', ra, sid, rng.randint(60000000, 250000000)],
                            h={'g': gg, 'tags': tg}, dt=0.001))
                return ch
            ch.append(R(self.AOK, [nanos(), 1, 'tcp', ra, sid, 'hostssl', user, user, method],
                        h={'g': gg, 'tags': tgu}, dt=rng.uniform(0.03, 0.12)))
            used = 0.0
            for dt, vals, fts in queries:
                ch.append(R(self.SLOWQ_FTS if fts else self.SLOWQ, vals, h={'g': gg, 'tags': tgu, 'chan': 10}, dt=dt))
                used += dt
            if dur is not None:
                d = max(dur, used + 0.01)
                dn = int(d * 1e9)
                ch.append(R(self.SEND, [nanos(), 1, 'tcp', ra, sid, dn], h={'g': gg, 'tags': tgu},
                            dt=max(0.001, d - used)))
                ch.append(R(self.CEND, [nanos(), 1, 'tcp', ra, sid, dn + rng.randint(10000, 90000)],
                            h={'g': gg, 'tags': tg}, dt=0.00005))
            return ch

        def slowq(user, app, stmt, tag, rows, age, fts=False, ph=None):
            vals = [nanos(), stmt, tag, user, app]
            if fts:
                vals.append(ph)
            return vals + ['exec', rows, '%.3f' % age, rng.randint(1, 40)]

        # orders-api: a pool of connections, recycled after ~30 min; queries slower than 500 ms are logged
        for t in poisson(rng, -1800, D, 75):
            ip = rng.choice(apps[0][2])
            life = rng.uniform(1500, 1900)
            if t < 0:
                continue
            qs = []
            for k in range(weighted(rng, [(0, 6), (1, 3), (2, 1)])):
                age = rng.uniform(760, 2400)
                oid = rng.randint(480000, 500000)
                stmt, tag, rows = weighted(rng, [
                    (('SELECT o.id, o.status, o.total FROM orders.public.orders AS o WHERE o.customer_id = '
                      '\u2039%d\u203a ORDER BY o.created_at DESC LIMIT \u203910\u203a' % rng.randint(1000, 90000),
                      'SELECT', rng.randint(0, 10)), 3),
                    (('UPDATE orders.public.orders SET status = \u2039\'shipped\'\u203a WHERE id = \u2039%d\u203a'
                      % oid, 'UPDATE', 1), 2),
                    (('INSERT INTO orders.public.order_items(order_id, sku, qty) VALUES (\u2039%d\u203a, '
                      '\u2039\'SKU-%05d\'\u203a, \u2039%d\u203a)' % (oid, rng.randint(1, 99999), rng.randint(1, 4)),
                      'INSERT', 1), 1)])
                qs.append((rng.uniform(20, life / 2), slowq('app', 'orders-api', stmt, tag, rows, age), False))
            timed.append((t, session(t, 'orders-api', 'app', ip, life if t + life < D else None, qs)))
        # billing-worker: short connections every ~25 s
        for t in poisson(rng, 0, D, 40):
            qs = []
            if rng.random() < 0.12:
                qs.append((rng.uniform(0.2, 0.5), slowq('billing', 'billing-worker',
                                                        'SELECT id, amount, currency FROM billing.public.invoices WHERE '
                                                        'status = \u2039\'open\'\u203a AND due_at < now() FOR UPDATE',
                                                        'SELECT', rng.randint(0, 40), rng.uniform(760, 1400)), False))
            timed.append((t, session(t, 'billing-worker', 'billing', apps[1][2][0], rng.uniform(0.4, 2.5), qs)))
        # metabase: a report every 10 min, scanning the whole orders table until the index exists
        T_INDEX = 0.55 * D
        for t in periodic(rng, 0, D, 600, phase=rng.uniform(0, 600), jitter=3):
            fts = t < T_INDEX + 60
            n = rng.randint(1, 3)
            qs = []
            for k in range(n):
                day = rng.randint(1, 10)
                if fts:
                    qs.append((rng.uniform(0.1, 2), slowq('report', 'Metabase v0.48.6',
                                                          'SELECT count(*), sum(total) FROM orders.public.orders WHERE '
                                                          'created_at >= $1 AND created_at < $2', 'SELECT', 1,
                                                          rng.uniform(2500, 9000), True,
                                                          '"\u2039\'2024-03-%02d 00:00:00\'\u203a","\u2039\'2024-03-%02d '
                                                          '00:00:00\'\u203a"' % (day, day + 1)), True))
                elif rng.random() < 0.3:
                    qs.append((rng.uniform(0.1, 2), slowq('report', 'Metabase v0.48.6',
                                                          'SELECT date_trunc(\u2039\'day\'\u203a, created_at) AS d, '
                                                          'count(*) FROM orders.public.orders GROUP BY d ORDER BY d',
                                                          'SELECT', rng.randint(60, 90), rng.uniform(600, 1200)),
                               False))
            timed.append((t, session(t, 'metabase', 'report', '10.0.6.14', rng.uniform(3, 15), qs)))
        # someone tries an old password twice
        for t in [0.37 * D, 0.37 * D + 14]:
            timed.append((t, session(t, 'psql', 'report', '10.0.6.77', None, fail=True)))

        # ---------------- jobs: automatic statistics, row-level TTL, the index build
        def job(t, kind, steps, gap):
            jid = rng.randint(950000000000000000, 951999999999999999)
            ch = []
            for k, stt in enumerate(steps):
                ch.append(R(self.JOB, [kind, jid, stt], h={'g': gids['jobs'] + rng.randint(0, 900)},
                            dt=None if not k else rng.uniform(*gap)))
            timed.append((t, ch))
        for t in poisson(rng, 0, D, 330):
            job(t, 'AUTO CREATE STATS', ['running', 'succeeded'], (0.4, 9))
        for t in periodic(rng, 0, D, 3600, phase=rng.uniform(0, 3600), jitter=2):
            job(t, 'ROW LEVEL TTL', ['running', 'succeeded'], (4, 40))
        job(0.72 * D, 'AUTO SQL STATS COMPACTION', ['running', 'succeeded'], (1, 3))
        # the operator adds an index to orders (the reports' full scans stop), and raises the slow-query threshold
        t = T_INDEX
        root = 'n1,client=\u2039%s:%d\u203a,hostssl,user=\u2039root\u203a' % ('10.0.6.2', port(rng))
        stmt = 'CREATE INDEX \u2039orders_created_at_idx\u203a ON orders.public.orders (created_at) STORING (total)'
        timed.append((t, [R(self.CINDEX, [nanos(), stmt, 'CREATE INDEX', 'root', 112, 'orders.public.orders',
                                          'orders_created_at_idx', 1], h={'g': g(), 'tags': root})]))
        job(t + 0.05, 'SCHEMA CHANGE', ['running'], (1, 2))
        jid_t = t + rng.uniform(40, 70)
        timed.append((jid_t, [R(self.FINSCHEMA, [nanos(), 1, 112, 1], h={'g': g()})]))
        job(jid_t + 0.01, 'SCHEMA CHANGE', ['succeeded'], (1, 2))
        t = 0.62 * D
        timed.append((t, [R(self.SETTING, [nanos(), js('SET CLUSTER SETTING "sql.log.slow_query.latency_threshold" = '
                                                       '\u2039\'750ms\'\u203a'), 'SET CLUSTER SETTING', 'root',
                                           'sql.log.slow_query.latency_threshold', '750ms'],
                            h={'g': g(), 'tags': root})]))

        # ---------------- ranges: load-based splits of the hot orders range, rebalancing to spread them
        rid = [1290]

        def span(a, b):
            return '\u2039/Table/112/1/{%d\u2026-%d\u2026}\u203a' % (a // 100, b // 100)

        for t in poisson(rng, 0, D, 900):
            a = rng.randint(470000, 490000)
            b = a + rng.randint(9000, 30000)
            key = rng.randint(a + 2000, b - 2000)
            r0 = rng.randint(1200, 1280)
            rid[0] += rng.randint(1, 6)
            reason = weighted(rng, [
                ('load at key /Table/112/1/\u2039%d\u203a (\u2039%.2f\u203a splitQPS, \u2039%.2f\u203a batches/sec, '
                 '\u2039%.2f\u203a raft mutations/sec)' % (key, rng.uniform(2500, 4000), rng.uniform(1000, 3000),
                                                           rng.uniform(100, 900)), 3),
                ('\u2039512 MiB\u203a above threshold size \u2039512 MiB\u203a', 1)])
            tags = 'n1,%ss1,r%d/1:%s' % ('split,' if 'above' in reason else '', r0, span(a, b))
            timed.append((t, [R(self.SPLIT, ['/Table/112/1/\u2039%d\u203a' % key, rid[0], reason],
                                h={'g': g(), 'tags': tags})]))

        def desc(r, sp, reps, nxt, gen):
            return 'r%d:%s [%s, next=%d, gen=%d]' % (r, sp, ', '.join(reps), nxt, gen)

        for t in poisson(rng, 0.05 * D, D, 1100):
            a = rng.randint(470000, 500000)
            sp = span(a, a + rng.randint(5000, 20000))
            r = rng.randint(1200, 1350)
            others = rng.sample([2, 3, 4, 5], 3)
            frm, to = others[2], [x for x in (2, 3, 4, 5) if x not in others][0]
            rep = ['(n1,s1):1', '(n%d,s%d):2' % (others[0], others[0]), '(n%d,s%d):3' % (others[1], others[1])]
            rep[2] = '(n%d,s%d):3' % (frm, frm)
            gen = rng.randint(40, 120)
            tags = 'n1,replicate,s1,r%d/1:%s' % (r, sp)
            h = {'g': g(), 'tags': tags}
            size = rng.uniform(40, 420) * 2 ** 20
            secs = size / (rng.uniform(28, 60) * 2 ** 20)
            snap = hexs(rng, 8)
            ch = [R(self.CHANGE, ['[(n%d,s%d):4LEARNER]' % (to, to), '[]', desc(r, sp, rep, 4, gen)], h=h),
                  R(self.STREAMED, ['INITIAL', snap, rng.randint(20, 90), '(n%d,s%d):4LEARNER' % (to, to),
                                    hbytes(size), '%.2fs' % secs, hbytes(size / secs), rng.randint(200000, 2000000), 0,
                                    '256 MiB', '0.00s'], h=h, dt=secs),
                  R(self.CHANGE, ['[(n%d,s%d):4VOTER_INCOMING]' % (to, to), '[(n%d,s%d):3VOTER_DEMOTING_LEARNER]' % (frm, frm),
                                  desc(r, sp, rep + ['(n%d,s%d):4LEARNER' % (to, to)], 5, gen + 1)], h=h,
                    dt=rng.uniform(0.01, 0.05))]
            rep2 = rep[:2] + ['(n%d,s%d):3VOTER_DEMOTING_LEARNER' % (frm, frm), '(n%d,s%d):4VOTER_INCOMING' % (to, to)]
            ch.append(R(self.CHANGE, ['[]', '[]', desc(r, sp, rep2, 5, gen + 2)], h=h, dt=rng.uniform(0.01, 0.05)))
            rep3 = rep[:2] + ['(n%d,s%d):3LEARNER' % (frm, frm), '(n%d,s%d):4' % (to, to)]
            ch.append(R(self.CHANGE, ['[]', '[(n%d,s%d):3LEARNER]' % (frm, frm), desc(r, sp, rep3, 5, gen + 3)], h=h,
                        dt=rng.uniform(0.01, 0.05)))
            timed.append((t, ch))
        # n1 receives new replicas too
        for t in poisson(rng, 0.05 * D, D, 800):
            r = rng.randint(1200, 1350)
            frm = rng.choice([2, 3, 4, 5])
            size = rng.uniform(40, 420) * 2 ** 20
            secs = size / (rng.uniform(28, 60) * 2 ** 20)
            timed.append((t, [R(self.APPLIED, ['INITIAL', hexs(rng, 8), '(n%d,s%d):%d' % (frm, frm, rng.randint(1, 3)),
                                               rng.randint(20, 90), '%dms' % int(secs * 1000), hbytes(size),
                                               '%d@%dms' % (rng.randint(4, 9), int(secs * 980))],
                                h={'g': g(), 'tags': 'n1,s1,r%d/%d:{-}' % (r, rng.randint(4, 7))})]))

        def filler(t):
            return t, [R(self.RUNTIME, ['5.2 GiB', 900, '18 MiB', '2.0 GiB', '2.8 GiB', '40 MiB', '500 MiB', '300 MiB',
                                        '2.8 GiB', '3.2 GiB', '2000.0', '50.0', '10.0', '0.5', 1, '8.0 MiB', '6.0 MiB'],
                                h={'g': gids['rt']})]

        return st, timed, [], filler


# ----------------------------------------------------------------------------
# 3. Fluent Bit 2.2 DaemonSet pod on a Kubernetes node, shipping to Elasticsearch
# ----------------------------------------------------------------------------

class FluentBit(System):
    name = 'FluentBit'
    seed = 10303
    start = datetime(2024, 3, 11, 4, 2, 11, 318000)
    header_re = (r'^\[(?P<ts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)\] (?:\[(?P<level> info| warn|error|debug|trace)\] )?'
                 r'(?:\[(?P<plugin>(?:input|filter|output|custom|processor):[\w-]+:[\w.-]+)\] )?(?P<msg>.+)$')

    def header(self, meta, ts, h):
        lvl = h.get('lvl', meta.get('lvl', 'info'))
        plg = h.get('plg', meta.get('plg'))
        return '[%s] %s%s' % (ts.strftime('%Y/%m/%d %H:%M:%S'), ('[%5s] ' % lvl) if lvl else '',
                               ('[%s] ' % plg) if plg else '')

    def ts_key(self, m):
        return m.group('ts')

    def in_chunk_gap(self):
        return self.rng.uniform(0.0001, 0.004)

    def extra_check(self, lines, rows, fail):
        for i, (ln, cont) in enumerate(zip(lines, self.is_cont), 1):
            if cont:
                try:
                    json.loads(ln)
                except ValueError:
                    fail('line %d: the response body is not JSON' % i)

    def define(self):
        ev = self.ev
        TAIL = dict(plg='input:tail:tail.0')
        K8S = dict(plg='filter:kubernetes:kubernetes.0')
        ES = dict(plg='output:es:es.0')
        W = 'warn'
        E = 'error'
        self.VERSION = ev('[fluent bit] version=<*>, commit=<*>, pid=<*>')
        self.STORAGE = ev('[storage] ver=<*>, type=<*>, sync=<*>, checksum=<*>, max_chunks_up=<*>')
        self.CMETRICS = ev('[cmetrics] version=<*>')
        self.CTRACES = ev('[ctraces ] version=<*>')
        self.INIT = ev('initializing')
        self.STRATEGY = ev("storage_strategy='<*>' (<*>)")
        self.MLCORE = ev('multiline core started', **TAIL)
        self.STALE = ev('db: delete unmonitored stale inodes from the database: count=<*>', **TAIL)
        self.K8SCONF = ev('https=<*> host=<*> port=<*>', **K8S)
        self.TOKEN = ev(' token updated', **K8S)
        self.PODINFO = ev('local POD info OK', **K8S)
        self.TESTING = ev('testing connectivity with API server...', **K8S)
        self.CONNOK = ev('connectivity OK', **K8S)
        self.WORKER = ev('worker #<*> started', **ES)
        self.HTTPSRV = ev('[http_server] listen iface=<*> tcp_port=<*>')
        self.SP = ev('[sp] stream processor started')
        self.FSADD = ev('inotify_fs_add(): inode=<*> watch_fd=<*> name=<*>', **TAIL)
        self.FSREM = ev('inotify_fs_remove(): inode=<*> watch_fd=<*>', **TAIL)
        self.ROTATE = ev('inode=<*> handle rotation(): <*> => <*>', **TAIL)
        self.LONG = ev('file=<*> have long lines. Skipping long lines.', lvl=W, **TAIL)
        self.NOMETA = ev('could not get meta for POD <*>', lvl=W, **K8S)
        self.KUBEERR = ev('kube api upstream connection error', lvl=E, **K8S)
        self.DNS = ev("[net] getaddrinfo(host='<*>', err=<*>): <*>", lvl=W)
        self.FAILFLUSH = ev("[engine] failed to flush chunk '<*>', retry in <*> seconds: task_id=<*>, input=<*> > "
                            "output=<*> (out_id=<*>)", lvl=W)
        self.RETRYOK = ev("[engine] flush chunk '<*>' succeeded at retry <*>: task_id=<*>, input=<*> > output=<*> "
                          "(out_id=<*>)")
        self.NORETRY = ev("[engine] chunk '<*>' cannot be retried: task_id=<*>, input=<*> > output=<*>", lvl=E)
        self.HTTPERR = ev('HTTP status=<*> URI=<*>, response:', lvl=E, **ES)
        self.BUFWARN = ev('[http_client] cannot increase buffer: current=<*> requested=<*> max=<*>', lvl=W)
        self.UPTIMEOUT = ev('[upstream] connection #<*> to <*> timed out after <*> seconds (connection timeout)', lvl=E)
        self.NETFAIL = ev('[net] TCP connection failed: <*>:<*> (<*>)', lvl=E)
        self.NOUPSTREAM = ev('no upstream connections available', lvl=E, **ES)
        self.PAUSED = ev('[input] <*> paused (mem buf overlimit)', lvl=W)
        self.RESUMED = ev('[input] <*> resume (mem buf overlimit)')
        self.SIGNAL = ev('[engine] caught signal (<*>)', lvl=None)
        self.PAUSING = ev('[input] pausing <*>')
        self.WILLSTOP = ev('[engine] service will shutdown in max <*> seconds')
        self.STOPPED = ev('[engine] service has stopped (<*> pending tasks)')
        self.WSTOPPING = ev('thread worker #<*> stopping...', **ES)
        self.WSTOPPED = ev('thread worker #<*> stopped', **ES)

    def plan(self):
        rng = self.rng
        R = Rec
        D = 6.0 * 3600
        timed = []
        ES_HOST, ES_IP = 'es-coord.logging.example.com', '10.0.7.20'
        TAIL, SYSD, ESP = 'input:tail:tail.0', 'input:systemd:systemd.1', 'output:es:es.0'

        def wfd():
            return Lazy(lambda ctx: ctx.counter('wfd', 0))

        def inode():
            return rng.randint(1048000, 9990000)

        def cid():
            return hexs(rng, 64)

        def pod_suffix():
            return '%s-%s' % (hexs(rng, 10)[:rng.choice([9, 10])], ''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789')
                                                                            for _ in range(5)))

        # the node's long-running containers: (pod, namespace, container, rotates every ~s, long lines?)
        long_running = [
            ('orders-api-7d9f8c6b5d-%s' % pod_suffix()[-5:], 'shop', 'orders-api', 2400, False),
            ('orders-api-7d9f8c6b5d-%s' % pod_suffix()[-5:], 'shop', 'orders-api', 2600, False),
            ('cart-api-5b8c9d7f4-%s' % pod_suffix()[-5:], 'shop', 'cart-api', 3600, False),
            ('cart-api-5b8c9d7f4-%s' % pod_suffix()[-5:], 'shop', 'envoy', 1500, False),
            ('search-indexer-0', 'shop', 'indexer', 4000, True),
            ('ingress-nginx-controller-6f7d8c9b5-%s' % pod_suffix()[-5:], 'ingress-nginx', 'controller', 1300, False),
            ('coredns-6799fbcd5-%s' % pod_suffix()[-5:], 'kube-system', 'coredns', 0, False),
            ('kube-proxy-%s' % pod_suffix()[-5:], 'kube-system', 'kube-proxy', 0, False),
            ('calico-node-%s' % pod_suffix()[-5:], 'kube-system', 'calico-node', 9000, False),
            ('node-exporter-%s' % pod_suffix()[-5:], 'monitoring', 'node-exporter', 0, False),
            ('fluent-bit-%s' % pod_suffix()[-5:], 'logging', 'fluent-bit', 0, False),
            ('keycloak-0', 'auth', 'keycloak', 5200, True),
            ('rabbitmq-1', 'queue', 'rabbitmq', 7000, False)]
        files = {}
        for pod, ns, c, rot, lng in long_running:
            files[(pod, c)] = {'path': '/var/log/containers/%s_%s_%s-%s.log' % (pod, ns, c, cid()), 'ns': ns,
                               'uid': uuid4(rng), 'rot': rot, 'long': lng, 'pod': pod, 'c': c}

        # ---------------- start-up (the DaemonSet was rolled for a config change)
        st = [R(self.VERSION, ['2.2.2', 'eb4b8ac0d7', 1]),
              R(self.STORAGE, ['1.5.1', 'memory', 'normal', 'off', 128]),
              R(self.CMETRICS, ['0.6.6']), R(self.CTRACES, ['0.4.0']),
              R(self.INIT, [], h={'plg': TAIL}), R(self.STRATEGY, ['memory', 'memory only'], h={'plg': TAIL}),
              R(self.MLCORE, []), R(self.STALE, [4]),
              R(self.INIT, [], h={'plg': SYSD}), R(self.STRATEGY, ['memory', 'memory only'], h={'plg': SYSD}),
              R(self.K8SCONF, [1, 'kubernetes.default.svc', 443]), R(self.TOKEN, []),
              R(self.PODINFO, []), R(self.TESTING, []), R(self.CONNOK, [], dt=0.03),
              R(self.WORKER, [0]), R(self.WORKER, [1]),
              R(self.HTTPSRV, ['0.0.0.0', 2020]), R(self.SP, [])]
        for f in files.values():
            f['inode'] = inode()
            f['wfd'] = wfd()
            st.append(R(self.FSADD, [f['inode'], f['wfd'], f['path']]))

        # ---------------- log rotation by the kubelet (container-log-max-size) of the busy containers
        def rotate(t, f):
            old, ow = f['inode'], f['wfd']
            f['inode'], f['wfd'] = inode(), wfd()
            stamp = (self.start + timedelta(seconds=t)).strftime('%Y%m%d-%H%M%S')
            dst = '/var/log/pods/%s_%s_%s/%s/0.log.%s' % (f['ns'], f['pod'], f['uid'], f['c'], stamp)
            return [R(self.ROTATE, [old, f['path'], dst]),
                    R(self.FSREM, [old, ow], dt=rng.uniform(0.0005, 0.01)),
                    R(self.FSADD, [f['inode'], f['wfd'], f['path']], dt=rng.uniform(0.5, 2.5))]

        for f in files.values():
            if not f['rot']:
                continue
            t = rng.uniform(0, f['rot'])
            while t < D:
                timed.append((t, rotate(t, f)))
                t += f['rot'] * rng.uniform(0.6, 1.5)
            if f['long']:
                for t in poisson(rng, 0, D, 2400):
                    timed.append((t, [R(self.LONG, [f['path']])]))

        # ---------------- CronJob pods come and go
        for job, ns, period in [('report-builder', 'batch', 900), ('queue-drain', 'batch', 300),
                                ('backup-etcd', 'kube-system', 1800), ('cert-check', 'ops', 600)]:
            for t in periodic(rng, 0, D, period, phase=rng.uniform(0, period), jitter=2):
                pod = '%s-%d-%s' % (job, 28520000 + int(t // 60), pod_suffix()[-5:])
                path = '/var/log/containers/%s_%s_%s-%s.log' % (pod, ns, job, cid())
                ino, w = inode(), wfd()
                ch = [R(self.FSADD, [ino, w, path])]
                if rng.random() < 0.08:
                    ch.append(R(self.NOMETA, [pod], dt=rng.uniform(0.5, 3)))
                ch.append(R(self.FSREM, [ino, w], dt=rng.uniform(60, 240) + 3 * period))
                timed.append((t, ch))

        # ---------------- the Kubernetes filter refreshes its token
        for t in periodic(rng, 0, D, 600, phase=rng.uniform(0, 600), jitter=1):
            timed.append((t, [R(self.TOKEN, [])]))

        # ---------------- Elasticsearch: buffer warnings, back-pressure (429), a coordinating node restart
        chunks = {'n': 0}

        def chunk(t):
            chunks['n'] += 1
            return '1-%d.%09d.flb' % (int(epoch(self.start) + t), rng.randint(0, 999999999))

        def task():
            return rng.randint(0, 63)

        busy = [(0.12 * D, 0.12 * D + 540), (0.41 * D, 0.41 * D + 780), (0.83 * D, 0.83 * D + 420)]
        for t in poisson(rng, 0, D, 70):
            n = 1 if not any(a <= t <= b for a, b in busy) else rng.randint(2, 4)
            for k in range(n):
                timed.append((t + k * rng.uniform(0.5, 3), [R(self.BUFWARN, [512000, 512000 + 4096 * rng.randint(
                    1, 120), 512000])]))
        reason = ('rejected execution of coordinating operation [coordinating_and_primary_bytes=%d, replica_bytes=0, '
                  'all_bytes=%d, coordinating_operation_bytes=%d, max_coordinating_and_primary_bytes=214748364]')

        def body429():
            a = rng.randint(200000000, 214748364)
            op = rng.randint(400000, 1800000)
            r = reason % (a, a, op)
            return json.dumps({'error': {'root_cause': [{'type': 'es_rejected_execution_exception', 'reason': r}],
                                         'type': 'es_rejected_execution_exception', 'reason': r}, 'status': 429},
                              separators=(',', ':'))

        def retry_secs(attempt):
            return rng.randint(2, min(2 ** (attempt + 3), 60))

        for a, b in busy:
            for t in poisson(rng, a, b, 11):
                c, tk = chunk(t), task()
                ch = [R(self.HTTPERR, [429, '/_bulk'], conts=[body429()]),
                      R(self.FAILFLUSH, [c, retry_secs(0), tk, 'tail.0', 'es.0', 0], dt=0.0005)]
                att = 1
                while True:
                    wait = ch[-1].vals[1]
                    if rng.random() < 0.75 or att >= 3:
                        ch.append(R(self.RETRYOK, [c, att, tk, 'tail.0', 'es.0', 0], dt=wait + rng.uniform(0, 0.9)))
                        break
                    ch.append(R(self.HTTPERR, [429, '/_bulk'], conts=[body429()], dt=wait + rng.uniform(0, 0.9)))
                    ch.append(R(self.FAILFLUSH, [c, retry_secs(att), tk, 'tail.0', 'es.0', 0], dt=0.0005))
                    att += 1
                timed.append((t, ch))

        # the coordinating node is restarted: connections refused, then timeouts while it starts, chunks pile up
        T_ES, ES_DOWN = 0.64 * D, 150.0
        conn = [rng.randint(300, 400)]
        for t in poisson(rng, T_ES, T_ES + ES_DOWN, 4.5):
            c, tk = chunk(t), task()
            ch = []
            if t < T_ES + 60:
                ch.append(R(self.NETFAIL, [ES_HOST, 9200, 'Connection refused']))
            else:
                conn[0] += rng.randint(1, 3)
                ch.append(R(self.UPTIMEOUT, [conn[0], 'tcp://%s:9200' % ES_IP, 10]))
                ch[-1].dt = 10
            ch.append(R(self.NOUPSTREAM, [], dt=0.0004))
            wait = retry_secs(0)
            ch.append(R(self.FAILFLUSH, [c, wait, tk, 'tail.0', 'es.0', 0], dt=0.0003))
            tt = t + wait
            att = 1
            while tt < T_ES + ES_DOWN and att < 5:
                ch.append(R(self.NOUPSTREAM, [], dt=wait + rng.uniform(0, 0.5)))
                wait = retry_secs(att)
                ch.append(R(self.FAILFLUSH, [c, wait, tk, 'tail.0', 'es.0', 0], dt=0.0003))
                tt += wait
                att += 1
            if tt < T_ES + ES_DOWN:
                ch.append(R(self.NOUPSTREAM, [], dt=wait))
                ch.append(R(self.NORETRY, [c, tk, 'tail.0', 'es.0'], dt=0.0004))
            else:
                ch.append(R(self.RETRYOK, [c, att, tk, 'tail.0', 'es.0', 0], dt=wait + rng.uniform(0, 0.5)))
            timed.append((t, ch))
        # tail hits its Mem_Buf_Limit while the output is stuck, and flaps
        tt = T_ES + 25
        while tt < T_ES + ES_DOWN + 20:
            timed.append((tt, [R(self.PAUSED, ['tail.0']), R(self.RESUMED, ['tail.0'], dt=rng.uniform(0.6, 4))]))
            tt += rng.uniform(2, 9)

        # ---------------- CoreDNS restarts: the filter cannot resolve the API server for a minute
        T_DNS = 0.29 * D
        for k in range(rng.randint(4, 6)):
            t = T_DNS + k * rng.uniform(8, 15)
            timed.append((t, [R(self.DNS, ['kubernetes.default.svc', 12, 'Timeout while contacting DNS servers']),
                              R(self.KUBEERR, [], dt=0.0002)]))

        # ---------------- the end: the DaemonSet is rolled again, this pod gets SIGTERM
        end = [R(self.SIGNAL, ['SIGTERM']),
               R(self.PAUSING, ['tail.0'], dt=0.0002), R(self.PAUSING, ['systemd.1'], dt=0.0001),
               R(self.WILLSTOP, [5], dt=0.0001),
               R(self.PAUSING, ['tail.0'], dt=1.0), R(self.PAUSING, ['systemd.1'], dt=0.0001),
               R(self.STOPPED, [0], dt=0.9),
               R(self.WSTOPPING, [0], dt=0.0002), R(self.WSTOPPING, [1], dt=0.0001),
               R(self.WSTOPPED, [0], dt=0.0003), R(self.WSTOPPED, [1], dt=0.0002)]

        def filler(t):
            return t, [R(self.BUFWARN, [512000, 548864, 512000])]

        return st, timed, end, filler


# ----------------------------------------------------------------------------
# 4. Keepalived 2.2 (VRRP + LVS health checks) on load balancer lb1, via rsyslog
# ----------------------------------------------------------------------------

class Keepalived(System):
    name = 'Keepalived'
    seed = 10404
    start = datetime(2024, 3, 11, 0, 0, 7)
    header_re = (r'^(?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<hms>\d\d:\d\d:\d\d) (?P<host>[\w.-]+) '
                 r'(?P<prog>Keepalived(?:_vrrp|_healthcheckers)?)\[(?P<pid>\d+)\]: (?P<msg>.+)$')

    def header(self, meta, ts, h):
        p = h.get('p', meta['p'])
        prog = {'main': 'Keepalived', 'vrrp': 'Keepalived_vrrp', 'hc': 'Keepalived_healthcheckers'}[p]
        return '%s %2d %s lb1 %s[%d]: ' % (MONTHS[ts.month - 1], ts.day, ts.strftime('%H:%M:%S'), prog, h['pids'][p])

    def ts_key(self, m):
        return (MONTHS.index(m.group('mon')), int(m.group('day')), m.group('hms'))

    def in_chunk_gap(self):
        return self.rng.uniform(0.0001, 0.002)

    def define(self):
        ev = self.ev
        V = dict(p='vrrp')
        H = dict(p='hc')
        M = dict(p='main')
        self.MASTER = ev('(<*>) Entering MASTER STATE', **V)
        self.BACKUP = ev('(<*>) Entering BACKUP STATE', **V)
        self.BACKUP_INIT = ev('(<*>) Entering BACKUP STATE (init)', **V)
        self.FAULT = ev('(<*>) Entering FAULT STATE', **V)
        self.SETVIPS = ev('(<*>) setting VIPs.', **V)
        self.REMVIPS = ev('(<*>) removing VIPs.', **V)
        self.QGARP = ev('(<*>) Sending/queueing gratuitous ARPs on <*> for <*>', **V)
        self.GARP = ev('Sending gratuitous ARP on <*> for <*>', **V)
        self.HIGHER = ev('(<*>) Master received advert from <*> with higher priority <*>, ours <*>', **V)
        self.PRIO0 = ev('(<*>) Backup received priority 0 advertisement', **V)
        self.TIMEOUT = ev('(<*>) Receive advertisement timeout', **V)
        self.SENT0 = ev('(<*>) sent 0 priority', **V)
        self.NOWRET = ev('Script `<*>` now returning <*>', **V)
        self.SFAILED = ev('VRRP_Script(<*>) failed (exited with status <*>)', **V)
        self.SOK = ev('VRRP_Script(<*>) succeeded', **V)
        self.STIMEOUT = ev('VRRP_Script(<*>) timed out', **V)
        self.PRIO = ev('(<*>) Changing effective priority from <*> to <*>', **V)
        self.NOTPRESENT = ev('(<*>) ip address associated with VRID <*> not present in MASTER advert : <*>', **V)
        self.BOGUS = ev('bogus VRRP packet received on <*> !!!', **V)
        self.NLDOWN = ev('Netlink reports <*> down', **V)
        self.NLUP = ev('Netlink reports <*> up', **V)
        self.REGNL = ev('Registering Kernel netlink reflector', **V)
        self.TCPOK = ev('TCP connection to [<*>]:tcp:<*> success.', **H)
        self.TCPFAIL = ev('TCP_CHECK on service [<*>]:tcp:<*> failed.', **H)
        self.HTTPOK = ev('HTTP status code success to [<*>]:tcp:<*> url(<*>).', **H)
        self.HTTPBAD = ev('HTTP status code error to [<*>]:tcp:<*> url(<*>), status_code [<*>].', **H)
        self.CONNERR = ev('Error connecting server [<*>]:tcp:<*>.', **H)
        self.CHKFAIL = ev('Check on service [<*>]:tcp:<*> failed after <*> retries.', **H)
        self.REMOVE = ev('Removing service [<*>]:tcp:<*> to VS [<*>]:tcp:<*>', **H)
        self.ADD = ev('Adding service [<*>]:tcp:<*> to VS [<*>]:tcp:<*>', **H)
        self.INITIPVS = ev('Initializing ipvs', **H)
        self.ACTIVATE = ev('Activating healthchecker for service [<*>]:tcp:<*> for VS [<*>]:tcp:<*>', **H)
        self.SHUTSVC = ev('Shutting down service [<*>]:tcp:<*> from VS [<*>]:tcp:<*>', **H)
        self.STARTING = ev('Starting <*>', **M)
        self.RUNNING = ev('Running on <*> (built for Linux <*>)', **M)
        self.CMDLINE = ev('Command line: <*>', **M)
        self.CONFFILE = ev('Configuration file <*>', **M)
        self.SECVIOL = ev('SECURITY VIOLATION - scripts are being executed but script_security not enabled.', **M)
        self.CHILD_HC = ev('Starting Healthcheck child process, pid=<*>', **M)
        self.CHILD_VRRP = ev('Starting VRRP child process, pid=<*>', **M)
        self.COMPLETE = ev('Startup complete', **M)
        self.STOPPING = ev('Stopping', **M)
        self.STOPPED_MAIN = ev('Stopped <*>', **M)
        self.STOPPED = ev('Stopped', p='vrrp')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 3 * 86400.0
        timed = []
        VER = 'Keepalived v2.2.8 (04/04,2023), git commit v2.2.7-154-g292b299e+'
        PIDS_OLD = {'main': 1183, 'hc': 1184, 'vrrp': 1185}
        PIDS_NEW = {'main': 2307, 'hc': 2308, 'vrrp': 2309}
        T_RESTART = 0.55 * D
        LB2, STAGING = '10.0.1.3', '10.0.1.7'
        VIPS = {'VI_1': ['10.0.1.100', '10.0.1.110'], 'VI_2': ['10.0.1.101']}
        PRIO = {'VI_1': 150, 'VI_2': 100}
        WEB = ['10.0.2.21', '10.0.2.22', '10.0.2.23', '10.0.2.24']
        DB = ['10.0.2.31', '10.0.2.32']
        VS_HTTP, VS_TLS, VS_DB = ('10.0.1.100', 80), ('10.0.1.100', 443), ('10.0.1.101', 5432)
        SERVICES = [(w, 8080, VS_HTTP) for w in WEB] + [(w, 8443, VS_TLS) for w in WEB] + [(d, 6432, VS_DB) for d in DB]

        def hh(t):
            return {'pids': PIDS_OLD if t < T_RESTART + 1 else PIDS_NEW}

        def rr(eid, vals, t, dt=None):
            return R(eid, vals, h=hh(t), dt=dt)

        # ---------------- becoming MASTER: VIPs, then gratuitous ARPs, repeated after garp_master_delay (5 s)
        def become_master(t, vi, why):
            ch = [rr(self.TIMEOUT, [vi], t)] if why == 'timeout' else []
            ch += [rr(self.MASTER, [vi], t), rr(self.SETVIPS, [vi], t)]
            for rep in range(2):
                for vip in VIPS[vi]:
                    ch.append(rr(self.QGARP, [vi, 'eth0', vip], t, dt=5.0 if rep and vip == VIPS[vi][0] else None))
                    for _ in range(5):
                        ch.append(rr(self.GARP, ['eth0', vip], t))
            return ch

        def garp_refresh(t, vi):
            ch = []
            for vip in VIPS[vi]:
                ch.append(rr(self.QGARP, [vi, 'eth0', vip], t))
                ch.append(rr(self.GARP, ['eth0', vip], t))
            return ch

        # VI_1 is MASTER except while eth1 is down and around the restart
        T_FAULT, FAULT_LEN = 0.27 * D, 38.0
        not_master = [(T_FAULT, T_FAULT + FAULT_LEN + 4), (T_RESTART, T_RESTART + 9)]
        for t in periodic(rng, 0, D, 1800, phase=rng.uniform(0, 1800), jitter=0.4):
            if not any(a - 60 <= t <= b + 60 for a, b in not_master):
                timed.append((t, garp_refresh(t, 'VI_1')))

        # ---------------- application deploys roll the four web backends, one after another
        def backend_cycle(t, ip, down, warm):
            """The health checkers see a backend go away for `down` seconds."""
            ch_http = []
            for k in range(3):
                ch_http.append(rr(self.CONNERR, [ip, 8080], t, dt=None if not k else 2.0 + rng.uniform(0, 0.05)))
            ch_http += [rr(self.CHKFAIL, [ip, 8080, 2], t, dt=0.001),
                        rr(self.REMOVE, [ip, 8080, VS_HTTP[0], VS_HTTP[1]], t, dt=0.0005)]
            back = down + rng.uniform(0, 5)
            for k in range(warm):
                ch_http.append(rr(self.HTTPBAD, [ip, 8080, 1, 503], t, dt=back if not k else 5.0))
                back = 0
            ch_http += [rr(self.HTTPOK, [ip, 8080, 1], t, dt=back or 5.0),
                        rr(self.ADD, [ip, 8080, VS_HTTP[0], VS_HTTP[1]], t, dt=0.0005)]
            ch_tcp = [rr(self.TCPFAIL, [ip, 8443], t),
                      rr(self.REMOVE, [ip, 8443, VS_TLS[0], VS_TLS[1]], t, dt=0.0004),
                      rr(self.TCPOK, [ip, 8443], t, dt=down + rng.uniform(-3, 3)),
                      rr(self.ADD, [ip, 8443, VS_TLS[0], VS_TLS[1]], t, dt=0.0004)]
            return [(t + rng.uniform(0, 5), ch_http), (t + rng.uniform(1, 4), ch_tcp)]

        for day in range(3):
            for hm in rng.sample([(9, 40), (11, 5), (13, 35), (15, 10), (16, 45)], 4):
                T = day * 86400 + hm[0] * 3600 + hm[1] * 60 + rng.uniform(0, 600) - 7
                for i, ip in enumerate(WEB):
                    timed += backend_cycle(T + i * rng.uniform(60, 80), ip, rng.uniform(22, 40),
                                           weighted(rng, [(0, 3), (1, 2), (2, 1)]))
        # pgbouncer on db-proxy2 is restarted once
        t = 0.47 * D
        ip = DB[1]
        timed.append((t, [rr(self.TCPFAIL, [ip, 6432], t), rr(self.REMOVE, [ip, 6432, VS_DB[0], VS_DB[1]], t),
                          rr(self.TCPOK, [ip, 6432], t, dt=rng.uniform(8, 15)),
                          rr(self.ADD, [ip, 6432, VS_DB[0], VS_DB[1]], t)]))

        # ---------------- the staging pair on the same VLAN comes up with VRID 51 by mistake, twice
        for T, L in [(0.18 * D, 170), (0.71 * D, 110)]:
            t = T
            while t < T + L:
                timed.append((t, [rr(self.NOTPRESENT, ['VI_1', 51, '10.0.1.200'], t),
                                  rr(self.BOGUS, ['eth0'], t)]))
                t += 1.0 + rng.uniform(-0.002, 0.002)

        # ---------------- chk_haproxy: the check script times out or fails now and then
        for t in poisson(rng, 0, D, 9000):
            if any(a - 120 <= t <= b + 120 for a, b in not_master):
                continue
            back = rng.uniform(4, 30)
            if rng.random() < 0.6:
                ch = [rr(self.STIMEOUT, ['chk_haproxy'], t)]
                up = [rr(self.SOK, ['chk_haproxy'], t, dt=back)]
            else:
                ch = [rr(self.NOWRET, ['chk_haproxy', 1], t), rr(self.SFAILED, ['chk_haproxy', 1], t)]
                up = [rr(self.NOWRET, ['chk_haproxy', 0], t, dt=back), rr(self.SOK, ['chk_haproxy'], t)]
            ch += [rr(self.PRIO, ['VI_1', 150, 130], t), rr(self.PRIO, ['VI_2', 100, 80], t)]
            ch += up + [rr(self.PRIO, ['VI_1', 130, 150], t), rr(self.PRIO, ['VI_2', 80, 100], t)]
            timed.append((t, ch))

        # ---------------- the backend link eth1 goes down for half a minute (a switch port flap)
        t = T_FAULT
        ch = [rr(self.NLDOWN, ['eth1'], t), rr(self.FAULT, ['VI_1'], t), rr(self.REMVIPS, ['VI_1'], t),
              rr(self.FAULT, ['VI_2'], t)]
        timed.append((t, ch))
        for ip, p, vs in SERVICES:
            tt = t + rng.uniform(0.5, 5)
            if p == 8080:
                ch = [rr(self.CONNERR, [ip, p], tt), rr(self.CONNERR, [ip, p], tt, dt=2.0),
                      rr(self.CONNERR, [ip, p], tt, dt=2.0), rr(self.CHKFAIL, [ip, p, 2], tt),
                      rr(self.REMOVE, [ip, p, vs[0], vs[1]], tt)]
                up = [rr(self.HTTPOK, [ip, p, 1], tt), rr(self.ADD, [ip, p, vs[0], vs[1]], tt)]
            else:
                ch = [rr(self.TCPFAIL, [ip, p], tt), rr(self.REMOVE, [ip, p, vs[0], vs[1]], tt)]
                up = [rr(self.TCPOK, [ip, p], tt), rr(self.ADD, [ip, p, vs[0], vs[1]], tt)]
            timed.append((tt, ch))
            timed.append((T_FAULT + FAULT_LEN + rng.uniform(1, 6), up))
        t = T_FAULT + FAULT_LEN
        timed.append((t, [rr(self.NLUP, ['eth1'], t), rr(self.BACKUP, ['VI_1'], t), rr(self.BACKUP, ['VI_2'], t)] +
                      [x for x in become_master(t + 3.6, 'VI_1', 'timeout')]))
        timed[-1][1][3].dt = 3.6

        # ---------------- lb2 is rebooted for a kernel update: lb1 takes VI_2 for four minutes
        t = 0.38 * D
        ch = [rr(self.PRIO0, ['VI_2'], t)] + become_master(t, 'VI_2', 'timeout')
        ch[1].dt = rng.uniform(0.6, 1.0)
        timed.append((t, ch))
        t2 = t + rng.uniform(220, 260)
        timed.append((t2, [rr(self.HIGHER, ['VI_2', LB2, 150, 100], t2), rr(self.BACKUP, ['VI_2'], t2),
                           rr(self.REMVIPS, ['VI_2'], t2)]))

        # ---------------- keepalived on lb1 is restarted after a config change
        t = T_RESTART
        old = {'pids': PIDS_OLD}
        new = {'pids': PIDS_NEW}
        ch = [R(self.STOPPING, [], h=old)]
        for ip, p, vs in SERVICES:
            ch.append(R(self.SHUTSVC, [ip, p, vs[0], vs[1]], h=old))
        ch += [R(self.SENT0, ['VI_1'], h=old), R(self.REMVIPS, ['VI_1'], h=old),
               R(self.STOPPED, [], h=dict(old, p='hc'), dt=0.3), R(self.STOPPED, [], h=old, dt=0.7),
               R(self.STOPPED_MAIN, [VER], h=old, dt=0.002)]
        ch += [R(self.STARTING, [VER], h=new, dt=0.4),
               R(self.RUNNING, ['Linux 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)', '6.1.0'],
                 h=new), R(self.CMDLINE, ["'/usr/sbin/keepalived' '--dont-fork'"], h=new),
               R(self.CONFFILE, ['/etc/keepalived/keepalived.conf'], h=new), R(self.SECVIOL, [], h=new),
               R(self.CHILD_HC, [PIDS_NEW['hc']], h=new), R(self.CHILD_VRRP, [PIDS_NEW['vrrp']], h=new),
               R(self.INITIPVS, [], h=new), R(self.COMPLETE, [], h=new), R(self.REGNL, [], h=new)]
        for ip, p, vs in SERVICES + [('10.0.2.25', 8080, VS_HTTP), ('10.0.2.25', 8443, VS_TLS)]:
            ch.append(R(self.ACTIVATE, [ip, p, vs[0], vs[1]], h=new))
        ch += [R(self.REMVIPS, ['VI_1'], h=new), R(self.REMVIPS, ['VI_2'], h=new),
               R(self.BACKUP_INIT, ['VI_1'], h=new), R(self.BACKUP_INIT, ['VI_2'], h=new)]
        timed.append((t, ch))
        t3 = T_RESTART + 5.5
        timed.append((t3, become_master(t3, 'VI_1', 'timeout')))
        # the new backend is not deployed yet: its checks fail until the app is rolled out to it
        t4 = T_RESTART + rng.uniform(4, 7)
        timed.append((t4, [rr(self.CONNERR, ['10.0.2.25', 8080], t4), rr(self.CONNERR, ['10.0.2.25', 8080], t4, dt=2),
                           rr(self.CONNERR, ['10.0.2.25', 8080], t4, dt=2),
                           rr(self.CHKFAIL, ['10.0.2.25', 8080, 2], t4),
                           rr(self.REMOVE, ['10.0.2.25', 8080, VS_HTTP[0], VS_HTTP[1]], t4),
                           rr(self.TCPFAIL, ['10.0.2.25', 8443], t4),
                           rr(self.REMOVE, ['10.0.2.25', 8443, VS_TLS[0], VS_TLS[1]], t4)]))
        t5 = T_RESTART + rng.uniform(1800, 2400)
        timed.append((t5, [rr(self.TCPOK, ['10.0.2.25', 8443], t5),
                           rr(self.ADD, ['10.0.2.25', 8443, VS_TLS[0], VS_TLS[1]], t5),
                           rr(self.HTTPBAD, ['10.0.2.25', 8080, 1, 503], t5, dt=1.2),
                           rr(self.HTTPOK, ['10.0.2.25', 8080, 1], t5, dt=5.0),
                           rr(self.ADD, ['10.0.2.25', 8080, VS_HTTP[0], VS_HTTP[1]], t5)]))

        def filler(t):
            return t, [rr(self.BOGUS, ['eth0'], t)]

        return [], timed, [], filler


# ----------------------------------------------------------------------------
# 5. Unbound 1.17 recursive resolver of an office network, logging to its own file
# ----------------------------------------------------------------------------

class Unbound(System):
    name = 'Unbound'
    seed = 10505
    start = datetime(2024, 3, 11, 7, 4, 52, 120000)
    header_re = (r'^\[(?P<ts>\d{10})\] unbound\[(?P<pid>\d+):(?P<tid>\d+)\] '
                 r'(?P<level>info|notice|warning|error|debug|query|reply): (?P<msg>.+)$')

    def header(self, meta, ts, h):
        return '[%d] unbound[%d:%d] %s: ' % (int(epoch(ts)), 6123, h.get('th', 0), meta.get('lvl', 'info'))

    def ts_key(self, m):
        return int(m.group('ts'))

    def in_chunk_gap(self):
        return self.rng.uniform(0.00002, 0.0006)

    def define(self):
        ev = self.ev
        N = dict(lvl='notice')
        E = dict(lvl='error')
        W = dict(lvl='warning')
        self.QUERY = ev('<*> <*> <*> <*>')
        self.REPLY = ev('<*> <*> <*> <*> <*> <*> <*> <*>')
        self.LOCAL = ev('<*> <*> <*>@<*> <*> <*> <*>')
        self.STATS1 = ev('server stats for thread <*>: <*> queries, <*> answers from cache, <*> recursions, <*> '
                         'prefetch, <*> rejected by ip ratelimiting')
        self.STATS2 = ev('server stats for thread <*>: requestlist max <*> avg <*> exceeded <*> jostled <*>')
        self.AVG = ev('average recursion processing time <*> sec')
        self.HIST = ev('histogram of recursion processing times')
        self.PCT = ev('[25%]=<*> median[50%]=<*> [75%]=<*>')
        self.HISTHDR = ev('lower(secs) upper(secs) recursions')
        self.HISTROW = ev('<*> <*> <*>')
        self.START = ev('start of service (unbound <*>).')
        self.STOPPED = ev('service stopped (unbound <*>).')
        self.RESTART = ev('Restart of unbound <*>.', **N)
        self.INITMOD = ev('init module <*>: <*>', **N)
        self.KEYTAG = ev('generate keytag query <*> <*> <*>')
        self.RCVBUF = ev('so-rcvbuf <*> was not granted. Got <*>. To fix: start with root permissions(linux) or sysctl '
                         'bigger net.core.rmem_max(linux) or kern.ipc.maxsockbuf(bsd) values.', **W)
        self.SNDBUF = ev('so-sndbuf <*> was not granted. Got <*>. To fix: start with root permissions(linux) or sysctl '
                         'bigger net.core.wmem_max(linux) or kern.ipc.maxsockbuf(bsd) values.', **W)
        self.SERVFAIL = ev('SERVFAIL <<*>>: <*>', **E)
        self.VALFAIL = ev('validation failure <<*>>: <*>')
        self.SENDTO = ev('sendto failed: <*>', **N)
        self.REMOTE = ev('remote address is <*> <*> port <*> (len <*>)', **N)
        self.TCPRESET = ev('read (in tcp s): <*> for <*> port <*>', **E)
        self.SSLFAIL = ev('ssl handshake failed crypto error:<*>', **E)
        self.SSLADDR = ev('ssl handshake failed <*> <*> port <*> (len <*>)')
        self.RATELIMIT = ev('ratelimit exceeded <*> <*> query <*> <*> <*>')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 2.3 * 3600
        timed = []
        VER = '1.17.1'
        clients = ['10.20.%d.%d' % (rng.choice([1, 2, 3, 4, 8]), rng.randint(10, 250)) for _ in range(60)]
        servers = ['10.0.%d.%d' % (rng.choice([3, 4, 5]), rng.randint(10, 60)) for _ in range(12)]
        # (name, types, weight): a few names are asked very often
        names = [('mail.example.com.', ['A', 'AAAA'], 30), ('intranet.example.com.', ['A', 'AAAA'], 22),
                 ('api.example.net.', ['A', 'AAAA', 'HTTPS'], 18), ('cdn.example.net.', ['A', 'AAAA', 'HTTPS'], 16),
                 ('login.example.org.', ['A', 'AAAA'], 10), ('git.example.com.', ['A', 'AAAA'], 8),
                 ('time.example.net.', ['A'], 6), ('repo.example.org.', ['A', 'AAAA'], 6),
                 ('chat.example.com.', ['A', 'AAAA', 'HTTPS'], 9), ('wiki.example.com.', ['A'], 4),
                 ('_ldap._tcp.dc._msdcs.corp.example.com.', ['SRV'], 9), ('fs01.corp.example.com.', ['A'], 7),
                 ('print.corp.example.com.', ['A'], 2), ('example.com.', ['MX', 'TXT'], 2),
                 ('status.example.org.', ['A', 'AAAA'], 3), ('updates.example.net.', ['A', 'AAAA'], 4),
                 ('vpn.example.com.', ['A'], 2)]
        blocked = [('ads.example.net.', ['pixel.ads.example.net.', 'sync.ads.example.net.', 'ads.example.net.']),
                   ('tracker.example.org.', ['t.tracker.example.org.', 'collect.tracker.example.org.'])]
        T_DC, DC_LEN = 0.42 * D, 330.0          # the domain controllers reboot for patches
        T_RELOAD = 0.56 * D
        cache = {}
        counts = {0: [], 1: []}                 # (t, cached, recursion time) per thread for the statistics

        def ptr_name(ip):
            return '.'.join(reversed(ip.split('.'))) + '.in-addr.arpa.'

        def ask(t, client, qname, qtype, th):
            """One query from a client: the query line, then the reply line."""
            ch = [R(self.QUERY, [client, qname, qtype, 'IN'], h={'th': th})]
            key = (qname, qtype)
            if qname.endswith('corp.example.com.') and T_DC <= t <= T_DC + DC_LEN and not cache.get(key, -1e9) > t - 300:
                ch.append(R(self.SERVFAIL, ['%s %s IN' % (qname, qtype), 'all the configured stub or forward servers '
                                            'failed, at zone corp.example.com.'], h={'th': th},
                            dt=rng.uniform(0.4, 1.2)))
                ch.append(R(self.REPLY, [client, qname, qtype, 'IN', 'SERVFAIL', '%.6f' % rng.uniform(0.4, 1.2), 0,
                                         rng.randint(40, 60)], h={'th': th}, dt=0.00005))
                counts[th].append((t, 0, None))
                return ch
            if qname.startswith('dnssec-failed'):
                why = ('validation failure <%s %s IN>: no keys have a DS with algorithm RSASHA256 from 10.0.0.53 for key '
                       'dnssec-failed.example.org. while building chain of trust' % (qname, qtype))
                d = rng.uniform(0.04, 0.2)
                ch.append(R(self.VALFAIL, ['%s %s IN' % (qname, qtype), why.split(': ', 1)[1]], h={'th': th}, dt=d))
                ch.append(R(self.SERVFAIL, ['%s %s IN' % (qname, qtype), why], h={'th': th}))
                ch.append(R(self.REPLY, [client, qname, qtype, 'IN', 'SERVFAIL', '%.6f' % d, 0, rng.randint(40, 60)],
                            h={'th': th}))
                counts[th].append((t, 0, d))
                return ch
            # the reload empties the cache
            hit = cache.get(key, -1e9) > max(t - rng.choice([300, 600, 3600]), T_RELOAD if t > T_RELOAD else -1e9)
            if hit:
                d, cached = 0.0, 1
            else:
                d, cached = rng.lognormvariate(-3.7, 1.0), 0
                cache[key] = t
            rcode = 'NOERROR'
            if qtype == 'AAAA' and qname.startswith(('intranet', 'git', 'repo')):
                size = rng.randint(90, 130)
            elif qtype == 'PTR' and rng.random() < 0.3:
                rcode, size = 'NXDOMAIN', rng.randint(100, 140)
            else:
                size = {'A': rng.randint(50, 110), 'AAAA': rng.randint(60, 140), 'HTTPS': rng.randint(70, 160),
                        'SRV': rng.randint(140, 380), 'MX': rng.randint(80, 160), 'TXT': rng.randint(200, 900),
                        'PTR': rng.randint(70, 110)}[qtype]
            ch.append(R(self.REPLY, [client, qname, qtype, 'IN', rcode, '%.6f' % d, cached, size], h={'th': th},
                        dt=d + rng.uniform(0.00002, 0.0002)))
            counts[th].append((t, cached, d if not cached else None))
            return ch

        # ---------------- client queries (log-queries and log-replies are on)
        for t in poisson(rng, 0, D, 15):
            if T_RELOAD <= t <= T_RELOAD + 1.5:
                continue
            client = rng.choice(clients + servers) if rng.random() < 0.9 else rng.choice(servers)
            th = rng.randint(0, 1)
            r = rng.random()
            if r < 0.06:
                zone, qs = rng.choice(blocked)
                qname = rng.choice(qs)
                ch = [R(self.QUERY, [client, qname, 'A', 'IN'], h={'th': th}),
                      R(self.LOCAL, [zone, 'always_nxdomain', client, port(rng), qname, 'A', 'IN'], h={'th': th}),
                      R(self.REPLY, [client, qname, 'A', 'IN', 'NXDOMAIN', '0.000000', 0, rng.randint(90, 130)],
                        h={'th': th})]
                counts[th].append((t, 1, None))
                timed.append((t, ch))
                continue
            if r < 0.13:
                qname, qtypes = ptr_name(rng.choice(servers + clients)), ['PTR']
            else:
                qname, qtypes, _ = weighted(rng, [(x, x[2]) for x in names])
            if len(qtypes) >= 2 and qtypes[:2] == ['A', 'AAAA'] and rng.random() < 0.7:
                ch = ask(t, client, qname, 'A', th)
                ch2 = ask(t, client, qname, 'AAAA', 1 - th)
                timed.append((t, ch))
                timed.append((t + rng.uniform(0.0001, 0.003), ch2))
                if 'HTTPS' in qtypes and rng.random() < 0.5:
                    timed.append((t + rng.uniform(0.0001, 0.003), ask(t, client, qname, 'HTTPS', rng.randint(0, 1))))
            else:
                timed.append((t, ask(t, client, qname, rng.choice(qtypes), th)))

        # a broken DNSSEC zone that one team's tool keeps asking for; workstation lookups while the DCs reboot
        for t in [0.14 * D, 0.5 * D, 0.83 * D]:
            timed.append((t, ask(t, rng.choice(servers), 'dnssec-failed.example.org.', 'A', rng.randint(0, 1))))
        for k in range(4):
            t = T_DC + 15 + k * rng.uniform(40, 70)
            timed.append((t, ask(t, rng.choice(clients), 'ws-%03d.corp.example.com.' % rng.randint(1, 240), 'A',
                                 rng.randint(0, 1))))

        # ---------------- the IPv6 forwarder is unreachable (no route): notices now and then
        for t in poisson(rng, 0, D, 420):
            timed.append((t, [R(self.SENDTO, ['Network is unreachable'], h={'th': rng.randint(0, 1)}),
                              R(self.REMOTE, ['ip6', 'fd00:53::1', 53, 28], h={'th': rng.randint(0, 1)})]))
        # clients dropping TCP connections, laptops with a broken DNS-over-TLS setting
        for t in poisson(rng, 0, D, 900):
            timed.append((t, [R(self.TCPRESET, ['Connection reset by peer', rng.choice(clients), port(rng)],
                                h={'th': rng.randint(0, 1)})]))
        for t in [0.23 * D, 0.23 * D + 31, 0.69 * D]:
            th = rng.randint(0, 1)
            timed.append((t, [R(self.SSLFAIL, ['0A00010B:SSL routines::wrong version number'], h={'th': th}),
                              R(self.SSLADDR, ['ip4', '10.20.8.77', port(rng), 16], h={'th': th})]))
        # a misconfigured monitoring job sweeps reverse lookups
        T_SWEEP = 0.77 * D
        for k in range(4):
            t = T_SWEEP + k * rng.uniform(1, 3)
            ip = '10.0.%d.%d' % (rng.randint(0, 9), rng.randint(1, 254))
            timed.append((t, [R(self.RATELIMIT, ['10.in-addr.arpa.', 1000, ptr_name(ip), 'IN', 'PTR'],
                                h={'th': rng.randint(0, 1)})]))

        # ---------------- statistics every 10 minutes, per thread
        def stats_dump(t, th, since):
            ev_ = [x for x in counts[th] if since <= x[0] < t]
            q = len(ev_)
            cached = sum(1 for x in ev_ if x[1])
            rec = [x[2] for x in ev_ if x[2] is not None]
            ch = [R(self.STATS1, [th, q, cached, q - cached, 0, 0], h={'th': th}),
                  R(self.STATS2, [th, rng.randint(2, 9), '%.3g' % rng.uniform(0.05, 1.5), 0, 0], h={'th': th})]
            if rec:
                rec.sort()
                ch += [R(self.AVG, ['%.6f' % (sum(rec) / len(rec))], h={'th': th}),
                       R(self.HIST, [], h={'th': th}),
                       R(self.PCT, ['%g' % round(rec[len(rec) // 4], 6), '%g' % round(rec[len(rec) // 2], 6),
                                    '%g' % round(rec[3 * len(rec) // 4], 6)], h={'th': th}),
                       R(self.HISTHDR, [], h={'th': th})]
                buckets = {}
                for x in rec:
                    k = 0
                    while 2 ** k * 1e-6 <= x:
                        k += 1
                    buckets[k] = buckets.get(k, 0) + 1
                for k in sorted(buckets):
                    lo = 0 if k == 0 else 2 ** (k - 1)
                    hi = 2 ** k
                    ch.append(R(self.HISTROW, ['%4d.%06d' % (lo // 10 ** 6, lo % 10 ** 6),
                                               '%4d.%06d' % (hi // 10 ** 6, hi % 10 ** 6), buckets[k]], h={'th': th}))
            return ch

        last = {0: -600.0, 1: -600.0}
        ticks = [t for t in periodic(rng, 0, D + 600, 600, phase=rng.uniform(0, 600), jitter=0.0)]
        stat_chunks = []
        for t in sorted(ticks + [T_RELOAD]):
            for th in (0, 1):
                stat_chunks.append((t + th * 0.0004, th, last[th]))
                last[th] = t
        # statistics are computed once all queries exist
        self._stat_chunks = stat_chunks

        # ---------------- blocklist update: unbound-control reload
        t = T_RELOAD
        ch = [R(self.STOPPED, [VER])]
        timed.append((t, ch))
        t2 = t + 0.04
        timed.append((t2, [R(self.RESTART, [VER]), R(self.INITMOD, [0, 'validator']),
                           R(self.INITMOD, [1, 'iterator']), R(self.START, [VER])]))

        for t, th, since in stat_chunks:
            timed.append((t, stats_dump(t, th, since)))

        # ---------------- start-up at the top of the file
        st = [R(self.RCVBUF, [4194304, 425984]), R(self.SNDBUF, [4194304, 425984]),
              R(self.INITMOD, [0, 'validator']), R(self.INITMOD, [1, 'iterator']),
              R(self.START, [VER]), R(self.KEYTAG, ['_ta-4f66.', 'NULL', 'IN'], dt=0.02)]

        def filler(t):
            return t, [R(self.QUERY, [clients[0], 'mail.example.com.', 'A', 'IN'])]

        return st, timed, [], filler


# ----------------------------------------------------------------------------
# 6. Temporal server 1.22 (all four services in one process), zap JSON on stdout
# ----------------------------------------------------------------------------

TGO = '/home/builder/temporal/'


def go_stack(frames):
    """A Go stack as zap's "stacktrace" field holds it: function, then tab and file:line, joined by newlines."""
    return '\n'.join('%s\n\t%s%s' % (fn, TGO if not pos.startswith('/') else '', pos) for fn, pos in frames)


class Temporal(System):
    name = 'Temporal'
    seed = 10606
    start = datetime(2024, 3, 11, 5, 30, 2, 640000)
    header_re = (r'^\{"level":"(?P<level>debug|info|warn|error|dpanic|panic|fatal)",'
                 r'"ts":"(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)",(?P<msg>"msg":.*\})$')
    # Go module paths in the stack traces: fixed names of the program, not hosts
    not_domains = ('go.temporal.io', 'google.golang.org')

    def header(self, meta, ts, h):
        return '{"level":"%s","ts":"%s.%03dZ",' % (h.get('lvl', meta.get('lvl', 'info')), ts.strftime('%Y-%m-%dT%H:%M:%S'),
                                                  ts.microsecond // 1000)

    def ts_key(self, m):
        return m.group('ts')

    def in_chunk_gap(self):
        return self.rng.uniform(0.0002, 0.004)

    def extra_check(self, lines, rows, fail):
        for i, ln in enumerate(lines, 1):
            try:
                json.loads(ln)
            except ValueError:
                fail('line %d is not valid JSON' % i)

    def define(self):
        ev = self.ev
        W = dict(lvl='warn')
        E = dict(lvl='error')
        CA = ',"logging-call-at":"<*>"}'
        ST = ',"logging-call-at":"<*>","stacktrace":"<*>"}'
        self.DYNCFG = ev('"msg":"Updated dynamic config"' + CA)
        self.STARTING = ev('"msg":"Starting server for services","value":<*>' + CA)
        self.PPROF = ev('"msg":"PProf not started due to port not set"' + CA)
        self.LISTENER = ev('"msg":"Created gRPC listener","service":"<*>","address":"<*>"' + CA)
        self.HEARTBEAT = ev('"msg":"Membership heartbeat upserted successfully","service":"<*>","address":"<*>",'
                            '"port":<*>,"hostId":"<*>"' + CA)
        self.BOOTSTRAP = ev('"msg":"bootstrap hosts fetched","service":"<*>","bootstrap-hostports":"<*>"' + CA)
        self.MEMBERS = ev('"msg":"Current reachable members","service":"<*>","component":"<*>","service":"<*>",'
                          '"addresses":[<*>]' + CA)
        self.LC_SVC = ev('"msg":"none","service":"<*>","component":"<*>","lifecycle":"<*>"' + CA)
        self.LC_SVC_ADDR = ev('"msg":"none","service":"<*>","component":"<*>","address":"<*>","lifecycle":"<*>"' + CA)
        self.LC_SHARD = ev('"msg":"none","shard-id":<*>,"address":"<*>","lifecycle":"<*>","component":"<*>"' + CA)
        self.LC_TQ = ev('"msg":"none","service":"<*>","component":"<*>","wf-task-queue-name":"<*>",'
                        '"wf-task-queue-type":"<*>","lifecycle":"<*>"' + CA)
        self.ACQUIRED = ev('"msg":"Acquired shard","shard-id":<*>,"address":"<*>"' + CA)
        self.RANGE = ev('"msg":"Range updated for shardID","shard-id":<*>,"address":"<*>","shard-range-id":<*>,'
                        '"previous-range-id":<*>,"number":<*>,"next-number":<*>' + CA)
        self.WORKER = ev('"msg":"Started Worker","service":"<*>","Namespace":"<*>","TaskQueue":"<*>","WorkerID":"<*>"'
                         + CA)
        self.SYSWF = ev('"msg":"<*> workflow successfully started","service":"<*>"' + CA)
        self.CRITICAL = ev('"msg":"Critical attempts processing workflow task","service":"<*>","shard-id":<*>,'
                           '"address":"<*>","wf-namespace":"<*>","wf-id":"<*>","wf-run-id":"<*>","attempt":<*>' + CA, **W)
        self.HISTSIZE = ev('"msg":"history size exceeds warn limit.","shard-id":<*>,"address":"<*>",'
                           '"wf-namespace-id":"<*>","wf-id":"<*>","wf-run-id":"<*>","wf-history-size":<*>,'
                           '"wf-event-count":<*>' + CA, **W)
        self.FAILTASK = ev('"msg":"Fail to process task","shard-id":<*>,"address":"<*>","component":"<*>",'
                           '"wf-namespace-id":"<*>","wf-id":"<*>","wf-run-id":"<*>","queue-task-id":<*>,'
                           '"queue-task-visibility-timestamp":"<*>","queue-task-type":"<*>","queue-task":<*>,'
                           '"wf-history-event-id":<*>,"error":"<*>","unexpected-error-attempts":<*>,"lifecycle":"<*>"'
                           + ST, **E)
        self.POLLWF = ev('"msg":"Unable to call matching.PollWorkflowTaskQueue.","service":"<*>",'
                         '"wf-task-queue-name":"<*>","timeout":"<*>","error":"<*>"' + ST, **E)
        self.POLLACT = ev('"msg":"Unable to call matching.PollActivityTaskQueue.","service":"<*>",'
                          '"wf-task-queue-name":"<*>","timeout":"<*>","error":"<*>"' + ST, **E)
        self.HISTCLI = ev('"msg":"history client encountered error","service":"<*>","error":"<*>",'
                          '"service-error-type":"<*>"' + ST, **E)
        self.MATCHCLI = ev('"msg":"matching client encountered error","service":"<*>","error":"<*>",'
                           '"service-error-type":"<*>"' + ST, **E)
        self.STOREFAIL = ev('"msg":"Persistent store operation Failure","shard-id":<*>,"address":"<*>",'
                            '"wf-namespace-id":"<*>","wf-id":"<*>","wf-run-id":"<*>","store-operation":"<*>",'
                            '"error":"<*>"' + ST, **E)
        self.SVCFAIL = ev('"msg":"service failures","service":"<*>","operation":"<*>","wf-namespace":"<*>",'
                          '"error":"<*>"' + ST, **E)
        self.ACKFAIL = ev('"msg":"Error updating ack level for shard","shard-id":<*>,"address":"<*>",'
                          '"component":"<*>","error":"<*>","operation-result":"<*>"' + CA, **E)
        self.READERFAIL = ev('"msg":"Queue reader unable to retrieve tasks","shard-id":<*>,"address":"<*>",'
                             '"component":"<*>","queue-reader-id":<*>,"error":"<*>"' + CA, **W)
        self.NSREFRESH = ev('"msg":"Error refreshing namespace cache","service":"<*>","error":"<*>"' + ST, **E)
        self.ACTERR = ev('"msg":"Activity error.","service":"<*>","Namespace":"<*>","TaskQueue":"<*>",'
                         '"WorkerID":"<*>","WorkflowID":"<*>","RunID":"<*>","ActivityType":"<*>","Attempt":<*>,'
                         '"Error":"<*>"' + CA, **W)

    def plan(self):
        rng = self.rng
        R = Rec
        D = 10.5 * 3600
        timed = []
        ME = '10.0.4.11'
        PEERS = {'temporal-1': '10.0.4.12', 'temporal-2': '10.0.4.13'}
        ALL = [ME] + list(PEERS.values())
        HADDR = ME + ':7234'
        NS = {'orders': uuid4(rng), 'billing': uuid4(rng), 'temporal-system': '32049b68-7872-4094-8e63-d0dd59896a83'}
        my_shards = sorted(rng.sample(range(1, 17), 6))
        t2_shards = sorted(rng.sample([x for x in range(1, 17) if x not in my_shards], 4))
        rid = {sh: rng.randint(40, 900) for sh in range(1, 17)}

        def j(v):
            return js(v)

        def call(f, a, b):
            return '%s:%d' % (f, rng.randint(a, b))

        CALLS = {k: call(*v) for k, v in {
            'dyn': ('file_based_client.go', 150, 260), 'server': ('server_impl.go', 80, 120),
            'pprof': ('pprof.go', 60, 90), 'rpc': ('rpc.go', 130, 190), 'monitor': ('monitor.go', 240, 280),
            'boot': ('monitor.go', 290, 330), 'resolver': ('service_resolver.go', 260, 300),
            'svc': ('service.go', 120, 200), 'ctrl': ('controller_impl.go', 100, 140),
            'shardctx': ('controller_impl.go', 260, 300), 'queue': ('queue_immediate.go', 100, 130),
            'timerq': ('queue_scheduled.go', 200, 240), 'acquired': ('context_impl.go', 1900, 2000),
            'range': ('context_impl.go', 1240, 1290), 'worker': ('sdk_logger.go', 50, 80),
            'syswf': ('scanner.go', 280, 310), 'critical': ('workflow_task_state_machine.go', 1040, 1080),
            'histsize': ('workflow_size_checker.go', 140, 200), 'lazy': ('lazy_logger.go', 60, 70),
            'poll': ('workflow_handler.go', 900, 1200), 'hcli': ('metric_client.go', 90, 120),
            'mcli': ('metric_client.go', 180, 220), 'store': ('persistence_metric_clients.go', 1300, 1400),
            'telemetry': ('telemetry.go', 320, 350), 'ack': ('queue_base.go', 440, 480),
            'reader': ('reader.go', 460, 500), 'nscache': ('registry.go', 380, 420),
            'tqm': ('task_queue_manager.go', 300, 360), 'acterr': ('sdk_logger.go', 50, 80)}.items()}
        CALLS['actlogger'] = CALLS['worker']

        ZAP = ('go.temporal.io/server/common/log.(*zapLogger).Error', 'common/log/zap_logger.go:156')
        STACKS = {
            'poll': [ZAP, ('go.temporal.io/server/service/frontend.(*WorkflowHandler).%s', 'service/frontend/'
                           'workflow_handler.go:' + CALLS['poll'].split(':')[1]),
                     ('go.temporal.io/server/service/frontend.(*DCRedirectionHandlerImpl).%s.func2',
                      'service/frontend/dc_redirection_handler.go:579'),
                     ('go.temporal.io/server/service/frontend.(*DCRedirectionHandlerImpl).%s',
                      'service/frontend/dc_redirection_handler.go:575'),
                     ('go.temporal.io/api/workflowservice/v1._WorkflowService_%s_Handler.func1',
                      '/go/pkg/mod/go.temporal.io/api@v1.24.0/workflowservice/v1/service.pb.go:1511')],
            'hcli': [ZAP, ('go.temporal.io/server/client/history.(*metricClient).finishMetricsRecording',
                           'client/history/metric_client.go:' + CALLS['hcli'].split(':')[1]),
                     ('go.temporal.io/server/client/history.(*metricClient).%s.func1',
                      'client/history/metric_client_gen.go:418'),
                     ('go.temporal.io/server/client/history.(*metricClient).%s', 'client/history/metric_client_gen.go:'
                                                                                 '422')],
            'mcli': [ZAP, ('go.temporal.io/server/client/matching.(*metricClient).finishMetricsRecording',
                           'client/matching/metric_client.go:' + CALLS['mcli'].split(':')[1]),
                     ('go.temporal.io/server/client/matching.(*metricClient).%s.func1',
                      'client/matching/metric_client_gen.go:203'),
                     ('go.temporal.io/server/client/matching.(*metricClient).%s', 'client/matching/metric_client_gen.go:'
                                                                                  '207')],
            'store': [ZAP, ('go.temporal.io/server/common/persistence.updateErrorMetric',
                            'common/persistence/persistence_metric_clients.go:' + CALLS['store'].split(':')[1]),
                      ('go.temporal.io/server/common/persistence.(*metricEmitter).recordRequestMetrics',
                       'common/persistence/persistence_metric_clients.go:1289'),
                      ('go.temporal.io/server/common/persistence.(*executionPersistenceClient).%s.func1',
                       'common/persistence/persistence_metric_clients.go:406'),
                      ('go.temporal.io/server/common/persistence.(*executionPersistenceClient).%s',
                       'common/persistence/persistence_metric_clients.go:410')],
            'telemetry': [ZAP, ('go.temporal.io/server/common/rpc/interceptor.(*TelemetryInterceptor).handleError',
                                'common/rpc/interceptor/telemetry.go:' + CALLS['telemetry'].split(':')[1]),
                          ('go.temporal.io/server/common/rpc/interceptor.(*TelemetryInterceptor).UnaryIntercept',
                           'common/rpc/interceptor/telemetry.go:174'),
                          ('google.golang.org/grpc.getChainUnaryHandler.func1',
                           '/go/pkg/mod/google.golang.org/grpc@v1.58.3/server.go:1179')],
            'lazy': [('go.temporal.io/server/common/log.(*zapLogger).Error', 'common/log/zap_logger.go:156'),
                     ('go.temporal.io/server/common/log.(*lazyLogger).Error', 'common/log/lazy_logger.go:'
                                                                             + CALLS['lazy'].split(':')[1]),
                     ('go.temporal.io/server/service/history/queues.(*executableImpl).HandleErr',
                      'service/history/queues/executable.go:421'),
                     ('go.temporal.io/server/common/tasks.(*FIFOScheduler[...]).executeTask',
                      'common/tasks/fifo_scheduler.go:224'),
                     ('go.temporal.io/server/common/tasks.(*FIFOScheduler[...]).processTask',
                      'common/tasks/fifo_scheduler.go:210')],
            'nscache': [ZAP, ('go.temporal.io/server/common/namespace.(*registry).refreshLoop',
                              'common/namespace/registry.go:' + CALLS['nscache'].split(':')[1]),
                        ('go.temporal.io/server/internal/goro.(*Handle).Go.func1', 'internal/goro/goro.go:64')]}

        def stack(kind, method=''):
            return j(go_stack([(fn.replace('%s', method) if '%s' in fn else fn, pos) for fn, pos in STACKS[kind]]))

        def H(lvl=None):
            return {'lvl': lvl} if lvl else {}

        # ---------------- start-up of temporal-0 (a rolling restart of the cluster's pods)
        st = [R(self.DYNCFG, [CALLS['dyn']]),
              R(self.STARTING, ['{"frontend":{},"history":{},"matching":{},"worker":{}}', CALLS['server']], dt=0.02),
              R(self.PPROF, [CALLS['pprof']], dt=0.001)]
        ports = {'frontend': (7233, 6933), 'history': (7234, 6934), 'matching': (7235, 6935), 'worker': (7239, 6939)}
        for svc in ['history', 'matching', 'frontend', 'worker']:
            st.append(R(self.LISTENER, [svc, '%s:%d' % (ME, ports[svc][0]), CALLS['rpc']], dt=rng.uniform(0.001, 0.01)))
        for svc in ['history', 'matching', 'frontend', 'worker']:
            st += [R(self.HEARTBEAT, [svc, ME, ports[svc][1], uuid4(rng), CALLS['monitor']],
                     dt=rng.uniform(0.02, 0.2)),
                   R(self.BOOTSTRAP, [svc, ','.join('%s:%d' % (a, ports[svc][1]) for a in ALL), CALLS['boot']]),
                   R(self.MEMBERS, [svc, 'service-resolver', svc, ','.join('"%s:%d"' % (a, ports[svc][0])
                                                                            for a in ALL), CALLS['resolver']],
                     dt=rng.uniform(0.01, 0.3))]
        st += [R(self.LC_SVC, ['history', 'history-engine', 'Starting', CALLS['svc']], dt=0.01),
               R(self.LC_SVC_ADDR, ['history', 'shard-controller', HADDR, 'Starting', CALLS['ctrl']]),
               R(self.LC_SVC_ADDR, ['history', 'shard-controller', HADDR, 'Started', CALLS['ctrl']], dt=0.002)]

        def shard_up(sh, ch):
            ch += [R(self.LC_SHARD, [sh, HADDR, 'Starting', 'shard-context', CALLS['shardctx']],
                     dt=rng.uniform(0.001, 0.05)),
                   R(self.LC_SHARD, [sh, HADDR, 'Started', 'shard-context', CALLS['shardctx']]),
                   R(self.RANGE, [sh, HADDR, rid[sh] + 1, rid[sh], 0, 0, CALLS['range']], dt=rng.uniform(0.005, 0.04)),
                   R(self.ACQUIRED, [sh, HADDR, CALLS['acquired']])]
            rid[sh] += 1
            for comp, c in [('transfer-queue-processor', 'queue'), ('timer-queue-processor', 'timerq'),
                            ('visibility-queue-processor', 'queue')]:
                ch += [R(self.LC_SHARD, [sh, HADDR, 'Starting', comp, CALLS[c]]),
                       R(self.LC_SHARD, [sh, HADDR, 'Started', comp, CALLS[c]])]

        def shard_down(sh, ch):
            for comp, c in [('transfer-queue-processor', 'queue'), ('timer-queue-processor', 'timerq'),
                            ('visibility-queue-processor', 'queue')]:
                ch += [R(self.LC_SHARD, [sh, HADDR, 'Stopping', comp, CALLS[c]], dt=rng.uniform(0.001, 0.01)),
                       R(self.LC_SHARD, [sh, HADDR, 'Stopped', comp, CALLS[c]])]
            ch += [R(self.LC_SHARD, [sh, HADDR, 'Stopping', 'shard-context', CALLS['shardctx']]),
                   R(self.LC_SHARD, [sh, HADDR, 'Stopped', 'shard-context', CALLS['shardctx']])]

        for sh in my_shards:
            shard_up(sh, st)
        st.append(R(self.LC_SVC, ['history', 'history-engine', 'Started', CALLS['svc']], dt=0.01))
        TQS = [('orders-worker', 'Workflow'), ('orders-worker', 'Activity'), ('billing-worker', 'Workflow'),
               ('billing-worker', 'Activity'), ('temporal-sys-tq-scanner-taskqueue-0', 'Workflow')]
        st.append(R(self.LC_SVC, ['matching', 'matching-engine', 'Started', CALLS['svc']], dt=0.02))
        for name, typ in TQS[:3]:
            st.append(R(self.LC_TQ, ['matching', 'matching-engine', name, typ, 'Started', CALLS['tqm']],
                        dt=rng.uniform(0.2, 2)))
        st.append(R(self.LC_SVC, ['frontend', 'frontend', 'Started', CALLS['svc']], dt=0.02))
        wid = '1@temporal-0@'
        for q in ['temporal-sys-tq-scanner-taskqueue-0', 'temporal-sys-history-scanner-taskqueue-0',
                  'temporal-sys-processor-parent-close-policy', 'temporal-sys-batcher-taskqueue']:
            st.append(R(self.WORKER, ['worker', 'temporal-system', q, wid, CALLS['worker']], dt=rng.uniform(0.01, 0.1)))
        st += [R(self.SYSWF, ['temporal-sys-tq-scanner-workflow', 'worker', CALLS['syswf']], dt=0.3),
               R(self.SYSWF, ['temporal-sys-history-scanner-workflow', 'worker', CALLS['syswf']], dt=0.05)]

        # ---------------- workflows stuck on a non-deterministic workflow task (retried every 10 min)
        def run_id():
            return uuid4(rng)

        stuck = []
        for k in range(15):
            ns = weighted(rng, [('orders', 3), ('billing', 1)])
            wf = ('order-fulfilment-%d' % rng.randint(480000, 499999)) if ns == 'orders' else \
                 ('invoice-run-2024-03-%02d-%d' % (rng.randint(1, 10), rng.randint(1, 40)))
            stuck.append((ns, wf, run_id(), rng.choice(my_shards), rng.randint(11, 140)))
        for ns, wf, rn, sh, att in stuck:
            t = rng.uniform(0, 600)
            while t < D:
                timed.append((t, [R(self.CRITICAL, ['history', sh, HADDR, ns, wf, rn, att, CALLS['critical']])]))
                att += 1
                t += 600 + rng.uniform(0, 12)
        # a long-running batch workflow keeps growing its history
        big = ('billing', 'monthly-statements-2024-03', run_id(), rng.choice(my_shards))
        size, count = 11200000, 38211
        for t in poisson(rng, 0, D, 80):
            size += rng.randint(2000, 9000)
            count += rng.randint(6, 14)
            timed.append((t, [R(self.HISTSIZE, [big[3], HADDR, NS[big[0]], big[1], big[2], size, count,
                                                CALLS['histsize']])]))
        # shards allocate new task id ranges as they go
        for sh in my_shards:
            for t in poisson(rng, 0, D, rng.uniform(1500, 3600)):
                timed.append((t, [R(self.RANGE, [sh, HADDR, Lazy(lambda ctx, sh=sh: ctx.counter('r%d' % sh, rid[sh])),
                                                 Lazy(lambda ctx, sh=sh: ctx.st['r%d' % sh] - 1), 0, 0,
                                                 CALLS['range']])]))

        # ---------------- the PostgreSQL primary fails over: 80 s of persistence errors
        T_DB, DB_LEN = 0.31 * D, 110.0
        def pg_err():
            return weighted(rng, [('context deadline exceeded', 4),
                               ('dial tcp 10.0.4.30:5432: connect: connection refused', 3),
                               ('pq: the database system is in recovery mode', 2),
                               ('driver: bad connection', 1)])
        for t in poisson(rng, T_DB, T_DB + DB_LEN, 1.4):
            ns = weighted(rng, [('orders', 4), ('billing', 1)])
            kind = weighted(rng, [('store', 4), ('svc', 3), ('task', 3), ('hcli', 2), ('ack', 1), ('reader', 1)])
            sh = rng.choice(my_shards)
            wf = 'order-fulfilment-%d' % rng.randint(480000, 499999) if ns == 'orders' else \
                'invoice-%d' % rng.randint(31000, 32000)
            err = pg_err()
            if kind == 'store':
                op = rng.choice([('update-wf-execution', 'UpdateWorkflowExecution'),
                                 ('get-wf-execution', 'GetWorkflowExecution'),
                                 ('create-wf-execution', 'CreateWorkflowExecution')])
                full = '%s: failed. Error: %s' % (op[1], err)
                r = R(self.STOREFAIL, [sh, HADDR, NS[ns], wf, run_id(), op[0], j(full), CALLS['store'],
                                       stack('store', op[1])])
            elif kind == 'svc':
                op = weighted(rng, [('StartWorkflowExecution', 3), ('SignalWorkflowExecution', 2),
                                    ('RespondActivityTaskCompleted', 3), ('DescribeWorkflowExecution', 1)])
                r = R(self.SVCFAIL, ['frontend', op, ns, j(err), CALLS['telemetry'], stack('telemetry')])
            elif kind == 'hcli':
                op = rng.choice(['StartWorkflowExecution', 'RecordActivityTaskStarted', 'RespondWorkflowTaskCompleted'])
                r = R(self.HISTCLI, ['frontend', j(err), 'serviceerror.Unavailable' if 'refused' in err else
                                     'serviceerror.DeadlineExceeded' if 'deadline' in err else 'serviceerror.Unavailable',
                                     CALLS['hcli'], stack('hcli', op)])
            elif kind == 'ack':
                r = R(self.ACKFAIL, [sh, HADDR, rng.choice(['transfer-queue-processor', 'timer-queue-processor']),
                                     j('UpdateShard operation failed. Error: %s' % err), 'OperationFailed',
                                     CALLS['ack']])
            elif kind == 'reader':
                r = R(self.READERFAIL, [sh, HADDR, rng.choice(['transfer-queue-processor', 'timer-queue-processor',
                                                               'visibility-queue-processor']), 0,
                                        j('GetHistoryTasks operation failed. Select failed. Error: %s' % err),
                                        CALLS['reader']])
            else:
                ttype = weighted(rng, [('TransferActivityTask', 3), ('TransferWorkflowTask', 2),
                                       ('VisibilityUpsertExecution', 1), ('ActivityRetryTimer', 1)])
                comp = 'visibility-queue-processor' if ttype.startswith('Visibility') else \
                    'timer-queue-processor' if ttype.endswith('Timer') else 'transfer-queue-processor'
                rn, tid = run_id(), rng.randint(3145728, 9437184)
                vis = Lazy(lambda ctx: (ctx.ts - timedelta(seconds=rng.uniform(0.5, 30))).strftime(
                    '%Y-%m-%dT%H:%M:%S.') + '%06dZ' % rng.randint(0, 999999))
                qt = Lazy(lambda ctx, ns=ns, wf=wf, rn=rn, tid=tid, vis=vis: json.dumps(
                    {'WorkflowKey': {'NamespaceID': NS[ns], 'WorkflowID': wf, 'RunID': rn},
                     'VisibilityTimestamp': resolve(vis, ctx), 'TaskID': tid, 'TaskQueue': '%s-worker' % ns,
                     'ScheduledEventID': 5}, separators=(',', ':')))
                r = R(self.FAILTASK, [sh, HADDR, comp, NS[ns], wf, rn, tid, vis, ttype, qt, rng.choice([5, 5, 11, 17]),
                                      j(err), rng.randint(1, 4), 'ProcessingFailed', CALLS['lazy'], stack('lazy')])
            timed.append((t, [r]))
        for k in range(3):
            timed.append((T_DB + 10 + 25 * k, [R(self.NSREFRESH, [rng.choice(['frontend', 'history', 'matching']),
                                                                  j('GetMetadata operation failed. Error: %s' % pg_err()),
                                                                  CALLS['nscache'], stack('nscache')])]))
        for k in range(2):
            timed.append((T_DB + rng.uniform(5, 60), [R(self.ACTERR, [
                'worker', 'temporal-system', 'temporal-sys-tq-scanner-taskqueue-0', wid,
                'temporal-sys-tq-scanner', run_id(), 'temporal-sys-tq-scanner-scvg-activity', k + 1,
                j('context deadline exceeded'), CALLS['acterr']], h=H('warn'))]))

        # ---------------- temporal-2 is evicted (node drain) and comes back: shards move here and back
        T_OUT, OUT_LEN = 0.58 * D, 420.0
        for svc in ['history', 'matching', 'frontend', 'worker']:
            timed.append((T_OUT + rng.uniform(2, 6), [R(self.MEMBERS, [
                svc, 'service-resolver', svc, ','.join('"%s:%d"' % (a, ports[svc][0]) for a in ALL[:2]),
                CALLS['resolver']])]))
            timed.append((T_OUT + OUT_LEN + rng.uniform(2, 6), [R(self.MEMBERS, [
                svc, 'service-resolver', svc, ','.join('"%s:%d"' % (a, ports[svc][0]) for a in ALL),
                CALLS['resolver']])]))
        for sh in t2_shards:
            ch = []
            shard_up(sh, ch)
            timed.append((T_OUT + rng.uniform(6, 12), ch))
            ch = []
            shard_down(sh, ch)
            timed.append((T_OUT + OUT_LEN + rng.uniform(6, 10), ch))
        # the task queue partitions owned by temporal-2 load here meanwhile
        for name, typ in TQS[3:]:
            timed.append((T_OUT + rng.uniform(8, 20), [R(self.LC_TQ, ['matching', 'matching-engine', name, typ,
                                                                      'Started', CALLS['tqm']])]))
            timed.append((T_OUT + OUT_LEN + rng.uniform(300, 400), [R(self.LC_TQ, [
                'matching', 'matching-engine', name, typ, 'Stopped', CALLS['tqm']])]))
        # pollers waiting on the departed matching host time out
        for t in poisson(rng, T_OUT, T_OUT + 70, 1.6):
            tq = weighted(rng, [('orders-worker', 3), ('billing-worker', 1)])
            act = rng.random() < 0.55
            r = R(self.POLLACT if act else self.POLLWF, [
                'frontend', tq, go_dur(rng.uniform(69.95, 69.999)), 'context deadline exceeded', CALLS['poll'],
                stack('poll', 'PollActivityTaskQueue' if act else 'PollWorkflowTaskQueue')])
            timed.append((t, [r]))
        for t in poisson(rng, T_OUT, T_OUT + 40, 3.5):
            op = rng.choice(['AddActivityTask', 'AddWorkflowTask'])
            timed.append((t, [R(self.MATCHCLI, ['history', j('Not enough hosts to serve the request'),
                                                'serviceerror.Unavailable', CALLS['mcli'], stack('mcli', op)])]))

        # matching is CPU-throttled for eight minutes: long polls and task dispatch time out
        T_CPU, CPU_LEN = 0.79 * D, 480.0
        for t in poisson(rng, T_CPU, T_CPU + CPU_LEN, 2.6):
            tq = weighted(rng, [('orders-worker', 3), ('billing-worker', 1)])
            act = rng.random() < 0.6
            timed.append((t, [R(self.POLLACT if act else self.POLLWF, [
                'frontend', tq, go_dur(rng.uniform(69.9, 69.999)), 'context deadline exceeded', CALLS['poll'],
                stack('poll', 'PollActivityTaskQueue' if act else 'PollWorkflowTaskQueue')])]))
        for t in poisson(rng, T_CPU, T_CPU + CPU_LEN, 9):
            op = rng.choice(['AddActivityTask', 'AddWorkflowTask'])
            timed.append((t, [R(self.MATCHCLI, ['history', 'context deadline exceeded', 'serviceerror.DeadlineExceeded',
                                                CALLS['mcli'], stack('mcli', op)])]))

        def filler(t):
            ns, wf, rn, sh, att = stuck[0]
            return t, [R(self.CRITICAL, ['history', sh, HADDR, ns, wf, rn, att, CALLS['critical']])]

        return st, timed, [], filler


SYSTEMS = [ClickHouse, CockroachDB, FluentBit, Keepalived, Unbound, Temporal]


def main(argv):
    names = {s.name: s for s in SYSTEMS}
    wanted = argv[1:] or [s.name for s in SYSTEMS]
    for w in wanted:
        if w not in names:
            raise SystemExit('unknown system %r; choose from %s' % (w, ', '.join(names)))
    for w in wanted:
        sysobj = names[w]()
        st = sysobj.write()
        rc = sorted(st['rcounts'].values(), reverse=True)
        n = st['records']
        print('%-11s events=%d lines=%d records=%d continuation=%d top=%.0f%% top3=%.0f%% once=%d rare(<=5)=%d' % (
            w, st['events'], st['lines'], n, st['continuation'], 100.0 * rc[0] / n, 100.0 * sum(rc[:3]) / n,
            sum(1 for c in rc if c == 1), sum(1 for c in rc if c <= 5)))


if __name__ == '__main__':
    main(sys.argv)
