#!/usr/bin/env python3
"""Generate the logs-heldout-9 corpus: six synthetic, labelled 2,000-line logs.

Standard library only, deterministic (a fixed seed per system).

    python3 generate.py            # writes every system
    python3 generate.py Caddy      # writes one system

Each system S gets S/S_2k.log (raw lines, headers included) and
S/S_2k.log_structured.csv (LineId,EventId,EventTemplate, one row per raw line;
continuation lines carry the EventId and template of their record).  After
writing, the files are read back and checked; any failed check raises
RuntimeError.

The framework (records, timeline merge, write-out and checks) is copied from
the eighth corpus's generate.py, with three checks added: timestamps never go
backwards, the header regex tells records from continuation lines exactly as
the generator meant, and every IPv4 address and domain name is of the allowed
kind.  Each system describes independent activities (a session, a job, a
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
import textwrap
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
N_LINES = 2000
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']


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
            for ip in IP_RE.findall(ln):
                if not allowed_ip(ip):
                    fail('line %d has a non-private IPv4 address %s' % (i, ip))
            for dom in DOMAIN_RE.findall(ln):
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
        counts = {}
        for row in rows:
            counts[row[1]] = counts.get(row[1], 0) + 1
        return {'events': len(declared), 'lines': len(lines), 'records': records,
                'continuation': conts, 'counts': counts, 'rcounts': rcounts}


# ----------------------------------------------------------------------------
# helpers for values
# ----------------------------------------------------------------------------

B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
B36 = '0123456789abcdefghijklmnopqrstuvwxyz'


def hexs(rng, n):
    return ''.join(rng.choice('0123456789abcdef') for _ in range(n))


def b64s(rng, n):
    return ''.join(rng.choice(B64) for _ in range(n))


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


def lq(v):
    """logrus text-formatter quoting of a value: %q when it has a character outside [A-Za-z0-9-._/@^+];
    an empty value stays empty."""
    v = str(v)
    if any(not (c.isascii() and (c.isalnum() or c in '-._/@^+')) for c in v):
        return json.dumps(v, ensure_ascii=False)
    return v


def weighted(rng, pairs):
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def epoch(ts):
    return (ts - datetime(1970, 1, 1)).total_seconds()


def epoch_ms(ts):
    return int(epoch(ts) * 1000)


def rfloat(x, nd):
    """A float as Ruby's Float#to_s / Go's shortest 'f' formatting print it, rounded to nd places."""
    s = repr(round(x, nd))
    if 'e' in s:
        s = ('%.*f' % (nd, x)).rstrip('0')
        if s.endswith('.'):
            s += '0'
    return s


FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj',
         'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yvonne', 'zoe', 'oscar', 'quinn',
         'uma', 'xavier', 'nora', 'liam', 'maya', 'kai', 'ines', 'hugo', 'greta', 'felix', 'elena', 'dmitri',
         'chloe', 'bruno', 'anya', 'tomas', 'sara']
LAST = ['novak', 'keller', 'moreau', 'lindqvist', 'okafor', 'tanaka', 'silva', 'brennan', 'kowalski', 'haddad',
        'jensen', 'ferreira', 'nakamura', 'dubois', 'petrov', 'walsh', 'iyer', 'costa', 'berg', 'mendes']


# ----------------------------------------------------------------------------
# 1. Dovecot 2.3 IMAP/LMTP server, through rsyslog (traditional format)
# ----------------------------------------------------------------------------

STATS = 'in=<*> out=<*> deleted=<*> expunged=<*> trashed=<*> hdr_count=<*> hdr_bytes=<*> body_count=<*> body_bytes=<*>'


class Dovecot(System):
    name = 'Dovecot'
    seed = 9101
    start = datetime(2024, 3, 19, 6, 40, 12)
    header_re = (r'^(?P<ts>(?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<hms>\d\d:\d\d:\d\d)) (?P<host>[\w.-]+) '
                 r'dovecot: (?P<prefix>[a-z][\w-]*(?:\([^()]*\))?(?:<\d+><[\w+/]+>)?): '
                 r'(?:(?P<level>Warning|Error|Fatal|Panic): )?(?P<msg>.+)$')

    def header(self, meta, ts, h):
        lvl = meta.get('lvl')
        return '%s %2d %s mail01 dovecot: %s: %s' % (MONTHS[ts.month - 1], ts.day, ts.strftime('%H:%M:%S'),
                                                     h.get('p', meta.get('p')), (lvl + ': ') if lvl else '')

    def ts_key(self, m):
        return (MONTHS.index(m.group('mon')), int(m.group('day')), m.group('hms'))

    def in_chunk_gap(self):
        return self.rng.uniform(0.001, 0.05)

    def define(self):
        ev = self.ev
        L = dict(p='imap-login')
        self.LOGIN = ev('Login: user=<<*>>, method=<*>, rip=<*>, lip=<*>, mpid=<*>, <*>, session=<<*>>', **L)
        self.NOAUTH = ev('Disconnected: Connection closed (no auth attempts in <*> secs): user=<>, rip=<*>, '
                         'lip=<*>, session=<<*>>', **L)
        self.NOAUTH_TLS = ev('Disconnected: Connection closed (no auth attempts in <*> secs): user=<>, rip=<*>, '
                             'lip=<*>, <*>, session=<<*>>', **L)
        self.INACTIVE = ev('Disconnected: Inactivity (no auth attempts in <*> secs): user=<>, rip=<*>, lip=<*>, '
                           '<*>, session=<<*>>', **L)
        self.SSLFAIL = ev('Disconnected: Connection closed: SSL_accept() failed: <*> (no auth attempts in <*> '
                          'secs): user=<>, rip=<*>, lip=<*>, <*>, session=<<*>>', **L)
        self.AUTHFAIL = ev('Disconnected: Connection closed (auth failed, <*> attempts in <*> secs): user=<<*>>, '
                           'method=<*>, rip=<*>, lip=<*>, <*>, session=<<*>>', **L)
        self.ABORTED = ev('Disconnected: Aborted login by logging out (auth failed, <*> attempts in <*> secs): '
                          'user=<<*>>, method=<*>, rip=<*>, lip=<*>, <*>, session=<<*>>', **L)
        A = dict(p='auth')
        self.MISMATCH = ev('<*>(<*>,<*>,<<*>>): Password mismatch', **A)
        self.UNKNOWN = ev('<*>(<*>,<*>,<<*>>): unknown user', **A)
        self.QUERYFAIL = ev('<*>(<*>,<*>,<<*>>): Password query failed: <*>', lvl='Error', **A)
        self.DBCONN = ev('pgsql(<*>): Connect failed to database (<*>): <*> - waiting for <*> seconds before retry',
                         lvl='Error', **A)
        # imap(user)<pid><session>
        self.LOGOUT = ev('Logged out ' + STATS)
        self.CLOSED = ev('Disconnected: Connection closed (<*>) ' + STATS)
        self.SHUTDOWN = ev('Disconnected: Server shutting down. ' + STATS)
        self.MAILLOG = ev('<*>: box=<*>, uid=<*>, msgid=<<*>>, size=<*>')
        self.SLOWSYNC = ev('Maildir <*>: Synchronization took <*> seconds (<*> new msgs, <*> flag change attempts, '
                           '<*> expunge attempts)', lvl='Warning')
        self.CACHE = ev('Mailbox <*>: Deleting corrupted cache record uid=<*>: <*>', lvl='Error')
        # lmtp
        self.LCONNECT = ev('Connect from local')
        self.LDISC = ev('Disconnect from local: Client has quit the connection (state=<*>)')
        self.SAVED = ev('msgid=<<*>>: saved mail to <*>')
        self.SV_STORED = ev("sieve: msgid=<<*>>: stored mail into mailbox '<*>'")
        self.SV_FWD = ev('sieve: msgid=<<*>>: forwarded to <<*>>')
        self.SV_DISCARD = ev('sieve: msgid=<<*>>: marked message to be discarded if not explicitly delivered '
                             '(discard action)')
        self.QUOTA = ev('msgid=<<*>>: save failed to <*>: <*>')
        M = dict(p='master')
        self.STARTUP = ev('Dovecot v<*> (<*>) starting up for <*> (core dumps disabled)', **M)
        self.KILLED = ev('Killed with signal <*> (by pid=<*> uid=<*> code=<*>)', lvl='Warning', **M)
        self.SIGHUP = ev('SIGHUP received - reloading configuration', lvl='Warning', **M)
        self.PROCLIM = ev('service(<*>): process_limit (<*>) reached, client connections are being dropped',
                          lvl='Warning', **M)

    def plan(self):
        rng = self.rng
        R = Rec
        D = 8 * 3600.0
        LIP = '10.0.5.10'
        WEBMAIL = '10.0.5.20'
        timed = []
        users = []
        for f in FIRST:
            users.append('%s.%s@example.com' % (f, rng.choice(LAST)))
        users += ['helpdesk@example.com', 'invoices@example.com', 'ops@example.com']
        mobile = {u: '10.8.%d.%d' % (rng.randint(0, 3), rng.randint(2, 250)) for u in users}
        office = {u: '192.168.%d.%d' % (rng.choice([10, 11, 12]), rng.randint(20, 240)) for u in users}
        sieve_users = set(rng.sample(users, 12))
        fwd_user = rng.choice(sorted(sieve_users))
        quota_user = 'intern.desk@example.com'
        archive_user = users[7]
        T_STORM = 0.06 * D
        T_BRUTE = 0.21 * D
        T_HUP = 0.37 * D
        T_DB, DB_OUT = 0.53 * D, 175.0
        T_RESTART, DOWN = 0.71 * D, 2.5

        def busy(t):
            """No logins while the database is down or Dovecot restarts."""
            return T_DB <= t <= T_DB + DB_OUT or T_RESTART <= t <= T_RESTART + DOWN

        def pidv():
            return Lazy(lambda ctx: ctx.counter('pid', 14210, 2, 41))

        def imap_p(u, pv, s):
            return Lazy(lambda ctx: 'imap(%s)<%d><%s>' % (u, resolve(pv, ctx), s))

        def stats(heavy=False):
            body_count = rng.randint(0, 40 if heavy else 4)
            return [rng.randint(20, 900 if not heavy else 9000), rng.randint(300, 90000 if not heavy else 4800000),
                    0, rng.choice([0, 0, 0, 1, 2]), 0, rng.randint(0, 30), rng.randint(0, 60000),
                    body_count, body_count * rng.randint(2000, 90000)]

        def msgid(old=False):
            age = rng.uniform(3600, 20 * 86400) if old else rng.uniform(0.5, 20)
            qid = hexs(rng, 10).upper()
            local = Lazy(lambda ctx: '%s.%s@mail01.example.com' % (
                (ctx.ts - timedelta(seconds=age)).strftime('%Y%m%d%H%M%S'), qid))
            return weighted(rng, [
                (local, 5),
                ('CA%s@mail.example.org' % b64s(rng, 30).replace('/', '_'), 3),
                ('%s@notifications.example.net' % uuid4(rng), 3),
                ('%d.%d@jira.example.com' % (rng.randint(10 ** 8, 10 ** 9), rng.randint(1, 99)), 1)])

        # ---- IMAP sessions of desktop and mobile clients
        sessions = []
        for t in poisson(rng, 0, D, 300):
            u = rng.choice(users)
            d = rng.lognormvariate(5.6, 1.3)
            sessions.append((t, min(t + d, D + 3000), u))
        for k in range(16):   # a morning login storm
            sessions.append((T_STORM + rng.uniform(0, 40), T_STORM + rng.uniform(200, 4000), rng.choice(users)))
        for k in range(7):    # sessions that began before the file and end at the restart
            sessions.append((-rng.uniform(100, 3000), T_RESTART + 0.5, rng.choice(users)))
        for t0, t1, u in sessions:
            if busy(t0):
                continue
            ch = []
            s = b64s(rng, 16)
            pv = pidv() if t0 >= 0 else rng.randint(9100, 14000)
            rip = mobile[u] if rng.random() < 0.5 else office[u]
            p = imap_p(u, pv, s)
            if t0 >= 0:
                ch.append(R(self.LOGIN, [u, 'PLAIN', rip, LIP, pv, 'TLS', s]))
            # actions inside the session: moving mail to Trash, expunging
            last = 0.0
            uid0 = rng.randint(800, 40000)
            if rng.random() < 0.2:
                for _ in range(rng.randint(1, 3)):
                    box = rng.choice(['INBOX', 'INBOX', 'Archive', 'Lists/ops'])
                    uid = uid0 + rng.randint(0, 300)
                    mid, size = msgid(old=True), rng.randint(2000, 240000)
                    gap = rng.uniform(5, max(6, (t1 - t0) / 3))
                    ch += [R(self.MAILLOG, ['copy from %s' % box, 'Trash', rng.randint(100, 9000), mid, size],
                             h={'p': p}, dt=gap),
                           R(self.MAILLOG, ['delete', box, uid, mid, size], h={'p': p}, dt=0.01),
                           R(self.MAILLOG, ['expunge', box, uid, mid, size], h={'p': p}, dt=rng.uniform(0.01, 0.3))]
                    last += gap
            if u == archive_user or (t0 > 0 and rng.random() < 0.012):
                u = archive_user
                p = imap_p(u, pv, s)
                gap = rng.uniform(2, 30)
                ch.append(R(self.SLOWSYNC, ['/var/vmail/example.com/%s/Maildir/.Archive' % u.split('@')[0],
                                            rng.randint(31, 95), 0, rng.randint(0, 3), 0], h={'p': p}, dt=gap))
                last += gap
            end = max(t1, t0 + last + 1)
            if t0 < T_RESTART < end:
                # everything still connected at the restart is disconnected by it
                t_shut = T_RESTART + rng.uniform(0.05, 0.4)
                shut = R(self.SHUTDOWN, stats(), h={'p': p})
                if t0 < 0:
                    timed.append((t_shut, [shut]))
                    continue
                shut.dt = max(0.01, t_shut - t0 - last)
                ch.append(shut)
                timed.append((t0, ch))
                # the client logs in again after the restart
                t2 = T_RESTART + DOWN + rng.uniform(3, 90)
                s2, pv2 = b64s(rng, 16), pidv()
                timed.append((t2, [R(self.LOGIN, [u, 'PLAIN', rip, LIP, pv2, 'TLS', s2]),
                                   R(self.LOGOUT, stats(), h={'p': imap_p(u, pv2, s2)},
                                     dt=rng.uniform(300, 3000))]))
                continue
            if t0 < 0:
                continue
            if rng.random() < 0.55:
                ch.append(R(self.LOGOUT, stats(heavy=True), h={'p': p}, dt=max(0.05, end - t0 - last)))
            else:
                idle = rng.uniform(0.5, 1800)
                reason = weighted(rng, [
                    ('IDLE running for %.3f + waiting input for %.3f secs, %d B in + %d+%d B out, state=wait-input' % (
                        idle, rng.uniform(0, 2), rng.choice([2, 6, 8]), rng.randint(10, 400), rng.choice([10, 12])), 6),
                    ('UID FETCH finished %.3f secs ago' % rng.uniform(0.01, 60), 2),
                    ('IDLE finished %.3f secs ago' % rng.uniform(0.001, 2), 1),
                    ('STATUS finished %.3f secs ago' % rng.uniform(0.5, 90), 1)])
                ch.append(R(self.CLOSED, [reason] + stats(heavy=True), h={'p': p}, dt=max(0.05, end - t0 - last)))
            timed.append((t0, ch))

        # ---- webmail (Roundcube logs in for every request)
        for t in poisson(rng, 0, D, 640):
            u = rng.choice(users)
            tt = t
            for _ in range(rng.randint(2, 8)):
                tt += rng.uniform(4, 70)
                if busy(tt):
                    break
                s, pv = b64s(rng, 16), pidv()
                timed.append((tt, [R(self.LOGIN, [u, 'PLAIN', WEBMAIL, LIP, pv, 'secured', s]),
                                   R(self.LOGOUT, stats(), h={'p': imap_p(u, pv, s)},
                                     dt=rng.uniform(0.03, 1.2))]))

        # ---- load-balancer TCP checks from two HAProxy nodes
        for lb in ['10.0.5.2', '10.0.5.3']:
            for t in periodic(rng, 0, D, 180, phase=rng.uniform(0, 180), jitter=0.5):
                if T_RESTART <= t <= T_RESTART + DOWN:
                    continue
                timed.append((t, [R(self.NOAUTH, [0, lb, LIP, b64s(rng, 16)])]))
        # clients that open TLS and give up before logging in
        for t in poisson(rng, 0, D, 1500):
            u = rng.choice(users)
            timed.append((t, [R(self.NOAUTH_TLS, [rng.choice([0, 0, 1, 2, 5]), mobile[u], LIP, 'TLS',
                                                  b64s(rng, 16)])]))
        for t in poisson(rng, 0, D, 7000):
            u = rng.choice(users)
            timed.append((t, [R(self.INACTIVE, [180, office[u], LIP, 'TLS', b64s(rng, 16)])]))
        # a vulnerability scanner trying old protocols
        for t in poisson(rng, 0, D, 2600):
            err = weighted(rng, [('error:0A000102:SSL routines::unsupported protocol', 3),
                                 ('error:0A0000C1:SSL routines::no shared cipher', 2),
                                 ('error:0A00006C:SSL routines::bad key share', 1)])
            ch = []
            for k in range(rng.randint(1, 3)):
                ch.append(R(self.SSLFAIL, [err, 0, '10.0.9.%d' % rng.choice([14, 15]), LIP, 'TLS handshaking',
                                           b64s(rng, 16)], dt=None if not k else rng.uniform(0.1, 2)))
            timed.append((t, ch))
        # typos: a wrong password, then the client gives up
        for t in poisson(rng, 0, D, 2200):
            u = rng.choice(users)
            s = b64s(rng, 16)
            rip = rng.choice([mobile[u], office[u]])
            n = rng.randint(1, 2)
            ch = [R(self.MISMATCH, ['sql', u, rip, s], dt=None if not k else rng.uniform(2, 8)) for k in range(n)]
            ch.append(R(self.ABORTED, [n, rng.randint(2, 25), u, 'PLAIN', rip, LIP, 'TLS', s], dt=rng.uniform(0.5, 6)))
            timed.append((t, ch))

        # ---- deliveries from Postfix over LMTP
        lmtp_pids = [rng.randint(9000, 9900) for _ in range(4)]
        for t in poisson(rng, 0, D, 125):
            lp = rng.choice(lmtp_pids)
            ch = [R(self.LCONNECT, [], h={'p': 'lmtp(%d)' % lp})]
            for _ in range(weighted(rng, [(1, 8), (2, 2), (3, 1)])):
                mid = msgid()
                rcpts = rng.sample(users, weighted(rng, [(1, 10), (2, 2), (4, 1)]))
                if rng.random() < 0.05:
                    rcpts = [quota_user]
                for u in rcpts:
                    p = 'lmtp(%s)<%d><%s>' % (u, lp, b64s(rng, 22))
                    if u == quota_user:
                        ch.append(R(self.QUOTA, [mid, 'INBOX', 'Quota exceeded (mailbox for user is full)'],
                                    h={'p': p}))
                    elif u in sieve_users:
                        if u == fwd_user and rng.random() < 0.5:
                            ch.append(R(self.SV_FWD, [mid, '%s@example.org' % u.split('.')[0]], h={'p': p}))
                        elif rng.random() < 0.04:
                            ch.append(R(self.SV_DISCARD, [mid], h={'p': p}))
                        else:
                            box = weighted(rng, [('INBOX', 6), ('Lists/ops', 2), ('Lists/alerts', 2),
                                                 ('Receipts', 1), ('Junk', 1)])
                            ch.append(R(self.SV_STORED, [mid, box], h={'p': p}))
                    else:
                        ch.append(R(self.SAVED, [mid, 'INBOX'], h={'p': p}))
                    ch[-1].dt = rng.uniform(0.02, 0.4)
            ch.append(R(self.LDISC, ['READY'], h={'p': 'lmtp(%d)' % lp}, dt=rng.uniform(0.01, 0.1)))
            timed.append((t, ch))

        # ---- incidents
        # morning login storm: the imap service hits its process limit
        for k in range(3):
            timed.append((T_STORM + 5 + 9 * k, [R(self.PROCLIM, ['imap', 1024])]))
        # password guessing from one internal address
        bad = '172.21.9.77'
        tt = T_BRUTE
        for k in range(24):
            tt += rng.uniform(4, 20)
            s = b64s(rng, 16)
            ch = []
            n = rng.randint(1, 3)
            for j in range(n):
                who = rng.choice(['admin', 'info', 'test', 'postmaster', 'root', 'support', 'sales',
                                  users[rng.randrange(len(users))].split('@')[0]])
                u = who if '.' in who else '%s@example.com' % who
                ev = self.MISMATCH if u in users else self.UNKNOWN
                ch.append(R(ev, ['sql', u, bad, s], dt=None if not j else rng.uniform(1.5, 3)))
            ch.append(R(self.AUTHFAIL, [n, rng.randint(2, 9), u, 'PLAIN', bad, LIP, 'TLS', s],
                        dt=rng.uniform(0.01, 0.2)))
            timed.append((tt, ch))
        # certificate renewed: reload
        timed.append((T_HUP, [R(self.SIGHUP, [])]))
        # the user database is unreachable
        wait = 1
        tt = T_DB
        while tt < T_DB + DB_OUT:
            timed.append((tt, [R(self.DBCONN, ['10.0.5.30', 'mailusers', 'connection to server at "10.0.5.30", '
                                               'port 5432 failed: Connection refused', wait])]))
            tt += wait + rng.uniform(0.01, 0.2)
            wait = min(wait * 2, 30)
        for t in poisson(rng, T_DB + 2, T_DB + DB_OUT, 14):
            u = rng.choice(users)
            s = b64s(rng, 16)
            web = rng.random() < 0.5
            rip = WEBMAIL if web else rng.choice([mobile[u], office[u]])
            ev = self.ABORTED if web else self.AUTHFAIL
            timed.append((t, [R(self.QUERYFAIL, ['sql', u, rip, s, 'Not connected to database']),
                              R(ev, [1, rng.randint(1, 4), u, 'PLAIN', rip, LIP, 'secured' if web else 'TLS', s],
                                dt=rng.uniform(0.5, 3))]))
        # package upgrade: systemd stops and starts Dovecot
        timed.append((T_RESTART, [R(self.KILLED, [15, 1, 0, 'kill'])]))
        timed.append((T_RESTART + DOWN, [R(self.STARTUP, ['2.3.21', '47349e2482', 'imap, lmtp, sieve'])]))
        # a corrupted cache record, found once
        u = rng.choice(users)
        pv, s = pidv(), b64s(rng, 16)
        uid = rng.randint(2000, 9000)
        path = '/var/vmail/example.com/%s/Maildir/cur/1710%06d.M%dP%d.mail01,S=%d,W=%d:2,S' % (
            u.split('@')[0], rng.randint(0, 999999), rng.randint(100000, 999999), rng.randint(1000, 30000),
            48211, 49133)
        t = 0.64 * D
        timed.append((t, [R(self.LOGIN, [u, 'PLAIN', office[u], LIP, pv, 'TLS', s]),
                          R(self.CACHE, ['INBOX', uid, 'UID %d: Broken physical size in mailbox INBOX: read(%s) '
                                         'failed: Cached message size larger than expected (48211 > 47980, box=INBOX, '
                                         'UID=%d)' % (uid, path, uid)], h={'p': imap_p(u, pv, s)}, dt=4.2),
                          R(self.LOGOUT, stats(), h={'p': imap_p(u, pv, s)}, dt=40.0)]))

        def filler(t):
            return t, [R(self.NOAUTH, [0, '10.0.5.2', LIP, b64s(rng, 16)])]

        return [], timed, [], filler


# ----------------------------------------------------------------------------
# 2. containerd 1.7 embedded in k3s: the agent's containerd.log (logrus text)
# ----------------------------------------------------------------------------

def rfc3339nano(ts, ns_extra):
    """Go's time.RFC3339Nano in UTC: the fraction loses its trailing zeros."""
    frac = ('%06d%03d' % (ts.microsecond, ns_extra)).rstrip('0')
    return ts.strftime('%Y-%m-%dT%H:%M:%S') + ('.' + frac if frac else '') + 'Z'


