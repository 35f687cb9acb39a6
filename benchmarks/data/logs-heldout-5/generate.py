#!/usr/bin/env python3
"""Generate the logs-heldout-5 corpus: six synthetic, labelled 2,000-line logs.

Standard library only, deterministic (a fixed seed per system).

    python3 generate.py            # writes every system
    python3 generate.py Envoy      # writes one system

Each system S gets S/S_2k.log (raw lines, headers included) and
S/S_2k.log_structured.csv (LineId,EventId,EventTemplate, one row per raw line;
continuation lines carry the EventId and template of their record).  After
writing, the files are read back and checked; any failed check raises
RuntimeError.
"""

import csv
import os
import random
import re
import sys
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
N_LINES = 2000
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']


# ----------------------------------------------------------------------------
# framework
# ----------------------------------------------------------------------------

class Lazy:
    """A value computed once, when its record is rendered (in final order)."""

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


class System:
    name = None
    seed = None
    header_re = None
    start = None

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
        """-> start_chunks, fixed_mid_chunks, [(weight, chunk_fn)], filler_fn, end_chunks"""
        raise NotImplementedError

    def header(self, meta, ts, h):
        raise NotImplementedError

    def gap(self):
        return self.rng.expovariate(1.0 / 20)

    def in_chunk_gap(self):
        return self.rng.uniform(0.0005, 0.02)

    def init_state(self, ctx):
        pass

    # assembly
    def build(self):
        rng = self.rng
        start, fixed, weighted, filler, end = self.plan()

        def nlines(ch):
            return sum(1 + len(r.conts) for r in ch)

        total = sum(nlines(c) for c in start + fixed + end)
        if total > N_LINES:
            raise RuntimeError('%s: fixed chunks already have %d lines' % (self.name, total))
        mid = list(fixed)
        weights = [w for w, _ in weighted]
        fns = [f for _, f in weighted]
        misses = 0
        while total < N_LINES and misses < 60:
            ch = rng.choices(fns, weights=weights)[0]()
            n = nlines(ch)
            if total + n <= N_LINES:
                mid.append(ch)
                total += n
            else:
                misses += 1
        while total < N_LINES:
            ch = filler()
            if nlines(ch) != 1:
                raise RuntimeError('filler must give one line')
            mid.append(ch)
            total += 1
        rng.shuffle(mid)
        chunks = start + mid + end

        ctx = Ctx(rng)
        self.init_state(ctx)
        ts = self.start
        lines, labels = [], []
        first_chunk = True
        for ch in chunks:
            if not first_chunk:
                ts += timedelta(seconds=self.gap())
            first_chunk = False
            for i, r in enumerate(ch):
                if i:
                    ts += timedelta(seconds=r.dt if r.dt is not None else self.in_chunk_gap())
                ctx.ts = ts
                template, meta = self.by_id[r.eid]
                msg = fill(template, r.vals, ctx)
                lines.append(self.header(meta, ts, r.h) + msg)
                labels.append((r.eid, template))
                for c in r.conts:
                    c = str(resolve(c, ctx))
                    lines.append(c)
                    labels.append((r.eid, template))
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
                fail('declared event %s never occurs' % eid)
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
            tre[eid] = re.compile('^' + '.+?'.join(re.escape(p) for p in t.split('<*>')) + '$')
        cur = None
        records = 0
        conts = 0
        for i, (ln, row) in enumerate(zip(lines, rows), 1):
            eid = row[1]
            m = hre.match(ln)
            if m:
                records += 1
                cur = eid
                if not tre[eid].match(m.group('msg')):
                    fail('line %d message %r does not match %s %r' % (i, m.group('msg'), eid, declared[eid]))
            else:
                conts += 1
                if cur is None:
                    fail('line %d is a continuation with no record before it' % i)
                if eid != cur:
                    fail('continuation line %d carries %s, its record is %s' % (i, eid, cur))
        counts = {}
        for row in rows:
            counts[row[1]] = counts.get(row[1], 0) + 1
        return {'events': len(declared), 'lines': len(lines), 'records': records,
                'continuation': conts, 'counts': counts}


# ----------------------------------------------------------------------------
# helpers for values
# ----------------------------------------------------------------------------

def hexs(rng, n):
    return ''.join(rng.choice('0123456789abcdef') for _ in range(n))


def b62(rng, n):
    a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    return ''.join(rng.choice(a) for _ in range(n))


def uuid4(rng):
    return '%s-%s-4%s-%s%s-%s' % (hexs(rng, 8), hexs(rng, 4), hexs(rng, 3),
                                  rng.choice('89ab'), hexs(rng, 3), hexs(rng, 12))


def ulid(rng, ms):
    a = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
    t = ''
    for _ in range(10):
        t = a[ms % 32] + t
        ms //= 32
    return t + ''.join(rng.choice(a) for _ in range(16))


def priv_ip(rng):
    r = rng.random()
    if r < 0.6:
        return '10.%d.%d.%d' % (rng.randint(0, 12), rng.randint(0, 255), rng.randint(2, 254))
    if r < 0.8:
        return '172.%d.%d.%d' % (rng.randint(16, 31), rng.randint(0, 255), rng.randint(2, 254))
    return '192.168.%d.%d' % (rng.randint(0, 40), rng.randint(2, 254))


def doc_ip(rng):
    return '%s.%d' % (rng.choice(['192.0.2', '198.51.100', '203.0.113']), rng.randint(1, 254))


def port(rng):
    return rng.randint(32768, 60999)


def go_dur(rng, lo, hi):
    """A Go time.Duration string for a value between lo and hi seconds."""
    s = rng.uniform(lo, hi)
    if s >= 1:
        return ('%.9f' % s).rstrip('0').rstrip('.') + 's'
    if s >= 0.001:
        return ('%.6f' % (s * 1e3)).rstrip('0').rstrip('.') + 'ms'
    return ('%.3f' % (s * 1e6)).rstrip('0').rstrip('.') + '\u00b5s'


def logfmt(v):
    v = str(v)
    if v == '' or any(c in v for c in ' ="\\\n') or any(ord(c) < 32 for c in v):
        return '"' + v.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n') + '"'
    return v


def hclog_q(v):
    v = str(v)
    if any(c in v for c in ' "\t') or v == '':
        return '"' + v.replace('\\', '\\\\').replace('"', '\\"') + '"'
    return v


