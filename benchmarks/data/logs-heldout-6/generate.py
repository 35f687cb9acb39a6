#!/usr/bin/env python3
"""Generate the logs-heldout-6 corpus: six synthetic, labelled 2,000-line logs.

Standard library only, deterministic (a fixed seed per system).

    python3 generate.py            # writes every system
    python3 generate.py Docker     # writes one system

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
        rcounts = {}
        for i, (ln, row) in enumerate(zip(lines, rows), 1):
            eid = row[1]
            m = hre.match(ln)
            if m:
                records += 1
                rcounts[eid] = rcounts.get(eid, 0) + 1
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
                'continuation': conts, 'counts': counts, 'rcounts': rcounts}


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
# 1. Ruby on Rails 7.0 production.log (Logger::Formatter, request_id tag)
# ----------------------------------------------------------------------------

RAILS_FRAMEWORK_TRACE = [
    "actionpack (7.0.8.1) lib/action_dispatch/middleware/debug_exceptions.rb:28:in `call'",
    "actionpack (7.0.8.1) lib/action_dispatch/middleware/show_exceptions.rb:29:in `call'",
    "railties (7.0.8.1) lib/rails/rack/logger.rb:40:in `call_app'",
    "railties (7.0.8.1) lib/rails/rack/logger.rb:25:in `block in call'",
    "activesupport (7.0.8.1) lib/active_support/tagged_logging.rb:99:in `block in tagged'",
    "activesupport (7.0.8.1) lib/active_support/tagged_logging.rb:37:in `tagged'",
    "activesupport (7.0.8.1) lib/active_support/tagged_logging.rb:99:in `tagged'",
    "railties (7.0.8.1) lib/rails/rack/logger.rb:25:in `call'",
    "actionpack (7.0.8.1) lib/action_dispatch/middleware/remote_ip.rb:93:in `call'",
    "actionpack (7.0.8.1) lib/action_dispatch/middleware/request_id.rb:26:in `call'",
    "rack (2.2.8.1) lib/rack/method_override.rb:24:in `call'",
    "rack (2.2.8.1) lib/rack/runtime.rb:22:in `call'",
    "actionpack (7.0.8.1) lib/action_dispatch/middleware/executor.rb:14:in `call'",
    "rack (2.2.8.1) lib/rack/sendfile.rb:110:in `call'",
    "actionpack (7.0.8.1) lib/action_dispatch/middleware/host_authorization.rb:131:in `call'",
    "railties (7.0.8.1) lib/rails/engine.rb:530:in `call'",
    "puma (6.4.2) lib/puma/configuration.rb:272:in `call'",
    "puma (6.4.2) lib/puma/request.rb:100:in `block in handle_request'",
    "puma (6.4.2) lib/puma/thread_pool.rb:378:in `with_force_shutdown'",
    "puma (6.4.2) lib/puma/request.rb:99:in `handle_request'",
    "puma (6.4.2) lib/puma/server.rb:443:in `process_client'",
    "puma (6.4.2) lib/puma/server.rb:245:in `block in run'",
    "puma (6.4.2) lib/puma/thread_pool.rb:155:in `block in spawn_thread'",
]

RAILS_CSRF_TRACE = [
    "actionpack (7.0.8.1) lib/action_controller/metal/request_forgery_protection.rb:244:in `handle_unverified_request'",
    "actionpack (7.0.8.1) lib/action_controller/metal/request_forgery_protection.rb:336:in `handle_unverified_request'",
    "actionpack (7.0.8.1) lib/action_controller/metal/request_forgery_protection.rb:325:in `verify_authenticity_token'",
    "activesupport (7.0.8.1) lib/active_support/callbacks.rb:400:in `block in make_lambda'",
    "activesupport (7.0.8.1) lib/active_support/callbacks.rb:180:in `block (2 levels) in halting_and_conditional'",
    "actionpack (7.0.8.1) lib/abstract_controller/callbacks.rb:34:in `block (2 levels) in <module:Callbacks>'",
    "activesupport (7.0.8.1) lib/active_support/callbacks.rb:181:in `block in halting_and_conditional'",
    "activesupport (7.0.8.1) lib/active_support/callbacks.rb:595:in `block in invoke_before'",
    "activesupport (7.0.8.1) lib/active_support/callbacks.rb:595:in `each'",
    "activesupport (7.0.8.1) lib/active_support/callbacks.rb:595:in `invoke_before'",
    "activesupport (7.0.8.1) lib/active_support/callbacks.rb:106:in `run_callbacks'",
    "actionpack (7.0.8.1) lib/abstract_controller/callbacks.rb:233:in `process_action'",
]


class Rails(System):
    name = 'Rails'
    seed = 6101
    start = datetime(2024, 4, 2, 6, 12, 40, 311502)
    header_re = (r'^(?P<sev>[DIWEFA]), \[(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}) #(?P<pid>\d+)\] +'
                 r'(?P<level>DEBUG|INFO|WARN|ERROR|FATAL|ANY) -- (?P<prog>[^:]*): (?P<msg>.+)$')
    PIDS = [21467, 21473, 21479, 21486]

    def header(self, meta, ts, h):
        lvl = meta.get('lvl', 'INFO')
        return '%s, [%s.%06d #%d] %5s -- : ' % (lvl[0], ts.strftime('%Y-%m-%dT%H:%M:%S'), ts.microsecond,
                                                 h.get('pid', self.PIDS[0]), lvl)

    def gap(self):
        return self.rng.expovariate(1.0 / 5)

    def in_chunk_gap(self):
        return self.rng.uniform(0.0002, 0.004)

    def define(self):
        ev = self.ev
        self.DEPREC = ev('DEPRECATION WARNING: <*> (called from <*> at <*>)', lvl='WARN')
        self.STARTED = ev('[<*>] Started <*> "<*>" for <*> at <*>')
        self.PROC = ev('[<*>] Processing by <*>#<*> as <*>')
        self.PARAMS = ev('[<*>]   Parameters: <*>')
        self.RENDERED = ev('[<*>]   Rendered <*> within <*> (Duration: <*>ms | Allocations: <*>)')
        self.LAYOUT = ev('[<*>]   Rendered layout <*> (Duration: <*>ms | Allocations: <*>)')
        self.COMPLETED = ev('[<*>] Completed <*> <*> in <*>ms (<*>)')
        self.REDIRECT = ev('[<*>] Redirected to <*>')
        self.HALTED = ev('[<*>] Filter chain halted as <*> rendered or redirected')
        self.CSRF = ev("[<*>] Can't verify CSRF token authenticity.", lvl='WARN')
        self.SENTDATA = ev('[<*>] Sent data <*> (<*>ms)')
        self.SENTFILE = ev('[<*>] Sent file <*> (<*>ms)')
        self.ENQ = ev('[<*>] [ActiveJob] Enqueued <*> (Job ID: <*>) to <*> with arguments: <*>')
        self.FATAL = ev('[<*>]   ', lvl='FATAL')
        self.TIMEOUT = ev('source=rack-timeout id=<*> timeout=<*> service=<*> state=<*>', lvl='ERROR')
        self.EXPIRED = ev('source=rack-timeout id=<*> wait=<*> timeout=<*> state=<*>', lvl='ERROR')
        self.CSTART = ev('[<*>] Started <*> "<*>" [WebSocket] for <*> at <*>')
        self.CUP = ev('[<*>] Successfully upgraded to WebSocket (REQUEST_METHOD: <*>, HTTP_CONNECTION: <*>, '
                      'HTTP_UPGRADE: <*>)')
        self.CTX = ev('[<*>] <*> is transmitting the subscription confirmation')
        self.CSTREAM = ev('[<*>] <*> is streaming from <*>')
        self.CSTOP = ev('[<*>] <*> stopped streaming from <*>')
        self.CFIN = ev('[<*>] Finished "<*>" [WebSocket] for <*> at <*>')
        self.PAYOK = ev('[<*>] Payment authorized for order <*> amount=<*> gateway=<*>')
        self.PAYFAIL = ev('[<*>] Payment declined for order <*>: <*>', lvl='WARN')
        self.STOCK = ev('[<*>] Low stock for SKU <*>: <*> left', lvl='WARN')
        self.WEBHOOK = ev('[<*>] Ignoring webhook event <*> of type <*>')

    def plan(self):
        rng = self.rng
        R = Rec
        host = 'https://shop.example.com'
        slugs = ['linen-shirt', 'canvas-tote', 'wool-beanie', 'oak-cutting-board', 'ceramic-mug', 'desk-lamp',
                 'rain-jacket', 'trail-socks', 'espresso-cup', 'leather-wallet', 'notebook-a5', 'yoga-mat']
        emails = ['alice@example.com', 'bob@example.org', 'carol@example.net', 'dave@example.com',
                  'erin@example.org']

        def rid():
            return uuid4(rng)

        def at():
            return AtTs(lambda ts: ts.strftime('%Y-%m-%d %H:%M:%S +0000'))

        def ip():
            return doc_ip(rng) if rng.random() < 0.7 else priv_ip(rng)

        def alloc(lo, hi):
            return rng.randint(lo, hi)

        def dur(lo, hi):
            return '%.1f' % rng.uniform(lo, hi)

        def completed(r, h, status, text, ms, views=True, ar=True, dt=None):
            parts = []
            if views:
                parts.append('Views: %.1fms' % (ms * rng.uniform(0.2, 0.6)))
            if ar:
                parts.append('ActiveRecord: %.1fms' % (ms * rng.uniform(0.05, 0.4)))
            parts.append('Allocations: %d' % rng.randint(300, 60000))
            return R(self.COMPLETED, [r, status, text, int(ms), ' | '.join(parts)], h=h, dt=dt)

        def fatal(r, h, lines):
            # lines[0] is the '  ' that opens the message; it is the record's first line
            return R(self.FATAL, [r], conts=['[%s] %s' % (r, x) for x in lines[1:]], h=h, dt=rng.uniform(0.0005, 0.002))

        def page(path, ctrl, action, params, tmpl, lo=20, hi=400):
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            ms = rng.uniform(lo, hi)
            ch = [R(self.STARTED, [r, 'GET', path, ip(), at()], h=h),
                  R(self.PROC, [r, ctrl, action, 'HTML'], h=h)]
            if params:
                ch.append(R(self.PARAMS, [r, params], h=h))
            ch += [R(self.RENDERED, [r, tmpl, 'layouts/application', dur(ms * 0.2, ms * 0.5),
                                     alloc(2000, 40000)], h=h, dt=ms * 0.5 / 1000),
                   R(self.LAYOUT, [r, 'layouts/application.html.erb', dur(ms * 0.5, ms * 0.8), alloc(5000, 60000)],
                     h=h, dt=ms * 0.2 / 1000),
                   completed(r, h, 200, 'OK', ms, dt=0.001)]
            return ch

        def browse():
            x = rng.random()
            if x < 0.2:
                return page('/', 'HomeController', 'index', None, 'home/index.html.erb')
            if x < 0.5:
                pg = rng.randint(2, 14)
                cat = rng.choice(['shirts', 'bags', 'kitchen', 'outdoor', 'home'])
                if rng.random() < 0.5:
                    return page('/products?page=%d' % pg, 'ProductsController', 'index', '{"page"=>"%d"}' % pg,
                                'products/index.html.erb')
                return page('/categories/%s' % cat, 'CategoriesController', 'show', '{"id"=>"%s"}' % cat,
                            'categories/show.html.erb')
            if x < 0.85:
                s = rng.choice(slugs)
                return page('/products/%s' % s, 'ProductsController', 'show', '{"id"=>"%s"}' % s,
                            'products/show.html.erb')
            return page('/cart', 'CartsController', 'show', None, 'carts/show.html.erb')

        def health():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            return [R(self.STARTED, [r, 'GET', '/healthz', '10.0.%d.%d' % (rng.randint(1, 3), rng.randint(2, 9)),
                                     at()], h=h),
                    R(self.PROC, [r, 'HealthController', 'show', '*/*'], h=h),
                    completed(r, h, 200, 'OK', rng.uniform(0.3, 3), ar=rng.random() < 0.5)]

        def api_order():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            oid = rng.randint(18000, 24999)
            ch = [R(self.STARTED, [r, 'GET', '/api/v1/orders/%d' % oid, priv_ip(rng), at()], h=h),
                  R(self.PROC, [r, 'Api::V1::OrdersController', 'show', 'JSON'], h=h),
                  R(self.PARAMS, [r, '{"id"=>"%d"}' % oid], h=h)]
            if rng.random() < 0.12:
                ch.append(completed(r, h, 404, 'Not Found', rng.uniform(2, 9), views=False))
                ch.append(fatal(r, h, ['  ', "ActiveRecord::RecordNotFound (Couldn't find Order with 'id'=%d):" % oid,
                                       '  ',
                                       "app/controllers/api/v1/orders_controller.rb:58:in `set_order'"]))
            else:
                ms = rng.uniform(4, 60)
                ch.append(completed(r, h, 200, 'OK', ms, dt=ms / 1000))
            return ch

        def add_to_cart():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            pid_ = rng.randint(100, 990)
            q = rng.choice([1, 1, 1, 2, 3])
            ch = [R(self.STARTED, [r, 'POST', '/cart/items', ip(), at()], h=h),
                  R(self.PROC, [r, 'CartItemsController', 'create', 'TURBO_STREAM'], h=h),
                  R(self.PARAMS, [r, '{"authenticity_token"=>"[FILTERED]", "cart_item"=>{"product_id"=>"%d", '
                                     '"quantity"=>"%d"}}' % (pid_, q)], h=h)]
            if rng.random() < 0.07:
                ch += [R(self.CSRF, [r], h=h),
                       completed(r, h, 422, 'Unprocessable Entity', rng.uniform(1, 5), views=False, ar=False),
                       fatal(r, h, ['  ', 'ActionController::InvalidAuthenticityToken '
                                          '(ActionController::InvalidAuthenticityToken):', '  ']
                             + RAILS_CSRF_TRACE)]
                return ch
            if rng.random() < 0.15:
                ch.append(R(self.STOCK, [r, 'SKU-%05d' % pid_, rng.randint(0, 4)], h=h))
            ch += [R(self.REDIRECT, [r, host + '/cart'], h=h, dt=rng.uniform(0.01, 0.08)),
                   completed(r, h, 302, 'Found', rng.uniform(10, 80), views=False)]
            return ch

        def sign_in():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            em = rng.choice(emails)
            params = ('{"authenticity_token"=>"[FILTERED]", "user"=>{"email"=>"%s", "password"=>"[FILTERED]", '
                      '"remember_me"=>"%d"}, "commit"=>"Log in"}' % (em, rng.randint(0, 1)))
            ch = [R(self.STARTED, [r, 'POST', '/users/sign_in', ip(), at()], h=h),
                  R(self.PROC, [r, 'Devise::SessionsController', 'create', 'HTML'], h=h),
                  R(self.PARAMS, [r, params], h=h)]
            if rng.random() < 0.3:
                ms = rng.uniform(150, 320)
                ch += [completed(r, h, 401, 'Unauthorized', ms, views=False, dt=ms / 1000),
                       R(self.PROC, [r, 'Devise::SessionsController', 'new', 'HTML'], h=h),
                       R(self.PARAMS, [r, params], h=h),
                       R(self.RENDERED, [r, 'devise/sessions/new.html.erb', 'layouts/application', dur(3, 12),
                                         alloc(2000, 9000)], h=h),
                       R(self.LAYOUT, [r, 'layouts/application.html.erb', dur(8, 30), alloc(6000, 20000)], h=h),
                       completed(r, h, 200, 'OK', rng.uniform(20, 60))]
            else:
                ms = rng.uniform(150, 320)
                ch += [R(self.REDIRECT, [r, host + '/'], h=h, dt=ms / 1000),
                       completed(r, h, 302, 'Found', ms, views=False)]
            return ch

        def admin():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            path = rng.choice(['/admin', '/admin/orders', '/admin/products/%d/edit' % rng.randint(100, 990)])
            return [R(self.STARTED, [r, 'GET', path, ip(), at()], h=h),
                    R(self.PROC, [r, 'Admin::DashboardController' if path == '/admin' else
                                  ('Admin::OrdersController' if 'orders' in path else 'Admin::ProductsController'),
                                  'index' if 'edit' not in path else 'edit', 'HTML'], h=h),
                    R(self.REDIRECT, [r, host + '/users/sign_in'], h=h),
                    R(self.HALTED, [r, ':authenticate_admin!'], h=h),
                    completed(r, h, 302, 'Found', rng.uniform(1, 6), views=False, ar=False)]

        def checkout():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            oid = rng.randint(18000, 24999)
            ch = [R(self.STARTED, [r, 'POST', '/checkout', ip(), at()], h=h),
                  R(self.PROC, [r, 'CheckoutsController', 'create', 'HTML'], h=h),
                  R(self.PARAMS, [r, '{"authenticity_token"=>"[FILTERED]", "checkout"=>{"shipping_method"=>"%s", '
                                     '"payment_token"=>"[FILTERED]"}, "commit"=>"Place order"}'
                                  % rng.choice(['standard', 'express', 'pickup'])], h=h)]
            gw = rng.choice(['stripe', 'stripe', 'stripe', 'braintree'])
            if rng.random() < 0.2:
                ch += [R(self.PAYFAIL, [r, 'R%09d' % oid, rng.choice(['card_declined', 'insufficient_funds',
                                                                       'expired_card', 'do_not_honor'])],
                         h=h, dt=rng.uniform(0.3, 1.2)),
                       R(self.REDIRECT, [r, host + '/checkout'], h=h),
                       completed(r, h, 302, 'Found', rng.uniform(400, 1400), views=False)]
                return ch
            ch += [R(self.PAYOK, [r, 'R%09d' % oid, '%.2f' % rng.uniform(9, 420), gw], h=h,
                     dt=rng.uniform(0.3, 1.2)),
                   R(self.ENQ, [r, 'ActionMailer::MailDeliveryJob', uuid4(rng), 'Sidekiq(mailers)',
                                '"OrderMailer", "confirmation", "deliver_now", {:args=>[#<GlobalID:0x%s '
                                '@uri=#<URI::GID gid://shop/Order/%d>>]}' % ('0000' + hexs(rng, 12), oid)], h=h),
                   R(self.ENQ, [r, 'FulfilmentSyncJob', uuid4(rng), 'Sidekiq(default)', '%d' % oid], h=h),
                   R(self.REDIRECT, [r, host + '/orders/R%09d' % oid], h=h),
                   completed(r, h, 302, 'Found', rng.uniform(400, 1400), views=False)]
            return ch

        def export():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            ms = rng.uniform(200, 2400)
            day = '2024-%02d-%02d' % (rng.randint(1, 3), rng.randint(1, 28))
            if rng.random() < 0.6:
                return [R(self.STARTED, [r, 'GET', '/admin/orders/export.csv?from=%s' % day, priv_ip(rng), at()],
                          h=h),
                        R(self.PROC, [r, 'Admin::ExportsController', 'orders', 'CSV'], h=h),
                        R(self.PARAMS, [r, '{"from"=>"%s"}' % day], h=h),
                        R(self.SENTDATA, [r, 'orders-%s.csv' % day, dur(0.2, 3)], h=h, dt=ms / 1000),
                        completed(r, h, 200, 'OK', ms)]
            inv = 'R%09d' % rng.randint(18000, 24999)
            return [R(self.STARTED, [r, 'GET', '/orders/%s/invoice.pdf' % inv, ip(), at()], h=h),
                    R(self.PROC, [r, 'InvoicesController', 'show', 'PDF'], h=h),
                    R(self.PARAMS, [r, '{"order_id"=>"%s"}' % inv], h=h),
                    R(self.SENTFILE, [r, '/app/storage/invoices/%s.pdf' % inv, dur(0.1, 1)], h=h, dt=ms / 1000),
                    completed(r, h, 200, 'OK', ms / 4)]

        def bot():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            path = rng.choice(['/wp-login.php', '/.env', '/phpmyadmin/index.php', '/wp-admin/setup-config.php',
                               '/.git/config', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php'])
            meth = 'POST' if 'eval' in path else 'GET'
            trace = RAILS_FRAMEWORK_TRACE[:rng.choice([12, 16, 23])]
            return [R(self.STARTED, [r, meth, path, doc_ip(rng), at()], h=h),
                    fatal(r, h, ['  ', 'ActionController::RoutingError (No route matches [%s] "%s"):' % (meth, path),
                                 '  '] + trace)]

        def template_error():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            ms = rng.uniform(20, 80)
            src = ['    12:     <tr>', '    13:       <td><%= order.number %></td>',
                   '    14:       <td><%= order.customer.name %></td>',
                   '    15:       <td><%= number_to_currency(order.total) %></td>', '    16:     </tr>']
            return [R(self.STARTED, [r, 'GET', '/account/orders', ip(), at()], h=h),
                    R(self.PROC, [r, 'Account::OrdersController', 'index', 'HTML'], h=h),
                    completed(r, h, 500, 'Internal Server Error', ms, views=False, dt=ms / 1000),
                    fatal(r, h, ['  ', "ActionView::Template::Error (undefined method `name' for nil:NilClass):"]
                          + src + ['  ', 'app/views/account/orders/_order.html.erb:14',
                                   'app/views/account/orders/index.html.erb:9',
                                   "app/controllers/account/orders_controller.rb:12:in `index'"])]

        def timeout():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            return [R(self.STARTED, [r, 'GET', '/admin/reports/sales?range=year', priv_ip(rng), at()], h=h),
                    R(self.PROC, [r, 'Admin::ReportsController', 'sales', 'HTML'], h=h),
                    R(self.PARAMS, [r, '{"range"=>"year"}'], h=h),
                    R(self.TIMEOUT, [r, '15000ms', '%dms' % rng.randint(15000, 15004), 'timed_out'], h=h, dt=15.0),
                    completed(r, h, 500, 'Internal Server Error', 15000 + rng.uniform(1, 9), views=False),
                    fatal(r, h, ['  ', 'Rack::Timeout::RequestTimeoutException (Request ran for longer than 15000ms ):',
                                 '  ', "app/models/report/sales.rb:41:in `rows'",
                                 "app/controllers/admin/reports_controller.rb:9:in `sales'"])]

        def webhook():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            evid = 'evt_' + b62(rng, 24)
            typ = rng.choice(['charge.refund.updated', 'customer.updated', 'payment_method.attached'])
            return [R(self.STARTED, [r, 'POST', '/webhooks/stripe', doc_ip(rng), at()], h=h),
                    R(self.PROC, [r, 'Webhooks::StripeController', 'create', '*/*'], h=h),
                    R(self.WEBHOOK, [r, evid, typ], h=h),
                    completed(r, h, 200, 'OK', rng.uniform(2, 9), views=False, ar=False)]

        def cable():
            r, h = rid(), {'pid': rng.choice(self.PIDS)}
            cip = ip()
            oid = rng.randint(18000, 24999)
            ch = [R(self.STARTED, [r, 'GET', '/cable', cip, at()], h=h),
                  R(self.CSTART, [r, 'GET', '/cable', cip, at()], h=h),
                  R(self.CUP, [r, 'GET', 'Upgrade', 'websocket'], h=h),
                  R(self.CTX, [r, 'OrderStatusChannel'], h=h, dt=0.05),
                  R(self.CSTREAM, [r, 'OrderStatusChannel', 'order_status:R%09d' % oid], h=h),
                  R(self.CSTOP, [r, 'OrderStatusChannel', 'order_status:R%09d' % oid], h=h,
                    dt=rng.uniform(20, 200)),
                  R(self.CFIN, [r, '/cable', cip, at()], h=h)]
            return ch

        start = [[R(self.DEPREC, ['Using legacy connection handling is deprecated. Please set '
                                  '`legacy_connection_handling` to `false` in your application.',
                                  '<main>', '/app/config/environment.rb:5'], h={'pid': 21461}),
                  R(self.DEPREC, ['Initialization autoloaded the constant ShopSettings.', '<main>',
                                  '/app/config/initializers/shop.rb:3'], h={'pid': 21461}, dt=0.4)]]
        fixed = [cable()] + [timeout()] + [template_error() for _ in range(2)]
        fixed += [webhook() for _ in range(2)] + [bot() for _ in range(9)]
        weighted = [(30, browse), (20, health), (14, api_order), (7, add_to_cart), (3, sign_in), (1.3, admin),
                    (3, checkout), (1.2, export)]
        def expired():
            return [R(self.EXPIRED, [rid(), '%dms' % rng.randint(30500, 41000), '15000ms', 'expired'],
                      h={'pid': rng.choice(self.PIDS)})]

        fixed += [expired() for _ in range(2)]
        return start, fixed, weighted, expired, []


# ----------------------------------------------------------------------------
# 2. Docker daemon (dockerd 24, logrus text formatter)
# ----------------------------------------------------------------------------

def lq(v):
    """logrus TextFormatter quoting: bare if every char is in [A-Za-z0-9-._/@^+], else Go %q."""
    v = str(v)
    if v and all(c.isascii() and (c.isalnum() or c in '-._/@^+') for c in v):
        return v
    return '"' + v.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n').replace('\t', '\\t') + '"'


class Docker(System):
    name = 'Docker'
    seed = 6202
    start = datetime(2024, 4, 3, 7, 58, 11, 402118)
    header_re = (r'^time="(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)" '
                 r'level=(?P<level>trace|debug|info|warning|error|fatal|panic) (?P<msg>.+)$')

    def header(self, meta, ts, h):
        return 'time="%s.%06d%03dZ" level=%s ' % (ts.strftime('%Y-%m-%dT%H:%M:%S'), ts.microsecond,
                                                   self.rng.randint(0, 999), meta.get('lvl', 'info'))

    def gap(self):
        return self.rng.expovariate(1.0 / 14)

    def in_chunk_gap(self):
        return self.rng.uniform(0.0001, 0.01)

    def define(self):
        ev = self.ev
        self.STARTUP = ev('msg="Starting up"')
        self.CHCREATED = ev('msg="[core] [Channel #<*>] Channel created" module=grpc')
        self.DIALTARGET = ev('msg="[core] [Channel #<*>] original dial target is: <*>" module=grpc')
        self.AUTHORITY = ev('msg="[core] [Channel #<*>] Channel authority set to <*>" module=grpc')
        self.LBPOLICY = ev('msg="[core] [Channel #<*>] Channel switches to new LB policy <*>" module=grpc')
        self.SUBCREATED = ev('msg="[core] [Channel #<*> SubChannel #<*>] Subchannel created" module=grpc')
        self.SUBCONN = ev('msg="[core] [Channel #<*> SubChannel #<*>] Subchannel Connectivity change to <*>" '
                          'module=grpc')
        self.CHCONN = ev('msg="[core] [Channel #<*>] Channel Connectivity change to <*>" module=grpc')
        self.GRAPH = ev('msg="[graphdriver] using prior storage driver: <*>"')
        self.BLKIO = ev('msg="Your kernel does not support cgroup blkio weight"', lvl='warning')
        self.BLKIODEV = ev('msg="Your kernel does not support cgroup blkio weight_device"', lvl='warning')
        self.LOADSTART = ev('msg="Loading containers: start."')
        self.STALE = ev('msg="Removing stale sandbox <*> (<*>)"')
        self.BRIDGE = ev('msg="Default bridge (docker0) is assigned with an IP address <*>. Daemon option --bip '
                         'can be used to set a preferred IP address"')
        self.LOADDONE = ev('msg="Loading containers: done."')
        self.DAEMON = ev('msg="Docker daemon" commit=<*> graphdriver=<*> version=<*>')
        self.INITDONE = ev('msg="Daemon has completed initialization"')
        self.LISTEN = ev('msg="API listen on <*>"')
        # running
        self.IGNORING = ev('msg="ignoring event" container=<*> module=libcontainerd namespace=<*> topic=<*> '
                           'type=<*>')
        self.SWAP = ev('msg="Your kernel does not support swap limit capabilities or the cgroup is not mounted. '
                       'Memory limited without swap."', lvl='warning')
        self.FORCE = ev('msg="Container failed to exit within <*> of signal <*> - using the force" container=<*>')
        self.HANDLER = ev('msg="Handler for <*> <*> returned error: <*>"', lvl='error')
        self.NEXTEP = ev('msg="Attempting next endpoint for pull after error: <*>"')
        self.NOPULL = ev('msg="Not continuing with pull after error: <*>"', lvl='error')
        self.V2REG = ev('msg="Error getting v2 registry: <*>"', lvl='warning')
        self.RETRY = ev('msg="Download failed, retrying (<*>/<*>): <*>"')
        self.LAYER = ev('msg="Layer <*> cleaned up"')
        self.HEALTH = ev('msg="Health check for container <*> error: <*>"', lvl='warning')
        self.STREAMCOPY = ev('msg="stream copy error: <*>"', lvl='error')
        self.EXECERR = ev('msg="Error running exec <*> in container: <*>"', lvl='error')
        self.HOSTNET = ev('msg="Published ports are discarded when using host network mode"', lvl='warning')
        self.LOGFAIL = ev('msg="Failed to log msg <*> for logger <*>: <*>"', lvl='error')
        # shutdown
        self.SIGNAL = ev("msg=\"Processing signal '<*>'\"")
        self.SHOULDRESTART = ev('msg="ShouldRestart failed, container will not be restarted" container=<*> '
                                'daemonShuttingDown=<*> error=<*> execDuration=<*> exitStatus=<*> '
                                'hasBeenManuallyStopped=<*> restartCount=<*>', lvl='warning')
        self.STOPSTREAM = ev('msg="stopping event stream following graceful shutdown" error=<*> '
                             'module=libcontainerd namespace=<*>')
        self.STOPHC = ev('msg="stopping healthcheck following graceful shutdown" module=libcontainerd')
        self.SHUTDONE = ev('msg="Daemon shutdown complete"')

    def plan(self):
        rng = self.rng
        R = Rec

        def cid():
            return hexs(rng, 64)

        def grpc_channel(n):
            sock = 'unix:///run/containerd/containerd.sock'
            return [R(self.CHCREATED, [n]),
                    R(self.DIALTARGET, [n, '\\"%s\\"' % sock]),
                    R(self.AUTHORITY, [n, '\\"localhost\\"']),
                    R(self.LBPOLICY, [n, '\\"pick_first\\"']),
                    R(self.SUBCREATED, [n, n + 1]),
                    R(self.SUBCONN, [n, n + 1, 'CONNECTING']),
                    R(self.CHCONN, [n, 'CONNECTING']),
                    R(self.SUBCONN, [n, n + 1, 'READY'], dt=0.002),
                    R(self.CHCONN, [n, 'READY'])]

        running = [cid() for _ in range(5)]
        start = [[R(self.STARTUP, [])] + grpc_channel(1) + grpc_channel(4) + [
            R(self.GRAPH, ['overlay2'], dt=0.05),
            R(self.BLKIO, [], dt=0.01), R(self.BLKIODEV, []),
            R(self.LOADSTART, [], dt=0.01)] + [
            R(self.STALE, [hexs(rng, 64), hexs(rng, 64)], dt=0.1) for _ in range(2)] + [
            R(self.BRIDGE, ['172.17.0.0/16'], dt=0.4),
            R(self.LOADDONE, [], dt=0.6),
            R(self.DAEMON, ['311b9ff', 'overlay2', '24.0.7'], dt=0.2),
            R(self.INITDONE, [], dt=0.05),
            R(self.LISTEN, ['/run/docker.sock'], dt=0.01),
            R(self.LISTEN, ['[::]:2376'], dt=0.001)]]

        def ignoring(c, dt=None):
            return R(self.IGNORING, [c, 'moby', '/tasks/delete', lq('*events.TaskDelete')], dt=dt)

        def job():
            c = cid()
            ch = []
            if rng.random() < 0.35:
                ch.append(R(self.SWAP, []))
            if rng.random() < 0.06:
                ch.append(R(self.STREAMCOPY, [lq(rng.choice(['reading from a closed fifo',
                                                             'io: read/write on closed pipe']))[1:-1]],
                            dt=rng.uniform(5, 300)))
            ch.append(ignoring(c, dt=rng.uniform(5, 400) if ch else None))
            return ch

        def jobs():
            return [r for _ in range(rng.choice([2, 2, 3, 4])) for r in job()]

        def stop_force():
            c = cid()
            return [R(self.FORCE, ['10s', 15, c]), ignoring(c, dt=rng.uniform(0.05, 0.3))]

        reg = ['registry.example.com', 'mirror.example.net:5000']

        def pull_fail():
            r = rng.choice(reg)
            img = rng.choice(['ci/builder', 'ci/node-runner', 'platform/api', 'platform/worker'])
            tag = rng.choice(['latest', '2024.03.2', '1.14.7', 'sha-%s' % hexs(rng, 7)])
            x = rng.random()
            if x < 0.4:
                e = 'manifest for %s/%s:%s not found: manifest unknown: manifest unknown' % (r, img, tag)
                return [R(self.NOPULL, [e])]
            if x < 0.7:
                e = ('Get \\"https://%s/v2/\\": dial tcp 10.4.%d.%d:443: i/o timeout'
                     % (r, rng.randint(0, 3), rng.randint(2, 90)))
                return [R(self.V2REG, [e]), R(self.NEXTEP, ['Get \\"https://%s/v2/\\": http: server gave HTTP '
                                                            'response to HTTPS client' % r], dt=0.01)]
            e = ('unauthorized: authentication required')
            return [R(self.NEXTEP, [e]), R(self.NOPULL, ['pull access denied for %s/%s, repository does not exist '
                                                         'or may require \'docker login\': denied: requested access '
                                                         'to the resource is denied' % (r, img)], dt=0.02)]

        def retries():
            ch = []
            n = rng.randint(1, 3)
            for i in range(1, n + 1):
                e = rng.choice(['read tcp 10.4.0.%d:%d->10.4.1.%d:443: read: connection reset by peer'
                                % (rng.randint(2, 40), port(rng), rng.randint(2, 90)),
                                'unexpected EOF', 'net/http: TLS handshake timeout'])
                ch.append(R(self.RETRY, [i, 5, e], dt=rng.uniform(1, 6)))
            return ch

        def handler():
            c = rng.choice(['web-%d' % rng.randint(1, 9), 'ci-job-%d' % rng.randint(10000, 99999),
                            'api-%s' % hexs(rng, 6)])
            x = rng.random()
            if x < 0.5:
                p = rng.choice([8080, 8443, 5432, 6379, 3000])
                e = ('driver failed programming external connectivity on endpoint %s (%s): Bind for 0.0.0.0:%d '
                     'failed: port is already allocated' % (c, hexs(rng, 64), p))
                return [R(self.HANDLER, ['POST', '/v1.43/containers/%s/start' % c, e])]
            if x < 0.8:
                e = ('failed to create task for container: failed to create shim task: OCI runtime create failed: '
                     'runc create failed: unable to start container process: error during container init: error '
                     'mounting \\"/srv/ci/cache\\" to rootfs at \\"/cache\\": mkdir /var/lib/docker/overlay2/%s/'
                     'merged/cache: read-only file system: unknown' % hexs(rng, 64))
                return [R(self.HANDLER, ['POST', '/v1.43/containers/%s/start' % c, e])]
            e = ('cannot stop container: %s: tried to kill container, but did not receive an exit event' % c)
            return [R(self.HANDLER, ['POST', '/v1.43/containers/%s/stop' % c, e])]

        def prune():
            return [R(self.LAYER, ['sha256:' + hexs(rng, 64)], dt=rng.uniform(0.01, 0.2))
                    for _ in range(rng.randint(1, 6))]

        def health():
            c = rng.choice(running)
            e = rng.choice(['context deadline exceeded', 'context deadline exceeded',
                            'OCI runtime exec failed: exec failed: unable to start container process: '
                            'error executing setns process: exit status 1: unknown'])
            return [R(self.HEALTH, [c, e])]

        def execerr():
            tool = rng.choice(['bash', 'curl', 'pg_isready'])
            return [R(self.EXECERR, [hexs(rng, 64), 'OCI runtime exec failed: exec failed: unable to start '
                                     'container process: exec: \\"%s\\": executable file not found in $PATH: '
                                     'unknown' % tool])]

        def diskfull():
            c = cid()
            ch = []
            for _ in range(rng.randint(2, 5)):
                ch.append(R(self.LOGFAIL, ['\\"\\"' if rng.random() < 0.3 else
                                           '\\"%s\\"' % rng.choice(['npm WARN deprecated inflight@1.0.6',
                                                                    'Step 4/9 : RUN make test',
                                                                    'ok  \\tgitlab.example.com/platform/api/store\\t'
                                                                    '0.%03ds' % rng.randint(10, 999)]),
                                           'json-file',
                                           'error writing log entry: write /var/lib/docker/containers/%s/%s-json.log: '
                                           'no space left on device' % (c, c)], dt=rng.uniform(0.001, 0.2)))
            return ch

        fixed = [diskfull() for _ in range(2)] + [[R(self.HOSTNET, [])] for _ in range(2)]
        fixed += [execerr() for _ in range(3)]
        weighted = [(40, jobs), (6, stop_force), (5, pull_fail), (2.5, retries), (5, handler), (4, prune),
                    (4, health)]

        end = [[R(self.SIGNAL, ['terminated'])]]
        e = end[0]
        for c in running:
            e.append(R(self.FORCE, ['10s', 15, c], dt=10.0 if c == running[0] else 0.001))
        for c in running:
            e.append(ignoring(c, dt=rng.uniform(0.05, 0.2)))
            e.append(R(self.SHOULDRESTART, [c, 'false', lq('restart canceled'),
                                            '%dh%dm%.9fs' % (rng.randint(1, 5), rng.randint(0, 59),
                                                             rng.uniform(0, 60)),
                                            AtTs(lambda ts: lq('{137 %s.%06d%03d +0000 UTC}' % (
                                                ts.strftime('%Y-%m-%d %H:%M:%S'), ts.microsecond,
                                                (ts.microsecond * 7) % 1000))),
                                            'true', 0], dt=0.001))
        e += [R(self.STOPSTREAM, [lq('<nil>'), 'moby'], dt=0.05), R(self.STOPHC, [], dt=0.001),
              R(self.STOPSTREAM, [lq('<nil>'), 'plugins.moby'], dt=0.001), R(self.SHUTDONE, [], dt=0.01)]
        return start, fixed, weighted, lambda: [ignoring(cid())], end


# ----------------------------------------------------------------------------
# 3. OpenVPN 2.6 server (--log file, verb 3)
# ----------------------------------------------------------------------------

class OpenVPN(System):
    name = 'OpenVPN'
    seed = 6303
    start = datetime(2024, 4, 4, 5, 30, 2)
    header_re = (r'^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) '
                 r'(?:(?P<inst>(?:[\w.@-]+/)?\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}) )?(?P<msg>.+)$')
    PLUGIN = '/usr/lib/x86_64-linux-gnu/openvpn/plugins/openvpn-plugin-auth-pam.so'
    USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'ken', 'laura',
             'mike', 'nina', 'oscar', 'peggy', 'quinn', 'rupert', 'sybil', 'trent', 'uma', 'victor', 'wendy']

    def header(self, meta, ts, h):
        inst = h.get('inst')
        if isinstance(inst, Lazy):
            inst = inst.get(self._ctx)
        return '%s %s' % (ts.strftime('%Y-%m-%d %H:%M:%S'), (inst + ' ') if inst else '')

    def gap(self):
        return self.rng.expovariate(1.0 / 25)

    def in_chunk_gap(self):
        return self.rng.uniform(0.0, 0.05)

    def define(self):
        ev = self.ev
        self.TITLE = ev('OpenVPN <*> <*> [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [MH/PKTINFO] [AEAD] [DCO]')
        self.LIBS = ev('library versions: <*>, LZO <*>')
        self.ADDRADD = ev('net_addr_v4_add: <*> dev <*>')
        self.TUNOPEN = ev('TUN/TAP device <*> opened')
        self.SOCKBUF = ev('Socket Buffers: R=[<*>-><*>] S=[<*>-><*>]')
        self.LLOCAL = ev('<*> link local (bound): <*>')
        self.MINIT = ev('MULTI: multi_init called, r=<*> v=<*>')
        self.POOL = ev('IFCONFIG POOL IPv4: base=<*> size=<*>')
        self.INITDONE = ev('Initialization Sequence Completed')
        # per connection
        self.INITIAL = ev('TLS: Initial packet from <*>, sid=<*>')
        self.VERIFYOK = ev('VERIFY OK: depth=<*>, <*>')
        self.VERIFYERR = ev('VERIFY ERROR: depth=<*>, error=<*>: <*>, serial=<*>')
        self.PEERINFO = ev('peer info: <*>')
        self.PLUGINPOST = ev('PLUGIN_CALL: POST <*>/<*> status=<*>')
        self.PLUGINFAIL = ev('PLUGIN_CALL: plugin function <*> failed with status <*>: <*>')
        self.PAMFAIL = ev("AUTH-PAM: BACKGROUND: user '<*>' failed to authenticate: <*>")
        self.USEROK = ev("TLS: Username/Password authentication succeeded for username '<*>'")
        self.AUTHERR = ev('TLS Auth Error: Auth Username/Password verification failed for peer')
        self.MOVESESS = ev('TLS: move_session: dest=<*> src=<*> reinit_src=<*>')
        self.CTRLCH = ev('Control Channel: <*>, cipher <*> <*>, peer certificate: <*> bit <*>, signature: <*>')
        self.INITIATED = ev('[<*>] Peer Connection Initiated with <*>')
        self.INCONS = ev("WARNING: '<*>' is used inconsistently, local='<*>', remote='<*>'")
        self.SVA = ev('MULTI_sva: pool returned IPv4=<*>, IPv6=<*>')
        self.LEARN = ev('MULTI: Learn: <*> -> <*>')
        self.PRIMARY = ev('MULTI: primary virtual IP for <*>: <*>')
        self.PUSHREQ = ev("PUSH: Received control message: '<*>'")
        self.SENT = ev("SENT CONTROL [<*>]: '<*>' (status=<*>)")
        self.DATACH = ev("Data Channel: cipher '<*>', peer-id: <*>")
        self.PROTOOPT = ev('Protocol options: explicit-exit-notify <*>, protocol-flags <*>')
        self.DUPCN = ev("MULTI: new connection by client '<*>' will cause previous active sessions by this client "
                        "to be dropped.  Remember to use the --duplicate-cn option if you want multiple clients "
                        "using the same certificate or username to concurrently connect.")
        # running
        self.SOFTRESET = ev('TLS: soft reset sec=<*>/<*> bytes=<*>/<*> pkts=<*>/<*>')
        self.BADSRC = ev('MULTI: bad source address from client [<*>], packet dropped')
        self.NOHMAC = ev('TLS Error: cannot locate HMAC in incoming packet from <*>')
        self.KEYNEG = ev('TLS Error: TLS key negotiation failed to occur within <*> seconds (check your network '
                         'connectivity)')
        self.HSFAIL = ev('TLS Error: TLS handshake failed')
        self.OPENSSL = ev('OpenSSL: <*>')
        self.BIOERR = ev('TLS_ERROR: BIO read tls_read_plaintext error')
        self.INACT = ev('[<*>] Inactivity timeout (--ping-restart), restarting')
        self.SIGEXIT = ev('<*>[<*>,<*>] received, <*> exiting')
        self.SIGRESTART = ev('<*>[<*>,<*>] received, <*> restarting')
        # shutdown
        self.EVWAIT = ev('event_wait : Interrupted system call (fd=<*>,code=<*>)')
        self.SIGHARD = ev('<*>[<*>,] received, <*> exiting')
        self.CLOSETUN = ev('Closing TUN/TAP interface')
        self.ADDRDEL = ev('net_addr_v4_del: <*> dev <*>')

    def init_state(self, ctx):
        ctx.st['active'] = {}
        ctx.st['vip'] = 2
        self._ctx = ctx

    def plan(self):
        rng = self.rng
        R = Rec
        users = self.USERS

        def addr():
            return '%s:%d' % (doc_ip(rng), rng.randint(1024, 65535))

        def sid():
            return '%s %s' % (hexs(rng, 8), hexs(rng, 8))

        def peer_infos():
            if rng.random() < 0.2:
                return ['IV_VER=2.4.%d' % rng.randint(9, 12), 'IV_PLAT=%s' % rng.choice(['linux', 'mac']),
                        'IV_PROTO=2', 'IV_NCP=2', 'IV_LZ4=1', 'IV_LZ4v2=1', 'IV_LZO=1', 'IV_COMP_STUB=1',
                        'IV_COMP_STUBv2=1', 'IV_TCPNL=1'], True
            plat = rng.choice(['win', 'win', 'mac', 'linux', 'android', 'ios'])
            pi = ['IV_VER=%s' % rng.choice(['2.6.8', '2.6.9', '2.6.10', '3.git::f225fcd0']), 'IV_PLAT=%s' % plat,
                  'IV_TCPNL=1', 'IV_MTU=1600', 'IV_NCP=2', 'IV_CIPHERS=AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305',
                  'IV_PROTO=990', 'IV_LZO_STUB=1', 'IV_COMP_STUB=1', 'IV_COMP_STUBv2=1']
            if plat == 'win':
                pi.append('IV_GUI_VER=OpenVPN_GUI_11.%d.0.0' % rng.randint(44, 47))
                pi.append('IV_SSO=openurl,webauth,crtext')
            return pi, False

        def connect(fail=None, dup=False):
            a = addr()
            cn = rng.choice(users)
            pre = {'inst': a}
            post = {'inst': '%s/%s' % (cn, a)}
            full = '%s/%s' % (cn, a)
            ch = [R(self.INITIAL, ['[AF_INET]' + a, sid()], h=pre),
                  R(self.VERIFYOK, [1, 'CN=Example Corp VPN CA'], h=pre, dt=rng.uniform(0.05, 0.4))]
            if fail == 'expired':
                return ch + [
                    R(self.VERIFYERR, [0, 'certificate has expired', 'CN=%s' % cn, hexs(rng, 32).upper()], h=pre,
                      dt=0.001),
                    R(self.OPENSSL, ['error:0A000086:SSL routines::certificate verify failed:'], h=pre),
                    R(self.BIOERR, [], h=pre), R(self.HSFAIL, [], h=pre),
                    R(self.SIGRESTART, ['SIGUSR1', 'soft', 'tls-error', 'client-instance'], h=pre)]
            ch.append(R(self.VERIFYOK, [0, 'CN=%s' % cn], h=pre, dt=0.001))
            pis, old = peer_infos()
            for p in pis:
                ch.append(R(self.PEERINFO, [p], h=pre, dt=0.0))
            if fail == 'auth':
                return ch + [
                    R(self.PAMFAIL, [cn, 'Authentication failure'], dt=rng.uniform(1.5, 3)),
                    R(self.PLUGINPOST, [self.PLUGIN, 'PLUGIN_AUTH_USER_PASS_VERIFY', 1], h=pre, dt=0.0),
                    R(self.PLUGINFAIL, ['PLUGIN_AUTH_USER_PASS_VERIFY', 1, self.PLUGIN], h=pre, dt=0.0),
                    R(self.AUTHERR, [], h=pre, dt=0.0),
                    R(self.MOVESESS, ['TM_ACTIVE', 'TM_INITIAL', 1], h=pre, dt=0.0),
                    R(self.CTRLCH, ['TLSv1.3', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 2048, 'RSA', 'RSA-SHA256'],
                      h=pre, dt=0.0),
                    R(self.PUSHREQ, ['PUSH_REQUEST'], h=pre, dt=rng.uniform(0.5, 1.5)),
                    R(self.SENT, [cn, 'AUTH_FAILED', 1], h=pre, dt=0.0),
                    R(self.SIGEXIT, ['SIGTERM', 'soft', 'delayed-exit', 'client-instance'], h=pre, dt=5.0)]
            ch += [R(self.PLUGINPOST, [self.PLUGIN, 'PLUGIN_AUTH_USER_PASS_VERIFY', 0], h=pre,
                     dt=rng.uniform(0.2, 1.2)),
                   R(self.USEROK, [cn], h=pre, dt=0.0),
                   R(self.MOVESESS, ['TM_ACTIVE', 'TM_INITIAL', 1], h=pre, dt=0.0),
                   R(self.CTRLCH, ['TLSv1.3', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', rng.choice([2048, 2048, 4096]),
                                   'RSA', 'RSA-SHA256'], h=pre, dt=0.0)]
            if old:
                ch.append(R(self.INCONS, ['link-mtu', 'link-mtu 1557', 'link-mtu 1558'], h=pre, dt=0.0))
            ch.append(R(self.INITIATED, [cn, '[AF_INET]' + a], h=pre, dt=0.0))
            if dup:
                ch.append(R(self.DUPCN, [cn], h=post, dt=0.0))
            st = {}

            def vip(c):
                if 'vip' not in st:
                    st['vip'] = '10.8.0.%d' % c.st['vip']
                    c.st['vip'] = 2 + (c.st['vip'] - 1) % 250
                    c.st['active'][full] = st['vip']
                return st['vip']

            def peer_id(c):
                return int(vip(c).rsplit('.', 1)[1]) - 2

            ch += [R(self.SVA, [Lazy(vip), '(Not enabled)'], h=post, dt=0.0),
                   R(self.LEARN, [Lazy(vip), full], h=post, dt=0.0),
                   R(self.PRIMARY, [full, Lazy(vip)], h=post, dt=0.0),
                   R(self.PUSHREQ, ['PUSH_REQUEST'], h=post, dt=rng.uniform(0.8, 1.6)),
                   R(self.SENT, [cn, Lazy(lambda c: 'PUSH_REPLY,route 10.20.0.0 255.255.0.0,route 10.30.0.0 '
                                          '255.255.0.0,dhcp-option DNS 10.20.0.53,dhcp-option DOMAIN '
                                          'corp.example.net,route-gateway 10.8.0.1,topology subnet,ping 10,'
                                          'ping-restart 120,ifconfig %s 255.255.255.0,peer-id %d,cipher AES-256-GCM,'
                                          'protocol-flags cc-exit tls-ekm dyn-tls-crypt,tun-mtu 1500'
                                          % (vip(c), peer_id(c))), 1], h=post, dt=0.0),
                   R(self.DATACH, ['AES-256-GCM', Lazy(peer_id)], h=post, dt=0.0),
                   R(self.PROTOOPT, [1, 'cc-exit tls-ekm dyn-tls-crypt'], h=post, dt=0.0)]
            return ch

        def session(keep=False):
            """Pick a connected client at render time (or an older one that predates the log)."""
            st = {}

            def get(c):
                if 'full' not in st:
                    act = sorted(c.st['active'])
                    if act:
                        st['full'] = rng.choice(act)
                        st['vip'] = c.st['active'][st['full']]
                        if not keep:
                            del c.st['active'][st['full']]
                    else:
                        st['full'] = '%s/%s' % (rng.choice(users), addr())
                        st['vip'] = '10.8.0.%d' % rng.randint(200, 250)
                return st

            return (Lazy(lambda c: get(c)['full']), Lazy(lambda c: get(c)['full'].split('/')[0]),
                    Lazy(lambda c: get(c)['vip']))

        def disconnect():
            full, cn, _ = session()
            h = {'inst': full}
            if rng.random() < 0.3:
                return [R(self.INACT, [cn], h=h), R(self.SIGRESTART, ['SIGUSR1', 'soft', 'ping-restart',
                                                                      'client-instance'], h=h, dt=0.0)]
            return [R(self.SIGEXIT, ['SIGTERM', 'soft', 'remote-exit', 'client-instance'], h=h)]

        def softreset():
            full, cn, _ = session(keep=True)
            h = {'inst': full}
            return [R(self.SOFTRESET, [3599, 3599, rng.randint(20000, 90000000), -1, rng.randint(400, 900000), 0],
                      h=h),
                    R(self.VERIFYOK, [1, 'CN=Example Corp VPN CA'], h=h, dt=rng.uniform(0.05, 0.3)),
                    R(self.VERIFYOK, [0, Lazy(lambda c: 'CN=%s' % cn.get(c))], h=h, dt=0.001),
                    R(self.MOVESESS, ['TM_ACTIVE', 'TM_INITIAL', 0], h=h, dt=0.0),
                    R(self.CTRLCH, ['TLSv1.3', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 2048, 'RSA', 'RSA-SHA256'],
                      h=h, dt=0.0)]

        def badsrc():
            full, cn, _ = session(keep=True)
            h = {'inst': full}
            src = rng.choice(['192.168.1.%d' % rng.randint(2, 60), '192.168.0.%d' % rng.randint(2, 60),
                              '172.20.10.%d' % rng.randint(2, 14), '10.0.2.15'])
            return [R(self.BADSRC, [src], h=h, dt=rng.uniform(0, 40)) for _ in range(rng.choice([1, 1, 2, 3, 5]))]

        def scanner():
            a = addr()
            return [R(self.NOHMAC, ['[AF_INET]' + a], dt=rng.uniform(0, 2)) for _ in range(rng.choice([1, 2, 3]))]

        def keyneg():
            a = addr()
            h = {'inst': a}
            return [R(self.INITIAL, ['[AF_INET]' + a, sid()], h=h),
                    R(self.KEYNEG, [60], h=h, dt=60.0), R(self.HSFAIL, [], h=h, dt=0.0),
                    R(self.SIGRESTART, ['SIGUSR1', 'soft', 'tls-error', 'client-instance'], h=h, dt=0.0)]

        start = [[R(self.TITLE, ['2.6.9', 'x86_64-pc-linux-gnu']),
                  R(self.LIBS, ['OpenSSL 3.0.13 30 Jan 2024', '2.10']),
                  R(self.ADDRADD, ['10.8.0.1/24', 'tun0']), R(self.TUNOPEN, ['tun0']),
                  R(self.SOCKBUF, [212992, 212992, 212992, 212992]),
                  R(self.LLOCAL, ['UDPv4', '[AF_INET][undef]:1194']),
                  R(self.MINIT, [256, 256]), R(self.POOL, ['10.8.0.2', 252]), R(self.INITDONE, [])]]
        fixed = [connect('expired') for _ in range(2)] + [connect('auth') for _ in range(3)]
        fixed += [connect(dup=True)]
        weighted = [(20, connect), (14, disconnect), (12, softreset), (10, badsrc), (8, scanner), (2, keyneg)]
        end = [[R(self.EVWAIT, [-1, 4]), R(self.SIGHARD, ['SIGTERM', 'hard', 'process'], dt=0.0),
                R(self.CLOSETUN, [], dt=0.0), R(self.ADDRDEL, ['10.8.0.1', 'tun0'], dt=0.0)]]
        return start, fixed, weighted, lambda: [scanner()[0]], end


# ----------------------------------------------------------------------------
# 4. Keycloak 24 on Quarkus (JBoss LogManager console format, stack traces)
# ----------------------------------------------------------------------------

KC_NPE_TRACE = [
    'java.lang.NullPointerException: Cannot invoke "org.keycloak.models.UserModel.getId()" because "user" is null',
    '\tat org.keycloak.protocol.oidc.OIDCLoginProtocol.sendError(OIDCLoginProtocol.java:412)',
    '\tat org.keycloak.services.resources.LoginActionsService.processFlow(LoginActionsService.java:350)',
    '\tat org.keycloak.services.resources.LoginActionsService.brokerLoginFlow(LoginActionsService.java:1012)',
    '\tat org.keycloak.services.resources.LoginActionsService.firstBrokerLoginGet(LoginActionsService.java:932)',
    '\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
    '\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)',
    '\tat org.jboss.resteasy.core.MethodInjectorImpl.invoke(MethodInjectorImpl.java:154)',
    '\tat org.jboss.resteasy.core.MethodInjectorImpl.invoke(MethodInjectorImpl.java:118)',
    '\tat org.jboss.resteasy.core.ResourceMethodInvoker.internalInvokeOnTarget(ResourceMethodInvoker.java:560)',
    '\tat org.jboss.resteasy.core.ResourceMethodInvoker.invokeOnTargetAfterFilter(ResourceMethodInvoker.java:452)',
    '\tat org.jboss.resteasy.core.ResourceMethodInvoker.invoke(ResourceMethodInvoker.java:364)',
    '\tat org.jboss.resteasy.core.SynchronousDispatcher.invoke(SynchronousDispatcher.java:492)',
    '\tat io.quarkus.resteasy.runtime.standalone.RequestDispatcher.service(RequestDispatcher.java:82)',
    '\tat io.quarkus.vertx.core.runtime.VertxCoreRecorder$14.runWith(VertxCoreRecorder.java:576)',
    '\tat org.jboss.threads.EnhancedQueueExecutor$Task.run(EnhancedQueueExecutor.java:2513)',
    '\tat org.jboss.threads.EnhancedQueueExecutor$ThreadBody.run(EnhancedQueueExecutor.java:1538)',
    '\tat org.jboss.threads.DelegatingRunnable.run(DelegatingRunnable.java:29)',
    '\tat org.jboss.threads.ThreadLocalResettingRunnable.run(ThreadLocalResettingRunnable.java:29)',
    '\tat io.netty.util.concurrent.FastThreadLocalRunnable.run(FastThreadLocalRunnable.java:30)',
    '\tat java.base/java.lang.Thread.run(Thread.java:1583)',
]

KC_MAIL_TRACE = [
    'org.keycloak.email.EmailException: Error when attempting to send the email to the server. More information is '
    'available in the server log.',
    '\tat org.keycloak.email.DefaultEmailSenderProvider.send(DefaultEmailSenderProvider.java:193)',
    '\tat org.keycloak.email.DefaultEmailSenderProvider.send(DefaultEmailSenderProvider.java:79)',
    '\tat org.keycloak.email.freemarker.FreeMarkerEmailTemplateProvider.send(FreeMarkerEmailTemplateProvider.java:271)',
    '\tat org.keycloak.email.freemarker.FreeMarkerEmailTemplateProvider.send(FreeMarkerEmailTemplateProvider.java:264)',
    '\tat org.keycloak.email.freemarker.FreeMarkerEmailTemplateProvider.sendExecuteActions('
    'FreeMarkerEmailTemplateProvider.java:197)',
    '\tat org.keycloak.services.resources.admin.UserResource.executeActionsEmail(UserResource.java:936)',
    '\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
    '\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)',
    '\tat org.jboss.resteasy.core.MethodInjectorImpl.invoke(MethodInjectorImpl.java:154)',
    '\tat org.jboss.resteasy.core.ResourceMethodInvoker.invoke(ResourceMethodInvoker.java:364)',
    '\tat org.jboss.resteasy.core.SynchronousDispatcher.invoke(SynchronousDispatcher.java:492)',
    '\tat java.base/java.lang.Thread.run(Thread.java:1583)',
    'Caused by: jakarta.mail.MessagingException: Could not connect to SMTP host: smtp.example.com, port: 587;',
    '  nested exception is:',
    '\tjava.net.ConnectException: Connection refused',
    '\tat org.eclipse.angus.mail.smtp.SMTPTransport.openServer(SMTPTransport.java:2258)',
    '\tat org.eclipse.angus.mail.smtp.SMTPTransport.protocolConnect(SMTPTransport.java:729)',
    '\tat jakarta.mail.Service.connect(Service.java:345)',
    '\tat org.keycloak.email.DefaultEmailSenderProvider.send(DefaultEmailSenderProvider.java:172)',
    '\t... 78 more',
    'Caused by: java.net.ConnectException: Connection refused',
    '\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)',
    '\tat java.base/sun.nio.ch.Net.pollConnectNow(Net.java:682)',
    '\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:542)',
    '\tat java.base/java.net.Socket.connect(Socket.java:751)',
    '\tat org.eclipse.angus.mail.util.SocketFetcher.createSocket(SocketFetcher.java:372)',
    '\tat org.eclipse.angus.mail.smtp.SMTPTransport.openServer(SMTPTransport.java:2224)',
    '\t... 81 more',
]

KC_IDP_TRACE = [
    'org.keycloak.broker.provider.IdentityBrokerException: Could not obtain access token from identity provider.',
    '\tat org.keycloak.broker.oidc.AbstractOAuth2IdentityProvider$Endpoint.authResponse('
    'AbstractOAuth2IdentityProvider.java:558)',
    '\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
    '\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)',
    '\tat org.jboss.resteasy.core.MethodInjectorImpl.invoke(MethodInjectorImpl.java:154)',
    '\tat org.jboss.resteasy.core.ResourceMethodInvoker.invoke(ResourceMethodInvoker.java:364)',
    '\tat org.jboss.resteasy.core.ResourceLocatorInvoker.invokeOnTargetObject(ResourceLocatorInvoker.java:179)',
    '\tat org.jboss.resteasy.core.SynchronousDispatcher.invoke(SynchronousDispatcher.java:492)',
    '\tat java.base/java.lang.Thread.run(Thread.java:1583)',
    'Caused by: java.net.SocketTimeoutException: Read timed out',
    '\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)',
    '\tat java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:304)',
    '\tat org.apache.http.impl.io.SessionInputBufferImpl.streamRead(SessionInputBufferImpl.java:137)',
    '\tat org.apache.http.impl.client.CloseableHttpClient.execute(CloseableHttpClient.java:56)',
    '\tat org.keycloak.broker.provider.util.SimpleHttp.makeRequest(SimpleHttp.java:315)',
    '\tat org.keycloak.broker.provider.util.SimpleHttp.asResponse(SimpleHttp.java:276)',
    '\tat org.keycloak.broker.oidc.AbstractOAuth2IdentityProvider$Endpoint.authResponse('
    'AbstractOAuth2IdentityProvider.java:534)',
    '\t... 62 more',
]

KC_BLOCKED_TRACE = [
    'io.vertx.core.VertxException: Thread blocked',
    '\tat java.base/sun.nio.ch.Net.poll(Native Method)',
    '\tat java.base/sun.nio.ch.NioSocketImpl.park(NioSocketImpl.java:191)',
    '\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:280)',
    '\tat org.postgresql.core.VisibleBufferedInputStream.readMore(VisibleBufferedInputStream.java:161)',
    '\tat org.postgresql.core.PGStream.receiveChar(PGStream.java:467)',
    '\tat org.postgresql.core.v3.QueryExecutorImpl.processResults(QueryExecutorImpl.java:2155)',
    '\tat org.postgresql.jdbc.PgPreparedStatement.executeQuery(PgPreparedStatement.java:134)',
    '\tat io.agroal.pool.wrapper.PreparedStatementWrapper.executeQuery(PreparedStatementWrapper.java:78)',
    '\tat org.hibernate.sql.results.jdbc.internal.DeferredResultSetAccess.executeQuery('
    'DeferredResultSetAccess.java:246)',
    '\tat org.keycloak.models.jpa.JpaUserProvider.getUserByUsername(JpaUserProvider.java:583)',
]


class Keycloak(System):
    name = 'Keycloak'
    seed = 6404
    start = datetime(2024, 4, 5, 8, 0, 14, 205000)
    header_re = (r'^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?P<level>TRACE|DEBUG|INFO|WARN|ERROR|FATAL) ?'
                 r' \[(?P<cat>[\w.$]+)\] \((?P<thread>[^()]*)\) (?P<msg>.+)$')
    NODE = 'keycloak-1-38211'
    PEER = 'keycloak-0-52907'
    CACHES = ['sessions', 'authenticationSessions', 'offlineSessions', 'clientSessions', 'offlineClientSessions',
              'loginFailures', 'actionTokens', 'work']

    def header(self, meta, ts, h):
        return '%s,%s %-5s [%s] (%s) ' % (ts.strftime('%Y-%m-%d %H:%M:%S'), ms3(ts), meta.get('lvl', 'INFO'),
                                          meta['cat'], h.get('t', meta.get('t', 'main')))

    def gap(self):
        return self.rng.expovariate(1.0 / 30)

    def in_chunk_gap(self):
        return self.rng.uniform(0.001, 0.03)

    def define(self):
        ev = self.ev
        ISPN_C = 'org.infinispan.CLUSTER'
        self.CRYPTO = ev('Detected crypto provider: <*>', cat='org.keycloak.common.crypto.CryptoIntegration')
        self.PREVIEW = ev('Preview feature enabled: <*>', cat='org.keycloak.common.Profile')
        self.HOSTNAME = ev('Hostname settings: Base URL: <*>, Hostname: <*>, Strict HTTPS: <*>, Path: <*>, Strict '
                           'BackChannel: <*>, Admin URL: <*>, Admin: <*>, Port: <*>, Proxied: <*>',
                           cat='org.keycloak.quarkus.runtime.hostname.DefaultHostnameProvider')
        self.CMF = ev('Starting Infinispan embedded cache manager',
                      cat='org.keycloak.quarkus.runtime.storage.legacy.infinispan.CacheManagerFactory')
        self.MARSHALLER = ev("ISPN000556: Starting user marshaller '<*>'", cat='org.infinispan.CONTAINER',
                             t='keycloak-cache-init')
        self.JGSTART = ev('ISPN000078: Starting JGroups channel `<*>` with stack `<*>`', cat=ISPN_C,
                          t='keycloak-cache-init')
        self.LOCALADDR = ev('local_addr: <*>, name: <*>', cat='org.jgroups.JChannel', t='keycloak-cache-init')
        self.FDSOCK = ev('server listening on <*>', cat='org.jgroups.protocols.FD_SOCK2', t='keycloak-cache-init')
        self.VIEW = ev('ISPN000094: Received new cluster view for channel <*>: <*>', cat=ISPN_C)
        self.CHADDR = ev('ISPN000079: Channel `<*>` local address is `<*>`, physical addresses are `<*>`',
                         cat=ISPN_C, t='keycloak-cache-init')
        self.NODENAME = ev('Node name: <*>, Site name: <*>',
                           cat='org.keycloak.connections.infinispan.DefaultInfinispanConnectionProviderFactory')
        self.STARTED = ev('Keycloak <*> on JVM (powered by Quarkus <*>) started in <*>s. Listening on: <*>. '
                          'Management interface listening on <*>.', cat='io.quarkus')
        self.PROFILE = ev('Profile <*> activated.', cat='io.quarkus')
        self.FEATURES = ev('Installed features: [<*>]', cat='io.quarkus')
        # cluster
        self.JOINED = ev('ISPN100000: Node <*> joined the cluster', cat=ISPN_C)
        self.LEFT = ev('ISPN100001: Node <*> left the cluster', cat=ISPN_C)
        self.REBSTART = ev('[Context=<*>] ISPN100002: Starting rebalance with members <*>, phase <*>, topology id <*>',
                           cat=ISPN_C)
        self.REBDONE = ev('[Context=<*>] ISPN100010: Finished rebalance with members <*>, topology id <*>',
                          cat=ISPN_C)
        self.MEMBERS = ev('[Context=<*>] ISPN100008: Updating cache members list <*>, topology id <*>', cat=ISPN_C)
        # events (one event per key layout of the JBoss logging event listener)
        EV = 'org.keycloak.events'
        self.E_LOGIN = ev('type="<*>", realmId="<*>", clientId="<*>", userId="<*>", ipAddress="<*>", error="<*>", '
                          'auth_method="<*>", auth_type="<*>", redirect_uri="<*>", code_id="<*>", username="<*>", '
                          'authSessionParentId="<*>", authSessionTabId="<*>"', cat=EV, lvl='WARN')
        self.E_REDIR = ev('type="<*>", realmId="<*>", clientId="<*>", userId="<*>", ipAddress="<*>", error="<*>", '
                          'redirect_uri="<*>"', cat=EV, lvl='WARN')
        self.E_CODE = ev('type="<*>", realmId="<*>", clientId="<*>", userId="<*>", ipAddress="<*>", error="<*>", '
                         'grant_type="<*>", code_id="<*>", client_auth_method="<*>"', cat=EV, lvl='WARN')
        self.E_REFRESH = ev('type="<*>", realmId="<*>", clientId="<*>", userId="<*>", ipAddress="<*>", error="<*>", '
                            'grant_type="<*>", client_auth_method="<*>"', cat=EV, lvl='WARN')
        self.E_CLIENT = ev('type="<*>", realmId="<*>", clientId="<*>", userId="<*>", ipAddress="<*>", error="<*>", '
                           'grant_type="<*>"', cat=EV, lvl='WARN')
        self.E_MIN = ev('type="<*>", realmId="<*>", clientId="<*>", userId="<*>", ipAddress="<*>", error="<*>"',
                        cat=EV, lvl='WARN')
        # errors with stack traces
        self.UNCAUGHT = ev('Uncaught server error', cat='org.keycloak.services.error.KeycloakErrorHandler',
                           lvl='ERROR')
        self.MAILFAIL = ev('Failed to send execute actions email',
                           cat='org.keycloak.services.resources.admin.UserResource', lvl='ERROR')
        self.IDPFAIL = ev('Failed to make identity provider oauth callback',
                          cat='org.keycloak.broker.oidc.AbstractOAuth2IdentityProvider', lvl='ERROR')
        self.BLOCKED = ev('Thread Thread[<*>,<*>,<*>] has been blocked for <*> ms, time limit is <*> ms',
                          cat='io.vertx.core.impl.BlockedThreadChecker', lvl='WARN',
                          t='vertx-blocked-thread-checker')
        self.SQLERR = ev('SQL Error: <*>, SQLState: <*>', cat='org.hibernate.engine.jdbc.spi.SqlExceptionHelper',
                         lvl='WARN')
        self.LDAPSYNC = ev('Sync changed users from LDAP to local store: realm: <*>, federation provider: <*>, last '
                           'sync time: <*>', cat='org.keycloak.storage.ldap.LDAPStorageProviderFactory', t='Timer-0')
        self.LDAPDONE = ev('Sync changed users finished: <*>', cat='org.keycloak.storage.ldap.LDAPStorageProviderFactory',
                           t='Timer-0')
        # shutdown
        self.DISCONNECT = ev('ISPN000080: Disconnecting JGroups channel `<*>`', cat=ISPN_C, t='Shutdown thread')
        self.STOPPED = ev('Keycloak stopped in <*>s', cat='io.quarkus', t='Shutdown thread')

    def plan(self):
        rng = self.rng
        R = Rec
        realms = {'corp': uuid4(rng), 'customers': uuid4(rng)}
        clients = {'corp': ['grafana', 'gitlab', 'vault-ui', 'wiki'], 'customers': ['shop-web', 'shop-mobile']}
        redirects = {'grafana': 'https://grafana.corp.example.net/login/generic_oauth',
                     'gitlab': 'https://gitlab.corp.example.net/users/auth/openid_connect/callback',
                     'vault-ui': 'https://vault.corp.example.net/ui/vault/auth/oidc/oidc/callback',
                     'wiki': 'https://wiki.corp.example.net/oauth2/callback',
                     'shop-web': 'https://shop.example.com/auth/callback',
                     'shop-mobile': 'com.example.shop:/oauthredirect'}
        users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'mallory', 'admin', 'test',
                 'j.smith@example.com', 'k.lee@example.org', 'm.garcia@example.net']

        def thr():
            return {'t': 'executor-thread-%d' % rng.randint(1, 64)}

        def ip():
            return doc_ip(rng) if rng.random() < 0.6 else priv_ip(rng)

        def realm_client():
            r = rng.choices(['corp', 'customers'], weights=[3, 2])[0]
            return r, rng.choice(clients[r])

        def login_error():
            r, c = realm_client()
            u = rng.choice(users)
            known = rng.random() < 0.6
            err = 'invalid_user_credentials' if known else 'user_not_found'
            out = []
            for _ in range(rng.choice([1, 1, 1, 2, 3])):
                out.append(R(self.E_LOGIN, ['LOGIN_ERROR', realms[r], c, uuid4(rng) if known else 'null', ip(), err,
                                            'openid-connect', 'code', redirects[c], uuid4(rng), u, uuid4(rng),
                                            b62(rng, 11)], h=thr(), dt=rng.uniform(2, 20)))
            return out

        def redirect_error():
            r, c = realm_client()
            bad = rng.choice(['https://evil.example.org/cb', 'http://localhost:3000/callback',
                              redirects[c].replace('https://', 'http://')])
            return [R(self.E_REDIR, ['LOGIN_ERROR', realms[r], c, 'null', ip(), 'invalid_redirect_uri', bad],
                      h=thr())]

        def code_error():
            r, c = realm_client()
            return [R(self.E_CODE, ['CODE_TO_TOKEN_ERROR', realms[r], c, 'null', priv_ip(rng),
                                    rng.choice(['invalid_code', 'invalid_code', 'expired_code']), 'authorization_code',
                                    uuid4(rng), 'client-secret' if c != 'shop-mobile' else 'none'], h=thr())]

        def refresh_error():
            r, c = realm_client()
            return [R(self.E_REFRESH, ['REFRESH_TOKEN_ERROR', realms[r], c, uuid4(rng), ip(),
                                       rng.choices(['invalid_token', 'session_expired', 'user_not_found'],
                                                   weights=[6, 3, 1])[0], 'refresh_token',
                                       'client-secret' if c != 'shop-mobile' else 'none'], h=thr())]

        def client_error():
            c = rng.choice(['ci-deployer', 'backup-exporter', 'metrics-scraper'])
            return [R(self.E_CLIENT, ['CLIENT_LOGIN_ERROR', realms['corp'], c, 'null', priv_ip(rng),
                                      'invalid_client_credentials', 'client_credentials'], h=thr())]

        def min_error():
            r, c = realm_client()
            if rng.random() < 0.5:
                return [R(self.E_MIN, ['LOGOUT_ERROR', realms[r], c, 'null', ip(), 'invalid_token'], h=thr())]
            return [R(self.E_MIN, ['IDENTITY_PROVIDER_LOGIN_ERROR', realms['customers'], 'null', 'null', ip(),
                                   'identity_provider_login_failure'], h=thr())]

        def uncaught():
            return [R(self.UNCAUGHT, [], conts=KC_NPE_TRACE, h=thr())]

        def mailfail():
            return [R(self.MAILFAIL, [], conts=KC_MAIL_TRACE, h=thr())]

        def idpfail():
            t = thr()
            return [R(self.IDPFAIL, [], conts=KC_IDP_TRACE, h=t),
                    R(self.E_MIN, ['IDENTITY_PROVIDER_LOGIN_ERROR', realms['customers'], 'null', 'null', ip(),
                                   'identity_provider_login_failure'], h=t, dt=0.002)]

        def blocked():
            ms = rng.randint(2001, 2999)
            th = 'vert.x-eventloop-thread-%d' % rng.randint(0, 7)
            out = []
            for _ in range(rng.choice([1, 1, 2, 3, 4, 6])):
                out.append(R(self.BLOCKED, [th, 5, 'main', ms, 2000], conts=KC_BLOCKED_TRACE if ms > 5000 else [],
                             dt=1.0))
                ms += rng.randint(998, 1003)
            return out

        def sqlerr():
            t = thr()
            return [R(self.SQLERR, [0, '08006'], h=t), R(self.SQLERR, [0, '08003'], h=t, dt=0.01)]

        def ldap_sync():
            return [R(self.LDAPSYNC, ['corp', 'corp-ldap', AtTs(lambda ts: (ts - timedelta(seconds=900)).strftime(
                '%a %b %d %H:%M:%S UTC %Y'))]),
                    R(self.LDAPDONE, ['%d imported users, %d updated users' % (rng.randint(0, 3), rng.randint(0, 9))],
                      dt=rng.uniform(0.2, 2))]

        def rebalance(members, tid, view_id, joined=None, left=None):
            th = {'t': 'non-blocking-thread--p2-t%d' % rng.randint(1, 4)}
            view = {'t': 'jgroups-%d,%s' % (rng.randint(5, 40), self.NODE)}
            mem = '[%s]' % ', '.join(members)
            ch = [R(self.VIEW, ['ISPN', '[%s|%d] (%d) %s' % (members[0], view_id, len(members), mem)], h=view)]
            if joined:
                ch.append(R(self.JOINED, [joined], h=view, dt=0.0005))
            if left:
                ch.append(R(self.LEFT, [left], h=view, dt=0.0005))
            for cache in self.CACHES:
                if left:
                    ch.append(R(self.MEMBERS, [cache, mem, tid], h=th, dt=0.002))
                else:
                    ch.append(R(self.REBSTART, [cache, mem, 'READ_OLD_WRITE_ALL', tid], h=th, dt=0.002))
            if joined:
                for cache in self.CACHES:
                    ch.append(R(self.REBDONE, [cache, mem, tid + 3], h=th, dt=rng.uniform(0.005, 0.05)))
            return ch

        both = [self.PEER, self.NODE]
        main = {'t': 'main'}
        start = [[
            R(self.CRYPTO, ['org.keycloak.crypto.def.DefaultCryptoProvider'], h=main),
            R(self.PREVIEW, ['token_exchange:v1'], h=main, dt=0.4),
            R(self.HOSTNAME, ['<unset>', 'sso.example.com', 'true', '<request>', 'false', '<unset>', '<request>', -1,
                              'true'], h=main, dt=0.6),
            R(self.CMF, [], h=main, dt=0.3),
            R(self.MARSHALLER, ['org.infinispan.jboss.marshalling.core.JBossUserMarshaller'], dt=0.5),
            R(self.JGSTART, ['ISPN', 'kubernetes'], dt=0.9),
            R(self.LOCALADDR, ['3a41d2c7-1f0e-4b51-9a5e-0c7d4e8b2f19', self.NODE], dt=0.2),
            R(self.FDSOCK, ['10.244.2.17:57800'], dt=0.05),
            R(self.VIEW, ['ISPN', '[%s|7] (2) [%s]' % (self.PEER, ', '.join(both))],
              h={'t': 'keycloak-cache-init'}, dt=0.4),
            R(self.CHADDR, ['ISPN', self.NODE, '[10.244.2.17:7800]'], dt=0.01),
            R(self.NODENAME, [self.NODE, 'null'], h=main, dt=1.4),
            R(self.STARTED, ['24.0.5', '3.8.4', '9.417', 'http://0.0.0.0:8080', 'http://0.0.0.0:9000'], h=main,
              dt=1.1),
            R(self.PROFILE, ['prod'], h=main, dt=0.001),
            R(self.FEATURES, ['agroal, cdi, hibernate-orm, jdbc-h2, jdbc-mariadb, jdbc-mssql, jdbc-mysql, '
                              'jdbc-oracle, jdbc-postgresql, keycloak, logging-gelf, micrometer, narayana-jta, '
                              'reactive-routes, resteasy-reactive, resteasy-reactive-jackson, '
                              'smallrye-context-propagation, smallrye-health, vertx'], h=main, dt=0.001)]]
        restart = rebalance([self.NODE], 12, 8, left=self.PEER)
        back = rebalance([self.NODE, self.PEER], 13, 9, joined=self.PEER)
        back[0].dt = rng.uniform(60, 120)
        fixed = [restart + back]
        fixed += [uncaught() for _ in range(2)] + [mailfail()] + [idpfail() for _ in range(2)]
        fixed += [sqlerr()] + [ldap_sync() for _ in range(3)]
        weighted = [(22, login_error), (30, refresh_error), (9, code_error), (3, client_error), (2.5, redirect_error),
                    (2.5, min_error), (1.5, blocked)]
        end = [[R(self.DISCONNECT, ['ISPN']), R(self.STOPPED, ['0.412'], dt=0.4)]]
        return start, fixed, weighted, refresh_error, end


# ----------------------------------------------------------------------------
# 5. Asterisk 20 full log (PJSIP, logger.conf default dateformat)
# ----------------------------------------------------------------------------

class Asterisk(System):
    name = 'Asterisk'
    seed = 6505
    start = datetime(2024, 4, 6, 8, 41, 5, 0)
    header_re = (r'^\[(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\] '
                 r'(?P<level>VERBOSE|NOTICE|WARNING|ERROR|DEBUG|SECURITY|DTMF)\[(?P<lwp>\d+)\]'
                 r'(?:\[(?P<callid>C-[0-9a-f]{8})\])? (?P<file>[\w/.-]+\.c): (?P<msg>.+)$')
    EXTS = ['101', '102', '103', '104', '105', '106', '107', '108', '110', '111', '112', '120']

    def header(self, meta, ts, h):
        cid = h.get('cid')
        if isinstance(cid, Lazy):
            cid = cid.get(self._ctx)
        return '[%s %2d %s] %s[%d]%s %s: ' % (MONTHS[ts.month - 1], ts.day, ts.strftime('%H:%M:%S'),
                                              meta.get('lvl', 'VERBOSE'), h.get('lwp', 2811),
                                              '[%s]' % cid if cid else '', meta['f'])

    def gap(self):
        return self.rng.expovariate(1.0 / 22)

    def in_chunk_gap(self):
        return self.rng.uniform(0.0, 0.02)

    def define(self):
        ev = self.ev
        self.REMOTE = ev('Remote UNIX connection', f='asterisk.c')
        self.RELOADMOD = ev("Reloading module '<*>' (<*>)", f='loader.c')
        self.PARSING = ev("Parsing '<*>': Found", f='config.c')
        self.EXEC = ev('Executing [<*>@<*>:<*>] <*>("<*>", "<*>") in new stack', f='pbx.c')
        self.CALLED = ev('Called <*>', f='app_dial.c')
        self.RINGING = ev('<*> is ringing', f='app_dial.c')
        self.ANSWERED = ev('<*> answered <*>', f='app_dial.c')
        self.JOINED = ev("Channel <*> joined '<*>' <*>-bridge <<*>>", f='bridge_channel.c')
        self.LEFT = ev("Channel <*> left '<*>' <*>-bridge <<*>>", f='bridge_channel.c')
        self.SPAWN = ev("Spawn extension (<*>, <*>, <*>) exited non-zero on '<*>'", f='pbx.c')
        self.NOBODY = ev('Nobody picked up in <*> ms', f='app_dial.c')
        self.FALLTHRU = ev("Auto fallthrough, channel '<*>' status is '<*>'", f='pbx.c')
        self.BUSY = ev('Everyone is busy/congested at this time (<*>:<*>/<*>/<*>)', f='app_dial.c')
        self.PLAYING = ev("<<*>> Playing '<*>' (language '<*>')", f='file.c')
        self.MOHSTART = ev("Started music on hold, class '<*>', on channel '<*>'", f='res_musiconhold.c')
        self.MOHSTOP = ev('Stopped music on hold on <*>', f='res_musiconhold.c')
        self.MIXBEGIN = ev('Begin MixMonitor Recording <*>', f='app_mixmonitor.c')
        self.MIXEND = ev('End MixMonitor Recording <*>', f='app_mixmonitor.c')
        self.NODIALOG = ev("Endpoint '<*>': Could not create dialog to invalid URI '<*>'.  Is endpoint registered "
                           "and reachable?", f='res_pjsip.c', lvl='ERROR')
        self.NOCHAN = ev("Unable to create channel of type '<*>' (cause <*> - <*>)", f='app_dial.c', lvl='WARNING')
        self.ADDED = ev("Added contact '<*>' to AOR '<*>' with expiration of <*> seconds", f='res_pjsip_registrar.c')
        self.REMOVED = ev("Removed contact '<*>' from AOR '<*>' due to <*>", f='res_pjsip_registrar.c')
        self.ENDPOINT = ev('Endpoint <*> is now <*>', f='res_pjsip/pjsip_configuration.c')
        self.CONTACT = ev('Contact <*>/<*> is now <*>.  RTT: <*> msec', f='res_pjsip/pjsip_options.c')
        self.REQFAIL = ev("Request '<*>' from '<*>' failed for '<*>' (callid: <*>) - <*>",
                          f='res_pjsip/pjsip_distributor.c', lvl='NOTICE')
        self.SEC_INVALID = ev('SecurityEvent="<*>",EventTV="<*>",Severity="<*>",Service="<*>",EventVersion="<*>",'
                              'AccountID="<*>",SessionID="<*>",LocalAddress="<*>",RemoteAddress="<*>"',
                              f='res_security_log.c', lvl='SECURITY')
        self.SEC_CHALLENGE = ev('SecurityEvent="<*>",EventTV="<*>",Severity="<*>",Service="<*>",EventVersion="<*>",'
                                'AccountID="<*>",SessionID="<*>",LocalAddress="<*>",RemoteAddress="<*>",'
                                'Challenge="<*>"', f='res_security_log.c', lvl='SECURITY')
        self.SEC_BADPW = ev('SecurityEvent="<*>",EventTV="<*>",Severity="<*>",Service="<*>",EventVersion="<*>",'
                            'AccountID="<*>",SessionID="<*>",LocalAddress="<*>",RemoteAddress="<*>",'
                            'Challenge="<*>",ReceivedChallenge="<*>",ReceivedHash="<*>"',
                            f='res_security_log.c', lvl='SECURITY')
        self.OUTREG = ev("No response received from '<*>' on registration attempt to '<*>', retrying in '<*>'",
                         f='res_pjsip_outbound_registration.c', lvl='WARNING')
        self.TASKPROC = ev("The '<*>' task processor queue reached <*> scheduled tasks again.", f='taskprocessor.c',
                           lvl='WARNING')
        self.AMION = ev("Manager '<*>' logged on from <*>", f='manager.c')
        self.AMIOFF = ev("Manager '<*>' logged off from <*>", f='manager.c')
        self.REMOTEOFF = ev('Remote UNIX connection disconnected', f='asterisk.c')

    def init_state(self, ctx):
        ctx.st['chan'] = 0x2e1
        ctx.st['cid'] = 0x1a4
        ctx.st['uid'] = 1712392865
        self._ctx = ctx

    def plan(self):
        rng = self.rng
        R = Rec
        ext_ip = {e: '10.0.1.%d' % (20 + i) for i, e in enumerate(self.EXTS)}

        def newcall():
            """Lazy ids for one call: call id, channel counters, unique id."""
            st = {}

            def get(c):
                if 'cid' not in st:
                    st['cid'] = 'C-%08x' % c.st['cid']
                    c.st['cid'] += 1
                    st['ch'] = []
                    for _ in range(4):
                        st['ch'].append(c.st['chan'])
                        c.st['chan'] += 1
                    st['uid'] = '%d.%d' % (c.st['uid'] + int((c.ts - self.start).total_seconds()), st['ch'][0])
                return st
            return get

        def chan(get, i, name):
            return Lazy(lambda c: 'PJSIP/%s-%08x' % (name, get(c)['ch'][i]))

        def callflow_internal():
            get = newcall()
            src, dst = rng.sample(self.EXTS, 2)
            lwp = rng.randint(3100, 9800)
            h = {'lwp': lwp, 'cid': Lazy(lambda c: get(c)['cid'])}
            a = chan(get, 0, src)
            b = chan(get, 1, dst)
            ctx = 'internal'
            ch = [R(self.EXEC, [dst, ctx, 1, 'NoOp', a, 'Internal call to %s' % dst], h=h),
                  R(self.EXEC, [dst, ctx, 2, 'Set', a, 'CDR(userfield)=internal'], h=h),
                  R(self.EXEC, [dst, ctx, 3, 'Set', a, 'TIMEOUT(absolute)=3600'], h=h),
                  R(self.EXEC, [dst, ctx, 4, 'MixMonitor', a, Lazy(lambda c: '%s.wav,b' % get(c)['uid'])], h=h),
                  R(self.MIXBEGIN, [a], h={'lwp': lwp + 1, 'cid': h['cid']}),
                  R(self.EXEC, [dst, ctx, 5, 'Dial', a, 'PJSIP/%s,30,tT' % dst], h=h)]
            x = rng.random()
            if x < 0.12:
                ch += [R(self.NODIALOG, [dst, dst], h=h),
                       R(self.NOCHAN, ['PJSIP', 3, 'No route to destination'], h=h),
                       R(self.BUSY, [1, 0, 0, 1], h=h),
                       R(self.FALLTHRU, [a, 'CHANUNAVAIL'], h=h, dt=0.001),
                       R(self.MIXEND, [a], h={'lwp': lwp + 1, 'cid': h['cid']}, dt=0.02)]
                return ch
            ch += [R(self.CALLED, ['PJSIP/%s' % dst], h=h),
                   R(self.RINGING, [b], h=h, dt=rng.uniform(0.05, 0.4))]
            if x < 0.35:
                ch += [R(self.NOBODY, [30000], h=h, dt=30.0),
                       R(self.EXEC, [dst, ctx, 6, 'Playback', a, 'vm-nobodyavail'], h=h),
                       R(self.PLAYING, [a, 'vm-nobodyavail.gsm', 'en'], h=h),
                       R(self.EXEC, [dst, ctx, 7, 'Hangup', a, '16'], h=h, dt=2.6),
                       R(self.SPAWN, [ctx, dst, 7, a], h=h),
                       R(self.MIXEND, [a], h={'lwp': lwp + 1, 'cid': h['cid']}, dt=0.02)]
                return ch
            bridge = uuid4(rng)
            talk = rng.uniform(10, 600)
            ch += [R(self.ANSWERED, [b, a], h=h, dt=rng.uniform(2, 15)),
                   R(self.JOINED, [b, 'simple_bridge', 'basic', bridge], h={'lwp': lwp + 2, 'cid': h['cid']}),
                   R(self.JOINED, [a, 'simple_bridge', 'basic', bridge], h=h),
                   R(self.LEFT, [b, 'simple_bridge', 'basic', bridge], h={'lwp': lwp + 2, 'cid': h['cid']}, dt=talk),
                   R(self.LEFT, [a, 'simple_bridge', 'basic', bridge], h=h),
                   R(self.SPAWN, [ctx, dst, 5, a], h=h),
                   R(self.MIXEND, [a], h={'lwp': lwp + 1, 'cid': h['cid']}, dt=0.02)]
            return ch

        def callflow_inbound():
            get = newcall()
            lwp = rng.randint(3100, 9800)
            h = {'lwp': lwp, 'cid': Lazy(lambda c: get(c)['cid'])}
            a = chan(get, 0, 'trunk-provider')
            b1 = chan(get, 1, '101')
            b2 = chan(get, 2, '102')
            ctx = 'from-trunk'
            did = '+1555010%04d' % rng.randint(0, 9999)
            ch = [R(self.EXEC, [did, ctx, 1, 'Set', a, 'CDR(did)=%s' % did], h=h),
                  R(self.EXEC, [did, ctx, 2, 'Set', a, 'CALLERID(name)=Sales line'], h=h),
                  R(self.EXEC, [did, ctx, 3, 'Playback', a, 'custom/welcome'], h=h, dt=0.3),
                  R(self.PLAYING, [a, 'custom/welcome.slin', 'en'], h=h),
                  R(self.EXEC, [did, ctx, 4, 'Dial', a, 'PJSIP/101&PJSIP/102,25,m(default)'], h=h, dt=7.2),
                  R(self.MOHSTART, ['default', a], h=h),
                  R(self.CALLED, ['PJSIP/101'], h=h),
                  R(self.CALLED, ['PJSIP/102'], h=h),
                  R(self.RINGING, [b1], h=h, dt=rng.uniform(0.05, 0.4)),
                  R(self.RINGING, [b2], h=h, dt=rng.uniform(0.01, 0.2))]
            if rng.random() < 0.25:
                ch += [R(self.MOHSTOP, [a], h=h, dt=25.0),
                       R(self.NOBODY, [25000], h=h),
                       R(self.FALLTHRU, [a, 'NOANSWER'], h=h, dt=0.001)]
                return ch
            bridge = uuid4(rng)
            win = rng.choice([b1, b2])
            ch += [
                   R(self.MOHSTOP, [a], h=h, dt=rng.uniform(2, 15)),
                   R(self.ANSWERED, [win, a], h=h),
                   R(self.JOINED, [win, 'simple_bridge', 'basic', bridge], h={'lwp': lwp + 2, 'cid': h['cid']}),
                   R(self.JOINED, [a, 'simple_bridge', 'basic', bridge], h=h),
                   R(self.LEFT, [a, 'simple_bridge', 'basic', bridge], h=h, dt=rng.uniform(20, 500)),
                   R(self.LEFT, [win, 'simple_bridge', 'basic', bridge], h={'lwp': lwp + 2, 'cid': h['cid']}),
                   R(self.SPAWN, [ctx, did, 4, a], h=h)]
            return ch

        def scan_one():
            ip = doc_ip(rng)
            user = rng.choice(['100', '1000', '1001', '2000', 'admin', 'test', '9999', '6001', 'sip'])
            method = rng.choices(['REGISTER', 'INVITE', 'OPTIONS'], weights=[5, 3, 1])[0]
            cid_ = b62(rng, 22)
            sport = rng.choice([5060, 5060, 5070, port(rng)])
            return [R(self.REQFAIL, [method, '"%s" <sip:%s@%s>' % (user, user, ip) if method != 'OPTIONS'
                                     else '<sip:%s@10.0.0.5>' % user, '%s:%d' % (ip, sport), cid_,
                                     'No matching endpoint found'], h={'lwp': 2790}),
                    R(self.SEC_INVALID, ['InvalidAccountID', AtTs(lambda ts: '%s.%06d+0000' % (
                        ts.strftime('%Y-%m-%dT%H:%M:%S'), ts.microsecond)), 'Error', 'PJSIP', 1, user, cid_,
                        'IPV4/UDP/10.0.0.5/5060', 'IPV4/UDP/%s/%d' % (ip, sport)], h={'lwp': 2790}, dt=0.0)]

        def scan():
            return [r for _ in range(rng.choice([1, 2, 3, 4, 6])) for r in scan_one()]

        def badpw():
            e = rng.choice(self.EXTS)
            ip = '10.0.1.%d' % rng.randint(20, 90)
            cid_ = b62(rng, 22)
            ch_ = '%s/%d/%s' % (hexs(rng, 8), int(1712392865 + rng.randint(0, 9999)), hexs(rng, 8))

            def tv(ts):
                return '%s.%06d+0000' % (ts.strftime('%Y-%m-%dT%H:%M:%S'), ts.microsecond)

            return [R(self.SEC_CHALLENGE, ['ChallengeSent', AtTs(tv), 'Informational', 'PJSIP', 1, e, cid_,
                                           'IPV4/UDP/10.0.0.5/5060', 'IPV4/UDP/%s/5060' % ip, ch_], h={'lwp': 2790}),
                    R(self.REQFAIL, ['REGISTER', '<sip:%s@10.0.0.5>' % e, '%s:5060' % ip, cid_,
                                     'Failed to authenticate'], h={'lwp': 2790}, dt=0.05),
                    R(self.SEC_BADPW, ['InvalidPassword', AtTs(tv), 'Error', 'PJSIP', 2, e, cid_,
                                       'IPV4/UDP/10.0.0.5/5060', 'IPV4/UDP/%s/5060' % ip, ch_, ch_, hexs(rng, 32)],
                      h={'lwp': 2790}, dt=0.0)]

        def reg():
            e = rng.choice(self.EXTS)
            uri = 'sip:%s@%s:5060;transport=UDP' % (e, ext_ip[e])
            if rng.random() < 0.5:
                return [R(self.ADDED, [uri, e, 120], h={'lwp': 2790})]
            return [R(self.REMOVED, [uri, e, rng.choice(['expiration', 'request', 'expiration'])],
                      h={'lwp': rng.randint(2800, 2820)})]

        def qualify():
            e = rng.choice(self.EXTS)
            uri = 'sip:%s@%s:5060' % (e, ext_ip[e])
            return [R(self.CONTACT, [e, uri, 'Unreachable', '0.000'], h={'lwp': 2801}),
                    R(self.ENDPOINT, [e, 'Unreachable'], h={'lwp': 2801}, dt=0.001),
                    R(self.CONTACT, [e, uri, 'Reachable', '%.3f' % rng.uniform(0.4, 40)], h={'lwp': 2801},
                      dt=rng.uniform(30, 300)),
                    R(self.ENDPOINT, [e, 'Reachable'], h={'lwp': 2801}, dt=0.001)]

        def outreg():
            return [R(self.OUTREG, ['sip:sip.example.net', 'sip:44100231@sip.example.net', '60'],
                      h={'lwp': 2806}) for _ in range(1)]

        def ami():
            u, ip = rng.choice([('dashboard', '10.0.5.20'), ('crm', '10.0.5.31'), ('fop2', '127.0.0.1')])
            return [R(self.AMION, [u, ip], h={'lwp': rng.randint(9900, 9999)}),
                    R(self.AMIOFF, [u, ip], h={'lwp': rng.randint(9900, 9999)}, dt=rng.uniform(0.2, 3))]

        start = [[R(self.REMOTE, [], h={'lwp': 2774}),
                  R(self.RELOADMOD, ['res_pjsip.so', 'Basic SIP resource'], h={'lwp': 2774}, dt=4.1),
                  R(self.PARSING, ['/etc/asterisk/pjsip.conf'], h={'lwp': 2774}, dt=0.01),
                  R(self.PARSING, ['/etc/asterisk/pjsip_wizard.conf'], h={'lwp': 2774}, dt=0.01),
                  R(self.RELOADMOD, ['pbx_config.so', 'Text Extension Configuration'], h={'lwp': 2774}, dt=0.2),
                  R(self.PARSING, ['/etc/asterisk/extensions.conf'], h={'lwp': 2774}, dt=0.03)]]
        fixed = [[R(self.TASKPROC, ['stasis/m:manager:core-00000006', 500], h={'lwp': 2790})] for _ in range(2)]
        fixed += [badpw() for _ in range(2)] + [outreg() for _ in range(2)]
        weighted = [(14, callflow_internal), (6, callflow_inbound), (12, scan), (9, reg), (1.2, qualify),
                    (1, ami)]
        end = [[R(self.REMOTEOFF, [], h={'lwp': 2774})]]
        return start, fixed, weighted, lambda: scan_one()[:1], end


# ----------------------------------------------------------------------------
# 6. Zabbix server 6.4 (zabbix_server.log)
# ----------------------------------------------------------------------------

class Zabbix(System):
    name = 'Zabbix'
    seed = 6606
    start = datetime(2024, 4, 7, 3, 12, 44, 518000)
    header_re = r'^ *(?P<pid>\d+):(?P<date>\d{8}):(?P<time>\d{6}\.\d{3}) (?P<msg>.+)$'
    PROCS = [('service manager', 1), ('configuration syncer', 1), ('alert manager', 1), ('alerter', 3),
             ('preprocessing manager', 1), ('lld manager', 1), ('lld worker', 2), ('housekeeper', 1), ('timer', 1),
             ('http poller', 1), ('discoverer', 1), ('history syncer', 4), ('escalator', 1), ('proxy poller', 1),
             ('self-monitoring', 1), ('task manager', 1), ('poller', 5), ('unreachable poller', 1), ('trapper', 5),
             ('icmp pinger', 1), ('alert syncer', 1), ('history poller', 1), ('availability manager', 1),
             ('trigger housekeeper', 1), ('odbc poller', 1), ('connector manager', 1)]

    def header(self, meta, ts, h):
        return '%6d:%s:%s.%s ' % (h.get('pid', 1021), ts.strftime('%Y%m%d'), ts.strftime('%H%M%S'), ms3(ts))

    def gap(self):
        return self.rng.expovariate(1.0 / 18)

    def in_chunk_gap(self):
        return self.rng.uniform(0.0001, 0.004)

    def define(self):
        ev = self.ev
        self.START = ev('Starting Zabbix Server. Zabbix <*> (revision <*>).')
        self.FEAT = ev('****** Enabled features ******')
        self.F_SNMP = ev('SNMP monitoring:           YES')
        self.F_IPMI = ev('IPMI monitoring:           YES')
        self.F_WEB = ev('Web monitoring:            YES')
        self.F_VMW = ev('VMware monitoring:         YES')
        self.F_SMTP = ev('SMTP authentication:       YES')
        self.F_ODBC = ev('ODBC:                      YES')
        self.F_SSH = ev('SSH support:               YES')
        self.F_IPV6 = ev('IPv6 support:              YES')
        self.F_TLS = ev('TLS support:               YES')
        self.STARS = ev('******************************')
        self.CONFFILE = ev('using configuration file: <*>')
        self.DBVER = ev('current database version (mandatory/optional): <*>/<*>')
        self.REQVER = ev('required mandatory version: <*>')
        self.HASTART = ev('starting HA manager')
        self.HAACTIVE = ev('HA manager started in active mode')
        self.MAINSTARTED = ev('server #0 started [main process]')
        self.STARTED = ev('server #<*> started [<*> #<*>]')
        # running
        self.NOTSUP = ev('item "<*>:<*>" became not supported: <*>')
        self.SUP = ev('item "<*>:<*>" became supported')
        self.FIRSTERR = ev('<*> item "<*>" on host "<*>" failed: first network error, wait for <*> seconds')
        self.ANOTHERERR = ev('<*> item "<*>" on host "<*>" failed: another network error, wait for <*> seconds')
        self.DISABLING = ev('temporarily disabling <*> checks on host "<*>": interface unavailable')
        self.ENABLING = ev('enabling <*> checks on host "<*>": interface became available')
        self.RESUMING = ev('resuming <*> checks on host "<*>": connection restored')
        self.ACTIVENF = ev('cannot send list of active checks to "<*>": host [<*>] not found')
        self.ACCEPT = ev('failed to accept an incoming connection: from <*>: <*>')
        self.HKEXEC = ev('executing housekeeper')
        self.HKDONE = ev('housekeeper [deleted <*> hist/trends, <*> items/triggers, <*> events, <*> problems, <*> '
                         'sessions, <*> alarms, <*> audit items, <*> autoreg_host, <*> records in <*> sec, idle for '
                         '<*> hour(s)]')
        self.SLOW = ev('slow query: <*> sec, "<*>"')
        self.PROXYCFG = ev('sending configuration data to proxy "<*>" at "<*>", datalen <*>, bytes <*> with '
                           'compression ratio <*>')
        self.RELOAD = ev('forced reloading of the configuration cache')
        self.DBFAIL = ev("[Z3001] connection to database '<*>' failed: [<*>] <*>")
        self.DBDOWN = ev('database is down: reconnecting in <*> seconds')
        self.DBUP = ev('database connection re-established')
        # shutdown
        self.SIGNAL = ev('Got signal [signal:<*>(<*>),sender_pid:<*>,sender_uid:<*>,reason:<*>]. Exiting ...')
        self.SYNCH = ev('syncing history data...')
        self.SYNCHDONE = ev('syncing history data done')
        self.STOPPED = ev('Zabbix Server stopped. Zabbix <*> (revision <*>).')

    def plan(self):
        rng = self.rng
        R = Rec
        main = {'pid': 1021}
        pids = {}
        p = 1030
        for name, n in self.PROCS:
            for i in range(1, n + 1):
                pids[(name, i)] = p
                p += 1

        def pid_of(name):
            cands = [v for (k, _), v in pids.items() if k == name]
            return {'pid': rng.choice(cands)}

        hosts = ['web-01', 'web-02', 'web-03', 'db-01', 'db-02', 'cache-01', 'lb-01', 'mq-01', 'build-07',
                 'fs-02', 'kvm-host-04', 'printer-3f', 'sw-core-01', 'sw-access-12', 'ups-dc1']
        snmp_hosts = {'printer-3f', 'sw-core-01', 'sw-access-12', 'ups-dc1'}
        host_ip = {h: '10.20.%d.%d' % (i // 8, 10 + i) for i, h in enumerate(hosts)}
        agent_keys = [
            ('vfs.fs.size[/data,pused]', 'Cannot obtain filesystem information: [2] No such file or directory'),
            ('vfs.fs.size[/mnt/backup,pfree]', 'Cannot obtain filesystem information: [2] No such file or directory'),
            ('mysql.ping', 'Unsupported item key.'),
            ('proc.num[java,,,"-jar /opt/app/app.jar"]', 'Unsupported item key.'),
            ('web.page.get[localhost,/server-status?auto,80]', 'Cannot connect to [[localhost]:80]: [111] '
                                                              'Connection refused'),
            ('net.if.in["ens192",bytes]', 'Cannot find information for this network interface in /proc/net/dev.'),
            ('service.info[MSSQLSERVER,state]', 'Unsupported item key.'),
            ('system.sw.packages.get', 'Timeout while executing a shell script.'),
            ('pgsql.replication.lag.sec["{$PG.URI}","{$PG.USER}","{$PG.PASSWORD}"]',
             'Cannot fetch data: dial tcp 127.0.0.1:5432: connect: connection refused.'),
        ]
        calc_keys = [
            ('disk.util.calc', 'Cannot evaluate function: item "/web-01/vfs.dev.util[sda]" does not exist'),
            ('net.if.util[eth0]', 'Value of type "string" is not suitable for value type "Numeric (float)". '
                                  'Value "n/a"'),
            ('custom.queue.depth', 'Cannot extract value from json by path "$.depth": no data'),
        ]

        def notsup_pair():
            h = rng.choice([x for x in hosts if x not in snmp_hosts])
            if rng.random() < 0.7:
                k, e = rng.choice(agent_keys)
            else:
                k, e = rng.choice(calc_keys)
            hp = pid_of('history syncer')
            ch = [R(self.NOTSUP, [h, k, e], h=hp)]
            if rng.random() < 0.45:
                ch.append(R(self.SUP, [h, k], h=pid_of('history syncer'), dt=rng.uniform(60, 900)))
            return ch

        def unreachable():
            h = rng.choice(hosts)
            snmp = h in snmp_hosts
            typ = 'SNMP agent' if snmp else 'Zabbix agent'
            ktyp = 'SNMP' if snmp else 'Zabbix agent'
            key = rng.choice(['ifHCInOctets.10101', 'upsBatteryCapacity.0', 'sysUpTime.0'] if snmp else
                             ['agent.ping', 'system.cpu.load[all,avg1]', 'vm.memory.size[available]',
                              'net.if.in[eth0]'])
            poller = pid_of('poller')
            un = pid_of('unreachable poller')
            ch = [R(self.FIRSTERR, [typ, key, h, 15], h=poller)]
            if rng.random() < 0.55:
                ch.append(R(self.ANOTHERERR, [typ, key, h, 15], h=un, dt=15.2))
                if rng.random() < 0.7:
                    ch.append(R(self.ANOTHERERR, [typ, key, h, 15], h=un, dt=15.1))
                    ch.append(R(self.DISABLING, [ktyp, h], h=un, dt=15.1))
                    ch.append(R(self.ENABLING, [ktyp, h], h=poller, dt=rng.uniform(60, 900)))
                    return ch
            ch.append(R(self.RESUMING, [ktyp, h], h=poller, dt=rng.uniform(5, 60)))
            return ch

        def active_nf():
            h = rng.choice(['web-04', 'db-03', 'build-11', 'k8s-node-%02d' % rng.randint(1, 9), 'old-jump'])
            return [R(self.ACTIVENF, ['10.20.%d.%d' % (rng.randint(0, 3), rng.randint(30, 200)), h],
                      h=pid_of('trapper'))]

        def accept():
            if rng.random() < 0.6:
                e = 'reading first byte from connection failed: [104] Connection reset by peer'
                src = '10.20.%d.%d' % (rng.randint(0, 3), rng.randint(2, 250))
            else:
                e = ('TLS handshake set result code to 1: file ssl/record/ssl3_record.c line 354: '
                     'error:0A00010B:SSL routines::wrong version number: TLS write fatal alert "protocol version"')
                src = doc_ip(rng)
            return [R(self.ACCEPT, [src, e], h=pid_of('trapper'))]

        def housekeeper():
            hk = {'pid': pids[('housekeeper', 1)]}
            secs = rng.uniform(4, 120)
            return [R(self.HKEXEC, [], h=hk),
                    R(self.HKDONE, [rng.randint(200000, 9000000), rng.randint(0, 3), rng.randint(100, 9000),
                                    rng.randint(0, 400), rng.randint(0, 40), rng.randint(0, 300),
                                    rng.randint(0, 800), 0, 0, '%.6f' % secs, 12], h=hk, dt=secs)]

        def slow():
            q = rng.choice([
                'select itemid,clock,ns,value from history_uint where itemid=%d and clock>%d and clock<=%d',
                'delete from history where itemid=%d and clock<%d',
                'select clock,ns,value from history where itemid=%d and clock>%d order by clock desc limit 1',
            ])
            n = q.count('%d')
            vals = [rng.randint(40000, 99999)] + [1712400000 + rng.randint(0, 90000) for _ in range(n - 1)]
            return [R(self.SLOW, ['%.6f' % rng.uniform(3, 40), q % tuple(vals)],
                      h=pid_of(rng.choice(['history syncer', 'housekeeper', 'history poller'])))]

        def proxycfg():
            px, ip = rng.choice([('proxy-dc2', '10.40.0.5'), ('proxy-branch-ams', '10.41.0.5')])
            raw = rng.randint(180000, 260000)
            b = rng.randint(19000, 31000)
            return [R(self.PROXYCFG, [px, ip, raw, b, '%.1f' % (raw / float(b))], h=pid_of('trapper'))]

        def dbdown():
            ch = []
            for _ in range(rng.randint(1, 3)):
                for who in ('history syncer', 'configuration syncer'):
                    hp = pid_of(who)
                    ch += [R(self.DBFAIL, ['zabbix', 0, 'connection to server at "db-vip.example.net" (10.20.0.9), '
                                           'port 5432 failed: Connection refused; Is the server running on that '
                                           'host and accepting TCP/IP connections?'], h=hp),
                           R(self.DBDOWN, [10], h=hp, dt=0.001)]
                ch[-1].dt = 10.0
            for who in ('history syncer', 'configuration syncer'):
                ch.append(R(self.DBUP, [], h=pid_of(who), dt=rng.uniform(0.1, 2)))
            return ch

        start = [[R(self.START, ['6.4.13', '4b1a5a3e6d9'], h=main), R(self.FEAT, [], h=main),
                  R(self.F_SNMP, [], h=main), R(self.F_IPMI, [], h=main), R(self.F_WEB, [], h=main),
                  R(self.F_VMW, [], h=main), R(self.F_SMTP, [], h=main), R(self.F_ODBC, [], h=main),
                  R(self.F_SSH, [], h=main), R(self.F_IPV6, [], h=main), R(self.F_TLS, [], h=main),
                  R(self.STARS, [], h=main), R(self.CONFFILE, ['/etc/zabbix/zabbix_server.conf'], h=main),
                  R(self.DBVER, ['06040000', '06040036'], h=main, dt=0.02),
                  R(self.REQVER, ['06040000'], h=main),
                  R(self.HASTART, [], h=main, dt=0.01),
                  R(self.HAACTIVE, [], h=main, dt=0.9),
                  R(self.MAINSTARTED, [], h=main, dt=0.01)]]
        n = 1
        for name, cnt in self.PROCS:
            for i in range(1, cnt + 1):
                start[0].append(R(self.STARTED, [n, name, i], h={'pid': pids[(name, i)]}, dt=rng.uniform(0, 0.003)))
                n += 1
        fixed = [housekeeper() for _ in range(3)] + [dbdown()] + [[R(self.RELOAD, [],
                                                                    h={'pid': pids[('configuration syncer', 1)]})]]
        fixed += [slow() for _ in range(4)]
        weighted = [(34, notsup_pair), (14, unreachable), (6, active_nf), (5, accept), (3, proxycfg)]
        end = [[R(self.SIGNAL, [15, 'SIGTERM', 1, 0, 0], h=main), R(self.SYNCH, [], h=main, dt=0.2),
                R(self.SYNCHDONE, [], h=main, dt=rng.uniform(0.3, 1.5)),
                R(self.STOPPED, ['6.4.13', '4b1a5a3e6d9'], h=main, dt=0.05)]]
        return start, fixed, weighted, lambda: notsup_pair()[:1], end


SYSTEMS = [Rails, Docker, OpenVPN, Keycloak, Asterisk, Zabbix]


def main(argv):
    names = {s.name: s for s in SYSTEMS}
    wanted = argv[1:] or [s.name for s in SYSTEMS]
    for w in wanted:
        if w not in names:
            raise SystemExit('unknown system %r; choose from %s' % (w, ', '.join(names)))
    for w in wanted:
        st = names[w]().write()
        rc = sorted(st['rcounts'].values(), reverse=True)
        n = st['records']
        print('%-9s events=%d lines=%d records=%d continuation=%d top=%.0f%% top3=%.0f%% once=%d rare(<=5)=%d' % (
            w, st['events'], st['lines'], n, st['continuation'], 100.0 * rc[0] / n, 100.0 * sum(rc[:3]) / n,
            sum(1 for c in rc if c == 1), sum(1 for c in rc if c <= 5)))


if __name__ == '__main__':
    main(sys.argv)