def esc(s):
    """The inside of a logrus %q-quoted value."""
    return json.dumps(s, ensure_ascii=False)[1:-1]


class Containerd(System):
    name = 'Containerd'
    seed = 9202
    start = datetime(2024, 3, 20, 9, 14, 2, 731000)
    header_re = (r'^time="(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?P<frac>\.\d{1,9})?Z" '
                 r'level=(?P<level>trace|debug|info|warning|error|fatal|panic) (?P<msg>msg=.*)$')
    # containerd's CRI namespace is called k8s.io; it is a fixed name, not a host
    not_domains = ('k8s.io',)

    def header(self, meta, ts, h):
        return 'time="%s" level=%s ' % (rfc3339nano(ts, self.rng.randint(0, 999)), meta.get('lvl', 'info'))

    def ts_key(self, m):
        return (m.group('ts'), (m.group('frac') or '.').ljust(10, '0'))

    def in_chunk_gap(self):
        return self.rng.uniform(0.0003, 0.006)

    def define(self):
        ev = self.ev
        W = dict(lvl='warning')
        E = dict(lvl='error')
        # CRI calls from the kubelet
        self.RUNPS = ev('msg="RunPodSandbox for <*>"')
        self.RUNPS_RET = ev('msg="RunPodSandbox for <*> returns sandbox id \\"<*>\\""')
        self.CREATE = ev('msg="CreateContainer within sandbox \\"<*>\\" for container <*>"')
        self.CREATE_RET = ev('msg="CreateContainer within sandbox \\"<*>\\" for <*> returns container id \\"<*>\\""')
        self.START = ev('msg="StartContainer for \\"<*>\\""')
        self.START_RET = ev('msg="StartContainer for \\"<*>\\" returns successfully"')
        self.STOPC = ev('msg="StopContainer for \\"<*>\\" with timeout <*> (s)"')
        self.STOPSIG = ev('msg="Stop container \\"<*>\\" with signal <*>"')
        self.STOPC_RET = ev('msg="StopContainer for \\"<*>\\" returns successfully"')
        self.STOPPS = ev('msg="StopPodSandbox for \\"<*>\\""')
        self.NOTRUNNING = ev('msg="Container to stop \\"<*>\\" must be in running or unknown state, current state '
                             '\\"<*>\\""')
        self.TEARDOWN = ev('msg="TearDown network for sandbox \\"<*>\\" successfully"')
        self.STOPPS_RET = ev('msg="StopPodSandbox for \\"<*>\\" returns successfully"')
        self.REMPS = ev('msg="RemovePodSandbox for \\"<*>\\""')
        self.FORCESTOP = ev('msg="Forcibly stopping sandbox \\"<*>\\""')
        self.REMPS_RET = ev('msg="RemovePodSandbox \\"<*>\\" returns successfully"')
        self.REMC = ev('msg="RemoveContainer for \\"<*>\\""')
        self.REMC_RET = ev('msg="RemoveContainer for \\"<*>\\" returns successfully"')
        self.STATUSFAIL = ev('msg="ContainerStatus for \\"<*>\\" failed" error=<*>', **E)
        self.EXIT = ev('msg="received exit event <*>"')
        # shims
        self.SHIMPLUGIN = ev('msg="loading plugin \\"<*>\\"..." runtime=<*> type=<*>')
        self.SIGLOOP = ev('msg="starting signal loop" namespace=<*> path=<*> pid=<*> runtime=<*>')
        self.SHIMDISC = ev('msg="shim disconnected" id=<*> namespace=<*>')
        self.CLEANUP = ev('msg="cleaning up after shim disconnected" id=<*> namespace=<*>', **W)
        self.DEADSHIM = ev('msg="cleaning up dead shim" namespace=<*>')
        self.CLEANWARN = ev('msg="cleanup warnings <*>" namespace=<*>', **W)
        # images
        self.PULL = ev('msg="PullImage \\"<*>\\""')
        self.IMGCREATE = ev('msg="ImageCreate event <*>"')
        self.IMGUPDATE = ev('msg="ImageUpdate event <*>"')
        self.STOPPULL = ev('msg="stop pulling image <*>: active requests=<*>, bytes read=<*>"')
        self.PULLED = ev('msg="Pulled image \\"<*>\\" with image id \\"<*>\\", repo tag \\"<*>\\", repo digest '
                         '\\"<*>\\", size \\"<*>\\" in <*>"')
        self.PULL_RET = ev('msg="PullImage \\"<*>\\" returns image reference \\"<*>\\""')
        self.NEXTHOST = ev('msg="trying next host - response was http.StatusNotFound" host=<*>')
        self.PULLFAIL = ev('msg="PullImage \\"<*>\\" failed" error=<*>', **E)
        # start-up
        self.STARTING = ev('msg="starting containerd" revision= version=<*>')
        self.PLUGIN = ev('msg="loading plugin \\"<*>\\"..." type=<*>')
        self.SKIPPLUGIN = ev('msg="skip loading plugin \\"<*>\\"..." error=<*> type=<*>')
        self.SERVING = ev('msg=serving... address=<*>')
        self.SUBSCRIBE = ev('msg="Start subscribing containerd event"')
        self.RECOVER = ev('msg="Start recovering state"')
        self.EVMON = ev('msg="Start event monitor"')
        self.CNISYNC = ev('msg="Start cni network conf syncer for default"')
        self.STREAM = ev('msg="Start streaming server"')
        self.BOOTED = ev('msg="containerd successfully booted in <*>"')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 5.0 * 3600
        NS = 'k8s.io'
        RT = 'io.containerd.runc.v2'
        REG = 'registry.example.com'
        TASKDIR = '/run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/'
        timed = []

        def psmeta(pod):
            return '&PodSandboxMetadata{Name:%s,Uid:%s,Namespace:%s,Attempt:%d,}' % (
                pod['name'], pod['uid'], pod['ns'], pod['attempt'])

        def cmeta(c, attempt=0):
            return '&ContainerMetadata{Name:%s,Attempt:%d,}' % (c, attempt)

        def pidv():
            return Lazy(lambda ctx: ctx.counter('pid', 3120, 3, 90))

        def exit_ev(cid, pidval, status):
            def f(ctx):
                ts = ctx.ts
                return esc('container_id:"%s" id:"%s" pid:%d%s exited_at:{seconds:%d nanos:%d}' % (
                    cid, cid, resolve(pidval, ctx), (' exit_status:%d' % status) if status else '',
                    int(epoch(ts)), ts.microsecond * 1000 + rng.randint(0, 999)))
            return Lazy(f)

        def new_pod(name, ns, containers, image):
            return {'name': name, 'ns': ns, 'uid': uuid4(rng), 'attempt': 0, 'sid': hexs(rng, 64),
                    'containers': containers, 'image': image, 'cids': {}, 'pids': {}}

        def shim_start(sid):
            ch = []
            for pl, ty in [('io.containerd.event.v1.publisher', 'io.containerd.event.v1'),
                           ('io.containerd.internal.v1.shutdown', 'io.containerd.internal.v1'),
                           ('io.containerd.ttrpc.v1.task', 'io.containerd.ttrpc.v1'),
                           ('io.containerd.ttrpc.v1.pause', 'io.containerd.ttrpc.v1')]:
                ch.append(R(self.SHIMPLUGIN, [pl, RT, ty], dt=rng.uniform(0.0005, 0.002)))
            ch.append(R(self.SIGLOOP, [NS, TASKDIR + sid, pidv(), RT], dt=rng.uniform(0.0005, 0.003)))
            ch[0].dt = rng.uniform(0.01, 0.05)
            return ch

        def start_containers(pod, attempt=0, only=None):
            ch = []
            for c in pod['containers']:
                if only and c != only:
                    continue
                cid = hexs(rng, 64)
                pod['cids'][c] = cid
                pod['pids'][c] = pidv()
                ch += [R(self.CREATE, [(pod['sid']), cmeta(c, attempt)], dt=rng.uniform(0.01, 0.4)),
                       R(self.CREATE_RET, [(pod['sid']), cmeta(c, attempt), (cid)], dt=rng.uniform(0.02, 0.2)),
                       R(self.START, [(cid)], dt=rng.uniform(0.001, 0.01)),
                       R(self.START_RET, [(cid)], dt=rng.uniform(0.04, 0.25))]
            return ch

        def run_pod(pod):
            ch = [R(self.RUNPS, [psmeta(pod)])]
            ch += shim_start(pod['sid'])
            ch.append(R(self.RUNPS_RET, [psmeta(pod), (pod['sid'])], dt=rng.uniform(0.03, 0.3)))
            ch += start_containers(pod)
            return ch

        def shim_gone(sid, warn=False):
            ch = [R(self.SHIMDISC, [sid, NS], dt=rng.uniform(0.001, 0.02)),
                  R(self.CLEANUP, [sid, NS], dt=rng.uniform(0.0001, 0.001)),
                  R(self.DEADSHIM, [NS], dt=rng.uniform(0.0001, 0.001))]
            if warn:
                ch.append(R(self.CLEANWARN, [Lazy(lambda ctx: esc('time="%s" level=info msg="starting signal loop" '
                                                                  'namespace=k8s.io pid=%d runtime=%s\n' % (
                                                                      rfc3339nano(ctx.ts, rng.randint(0, 999)),
                                                                      ctx.counter('pid', 3120, 1, 3), RT))), NS],
                            dt=rng.uniform(0.005, 0.02)))
            return ch

        def stop_sandbox(pod, exited=True):
            sid = pod['sid']
            ch = [R(self.STOPPS, [(sid)])]
            if exited:
                for c in pod['containers']:
                    if c in pod['cids']:
                        ch.append(R(self.NOTRUNNING, [(pod['cids'][c]), 'CONTAINER_EXITED'],
                                    dt=rng.uniform(0.0005, 0.003)))
            ch.append(R(self.EXIT, [exit_ev(sid, pidv(), 137)], dt=rng.uniform(0.01, 0.05)))
            ch += shim_gone(sid, warn=rng.random() < 0.15)
            ch += [R(self.TEARDOWN, [(sid)], dt=rng.uniform(0.02, 0.12)),
                   R(self.STOPPS_RET, [(sid)], dt=rng.uniform(0.001, 0.01))]
            return ch

        def remove_pod(pod):
            ch = []
            for c in pod['containers']:
                if c in pod['cids']:
                    cid = pod['cids'][c]
                    ch += [R(self.REMC, [(cid)], dt=rng.uniform(0.001, 0.02)),
                           R(self.REMC_RET, [(cid)], dt=rng.uniform(0.01, 0.06))]
            sid = pod['sid']
            ch += [R(self.REMPS, [(sid)], dt=rng.uniform(0.01, 0.5)),
                   R(self.FORCESTOP, [(sid)], dt=rng.uniform(0.0005, 0.002)),
                   R(self.TEARDOWN, [(sid)], dt=rng.uniform(0.01, 0.05)),
                   R(self.REMPS_RET, [(sid)], dt=rng.uniform(0.005, 0.03))]
            if rng.random() < 0.3:
                cid = pod['cids'][pod['containers'][0]]
                ch.append(R(self.STATUSFAIL, [(cid), lq('rpc error: code = NotFound desc = an error occurred when '
                                                         'try to find container "%s": not found' % cid)],
                            dt=rng.uniform(0.2, 2)))
            return ch

        def pull(image, size, secs, digest=None, image_id=None):
            digest = digest or hexs(rng, 64)
            image_id = image_id or 'sha256:' + hexs(rng, 64)
            repo = image.rsplit(':', 1)[0]
            lab = 'labels:{key:"io.cri-containerd.image" value:"managed"}'
            return [R(self.PULL, [(image)]),
                    R(self.IMGCREATE, [esc('name:"%s" %s' % (image, lab))], dt=secs),
                    R(self.STOPPULL, [image, 0, size], dt=rng.uniform(0.001, 0.01)),
                    R(self.IMGCREATE, [esc('name:"%s" %s' % (image_id, lab))], dt=rng.uniform(0.001, 0.01)),
                    R(self.IMGUPDATE, [esc('name:"%s" %s' % (image, lab))], dt=rng.uniform(0.001, 0.01)),
                    R(self.IMGCREATE, [esc('name:"%s@sha256:%s" %s' % (repo, digest, lab))],
                      dt=rng.uniform(0.001, 0.01)),
                    R(self.PULLED, [image, image_id, image, '%s@sha256:%s' % (repo, digest), size,
                                    go_dur(secs + rng.uniform(0.01, 0.05))], dt=rng.uniform(0.001, 0.01)),
                    R(self.PULL_RET, [(image), image_id], dt=rng.uniform(0.0005, 0.002))]

        # ---- start-up (k3s was restarted for an upgrade)
        st = [R(self.STARTING, ['v1.7.11-k3s2'])]
        plugins = [('io.containerd.content.v1.content', 'io.containerd.content.v1'),
                   ('io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1'),
                   ('io.containerd.snapshotter.v1.devmapper', 'io.containerd.snapshotter.v1'),
                   ('io.containerd.snapshotter.v1.native', 'io.containerd.snapshotter.v1'),
                   ('io.containerd.snapshotter.v1.overlayfs', 'io.containerd.snapshotter.v1'),
                   ('io.containerd.snapshotter.v1.fuse-overlayfs', 'io.containerd.snapshotter.v1'),
                   ('io.containerd.snapshotter.v1.stargz', 'io.containerd.snapshotter.v1'),
                   ('io.containerd.snapshotter.v1.zfs', 'io.containerd.snapshotter.v1'),
                   ('io.containerd.metadata.v1.bolt', 'io.containerd.metadata.v1'),
                   ('io.containerd.differ.v1.walking', 'io.containerd.differ.v1'),
                   ('io.containerd.lease.v1.manager', 'io.containerd.lease.v1'),
                   ('io.containerd.gc.v1.scheduler', 'io.containerd.gc.v1'),
                   ('io.containerd.service.v1.containers-service', 'io.containerd.service.v1'),
                   ('io.containerd.service.v1.content-service', 'io.containerd.service.v1'),
                   ('io.containerd.service.v1.images-service', 'io.containerd.service.v1'),
                   ('io.containerd.service.v1.tasks-service', 'io.containerd.service.v1'),
                   ('io.containerd.runtime.v2.task', 'io.containerd.runtime.v2'),
                   ('io.containerd.monitor.v1.cgroups', 'io.containerd.monitor.v1'),
                   ('io.containerd.grpc.v1.containers', 'io.containerd.grpc.v1'),
                   ('io.containerd.grpc.v1.images', 'io.containerd.grpc.v1'),
                   ('io.containerd.grpc.v1.tasks', 'io.containerd.grpc.v1'),
                   ('io.containerd.grpc.v1.cri', 'io.containerd.grpc.v1')]
        skips = {
            'io.containerd.snapshotter.v1.btrfs': 'path /var/lib/rancher/k3s/agent/containerd/io.containerd.'
                                                  'snapshotter.v1.btrfs (ext4) must be a btrfs filesystem to be used '
                                                  'with the btrfs snapshotter: skip plugin',
            'io.containerd.snapshotter.v1.devmapper': 'devmapper not configured: skip plugin',
            'io.containerd.snapshotter.v1.zfs': 'path /var/lib/rancher/k3s/agent/containerd/io.containerd.'
                                                'snapshotter.v1.zfs must be a zfs filesystem to be used with the zfs '
                                                'snapshotter: skip plugin'}
        for pl, ty in plugins:
            st.append(R(self.PLUGIN, [pl, ty], dt=rng.uniform(0.0002, 0.004)))
            if pl in skips:
                st.append(R(self.SKIPPLUGIN, [pl, lq(skips[pl]), ty], dt=rng.uniform(0.0002, 0.002)))
        st += [R(self.SERVING, ['/run/k3s/containerd/containerd.sock.ttrpc'], dt=0.004),
               R(self.SERVING, ['/run/k3s/containerd/containerd.sock'], dt=0.0002),
               R(self.SUBSCRIBE, [], dt=0.0003), R(self.RECOVER, [], dt=0.0002),
               R(self.EVMON, [], dt=0.03), R(self.CNISYNC, [], dt=0.0001),
               R(self.STREAM, [], dt=0.0001), R(self.BOOTED, [go_dur(0.046 + rng.uniform(0, 0.02))], dt=0.0003)]

        # ---- pods the kubelet starts again after the restart (Attempt:1)
        long_pods = []
        for name, ns, cs, img in [
                ('coredns-6799fbcd5-%s' % b64s(rng, 5).lower().replace('+', 'x').replace('/', 'z'), 'kube-system',
                 ['coredns'], None),
                ('svclb-traefik-%s-%s' % (hexs(rng, 8), b64s(rng, 5).lower().replace('+', 'q').replace('/', 'w')),
                 'kube-system', ['lb-tcp-80', 'lb-tcp-443'], None),
                ('node-exporter-%s' % hexs(rng, 5), 'monitoring', ['node-exporter'], None),
                ('promtail-%s' % hexs(rng, 5), 'monitoring', ['promtail'], None),
                ('orders-api-7d9f8c6b5d-%s' % hexs(rng, 5), 'shop', ['orders-api'], None),
                ('orders-api-7d9f8c6b5d-%s' % hexs(rng, 5), 'shop', ['orders-api'], None),
                ('cart-api-5b8c9d7f4-%s' % hexs(rng, 5), 'shop', ['cart-api', 'envoy'], None),
                ('notifier-6f7d8c9b5-%s' % hexs(rng, 5), 'shop', ['notifier'], None),
                ('redis-0', 'shop', ['redis'], None)]:
            pod = new_pod(name, ns, cs, img)
            pod['attempt'] = 1
            long_pods.append(pod)
            timed.append((rng.uniform(1.0, 12.0), run_pod(pod)))

        # ---- CronJobs: queue-drain every 5 min, metrics-rollup every 15 min
        done_jobs = {'queue-drain': [], 'metrics-rollup': []}
        for job, period, run_s in [('queue-drain', 480, (4, 40)), ('metrics-rollup', 900, (20, 140))]:
            for t in periodic(rng, 30, D, period, phase=rng.uniform(0, 2), jitter=1.5):
                pod = new_pod('%s-%d-%s' % (job, 28520000 + int(t // 60), hexs(rng, 5)), 'batch', [job], None)
                ch = run_pod(pod)
                cid = pod['cids'][job]
                ch.append(R(self.EXIT, [exit_ev(cid, pod['pids'][job], 0)], dt=rng.uniform(*run_s)))
                sb = stop_sandbox(pod)
                sb[0].dt = rng.uniform(0.4, 1.6)
                ch += sb
                timed.append((t, ch))
                # the CronJob keeps three finished jobs; the oldest is removed when a new one finishes
                done_jobs[job].append((t, pod))
                if len(done_jobs[job]) > 3:
                    _, old = done_jobs[job].pop(0)
                    timed.append((t + rng.uniform(50, 70) + run_s[1], remove_pod(old)))

        # ---- rollout of orders-api 1.42.0 (two replicas on this node)
        T = 0.46 * D
        image = '%s/shop/orders-api:1.42.0' % REG
        ch = pull(image, 48211331, rng.uniform(4, 9))
        timed.append((T, ch))
        for k, old in enumerate([p for p in long_pods if p['name'].startswith('orders-api')]):
            t = T + 12 + k * rng.uniform(25, 40)
            new = new_pod('orders-api-6c4b7f9d8-%s' % hexs(rng, 5), 'shop', ['orders-api'], image)
            timed.append((t, run_pod(new)))
            cid = old['cids']['orders-api']
            ch = [R(self.STOPC, [(cid), 30]), R(self.STOPSIG, [(cid), 'terminated'], dt=0.001),
                  R(self.EXIT, [exit_ev(cid, old['pids']['orders-api'], 0)], dt=rng.uniform(0.5, 4)),
                  R(self.STOPC_RET, [(cid)], dt=rng.uniform(0.01, 0.05))]
            ch += stop_sandbox(old, exited=True)
            timed.append((t + 14, ch))
            timed.append((t + 14 + rng.uniform(60, 200), remove_pod(old)))

        # ---- a typo in an image tag: the kubelet retries the pull with back-off
        T = 0.12 * D
        bad = '%s/batch/report-builder:2.0.1-rc' % REG
        pod = new_pod('report-builder-%d-%s' % (28520000 + int(T // 60), hexs(rng, 5)), 'batch', ['report-builder'],
                      bad)
        ch = [R(self.RUNPS, [psmeta(pod)])] + shim_start(pod['sid']) + [
            R(self.RUNPS_RET, [psmeta(pod), (pod['sid'])], dt=0.1)]
        timed.append((T, ch))
        err = lq('failed to pull and unpack image "%s": failed to resolve reference "%s": %s: not found' % (
            bad, bad, bad))
        back = 10
        t = T + 0.5
        while t < D:
            timed.append((t, [R(self.PULL, [(bad)]), R(self.NEXTHOST, [REG], dt=rng.uniform(0.02, 0.09)),
                              R(self.PULLFAIL, [(bad), err], dt=rng.uniform(0.0005, 0.003))]))
            t += back + rng.uniform(0, 8)
            back = min(back * 2, 300)

        # ---- the notifier crash-loops after a bad config change
        T = 0.3 * D
        nt = [p for p in long_pods if p['name'].startswith('notifier')][0]
        cid = nt['cids']['notifier']
        timed.append((T, [R(self.EXIT, [exit_ev(cid, nt['pids']['notifier'], 1)])]))
        back = 10
        t = T + 1
        attempt = 1
        prev = cid
        while t < T + 0.45 * D:
            ch = start_containers(nt, attempt=attempt)
            new = nt['cids']['notifier']
            if attempt > 1:
                ch = [R(self.REMC, [(prev)]), R(self.REMC_RET, [(prev)], dt=rng.uniform(0.01, 0.05))] + ch
            ch.append(R(self.EXIT, [exit_ev(new, nt['pids']['notifier'], 1)], dt=rng.uniform(1.0, 2.5)))
            timed.append((t, ch))
            prev = new
            attempt += 1
            t += back + rng.uniform(1, 4)
            back = min(back * 2, 300)
        # fixed: a new ReplicaSet's pod starts, the crash-looping one is stopped
        t = T + 0.45 * D + 20
        fixed = new_pod('notifier-78d9c5f6b-%s' % hexs(rng, 5), 'shop', ['notifier'], None)
        timed.append((t, run_pod(fixed)))
        timed.append((t + 6, stop_sandbox(nt, exited=True)))
        timed.append((t + 90, remove_pod(nt)))

        def filler(t):
            return t, [R(self.PULL, [(bad)])]

        return st, timed, [], filler


# ----------------------------------------------------------------------------
# 3. PgBouncer 1.21 connection pooler, its own log file
# ----------------------------------------------------------------------------

LOGIN_RETRY = 'server login has been failing, try again later (server_login_retry)'
STARTUP_PARAM = 'unsupported startup parameter: '


class PgBouncer(System):
    name = 'PgBouncer'
    seed = 9303
    start = datetime(2024, 3, 21, 13, 58, 41, 207000)
    header_re = (r'^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (?P<tz>[A-Z]{2,5}) \[(?P<pid>\d+)\] '
                 r'(?P<level>DEBUG|NOISE|LOG|WARNING|ERROR|FATAL) (?P<msg>.+)$')
    PID = 2187

    def header(self, meta, ts, h):
        return '%s.%03d UTC [%d] %s ' % (ts.strftime('%Y-%m-%d %H:%M:%S'), ts.microsecond // 1000, self.PID,
                                          meta.get('lvl', 'LOG'))

    def ts_key(self, m):
        return m.group('ts')

    def in_chunk_gap(self):
        return self.rng.uniform(0.0002, 0.004)

    def define(self):
        ev = self.ev
        W = dict(lvl='WARNING')
        C = 'C-<*>: <*>/<*>@<*> '
        S = 'S-<*>: <*>/<*>@<*> '
        # disconnect_client()/disconnect_server() log 'closing because: %s (age=%ds)' with a reason that is a
        # literal at each calling site; as with error messages, each calling site is its own event
        self.LOGIN = ev(C + 'login attempt: db=<*> user=<*> tls=<*>')
        self.CCLOSE = {}
        for r in ['client close request', 'client unexpected eof', 'unsupported startup parameter: <*>',
                  'password authentication failed', 'server conn crashed?', LOGIN_RETRY]:
            self.CCLOSE[r] = ev(C + 'closing because: %s (age=<*>s)' % r)
        self.POOLERR = {}
        for r in ['unsupported startup parameter: <*>', 'password authentication failed', 'server conn crashed?',
                  LOGIN_RETRY]:
            self.POOLERR[r] = ev(C + 'pooler error: %s' % r, **W)
        self.RESERVE = ev(C + 'taking connection from reserve_pool')
        self.SNEW = ev(S + 'new connection to server (from <*>)')
        self.SSL = ev(S + 'SSL established: <*>')
        self.SCLOSE = {}
        for r in ['server idle timeout', 'server lifetime over', 'server conn crashed?', 'connect failed']:
            self.SCLOSE[r] = ev(S + 'closing because: %s (age=<*>s)' % r)
        self.SLOGINFAIL = ev(S + 'server login failed: <*> <*>', **W)
        self.NOTLINKED = ev(S + "got packet '<*>' from server when not linked", **W)
        self.STATS = ev('stats: <*> xacts/s, <*> queries/s, <*> client parses/s, <*> server parses/s, <*> binds/s, '
                        'in <*> B/s, out <*> B/s, xact <*> us, query <*> us, wait <*> us')
        self.FDLIMIT = ev('kernel file descriptor limit: <*> (hard: <*>); max_client_conn: <*>, max expected fd use: '
                          '<*>')
        self.LISTEN = ev('listening on <*>')
        self.UP = ev('process up: <*>, libevent <*>, adns: <*>, tls: <*>')
        self.SIGHUP = ev('got SIGHUP, re-reading config')
        self.RELOAD = ev('RELOAD command issued')
        self.PAUSE = ev('PAUSE command issued')
        self.RESUME = ev('RESUME command issued')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 3.6 * 3600
        timed = []
        PRIMARY = '10.0.6.11:5432'
        LOCAL = '10.0.6.5'
        TLS = 'TLSv1.3/TLS_AES_256_GCM_SHA384/ECDH=X25519'
        cptrs = ['0x%012x' % (0x55d5c8a30000 + rng.randrange(0, 0x40000, 0x70)) for _ in range(90)]
        sptrs = ['0x%012x' % (0x55d5c8b80000 + rng.randrange(0, 0x20000, 0x70)) for _ in range(40)]
        T_PAUSE = 0.27 * D
        T_RELOAD = 0.41 * D
        T_SPIKE = 0.49 * D
        T_CRASH, CRASH_OUT = 0.62 * D, 52.0
        T_ROT = 0.74 * D
        T_HUP = 0.86 * D

        def down(t):
            return T_CRASH <= t <= T_CRASH + CRASH_OUT + 4

        def reason_rec(table, vals, dt=None):
            """vals end with the reason (and, for closings, the age); the reason picks the event."""
            vals = list(vals)
            reason = vals[4]
            if reason.startswith(STARTUP_PARAM):
                key, vals[4] = STARTUP_PARAM + '<*>', reason[len(STARTUP_PARAM):]
            else:
                key = reason
                del vals[4]
            return R(table[key], vals, dt=dt)

        def cclose(vals, dt=None):
            return reason_rec(self.CCLOSE, vals, dt)

        def sclose(vals, dt=None):
            return reason_rec(self.SCLOSE, vals, dt)

        def poolerr(vals, dt=None):
            return reason_rec(self.POOLERR, vals, dt)

        def caddr(net):
            return '%s:%d' % (net, port(rng))

        def cptr():
            return rng.choice(cptrs)

        # server connections: (db, user) -> list of open ones [(ptr, opened_t)]
        def server_open(t, db, user, ch_t=None):
            sp = rng.choice(sptrs)
            return sp, [R(self.SNEW, [sp, db, user, PRIMARY, caddr(LOCAL)]),
                        R(self.SSL, [sp, db, user, PRIMARY, TLS], dt=rng.uniform(0.002, 0.01))]

        # ---- start-up (the package was upgraded; the file starts with it)
        st = [R(self.FDLIMIT, [1024, 524288, 2000, 2260]),
              R(self.LISTEN, ['0.0.0.0:6432'], dt=0.001), R(self.LISTEN, ['[::]:6432'], dt=0.0002),
              R(self.LISTEN, ['unix:/var/run/postgresql/.s.PGSQL.6432'], dt=0.0003),
              R(self.UP, ['PgBouncer 1.21.0', '2.1.12-stable (epoll)', 'c-ares 1.19.1', 'OpenSSL 3.0.11 19 Sep 2023'],
                dt=0.0004)]

        # ---- stats every 60 s
        for t in periodic(rng, 20, D, 60, phase=rng.uniform(0, 60)):
            if down(t):
                x = rng.randint(2, 9)
                q = x
                wait = rng.randint(2000000, 9000000)
            else:
                x = rng.randint(35, 140)
                q = x * rng.randint(3, 6) + rng.randint(0, 40)
                wait = weighted(rng, [(rng.randint(5, 90), 6), (rng.randint(100, 4000), 2)])
            timed.append((t, [R(self.STATS, [x, q, 0, 0, 0, q * rng.randint(180, 260), q * rng.randint(900, 4000),
                                             rng.randint(900, 6000), rng.randint(300, 1400), wait])]))

        # ---- the Prometheus exporter reads SHOW STATS/POOLS every 60 s over the admin console
        for t in periodic(rng, 5, D, 60, phase=rng.uniform(0, 60), jitter=0.2):
            cp, a = cptr(), caddr('10.0.7.5')
            timed.append((t, [R(self.LOGIN, [cp, 'pgbouncer', 'stats_collector', a, 'pgbouncer', 'stats_collector',
                                             'no']),
                              cclose([cp, 'pgbouncer', 'stats_collector', a, 'client close request', 0],
                                dt=rng.uniform(0.01, 0.08))]))

        # ---- short-lived clients: PHP workers and cron scripts, one connection per request
        for t in poisson(rng, 0, D, 23):
            if down(t):
                continue
            cp = cptr()
            web = rng.random() < 0.7
            a = caddr('10.0.1.%d' % rng.randint(21, 38)) if web else caddr('10.42.%d.%d' % (
                rng.randint(0, 3), rng.randint(2, 250)))
            db, user = ('appdb', 'app') if web or rng.random() < 0.5 else ('appdb', 'orders_rw')
            ch = [R(self.LOGIN, [cp, db, user, a, db, user, 'no' if web else TLS])]
            if rng.random() < 0.035:
                sp, sc = server_open(t, db, user)
                sc[0].dt = rng.uniform(0.001, 0.01)
                ch += sc
            reason = weighted(rng, [('client close request', 30), ('client unexpected eof', 2)])
            ch.append(cclose([cp, db, user, a, reason, int(rng.expovariate(1 / 1.2))],
                        dt=rng.uniform(0.01, 3)))
            timed.append((t, ch))
        # server connections of the appdb pool retire: idle timeout and lifetime
        for t in poisson(rng, 0, D, 240):
            if down(t):
                continue
            sp = rng.choice(sptrs)
            user = rng.choice(['app', 'app', 'orders_rw'])
            if t < 700:
                continue
            reason, age = weighted(rng, [(('server idle timeout', rng.randint(600, int(min(1500, t)))), 3),
                                         (('server lifetime over', rng.randint(3600, 3700)), 2 if t > 3700 else 0)])
            timed.append((t, [sclose([sp, 'appdb', user, PRIMARY, reason, age])]))

        # ---- the billing service keeps eight pooled connections and renews each after ~30 min (maxLifetime)
        for k in range(8):
            a = caddr('10.0.3.%d' % (40 + k % 2))
            cp = cptr()
            t = rng.uniform(0, 1800)
            first = True
            while t < D:
                age = rng.randint(1730, 1800)
                if not down(t):
                    ch = []
                    if not first:
                        ch.append(cclose([cp, 'billing', 'billing_svc', a, 'client close request', age]))
                    cp, a = cptr(), caddr('10.0.3.%d' % (40 + k % 2))
                    ch.append(R(self.LOGIN, [cp, 'billing', 'billing_svc', a, 'billing', 'billing_svc', TLS],
                                dt=rng.uniform(0.002, 0.02)))
                    timed.append((t, ch))
                first = False
                t += age

        # ---- the reporting job every 15 min: one long session, a server connection that idles out later
        for t in periodic(rng, 60, D, 900, phase=rng.uniform(0, 60), jitter=2):
            cp, a = cptr(), caddr('10.0.2.31')
            sp, sc = server_open(t, 'reports', 'reporting')
            run = rng.uniform(30, 200)
            ch = [R(self.LOGIN, [cp, 'reports', 'reporting', a, 'reports', 'reporting', 'no'])] + sc
            ch.append(cclose([cp, 'reports', 'reporting', a, 'client close request', int(run)], dt=run))
            ch.append(sclose([sp, 'reports', 'reporting', PRIMARY, 'server idle timeout',
                                      int(run) + 600 + rng.randint(0, 20)], dt=600 + rng.uniform(0, 20)))
            timed.append((t, ch))

        # ---- Metabase connects with a startup parameter the pooler does not accept
        for t in poisson(rng, 0, D, 2600) + [0.15 * D]:
            ch = []
            for k in range(rng.randint(1, 3)):
                cp, a = cptr(), caddr('10.0.2.40')
                ch += [R(self.LOGIN, [cp, 'analytics', 'metabase', a, 'analytics', 'metabase', 'no'],
                         dt=None if not k else rng.uniform(1, 5)),
                       poolerr([cp, 'analytics', 'metabase', a, 'unsupported startup parameter: options'],
                         dt=0.001),
                       cclose([cp, 'analytics', 'metabase', a, 'unsupported startup parameter: options', 0],
                         dt=0.0002)]
            timed.append((t, ch))

        # ---- incidents
        admin = 'unix(%d):6432' % rng.randint(30000, 40000)
        # a short maintenance: PAUSE, the server is vacuumed, RESUME
        cp = cptr()
        timed.append((T_PAUSE, [R(self.LOGIN, [cp, 'pgbouncer', 'pgbouncer', admin, 'pgbouncer', 'pgbouncer', 'no']),
                                R(self.PAUSE, [], dt=3.2), R(self.RESUME, [], dt=rng.uniform(20, 40)),
                                cclose([cp, 'pgbouncer', 'pgbouncer', admin, 'client close request',
                                                rng.randint(30, 60)], dt=4.0)]))
        cp = cptr()
        admin2 = 'unix(%d):6432' % rng.randint(40000, 50000)
        timed.append((T_RELOAD, [R(self.LOGIN, [cp, 'pgbouncer', 'pgbouncer', admin2, 'pgbouncer', 'pgbouncer',
                                                'no']),
                                 R(self.RELOAD, [], dt=2.1),
                                 cclose([cp, 'pgbouncer', 'pgbouncer', admin2, 'client close request', 3],
                                   dt=1.0)]))
        # a traffic spike: the pool is exhausted, the reserve pool is used
        for k in range(5):
            t = T_SPIKE + rng.uniform(0, 30)
            cp, a = cptr(), caddr('10.0.1.%d' % rng.randint(21, 38))
            sp, sc = server_open(t, 'appdb', 'app')
            timed.append((t, [R(self.LOGIN, [cp, 'appdb', 'app', a, 'appdb', 'app', 'no']),
                              R(self.RESERVE, [cp, 'appdb', 'app', a], dt=rng.uniform(5, 5.2))] + sc + [
                cclose([cp, 'appdb', 'app', a, 'client close request', 5], dt=rng.uniform(0.1, 0.5))]))
        timed.append((T_SPIKE + 31, [R(self.NOTLINKED, [rng.choice(sptrs), 'appdb', 'app', PRIMARY, 'N'])]))
        # the primary crashes and restarts (crash recovery)
        ch = []
        for user, n in [('app', 3), ('orders_rw', 1), ('billing_svc', 2)]:
            db = 'billing' if user == 'billing_svc' else 'appdb'
            for _ in range(n):
                ch.append(sclose([rng.choice(sptrs), db, user, PRIMARY, 'server conn crashed?',
                                          rng.randint(20, int(T_CRASH))], dt=rng.uniform(0.0001, 0.002)))
        for _ in range(3):
            cp, a = cptr(), caddr('10.0.1.%d' % rng.randint(21, 38))
            ch += [poolerr([cp, 'appdb', 'app', a, 'server conn crashed?'], dt=0.0003),
                   cclose([cp, 'appdb', 'app', a, 'server conn crashed?', rng.randint(0, 3)], dt=0.0001)]
        timed.append((T_CRASH, ch))
        t = T_CRASH + 0.4
        while t < T_CRASH + CRASH_OUT - 12:
            db, user = rng.choice([('appdb', 'app'), ('appdb', 'app'), ('billing', 'billing_svc')])
            timed.append((t, [sclose([rng.choice(sptrs), db, user, PRIMARY, 'connect failed', 0])]))
            t += 15 + rng.uniform(0, 0.3)
        for t in poisson(rng, T_CRASH + 1, T_CRASH + CRASH_OUT, 2.8):
            cp = cptr()
            a = caddr('10.0.1.%d' % rng.randint(21, 38))
            err = LOGIN_RETRY
            timed.append((t, [R(self.LOGIN, [cp, 'appdb', 'app', a, 'appdb', 'app', 'no']),
                              poolerr([cp, 'appdb', 'app', a, err], dt=0.0005),
                              cclose([cp, 'appdb', 'app', a, err, 0], dt=0.0001)]))
        for k in range(2):
            timed.append((T_CRASH + CRASH_OUT - 10 + 5 * k, [
                R(self.SLOGINFAIL, [rng.choice(sptrs), 'appdb', 'app', PRIMARY, 'FATAL',
                                    'the database system is starting up'])]))
        for k in range(7):
            db, user = ('billing', 'billing_svc') if k >= 5 else ('appdb', 'app')
            sp, sc = server_open(0, db, user)
            timed.append((T_CRASH + CRASH_OUT + rng.uniform(0, 3), sc))
        # the orders worker's password was rotated before its secret was
        for t in sorted(rng.uniform(T_ROT, T_ROT + 260) for _ in range(12)):
            cp, a = cptr(), caddr('10.42.2.%d' % rng.randint(2, 250))
            timed.append((t, [R(self.LOGIN, [cp, 'appdb', 'orders_rw', a, 'appdb', 'orders_rw', TLS]),
                              poolerr([cp, 'appdb', 'orders_rw', a, 'password authentication failed'],
                                dt=rng.uniform(0.001, 0.01)),
                              cclose([cp, 'appdb', 'orders_rw', a, 'password authentication failed', 0],
                                dt=0.0002)]))
        # configuration management pushes a new pgbouncer.ini
        timed.append((T_HUP, [R(self.SIGHUP, [])]))

        def filler(t):
            cp, a = cptr(), caddr('10.0.7.5')
            return t, [R(self.LOGIN, [cp, 'pgbouncer', 'stats_collector', a, 'pgbouncer', 'stats_collector', 'no'])]

        return st, timed, [], filler


# ----------------------------------------------------------------------------
# 4. Sidekiq 7.2 job worker of a Rails shop, default log formatter on stdout
# ----------------------------------------------------------------------------

def rb_frames(frames):
    return ['%s:%d:in `%s\'' % f for f in frames]


GEMS = '/app/vendor/bundle/ruby/3.2.0/gems/'


class Sidekiq(System):
    name = 'Sidekiq'
    seed = 9404
    start = datetime(2024, 3, 22, 9, 31, 5, 388000)
    header_re = (r'^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) pid=(?P<pid>\d+) tid=(?P<tid>[0-9a-z]+)'
                 r'(?: class=(?P<class>[\w:]+) jid=(?P<jid>[0-9a-f]{24}))?(?: elapsed=(?P<elapsed>[\d.]+))? '
                 r'(?P<level>DEBUG|INFO|WARN|ERROR|FATAL): (?P<msg>.+)$')

    def header(self, meta, ts, h):
        ctx = ''
        if 'cls' in h:
            ctx = ' class=%s jid=%s' % (h['cls'], h['jid'])
        if 'el' in h:
            ctx += ' elapsed=%s' % h['el']
        return '%s.%03dZ pid=%d tid=%s%s %s: ' % (ts.strftime('%Y-%m-%dT%H:%M:%S'), ts.microsecond // 1000,
                                                   h['pid'], h['tid'], ctx, meta.get('lvl', 'INFO'))

    def ts_key(self, m):
        return m.group('ts')

    def in_chunk_gap(self):
        return self.rng.uniform(0.0002, 0.003)

    def define(self):
        ev = self.ev
        W = dict(lvl='WARN')
        E = dict(lvl='ERROR')
        self.START = ev('start')
        self.DONE = ev('done')
        self.FAIL = ev('fail')
        J = '{"context":"Job raised exception","job":{"retry":<*>,"queue":"<*>","class":"<*>","args":[<*>],' \
            '"jid":"<*>","created_at":<*>,"enqueued_at":<*>'
        self.CTX0 = ev(J + '}}', **W)
        self.CTX1 = ev(J + ',"error_message":"<*>","error_class":"<*>","failed_at":<*>,"retry_count":<*>}}', **W)
        self.CTX2 = ev(J + ',"error_message":"<*>","error_class":"<*>","failed_at":<*>,"retry_count":<*>,'
                           '"retried_at":<*>}}', **W)
        # the exception line: one event per statement that raised the error
        self.EX_CONN = ev('Faraday::ConnectionFailed: Failed to open TCP connection to <*> (<*>)', **W)
        self.EX_TIMEOUT = ev('Net::ReadTimeout: Net::ReadTimeout with <*>', **W)
        self.EX_DELIV = ev('WebhookDeliveryJob::DeliveryFailed: endpoint returned <*>', **W)
        self.EX_NOTFOUND = ev("ActiveRecord::RecordNotFound: Couldn't find <*> with '<*>'=<*>", **W)
        self.EX_JSON = ev("JSON::ParserError: unexpected token at '<*>'", **W)
        self.EX_ARGS = ev('ArgumentError: wrong number of arguments (given <*>, expected <*>)', **W)
        self.EX_REDIS = ev('RedisClient::CannotConnectError: Connection refused - connect(2) for <*>', **W)
        # the backtrace: one log call with the frames joined by newlines
        self.BT = ev('<*>', **W)
        self.FETCHERR = ev('Error fetching job: <*>', **E)
        self.HEARTBEAT = ev('heartbeat: <*>', **E)
        self.ONLINE = ev('Redis is online, <*> sec downtime')
        self.BOOT = ev('Booting Sidekiq <*> with <*> options <*>')
        self.RUNNING = ev('Running in <*>')
        self.LICENSE = ev('See LICENSE and the LGPL-3.0 for licensing details.')
        self.CONNECTING = ev('Sidekiq <*> connecting to Redis with options <*>')
        self.STARTPROC = ev('Starting processing, hit Ctrl-C to stop')
        self.SHUTDOWN = ev('Shutting down')
        self.TERMQUIET = ev('Terminating quiet threads for <*> capsule')
        self.SCHEDEXIT = ev('Scheduler exiting...')
        self.PAUSING = ev('Pausing to allow jobs to finish...')
        self.BUSY = ev('Terminating <*> busy threads', **W)
        self.PUSHED = ev('Pushed <*> jobs back to Redis')
        self.BYE = ev('Bye!')
        # the application's own lines, logged inside the job
        self.A_ORDER = ev('Sent order confirmation for order <*> to <*>')
        self.A_INVOICE = ev('Invoice <*> rendered (<*> pages) and mailed to <*>')
        self.A_CAPTURE = ev('Captured payment for order <*> (<*> <*>)')
        self.A_SYNC = ev('Synced <*> products from <*> in <*>ms')
        self.A_WH_OK = ev('Webhook <*> delivered to <*> (status <*>)')
        self.A_WH_BAD = ev('Webhook <*> to <*> returned <*>, will retry', **W)
        self.A_REPORT = ev('Report <*> generated: <*> rows, uploaded to <*>')
        self.A_SKIP = ev('Skipping reminder for user <*>: unsubscribed')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 2.7 * 3600
        timed = []
        T_PAY, PAY_OUT = 0.2 * D, 420.0
        T_DEPLOY = 0.5 * D
        T_REDIS, REDIS_OUT = 0.78 * D, 24.0
        PID_OLD, PID_NEW = 28417, 31022

        def tid():
            return ''.join(rng.choice(B36) for _ in range(rng.choice([3, 4, 4])))

        tids = {PID_OLD: [tid() for _ in range(10)], PID_NEW: [tid() for _ in range(10)]}
        main_tid = {PID_OLD: tid(), PID_NEW: tid()}

        def pid_at(t):
            return PID_OLD if t < T_DEPLOY + 26 else PID_NEW

        def running(t):
            return not (T_DEPLOY - 1 <= t <= T_DEPLOY + 27) and not (T_REDIS <= t <= T_REDIS + REDIS_OUT)

        customers = ['%s.%s@example.org' % (f, rng.choice(LAST)) for f in FIRST] + \
                    ['%s@example.net' % f for f in FIRST[:12]]
        hooks = ['https://hooks.example.net/shop/%s' % hexs(rng, 8) for _ in range(6)] + \
                ['https://erp.example.com/api/webhooks/orders', 'https://crm.example.org/inbound/shop']
        order_base = rng.randint(480000, 490000)

        def ts_val(off):
            """An epoch float off seconds before the record's time, as Ruby prints Time#to_f."""
            return AtTs(lambda ts: rfloat(epoch(ts) - off, 6))

        # ---- one job execution; returns the chunk and the state for a retry
        def run(t, cls, queue, args, dur, app=(), error=None, st=None, retry='true'):
            pid = pid_at(t)
            th = rng.choice(tids[pid])
            jid = st['jid'] if st else hexs(rng, 24)
            h = {'pid': pid, 'tid': th, 'cls': cls, 'jid': jid}
            ch = [R(self.START, [], h=h)]
            used = 0.0
            for eid, vals in app:
                d = rng.uniform(0.2, 0.8) * (dur - used)
                ch.append(R(eid, vals, h=h, dt=d))
                used += d
            el = rfloat(dur, 3)
            if error is None:
                ch.append(R(self.DONE, [], h=dict(h, el=el), dt=max(0.0005, dur - used)))
                return ch, None
            ex_eid, ex_vals, msg, klass, frames = error
            ch.append(R(self.FAIL, [], h=dict(h, el=el), dt=max(0.0005, dur - used)))
            latency = rng.uniform(0.002, 0.4)
            if st is None:
                # created_at and failed_at are fixed at the first failure and travel with the job
                off = dur + latency
                st = {'jid': jid, 'count': 0,
                      'created': Lazy(lambda ctx, off=off: rfloat(epoch(ctx.ts) - off, 6)),
                      'failed': Lazy(lambda ctx: rfloat(epoch(ctx.ts), 6))}
                base = [retry, queue, cls, args, jid, st['created'], ts_val(dur + latency - 0.0004)]
                if retry == 'false':
                    ch.append(R(self.CTX0, base, h=h))
                else:
                    ch.append(R(self.CTX1, base + [js(msg), klass, st['failed'], 0], h=h))
            else:
                st['count'] += 1
                base = [retry, queue, cls, args, jid, st['created'], ts_val(dur + latency)]
                ch.append(R(self.CTX2, base + [js(msg), klass, st['failed'], st['count'], ts_val(0)], h=h))
            ch.append(R(ex_eid, ex_vals, h=h))
            ch.append(R(self.BT, [frames[0]], conts=frames[1:], h=h))
            return ch, st

        def schedule(t0, cls, queue, args, mk, retry='true', max_retries=25):
            """Run a job at t0; mk(t, attempt) -> (dur, app, error); failed runs are retried with Sidekiq's
            back-off ((count ** 4) + 15 + rand(10) * (count + 1) seconds)."""
            t, st, attempt = t0, None, 0
            while t < D:
                if not running(t):
                    t += 12
                    continue
                dur, app, error = mk(t, attempt)
                ch, st = run(t, cls, queue, args, dur, app, error, st, retry)
                timed.append((t, ch))
                if error is None or retry == 'false' or attempt >= max_retries:
                    return
                c = st['count']
                t = t + dur + c ** 4 + 15 + rng.randint(0, 9) * (c + 1) + rng.uniform(0, 5)
                attempt += 1

        # ---- errors
        def e_conn(host):
            m = 'Connection refused - connect(2) for "%s" port 443' % host
            msg = 'Failed to open TCP connection to %s:443 (%s)' % (host, m)
            return (self.EX_CONN, ['%s:443' % host, m], msg, 'Faraday::ConnectionFailed', rb_frames([
                ('app/services/payments/gateway_client.rb', 58, 'block in capture'),
                ('app/services/payments/gateway_client.rb', 112, 'with_idempotency_key'),
                ('app/services/payments/gateway_client.rb', 57, 'capture'),
                ('app/jobs/payment_capture_job.rb', 14, 'perform')]))

        def e_timeout():
            return (self.EX_TIMEOUT, ['#<TCPSocket:(closed)>'], 'Net::ReadTimeout with #<TCPSocket:(closed)>',
                    'Net::ReadTimeout', rb_frames([('app/services/webhooks/deliverer.rb', 33, 'post'),
                                                   ('app/jobs/webhook_delivery_job.rb', 19, 'perform')]))

        def e_deliv(code):
            return (self.EX_DELIV, [code], 'endpoint returned %d' % code, 'WebhookDeliveryJob::DeliveryFailed',
                    rb_frames([('app/jobs/webhook_delivery_job.rb', 24, 'perform')]))

        def e_notfound(model, key):
            return (self.EX_NOTFOUND, [model, 'id', key], "Couldn't find %s with 'id'=%d" % (model, key),
                    'ActiveRecord::RecordNotFound', rb_frames([('app/jobs/invoice_pdf_job.rb', 9, 'perform')]))

        def e_json(tok):
            return (self.EX_JSON, [tok], "unexpected token at '%s'" % tok, 'JSON::ParserError', rb_frames([
                ('app/lib/webhook_payload.rb', 7, 'parse'), ('app/jobs/import_webhook_job.rb', 11, 'perform')]))

        def e_args():
            return (self.EX_ARGS, [2, 1], 'wrong number of arguments (given 2, expected 1)', 'ArgumentError',
                    rb_frames([('app/jobs/legacy_coupon_job.rb', 6, 'perform')]))

        # ---- the job mix
        # search index updates: many, short, silent
        for t in poisson(rng, 0, D, 50):
            schedule(t, 'SearchIndexJob', 'low', '"Product",%d' % rng.randint(1000, 48000),
                     lambda t, a: (rng.uniform(0.012, 0.2), (), None))
        # order confirmations
        for t in poisson(rng, 0, D, 105):
            o = order_base + int(t / 60)
            c = rng.choice(customers)
            schedule(t, 'OrderConfirmationJob', 'mailers', '%d' % o,
                     lambda t, a, o=o, c=c: (rng.uniform(0.15, 0.9), [(self.A_ORDER, [o, c])], None))
        # payment captures; the provider is unreachable for seven minutes
        for t in poisson(rng, 0, D, 130):
            o = order_base + int(t / 60) - rng.randint(0, 3)
            amt, cur = '%.2f' % rng.uniform(9, 420), weighted(rng, [('EUR', 5), ('USD', 2), ('GBP', 1)])

            def mk(t, a, o=o, amt=amt, cur=cur):
                if T_PAY <= t <= T_PAY + PAY_OUT:
                    return rng.uniform(0.004, 0.02), (), e_conn('payments.example.net')
                return rng.uniform(0.3, 1.8), [(self.A_CAPTURE, [o, amt, cur])], None
            schedule(t, 'PaymentCaptureJob', 'critical', '%d' % o, mk)
        # webhooks to partners; some time out, one endpoint answers 503 for a while
        for t in poisson(rng, 0, D, 80) + [0.625 * D, 0.64 * D, 0.67 * D]:
            url = rng.choice(hooks) if t not in (0.625 * D, 0.64 * D, 0.67 * D) else hooks[6]
            wid = 'evt_%s' % b64s(rng, 14).replace('+', 'x').replace('/', 'y')

            def mk(t, a, url=url, wid=wid):
                if url == hooks[6] and 0.62 * D <= t <= 0.7 * D:
                    return rng.uniform(0.05, 0.3), [(self.A_WH_BAD, [wid, url, 503])], e_deliv(503)
                if rng.random() < 0.05:
                    return rng.uniform(15.0, 15.1), (), e_timeout()
                return rng.uniform(0.06, 0.9), [(self.A_WH_OK, [wid, url, rng.choice([200, 200, 202, 204])])], None
            schedule(t, 'WebhookDeliveryJob', 'default', '"%s","%s"' % (wid, url), mk, max_retries=8)
        # invoices; two of them were deleted before the job ran
        gone = {3, 17}
        for k, t in enumerate(poisson(rng, 0, D, 330)):
            inv = 'INV-2024-%05d' % (31000 + k)
            c = rng.choice(customers)
            if k in gone:
                iid = rng.randint(90000, 99999)
                schedule(t, 'InvoicePdfJob', 'default', '%d' % iid,
                         lambda t, a, iid=iid: (rng.uniform(0.01, 0.05), (), e_notfound('Invoice', iid)))
                continue
            schedule(t, 'InvoicePdfJob', 'default', '%d' % (90000 + k),
                     lambda t, a, inv=inv, c=c: (rng.uniform(1.5, 6), [(self.A_INVOICE, [inv, rng.randint(1, 4), c])],
                                                 None))
        # inventory sync from the ERP every two minutes (sidekiq-cron)
        for t in periodic(rng, 0, D, 120, phase=rng.uniform(0, 120), jitter=0.3):
            schedule(t, 'InventorySyncJob', 'default', '',
                     lambda t, a: (rng.uniform(1, 4.5), [(self.A_SYNC, [rng.randint(40, 900), 'erp.example.com',
                                                                        rng.randint(700, 4200)])], None))
        # cart reminders every ten minutes
        for t in periodic(rng, 0, D, 600, phase=rng.uniform(0, 600), jitter=0.3):
            def mk(t, a):
                app = [(self.A_SKIP, [rng.randint(10000, 99999)]) for _ in range(weighted(rng, [(0, 3), (1, 3),
                                                                                               (2, 1)]))]
                return rng.uniform(0.5, 3), app, None
            schedule(t, 'CartReminderJob', 'low', '', mk)
        # reports, on request
        for t in [0.09 * D, 0.33 * D, 0.66 * D, 0.9 * D]:
            rid = rng.randint(700, 900)
            schedule(t, 'ReportExportJob', 'low', '%d,"sales_by_region"' % rid,
                     lambda t, a, rid=rid: (rng.uniform(20, 90), [(self.A_REPORT, [
                         rid, rng.randint(2000, 90000), 's3://reports-example/exports/%d.csv.gz' % rid])], None))
        # webhook imports from a partner; bad payloads are not retried
        for t in poisson(rng, 0, D, 700):
            def mk(t, a):
                if rng.random() < 0.4:
                    return rng.uniform(0.005, 0.02), (), e_json(weighted(rng, [('<html>', 2), ("{'order': 1}", 1),
                                                                                ('', 0)]))
                return rng.uniform(0.05, 0.4), (), None
            schedule(t, 'ImportWebhookJob', 'default', '%d' % rng.randint(5000, 9000), mk, retry='false')
        # jobs enqueued by the old code, run by the new code after the deploy
        for k in range(2):
            schedule(T_DEPLOY + 10 + rng.uniform(0, 20), 'LegacyCouponJob', 'default',
                     '%d,"SPRING%d"' % (rng.randint(10000, 99999), rng.randint(10, 30)),
                     lambda t, a: (rng.uniform(0.001, 0.004), (), e_args()), max_retries=3)

        # ---- a long report still running at the deploy
        rid = 911
        h = {'pid': PID_OLD, 'tid': tids[PID_OLD][3], 'cls': 'ReportExportJob', 'jid': hexs(rng, 24)}
        timed.append((T_DEPLOY - 140, [R(self.START, [], h=h)]))
        # ---- deploy: the old process is stopped, a new one boots
        hm = {'pid': PID_OLD, 'tid': main_tid[PID_OLD]}
        timed.append((T_DEPLOY, [R(self.SHUTDOWN, [], h=hm), R(self.TERMQUIET, ['default'], h=hm),
                                 R(self.SCHEDEXIT, [], h=hm, dt=0.002), R(self.PAUSING, [], h=hm, dt=0.0005),
                                 R(self.BUSY, [1], h=hm, dt=24.997), R(self.PUSHED, [1], h=hm, dt=0.004),
                                 R(self.BYE, [], h=hm, dt=0.3)]))
        hn = {'pid': PID_NEW, 'tid': main_tid[PID_NEW]}
        url = '{:url=>"redis://redis.example.net:6379/0"}'
        timed.append((T_DEPLOY + 26.4, [
            R(self.BOOT, ['7.2.2', 'Sidekiq::RedisConnection::RedisClientAdapter', url], h=hn),
            R(self.RUNNING, ['ruby 3.2.3 (2024-01-18 revision 52bb2ac0a6) +YJIT [x86_64-linux]'], h=hn),
            R(self.LICENSE, [], h=hn),
            R(self.CONNECTING, ['7.2.2', '{:size=>10, :pool_name=>"internal", '
                                         ':url=>"redis://redis.example.net:6379/0"}'], h=hn, dt=0.02),
            R(self.STARTPROC, [], h=hn, dt=0.01)]))

        # ---- Redis fails over: every processor thread loses its fetch
        frames = ['%sredis-client-0.20.0/lib/redis_client/ruby_connection.rb:%d:in `%s\'' % (GEMS, n, f) for n, f in [
            (139, 'rescue in connect'), (135, 'connect'), (55, 'initialize')]] + [
            '%sredis-client-0.20.0/lib/redis_client.rb:%d:in `%s\'' % (GEMS, n, f) for n, f in [
                (750, 'new'), (750, 'block in connect')]]
        err = 'Connection refused - connect(2) for 10.0.3.5:6379'
        for th in tids[PID_NEW]:
            hh = {'pid': PID_NEW, 'tid': th}
            timed.append((T_REDIS + rng.uniform(0, 2.2), [
                R(self.FETCHERR, [err], h=hh), R(self.EX_REDIS, ['10.0.3.5:6379'], h=hh),
                R(self.BT, [frames[0]], conts=frames[1:], h=hh)]))
            timed.append((T_REDIS + REDIS_OUT + rng.uniform(0, 1.5), [
                R(self.ONLINE, [AtTs(lambda ts: repr(REDIS_OUT + rng.uniform(-1.5, 1.5)))], h=hh)]))
        for k in range(2):
            timed.append((T_REDIS + 4 + 10 * k, [R(self.HEARTBEAT, [err], h={'pid': PID_NEW,
                                                                               'tid': main_tid[PID_NEW]})]))

        def filler(t):
            h = {'pid': PID_NEW, 'tid': tids[PID_NEW][0], 'cls': 'SearchIndexJob', 'jid': hexs(rng, 24)}
            return t, [R(self.START, [], h=h)]

        return [], timed, [], filler


# ----------------------------------------------------------------------------
# 5. Caddy 2.7 web server / reverse proxy, default JSON logs (zap)
# ----------------------------------------------------------------------------

def http_date(ts):
    return '%s, %02d %s %d %s GMT' % (DAYS[ts.weekday()], ts.day, MONTHS[ts.month - 1], ts.year,
                                      ts.strftime('%H:%M:%S'))


def jheaders(pairs):
    """A Go http.Header as Caddy's logger writes it: a JSON object of string arrays."""
    return '{' + ','.join('"%s":[%s]' % (k, ','.join(json.dumps(x, ensure_ascii=False) for x in v))
                          for k, v in pairs) + '}'


REQ = ('"request":{"remote_ip":"<*>","remote_port":"<*>","client_ip":"<*>","proto":"<*>","method":"<*>",'
       '"host":"<*>","uri":"<*>","headers":<*>')
TLSO = ',"tls":{"resumed":<*>,"version":<*>,"cipher_suite":<*>,"proto":"<*>","server_name":"<*>"}}'


class Caddy(System):
    name = 'Caddy'
    seed = 9505
    start = datetime(2024, 3, 23, 7, 58, 12, 104000)
    header_re = (r'^\{"level":"(?P<level>debug|info|warn|error|fatal)","ts":(?P<ts>\d+\.\d+),'
                 r'(?:"logger":"(?P<logger>[\w.]+)",)?(?P<msg>"msg":.*\})$')

    def header(self, meta, ts, h):
        t = epoch(ts) + self.rng.randint(0, 999) * 1e-9
        lg = h.get('logger', meta.get('logger'))
        return '{"level":"%s","ts":%s,%s' % (h.get('lvl', meta.get('lvl', 'info')), rfloat(t, 7),
                                             ('"logger":"%s",' % lg) if lg else '')

    def ts_key(self, m):
        a, b = m.group('ts').split('.')
        return (int(a), b.ljust(9, '0'))

    def in_chunk_gap(self):
        return self.rng.uniform(0.00002, 0.0008)

    def define(self):
        ev = self.ev
        self.ACC = ev('"msg":"handled request",' + REQ + TLSO + ',"bytes_read":<*>,"user_id":"","duration":<*>,'
                      '"size":<*>,"status":<*>,"resp_headers":<*>}')
        self.ACC_USER = ev('"msg":"handled request",' + REQ + TLSO + ',"bytes_read":<*>,"user_id":"<*>",'
                           '"duration":<*>,"size":<*>,"status":<*>,"resp_headers":<*>}')
        self.ACC_PLAIN = ev('"msg":"handled request",' + REQ + '},"bytes_read":<*>,"user_id":"","duration":<*>,'
                            '"size":<*>,"status":<*>,"resp_headers":<*>}')
        self.ERRLOG = ev('"msg":"<*>",' + REQ + TLSO + ',"duration":<*>,"status":<*>,"err_id":"<*>",'
                         '"err_trace":"<*>"}')
        self.ABORT = ev('"msg":"aborting with incomplete response","upstream":"<*>","duration":<*>,' + REQ + TLSO +
                        ',"error":"<*>"}', lvl='error', logger='http.handlers.reverse_proxy')
        HC = dict(logger='http.handlers.reverse_proxy.health_checker.active')
        self.HC_FAIL = ev('"msg":"HTTP request failed","host":"<*>","error":"<*>"}', **HC)
        self.HC_DOWN = ev('"msg":"host is down","host":"<*>"}', **HC)
        self.HC_UP = ev('"msg":"host is up","host":"<*>"}', **HC)
        # start-up and config reloads
        self.CFG = ev('"msg":"using provided configuration","config_file":"<*>","config_adapter":"<*>"}')
        self.ADMIN = ev('"msg":"admin endpoint started","address":"<*>","enforce_origin":<*>,"origins":[<*>]}',
                        logger='admin')
        self.TLSPOL = ev('"msg":"server is listening only on the HTTPS port but has no TLS connection policies; '
                         'adding one to enable TLS","server_name":"<*>","https_port":<*>}', logger='http.auto_https')
        self.REDIR = ev('"msg":"enabling automatic HTTP->HTTPS redirects","server_name":"<*>"}',
                        logger='http.auto_https')
        self.MAINT = ev('"msg":"started background certificate maintenance","cache":"<*>"}',
                        logger='tls.cache.maintenance')
        self.H3 = ev('"msg":"enabling HTTP/3 listener","addr":"<*>"}', logger='http')
        self.RUNNING = ev('"msg":"server running","name":"<*>","protocols":[<*>]}', logger='http.log')
        self.AUTOMGMT = ev('"msg":"enabling automatic TLS certificate management","domains":[<*>]}', logger='http')
        self.AUTOSAVE = ev('"msg":"autosaved config (load with --resume flag)","file":"<*>"}')
        self.SERVING = ev('"msg":"serving initial configuration"}')
        self.CLEANING = ev('"msg":"cleaning storage unit","storage":"<*>"}', logger='tls')
        self.CLEANED = ev('"msg":"finished cleaning storage units"}', logger='tls')
        self.RECV = ev('"msg":"received request","method":"<*>","host":"<*>","uri":"<*>","remote_ip":"<*>",'
                       '"remote_port":"<*>","headers":<*>}', logger='admin.api')
        self.SHUTDOWN = ev('"msg":"servers shutting down with eternal grace period"}', logger='http')
        self.STOPPED = ev('"msg":"stopped previous server","address":"<*>"}', logger='admin')
        self.LOADED = ev('"msg":"load complete"}', logger='admin.api')
        # certificate renewal against the internal ACME CA
        self.EXPIRING = ev('"msg":"certificate expires soon; queuing for renewal","identifiers":[<*>],'
                           '"remaining":<*>}', logger='tls.cache.maintenance')
        self.ACQ = ev('"msg":"acquiring lock","identifier":"<*>"}', logger='tls.renew')
        self.ACQD = ev('"msg":"lock acquired","identifier":"<*>"}', logger='tls.renew')
        self.RENEWING = ev('"msg":"renewing certificate","identifier":"<*>","remaining":<*>}', logger='tls.renew')
        self.WAITING = ev('"msg":"waiting on internal rate limiter","identifiers":[<*>],"ca":"<*>","account":"<*>"}',
                          logger='tls.issuance.acme')
        self.DONEWAIT = ev('"msg":"done waiting on internal rate limiter","identifiers":[<*>],"ca":"<*>",'
                           '"account":"<*>"}', logger='tls.issuance.acme')
        AC = dict(logger='tls.issuance.acme.acme_client')
        self.TRYING = ev('"msg":"trying to solve challenge","identifier":"<*>","challenge_type":"<*>","ca":"<*>"}',
                         **AC)
        self.AUTHZ = ev('"msg":"authorization finalized","identifier":"<*>","authz_status":"<*>"}', **AC)
        self.FINALIZING = ev('"msg":"validations succeeded; finalizing order","order":"<*>"}', **AC)
        self.DOWNLOADED = ev('"msg":"successfully downloaded available certificate chains","count":<*>,'
                             '"first_url":"<*>"}', **AC)
        self.RENEWED = ev('"msg":"certificate renewed successfully","identifier":"<*>"}', logger='tls.renew')
        self.RELEASING = ev('"msg":"releasing lock","identifier":"<*>"}', logger='tls.renew')
        self.RELOADCERT = ev('"msg":"reloading managed certificate","identifiers":[<*>]}', logger='tls')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 1.9 * 3600
        timed = []
        LBS = ['10.0.0.5', '10.0.0.6']
        UPS = ['10.0.4.21:8080', '10.0.4.22:8080', '10.0.4.23:8080']
        CA = 'https://acme.example.net/acme/acme/directory'
        ACCOUNT = 'ops@example.com'
        SITES = ['shop.example.com', 'static.example.com', 'admin.example.com']
        UAS = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.94 '
               'Safari/537.36',
               'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) '
               'Version/17.3 Safari/605.1.15',
               'Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0',
               'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
               'Version/17.3 Mobile/15E148 Safari/604.1',
               'ShopApp/4.12.0 (Android 14; Pixel 7)']
        clients = ['192.168.%d.%d' % (rng.randint(0, 40), rng.randint(2, 250)) for _ in range(25)] + \
                  ['172.%d.%d.%d' % (rng.randint(16, 31), rng.randint(0, 255), rng.randint(2, 250))
                   for _ in range(15)]
        state = {'down': set()}

        def tls_vals(host, proto):
            if proto == 'HTTP/3.0':
                return ['false', 772, 4865, 'h3', host]
            ver = weighted(rng, [(772, 9), (771, 1)])
            return [rng.choice(['false', 'false', 'true']), ver, 4865 if ver == 772 else 49199,
                    'h2' if proto == 'HTTP/2.0' else 'http/1.1', host]

        def req_headers(ua, client, extra=()):
            hs = [('User-Agent', [ua]), ('Accept', [rng.choice(['*/*', 'text/html,application/xhtml+xml,'
                                                                'application/xml;q=0.9,*/*;q=0.8',
                                                                'application/json'])]),
                  ('Accept-Encoding', ['gzip, deflate, br']), ('X-Forwarded-For', [client]),
                  ('X-Forwarded-Proto', ['https'])] + list(extra)
            if rng.random() < 0.6:
                hs.append(('Cookie', ['REDACTED']))
            rng.shuffle(hs)
            return jheaders(hs)

        def resp_headers(ctype, size, status, extra=()):
            def f(ts):
                hs = [('Server', ['Caddy']), ('Alt-Svc', ['h3=":443"; ma=2592000']), ('Date', [http_date(ts)])]
                if status not in (204, 304):
                    hs += [('Content-Type', [ctype]), ('Content-Length', [str(size)])]
                hs += list(extra)
                return jheaders(hs)
            return AtTs(f)

        def request(host, method, uri, status, size, dur, ctype, proto=None, user=None, lb=None, client=None,
                    extra_req=(), extra_resp=(), bytes_read=0):
            lb = lb or rng.choice(LBS)
            client = client or rng.choice(clients)
            proto = proto or weighted(rng, [('HTTP/2.0', 7), ('HTTP/1.1', 2), ('HTTP/3.0', 1)])
            ua = rng.choice(UAS)
            vals = [lb, str(port(rng)), client, proto, method, host, uri, req_headers(ua, client, extra_req)]
            vals += tls_vals(host, proto)
            tail = [bytes_read, rfloat(dur, 9), size, status, resp_headers(ctype, size, status, extra_resp)]
            lg = {'shop.example.com': 'http.log.access.log0', 'static.example.com': 'http.log.access.log1',
                  'admin.example.com': 'http.log.access.log2'}[host]
            h = {'logger': lg}
            if status >= 500:
                h['lvl'] = 'error'
            if user:
                return R(self.ACC_USER, vals + [bytes_read, user] + tail[1:], h=h), vals
            return R(self.ACC, vals + tail, h=h), vals

        # ---- shop: a reverse proxy to three app servers
        products = ['trail-runner-%d' % k for k in range(1, 9)] + ['rain-shell-%s' % c for c in 'abc'] + \
                   ['merino-sock-%d' % k for k in range(1, 6)]

        def shop_req(t):
            method, uri, status, ctype = weighted(rng, [
                (('GET', '/', 200, 'text/html; charset=utf-8'), 8),
                (('GET', '/products/%s' % rng.choice(products), 200, 'text/html; charset=utf-8'), 10),
                (('GET', '/api/products?page=%d&per_page=24' % rng.randint(1, 9), 200,
                  'application/json; charset=utf-8'), 7),
                (('GET', '/api/cart', 200, 'application/json; charset=utf-8'), 6),
                (('POST', '/api/cart/items', 201, 'application/json; charset=utf-8'), 3),
                (('DELETE', '/api/cart/items/%d' % rng.randint(100, 999), 204, 'application/json'), 1),
                (('POST', '/api/checkout', 201, 'application/json; charset=utf-8'), 1),
                (('GET', '/api/orders/%d' % rng.randint(480000, 490000), 200, 'application/json; charset=utf-8'), 2),
                (('GET', '/products/%s' % rng.choice(['old-winter-jacket', 'gift-card-legacy']), 404,
                  'text/html; charset=utf-8'), 1),
                (('POST', '/login', 302, 'text/html; charset=utf-8'), 1)])
            size = {200: rng.randint(900, 48000), 201: rng.randint(120, 900), 204: 0, 302: 0, 404: 1543}[status]
            br = rng.randint(40, 600) if method == 'POST' else 0
            dur = rng.lognormvariate(-3.6, 0.8)
            return request('shop.example.com', method, uri, status, size, dur, ctype, bytes_read=br)

        for t in poisson(rng, 0, D, 6.2):
            r, vals = shop_req(t)
            timed.append((t, [r]))
        # ---- static assets, mostly revalidated
        assets = ['/assets/app-%s.js' % hexs(rng, 8), '/assets/app-%s.css' % hexs(rng, 8),
                  '/assets/vendor-%s.js' % hexs(rng, 8), '/img/hero-spring.webp', '/img/logo.svg',
                  '/fonts/inter-var.woff2']
        for t in poisson(rng, 0, D, 13):
            a = rng.choice(assets)
            ct = {'js': 'text/javascript; charset=utf-8', 'css': 'text/css; charset=utf-8', 'webp': 'image/webp',
                  'svg': 'image/svg+xml', 'woff2': 'font/woff2'}[a.rsplit('.', 1)[1]]
            st = weighted(rng, [(200, 4), (304, 6)])
            size = 0 if st == 304 else rng.randint(4000, 380000)
            etag = ('Etag', ['"%s"' % b64s(rng, 12).lower().replace('+', 'a').replace('/', 'b')])
            r, _ = request('static.example.com', 'GET', a, st, size, rng.uniform(0.0001, 0.004), ct,
                           extra_resp=[etag, ('Last-Modified', ['Mon, 18 Mar 2024 14:02:51 GMT'])])
            timed.append((t, [r]))
        # ---- the admin site behind basic auth
        for t in poisson(rng, 0, D, 70):
            who = rng.choice(['ops-alice', 'ops-bob', 'ops-carol', None])
            uri = rng.choice(['/', '/orders?status=open', '/api/stats/today', '/api/orders/export?from=2024-03-01'])
            if who is None:
                r, _ = request('admin.example.com', 'GET', uri, 401, 0, rng.uniform(0.00005, 0.0003), 'text/plain',
                               extra_resp=[('Www-Authenticate', ['Basic realm="restricted"'])])
            else:
                r, _ = request('admin.example.com', 'GET', uri, 200, rng.randint(2000, 90000),
                               rng.lognormvariate(-2.8, 0.7), 'application/json; charset=utf-8', user=who)
            timed.append((t, [r]))
        # ---- load-balancer health checks on the plain-HTTP listener
        for lb in LBS:
            for t in periodic(rng, 0, D, 30, phase=rng.uniform(0, 30), jitter=0.05):
                vals = [lb, str(port(rng)), lb, 'HTTP/1.1', 'GET', '10.0.4.10:8081', '/healthz',
                        jheaders([('User-Agent', ['HAProxy/2.8']), ('Connection', ['close'])])]
                timed.append((t, [R(self.ACC_PLAIN, vals + [0, rfloat(rng.uniform(0.00002, 0.00009), 9), 2, 200,
                                                            resp_headers('text/plain; charset=utf-8', 2, 200)],
                                    h={'logger': 'http.log.access.log3'})]))

        # ---- a rolling deploy of the app servers: each upstream is gone for ~40 s
        for k, up in enumerate(UPS):
            T = (0.58 + 0.06 * k) * D
            ip = up.split(':')[0]
            err = 'dial tcp %s: connect: connection refused' % up
            ch = []
            # requests that still reach it before the health checker notices
            for j in range(rng.randint(2, 4)):
                r, vals = shop_req(T)
                d = rng.uniform(0.0005, 0.003)
                hh = dict(r.h)
                hh['logger'] = 'http.log.error.log0'
                hh['lvl'] = 'error'
                err_rec = R(self.ERRLOG, [err] + vals + [rfloat(d, 9), 502, b64s(rng, 9).lower().replace(
                    '+', 'k').replace('/', 'm'), 'reverseproxy.statusError (reverseproxy.go:1267)'], h=hh,
                    dt=rng.uniform(0.1, 3))
                acc_vals = vals + [0, rfloat(d, 9), 0, 502, resp_headers('text/plain', 0, 502)]
                acc = R(self.ACC, acc_vals, h={'logger': 'http.log.access.log0', 'lvl': 'error'}, dt=0.00002)
                ch += [err_rec, acc]
            ch += [R(self.HC_FAIL, [up, js('Get "http://%s/up": %s' % (up, err))], dt=rng.uniform(0.5, 4)),
                   R(self.HC_DOWN, [up], dt=0.00003)]
            ch += [R(self.HC_FAIL, [up, js('Get "http://%s/up": %s' % (up, err))], dt=10.0 + rng.uniform(0, 0.01))
                   for _ in range(rng.randint(1, 3))]
            ch.append(R(self.HC_UP, [up], dt=10.0 + rng.uniform(0, 0.01)))
            timed.append((T, ch))
        # a client that goes away mid-response, twice
        for t in [0.22 * D, 0.81 * D]:
            r, vals = shop_req(t)
            up = rng.choice(UPS)
            timed.append((t, [R(self.ABORT, [up, rfloat(rng.uniform(0.2, 2), 9)] + vals + [
                'reading: context canceled'])]))

        # ---- certificate renewals (the internal CA issues 30-day certificates)
        def renew(t, dom):
            rem = rng.uniform(700000, 720000)
            order = '%s/../order/%s' % (CA.rsplit('/', 1)[0], b64s(rng, 32).replace('/', '_').replace('+', '-'))
            order = order.replace('/directory/../', '/')
            ch = [R(self.EXPIRING, ['"%s"' % dom, rfloat(rem, 9)]),
                  R(self.ACQ, [dom], dt=0.0003), R(self.ACQD, [dom], dt=0.0004),
                  R(self.RENEWING, [dom, rfloat(rem - 0.001, 9)], dt=0.0002),
                  R(self.WAITING, ['"%s"' % dom, CA, ACCOUNT], dt=0.0003),
                  R(self.DONEWAIT, ['"%s"' % dom, CA, ACCOUNT], dt=0.00001),
                  R(self.TRYING, [dom, 'tls-alpn-01', CA], dt=rng.uniform(0.05, 0.2)),
                  R(self.AUTHZ, [dom, 'valid'], dt=rng.uniform(0.3, 1.5)),
                  R(self.FINALIZING, [order], dt=0.01),
                  R(self.DOWNLOADED, [1, '%s/certificate/%s' % (CA.rsplit('/', 1)[0], b64s(rng, 32).replace(
                      '/', '_').replace('+', '-'))], dt=rng.uniform(0.05, 0.4)),
                  R(self.RENEWED, [dom], dt=0.0006),
                  R(self.RELEASING, [dom], dt=0.0002),
                  R(self.RELOADCERT, ['"%s"' % dom], dt=0.0002)]
            timed.append((t, ch))
        renew(0.31 * D, 'static.example.com')
        renew(0.73 * D, 'shop.example.com')

        # ---- start-up
        def apply_cfg(domains, first):
            ch = []
            if first:
                ch.append(R(self.ADMIN, ['localhost:2019', 'false',
                                         '"//localhost:2019","//[::1]:2019","//127.0.0.1:2019"'], dt=0.0004))
            ch += [R(self.TLSPOL, ['srv0', 443], dt=0.0002), R(self.REDIR, ['srv0'], dt=0.00003),
                   R(self.H3, [':443'], dt=0.0003), R(self.RUNNING, ['srv0', '"h1","h2","h3"'], dt=0.0001),
                   R(self.RUNNING, ['remaining_auto_https_redirects', '"h1","h2","h3"'], dt=0.00005),
                   R(self.RUNNING, ['srv1', '"h1","h2","h3"'], dt=0.00005),
                   R(self.AUTOMGMT, [','.join('"%s"' % d for d in domains)], dt=0.0001)]
            if first:
                ch.append(R(self.MAINT, ['0xc000%06x' % rng.randrange(0, 0xffffff, 0x80)], dt=0.0002))
            return ch
        st = [R(self.CFG, ['/etc/caddy/Caddyfile', 'caddyfile'])]
        st += apply_cfg(SITES, True)
        st += [R(self.AUTOSAVE, ['/var/lib/caddy/.config/caddy/autosave.json'], dt=0.002),
               R(self.SERVING, [], dt=0.00002),
               R(self.CLEANING, ['FileStorage:/var/lib/caddy/.local/share/caddy'], dt=0.0005),
               R(self.CLEANED, [], dt=0.003)]
        # ---- a config change (a redirect for a retired path) is loaded through the admin API
        T = 0.45 * D
        ch = [R(self.RECV, ['POST', 'localhost:2019', '/load', '127.0.0.1', str(port(rng)),
                            jheaders([('Accept-Encoding', ['gzip']), ('Content-Length', ['4107']),
                                      ('Content-Type', ['text/caddyfile']), ('Origin', ['http://localhost:2019']),
                                      ('User-Agent', ['Go-http-client/1.1'])])])]
        ch += apply_cfg(SITES, False)
        ch += [R(self.SHUTDOWN, [], dt=0.0004), R(self.STOPPED, ['localhost:2019'], dt=0.0002),
               R(self.AUTOSAVE, ['/var/lib/caddy/.config/caddy/autosave.json'], dt=0.002),
               R(self.LOADED, [], dt=0.00003)]
        timed.append((T, ch))

        def filler(t):
            r, _ = shop_req(t)
            return t, [r]

        return st, timed, [], filler


# ----------------------------------------------------------------------------
# 6. Ansible (ansible-core 2.15) control node: ansible.log of scheduled and CI runs
# ----------------------------------------------------------------------------

def banner(msg):
    """Display.banner(): the text, a space and stars up to 80 columns (at least three)."""
    return '*' * max(3, 79 - len(msg))


def adump(d, indent=None):
    """The default callback's _dump_results: json.dumps with sorted keys."""
    return json.dumps(d, sort_keys=True, indent=indent, ensure_ascii=False)


class Ansible(System):
    name = 'Ansible'
    seed = 9606
    start = datetime(2024, 3, 24, 6, 5, 1, 302000)
    header_re = (r'^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) p=(?P<pid>\d+) u=(?P<user>[\w.-]+) '
                 r'n=(?P<logger>[\w.]+) \| (?P<msg>.+)$')

    def header(self, meta, ts, h):
        return '%s,%03d p=%d u=%s n=ansible | ' % (ts.strftime('%Y-%m-%d %H:%M:%S'), ts.microsecond // 1000,
                                                   h['pid'], h['user'])

    def ts_key(self, m):
        return m.group('ts')

    def define(self):
        ev = self.ev
        self.PLAY = ev('PLAY [<*>] <*>')
        self.TASK = ev('TASK [<*>] <*>')
        self.HANDLER = ev('RUNNING HANDLER [<*>] <*>')
        self.RECAP = ev('PLAY RECAP <*>')
        self.NOMORE = ev('NO MORE HOSTS LEFT <*>')
        self.OK = ev('ok: [<*>]')
        self.CHANGED = ev('changed: [<*>]')
        self.SKIP = ev('skipping: [<*>]')
        self.OK_ITEM = ev('ok: [<*>] => (item=<*>)')
        self.CHANGED_ITEM = ev('changed: [<*>] => (item=<*>)')
        self.SKIP_ITEM = ev('skipping: [<*>] => (item=<*>)')
        self.FAILED_ITEM = ev('failed: [<*>] (item=<*>) => <*>')
        self.OK_DELEG = ev('ok: [<*> -> <*>]')
        self.CHANGED_DELEG = ev('changed: [<*> -> <*>]')
        self.OK_DUMP = ev('ok: [<*>] => <*>')
        self.FATAL = ev('fatal: [<*>]: FAILED! => <*>')
        self.UNREACH = ev('fatal: [<*>]: UNREACHABLE! => <*>')
        self.IGNORING = ev('...ignoring')
        self.RETRY = ev('FAILED - RETRYING: [<*>]: <*> (<*> retries left).')
        self.INCLUDED = ev('included: <*> for <*>')
        self.RECAPLINE = ev('<*> : ok=<*> changed=<*> unreachable=<*> failed=<*> skipped=<*> rescued=<*> ignored=<*>')
        self.EXC = ev('An exception occurred during task execution. To see the full traceback, use -vvv. The error '
                      'was: <*>')
        self.NOMATCH = ev('[WARNING]: Could not match supplied host pattern, ignoring: <*>')
        self.NOHOSTS = ev('skipping: no hosts matched')
        self.APOLL = ev('ASYNC POLL on <*>: jid=<*> started=<*> finished=<*>')
        self.AOK = ev('ASYNC OK on <*>: jid=<*>')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 9.5 * 3600
        timed = []
        WEB = ['web%02d.prod.example.com' % k for k in range(1, 5)]
        APP = ['app%02d.prod.example.com' % k for k in range(1, 4)]
        DB = ['db%02d.prod.example.net' % k for k in range(1, 3)]
        LB = ['lb%02d.prod.example.com' % k for k in range(1, 3)]
        MON = ['mon01.prod.example.org']
        ALL = WEB + APP + DB + LB + MON
        RHEL = set(DB)   # the database hosts run Rocky Linux, the rest Debian
        IP = {h: '10.0.%d.%d' % (4 if h.startswith(('web', 'app')) else 6 if h.startswith('db') else 0,
                                 20 + k) for k, h in enumerate(ALL)}

        class Run:
            """One ansible-playbook process: builds its records in order and keeps the recap counters."""

            def __init__(run, user, pid):
                run.h = {'pid': pid, 'user': user}
                run.ch = []
                run.stats = {}
                run.dead = set()

            def add(run, eid, vals, dt, conts=()):
                run.ch.append(R(eid, vals, conts=conts, h=run.h, dt=dt))

            def count(run, host, *keys):
                s = run.stats.setdefault(host, dict.fromkeys(
                    ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'], 0))
                for k in keys:
                    s[k] += 1

            def play(run, name, hosts):
                run.add(self.PLAY, [name, banner('PLAY [%s]' % name)], dt=rng.uniform(0.02, 0.2))
                for hh in hosts:
                    run.stats.setdefault(hh, dict.fromkeys(
                        ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'], 0))

            def task(run, name, handler=False):
                run.add(self.HANDLER if handler else self.TASK,
                        [name, banner('%s [%s]' % ('RUNNING HANDLER' if handler else 'TASK', name))],
                        dt=rng.uniform(0.01, 0.3))

            def alive(run, hosts):
                return [hh for hh in hosts if hh not in run.dead]

            def results(run, hosts, outcome, slow=(0.2, 2.5)):
                """outcome(host) -> 'ok' | 'changed' | 'skipping' | list of (status, item) for loops."""
                hosts = run.alive(hosts)
                order = list(hosts)
                rng.shuffle(order)
                first = True
                for hh in order:
                    o = outcome(hh)
                    dt = rng.uniform(*slow) if first else rng.uniform(0.01, slow[1] / 3)
                    first = False
                    if isinstance(o, list):
                        anych = False
                        for st, item in o:
                            eid = {'ok': self.OK_ITEM, 'changed': self.CHANGED_ITEM, 'skipping': self.SKIP_ITEM}[st]
                            run.add(eid, [hh, item], dt=dt)
                            dt = rng.uniform(0.2, 1.5)
                            anych = anych or st == 'changed'
                        if all(st == 'skipping' for st, _ in o):
                            run.count(hh, 'skipped')
                        else:
                            run.count(hh, 'ok', *(['changed'] if anych else []))
                        continue
                    eid = {'ok': self.OK, 'changed': self.CHANGED, 'skipping': self.SKIP}[o]
                    run.add(eid, [hh], dt=dt)
                    run.count(hh, *{'ok': ['ok'], 'changed': ['ok', 'changed'], 'skipping': ['skipped']}[o])

            def recap(run):
                run.add(self.RECAP, [banner('PLAY RECAP')], dt=rng.uniform(0.01, 0.1))
                for hh in sorted(run.stats):
                    s = run.stats[hh]
                    run.add(self.RECAPLINE, ['%-26s' % hh] + ['%-4s' % s[k] for k in [
                        'ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored']], dt=0.0002)

        def pidv():
            return Lazy(lambda ctx: ctx.counter('pid', 40210, 700, 6000))

        def cmd_result(cmd, rc, stdout='', stderr='', changed=True, dur=None):
            dur = dur if dur is not None else rng.uniform(0.004, 0.6)

            def f(ts):
                end = ts - timedelta(seconds=rng.uniform(0.01, 0.05))
                start = end - timedelta(seconds=dur)
                return adump({'changed': changed, 'cmd': cmd, 'delta': '0:00:%09.6f' % dur,
                              'end': end.strftime('%Y-%m-%d %H:%M:%S.%f'), 'msg': 'non-zero return code', 'rc': rc,
                              'start': start.strftime('%Y-%m-%d %H:%M:%S.%f'), 'stderr': stderr,
                              'stderr_lines': stderr.split('\n') if stderr else [], 'stdout': stdout,
                              'stdout_lines': stdout.split('\n') if stdout else []})
            return AtTs(f)

        # ---- the hourly convergence run of site.yml
        admins = ['alice', 'bob']
        sites = [('shop', True), ('static', True), ('legacy', False)]
        reboot_needed = {'web03.prod.example.com', 'db01.prod.example.net'}

        def site_run(k, t):
            run = Run('ansible', pidv())
            unreachable = {'db02.prod.example.net'} if k == 1 else set()
            nginx_change = k in (2, 6)
            new_admin = k == 4
            partman = k == 3
            disk_full = k == 5
            users = admins + (['carol'] if k >= 4 else [])
            run.play('Common baseline', ALL)
            run.task('Gathering Facts')
            run.results([hh for hh in ALL if hh not in unreachable], lambda hh: 'ok', slow=(1.5, 4))
            for hh in sorted(unreachable):
                # the SSH connect timeout is 10 s; the other hosts have answered by then
                run.add(self.UNREACH, [hh, adump({'changed': False, 'msg': 'Failed to connect to the host via '
                                                  'ssh: ssh: connect to host %s port 22: Connection timed out'
                                                  % IP[hh], 'unreachable': True})], dt=rng.uniform(4, 6))
                run.count(hh, 'unreachable')
                run.dead.add(hh)
            run.task('common : Install base packages')
            run.results(ALL, lambda hh: 'changed' if k == 3 and hh in WEB[:2] else 'ok', slow=(2, 9))
            run.task('common : Install Debian-only tooling')
            run.results(ALL, lambda hh: 'skipping' if hh in RHEL else 'ok', slow=(1, 4))
            run.task('common : Enable EPEL repository')
            run.results(ALL, lambda hh: 'ok' if hh in RHEL else 'skipping', slow=(0.1, 1.5))
            run.task('common : Configure chrony')
            run.results(ALL, lambda hh: 'ok', slow=(0.5, 2))
            run.task('common : Harden sshd configuration')
            run.results(ALL, lambda hh: 'ok', slow=(0.5, 2))
            run.add(self.INCLUDED, ['/srv/ansible/roles/common/tasks/users.yml',
                                    ', '.join(run.alive(ALL))], dt=rng.uniform(0.05, 0.3))
            run.task('common : Create admin accounts')
            run.results(ALL, lambda hh: [('changed' if (u == 'carol' and new_admin) else 'ok', u) for u in users],
                        slow=(0.4, 1.5))
            run.task('common : Ensure node_exporter is running')
            if disk_full:
                hh = MON[0]
                run.results([h for h in ALL if h != hh], lambda x: 'ok', slow=(0.4, 1.5))
                run.add(self.EXC, ['OSError: [Errno 28] No space left on device'], dt=rng.uniform(0.3, 1))
                run.add(self.FATAL, [hh, adump({'changed': False, 'msg': 'Unexpected failure during module '
                                                'execution: [Errno 28] No space left on device', 'stdout': ''})],
                        dt=0.001)
                run.count(hh, 'failed')
                run.dead.add(hh)
            else:
                run.results(ALL, lambda hh: 'ok', slow=(0.4, 1.5))
            run.task('common : Check whether a reboot is required')
            for hh in run.alive(ALL):
                if hh in reboot_needed and (hh not in RHEL or k >= 2):
                    if hh in RHEL:
                        res = cmd_result(['needs-restarting', '-r'], 1, stdout=(
                            'Core libraries or services have been updated since boot-up:\n  * kernel\n\nReboot is '
                            'required to fully utilize these updates.'), changed=False)
                    else:
                        res = cmd_result(['test', '!', '-f', '/var/run/reboot-required'], 1, changed=False)
                    run.add(self.FATAL, [hh, res], dt=rng.uniform(0.3, 1.2))
                    run.add(self.IGNORING, [], dt=0.0003)
                    run.count(hh, 'ignored')
            run.results([h for h in ALL if not (h in reboot_needed and (h not in RHEL or k >= 2))],
                        lambda hh: 'ok', slow=(0.3, 1.2))

            run.play('Web servers', WEB)
            run.task('nginx : Install nginx')
            run.results(WEB, lambda hh: 'ok', slow=(0.5, 2))
            run.task('nginx : Deploy site configuration')
            run.results(WEB, lambda hh: [('skipping' if not en else 'changed' if (nginx_change and s == 'shop')
                                          else 'ok', s) for s, en in sites], slow=(0.5, 2))
            run.task('nginx : Validate configuration')
            run.results(WEB, lambda hh: 'ok', slow=(0.3, 1))
            if nginx_change:
                run.task('nginx : reload nginx', handler=True)
                run.results(WEB, lambda hh: 'changed', slow=(0.3, 1))

            run.play('Database servers', DB)
            run.task('postgresql : Render postgresql.conf')
            run.results(DB, lambda hh: 'ok', slow=(0.3, 1))
            run.task('postgresql : Render pg_hba.conf')
            run.results(DB, lambda hh: 'ok', slow=(0.3, 1))
            run.task('postgresql : Ensure extensions')
            exts = ['pg_stat_statements', 'pgcrypto'] + (['pg_partman'] if partman else [])
            for hh in run.alive(DB):
                dt = rng.uniform(0.3, 1)
                for e in exts:
                    if e == 'pg_partman' and hh == DB[0]:
                        run.add(self.FAILED_ITEM, [hh, e, adump({
                            'ansible_loop_var': 'item', 'changed': False, 'item': e,
                            'msg': 'Database query failed: extension "pg_partman" is not available\nDETAIL:  Could '
                                   'not open extension control file "/usr/pgsql-16/share/extension/pg_partman.'
                                   'control": No such file or directory.\nHINT:  The extension must first be '
                                   'installed on the system where PostgreSQL is running.\n'})], dt=dt)
                        run.count(hh, 'failed')
                        run.dead.add(hh)
                        break
                    if hh != DB[0] and e == 'pg_partman':
                        break   # the replica does not run CREATE EXTENSION
                    run.add(self.OK_ITEM, [hh, e], dt=dt)
                    dt = rng.uniform(0.1, 0.6)
                else:
                    run.count(hh, 'ok')
                    continue
                if hh != DB[0]:
                    run.count(hh, 'ok')
            run.task('postgresql : Show replication lag')
            for hh in run.alive(DB):
                if hh == DB[1]:
                    body = adump({'replication_lag.stdout_lines': ['%.3f' % rng.uniform(0.05, 1.8)]},
                                 indent=4).split('\n')
                    run.add(self.OK_DUMP, [hh, body[0]], conts=body[1:], dt=rng.uniform(0.05, 0.3))
                    run.count(hh, 'ok')
                else:
                    run.add(self.SKIP, [hh], dt=rng.uniform(0.05, 0.3))
                    run.count(hh, 'skipped')

            run.play('Load balancers', LB)
            run.task('haproxy : Render haproxy.cfg')
            run.results(LB, lambda hh: 'ok', slow=(0.3, 1))
            run.task('haproxy : Check configuration')
            run.results(LB, lambda hh: 'ok', slow=(0.2, 0.8))
            run.recap()
            timed.append((t, run.ch))

        # ---- deploys from CI (serial: 1 over the app servers)
        def deploy_run(t, release, sha, fail=False, retries=()):
            run = Run('deploy', pidv())
            run.play('Deploy shop application', APP)
            for n, hh in enumerate(APP):
                run.task('Gathering Facts')
                run.results([hh], lambda x: 'ok', slow=(1.5, 3))
                run.task('lb : Disable backend in haproxy')
                for lb in LB:
                    run.add(self.CHANGED_DELEG, [hh, lb], dt=rng.uniform(0.3, 1))
                run.count(hh, 'ok', 'changed')
                run.task('lb : Wait for connections to drain')
                run.add(self.OK_DELEG, [hh, LB[0]], dt=rng.uniform(2, 8))
                run.count(hh, 'ok')
                for name in ['app : Create release directory', 'app : Download release artifact',
                             'app : Unpack release']:
                    run.task(name)
                    run.results([hh], lambda x: 'changed', slow=(0.4, 3))
                run.task('app : Install Python requirements')
                jid = 'j%d.%d' % (rng.randint(100000000000, 999999999999), rng.randint(1000, 99999))
                for _ in range(rng.randint(1, 2)):
                    run.add(self.APOLL, [hh, jid, 1, 0], dt=rng.uniform(10, 10.2))
                run.add(self.AOK, [hh, jid], dt=rng.uniform(3, 9))
                run.add(self.CHANGED, [hh], dt=0.0004)
                run.count(hh, 'ok', 'changed')
                if n == 0:
                    run.task('app : Run database migrations')
                    if fail:
                        stderr = ('Traceback (most recent call last):\n  File "/srv/shop/releases/%s/manage.py", '
                                  'line 22, in <module>\n    main()\ndjango.db.utils.ProgrammingError: column '
                                  '"loyalty_tier" of relation "customers_customer" already exists' % release)
                        run.add(self.FATAL, [hh, cmd_result(['/srv/shop/releases/%s/venv/bin/python' % release,
                                                             'manage.py', 'migrate', '--noinput'], 1,
                                                            stderr=stderr, dur=rng.uniform(3, 6))],
                                dt=rng.uniform(4, 7))
                        run.count(hh, 'failed')
                        run.dead.add(hh)
                        run.add(self.NOMORE, [banner('NO MORE HOSTS LEFT')], dt=0.01)
                        run.recap()
                        timed.append((t, run.ch))
                        return
                    run.results([hh], lambda x: 'changed', slow=(4, 12))
                run.task('app : Switch current symlink')
                run.results([hh], lambda x: 'changed', slow=(0.3, 1))
                run.task('app : restart shop-app', handler=True)
                run.results([hh], lambda x: 'changed', slow=(1, 3))
                run.task('app : Wait for health endpoint')
                for left in range(10, 10 - (retries[n] if n < len(retries) else 0), -1):
                    run.add(self.RETRY, [hh, 'app : Wait for health endpoint', left - 1], dt=rng.uniform(2, 3))
                run.results([hh], lambda x: 'ok', slow=(0.3, 2))
                run.task('lb : Enable backend in haproxy')
                for lb in LB:
                    run.add(self.CHANGED_DELEG, [hh, lb], dt=rng.uniform(0.3, 1))
                run.count(hh, 'ok', 'changed')
                run.task('app : Show deployed release')
                body = adump({'msg': 'shop %s (%s) is live on %s' % (release, sha, hh)}, indent=4).split('\n')
                run.add(self.OK_DUMP, [hh, body[0]], conts=body[1:], dt=rng.uniform(0.05, 0.2))
                run.count(hh, 'ok')
            run.recap()
            timed.append((t, run.ch))

        # ---- an operator's manual run with a mistyped limit
        def manual_run(t):
            run = Run('jdoe', pidv())
            run.add(self.NOMATCH, ['monitoring'], dt=0.0)
            for p in ['Common baseline', 'Web servers', 'Database servers', 'Load balancers']:
                run.add(self.PLAY, [p, banner('PLAY [%s]' % p)], dt=rng.uniform(0.01, 0.05))
                run.add(self.NOHOSTS, [], dt=rng.uniform(0.001, 0.01))
            run.recap()
            timed.append((t, run.ch))

        for k, t in enumerate(periodic(rng, 0, D, 3600, phase=0, jitter=2)):
            site_run(k, t)
        deploy_run(2.55 * 3600, '2024.03.24-1', hexs(rng, 7), retries=(0, 2, 0))
        manual_run(3.3 * 3600)
        deploy_run(4.2 * 3600, '2024.03.24-2', hexs(rng, 7), fail=True)
        deploy_run(4.75 * 3600, '2024.03.24-3', hexs(rng, 7), retries=(1, 0, 0))

        def filler(t):
            return t, [R(self.OK, [ALL[0]], h={'pid': 40001, 'user': 'ansible'})]

        return [], timed, [], filler


SYSTEMS = [Dovecot, Containerd, PgBouncer, Sidekiq, Caddy, Ansible]


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
        print('%-10s events=%d lines=%d records=%d continuation=%d top=%.0f%% top3=%.0f%% once=%d rare(<=5)=%d' % (
            w, st['events'], st['lines'], n, st['continuation'], 100.0 * rc[0] / n, 100.0 * sum(rc[:3]) / n,
            sum(1 for c in rc if c == 1), sum(1 for c in rc if c <= 5)))


if __name__ == '__main__':
    main(sys.argv)