def ms3(ts):
    return '%03d' % (ts.microsecond // 1000)


def http_date(ts):
    return '%s, %02d %s %d %s GMT' % (DAYS[ts.weekday()], ts.day, MONTHS[ts.month - 1], ts.year,
                                       ts.strftime('%H:%M:%S'))


# ----------------------------------------------------------------------------
# 1. Prometheus server (go-kit logfmt)
# ----------------------------------------------------------------------------

class Prometheus(System):
    name = 'Prometheus'
    seed = 5101
    start = datetime(2024, 3, 11, 21, 4, 17, 118000)
    header_re = (r'^ts=(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) caller=(?P<caller>[\w./-]+:\d+) '
                 r'level=(?P<level>debug|info|warn|error) (?P<msg>.+)$')

    def header(self, meta, ts, h):
        return 'ts=%s.%sZ caller=%s level=%s ' % (ts.strftime('%Y-%m-%dT%H:%M:%S'), ms3(ts),
                                                   meta['src'], meta.get('lvl', 'info'))

    def gap(self):
        return self.rng.expovariate(1.0 / 33)

    def define(self):
        ev = self.ev
        self.START = ev('msg="Starting Prometheus Server" mode=<*> version=<*>', src='main.go:585')
        self.BUILD = ev('build_context=<*>', src='main.go:590')
        self.HOST = ev('host_details=<*>', src='main.go:591')
        self.FD = ev('fd_limits=<*>', src='main.go:592')
        self.VM = ev('vm_limits=<*>', src='main.go:593')
        self.WEBLISTEN = ev('component=web msg="Start listening for connections" address=<*>', src='web.go:566')
        self.STARTTSDB = ev('msg="Starting TSDB ..."', src='main.go:1041')
        self.TLS = ev('component=web msg="Listening on" address=<*>', src='tls_config.go:274')
        self.MMAP1 = ev('component=tsdb msg="Replaying on-disk memory mappable chunks if any"', src='head.go:595')
        self.MMAP2 = ev('component=tsdb msg="On-disk memory mappable chunks replay completed" duration=<*>',
                        src='head.go:676')
        self.WAL1 = ev('component=tsdb msg="Replaying WAL, this may take a while"', src='head.go:682')
        self.WALSEG = ev('component=tsdb msg="WAL segment loaded" segment=<*> maxSegment=<*>', src='head.go:753')
        self.WALDONE = ev('component=tsdb msg="WAL replay completed" checkpoint_replay_duration=<*> '
                          'wal_replay_duration=<*> wbl_replay_duration=<*> total_replay_duration=<*>',
                          src='head.go:790')
        self.FSTYPE = ev('fs_type=<*>', src='main.go:1062')
        self.TSDBOK = ev('msg="TSDB started"', src='main.go:1065')
        self.LOADCFG = ev('msg="Loading configuration file" filename=<*>', src='main.go:1263')
        self.CFGDONE = ev('msg="Completed loading of configuration file" filename=<*> totalDuration=<*> '
                          'db_storage=<*> remote_storage=<*> web_handler=<*> query_engine=<*> scrape=<*> '
                          'scrape_sd=<*> notify=<*> notify_sd=<*> rules=<*> tracing=<*>', src='main.go:1300')
        self.RULESTART = ev('component="rule manager" msg="Starting rule manager..."', src='manager.go:144')
        self.READY = ev('msg="Server is ready to receive web requests."', src='main.go:1024')
        # running
        self.WRITEBLK = ev('component=tsdb msg="write block" mint=<*> maxt=<*> ulid=<*> duration=<*>',
                           src='compact.go:708')
        self.HEADGC = ev('component=tsdb msg="Head GC completed" caller=truncateMemory duration=<*>',
                         src='head.go:1291')
        self.CKPT = ev('component=tsdb msg="Creating checkpoint" from_segment=<*> to_segment=<*> mint=<*>',
                       src='checkpoint.go:100')
        self.CKPTDONE = ev('component=tsdb msg="WAL checkpoint complete" first=<*> last=<*> duration=<*>',
                           src='head.go:1263')
        self.COMPACT = ev('component=tsdb msg="compact blocks" count=<*> mint=<*> maxt=<*> ulid=<*> '
                          'sources=<*> duration=<*>', src='compact.go:519')
        self.DELBLK = ev('component=tsdb msg="Deleting obsolete block" block=<*>', src='db.go:1617')
        self.APPEND = ev('component="scrape manager" scrape_pool=<*> target=<*> msg="Append failed" err=<*>',
                         src='scrape.go:1351', lvl='warn')
        self.DUPTS = ev('component="scrape manager" scrape_pool=<*> target=<*> msg="Error on ingesting samples '
                        'with different value but same timestamp" num_dropped=<*>', src='scrape.go:1690', lvl='warn')
        self.OOO = ev('component="scrape manager" scrape_pool=<*> target=<*> msg="Error on ingesting '
                      'out-of-order samples" num_dropped=<*>', src='scrape.go:1684', lvl='warn')
        self.RWFAIL = ev('component=remote remote_name=<*> url=<*> msg="Failed to send batch, retrying" err=<*>',
                         src='queue_manager.go:1592', lvl='warn')
        self.RESHARD = ev('component=remote remote_name=<*> url=<*> msg="Remote storage resharding" from=<*> to=<*>',
                          src='queue_manager.go:1050')
        self.NOTIFY = ev('component=notifier alertmanager=<*> count=<*> msg="Error sending alert" err=<*>',
                         src='notifier.go:532', lvl='error')
        self.RULEFAIL = ev('component="rule manager" file=<*> group=<*> name=<*> index=<*> '
                           'msg="Evaluating rule failed" rule=<*> err=<*>', src='manager.go:703', lvl='warn')
        self.KLOG = ev('component=k8s_client_runtime func=ErrorDepth msg=<*>', src='klog.go:116', lvl='error')
        # shutdown
        self.SIGTERM = ev('msg="Received SIGTERM, exiting gracefully..."', src='main.go:850', lvl='warn')
        self.STOPSD = ev('msg="Stopping scrape discovery manager..."', src='main.go:874')
        self.STOPNSD = ev('msg="Stopping notify discovery manager..."', src='main.go:888')
        self.STOPRULE = ev('msg="Stopping rule manager..."', src='main.go:970')
        self.STOPSCRAPE = ev('msg="Stopping scrape manager..."', src='main.go:906')
        self.SDSTOPPED = ev('msg="Scrape discovery manager stopped"', src='main.go:884')
        self.NOTIFSTOP = ev('component=notifier msg="Stopping notification manager..."', src='notifier.go:603')
        self.BYE = ev('msg="See you next time!"', src='main.go:1207')

    def init_state(self, ctx):
        ctx.st['blk'] = 1710172800000  # 2024-03-11T16:00:00Z
        ctx.st['seg'] = 1183
        ctx.st['blocks'] = []

    def plan(self):
        rng = self.rng
        R = Rec
        cfg = '/etc/prometheus/prometheus.yml'

        def d(lo, hi):
            return go_dur(rng, lo, hi)

        def cfgdone():
            return R(self.CFGDONE, [cfg, d(0.004, 0.03), d(1e-6, 3e-6), d(5e-5, 4e-4), d(2e-6, 9e-6),
                                    d(1e-6, 4e-6), d(3e-4, 1.5e-3), d(4e-4, 2e-3), d(2e-5, 9e-5),
                                    d(1e-5, 4e-5), d(0.001, 0.012), d(4e-6, 2e-5)])

        first_seg = 1141
        start = [[
            R(self.START, ['server', logfmt('(version=2.45.3, branch=HEAD, revision=%s)' % hexs(rng, 40))]),
            R(self.BUILD, [logfmt('(go=go1.21.6, platform=linux/amd64, user=root@%s, date=20240124-13:53:17, '
                                  'tags=netgo,builtinassets,stringlabels)' % hexs(rng, 12))]),
            R(self.HOST, [logfmt('(Linux 5.15.0-97-generic #107-Ubuntu SMP Wed Feb 7 13:26:48 UTC 2024 x86_64 '
                                 'prom-1 (none))')]),
            R(self.FD, [logfmt('(soft=1048576, hard=1048576)')]),
            R(self.VM, [logfmt('(soft=unlimited, hard=unlimited)')]),
            R(self.WEBLISTEN, ['0.0.0.0:9090']),
            R(self.STARTTSDB, []),
            R(self.TLS, ['[::]:9090']),
            R(self.MMAP1, [], dt=0.004),
            R(self.MMAP2, [d(0.05, 0.4)], dt=0.3),
            R(self.WAL1, []),
        ] + [R(self.WALSEG, [s, 1183], dt=rng.uniform(0.3, 2.5)) for s in range(first_seg, 1184)] + [
            R(self.WALDONE, [d(1, 3), d(8, 30), d(1e-6, 3e-6), d(10, 34)]),
            R(self.FSTYPE, ['EXT4_SUPER_MAGIC']),
            R(self.TSDBOK, []),
            R(self.LOADCFG, [cfg]),
            cfgdone(),
            R(self.RULESTART, []),
            R(self.READY, []),
        ]]

        def head_compaction(ckpt=False, compact=False):
            blk = {}

            def mint(c):
                if 'm' not in blk:
                    blk['m'] = c.st['blk']
                    c.st['blk'] += 7200000
                return blk['m']

            ul = Lazy(lambda c: ulid(rng, mint(c) + 7200000 + 3600000 + rng.randint(0, 90000)))

            def keep(c):
                c.st['blocks'].append(ul.get(c))
                return ul.get(c)

            ch = [R(self.WRITEBLK, [Lazy(mint), Lazy(lambda c: mint(c) + 7200000), Lazy(keep), d(0.4, 2.5)]),
                  R(self.HEADGC, [d(0.002, 0.09)], dt=rng.uniform(0.01, 0.08))]
            if ckpt:
                segs = {}

                def seg(c):
                    if 'a' not in segs:
                        segs['a'] = c.st['seg']
                        segs['b'] = c.st['seg'] + rng.randint(2, 5)
                        c.st['seg'] = segs['b'] + 1
                    return segs

                ch += [R(self.CKPT, [Lazy(lambda c: seg(c)['a']), Lazy(lambda c: seg(c)['b']),
                                     Lazy(lambda c: mint(c) + 7200000)], dt=0.05),
                       R(self.CKPTDONE, [Lazy(lambda c: seg(c)['a']), Lazy(lambda c: seg(c)['b']),
                                         d(0.8, 4)], dt=rng.uniform(1, 4))]
            if compact:
                src = {}

                def sources(c):
                    if 'l' not in src:
                        bl = c.st['blocks']
                        src['l'] = bl[-3:] if len(bl) >= 3 else [ulid(rng, 1710100000000 + i * 7200000)
                                                                  for i in range(3)]
                        src['mint'] = c.st['blk'] - 3 * 7200000
                    return src

                ch.append(R(self.COMPACT, [3, Lazy(lambda c: sources(c)['mint']),
                                           Lazy(lambda c: sources(c)['mint'] + 21600000),
                                           Lazy(lambda c: ulid(rng, c.st['blk'] + 60000)),
                                           Lazy(lambda c: logfmt('[%s]' % ' '.join(sources(c)['l']))),
                                           d(1.5, 6)], dt=rng.uniform(0.5, 2)))
                for i in range(3):
                    ch.append(R(self.DELBLK, [Lazy(lambda c, i=i: sources(c)['l'][i])], dt=0.002))
            return ch

        fixed = [head_compaction(ckpt=(i % 2 == 1), compact=(i in (5, 9))) for i in range(11)]
        fixed += [[R(self.LOADCFG, [cfg]), cfgdone()] for _ in range(2)]

        remotes = [('3f9d2a', 'https://metrics-gw.example.net/api/v1/push'),
                   ('b71c04', 'http://10.0.9.40:9009/api/v1/push')]
        rw_errs = [
            'server returned HTTP status 429 Too Many Requests: ingestion rate limit (20000) exceeded while '
            'adding %d samples and 0 metadata',
            'Post "%s": context deadline exceeded',
            'server returned HTTP status 503 Service Unavailable: upstream connect error or disconnect/reset '
            'before headers. reset reason: connection timeout',
            'Post "%s": dial tcp 10.0.9.40:9009: connect: connection refused',
        ]

        def rwfail_one(rem=None):
            rname, url = rem or rng.choices(remotes, weights=[4, 1])[0]
            e = rng.choice(rw_errs[:3] if rname == '3f9d2a' else rw_errs[1:])
            if '%d' in e:
                e = e % rng.randint(300, 2500)
            elif '%s' in e:
                e = e % url
            return R(self.RWFAIL, [rname, url, logfmt(e)], dt=rng.uniform(0.05, 8))

        def rwburst():
            rem = rng.choices(remotes, weights=[4, 1])[0]
            return [rwfail_one(rem) for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 5]))]

        def reshard():
            rname, url = rng.choice(remotes)
            a = rng.randint(1, 12)
            b = max(1, a + rng.choice([-3, -2, -1, 1, 2, 4, 7]))
            return [R(self.RESHARD, [rname, url, a, b])]

        pools = {
            'node': lambda: 'http://10.0.%d.%d:9100/metrics' % (rng.randint(1, 6), rng.randint(2, 250)),
            'kubernetes-pods': lambda: 'http://10.244.%d.%d:%d/metrics' % (rng.randint(0, 15), rng.randint(2, 250),
                                                                           rng.choice([8080, 9102, 3000])),
            'cadvisor': lambda: 'https://10.0.%d.%d:10250/metrics/cadvisor' % (rng.randint(1, 6),
                                                                             rng.randint(2, 250)),
            'postgres-exporter': lambda: 'http://10.0.7.%d:9187/metrics' % rng.randint(2, 30),
            'blackbox-http': lambda: 'http://10.0.8.11:9115/probe?module=http_2xx&target=https%%3A%%2F%%2Fshop.example.com%%2F%s' % rng.choice(['', 'health', 'cart', 'api%2Fv1%2Fstatus']),
        }
        pool_names = list(pools)

        def target():
            p = rng.choices(pool_names, weights=[5, 6, 3, 1, 1])[0]
            return p, pools[p]()

        def append():
            p, t = target()
            e = rng.choice(['out of bounds', 'out of bounds', 'sample limit exceeded',
                            'label name "le" is not unique: invalid sample'])
            return [R(self.APPEND, [p, t, logfmt(e)])]

        def dupts():
            p, t = target()
            return [R(self.DUPTS, [p, t, rng.choice([1, 1, 2, 3, 4, 8, 12, 31, 64])])]

        def ooo():
            p, t = target()
            return [R(self.OOO, [p, t, rng.randint(1, 40)])]

        ams = ['http://10.0.5.20:9093/api/v2/alerts', 'http://10.0.5.21:9093/api/v2/alerts']

        def notify():
            out = []
            for _ in range(rng.choice([1, 1, 2, 3])):
                am = rng.choice(ams)
                e = rng.choice(['Post "%s": dial tcp %s: connect: connection refused' % (am, am.split('/')[2]),
                                'Post "%s": context deadline exceeded' % am,
                                'bad response status 500 Internal Server Error'])
                out.append(R(self.NOTIFY, [am, rng.choice([1, 1, 2, 3, 5, 8, 14]), logfmt(e)],
                             dt=rng.uniform(0, 0.01)))
            return out

        rules = [
            ('/etc/prometheus/rules/node.yml', 'node.rules', 'NodeFilesystemAlmostFull', 3,
             'alert: NodeFilesystemAlmostFull\nexpr: node_filesystem_avail_bytes{fstype!="tmpfs"} / '
             'node_filesystem_size_bytes < 0.1\nfor: 10m\nlabels:\n  severity: warning\n'),
            ('/etc/prometheus/rules/node.yml', 'node.rules', 'instance:node_cpu:ratio', 0,
             'record: instance:node_cpu:ratio\nexpr: 1 - avg by(instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))\n'),
            ('/etc/prometheus/rules/shop.yml', 'shop.slo', 'ShopCheckoutLatencyHigh', 1,
             'alert: ShopCheckoutLatencyHigh\nexpr: histogram_quantile(0.99, sum by(le) '
             '(rate(http_request_duration_seconds_bucket{handler="/checkout"}[5m]))) > 1.5\nfor: 5m\n'),
            ('/etc/prometheus/rules/k8s.yml', 'kubernetes.apps', 'KubePodCrashLooping', 4,
             'alert: KubePodCrashLooping\nexpr: max_over_time(kube_pod_container_status_waiting_reason'
             '{reason="CrashLoopBackOff"}[5m]) * on(namespace, pod) group_left(node) kube_pod_info >= 1\nfor: 15m\n'),
        ]

        def rulefail():
            f, g, n, idx, body = rng.choice(rules)
            if 'group_left' in body:
                e = ('found duplicate series for the match group {namespace="%s", pod="%s"} on the right hand-side '
                     'of the operation: [{__name__="kube_pod_info", namespace="%s", node="worker-%d", pod="%s"}, '
                     '{__name__="kube_pod_info", namespace="%s", node="worker-%d", pod="%s"}];many-to-many matching '
                     'not allowed: matching labels must be unique on one side')
                ns = rng.choice(['shop', 'payments', 'monitoring'])
                pod = '%s-%s-%s' % (rng.choice(['api', 'worker', 'web']), hexs(rng, 10), b62(rng, 5).lower())
                e = e % (ns, pod, ns, rng.randint(1, 9), pod, ns, rng.randint(1, 9), pod)
            else:
                e = rng.choice(['query timed out in expression evaluation',
                                'query processing would load too many samples into memory in query execution'])
            return [R(self.RULEFAIL, [f, logfmt(g), n, idx, logfmt(body), logfmt(e)])]

        def klog():
            res, path = rng.choice([('*v1.Pod', 'pods'), ('*v1.Endpoints', 'endpoints'),
                                    ('*v1.Service', 'services'), ('*v1.Node', 'nodes')])
            ns = rng.choice(['shop', 'payments', 'monitoring', 'kube-system'])
            url = ('https://10.96.0.1:443/api/v1/nodes?limit=500&resourceVersion=0' if path == 'nodes' else
                   'https://10.96.0.1:443/api/v1/namespaces/%s/%s?limit=500&resourceVersion=0' % (ns, path))
            err = rng.choice(['dial tcp 10.96.0.1:443: i/o timeout', 'net/http: TLS handshake timeout',
                              'dial tcp 10.96.0.1:443: connect: connection refused'])
            m = ('pkg/mod/k8s.io/client-go@v0.27.3/tools/cache/reflector.go:231: Failed to watch %s: failed to '
                 'list %s: Get "%s": %s' % (res, res, url, err))
            return [R(self.KLOG, [logfmt(m)])]

        weighted = [(9, rwburst), (2.2, reshard), (10, append), (9, dupts), (2.5, ooo), (7, notify),
                    (7, rulefail), (5, klog)]
        end = [[R(self.SIGTERM, []), R(self.STOPSD, [], dt=0.0001), R(self.STOPNSD, [], dt=0.0001),
                R(self.STOPRULE, [], dt=0.0001), R(self.STOPSCRAPE, [], dt=0.0001),
                R(self.SDSTOPPED, [], dt=0.0002), R(self.NOTIFSTOP, [], dt=0.0003), R(self.BYE, [], dt=0.6)]]
        return start, fixed, weighted, lambda: [rwfail_one()], end


# ----------------------------------------------------------------------------
# 2. Envoy proxy application log (debug level; multi-line header dumps)
# ----------------------------------------------------------------------------

class Envoy(System):
    name = 'Envoy'
    seed = 5202
    start = datetime(2024, 3, 12, 9, 41, 3, 204000)
    header_re = (r'^\[(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]\[(?P<tid>\d+)\]'
                 r'\[(?P<level>trace|debug|info|warning|error|critical)\]\[(?P<logger>\w+)\] '
                 r'\[(?P<src>[\w./-]+:\d+)\] (?P<msg>.+)$')
    WORKERS = [15, 16, 17, 18, 19, 20, 21, 22]

    def header(self, meta, ts, h):
        return '[%s.%s][%d][%s][%s] [%s] ' % (ts.strftime('%Y-%m-%d %H:%M:%S'), ms3(ts), h.get('tid', 1),
                                              meta.get('lvl', 'debug'), meta['lg'], meta['src'])

    def gap(self):
        return self.rng.expovariate(1.0 / 0.9)

    def in_chunk_gap(self):
        return self.rng.uniform(0, 0.002)

    def define(self):
        ev = self.ev
        S = 'source/'
        self.EPOCH = ev('initializing epoch <*> (base id=<*>, hot restart version=<*>)', lvl='info', lg='main',
                        src=S + 'server/server.cc:404')
        self.ADMIN = ev('admin address: <*>', lvl='info', lg='main', src=S + 'server/server.cc:642')
        self.TRACING = ev('loading tracing configuration', lvl='info', lg='config',
                          src=S + 'server/configuration_impl.cc:129')
        self.SECRETS = ev('loading <*> static secret(s)', lvl='info', lg='config',
                          src=S + 'server/configuration_impl.cc:89')
        self.CLUSTERS = ev('loading <*> cluster(s)', lvl='info', lg='config',
                           src=S + 'server/configuration_impl.cc:95')
        self.LISTENERS = ev('loading <*> listener(s)', lvl='info', lg='config',
                            src=S + 'server/configuration_impl.cc:99')
        self.STATS = ev('loading stats configuration', lvl='info', lg='config',
                        src=S + 'server/configuration_impl.cc:111')
        self.NOLIMIT = ev('there is no configured limit to the number of allowed active connections. Set a limit '
                          'via the runtime key overload.global_downstream_max_connections', lvl='warning',
                          lg='main', src=S + 'server/server.cc:936')
        self.CDSINIT = ev('cm init: initializing cds', lvl='info', lg='upstream',
                          src=S + 'common/upstream/cluster_manager_impl.cc:222')
        self.DISPATCH = ev('starting main dispatch loop', lvl='info', lg='main', src=S + 'server/server.cc:875')
        self.CDSADD = ev('cds: add <*> cluster(s), remove <*> cluster(s)', lvl='info', lg='upstream',
                         src=S + 'common/upstream/cds_api_helper.cc:32')
        self.CDSDONE = ev('cds: added/updated <*> cluster(s), skipped <*> unmodified cluster(s)', lvl='info',
                          lg='upstream', src=S + 'common/upstream/cds_api_helper.cc:69')
        self.WARMING = ev('add/update cluster <*> starting warming', lvl='info', lg='upstream',
                          src=S + 'common/upstream/cluster_manager_impl.cc:734')
        self.WARMED = ev('warming cluster <*> complete', lvl='info', lg='upstream',
                         src=S + 'common/upstream/cluster_manager_impl.cc:747')
        self.CMDONE = ev('cm init: all clusters initialized', lvl='info', lg='upstream',
                         src=S + 'common/upstream/cluster_manager_impl.cc:200')
        self.INITMGR = ev('all clusters initialized. initializing init manager', lvl='info', lg='main',
                          src=S + 'server/server.cc:855')
        self.LDS = ev("lds: add/update listener '<*>'", lvl='info', lg='config',
                      src=S + 'server/listener_manager_impl.cc:797')
        self.WORKERS_START = ev('all dependencies initialized. starting workers', lvl='info', lg='config',
                                src=S + 'server/listener_manager_impl.cc:1006')
        # request path (debug)
        self.NEWCONN = ev('[C<*>] new connection from <*>', lg='conn_handler',
                          src=S + 'server/active_tcp_listener.cc:147')
        self.NEWSTREAM = ev('[C<*>] new stream', lg='http', src=S + 'common/http/conn_manager_impl.cc:299')
        self.REQHDR = ev('[C<*>][S<*>] request headers complete (end_stream=<*>):', lg='http',
                         src=S + 'common/http/conn_manager_impl.cc:904')
        self.MATCH = ev("[C<*>][S<*>] cluster '<*>' match for URL '<*>'", lg='router',
                        src=S + 'common/router/router.cc:470')
        self.ROUTERHDR = ev('[C<*>][S<*>] router decoding headers:', lg='router',
                            src=S + 'common/router/router.cc:673')
        self.EXISTING = ev('[C<*>] using existing connection', lg='pool',
                           src=S + 'common/http/conn_pool_base.cc:122')
        self.CONNTO = ev('[C<*>] connecting to <*>', lg='connection',
                         src=S + 'common/network/connection_impl.cc:912')
        self.CONNECTED = ev('[C<*>] connected', lg='connection', src=S + 'common/network/connection_impl.cc:672')
        self.POOLREADY = ev('[C<*>][S<*>] pool ready', lg='router', src=S + 'common/router/router.cc:1280')
        self.UPHDR = ev('[C<*>][S<*>] upstream headers complete: end_stream=<*>', lg='router',
                        src=S + 'common/router/router.cc:1378')
        self.ENCODE = ev('[C<*>][S<*>] encoding headers via codec (end_stream=<*>):', lg='http',
                         src=S + 'common/http/conn_manager_impl.cc:1534')
        self.RESPDONE = ev('[C<*>] response complete', lg='client', src=S + 'common/http/codec_client.cc:139')
        self.REMOTECLOSE = ev('[C<*>] remote close', lg='connection',
                              src=S + 'common/network/connection_impl.cc:644')
        self.CLOSESOCK = ev('[C<*>] closing socket: <*>', lg='connection',
                            src=S + 'common/network/connection_impl.cc:243')
        self.UPRESET = ev('[C<*>][S<*>] upstream reset: reset reason: <*>, transport failure reason: <*>',
                          lg='router', src=S + 'common/router/router.cc:1155')
        self.HC = ev('[C<*>] hc response=<*> health_flags=<*>', lg='hc',
                     src=S + 'common/upstream/health_checker_impl.cc:351')
        self.FLUSH = ev('flushing stats', lg='main', src=S + 'server/server.cc:252')
        self.DNS1 = ev('dns resolution for <*> started', lg='dns', src=S + 'common/network/dns_impl.cc:234')
        self.DNS2 = ev('dns resolution for <*> completed with status <*>', lg='dns',
                       src=S + 'common/network/dns_impl.cc:160')
        self.STREAMCLOSED = ev('<*> gRPC config stream to <*> closed since <*>s ago: <*>, <*>', lvl='warning',
                               lg='config', src=S + 'common/config/grpc_stream.h:201')
        self.REJECTED = ev('gRPC config for <*> rejected: <*>', lvl='warning', lg='config',
                           src=S + 'common/config/grpc_mux_impl.cc:256')
        self.REMOVING = ev('removing cluster <*>', lvl='info', lg='upstream',
                           src=S + 'common/upstream/cluster_manager_impl.cc:816')
        self.SIGTERM = ev('caught SIGTERM', lvl='warning', lg='main', src=S + 'server/server.cc:815')
        self.SHUTDOWN = ev('shutting down server instance', lvl='info', lg='main', src=S + 'server/server.cc:940')
        self.EXITING = ev('exiting', lvl='info', lg='main', src=S + 'server/server.cc:891')

    CLUSTERS_ = ['shop_api', 'catalog', 'payments', 'auth', 'static_assets', 'recommendations']

    def init_state(self, ctx):
        ctx.st['conn'] = 140
        ctx.st['down'] = []
        ctx.st['up'] = {c: [] for c in self.CLUSTERS_}
        ctx.st['hc'] = []

    def plan(self):
        rng = self.rng
        R = Rec
        main = {'tid': 1}

        def next_id(c):
            c.st['conn'] += rng.choice([1, 1, 1, 2, 3])
            return c.st['conn']

        start = [[
            R(self.EPOCH, [0, 0, '11.104'], h=main),
            R(self.ADMIN, ['0.0.0.0:9901'], h=main, dt=0.01),
            R(self.TRACING, [], h=main),
            R(self.SECRETS, [0], h=main),
            R(self.CLUSTERS, [1], h=main),
            R(self.LISTENERS, [0], h=main),
            R(self.STATS, [], h=main),
            R(self.NOLIMIT, [], h=main),
            R(self.CDSINIT, [], h=main),
            R(self.DISPATCH, [], h=main),
            R(self.CDSADD, [len(self.CLUSTERS_), 0], h=main, dt=0.03),
        ] + [x for cl in self.CLUSTERS_ for x in (R(self.WARMING, [cl], h=main),)] + [
            R(self.WARMED, [cl], h=main, dt=rng.uniform(0.001, 0.05)) for cl in self.CLUSTERS_] + [
            R(self.CDSDONE, [len(self.CLUSTERS_), 0], h=main),
            R(self.CMDONE, [], h=main),
            R(self.INITMGR, [], h=main),
            R(self.LDS, ['listener_http'], h=main, dt=0.02),
            R(self.LDS, ['listener_https'], h=main),
            R(self.WORKERS_START, [], h=main, dt=0.01),
        ]]

        routes = [
            ('shop_api', 'GET', lambda: '/api/v1/orders/%d' % rng.randint(100000, 999999), 8),
            ('shop_api', 'POST', lambda: '/api/v1/cart/items', 3),
            ('shop_api', 'GET', lambda: '/api/v1/cart', 3),
            ('catalog', 'GET', lambda: '/api/v1/products?page=%d&size=%d' % (rng.randint(1, 40),
                                                                            rng.choice([20, 50])), 6),
            ('catalog', 'GET', lambda: '/api/v1/products/%s' % rng.choice(
                ['trail-shoe-%d' % rng.randint(100, 999), 'rain-jacket-%d' % rng.randint(10, 99),
                 'sku-%06d' % rng.randint(0, 999999)]), 6),
            ('payments', 'POST', lambda: '/v2/payments/%s/capture' % b62(rng, 14), 2),
            ('auth', 'POST', lambda: '/oauth2/token', 3),
            ('static_assets', 'GET', lambda: '/static/%s.%s.%s' % (
                rng.choice(['app', 'vendor', 'checkout']), hexs(rng, 8), rng.choice(['js', 'css'])), 4),
            ('recommendations', 'GET', lambda: '/v1/recs?user=%d&limit=12' % rng.randint(1000, 99999), 2),
        ]
        r_weights = [r[3] for r in routes]
        upstream_addr = {
            'shop_api': lambda: '10.0.4.%d:8080' % rng.randint(10, 29),
            'catalog': lambda: '10.0.4.%d:8080' % rng.randint(40, 49),
            'payments': lambda: '10.0.6.%d:8443' % rng.randint(10, 13),
            'auth': lambda: '10.0.5.%d:9000' % rng.randint(20, 23),
            'static_assets': lambda: '10.0.4.%d:80' % rng.randint(60, 63),
            'recommendations': lambda: '10.0.7.%d:5000' % rng.randint(2, 5),
        }
        authorities = ['shop.example.com', 'api.shop.example.com', 'www.shop.example.com']
        uas = ['Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0',
               'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
               'Version/17.3 Mobile/15E148 Safari/604.1',
               'okhttp/4.12.0', 'ShopApp/5.14.2 (Android 14)', 'curl/8.5.0', 'python-requests/2.31.0']
        servers = {'shop_api': 'gunicorn', 'catalog': 'uvicorn', 'payments': 'nginx', 'auth': 'Kestrel',
                   'static_assets': 'nginx', 'recommendations': 'uvicorn'}

        def H(k, v):
            return "'%s', '%s'" % (k, v)

        def request(force_fail=False):
            tid = rng.choice(self.WORKERS)
            h = {'tid': tid}
            cl, method, pfn, _ = rng.choices(routes, weights=r_weights)[0]
            path = pfn()
            auth = rng.choice(authorities)
            ua = rng.choice(uas)
            accept = 'application/json' if cl not in ('static_assets',) else '*/*'
            new_down = rng.random() < 0.35

            def down_id(c):
                if new_down or not c.st['down']:
                    i = next_id(c)
                    c.st['down'] = (c.st['down'] + [i])[-30:]
                    return i
                return rng.choice(c.st['down'])

            dn = Lazy(down_id)
            sid = str(rng.randint(10 ** 17, 2 ** 64 - 1))
            new_up = rng.random() < 0.22

            def up_id(c):
                lst = c.st['up'][cl]
                if new_up or not lst:
                    i = next_id(c)
                    c.st['up'][cl] = (lst + [i])[-6:]
                    return i
                return rng.choice(lst)

            up = Lazy(up_id)
            body = method == 'POST'
            req = [H(':authority', auth), H(':path', path), H(':method', method), H('user-agent', ua),
                   H('accept', accept)]
            if body:
                req += [H('content-type', 'application/json'), H('content-length', rng.randint(40, 900))]
            rid = uuid4(rng)
            rtr = req[:3] + [H(':scheme', 'http')] + req[3:] + [
                H('x-forwarded-for', doc_ip(rng) if rng.random() < 0.8 else priv_ip(rng)),
                H('x-forwarded-proto', 'https'), H('x-request-id', rid),
                H('x-envoy-expected-rq-timeout-ms', '15000' if cl != 'payments' else '30000')]
            ch = []
            if new_down:
                ch.append(R(self.NEWCONN, [dn, '%s:%d' % (doc_ip(rng) if rng.random() < 0.5 else
                                                          '10.0.1.%d' % rng.randint(2, 9), port(rng))], h=h))
            ch.append(R(self.NEWSTREAM, [dn], h=h))
            ch.append(R(self.REQHDR, [dn, sid, 'false' if body else 'true'], conts=req, h=h))
            ch.append(R(self.MATCH, [dn, sid, cl, path.split('?')[0]], h=h))
            ch.append(R(self.ROUTERHDR, [dn, sid], conts=rtr, h=h))
            if new_up:
                ch.append(R(self.CONNTO, [up, upstream_addr[cl]()], h=h))
                ch.append(R(self.CONNECTED, [up], h=h, dt=rng.uniform(0.0005, 0.004)))
            else:
                ch.append(R(self.EXISTING, [up], h=h))
            ch.append(R(self.POOLREADY, [dn, sid], h=h))
            fail = rng.random()
            if force_fail or fail < 0.05:
                reason, tf = rng.choice([('connection failure', 'delayed connect error: 111'),
                                         ('connection failure', 'delayed connect error: 113'),
                                         ('connection timeout', 'delayed connect error: 110')])
                ch.append(R(self.UPRESET, [dn, sid, reason, tf], h=h, dt=rng.uniform(0.001, 1.0)))
                enc = [H(':status', '503'), H('content-length', rng.choice([91, 145])),
                       H('content-type', 'text/plain'), AtTs(lambda ts: H('date', http_date(ts))),
                       H('server', 'envoy')]
                ch.append(R(self.ENCODE, [dn, sid, 'false'], conts=enc, h=h))
            else:
                st = rng.choices(['200', '201', '204', '304', '401', '404', '500'],
                                 weights=[70, 6 if body else 0, 3, 6 if cl == 'static_assets' else 0, 3, 5, 1])[0]
                ct = 'application/json' if cl != 'static_assets' else (
                    'text/css' if path.endswith('css') else 'application/javascript')
                clen = rng.randint(30, 48000)
                ms = rng.randint(1, 180 if cl != 'payments' else 1400)
                uh = [H(':status', st)]
                if st not in ('204', '304'):
                    uh += [H('content-type', ct), H('content-length', clen)]
                uh += [AtTs(lambda ts: H('date', http_date(ts))), H('server', servers[cl])]
                enc = uh[:-1] + [H('x-envoy-upstream-service-time', ms), H('server', 'envoy')]
                ch.append(R(self.UPHDR, [dn, sid, 'false' if st not in ('204', '304') else 'true'], conts=uh,
                            h=h, dt=ms / 1000.0))
                ch.append(R(self.ENCODE, [dn, sid, 'false' if st not in ('204', '304') else 'true'], conts=enc,
                            h=h))
                ch.append(R(self.RESPDONE, [up], h=h))
            if rng.random() < 0.18:
                ch.append(R(self.REMOTECLOSE, [dn], h=h, dt=rng.uniform(0.01, 3)))
                ch.append(R(self.CLOSESOCK, [dn, 0], h=h))
            return ch

        def hc():
            cl = rng.choice(['shop_api', 'catalog', 'payments', 'auth'])
            tid = rng.choice(self.WORKERS)

            def hcid(c):
                if len(c.st['hc']) < 10 or rng.random() < 0.04:
                    i = next_id(c)
                    c.st['hc'] = (c.st['hc'] + [i])[-10:]
                    return i
                return rng.choice(c.st['hc'])

            bad = rng.random() < 0.06
            return [R(self.HC, [Lazy(hcid), '503' if bad else '200', '/failed_active_hc' if bad else 'healthy'],
                      h={'tid': tid})]

        def flush():
            return [R(self.FLUSH, [], h=main)]

        dns_names = ['payments.internal.example.net', 'auth.internal.example.net', 'recs.internal.example.net',
                     'otel-collector.observability.svc.cluster.local']

        def dns():
            n = rng.choice(dns_names)
            return [R(self.DNS1, [n], h=main),
                    R(self.DNS2, [n, rng.choices(['0', '1'], weights=[30, 1])[0]], h=main,
                      dt=rng.uniform(0.001, 0.03))]

        def cds_update():
            cls = rng.sample(self.CLUSTERS_, rng.choice([1, 1, 2]))
            ch = [R(self.CDSADD, [len(cls), 0], h=main)]
            ch += [R(self.WARMING, [c], h=main) for c in cls]
            ch += [R(self.WARMED, [c], h=main, dt=rng.uniform(0.001, 0.2)) for c in cls]
            ch.append(R(self.CDSDONE, [len(cls), len(self.CLUSTERS_) - len(cls)], h=main))
            return ch

        def stream_closed():
            return [R(self.STREAMCLOSED, ['StreamAggregatedResources', 'xds_cluster', rng.randint(1, 1900),
                                          rng.choice(['14', '14', '13']),
                                          rng.choice(['upstream connect error or disconnect/reset before headers. '
                                                      'reset reason: connection failure, transport failure reason: '
                                                      'delayed connect error: 111',
                                                      'Connection reset by peer'])], h=main)]

        fixed = [stream_closed() for _ in range(3)]
        fixed.append([R(self.REJECTED, ['type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
                                        'Only unique values for domains are permitted. Duplicate entry of domain '
                                        'shop.example.com in route local_route'], h=main)])
        fixed.append([R(self.CDSADD, [0, 1], h=main), R(self.REMOVING, ['recommendations_canary'], h=main),
                      R(self.CDSDONE, [0, len(self.CLUSTERS_)], h=main)])
        fixed += [cds_update() for _ in range(3)]
        fixed += [request(force_fail=True) for _ in range(2)]
        weighted = [(2.6, request), (14, flush), (11, hc), (2.5, dns)]
        end = [[R(self.SIGTERM, [], h=main), R(self.SHUTDOWN, [], h=main), R(self.EXITING, [], h=main, dt=0.4)]]
        return start, fixed, weighted, flush, end


# ----------------------------------------------------------------------------
# 3. Django 1.11 web shop under gunicorn (multi-line tracebacks)
# ----------------------------------------------------------------------------

class Django(System):
    name = 'Django'
    seed = 5303
    start = datetime(2024, 3, 13, 6, 0, 2, 517000)
    header_re = (r'^\[(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] (?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) '
                 r'\[(?P<logger>[\w.]+):(?P<lineno>\d+)\] (?P<msg>.+)$')
    VENV = '/srv/shop/venv/lib/python3.6/site-packages'
    APP = '/srv/shop/app'

    def header(self, meta, ts, h):
        return '[%s,%s] %s [%s:%d] ' % (ts.strftime('%Y-%m-%d %H:%M:%S'), ms3(ts), meta['lvl'], meta['lg'],
                                        meta['ln'])

    def gap(self):
        return self.rng.expovariate(1.0 / 24)

    def in_chunk_gap(self):
        return self.rng.uniform(0.001, 0.3)

    def define(self):
        ev = self.ev
        self.NOTFOUND = ev('Not Found: <*>', lvl='WARNING', lg='django.request', ln=152)
        self.ISE = ev('Internal Server Error: <*>', lvl='ERROR', lg='django.request', ln=135)
        self.PERM = ev('Forbidden (Permission denied): <*>', lvl='WARNING', lg='django.request', ln=101)
        self.CSRF = ev('Forbidden (<*>): <*>', lvl='WARNING', lg='django.security.csrf', ln=58)
        self.HOST = ev('Invalid HTTP_HOST header: <*>. You may need to add <*> to ALLOWED_HOSTS.', lvl='ERROR',
                       lg='django.security.DisallowedHost', ln=76)
        self.G_START = ev('Starting gunicorn <*>', lvl='INFO', lg='gunicorn.error', ln=271)
        self.G_LISTEN = ev('Listening at: <*> (<*>)', lvl='INFO', lg='gunicorn.error', ln=271)
        self.G_WORKER = ev('Using worker: <*>', lvl='INFO', lg='gunicorn.error', ln=271)
        self.G_BOOT = ev('Booting worker with pid: <*>', lvl='INFO', lg='gunicorn.error', ln=271)
        self.G_TIMEOUT = ev('WORKER TIMEOUT (pid:<*>)', lvl='CRITICAL', lg='gunicorn.error', ln=261)
        self.G_ERRREQ = ev('Error handling request <*>', lvl='ERROR', lg='gunicorn.error', ln=274)
        self.G_EXIT = ev('Worker exiting (pid: <*>)', lvl='INFO', lg='gunicorn.error', ln=271)
        self.G_SIGNAL = ev('Handling signal: <*>', lvl='INFO', lg='gunicorn.error', ln=271)
        self.G_HUP = ev('Hang up: <*>', lvl='INFO', lg='gunicorn.error', ln=271)
        self.G_AUTO = ev('Autorestarting worker after current request.', lvl='INFO', lg='gunicorn.error', ln=271)
        self.G_SHUT = ev('Shutting down: <*>', lvl='INFO', lg='gunicorn.error', ln=271)
        self.O_CREATED = ev('Order <*> created for user <*>: <*> item(s), total <*> <*>', lvl='INFO',
                            lg='shop.orders.services', ln=64)
        self.O_STATUS = ev('Order <*> status changed from <*> to <*>', lvl='INFO', lg='shop.orders.models', ln=188)
        self.P_TIMEOUT = ev('Payment provider timeout for order <*> after <*>s (attempt <*>/<*>)', lvl='WARNING',
                            lg='shop.payments.client', ln=97)
        self.P_FAIL = ev('Capture failed for order <*>', lvl='ERROR', lg='shop.payments.service', ln=93)
        self.P_HOOK = ev('Webhook <*> received for payment <*>', lvl='INFO', lg='shop.payments.webhooks', ln=41)
        self.A_LOGIN = ev('User <*> logged in from <*>', lvl='INFO', lg='shop.accounts.signals', ln=22)
        self.A_FAIL = ev('Failed login for <*> from <*>', lvl='WARNING', lg='shop.accounts.signals', ln=35)
        self.A_RESET = ev('Password reset requested for <*>', lvl='INFO', lg='shop.accounts.views', ln=148)
        self.I_LOW = ev('Low stock for SKU <*>: <*> left in warehouse <*>', lvl='WARNING',
                        lg='shop.inventory.services', ln=77)
        self.S_SEARCH = ev('Search <*> returned <*> results in <*>ms', lvl='INFO', lg='shop.catalog.search', ln=53)
        self.M_FAIL = ev('Could not send <*> email to <*>: <*>', lvl='ERROR', lg='shop.notifications.mail', ln=66)
        self.C_FALL = ev('Cache backend unavailable, falling back to database: <*>', lvl='WARNING',
                         lg='shop.core.cache', ln=29)

    def init_state(self, ctx):
        ctx.st['workers'] = [1192, 1193, 1194, 1195]
        ctx.st['next_pid'] = 1196
        ctx.st['order'] = 481207

    def plan(self):
        rng = self.rng
        R = Rec
        V, A = self.VENV, self.APP
        users = ['alice', 'bob.k', 'mkowalski', 'j.smith', 'nora', 'tpetrov', 'li.wei', 'admin', 'guest42',
                 'sofia.r', 'hans', 'amara']
        u_w = [9, 6, 5, 5, 4, 3, 3, 1, 1, 2, 2, 2]

        def user():
            return rng.choices(users, weights=u_w)[0]

        def client_ip():
            return doc_ip(rng) if rng.random() < 0.7 else priv_ip(rng)

        def order_id():
            return rng.randint(470000, 499999)

        def new_order(c):
            c.st['order'] += rng.randint(1, 4)
            return c.st['order']

        def F(path, line, func, code):
            return ['  File "%s", line %d, in %s' % (path, line, func), '    ' + code]

        head = ['Traceback (most recent call last):'] + \
            F(V + '/django/core/handlers/exception.py', 41, 'inner', 'response = get_response(request)') + \
            F(V + '/django/core/handlers/base.py', 187, '_get_response',
              'response = self.process_exception_by_middleware(e, request)') + \
            F(V + '/django/core/handlers/base.py', 185, '_get_response',
              'response = wrapped_callback(request, *callback_args, **callback_kwargs)')
        cbv = F(V + '/django/views/generic/base.py', 68, 'view', 'return self.dispatch(request, *args, **kwargs)') + \
            F(V + '/django/contrib/auth/mixins.py', 56, 'dispatch',
              'return super(LoginRequiredMixin, self).dispatch(request, *args, **kwargs)') + \
            F(V + '/django/views/generic/base.py', 88, 'dispatch', 'return handler(request, *args, **kwargs)')

        def ise():
            k = rng.choices(range(4), weights=[4, 3, 3, 1])[0]
            if k == 0:
                path = '/checkout/'
                tb = head + cbv + F(A + '/shop/checkout/views.py', 94, 'post',
                                    'order = services.place_order(request.user, cart)') + \
                    F(A + '/shop/checkout/services.py', 57, 'place_order',
                      "address = cart.metadata['shipping_address']") + ["KeyError: 'shipping_address'"]
            elif k == 1:
                path = '/api/v1/orders/%d/' % order_id()
                tb = head + F(A + '/shop/orders/views.py', 131, 'order_detail',
                              'return JsonResponse(order.to_dict())') + \
                    F(A + '/shop/orders/models.py', 212, 'to_dict', "'email': self.customer.email,") + \
                    ["AttributeError: 'NoneType' object has no attribute 'email'"]
            elif k == 2:
                slug = rng.choice(['trail-shoe-%d' % rng.randint(100, 999), 'rain-jacket-%d' % rng.randint(10, 99),
                                   'wool-socks-%d' % rng.randint(1, 9)])
                path = '/products/%s/reviews/' % slug
                bad = rng.choice(["2abc", "1;", "null", "3'", "%27", "-", "1.5", "undefined"])
                tb = head + F(A + '/shop/catalog/views.py', 77, 'product_reviews',
                              "page = int(request.GET.get('page', 1))") + \
                    ["ValueError: invalid literal for int() with base 10: '%s'" % bad]
            else:
                path = '/cart/apply-coupon/'
                tb = head + cbv + F(A + '/shop/cart/views.py', 143, 'post',
                                    "discount = Decimal(request.POST['amount'])") + \
                    ["decimal.InvalidOperation: [<class 'decimal.ConversionSyntax'>]"]
            return [R(self.ISE, [path], conts=tb)]

        def capture_fail():
            oid = order_id()
            ch = []
            for i in range(rng.choice([0, 0, 1, 2])):
                ch.append(R(self.P_TIMEOUT, [oid, rng.choice(['10.0', '10.0', '15.0']), i + 1, 3],
                            dt=rng.uniform(10, 16)))
            code, text = rng.choice([('card_declined', 'Your card was declined.'),
                                     ('expired_card', 'Your card has expired.'),
                                     ('processing_error', 'An error occurred while processing your card.'),
                                     ('amount_too_large', 'Amount must be no more than 999999.99')])
            tb = ['Traceback (most recent call last):'] + \
                F(A + '/shop/payments/service.py', 88, 'capture',
                  'result = self.client.capture(payment.provider_ref, amount=payment.amount)') + \
                F(A + '/shop/payments/client.py', 141, 'capture',
                  "raise ProviderError(data['error']['code'], data['error']['message'])") + \
                ['shop.payments.client.ProviderError: %s: %s' % (code, text)]
            ch.append(R(self.P_FAIL, [oid], conts=tb))
            return ch

        def worker_swap(kind):
            st = {}

            def old(c):
                if 'o' not in st:
                    st['o'] = rng.choice(c.st['workers'])
                return st['o']

            def new(c):
                o = old(c)
                n = c.st['next_pid']
                c.st['next_pid'] += rng.randint(1, 40)
                c.st['workers'] = [n if w == o else w for w in c.st['workers']]
                return n

            lo, ln = Lazy(old), Lazy(new)
            if kind == 'timeout':
                uri = rng.choice(['/checkout/', '/api/v1/orders/%d/refund/' % order_id(), '/cart/'])
                tb = ['Traceback (most recent call last):'] + \
                    F(V + '/gunicorn/workers/sync.py', 134, 'handle',
                      'self.handle_request(listener, req, client, addr)') + \
                    F(V + '/gunicorn/workers/sync.py', 175, 'handle_request',
                      'respiter = self.wsgi(environ, resp.start_response)') + \
                    F(V + '/django/core/handlers/wsgi.py', 157, '__call__',
                      'response = self.get_response(request)') + \
                    F(V + '/django/core/handlers/base.py', 124, 'get_response',
                      'response = self._middleware_chain(request)') + \
                    F(V + '/django/core/handlers/exception.py', 41, 'inner', 'response = get_response(request)') + \
                    F(A + '/shop/payments/client.py', 63, '_post',
                      'resp = self.session.post(url, json=payload, timeout=self.timeout)') + \
                    F('/usr/lib/python3.6/ssl.py', 1012, 'recv_into', 'return self.read(nbytes, buffer)') + \
                    F('/usr/lib/python3.6/ssl.py', 874, 'read', 'return self._sslobj.read(len, buffer)') + \
                    F('/usr/lib/python3.6/ssl.py', 631, 'read', 'v = self._sslobj.read(len, buffer)') + \
                    F(V + '/gunicorn/workers/base.py', 196, 'handle_abort', 'sys.exit(1)') + ['SystemExit: 1']
                return [R(self.G_TIMEOUT, [lo]), R(self.G_ERRREQ, [uri], conts=tb, dt=0.01),
                        R(self.G_EXIT, [lo], dt=0.002), R(self.G_BOOT, [ln], dt=rng.uniform(0.05, 0.4))]
            return [R(self.G_AUTO, []), R(self.G_EXIT, [lo], dt=0.05), R(self.G_BOOT, [ln], dt=rng.uniform(0.05, 0.4))]

        def hup():
            ch = [R(self.G_SIGNAL, ['hup']), R(self.G_HUP, ['Master'], dt=0.001)]
            olds = [Lazy(lambda c, i=i: c.st['workers'][i]) for i in range(4)]

            def renew(c, i):
                olds[i].get(c)
                n = c.st['next_pid']
                c.st['next_pid'] += rng.randint(1, 9)
                c.st['workers'][i] = n
                return n

            for i in range(4):
                ch.append(R(self.G_BOOT, [Lazy(lambda c, i=i: renew(c, i))], dt=0.02))
            for i in range(4):
                ch.append(R(self.G_EXIT, [olds[i]], dt=0.01))
            return ch

        nf_paths = [lambda: rng.choice(['/wp-login.php', '/xmlrpc.php', '/.env', '/.git/config', '/phpmyadmin/',
                                        '/wp-admin/setup-config.php', '/admin.php', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
                                        '/config.json', '/server-status']),
                    lambda: '/products/%s/' % rng.choice(['trail-shoe-%d' % rng.randint(100, 999),
                                                          'rain-jacket-%d' % rng.randint(10, 99),
                                                          'gift-card-%d' % rng.choice([25, 50, 100])]),
                    lambda: '/api/v1/orders/%d/' % order_id(),
                    lambda: rng.choice(['/static/css/%s.css', '/static/js/%s.js', '/static/img/%s.png']) % rng.choice(
                        ['app', 'vendor', 'logo-2019', 'banner-spring', 'app.%s' % hexs(rng, 8)]),
                    lambda: '/apple-touch-icon-precomposed.png']

        def notfound():
            return [R(self.NOTFOUND, [rng.choices(nf_paths, weights=[7, 5, 3, 3, 1])[0]()])]

        states = ['pending', 'paid', 'packed', 'shipped', 'delivered']

        def created():
            n = rng.choice([1, 1, 1, 2, 2, 3, 4, 6])
            oid = Lazy(new_order)
            total = '%.2f' % (rng.uniform(9, 90) * n)
            ch = [R(self.O_CREATED, [oid, user(), n, total, rng.choices(['EUR', 'GBP', 'USD'], weights=[6, 2, 2])[0]])]
            if rng.random() < 0.6:
                ch.append(R(self.O_STATUS, [oid, 'pending', 'paid'], dt=rng.uniform(2, 40)))
            return ch

        def status():
            oid = order_id()
            i = rng.choices([1, 2, 3], weights=[2, 3, 3])[0]
            r = rng.random()
            if r < 0.08:
                return [R(self.O_STATUS, [oid, states[i], 'cancelled'])]
            if r < 0.12:
                return [R(self.O_STATUS, [oid, 'delivered', 'refunded'])]
            return [R(self.O_STATUS, [oid, states[i], states[i + 1]])]

        def login():
            return [R(self.A_LOGIN, [user(), client_ip()])]

        def failed_login():
            name = rng.choice(users + ['root', 'test', 'administrator'])
            ip = client_ip()
            return [R(self.A_FAIL, ["'%s'" % name, ip], dt=rng.uniform(1, 5))
                    for _ in range(rng.choice([1, 1, 2, 3, 5]))]

        queries = ['running shoes', 'rain jacket', 'socks', 'gift card', 'tent 2 person', 'headlamp', 'trail',
                   'merino', 'kids boots', 'sale']

        def search():
            q = rng.choice(queries) if rng.random() < 0.85 else rng.choice(['goretex', 'waterproof gloves xl',
                                                                            'bike lock', 'thermos'])
            return [R(self.S_SEARCH, ["'%s'" % q, rng.choice([0, 3, 12, 17, 24, 38, 51, 120, 240]),
                                      rng.randint(4, 380)])]

        hooks = ['payment_intent.succeeded', 'charge.refunded', 'payment_intent.payment_failed',
                 'charge.dispute.created']

        def webhook():
            return [R(self.P_HOOK, [rng.choices(hooks, weights=[12, 2, 3, 1])[0], 'pi_' + b62(rng, 24)])]

        def ptimeout():
            return [R(self.P_TIMEOUT, [order_id(), '10.0', rng.choice([1, 1, 2]), 3])]

        def lowstock():
            return [R(self.I_LOW, ['%s-%04d' % (rng.choice(['TS', 'RJ', 'WS', 'TN', 'HL']), rng.randint(1, 9999)),
                                   rng.randint(0, 4), rng.choice(['AMS-1', 'AMS-1', 'LEJ-2', 'MAN-1'])])]

        def csrf():
            return [R(self.CSRF, [rng.choice(['CSRF cookie not set.', 'CSRF token missing or incorrect.',
                                              'Referer checking failed - no Referer.']),
                                  rng.choice(['/accounts/login/', '/cart/add/', '/checkout/', '/newsletter/'])])]

        def perm():
            return [R(self.PERM, [rng.choice(['/staff/orders/export/', '/admin/shop/order/%d/change/' % order_id(),
                                              '/staff/inventory/'])])]

        def badhost():
            hst = rng.choice(['%s' % doc_ip(rng), 'shop-origin.example.net', '%s:8000' % priv_ip(rng), 'localhost'])
            return [R(self.HOST, ["'%s'" % hst, "'%s'" % hst.split(':')[0]])]

        def reset():
            return [R(self.A_RESET, ['%s@example.%s' % (user(), rng.choice(['com', 'org', 'net']))])]

        def mailfail():
            return [R(self.M_FAIL, [rng.choice(['order_confirmation', 'password_reset', 'shipping_update']),
                                    '%s@example.%s' % (user(), rng.choice(['com', 'org'])),
                                    rng.choice(['[Errno 110] Connection timed out',
                                                "(421, b'4.7.0 Try again later, closing connection.')"])])]

        start = [[R(self.G_START, ['19.9.0']), R(self.G_LISTEN, ['http://0.0.0.0:8000', 1187], dt=0.001),
                  R(self.G_WORKER, ['sync'], dt=0.001)] +
                 [R(self.G_BOOT, [p], dt=0.004) for p in (1192, 1193, 1194, 1195)]]
        fixed = [worker_swap('timeout') for _ in range(3)] + [worker_swap('auto') for _ in range(4)]
        fixed += [capture_fail() for _ in range(5)] + [mailfail() for _ in range(3)] + [hup()]
        fixed += [[R(self.C_FALL, ['Error 111 connecting to 10.0.4.31:6379. Connection refused.'])]
                  for _ in range(2)]
        weighted = [(26, notfound), (12, created), (11, status), (11, login), (9, search), (4, failed_login),
                    (6, webhook), (2.6, ise), (2.5, ptimeout), (2.5, lowstock), (1.6, csrf), (1.0, perm),
                    (1.2, badhost), (1.6, reset)]

        def end_chunk():
            ws = [Lazy(lambda c, i=i: c.st['workers'][i]) for i in range(4)]
            return [R(self.G_SIGNAL, ['term'])] + [R(self.G_EXIT, [w], dt=0.01) for w in ws] + \
                [R(self.G_SHUT, ['Master'], dt=0.2)]

        return start, fixed, weighted, notfound, [end_chunk()]


# ----------------------------------------------------------------------------
# 4. HashiCorp Vault server (hclog text format, integrated raft storage)
# ----------------------------------------------------------------------------

class Vault(System):
    name = 'Vault'
    seed = 5404
    start = datetime(2024, 3, 14, 2, 11, 48, 903000)
    header_re = (r'^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[(?P<level>TRACE|DEBUG|INFO|WARN|ERROR)\] {1,2}'
                 r'(?P<component>[\w.\-]+): (?P<msg>.+)$')
    BRACKET = {'INFO': '[INFO] ', 'WARN': '[WARN] ', 'ERROR': '[ERROR]', 'DEBUG': '[DEBUG]'}

    def header(self, meta, ts, h):
        return '%s.%sZ %s %s: ' % (ts.strftime('%Y-%m-%dT%H:%M:%S'), ms3(ts), self.BRACKET[meta.get('lvl', 'INFO')],
                                   meta['c'])

    def gap(self):
        return self.rng.expovariate(1.0 / 45)

    def define(self):
        ev = self.ev
        self.LISTEN = ev('starting listener: listener_address=<*>', c='core.cluster-listener.tcp')
        self.SERVING = ev('serving cluster requests: cluster_listen_address=<*>', c='core.cluster-listener')
        self.INITCFG = ev('initial configuration: index=<*> servers=<*>', c='storage.raft')
        self.CANDIDATE = ev('entering candidate state: node=<*> term=<*>', c='storage.raft')
        self.WON = ev('election won: term=<*> tally=<*>', c='storage.raft')
        self.LEADER = ev('entering leader state: leader=<*>', c='storage.raft')
        self.ADDPEER = ev('added peer, starting replication: peer=<*>', c='storage.raft')
        self.PIPELINE = ev('pipelining replication: peer=<*>', c='storage.raft')
        self.UNSEALED = ev('vault is unsealed', c='core')
        self.LOCK = ev('acquired lock, enabling active operation', c='core')
        self.PU_START = ev('post-unseal setup starting', c='core')
        self.WRAPKEY = ev('loaded wrapping token key', c='core')
        self.CATALOG = ev('successfully setup plugin catalog: plugin-directory=<*>', c='core')
        self.MOUNTED = ev('successfully mounted backend: type=<*> path=<*>', c='core')
        self.CRED_OK = ev('successfully enabled credential backend: type=<*> path=<*>', c='core')
        self.ROLLBACK = ev('starting rollback manager', c='rollback')
        self.RESTORING = ev('restoring leases', c='core')
        self.RESTORED = ev('lease restore complete', c='expiration')
        self.ENTITIES = ev('entities restored', c='identity')
        self.GROUPS = ev('groups restored', c='identity')
        self.PU_DONE = ev('post-unseal setup complete', c='core')
        # running
        self.REVOKED = ev('revoked lease: lease_id=<*>', c='expiration')
        self.ATTEMPT = ev('attempting rollback: path=<*>', lvl='DEBUG', c='rollback')
        self.CERTLOOKUP = ev('performing server cert lookup', lvl='DEBUG', c='core.cluster-listener')
        self.FWDCONN = ev('got request forwarding connection', lvl='DEBUG', c='core.request-forward')
        self.TLSERR = ev('TLS handshake error from <*>: <*>', c='http')
        self.ALPN = ev('no TLS config found for ALPN: ALPN=<*>', lvl='ERROR', c='core.cluster-listener')
        self.REVOKEFAIL = ev('failed to revoke lease: lease_id=<*> error=<*>', lvl='ERROR', c='expiration')
        self.SNAP1 = ev('starting snapshot up to: index=<*>', c='storage.raft')
        self.COMPACTLOGS = ev('compacting logs: from=<*> to=<*>', c='storage.raft')
        self.SNAP2 = ev('snapshot complete up to: index=<*>', c='storage.raft')
        self.CONTACT = ev('failed to contact: server-id=<*> time=<*>', lvl='WARN', c='storage.raft')
        self.APPENDFAIL = ev('failed to appendEntries to: peer=<*> error=<*>', lvl='ERROR', c='storage.raft')
        self.HBFAIL = ev('failed to heartbeat to: peer=<*> backoff time=<*> error=<*>', lvl='ERROR',
                         c='storage.raft')
        self.ABORTPIPE = ev('aborting pipeline replication: peer=<*>', lvl='INFO', c='storage.raft')
        self.UPDCFG = ev('updating configuration: command=<*> server-id=<*> server-addr=<*> servers=<*>',
                         c='storage.raft')
        self.CRED_EN = ev('enabled credential backend: path=<*> type=<*>', c='core')
        self.TUNE = ev('mount tuning of leases successful: path=<*>', c='core')
        # shutdown
        self.SEALED_MARK = ev('marked as sealed', c='core')
        self.PRESEAL = ev('pre-seal teardown starting', c='core')
        self.RB_STOP = ev('stopping rollback manager', c='rollback')
        self.PRESEAL_DONE = ev('pre-seal teardown complete', c='core')
        self.CL_DOWN = ev('cluster listeners successfully shut down', c='core')
        self.SEALED = ev('vault is sealed', c='core')

    def init_state(self, ctx):
        ctx.st['idx'] = 4811230
        ctx.st['compacted'] = 4790000

    def plan(self):
        rng = self.rng
        R = Rec
        nodes = [('node1', '10.0.1.11'), ('node2', '10.0.1.12'), ('node3', '10.0.1.13')]

        def peer(n):
            return hclog_q('{Voter %s %s:8201}' % (n[0], n[1]))

        servers = hclog_q('[' + ' '.join('{Suffrage:Voter ID:%s Address:%s:8201}' % n for n in nodes) + ']')
        term = 41
        start = [[
            R(self.LISTEN, ['10.0.1.11:8201']),
            R(self.SERVING, ['10.0.1.11:8201'], dt=0.001),
            R(self.INITCFG, [4811197, servers], dt=0.03),
            R(self.CANDIDATE, [hclog_q('Node at 10.0.1.11:8201 [Candidate]'), term + 1], dt=1.9),
            R(self.WON, [term + 1, 2], dt=0.02),
            R(self.LEADER, [hclog_q('Node at 10.0.1.11:8201 [Leader]')], dt=0.001),
            R(self.ADDPEER, ['node2']), R(self.ADDPEER, ['node3']),
            R(self.PIPELINE, [peer(nodes[1])], dt=0.004), R(self.PIPELINE, [peer(nodes[2])], dt=0.002),
            R(self.UNSEALED, [], dt=0.05),
            R(self.LOCK, [], dt=0.2),
            R(self.PU_START, [], dt=0.01),
            R(self.WRAPKEY, []),
            R(self.CATALOG, ['/etc/vault.d/plugins']),
        ] + [R(self.MOUNTED, [t, p]) for t, p in [('system', 'sys/'), ('identity', 'identity/'),
                                                  ('cubbyhole', 'cubbyhole/'), ('kv', 'secret/'),
                                                  ('database', 'database/'), ('pki', 'pki_int/'),
                                                  ('aws', 'aws/')]] +
            [R(self.CRED_OK, [t, p]) for t, p in [('token', 'token/'), ('kubernetes', 'kubernetes/'),
                                                  ('userpass', 'userpass/')]] + [
            R(self.ROLLBACK, []),
            R(self.RESTORING, []),
            R(self.ENTITIES, [], dt=0.03),
            R(self.GROUPS, []),
            R(self.PU_DONE, [], dt=0.01),
            R(self.RESTORED, [], dt=1.4),
        ]]

        def lease():
            k = rng.choices(range(5), weights=[8, 6, 3, 2, 1])[0]
            if k == 0:
                return 'auth/kubernetes/login/h' + hexs(rng, 40)
            if k == 1:
                return 'database/creds/%s/%s' % (rng.choice(['app-readonly', 'app-readwrite', 'reporting']),
                                                 b62(rng, 24))
            if k == 2:
                return 'aws/creds/%s/%s' % (rng.choice(['ci-deploy', 's3-backup']), b62(rng, 24))
            if k == 3:
                return 'auth/userpass/login/%s/h%s' % (rng.choice(['alice', 'bob', 'deploy-bot']), hexs(rng, 40))
            return 'auth/token/create/h' + hexs(rng, 40)

        def revoked():
            return [R(self.REVOKED, [lease()], dt=rng.uniform(0.001, 0.4))
                    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 5, 8]))]

        def tlserr():
            ip = '10.0.%d.%d' % (rng.choice([2, 3, 3, 8]), rng.randint(2, 250))
            p = port(rng)
            e = rng.choices(['EOF', 'remote error: tls: bad certificate',
                             'read tcp 10.0.1.11:8200->%s:%d: read: connection reset by peer' % (ip, p),
                             'tls: client offered only unsupported versions: [302 301]'],
                            weights=[10, 3, 3, 1])[0]
            return [R(self.TLSERR, ['%s:%d' % (ip, p), e])]

        def alpn():
            return [R(self.ALPN, [rng.choice(['[req_fw_sb-act_v1]', '[raft_storage_v1]'])])]

        def snapshot():
            s = {}

            def idx(c):
                if 'i' not in s:
                    c.st['idx'] += rng.randint(8000, 9000)
                    s['i'] = c.st['idx']
                    s['from'] = c.st['compacted'] + 1
                    s['to'] = s['i'] - 10240
                    c.st['compacted'] = s['to']
                return s

            return [R(self.SNAP1, [Lazy(lambda c: idx(c)['i'])]),
                    R(self.COMPACTLOGS, [Lazy(lambda c: idx(c)['from']), Lazy(lambda c: idx(c)['to'])],
                      dt=rng.uniform(0.1, 0.5)),
                    R(self.SNAP2, [Lazy(lambda c: idx(c)['i'])], dt=0.002)]

        def trouble():
            n = rng.choice(nodes[1:])
            err = hclog_q('dial tcp %s:8201: connect: connection refused' % n[1])
            ch = [R(self.CONTACT, [n[0], go_dur(rng, 0.5, 3)]),
                  R(self.ABORTPIPE, [peer(n)], dt=0.01),
                  R(self.APPENDFAIL, [peer(n), err], dt=0.01)]
            for b in ['10ms', '20ms', '40ms', '80ms', '160ms'][:rng.randint(2, 5)]:
                ch.append(R(self.HBFAIL, ['%s:8201' % n[1], b, err], dt=0.02))
            ch.append(R(self.CONTACT, [n[0], go_dur(rng, 3, 6)], dt=1))
            ch.append(R(self.PIPELINE, [peer(n)], dt=rng.uniform(5, 40)))
            return ch

        def revokefail():
            return [R(self.REVOKEFAIL, ['database/creds/reporting/' + b62(rng, 24),
                                        hclog_q('failed to revoke entry: resp: (*logical.Response)(nil) err: '
                                                'pq: role "v-kubernet-reportin-%s-%d" does not exist'
                                                % (b62(rng, 20), rng.randint(1710000000, 1710400000)))])]

        fixed = [snapshot() for _ in range(6)] + [trouble() for _ in range(2)] + [revokefail() for _ in range(3)]
        fixed.append([R(self.UPDCFG, ['AddNonvoter', 'node4', '10.0.1.14:8201', hclog_q(
            '[' + ' '.join('{Suffrage:Voter ID:%s Address:%s:8201}' % n for n in nodes) +
            ' {Suffrage:Nonvoter ID:node4 Address:10.0.1.14:8201}]')]),
            R(self.ADDPEER, ['node4'], dt=0.001),
            R(self.PIPELINE, [hclog_q('{Nonvoter node4 10.0.1.14:8201}')], dt=0.01)])
        fixed.append([R(self.CRED_EN, ['approle/', 'approle'])])
        fixed += [[R(self.TUNE, [p])] for p in ('database/', 'aws/')]
        mounts = ['sys/', 'identity/', 'cubbyhole/', 'secret/', 'database/', 'pki_int/', 'aws/',
                  'auth/token/', 'auth/kubernetes/', 'auth/userpass/']

        def rollback():
            ms = mounts if rng.random() < 0.3 else rng.sample(mounts, rng.randint(1, 4))
            return [R(self.ATTEMPT, [m], dt=rng.uniform(0.0001, 0.002)) for m in ms]

        def forwarded():
            ch = [R(self.CERTLOOKUP, [])]
            if rng.random() < 0.8:
                ch.append(R(self.FWDCONN, [], dt=rng.uniform(0.001, 0.01)))
            return ch

        weighted = [(22, revoked), (17, tlserr), (1.5, alpn), (5, rollback), (7, forwarded)]
        end = [[R(self.SEALED_MARK, []), R(self.PRESEAL, []), R(self.RB_STOP, []), R(self.PRESEAL_DONE, []),
                R(self.CL_DOWN, [], dt=0.2),
                R(self.SEALED, [], dt=0.001)]]
        return start, fixed, weighted, lambda: [R(self.REVOKED, [lease()])], end


# ----------------------------------------------------------------------------
# 5. Fail2ban (its own /var/log/fail2ban.log)
# ----------------------------------------------------------------------------

class Fail2ban(System):
    name = 'Fail2ban'
    seed = 5505
    start = datetime(2024, 3, 10, 0, 0, 3, 841000)
    header_re = (r'^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?P<logger>fail2ban\.[\w.]+) *\[(?P<pid>\d+)\]: '
                 r'(?P<level>[A-Z]+) *(?P<msg>\S.*)$')
    PID = 812

    def header(self, meta, ts, h):
        return '%s,%s %-24s[%d]: %-7s ' % (ts.strftime('%Y-%m-%d %H:%M:%S'), ms3(ts), meta['lg'], self.PID,
                                          meta.get('lvl', 'INFO'))

    def gap(self):
        return self.rng.expovariate(1.0 / 150)

    def in_chunk_gap(self):
        return self.rng.uniform(0.0005, 0.05)

    def define(self):
        ev = self.ev
        self.DASH = ev('--------------------------------------------------', lg='fail2ban.server')
        self.STARTING = ev('Starting Fail2ban v<*>', lg='fail2ban.server')
        self.OBSERVER = ev('Observer start...', lg='fail2ban.observer')
        self.DB = ev("Connected to fail2ban persistent database '<*>'", lg='fail2ban.database')
        self.CREATING = ev("Creating new jail '<*>'", lg='fail2ban.jail')
        self.USES = ev("Jail '<*>' uses <*> <*>", lg='fail2ban.jail')
        self.INITIATED = ev("Initiated '<*>' backend", lg='fail2ban.jail')
        self.LOGFILE = ev("Added logfile: '<*>' (pos = <*>, hash = <*>)", lg='fail2ban.filter')
        self.JMATCH = ev("[<*>] Added journal match for: '<*>'", lg='fail2ban.filtersystemd')
        self.STARTED = ev("Jail '<*>' started", lg='fail2ban.jail')
        self.INOP = ev('[<*>] Jail is in operation now (process new journal entries)', lg='fail2ban.filtersystemd')
        self.RESTORE = ev('[<*>] Restore Ban <*>', lvl='NOTICE', lg='fail2ban.actions')
        self.FOUND = ev('[<*>] Found <*> - <*>', lg='fail2ban.filter')
        self.BAN = ev('[<*>] Ban <*>', lvl='NOTICE', lg='fail2ban.actions')
        self.UNBAN = ev('[<*>] Unban <*>', lvl='NOTICE', lg='fail2ban.actions')
        self.ALREADY = ev('[<*>] <*> already banned', lvl='NOTICE', lg='fail2ban.actions')
        self.IGNORE = ev('[<*>] Ignore <*> by ip', lg='fail2ban.filter')
        self.EXEC = ev('<*> -- exec: <*>', lvl='ERROR', lg='fail2ban.utils')
        self.STDERR = ev('<*> -- stderr: <*>', lvl='ERROR', lg='fail2ban.utils')
        self.RETURNED = ev('<*> -- returned <*>', lvl='ERROR', lg='fail2ban.utils')
        self.ACTFAIL = ev("Failed to execute ban jail '<*>' action '<*>' info '<*>': <*>", lvl='ERROR',
                          lg='fail2ban.actions')
        self.NODNS = ev('Unable to find a corresponding IP address for <*>: <*>', lvl='WARNING',
                        lg='fail2ban.ipdns')
        self.DNSLOOKUP = ev('Determined IP using DNS Lookup: <*> = <*>', lvl='WARNING', lg='fail2ban.filter')
        self.SHUTDOWN = ev('Shutdown in progress...', lg='fail2ban.server')
        self.STOPALL = ev('Stopping all jails', lg='fail2ban.server')
        self.STOPPED = ev("Jail '<*>' stopped", lg='fail2ban.jail')
        self.EXITING = ev('Exiting Fail2ban', lg='fail2ban.server')

    JAILS = ['sshd', 'postfix-sasl', 'dovecot', 'nginx-http-auth', 'recidive']

    def init_state(self, ctx):
        ctx.st['banned'] = []

    def plan(self):
        rng = self.rng
        R = Rec
        logs = {'nginx-http-auth': '/var/log/nginx/error.log', 'recidive': '/var/log/fail2ban.log'}
        journal = {'sshd': '_SYSTEMD_UNIT=sshd.service + _COMM=sshd',
                   'postfix-sasl': '_SYSTEMD_UNIT=postfix.service',
                   'dovecot': '_SYSTEMD_UNIT=dovecot.service'}
        start_chunk = [R(self.DASH, []), R(self.STARTING, ['1.0.2'], dt=0.001), R(self.OBSERVER, [], dt=0.01),
                       R(self.DB, ['/var/lib/fail2ban/fail2ban.sqlite3'], dt=0.01)]
        for j in self.JAILS:
            be = 'systemd' if j in journal else 'pyinotify'
            start_chunk += [R(self.CREATING, [j]), R(self.USES, [j, be, '{}']),
                            R(self.INITIATED, [be])]
            if j in journal:
                for part in journal[j].split(' + '):
                    start_chunk.append(R(self.JMATCH, [j, part]))
            else:
                start_chunk.append(R(self.LOGFILE, [logs[j], rng.randint(10000, 9000000), hexs(rng, 32)]))
        for j in self.JAILS:
            start_chunk.append(R(self.STARTED, [j], dt=rng.uniform(0.01, 0.06)))
        for j in self.JAILS:
            if j in journal:
                start_chunk.append(R(self.INOP, [j], dt=0.004))
        restore = [('sshd', doc_ip(rng)) for _ in range(3)] + [('recidive', doc_ip(rng))]
        for j, ip in restore:
            start_chunk.append(R(self.RESTORE, [j, ip], dt=0.01))
        start = [start_chunk]

        attackers = [doc_ip(rng) for _ in range(70)]
        a_w = [1.0 / (i + 1) ** 0.7 for i in range(len(attackers))]
        jail_w = [10, 4, 3, 2]

        def found_ts(delay):
            return AtTs(lambda ts: (ts - timedelta(seconds=delay)).strftime('%Y-%m-%d %H:%M:%S'))

        def attack():
            j = rng.choices(self.JAILS[:4], weights=jail_w)[0]
            ip = rng.choices(attackers, weights=a_w)[0]
            maxretry = 5 if j == 'sshd' else 3
            k = rng.choices([1, 2, 3, maxretry, maxretry + 1], weights=[5, 2, 1, 3, 1])[0]
            ch = []
            for i in range(k):
                ch.append(R(self.FOUND, [j, ip, found_ts(rng.choice([0, 0, 1]))],
                            dt=rng.uniform(0.5, 12) if i else None))
            if k >= maxretry:
                ch.append(R(self.BAN, [j, ip], dt=rng.uniform(0.05, 0.9)))
                if k > maxretry:
                    ch.append(R(self.ALREADY, [j, ip], dt=rng.uniform(0.5, 3)))
            return ch

        def unban():
            j = rng.choices(self.JAILS[:4], weights=jail_w)[0]
            return [R(self.UNBAN, [j, rng.choices(attackers, weights=a_w)[0]])]

        def recidive():
            ip = rng.choices(attackers, weights=a_w)[0]
            ch = [R(self.FOUND, ['recidive', ip, found_ts(0)])]
            if rng.random() < 0.3:
                ch.append(R(self.BAN, ['recidive', ip], dt=0.3))
            return ch

        def ignore():
            return [R(self.IGNORE, [rng.choice(['sshd', 'sshd', 'dovecot']),
                                    '10.0.%d.%d' % (rng.randint(0, 3), rng.randint(2, 60))])]

        def actfail():
            ip = doc_ip(rng)
            tid = '7f3a1c%s' % hexs(rng, 6)
            f1, f2 = hexs(rng, 4), hexs(rng, 4)
            info = ("ActionInfo({'ip': '%s', 'family': 'inet4', 'fid': <function Actions.ActionInfo.<lambda> "
                    "at 0x7f3a1c0d%s>, 'raw-ticket': <function Actions.ActionInfo.<lambda> at 0x7f3a1c0d%s>})"
                    % (ip, f1, f2))
            return [R(self.EXEC, [tid, 'iptables -w -I f2b-sshd 1 -s %s -j REJECT --reject-with '
                                       'icmp-port-unreachable' % ip]),
                    R(self.STDERR, [tid, "'iptables: No chain/target/match by that name.'"], dt=0.001),
                    R(self.RETURNED, [tid, 1], dt=0.0005),
                    R(self.ACTFAIL, ['sshd', 'iptables-multiport', info, 'Error banning %s' % ip], dt=0.001)]

        def nodns():
            h = rng.choice(['mail.example.invalid', 'unknown', 'host-%d.example.test' % rng.randint(1, 99)])
            return [R(self.NODNS, [h, '[Errno -2] Name or service not known'])]

        def dnslookup():
            h = 'mx%d.example.net' % rng.randint(1, 9)
            return [R(self.DNSLOOKUP, [h, "['%s']" % doc_ip(rng)])]

        fixed = [actfail() for _ in range(2)] + [nodns() for _ in range(2)] + [dnslookup() for _ in range(3)]
        weighted = [(30, attack), (9, unban), (3, recidive), (1.1, ignore)]
        end = [[R(self.SHUTDOWN, []), R(self.STOPALL, [], dt=0.001)] +
               [R(self.STOPPED, [j], dt=rng.uniform(0.05, 1.2)) for j in self.JAILS] +
               [R(self.EXITING, [], dt=0.01)]]

        def filler():
            ip = rng.choices(attackers, weights=a_w)[0]
            return [R(self.FOUND, ['sshd', ip, found_ts(0)])]

        return start, fixed, weighted, filler, end


# ----------------------------------------------------------------------------
# 6. ISC BIND named (print-time, print-category, print-severity)
# ----------------------------------------------------------------------------

class Bind(System):
    name = 'Bind'
    seed = 5606
    start = datetime(2024, 3, 15, 4, 30, 0, 12000)
    header_re = (r'^(?P<ts>\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3}) (?P<category>[\w-]+): '
                 r'(?P<severity>debug \d+|info|notice|warning|error|critical): (?P<msg>.+)$')

    def header(self, meta, ts, h):
        return '%02d-%s-%d %s.%s %s: %s: ' % (ts.day, MONTHS[ts.month - 1], ts.year, ts.strftime('%H:%M:%S'),
                                               ms3(ts), meta['cat'], meta.get('sev', 'info'))

    def gap(self):
        return self.rng.expovariate(1.0 / 3.5)

    def in_chunk_gap(self):
        return self.rng.uniform(0.0002, 0.01)

    def define(self):
        ev = self.ev
        self.BIND = ev('starting BIND <*>', cat='general', sev='notice')
        self.RUNNINGON = ev('running on <*>', cat='general')
        self.LOADING = ev("loading configuration from '<*>'", cat='config')
        self.UDPL = ev('using <*> UDP listener per interface', cat='general')
        self.LIST4 = ev('listening on IPv4 interface <*>, <*>', cat='network')
        self.LIST6 = ev('listening on IPv6 interface <*>, <*>', cat='network')
        self.CMDCH = ev('command channel listening on <*>', cat='general', sev='notice')
        self.ZLOADED = ev('zone <*>: loaded serial <*>', cat='general')
        self.ALLZONES = ev('all zones loaded', cat='general', sev='notice')
        self.RUNNING = ev('running', cat='general', sev='notice')
        self.NOTIFIES = ev('zone <*>: sending notifies (serial <*>)', cat='notify')
        # running
        self.QUERY = ev('client @<*> <*> (<*>): query: <*> <*> <*> <*> (<*>)', cat='queries')
        self.LAME = ev("lame server resolving '<*>' (in '<*>'?): <*>", cat='lame-servers')
        self.RCODE = ev("<*> unexpected RCODE resolving '<*>': <*>", cat='lame-servers')
        self.RESERR = ev("<*> resolving '<*>': <*>", cat='lame-servers')
        self.DENIED = ev("client @<*> <*> (<*>): query (cache) '<*>' denied", cat='security')
        self.XFRDENIED = ev("client @<*> <*> (<*>): zone transfer '<*>' denied", cat='security', sev='error')
        self.XOSTART = ev("client @<*> <*> (<*>): transfer of '<*>': <*> started (serial <*>)", cat='xfer-out')
        self.XOEND = ev("client @<*> <*> (<*>): transfer of '<*>': <*> ended", cat='xfer-out')
        self.CONTROL = ev("received control channel command '<*>'", cat='general')
        self.RECONF = ev('reloading configuration succeeded', cat='general')
        self.REZONES = ev('reloading zones succeeded', cat='general')
        self.GOTNOTIFY = ev("client @<*> <*>: received notify for zone '<*>'", cat='notify')
        self.NOTIFYFROM = ev('zone <*>: notify from <*>: serial <*>', cat='general')
        self.XFRSTART = ev('zone <*>: Transfer started.', cat='xfer-in')
        self.XCONN = ev("transfer of '<*>' from <*>: connected using <*>", cat='xfer-in')
        self.XSERIAL = ev('zone <*>: transferred serial <*>', cat='xfer-in')
        self.XSTATUS = ev("transfer of '<*>' from <*>: Transfer status: <*>", cat='xfer-in')
        self.XDONE = ev("transfer of '<*>' from <*>: Transfer completed: <*> messages, <*> records, <*> bytes, "
                        "<*> secs (<*> bytes/sec) (serial <*>)", cat='xfer-in')
        self.NOSIG = ev('validating <*>/<*>: no valid signature found', cat='dnssec')
        self.EDNS = ev("success resolving '<*>' (in '<*>'?) after reducing the advertised EDNS UDP packet size to "
                       "512 octets", cat='edns-disabled')
        self.RRL = ev('client @<*> <*> (<*>): rate limit drop response to <*> for <*> (<*>)', cat='rate-limit')
        self.QFAIL = ev('client @<*> <*> (<*>): query failed (<*>) for <*> at <*>', cat='query-errors')
        # shutdown
        self.FLUSHING = ev('shutting down: flushing changes', cat='general', sev='notice')
        self.STOPCMD = ev('stopping command channel on <*>', cat='general', sev='notice')
        self.NOLONGER = ev('no longer listening on <*>', cat='network')
        self.EXITING = ev('exiting', cat='general', sev='notice')

    PRIMARY = ['example.com', 'example.org', '10.in-addr.arpa']

    def init_state(self, ctx):
        ctx.st['serial'] = {'example.com/IN': 2024031501, 'example.org/IN': 2024030702,
                            '10.in-addr.arpa/IN': 2024022801, 'corp.example.net/IN': 2024031403}

    def plan(self):
        rng = self.rng
        R = Rec
        ptrs = ['0x7f%s' % hexs(rng, 10) for _ in range(48)]

        def ptr():
            return rng.choice(ptrs)

        clients = ['10.0.%d.%d' % (rng.randint(1, 6), rng.randint(2, 250)) for _ in range(60)] + \
                  ['192.168.%d.%d' % (rng.randint(0, 3), rng.randint(2, 250)) for _ in range(12)] + \
                  ['fd00:10:0:%x::%x' % (rng.randint(1, 6), rng.randint(2, 4000)) for _ in range(6)]
        c_w = [1.0 / (i + 1) ** 0.6 for i in range(len(clients))]

        def client():
            return '%s#%d' % (rng.choices(clients, weights=c_w)[0], port(rng))

        names = [('www.example.com', ['A', 'AAAA', 'HTTPS']), ('example.com', ['A', 'MX', 'TXT', 'SOA', 'NS']),
                 ('api.example.com', ['A', 'AAAA']), ('mail.example.org', ['A', 'AAAA']),
                 ('example.org', ['MX', 'TXT']), ('_sip._tcp.example.org', ['SRV']),
                 ('cdn.example.net', ['A', 'AAAA', 'HTTPS']), ('time.example.net', ['A']),
                 ('repo.example.net', ['A', 'AAAA']), ('updates.example.com', ['A', 'AAAA']),
                 ('ldap.corp.example.net', ['A']), ('_ldap._tcp.corp.example.net', ['SRV']),
                 ('fileserver.corp.example.net', ['A']), ('wpad.corp.example.net', ['A']),
                 ('login.example.org', ['A', 'AAAA', 'HTTPS']), ('static.example.com', ['A', 'AAAA']),
                 ('metrics.example.net', ['A'])]
        n_w = [12, 5, 8, 4, 2, 1, 7, 3, 3, 4, 2, 1, 2, 1, 3, 5, 2]

        def qname():
            r = rng.random()
            if r < 0.08:
                return '%d.%d.%d.10.in-addr.arpa' % (rng.randint(2, 250), rng.randint(0, 255), rng.randint(0, 9)), 'PTR'
            if r < 0.11:
                return '%d.2.0.192.in-addr.arpa' % rng.randint(1, 254), 'PTR'
            n, ts = rng.choices(names, weights=n_w)[0]
            if rng.random() < 0.05:
                n = n.upper() if rng.random() < 0.5 else n.capitalize()
            return n, rng.choice(ts)

        flags = ['+', '+E(0)', '+E(0)K', '+E(0)DC', '+ET(0)K', '-E(0)', '+E(0)D']
        f_w = [10, 14, 9, 3, 1, 2, 2]

        def query():
            if rng.random() < 0.004:
                n, cls, t = rng.choice(['version.bind', 'hostname.bind']), 'CH', 'TXT'
            else:
                (n, t), cls = qname(), 'IN'
            srv = rng.choices(['10.0.0.53', '127.0.0.1', 'fd00:10::53'], weights=[20, 2, 1])[0]
            return [R(self.QUERY, [ptr(), client(), n, n, cls, t, rng.choices(flags, weights=f_w)[0], srv])]

        def burst():
            return [query()[0] for _ in range(rng.choice([2, 2, 3, 4, 6]))]

        ext = ['shop.example.net', 'ns1.example.org', 'tracker.example.com', 'video.example.net',
               'news.example.org', 'weather.example.com', 'img.example.net']

        def ns_addr():
            return '%s#53' % doc_ip(rng)

        def lame():
            n = rng.choice(ext)
            return [R(self.LAME, [n, n.split('.', 1)[1], ns_addr()])]

        def rcode():
            n = rng.choice(ext)
            return [R(self.RCODE, [rng.choices(['REFUSED', 'SERVFAIL', 'FORMERR'], weights=[6, 3, 1])[0],
                                   '%s/%s/IN' % (n, rng.choice(['A', 'AAAA', 'NS'])), ns_addr()])]

        def reserr():
            r = rng.random()
            if r < 0.5:
                return [R(self.RESERR, ['network unreachable', rng.choice(['./DNSKEY/IN', './NS/IN', 'net/NS/IN',
                                                                           'org/DS/IN']),
                                        '2001:db8:%x::%x#53' % (rng.randint(1, 15), rng.randint(1, 255))])]
            n = rng.choice(ext)
            return [R(self.RESERR, [rng.choice(['timed out', 'connection refused', 'host unreachable']),
                                    '%s/%s/IN' % (n, rng.choice(['A', 'AAAA'])), ns_addr()])]

        def denied():
            n = rng.choice(['example.org', 'example.net', 'tracker.example.com', 'isc.org.example.net'])
            return [R(self.DENIED, [ptr(), '%s#%d' % (doc_ip(rng), port(rng)), n,
                                    '%s/%s/IN' % (n, rng.choice(['ANY', 'A', 'TXT']))])]

        def xfrdenied():
            z = rng.choice(['example.com', 'example.org'])
            return [R(self.XFRDENIED, [ptr(), '%s#%d' % (doc_ip(rng), port(rng)), z, '%s/AXFR/IN' % z])]

        secondaries = ['10.0.0.54', '10.0.0.55']

        def reload_chunk():
            z = rng.choice(['example.com', 'example.org'])
            zone = z + '/IN'
            ser = Lazy(lambda c: c.st['serial'].__setitem__(zone, c.st['serial'][zone] + 1) or c.st['serial'][zone])
            ch = [R(self.CONTROL, ['reload']), R(self.LOADING, ['/etc/bind/named.conf']),
                  R(self.UDPL, [1]), R(self.RECONF, [], dt=0.03), R(self.ZLOADED, [zone, ser], dt=0.02),
                  R(self.REZONES, [], dt=0.001), R(self.NOTIFIES, [zone, ser], dt=0.01)]
            for s in secondaries:
                p = ptr()
                addr = '%s#%d' % (s, port(rng))
                kind = rng.choice(['IXFR', 'IXFR', 'AXFR'])
                ch.append(R(self.XOSTART, [p, addr, z, zone, kind, ser], dt=rng.uniform(0.01, 0.3)))
                ch.append(R(self.XOEND, [p, addr, z, zone, kind], dt=0.002))
            return ch

        def xfr_in():
            zone = 'corp.example.net/IN'
            prim = '10.0.0.52'
            ser = Lazy(lambda c: c.st['serial'].__setitem__(zone, c.st['serial'][zone] + 1) or c.st['serial'][zone])
            nbytes = rng.randint(1800, 4200)
            secs = rng.uniform(0.002, 0.02)
            return [R(self.GOTNOTIFY, [ptr(), '%s#%d' % (prim, port(rng)), 'corp.example.net']),
                    R(self.NOTIFYFROM, [zone, '%s#%d' % (prim, port(rng)), ser], dt=0.001),
                    R(self.XFRSTART, [zone], dt=0.002),
                    R(self.XCONN, [zone, '%s#53' % prim, '10.0.0.53#%d' % port(rng)], dt=0.003),
                    R(self.XSERIAL, [zone, ser], dt=secs),
                    R(self.XSTATUS, [zone, '%s#53' % prim, 'success'], dt=0.0005),
                    R(self.XDONE, [zone, '%s#53' % prim, 1, rng.randint(50, 70), nbytes, '%.3f' % secs,
                                   int(nbytes / secs), ser], dt=0.0005)]

        def nosig():
            n = rng.choice(['broken-dnssec.example.net', 'sec.example.org'])
            return [R(self.NOSIG, [n, rng.choice(['A', 'SOA', 'DNSKEY'])])]

        def edns():
            n = rng.choice(ext)
            return [R(self.EDNS, ['%s/A' % n, n.split('.', 1)[1]])]

        def rrl():
            ip = doc_ip(rng)
            return [R(self.RRL, [ptr(), '%s#%d' % (ip, port(rng)), 'example.com', ip.rsplit('.', 1)[0] + '.0/24',
                                 'example.com IN ANY', hexs(rng, 8)])]

        def qfail():
            n = rng.choice(['broken-dnssec.example.net', 'lame.example.org', 'gone.example.com'])
            t = rng.choice(['A', 'AAAA'])
            return [R(self.QFAIL, [ptr(), client(), n, 'SERVFAIL', '%s/IN/%s' % (n, t),
                                   rng.choice(['query.c:7216', 'query.c:7216', 'query.c:6963'])])]

        start_chunk = [R(self.BIND, ['9.18.24-0ubuntu0.22.04.1-Ubuntu (Extended Support Version) <id:>']),
                       R(self.RUNNINGON, ['Linux x86_64 5.15.0-101-generic #111-Ubuntu SMP Tue Mar 5 20:16:58 UTC 2024'],
                         dt=0.0001),
                       R(self.LOADING, ['/etc/bind/named.conf'], dt=0.02),
                       R(self.UDPL, [1], dt=0.003),
                       R(self.LIST4, ['lo', '127.0.0.1#53'], dt=0.001),
                       R(self.LIST4, ['eth0', '10.0.0.53#53'], dt=0.001),
                       R(self.LIST6, ['eth0', 'fd00:10::53#53'], dt=0.001),
                       R(self.CMDCH, ['127.0.0.1#953'], dt=0.05)]
        for z in self.PRIMARY + ['corp.example.net']:
            zone = z + '/IN'
            start_chunk.append(R(self.ZLOADED, [zone, Lazy(lambda c, zone=zone: c.st['serial'][zone])], dt=0.004))
        start_chunk += [R(self.ALLZONES, [], dt=0.001), R(self.RUNNING, [], dt=0.001)]
        for z in self.PRIMARY:
            zone = z + '/IN'
            start_chunk.append(R(self.NOTIFIES, [zone, Lazy(lambda c, zone=zone: c.st['serial'][zone])], dt=0.002))
        start = [start_chunk]

        fixed = [reload_chunk() for _ in range(2)] + [xfr_in() for _ in range(2)]
        fixed += [xfrdenied() for _ in range(3)] + [nosig() for _ in range(4)] + [edns() for _ in range(2)]
        fixed += [rrl() for _ in range(3)]
        weighted = [(40, query), (5, burst), (4, lame), (3.5, rcode), (4.5, reserr), (1.8, denied), (1.4, qfail)]
        end = [[R(self.CONTROL, ['stop']), R(self.FLUSHING, [], dt=0.001), R(self.STOPCMD, ['127.0.0.1#953'], dt=0.001),
                R(self.NOLONGER, ['127.0.0.1#53'], dt=0.001), R(self.NOLONGER, ['10.0.0.53#53'], dt=0.001),
                R(self.NOLONGER, ['fd00:10::53#53'], dt=0.001), R(self.EXITING, [], dt=0.1)]]
        return start, fixed, weighted, query, end


SYSTEMS = [Prometheus, Envoy, Django, Vault, Fail2ban, Bind]


def main(argv):
    names = {s.name: s for s in SYSTEMS}
    wanted = argv[1:] or [s.name for s in SYSTEMS]
    for w in wanted:
        if w not in names:
            raise SystemExit('unknown system %r; choose from %s' % (w, ', '.join(names)))
    for w in wanted:
        st = names[w]().write()
        counts = sorted(st['counts'].values(), reverse=True)
        print('%-11s events=%d lines=%d records=%d continuation=%d top3=%s rare(<=5)=%d' % (
            w, st['events'], st['lines'], st['records'], st['continuation'], counts[:3],
            sum(1 for c in counts if c <= 5)))


if __name__ == '__main__':
    main(sys.argv)
