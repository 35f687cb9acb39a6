#!/usr/bin/env python3
"""Generate the logs-heldout-7 corpus: six synthetic, labelled 2,000-line logs.

Standard library only, deterministic (a fixed seed per system).

    python3 generate.py            # writes every system
    python3 generate.py Etcd       # writes one system

Each system S gets S/S_2k.log (raw lines, headers included) and
S/S_2k.log_structured.csv (LineId,EventId,EventTemplate, one row per raw line;
continuation lines carry the EventId and template of their record).  After
writing, the files are read back and checked; any failed check raises
RuntimeError.

Unlike the earlier corpora, a log here is not a shuffle of chunks.  Each system
describes independent activities (a cron job, an SSH session, a request, an
outage), each a chunk of records placed at an absolute time on the timeline.
All records are merged by time, so activities interleave the way they do in a
real log, and the merged stream is cut at 2,000 lines.
"""

import csv
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
        """-> start_chunk, [(t0, chunk)], end_chunk, filler_fn(t) -> (t0, one-line chunk)

        Times of the timed chunks count from the end of the start chunk."""
        raise NotImplementedError

    def header(self, meta, ts, h):
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
        lines, labels = [], []
        for t, _, _, r in chosen:
            ts = self.start + timedelta(seconds=t)
            ctx.ts = ts
            template, meta = self.by_id[r.eid]
            msg = fill(template, r.vals, ctx)
            h = {k: resolve(v, ctx) for k, v in r.h.items()}
            lines.append(self.header(meta, ts, h) + msg)
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


def uuid4(rng):
    return '%s-%s-4%s-%s%s-%s' % (hexs(rng, 8), hexs(rng, 4), hexs(rng, 3),
                                  rng.choice('89ab'), hexs(rng, 3), hexs(rng, 12))


def doc_ip(rng):
    return '%s.%d' % (rng.choice(['192.0.2', '198.51.100', '203.0.113']), rng.randint(1, 254))


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


def sd_timespan(s):
    """systemd's format_timespan() with millisecond accuracy."""
    if s < 1:
        return '%dms' % max(1, int(s * 1000))
    if s < 60:
        return ('%.3f' % s).rstrip('0').rstrip('.') + 's'
    m = int(s // 60)
    return '%dmin %ss' % (m, ('%.3f' % (s - 60 * m)).rstrip('0').rstrip('.'))


def js(s):
    """The inside of a JSON string literal."""
    return json.dumps(s, ensure_ascii=False)[1:-1]


def hq(v):
    """hclog quoting of a value: strconv.Quote when it has spaces or quotes."""
    v = str(v)
    if v == '' or any(c in v for c in ' "=\t'):
        return json.dumps(v, ensure_ascii=False)
    return v


def lq(v):
    """logrus text-formatter quoting of a value."""
    v = str(v)
    if v == '' or any(not (c.isalnum() or c in '-._/@^+') for c in v):
        return json.dumps(v, ensure_ascii=False)
    return v


def weighted(rng, pairs):
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


# ----------------------------------------------------------------------------
# 1. systemd journal of one Debian 12 host, `journalctl -o short-iso`
# ----------------------------------------------------------------------------

class Systemd(System):
    name = 'Systemd'
    seed = 7101
    start = datetime(2024, 3, 11, 6, 0, 1, 204000)
    HOST = 'app-03'
    header_re = (r'^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d) (?P<host>[\w.-]+) '
                 r'(?P<ident>[\w.@-]+?)(?:\[(?P<pid>\d+)\])?: (?P<msg>.+)$')

    def header(self, meta, ts, h):
        ident = h.get('ident', meta.get('ident'))
        pid = h.get('pid', meta.get('pid'))
        tag = ident if pid is None else '%s[%s]' % (ident, pid)
        return '%s+00:00 %s %s: ' % (ts.strftime('%Y-%m-%dT%H:%M:%S'), self.HOST, tag)

    def in_chunk_gap(self):
        return self.rng.uniform(0.001, 0.05)

    def define(self):
        ev = self.ev
        P1 = dict(ident='systemd', pid=1)
        # systemd (pid 1): job results, unit log lines
        self.STARTING = ev('Starting <*>...', **P1)
        self.STARTED = ev('Started <*>.', **P1)
        self.STOPPING = ev('Stopping <*>...', **P1)
        self.STOPPED = ev('Stopped <*>.', **P1)
        self.FINISHED = ev('Finished <*>.', **P1)
        self.FAILSTART = ev('Failed to start <*>.', **P1)
        self.CREATED = ev('Created slice <*>.', **P1)
        self.REMOVED = ev('Removed slice <*>.', **P1)
        self.MOUNTING = ev('Mounting <*>...', **P1)
        self.MOUNTED = ev('Mounted <*>.', **P1)
        self.DEACT = ev('<*>: Deactivated successfully.', **P1)
        self.CONSUMED = ev('<*>: Consumed <*> CPU time.', **P1)
        self.EXITED = ev('<*>: Main process exited, code=<*>, status=<*>/<*>', **P1)
        self.FAILRES = ev("<*>: Failed with result '<*>'.", **P1)
        self.SCHED = ev('<*>: Scheduled restart job, restart counter is at <*>.', **P1)
        self.TOOQUICK = ev('<*>: Start request repeated too quickly.', **P1)
        self.OOMUNIT = ev('<*>: A process of this unit has been killed by the OOM killer.', **P1)
        # systemd --user manager
        self.QUEUED = ev('Queued start job for default target <*>.', ident='systemd')
        self.REACHED = ev('Reached target <*>.', ident='systemd')
        self.USTARTUP = ev('Startup finished in <*>.', ident='systemd')
        # logind
        L = dict(ident='systemd-logind', pid=598)
        self.NEWSESS = ev('New session <*> of user <*>.', **L)
        self.LOGGEDOUT = ev('Session <*> logged out. Waiting for processes to exit.', **L)
        self.RMSESS = ev('Removed session <*>.', **L)
        # sshd
        S = dict(ident='sshd')
        self.ACCEPTED = ev('Accepted <*> for <*> from <*> port <*> ssh2: <*>', **S)
        self.RECVDISC = ev('Received disconnect from <*> port <*>:<*>: <*>', **S)
        self.DISCUSER = ev('Disconnected from user <*> <*> port <*>', **S)
        self.INVALID = ev('Invalid user <*> from <*> port <*>', **S)
        self.FAILINV = ev('Failed <*> for invalid user <*> from <*> port <*> ssh2', **S)
        self.FAILED = ev('Failed <*> for <*> from <*> port <*> ssh2', **S)
        self.CLOSEDINV = ev('Connection closed by invalid user <*> <*> port <*> [preauth]', **S)
        self.CLOSEDAUTH = ev('Connection closed by authenticating user <*> <*> port <*> [preauth]', **S)
        # PAM (pam_syslog prefix: the service name comes from the calling program)
        self.PAMOPEN = ev('pam_unix(<*>:session): session opened for user <*>(uid=<*>) by (uid=<*>)')
        self.PAMCLOSE = ev('pam_unix(<*>:session): session closed for user <*>')
        self.PAMUNKNOWN = ev('pam_unix(<*>:auth): check pass; user unknown', **S)
        self.PAMFAIL = ev('pam_unix(<*>:auth): authentication failure; logname= uid=<*> euid=<*> tty=<*> ruser= '
                          'rhost=<*>', **S)
        self.PAMFAILU = ev('pam_unix(<*>:auth): authentication failure; logname= uid=<*> euid=<*> tty=<*> ruser= '
                           'rhost=<*>  user=<*>', **S)
        # cron
        C = dict(ident='CRON')
        self.CMD = ev('(<*>) CMD (<*>)', **C)
        self.NOMTA = ev('(CRON) info (No MTA installed, discarding output)', **C)
        # kernel
        K = dict(ident='kernel')
        self.OOMINV = ev('<*> invoked oom-killer: gfp_mask=<*>(<*>), order=<*>, oom_score_adj=<*>', **K)
        self.OOMCONS = ev('oom-kill:constraint=<*>,nodemask=<*>,cpuset=<*>,mems_allowed=<*>,global_oom,'
                          'task_memcg=<*>,task=<*>,pid=<*>,uid=<*>', **K)
        self.OOMKILLED = ev('<*>: Killed process <*> (<*>) total-vm:<*>kB, anon-rss:<*>kB, file-rss:<*>kB, '
                            'shmem-rss:<*>kB, UID:<*> pgtables:<*>kB oom_score_adj:<*>', **K)
        self.EXT4 = ev('EXT4-fs (<*>): mounted filesystem with<*>. Quota mode: <*>.', **K)
        self.LINKDOWN = ev('<*> <*> <*>: NIC Link is Down', **K)
        self.LINKUP = ev('<*> <*> <*>: NIC Link is Up <*> Mbps <*> Duplex, Flow Control: <*>', **K)

    def plan(self):
        rng = self.rng
        R = Rec
        D = 15.5 * 3600
        timed = []

        def newpid():
            return Lazy(lambda ctx: ctx.counter('pid', 48211, 3, 60))

        # --- cron ---------------------------------------------------------
        def cron_run(user, uid, cmd, mta, dur):
            pid = newpid()
            hh = {'pid': pid}
            ch = [R(self.PAMOPEN, ['cron', user, uid, 0], h=dict(hh, ident='CRON')),
                  R(self.CMD, [user, cmd], h=hh, dt=rng.uniform(0.001, 0.01))]
            if mta:
                ch.append(R(self.NOMTA, [], h=hh, dt=dur))
                dur = rng.uniform(0.001, 0.01)
            ch.append(R(self.PAMCLOSE, ['cron', user], h=dict(hh, ident='CRON'), dt=dur))
            return ch

        for t in periodic(rng, 0, D, 300, phase=298.8, jitter=0.3):
            timed.append((t, cron_run('www-data', 33, 'php /var/www/shop/artisan schedule:run >> /dev/null 2>&1',
                                      False, rng.uniform(0.4, 6))))
        for t in periodic(rng, 0, D, 600, phase=598.8, jitter=0.3):
            timed.append((t + 0.05, cron_run('root', 0, '/usr/local/sbin/rotate-uploads.sh',
                                             rng.random() < 0.3, rng.uniform(0.1, 2))))
        for t in periodic(rng, 0, D, 3600, phase=17 * 60 - 1.2, jitter=0.3):
            timed.append((t, cron_run('root', 0, 'cd / && run-parts --report /etc/cron.hourly', False,
                                      rng.uniform(0.01, 0.1))))

        # --- timers ---------------------------------------------------------
        def oneshot(unit, desc, dur, consumed=None):
            ch = [R(self.STARTING, ['%s - %s' % (unit, desc)]),
                  R(self.DEACT, [unit], dt=dur),
                  R(self.FINISHED, ['%s - %s' % (unit, desc)], dt=rng.uniform(0.0002, 0.002))]
            if consumed:
                ch.append(R(self.CONSUMED, [unit, sd_timespan(consumed)], dt=rng.uniform(0.0001, 0.001)))
            return ch

        for t in periodic(rng, 0, D, 600, phase=599.0, jitter=0.8):
            timed.append((t, oneshot('sysstat-collect.service', 'system activity accounting tool',
                                     rng.uniform(0.01, 0.05))))
        for t in periodic(rng, 0, D, 1800, phase=9 * 60 - 1.0, jitter=0.9):
            timed.append((t, oneshot('phpsessionclean.service', 'Clean php session files', rng.uniform(0.05, 0.4))))
        for t, unit, desc, dur, cpu in [
                (rng.uniform(0.05, 0.15) * D, 'apt-daily.service', 'Daily apt download activities', 21.4, 6.912),
                (rng.uniform(0.5, 0.6) * D, 'apt-daily.service', 'Daily apt download activities', 8.1, 2.304),
                (rng.uniform(0.1, 0.2) * D, 'certbot.service', 'Certbot', 3.2, 1.121),
                (rng.uniform(0.6, 0.7) * D, 'certbot.service', 'Certbot', 2.9, 0.981),
                (rng.uniform(0.3, 0.4) * D, 'man-db.service', 'Daily man-db regeneration', 1.4, 0.412),
                (rng.uniform(0.2, 0.3) * D, 'fstrim.service', 'Discard unused blocks on filesystems from /etc/fstab',
                 0.8, None),
                (rng.uniform(0.4, 0.5) * D, 'systemd-tmpfiles-clean.service', 'Cleanup of Temporary Directories',
                 0.05, None)]:
            timed.append((t, oneshot(unit, desc, dur, cpu)))

        # --- admin SSH sessions -------------------------------------------
        users = [('deploy', 1001, '10.4.0.21'), ('alice', 1002, '10.4.7.33'), ('bob', 1003, '192.168.12.40')]
        keys = {u: '%s SHA256:%s' % (rng.choice(['ED25519', 'RSA', 'ECDSA']),
                                      ''.join(rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
                                                         '0123456789+/') for _ in range(43)))
                for u, _, _ in users}

        def session(user, uid, ip, length):
            sp = newpid()
            um = newpid()
            sess = Lazy(lambda ctx: ctx.counter('session', 212))
            prt = port(rng)
            sh = {'pid': sp}
            uh = {'pid': um}
            slice_ = 'user-%d.slice - User Slice of UID %d' % (uid, uid)
            rund = 'user-runtime-dir@%d.service - User Runtime Directory /run/user/%d' % (uid, uid)
            mgr = 'user@%d.service - User Manager for UID %d' % (uid, uid)
            scope = Lazy(lambda ctx: 'session-%s.scope' % resolve(sess, ctx))
            ch = [R(self.ACCEPTED, ['publickey', user, ip, prt, keys[user]], h=sh),
                  R(self.PAMOPEN, ['sshd', user, uid, 0], h=dict(sh, ident='sshd')),
                  R(self.CREATED, [slice_]),
                  R(self.STARTING, [rund]),
                  R(self.NEWSESS, [sess, user]),
                  R(self.FINISHED, [rund]),
                  R(self.STARTING, [mgr]),
                  R(self.QUEUED, ['default.target'], h=uh, dt=0.03),
                  R(self.CREATED, ['app.slice - User Application Slice'], h=dict(uh, ident='systemd'))]
            for tg in ['paths.target - Paths', 'timers.target - Timers', 'sockets.target - Sockets',
                       'basic.target - Basic System', 'default.target - Main User Target']:
                ch.append(R(self.REACHED, [tg], h=uh))
            ch += [R(self.USTARTUP, ['%dms' % rng.randint(60, 180)], h=uh),
                   R(self.STARTED, [mgr]),
                   R(self.STARTED, [Lazy(lambda ctx: '%s - Session %s of User %s' % (resolve(scope, ctx),
                                                                                      resolve(sess, ctx), user))])]
            ch += [R(self.RECVDISC, [ip, prt, 11, 'disconnected by user'], h=sh, dt=length),
                   R(self.DISCUSER, [user, ip, prt], h=sh),
                   R(self.PAMCLOSE, ['sshd', user], h=dict(sh, ident='sshd')),
                   R(self.DEACT, [scope]),
                   R(self.CONSUMED, [scope, sd_timespan(rng.uniform(0.2, 40))]),
                   R(self.LOGGEDOUT, [sess]),
                   R(self.RMSESS, [sess]),
                   R(self.STOPPING, [mgr], dt=10.0 + rng.uniform(0, 0.1)),
                   R(self.DEACT, ['user@%d.service' % uid], dt=0.2),
                   R(self.STOPPED, [mgr]),
                   R(self.STOPPING, [rund]),
                   R(self.DEACT, ['run-user-%d.mount' % uid]),
                   R(self.DEACT, ['user-runtime-dir@%d.service' % uid]),
                   R(self.STOPPED, [rund]),
                   R(self.REMOVED, [slice_])]
            return ch

        for user, uid, ip in users:
            t = rng.uniform(0.05, 0.3) * D
            while t < D * 0.95:
                length = rng.uniform(120, 2400)
                timed.append((t, session(user, uid, ip, length)))
                t += length + rng.uniform(0.15, 0.5) * D

        # --- SSH scanners ---------------------------------------------------
        bad_users = ['admin', 'test', 'ubuntu', 'oracle', 'postgres', 'git', 'user', 'ftpuser', 'guest', 'pi',
                     'support', 'deployer', 'jenkins', 'minecraft', 'hadoop', 'ansible', 'debian', 'steam']

        def attempt(ip, user):
            pid = newpid()
            hh = {'pid': pid}
            prt = port(rng)
            if user == 'root':
                return [R(self.PAMFAILU, ['sshd', 0, 0, 'ssh', ip, 'root'], h=hh),
                        R(self.FAILED, ['password', 'root', ip, prt], h=hh, dt=rng.uniform(1.5, 3)),
                        R(self.CLOSEDAUTH, ['root', ip, prt], h=hh, dt=rng.uniform(0.2, 1.5))]
            return [R(self.INVALID, [user, ip, prt], h=hh),
                    R(self.PAMUNKNOWN, ['sshd'], h=hh, dt=rng.uniform(0.1, 0.4)),
                    R(self.PAMFAIL, ['sshd', 0, 0, 'ssh', ip], h=hh, dt=0.0005),
                    R(self.FAILINV, ['password', user, ip, prt], h=hh, dt=rng.uniform(1.5, 3)),
                    R(self.CLOSEDINV, [user, ip, prt], h=hh, dt=rng.uniform(0.2, 1.5))]

        for t in poisson(rng, 0, D, 900):
            ip = doc_ip(rng)
            user = 'root' if rng.random() < 0.35 else rng.choice(bad_users)
            timed.append((t, attempt(ip, user)))
        for frac, n in [(0.22, 26), (0.58, 20)]:
            ip = doc_ip(rng)
            t = frac * D
            for _ in range(n):
                t += rng.uniform(2, 9)
                timed.append((t, attempt(ip, 'root' if rng.random() < 0.3 else rng.choice(bad_users))))

        # --- shop-worker crash loop during a database outage ---------------
        W = 'shop-worker.service'
        WD = 'shop-worker.service - Shop queue worker'

        def crash(k):
            return [R(self.EXITED, [W, 'exited', 1, 'FAILURE']),
                    R(self.FAILRES, [W, 'exit-code']),
                    R(self.CONSUMED, [W, sd_timespan(rng.uniform(1.2, 3.5))]),
                    R(self.SCHED, [W, k], dt=5.0 + rng.uniform(0, 0.1)),
                    R(self.STOPPED, [WD]),
                    R(self.STARTED, [WD])]

        ch = []
        for k in range(1, 6):
            c = crash(k)
            c[0].dt = rng.uniform(12, 25)
            ch += c
        ch += [R(self.EXITED, [W, 'exited', 1, 'FAILURE'], dt=rng.uniform(12, 20)),
               R(self.FAILRES, [W, 'exit-code']),
               R(self.CONSUMED, [W, sd_timespan(rng.uniform(1.2, 3.5))]),
               R(self.SCHED, [W, 6], dt=5.05),
               R(self.STOPPED, [WD]),
               R(self.TOOQUICK, [W]),
               R(self.FAILRES, [W, 'exit-code']),
               R(self.FAILSTART, [WD]),
               R(self.STARTED, [WD], dt=rng.uniform(600, 1100))]
        ch[0].dt = None
        timed.append((0.36 * D, ch))

        # --- OOM kills ------------------------------------------------------
        def oom(task, memcg, unit, uid, main):
            kp = Lazy(lambda ctx: ctx.counter('pid', 48211, 3, 60))
            tv = rng.randint(2400000, 3900000)
            ch = [R(self.OOMINV, [rng.choice(['php-fpm8.2', 'python3', 'node']), '0x140cca',
                                  'GFP_HIGHUSER_MOVABLE|__GFP_COMP', 0, 0]),
                  R(self.OOMCONS, ['CONSTRAINT_NONE', '(null)', '/', 0, memcg, task, kp, uid], dt=0.0001),
                  R(self.OOMKILLED, ['Out of memory', kp, task, tv, int(tv * rng.uniform(0.7, 0.9)),
                                     rng.randint(1000, 9000), rng.randint(0, 64), uid, rng.randint(5000, 8000), 0],
                    dt=0.0001)]
            ch.append(R(self.OOMUNIT, [unit], dt=0.05))
            if main:
                ch += [R(self.EXITED, [unit, 'killed', 9, 'KILL']),
                       R(self.FAILRES, [unit, 'oom-kill']),
                       R(self.CONSUMED, [unit, sd_timespan(rng.uniform(300, 2900))]),
                       R(self.SCHED, [unit, 1], dt=5.02),
                       R(self.STOPPED, ['%s - %s' % (unit, 'Shop queue worker')]),
                       R(self.STARTED, ['%s - %s' % (unit, 'Shop queue worker')])]
            return ch

        timed.append((0.63 * D, oom('python3', '/system.slice/shop-worker.service', W, 998, True)))
        timed.append((0.71 * D, oom('php-fpm8.2', '/system.slice/php8.2-fpm.service', 'php8.2-fpm.service', 33,
                                    False)))

        # --- link flaps -----------------------------------------------------
        ch = []
        for i in range(3):
            ch.append(R(self.LINKDOWN, ['e1000e', '0000:00:1f.6', 'eno1'], dt=rng.uniform(20, 90) if i else None))
            ch.append(R(self.LINKUP, ['e1000e', '0000:00:1f.6', 'eno1', 1000, 'Full', 'None'],
                        dt=rng.uniform(3, 8)))
        timed.append((0.47 * D, ch))

        # --- backup with mount -----------------------------------------------
        timed.append((0.41 * D, [
            R(self.STARTING, ['shop-backup.service - Shop database backup']),
            R(self.MOUNTING, ['mnt-backup.mount - /mnt/backup']),
            R(self.EXT4, ['sdb1', ' ordered data mode', 'none'], dt=0.08),
            R(self.MOUNTED, ['mnt-backup.mount - /mnt/backup']),
            R(self.DEACT, ['shop-backup.service'], dt=512.7),
            R(self.FINISHED, ['shop-backup.service - Shop database backup']),
            R(self.CONSUMED, ['shop-backup.service', sd_timespan(251.114)])]))

        def filler(t):
            return t, [R(self.STARTING, ['sysstat-collect.service - system activity accounting tool'])]

        return [], timed, [], filler


# ----------------------------------------------------------------------------
# 2. etcd 3.5 member of a Kubernetes control plane, zap JSON lines
# ----------------------------------------------------------------------------

class Etcd(System):
    name = 'Etcd'
    seed = 7202
    start = datetime(2024, 3, 12, 9, 0, 0, 512331)
    header_re = (r'^\{"level":"(?P<level>debug|info|warn|error|dpanic|panic|fatal)",'
                 r'"ts":"(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)",'
                 r'(?:"logger":"(?P<logger>\w+)",)?"caller":"(?P<caller>[\w./-]+:\d+)",(?P<msg>"msg":.+)$')

    def header(self, meta, ts, h):
        lg = '"logger":"%s",' % meta['logger'] if meta.get('logger') else ''
        return '{"level":"%s","ts":"%s.%06dZ",%s"caller":"%s",' % (
            meta.get('lvl', 'info'), ts.strftime('%Y-%m-%dT%H:%M:%S'), ts.microsecond, lg, meta['caller'])

    def in_chunk_gap(self):
        return self.rng.uniform(0.00005, 0.002)

    def define(self):
        ev = self.ev
        RAFT = dict(logger='raft', caller='etcdserver/zap_raft.go:77')
        self.APPLY = ev('"msg":"apply request took too long","took":"<*>","expected-duration":"<*>","prefix":"<*>",'
                        '"request":"<*>","response":"<*>"}', lvl='warn', caller='etcdserver/util.go:170')
        self.APPLYERR = ev('"msg":"apply request took too long","took":"<*>","expected-duration":"<*>",'
                           '"prefix":"<*>","request":"<*>","error":"<*>"}', lvl='warn', caller='etcdserver/util.go:170')
        self.TRACE = ev('"msg":"trace[<*>] <*>","detail":"<*>","duration":"<*>","start":"<*>","end":"<*>",'
                        '"steps":[<*>],"step_count":<*>}', caller='traceutil/trace.go:171')
        self.REJECTED = ev('"msg":"rejected connection","remote-addr":"<*>","server-name":"<*>","error":"<*>"}',
                           lvl='warn', caller='embed/config_logging.go:169')
        self.COMPACTIDX = ev('"msg":"compact tree index","revision":<*>}', caller='mvcc/index.go:214')
        self.COMPACTED = ev('"msg":"finished scheduled compaction","compact-revision":<*>,"took":"<*>","hash":<*>}',
                            caller='mvcc/kvstore_compaction.go:66')
        self.TRIGSNAP = ev('"msg":"triggering snapshot","local-member-id":"<*>","local-member-applied-index":<*>,'
                           '"local-member-snapshot-index":<*>,"local-member-snapshot-count":<*>}',
                           caller='etcdserver/server.go:1143')
        self.SAVEDSNAP = ev('"msg":"saved snapshot","snapshot-index":<*>}', caller='etcdserver/server.go:2484')
        self.COMPACTRAFT = ev('"msg":"compacted Raft logs","compact-index":<*>}', caller='etcdserver/server.go:2534')
        self.PURGED = ev('"msg":"purged","path":"<*>"}', caller='fileutil/purge.go:85')
        self.FSYNC = ev('"msg":"slow fdatasync","took":"<*>","expected-duration":"<*>"}', lvl='warn',
                        caller='wal/wal.go:805')
        self.HBLATE = ev('"msg":"leader failed to send out heartbeat on time; took too long, leader is overloaded '
                         'likely from slow disk","to":"<*>","heartbeat-interval":"<*>","expected-duration":"<*>",'
                         '"exceeded-duration":"<*>"}', lvl='warn', caller='etcdserver/raft.go:416')
        self.DEFRAG = ev('"msg":"defragmenting","path":"<*>","current-db-size-bytes":<*>,"current-db-size":"<*>",'
                         '"current-db-size-in-use-bytes":<*>,"current-db-size-in-use":"<*>"}',
                         caller='backend/backend.go:497')
        self.DEFRAGDONE = ev('"msg":"finished defragmenting directory","path":"<*>","current-db-size-bytes-diff":<*>,'
                             '"current-db-size-bytes":<*>,"current-db-size":"<*>",'
                             '"current-db-size-in-use-bytes-diff":<*>,"current-db-size-in-use-bytes":<*>,'
                             '"current-db-size-in-use":"<*>","took":"<*>"}', caller='backend/backend.go:549')
        self.LOSTSTREAM = ev('"msg":"lost TCP streaming connection with remote peer","stream-reader-type":"<*>",'
                             '"local-member-id":"<*>","remote-peer-id":"<*>","error":"<*>"}', lvl='warn',
                             caller='rafthttp/stream.go:421')
        self.INACTIVE = ev('"msg":"peer became inactive (message send to peer failed)","peer-id":"<*>",'
                           '"error":"<*>"}', lvl='warn', caller='rafthttp/peer_status.go:66')
        self.ACTIVE = ev('"msg":"peer became active","peer-id":"<*>"}', caller='rafthttp/peer_status.go:53')
        self.ESTWRITER = ev('"msg":"established TCP streaming connection with remote peer","stream-writer-type":"<*>",'
                            '"local-member-id":"<*>","remote-peer-id":"<*>"}', caller='rafthttp/stream.go:249')
        self.ESTREADER = ev('"msg":"established TCP streaming connection with remote peer","stream-reader-type":"<*>",'
                            '"local-member-id":"<*>","remote-peer-id":"<*>"}', caller='rafthttp/stream.go:274')
        self.PROBER = ev('"msg":"prober detected unhealthy status","round-tripper-name":"<*>","remote-peer-id":"<*>",'
                         '"rtt":"<*>","error":"<*>"}', lvl='warn', caller='rafthttp/probing_status.go:68')
        self.DROPPED = ev('"msg":"dropped internal Raft message since sending buffer is full (overloaded network)",'
                          '"message-type":"<*>","local-member-id":"<*>","from":"<*>","remote-peer-id":"<*>",'
                          '"remote-peer-active":<*>}', lvl='warn', caller='rafthttp/peer.go:267')
        self.PEERURL = ev('"msg":"failed to reach the peer URL","address":"<*>","remote-member-id":"<*>",'
                          '"error":"<*>"}', lvl='warn', caller='etcdserver/cluster_util.go:288')
        self.READIDX = ev('"msg":"waiting for ReadIndex response took too long, retrying","sent-request-id":<*>,'
                          '"retry-timeout":"<*>"}', lvl='warn', caller='etcdserver/v3_server.go:815')
        self.READTIMEOUT = ev('"msg":"timed out waiting for read index response (local node might have slow '
                              'network)","timeout":"<*>"}', lvl='warn', caller='etcdserver/v3_server.go:852')
        self.ELECTION = ev('"msg":"<*> is starting a new election at term <*>"}', **RAFT)
        self.PRECAND = ev('"msg":"<*> became pre-candidate at term <*>"}', **RAFT)
        self.SENTVOTE = ev('"msg":"<*> [logterm: <*>, index: <*>] sent <*> request to <*> at term <*>"}', **RAFT)
        self.RECVVOTE = ev('"msg":"<*> received <*> from <*> at term <*>"}', **RAFT)
        self.TALLY = ev('"msg":"<*> has received <*> <*> votes and <*> vote rejections"}', **RAFT)
        self.CAND = ev('"msg":"<*> became candidate at term <*>"}', **RAFT)
        self.LEADER = ev('"msg":"<*> became leader at term <*>"}', **RAFT)
        self.ELECTED = ev('"msg":"raft.node: <*> elected leader <*> at term <*>"}', **RAFT)
        self.LOSTLEADER = ev('"msg":"raft.node: <*> lost leader <*> at term <*>"}', **RAFT)

    def plan(self):
        rng = self.rng
        R = Rec
        D = 7.2 * 3600
        timed = []
        me, p2, p3 = hexs(rng, 16), hexs(rng, 16), hexs(rng, 16)
        ip2, ip3 = '10.0.1.12', '10.0.1.13'
        t0 = self.start
        rev_rate = 7.3

        def rev_at(ts):
            return 4812377 + int((ts - t0).total_seconds() * rev_rate)

        def idx_at(ts):
            return 9120044 + int((ts - t0).total_seconds() * 11.9)

        def iso(ts):
            return '%s.%06dZ' % (ts.strftime('%Y-%m-%dT%H:%M:%S'), ts.microsecond)

        keys = [
            ('/registry/pods/', '/registry/pods0', 'limit:500 ', 40, 900000),
            ('/registry/pods/default/', '/registry/pods/default0', '', 12, 80000),
            ('/registry/events/', '/registry/events0', 'limit:500 ', 300, 600000),
            ('/registry/leases/kube-node-lease/worker-%d', None, '', 1, 560),
            ('/registry/configmaps/kube-system/', '/registry/configmaps/kube-system0', '', 19, 140000),
            ('/registry/minions/', '/registry/minions0', 'count_only:true ', 0, 8),
            ('/registry/secrets/monitoring/', '/registry/secrets/monitoring0', '', 31, 210000),
            ('/registry/services/endpoints/default/kubernetes', None, '', 1, 480),
            ('/registry/deployments/', '/registry/deployments0', 'limit:500 ', 64, 380000),
        ]

        def request():
            k, end, extra, cnt, size = rng.choice(keys)
            if '%d' in k:
                k = k % rng.randint(1, 12)
            req = 'key:"%s" ' % k
            if end:
                req += 'range_end:"%s" ' % end
            req += extra
            if end is None:
                resp = 'range_response_count:1 size:%d' % (size + rng.randint(-40, 40))
            elif cnt == 0:
                resp = 'range_response_count:0 size:8'
            else:
                c = max(0, cnt + rng.randint(-cnt // 3, cnt // 3))
                resp = 'range_response_count:%d size:%d' % (c, int(size * rng.uniform(0.8, 1.2)))
            return req, resp, k, end

        def slow(scale=1.0, err=None):
            took = rng.uniform(0.1, 0.35) * scale
            if rng.random() < 0.1:
                took *= rng.uniform(3, 9)
            req, resp, k, end = request()
            ch = []
            if rng.random() < 0.55:
                tid = rng.randint(100000000, 4294967295)
                agree = took * rng.uniform(0.7, 0.95)
                steps = ['trace[%d] \'agreement among raft nodes before linearized reading\'  (duration: %s)' % (
                    tid, go_dur(agree)), 'trace[%d] \'range keys from in-memory index tree\'  (duration: %s)' % (
                    tid, go_dur(took - agree))]
                detail = '{range_begin:%s; range_end:%s; response_count:%s; response_revision:%%s; }' % (
                    k, end or '', resp.split()[0].split(':')[1])
                st = {}

                def det(ctx, detail=detail):
                    return js(detail % rev_at(ctx.ts))

                def start_s(ts, took=took):
                    return iso(ts - timedelta(seconds=took))

                ch.append(R(self.TRACE, [tid, 'range', Lazy(det), go_dur(took), AtTs(start_s), AtTs(iso),
                                         ','.join('"%s"' % js(s) for s in steps), 2]))
            if err:
                ch.append(R(self.APPLYERR, [go_dur(took), '100ms', 'read-only range ', js(req), err]))
            else:
                ch.append(R(self.APPLY, [go_dur(took), '100ms', 'read-only range ', js(req), js(resp)]))
            return ch

        # steady slow-apply warnings, denser while the disk is slow
        for t in poisson(rng, 0, D, 55):
            timed.append((t, slow()))
        for a, b in [(0.18, 0.24), (0.63, 0.67)]:
            for t in poisson(rng, a * D, b * D, 5):
                timed.append((t, slow(2.0)))
            for t in poisson(rng, a * D, b * D, 40):
                timed.append((t, [R(self.FSYNC, [go_dur(rng.uniform(1.0, 4.5)), '1s'])]))
        # this member leads after the election at 0.45; heartbeats late while the disk is slow
        for t in poisson(rng, 0.63 * D, 0.67 * D, 60):
            exp = rng.uniform(0.2, 1.4)
            timed.append((t, [R(self.HBLATE, [rng.choice([p2, p3]), '100ms', '200ms', go_dur(exp)])]))

        # clients without a valid certificate
        for t in poisson(rng, 0, D, 300):
            timed.append((t, [R(self.REJECTED, ['10.0.%d.%d:%d' % (rng.choice([3, 3, 3, 7]), rng.choice([17, 17, 41]),
                                                                     port(rng)), 'etcd.example.net',
                                                'remote error: tls: bad certificate'])]))

        # compaction every 5 minutes
        for t in periodic(rng, 0, D, 300, phase=rng.uniform(0, 300), jitter=0.01):
            r = Lazy(lambda ctx: rev_at(ctx.ts) - int(300 * rev_rate))
            timed.append((t, [R(self.COMPACTIDX, [r]),
                              R(self.COMPACTED, [r, go_dur(rng.uniform(0.03, 0.25)), rng.randint(10 ** 8, 4 * 10 ** 9)],
                                dt=rng.uniform(0.05, 0.3))]))

        # snapshots every 100000 applied entries
        snap_gap = 100000 / 11.9
        n = 0
        t = snap_gap - 9120044 % 100000 / 11.9
        while t < D:
            si = Lazy(lambda ctx: idx_at(ctx.ts))
            n += 1
            snap_no = n

            def path(ctx, si=si):
                return '/var/lib/etcd/member/snap/%016x-%016x.snap' % (11, resolve(si, ctx) - 500000)

            timed.append((t, [R(self.TRIGSNAP, [me, si, Lazy(lambda ctx, si=si: resolve(si, ctx) - 100001), 100000]),
                              R(self.SAVEDSNAP, [si], dt=rng.uniform(0.005, 0.03)),
                              R(self.COMPACTRAFT, [Lazy(lambda ctx, si=si: resolve(si, ctx) - 5000)]),
                              R(self.PURGED, [Lazy(path)], dt=rng.uniform(20, 30))]))
            t += snap_gap

        # defragmentation by the operator
        size = rng.randint(1400000000, 1900000000)
        inuse = int(size * 0.41)
        tt = 312.4
        timed.append((0.56 * D, [
            R(self.DEFRAG, ['/var/lib/etcd/member/snap/db', size, '%.1f GB' % (size / 1e9), inuse,
                            '%.0f MB' % (inuse / 1e6)]),
            R(self.DEFRAGDONE, ['/var/lib/etcd/member/snap/db', size - inuse - 4096 * 17, inuse + 4096 * 17,
                                '%.0f MB' % ((inuse + 4096 * 17) / 1e6), 0, inuse, '%.0f MB' % (inuse / 1e6),
                                go_dur(tt)], dt=tt)]))
        for t in poisson(rng, 0.56 * D, 0.56 * D + tt, 4):
            timed.append((t, slow(6.0)))

        # partition of the old leader (p2), election won by this member
        T = 0.38 * D
        ch = [R(self.LOSTSTREAM, ['stream MsgApp v2', me, p2, 'read tcp 10.0.1.11:2380->%s:42318: i/o timeout' % ip2]),
              R(self.INACTIVE, [p2, 'failed to read %s on stream MsgApp v2 (read tcp 10.0.1.11:2380->%s:42318: '
                                    'i/o timeout)' % (p2, ip2)]),
              R(self.LOSTSTREAM, ['stream Message', me, p2, 'read tcp 10.0.1.11:2380->%s:42334: i/o timeout' % ip2]),
              R(self.READIDX, [rng.randint(10 ** 18, 9 * 10 ** 18), '500ms'], dt=0.3),
              R(self.READIDX, [rng.randint(10 ** 18, 9 * 10 ** 18), '500ms'], dt=0.5),
              R(self.ELECTION, [me, 7], dt=0.2)]
        li = rng.randint(9300000, 9400000)
        ch += [R(self.PRECAND, [me, 7]),
               R(self.RECVVOTE, [me, 'MsgPreVoteResp', me, 7]),
               R(self.SENTVOTE, [me, 7, li, 'MsgPreVote', p2, 7]),
               R(self.SENTVOTE, [me, 7, li, 'MsgPreVote', p3, 7]),
               R(self.LOSTLEADER, [me, p2, 7]),
               R(self.RECVVOTE, [me, 'MsgPreVoteResp', p3, 7], dt=0.004),
               R(self.TALLY, [me, 2, 'MsgPreVoteResp', 0]),
               R(self.CAND, [me, 8]),
               R(self.RECVVOTE, [me, 'MsgVoteResp', me, 8]),
               R(self.SENTVOTE, [me, 7, li, 'MsgVote', p2, 8]),
               R(self.SENTVOTE, [me, 7, li, 'MsgVote', p3, 8]),
               R(self.RECVVOTE, [me, 'MsgVoteResp', p3, 8], dt=0.005),
               R(self.TALLY, [me, 2, 'MsgVoteResp', 0]),
               R(self.LEADER, [me, 8]),
               R(self.ELECTED, [me, me, 8]),
               R(self.READTIMEOUT, ['7s'], dt=5.8)]
        timed.append((T, ch))
        outage = 265.0
        for t in poisson(rng, T + 2, T + outage, 3.2):
            timed.append((t, [R(self.DROPPED, [rng.choice(['MsgHeartbeat', 'MsgHeartbeat', 'MsgApp']), me, me, p2,
                                               'false'])]))
        for t in periodic(rng, T + 5, T + outage, 30, phase=rng.uniform(0, 30)):
            for rt in ['ROUND_TRIPPER_SNAPSHOT', 'ROUND_TRIPPER_RAFT_MESSAGE']:
                timed.append((t, [R(self.PROBER, [rt, p2, '0s', 'dial tcp %s:2380: i/o timeout' % ip2])]))
        for t in periodic(rng, T + 3, T + outage, 17, phase=rng.uniform(0, 17)):
            timed.append((t, [R(self.PEERURL, ['https://%s:2380/version' % ip2, p2,
                                               'Get "https://%s:2380/version": dial tcp %s:2380: i/o timeout' % (ip2, ip2)])]))
        for t in poisson(rng, T, T + 40, 2):
            timed.append((t, slow(4.0, err='context deadline exceeded' if rng.random() < 0.6 else None)))
        timed.append((T + outage + 1, [
            R(self.ACTIVE, [p2]),
            R(self.ESTWRITER, ['stream Message', me, p2]),
            R(self.ESTWRITER, ['stream MsgApp v2', me, p2], dt=0.0004),
            R(self.ESTREADER, ['stream MsgApp v2', me, p2], dt=0.03),
            R(self.ESTREADER, ['stream Message', me, p2], dt=0.0003)]))

        def filler(t):
            return t, slow()[-1:]

        return [], timed, [], filler


# ----------------------------------------------------------------------------
# 3. Ceph Reef: ceph-mon.a and the four OSDs of host ceph-1, daemon log format
# ----------------------------------------------------------------------------

class Ceph(System):
    name = 'Ceph'
    seed = 7303
    start = datetime(2024, 3, 13, 1, 30, 0, 118000)
    header_re = (r'^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+\d{4}) (?P<tid>[0-9a-f]{12}) (?P<prio>[ -]\d|\d\d) '
                 r'(?:log_channel\((?P<channel>\w+)\) log \[(?P<clog>DBG|INF|SEC|WRN|ERR)\] : )?(?P<msg>.+)$')

    def header(self, meta, ts, h):
        ch = meta.get('chan')
        tail = 'log_channel(%s) log [%s] : ' % (ch, h.get('clog', meta.get('clog'))) if ch else ''
        return '%s.%03d+0000 %s %2d %s' % (ts.strftime('%Y-%m-%dT%H:%M:%S'), ts.microsecond // 1000, h['tid'],
                                           meta.get('prio', 0), tail)

    def in_chunk_gap(self):
        return self.rng.uniform(0.0001, 0.004)

    def define(self):
        ev = self.ev
        CL = dict(chan='cluster')
        # mon: cluster log
        self.HFAIL = ev('Health check failed: <*> (<*>)', clog='WRN', **CL)
        self.HCLEAR = ev('Health check cleared: <*> (was: <*>)', clog='INF', **CL)
        self.HUPDATE = ev('Health check update: <*> (<*>)', clog='WRN', **CL)
        self.HEALTHY = ev('Cluster is now healthy', clog='INF', **CL)
        self.OVERALL = ev('overall <*>', clog='INF', **CL)
        self.BOOT = ev('osd.<*> <*> boot', clog='INF', **CL)
        self.OSDFAILED = ev('osd.<*> failed (<*>) (<*> reporters from different <*> after <*> >= grace <*>)',
                            clog='INF', **CL)
        self.REPORTED = ev('osd.<*> reported failed by osd.<*>', clog='DBG', **CL)
        self.OSDMAP = ev('osdmap e<*>: <*> total, <*> up, <*> in', clog='DBG', **CL)
        self.ELECT = ev('mon.<*> calling monitor election', clog='INF', **CL)
        self.NEWLEADER = ev('mon.<*> is new leader, mons <*> in quorum (ranks <*>)', clog='INF', **CL)
        # osd: cluster log
        self.SCRUBSTART = ev('<*> <*> starts', clog='DBG', **CL)
        self.SCRUBOK = ev('<*> <*> ok', clog='DBG', **CL)
        self.READERR = ev('<*> shard <*> soid <*> : candidate had a read error', clog='ERR', **CL)
        self.INCONS = ev('<*> <*> <*> missing, <*> inconsistent objects', clog='ERR', **CL)
        self.ERRORS = ev('<*> <*> <*> errors', clog='ERR', **CL)
        self.SLOWREQ = ev('slow request <*> initiated <*> currently <*>', clog='WRN', **CL)
        self.SLOWSUM = ev('<*> slow requests, <*> included below; oldest blocked for > <*> secs', clog='WRN', **CL)
        self.MARKEDDOWN = ev('Monitor daemon marked osd.<*> down, but it is still running', clog='WRN', **CL)
        self.WRONGLY = ev('map e<*> wrongly marked me down at e<*>', clog='DBG', **CL)
        # mon: audit log
        self.DISPATCH = ev("from='<*>' entity='<*>' cmd=<*>: dispatch", chan='audit', clog='DBG')
        self.FINISHEDCMD = ev("from='<*>' entity='<*>' cmd='<*>': finished", chan='audit', clog='INF')
        # debug output
        self.HANDLECMD = ev('mon.<*>@<*>(<*>) e<*> handle_command mon_command(<*> v <*>) v<*>', prio=0)
        self.CACHE = ev('mon.<*>@<*>(<*>).osd e<*> _set_new_cache_sizes cache_size:<*> inc_alloc: <*> '
                        'full_alloc: <*> kv_alloc: <*>', prio=1)
        self.HBCHECK = ev('osd.<*> <*> heartbeat_check: no reply from <*> osd.<*> since back <*> front <*> '
                          '(oldest deadline <*>)', prio=-1)
        self.SLOWOPS = ev('osd.<*> <*> get_health_metrics reporting <*> slow ops, oldest is <*>', prio=-1)
        self.PEERING = ev('osd.<*> pg_epoch: <*> pg[<*>] start_peering_interval up <*> -> <*>, acting <*> -> <*>, '
                          'acting_primary <*> -> <*>, up_primary <*> -> <*>, role <*> -> <*>, features acting <*> '
                          'upacting <*>', prio=1)
        self.TOPRIMARY = ev('osd.<*> pg_epoch: <*> pg[<*>] state<Start>: transitioning to Primary', prio=1)
        self.TOSTRAY = ev('osd.<*> pg_epoch: <*> pg[<*>] state<Start>: transitioning to Stray', prio=1)
        self.MEMTABLE = ev('rocksdb: [<*>] [<*>] New memtable created with log file: #<*>. Immutable memtables: <*>.',
                           prio=4)
        self.FLUSH = ev('rocksdb: [<*>] [<*>] [JOB <*>] Level-0 flush table #<*>: <*> bytes OK', prio=4)

    def plan(self):
        rng = self.rng
        R = Rec
        D = 3.4 * 3600
        timed = []
        mon_tids = ['7f2c1b7fe640', '7f2c1a7fc640', '7f2c19ffb640', '7f2c20d8a640']
        MT = {'tid': mon_tids[0]}
        osds = [0, 1, 2, 3]
        osd_tids = {o: ['7f%s' % hexs(rng, 10) for _ in range(4)] for o in osds}

        def otid(o, i=None):
            return {'tid': osd_tids[o][rng.randrange(4) if i is None else i]}

        mon = ['a', 0, 'leader', 3]

        # monitor cache autotuning; the osdmap epoch goes up at the incidents below
        marks = [(0.31 * D + 2, 4519), (0.31 * D + 362, 4520), (0.44 * D + 12, 4521), (0.52 * D, 4522),
                 (0.80 * D, 4523)]
        t_base = self.start + timedelta(seconds=0.5)

        def epoch_at(ts):
            x = (ts - t_base).total_seconds()
            e = 4518
            for m, v in marks:
                if x >= m:
                    e = v
            return e

        for t in periodic(rng, 0, D, 30, phase=3.1, jitter=0.05):
            cs = 1020054731 + rng.randint(-3, 3) * 1048576
            timed.append((t, [R(self.CACHE, mon[:3] + [AtTs(epoch_at), cs, 348127232, 348127232, 322961408],
                                h={'tid': mon_tids[3]})]))

        # commands from the mgr and from monitoring
        cmds = [('{"prefix": "df", "format": "json"}', 'mgr.14120 10.0.1.11:0/2839163', 'mgr.ceph-1.kqzwfh', 5),
                ('{"prefix": "osd pool stats", "format": "json"}', 'mgr.14120 10.0.1.11:0/2839163',
                 'mgr.ceph-1.kqzwfh', 3),
                ('{"prefix": "status", "format": "json-pretty"}', 'client.? 10.0.9.14:0/1175521382', 'client.admin', 2),
                ('{"prefix": "health", "detail": "detail", "format": "json"}', 'client.? 10.0.9.14:0/2235781201',
                 'client.admin', 2),
                ('{"prefix": "osd dump", "format": "json"}', 'mgr.14120 10.0.1.11:0/2839163', 'mgr.ceph-1.kqzwfh', 2),
                ('{"prefix": "config generate-minimal-conf"}', 'client.? 10.0.1.12:0/3398147217', 'client.admin', 1),
                ('{"prefix": "auth get", "entity": "client.admin"}', 'client.? 10.0.1.12:0/3398147217',
                 'client.admin', 1)]

        def command(c=None, finish=False):
            if c is None:
                c = weighted(rng, [(x, x[3]) for x in cmds])
            cmd, frm, ent = c[0], c[1], c[2]
            ch = [R(self.HANDLECMD, mon + [cmd, 0, 1], h=MT),
                  R(self.DISPATCH, [frm, ent, '[%s]' % cmd], h=MT)]
            if finish:
                ch.append(R(self.FINISHEDCMD, [frm, ent, '[%s]' % cmd], h=MT, dt=rng.uniform(0.5, 1.2)))
            return ch

        for t in poisson(rng, 0, D, 25):
            timed.append((t, command()))

        # overall health every ten minutes
        warn = [(0.31, 0.36, 'HEALTH_WARN 1 osds down; Degraded data redundancy: 1942/120393 objects degraded '
                              '(1.613%), 27 pgs degraded'),
                (0.52, 0.6, 'HEALTH_WARN noout flag(s) set'),
                (0.74, 1.1, 'HEALTH_ERR 1 scrub errors; Possible data damage: 1 pg inconsistent')]
        for t in periodic(rng, 0, D, 600, phase=0.2, jitter=0.1):
            s = 'HEALTH_OK'
            for a, b, w in warn:
                if a * D <= t < b * D:
                    s = w
            timed.append((t, [R(self.OVERALL, [s], h=MT)]))

        # rocksdb in the monitor store
        for t in poisson(rng, 0, D, 240):
            j = Lazy(lambda ctx: ctx.counter('job', 1202))
            lf = Lazy(lambda ctx: ctx.counter('logfile', 9411))
            timed.append((t, [R(self.MEMTABLE, ['db/db_impl/db_impl_write.cc:2098', 'default', lf, 0],
                                h={'tid': mon_tids[2]}),
                              R(self.FLUSH, ['db/flush_job.cc:1002', 'default', j, Lazy(lambda ctx, lf=lf: resolve(lf, ctx) + 1),
                                             rng.randint(900000, 4200000)], h={'tid': mon_tids[2]},
                                dt=rng.uniform(0.05, 0.3))]))

        # scrubs
        pools = {2: 128, 3: 64, 5: 32}

        def pgid():
            p = rng.choice([2, 2, 2, 3, 3, 5])
            return '%d.%x' % (p, rng.randrange(pools[p]))

        for t in poisson(rng, 0, D, 45):
            o = rng.choice(osds)
            mode = 'deep-scrub' if rng.random() < 0.25 else 'scrub'
            pg = pgid()
            dur = rng.uniform(0.5, 8) if mode == 'scrub' else rng.uniform(20, 240)
            timed.append((t, [R(self.SCRUBSTART, [pg, mode], h=otid(o)),
                              R(self.SCRUBOK, [pg, mode], h=otid(o), dt=dur)]))

        # helpers for pg lines
        def pginfo(pg, e):
            v = rng.randint(3000, 4500)
            ver = rng.randint(10000, 99999)
            n = rng.randint(100, 900)
            return ('%s( v %d\'%d (%d\'%d,%d\'%d] local-lis/les=%d/%d n=%d ec=120/120 lis/c=%d/%d '
                    'les/c/f=%d/%d/0 sis=%d) [%s] r=%d lpr=%d pi=[%d,%d)/1 crt=%d\'%d lcod %d\'%d mlcod 0\'0 '
                    'unknown mbc={}') % (pg, v, ver, v - 80, ver - 300, v, ver, e - 2, e - 1, n, e - 2, e - 2, e - 1,
                                         e - 1, e, '%s', 0, e, e - 2, e, v, ver, v, ver - 1)

        def peering(e, lost=None, back=None, n=14):
            ch = []
            for _ in range(n):
                o = rng.choice(osds)
                pg = pgid()
                others = rng.sample([x for x in range(4, 12)], 2)
                old = [o] + others
                if lost is not None:
                    new = [x for x in old if x != lost] if lost in old else old[:2]
                    if lost not in old:
                        old = old[:2] + [lost]
                        new = old[:2]
                else:
                    new = [o] + others[:1] + [back]
                    old = [o] + others[:1]
                prim = rng.random() < 0.7
                if not prim:
                    old = [others[0], o] + old[2:]
                    new = [others[0], o] + new[2:]
                acting = '[%s]' % ','.join(map(str, new))
                info = pginfo(pg, e) % ','.join(map(str, new))
                feats = '4540138322906710015'
                ch.append(R(self.PEERING, [o, e, info, '[%s]' % ','.join(map(str, old)), acting,
                                           '[%s]' % ','.join(map(str, old)), acting, old[0], new[0], old[0], new[0],
                                           0 if prim else 1, 0 if prim else 1, feats, feats], h=otid(o, 1),
                           dt=rng.uniform(0.0005, 0.02)))
                ch.append(R(self.TOPRIMARY if prim else self.TOSTRAY, [o, e, info], h=otid(o, 1)))
            return ch

        def stamp6(x):
            return '%s.%06d+0000' % (x.strftime('%Y-%m-%dT%H:%M:%S'), x.microsecond)

        def stamp(sec, us):
            x = t_base + timedelta(seconds=sec)
            return '%s.%06d+0000' % (x.strftime('%Y-%m-%dT%H:%M:%S'), us)

        # incident A: osd.7 on ceph-3 dies and comes back
        T = 0.31 * D
        ip7 = '10.0.2.13'
        for o in osds:
            for i in range(rng.randint(14, 20)):
                ch = [R(self.HBCHECK, [o, 4518, '%s:6806' % ip7, 7, stamp(T - 20.4, 118042 + 977 * o),
                                       stamp(T - 20.4, 331907 + 613 * o),
                                       AtTs(lambda ts: stamp6(ts - timedelta(seconds=0.62)))], h=otid(o, 2))]
                timed.append((T + i + rng.uniform(0, 0.9), ch))
        rep = [R(self.REPORTED, [7, r], h=MT, dt=rng.uniform(0.1, 1.5)) for r in [2, 5, 9, 1]]
        rep[0].dt = None
        timed.append((T + 0.5, rep + [
            R(self.OSDFAILED, [7, 'root=default,host=ceph-3', 2, 'host', '21.346', '20.000'], h=MT, dt=0.8),
            R(self.HFAIL, ['1 osds down', 'OSD_DOWN'], h=MT, dt=0.6),
            R(self.OSDMAP, [4519, 12, 11, 12], h=MT, dt=0.9)]))
        timed.append((T + 3.4, peering(4519, lost=7) + [
            R(self.HFAIL, ['Reduced data availability: 4 pgs peering', 'PG_AVAILABILITY'], h=MT, dt=1.9),
            R(self.HFAIL, ['Degraded data redundancy: 1942/120393 objects degraded (1.613%), 27 pgs degraded',
                           'PG_DEGRADED'], h=MT, dt=2.2),
            R(self.HCLEAR, ['PG_AVAILABILITY', 'Reduced data availability: 4 pgs peering'], h=MT, dt=4.1)]))
        degraded = [(1942, 27), (1951, 27), (1960, 28), (1968, 28)]
        for k, (obj, pgs) in enumerate(degraded):
            timed.append((T + 60 + 70 * k, [R(self.HUPDATE, [
                'Degraded data redundancy: %d/120393 objects degraded (%.3f%%), %d pgs degraded' % (
                    obj, 100.0 * obj / 120393, pgs), 'PG_DEGRADED'], h=MT)]))
        T2 = T + 362
        timed.append((T2, [R(self.BOOT, [7, '[v2:%s:6804/1127361,v1:%s:6805/1127361]' % (ip7, ip7)], h=MT),
                           R(self.OSDMAP, [4520, 12, 12, 12], h=MT, dt=0.4),
                           R(self.HCLEAR, ['OSD_DOWN', '1 osds down'], h=MT, dt=0.1)]))
        timed.append((T2 + 2.1, peering(4520, back=7, n=12)))
        for k, (obj, pgs) in enumerate([(1408, 19), (822, 11), (260, 4)]):
            timed.append((T2 + 8 + 9 * k, [R(self.HUPDATE, [
                'Degraded data redundancy: %d/120393 objects degraded (%.3f%%), %d pgs degraded' % (
                    obj, 100.0 * obj / 120393, pgs), 'PG_DEGRADED'], h=MT)]))
        timed.append((T2 + 40, [R(self.HCLEAR, ['PG_DEGRADED', 'Degraded data redundancy: 260/120393 objects '
                                                               'degraded (0.216%), 4 pgs degraded'], h=MT),
                                R(self.HEALTHY, [], h=MT, dt=0.001)]))

        # incident B: slow ops on osd.2 (disk latency)
        T = 0.22 * D

        def op(ts):
            pg = pgid()
            return ('osd_op(client.%d.0:%d %s %s:%s:::rbd_data.%s.%016x:head [write %d~4096 in=4096b] snapc 0=[] '
                    'ondisk+write+known_if_redirected e4518)') % (
                rng.choice([41233, 41233, 52871]), rng.randint(100000, 999999), pg, pg.split('.')[0], hexs(rng, 8),
                hexs(rng, 12), rng.randint(0, 1023), rng.randrange(0, 4194304, 4096))

        def initiated(ts, back):
            x = ts - timedelta(seconds=back)
            return '%s.%06d+0000' % (x.strftime('%Y-%m-%dT%H:%M:%S'), x.microsecond)

        sl = []
        for k in range(3):
            n = rng.randint(2, 4)
            blocked = 30.1 + 30 * k + rng.uniform(0, 2)
            sl.append(R(self.SLOWSUM, [n, n, '%.3f' % blocked], h=otid(2, 0), dt=30.0 if k else None))
            for _ in range(n):
                sl.append(R(self.SLOWREQ, [AtTs(op), AtTs(lambda ts, b=blocked: initiated(ts, b)),
                                           rng.choice(['waiting for sub ops', 'waiting for sub ops',
                                                       'waiting for rw locks'])], h=otid(2, 0)))
        timed.append((T, sl))
        for i in range(75):
            timed.append((T - 1 + i * 1.0 + rng.uniform(0, 0.05), [R(self.SLOWOPS, [
                2, 4518, rng.randint(2, 9), AtTs(op)], h=otid(2, 3))]))
        timed.append((T + 4, [R(self.HFAIL, ['3 slow ops, oldest one blocked for 32 sec, osd.2 has slow ops',
                                             'SLOW_OPS'], h=MT)]))
        for k in range(1, 3):
            timed.append((T + 4 + 30 * k, [R(self.HUPDATE, ['%d slow ops, oldest one blocked for %d sec, osd.2 has '
                                                             'slow ops' % (rng.randint(4, 9), 32 + 30 * k),
                                                             'SLOW_OPS'], h=MT)]))
        timed.append((T + 80, [R(self.HCLEAR, ['SLOW_OPS', '6 slow ops, oldest one blocked for 92 sec, osd.2 has '
                                                           'slow ops'], h=MT),
                               R(self.HEALTHY, [], h=MT, dt=0.002)]))

        # maintenance: noout set and unset around a reboot of ceph-2
        T = 0.52 * D
        noout = ('{"prefix": "osd set", "key": "noout"}', 'client.? 10.0.9.14:0/982637120', 'client.admin', 0)
        unset = ('{"prefix": "osd unset", "key": "noout"}', 'client.? 10.0.9.14:0/4081172205', 'client.admin', 0)
        timed.append((T, command(noout, True) + [
            R(self.OSDMAP, [4522, 12, 12, 12], h=MT, dt=0.2),
            R(self.HFAIL, ['noout flag(s) set', 'OSDMAP_FLAGS'], h=MT, dt=0.9)]))
        timed.append((T + 0.28 * D, command(unset, True) + [
            R(self.OSDMAP, [4523, 12, 12, 12], h=MT, dt=0.2),
            R(self.HCLEAR, ['OSDMAP_FLAGS', 'noout flag(s) set'], h=MT, dt=0.9),
            R(self.HEALTHY, [], h=MT, dt=0.001)]))

        # monitor election after a mon.b restart; osd.3 wrongly marked down in between
        T = 0.44 * D
        timed.append((T, [R(self.ELECT, ['a'], h=MT),
                          R(self.ELECT, ['a'], h=MT, dt=5.1),
                          R(self.NEWLEADER, ['a', 'a,b,c', '0,1,2'], h=MT, dt=0.9),
                          R(self.MARKEDDOWN, [3], h=otid(3, 0), dt=12.2),
                          R(self.WRONGLY, [4521, 4520], h=otid(3, 0), dt=0.01),
                          R(self.BOOT, [3, '[v2:10.0.1.11:6812/2291870,v1:10.0.1.11:6813/2291870]'], h=MT, dt=1.3)]))

        # incident C: a read error found by a deep scrub
        T = 0.74 * D
        pg = '2.3f'
        obj = '2:fc8a%s:::rbd_data.%s.%016x:head' % (hexs(rng, 4), hexs(rng, 12), 311)
        timed.append((T, [R(self.SCRUBSTART, [pg, 'deep-scrub'], h=otid(1, 1)),
                          R(self.READERR, [pg, 6, obj], h=otid(1, 1), dt=211.4),
                          R(self.INCONS, [pg, 'deep-scrub', 0, 1], h=otid(1, 1), dt=0.7),
                          R(self.ERRORS, [pg, 'deep-scrub', 1], h=otid(1, 1), dt=0.001),
                          R(self.HFAIL, ['1 scrub errors', 'OSD_SCRUB_ERRORS'], h=dict(MT, clog='ERR'), dt=3.2),
                          R(self.HFAIL, ['Possible data damage: 1 pg inconsistent', 'PG_DAMAGED'],
                            h=dict(MT, clog='ERR'), dt=0.001)]))

        def filler(t):
            return t, [R(self.CACHE, mon[:3] + [AtTs(epoch_at), 1020054731, 348127232, 348127232, 322961408],
                         h={'tid': mon_tids[3]})]

        return [], timed, [], filler


# ----------------------------------------------------------------------------
# 4. Gunicorn 21 error log with a Flask app logging to the same stream
# ----------------------------------------------------------------------------

VENV = '/srv/shopfront/venv/lib/python3.11/site-packages'


def py_frames(frames):
    out = []
    for path, line, func, code in frames:
        out.append('  File "%s", line %d, in %s' % (path, line, func))
        out.append('    ' + code)
    return out


FLASK_FRAMES = [
    (VENV + '/flask/app.py', 1463, 'wsgi_app', 'response = self.full_dispatch_request()'),
    (VENV + '/flask/app.py', 872, 'full_dispatch_request', 'rv = self.handle_user_exception(e)'),
    (VENV + '/flask/app.py', 870, 'full_dispatch_request', 'rv = self.dispatch_request()'),
    (VENV + '/flask/app.py', 855, 'dispatch_request',
     'return self.ensure_sync(self.view_functions[rule.endpoint])(**view_args)  # type: ignore[no-any-return]'),
]


class Gunicorn(System):
    name = 'Gunicorn'
    seed = 7404
    start = datetime(2024, 3, 14, 7, 58, 31)
    header_re = (r'^\[(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4})\] \[(?P<pid>\d+)\] '
                 r'\[(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL)\] (?:(?P<logger>[a-z][\w]*(?:\.\w+)*): )?'
                 r'(?P<msg>.+)$')

    def header(self, meta, ts, h):
        lg = meta.get('logger')
        return '[%s +0000] [%s] [%s] %s' % (ts.strftime('%Y-%m-%d %H:%M:%S'), h['pid'], meta.get('lvl', 'INFO'),
                                            lg + ': ' if lg else '')

    def in_chunk_gap(self):
        return self.rng.uniform(0.001, 0.08)

    def define(self):
        ev = self.ev
        self.STARTING = ev('Starting gunicorn <*>')
        self.LISTENING = ev('Listening at: <*> (<*>)')
        self.USING = ev('Using worker: <*>')
        self.BOOTING = ev('Booting worker with pid: <*>')
        self.TIMEOUT = ev('WORKER TIMEOUT (pid:<*>)', lvl='CRITICAL')
        self.ERRREQ = ev('Error handling request <*>', lvl='ERROR')
        self.EXITING = ev('Worker exiting (pid: <*>)')
        self.EXITCODE = ev('Worker (pid:<*>) exited with code <*>', lvl='ERROR')
        self.SIGKILL = ev('Worker (pid:<*>) was sent SIGKILL! Perhaps out of memory?', lvl='ERROR')
        self.SIGNAL = ev('Handling signal: <*>')
        self.HANGUP = ev('Hang up: <*>')
        self.SHUTDOWN = ev('Shutting down: <*>')
        # the app
        self.CONFIG = ev('config loaded from <*> (env=<*>)', logger='shopfront.config')
        self.ORDER = ev('order <*> created for customer <*> total=<*> items=<*>', logger='shopfront.orders')
        self.PAID = ev('payment authorised for order <*> via <*> in <*>ms', logger='shopfront.payments')
        self.LOGIN = ev('user <*> logged in from <*>', logger='shopfront.auth')
        self.LOGINFAIL = ev('login failed for <*> from <*>: <*>', lvl='WARNING', logger='shopfront.auth')
        self.RATELIMIT = ev('rate limit exceeded for <*> on <*>', lvl='WARNING', logger='shopfront.ratelimit')
        self.SLOWQ = ev('slow query (<*> ms): <*>', lvl='WARNING', logger='shopfront.db')
        self.INVSYNC = ev('inventory sync: <*> items updated, <*> unchanged in <*>s', logger='shopfront.inventory')
        self.MAIL = ev('email queued to <*> template=<*>', logger='shopfront.mail')
        self.WEBHOOK = ev('webhook signature mismatch from <*> (event <*>)', lvl='WARNING',
                          logger='shopfront.webhooks')
        self.RETRY = ev("Retrying (<*>) after connection broken by '<*>': <*>", lvl='WARNING',
                        logger='urllib3.connectionpool')
        self.CHARGEFAIL = ev('Failed to charge order <*>', lvl='ERROR', logger='shopfront.payments')
        self.EXC = ev('Exception on <*> [<*>]', lvl='ERROR', logger='shopfront')
        self.DBLOST = ev('database connection lost, reconnecting (attempt <*>/<*>)', lvl='WARNING',
                         logger='shopfront.db')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 9.0 * 3600
        timed = []
        master = 21873
        st = {'next': master + 6}

        def newpid():
            st['next'] += rng.randint(2, 40)
            return st['next']

        # worker pids over time: each worker has a life span [t0, t1)
        workers = []   # [pid, t0, t1]

        def boot(pid, t):
            workers.append([pid, t, D * 2])
            return [R(self.BOOTING, [pid], h={'pid': pid}),
                    R(self.CONFIG, ['/srv/shopfront/config/production.toml', 'production'], h={'pid': pid},
                      dt=rng.uniform(0.6, 1.4))]

        def worker_at(t):
            alive = [w for w in workers if w[1] + 2 <= t < w[2]]
            return rng.choice(alive)[0]

        start = [R(self.STARTING, ['21.2.0'], h={'pid': master}),
                 R(self.LISTENING, ['http://0.0.0.0:8000', master], h={'pid': master}),
                 R(self.USING, ['sync'], h={'pid': master})]
        for i in range(4):
            pid = master + 4 + i
            workers.append([pid, -10, D * 2])
            start.append(R(self.BOOTING, [pid], h={'pid': pid}, dt=rng.uniform(0.002, 0.02)))
        for i in range(4):
            start.append(R(self.CONFIG, ['/srv/shopfront/config/production.toml', 'production'],
                           h={'pid': master + 4 + i}, dt=rng.uniform(0.05, 0.4)))

        # events that change the worker set, in time order
        changes = []
        # deploy with HUP at 0.35
        changes.append((0.35 * D, 'hup'))
        # timeouts during the database outage 0.55..0.58
        for t in sorted(rng.uniform(0.553, 0.578) * D for _ in range(7)):
            changes.append((t, 'timeout'))
        # a leaking worker killed by the OOM killer twice
        changes.append((0.22 * D, 'oom'))
        changes.append((0.67 * D, 'oom'))
        changes.sort()

        req_paths = ['/api/reports/daily?from=2024-03-01', '/api/orders/export.csv', '/api/cart/checkout',
                     '/api/reports/sales?group=sku', '/api/orders']

        def gunicorn_abort_tb(path):
            view = rng.choice([('/srv/shopfront/app/reports.py', 88, 'daily_report', 'rows = cur.fetchall()'),
                               ('/srv/shopfront/app/orders.py', 214, 'export_orders',
                                'for row in db.session.execute(query).yield_per(500):'),
                               ('/srv/shopfront/app/cart.py', 131, 'checkout',
                                'order = place_order(cart, customer)')])
            frames = [(VENV + '/gunicorn/workers/sync.py', 135, 'handle',
                       'self.handle_request(listener, req, client, addr)'),
                      (VENV + '/gunicorn/workers/sync.py', 178, 'handle_request',
                       'respiter = self.wsgi(environ, resp.start_response)'),
                      (VENV + '/flask/app.py', 1488, '__call__', 'return self.wsgi_app(environ, start_response)'),
                      FLASK_FRAMES[0], FLASK_FRAMES[2], FLASK_FRAMES[3], view,
                      (VENV + '/psycopg2/extras.py', 236, 'execute', 'return super().execute(query, vars)'),
                      (VENV + '/gunicorn/workers/base.py', 203, 'handle_abort', 'sys.exit(1)')]
            return ['Traceback (most recent call last):'] + py_frames(frames) + ['SystemExit: 1']

        t_prev = 0
        for t, kind in changes:
            if kind == 'hup':
                ch = [R(self.SIGNAL, ['hup'], h={'pid': master}), R(self.HANGUP, ['Master'], h={'pid': master})]
                old = [w for w in workers if w[2] > t]
                for w in old:
                    w[2] = t + 1
                new = []
                for w in old:
                    pid = newpid()
                    new.append(pid)
                    ch.append(R(self.BOOTING, [pid], h={'pid': pid}, dt=rng.uniform(0.005, 0.03)))
                    workers.append([pid, t + 1, D * 2])
                for w in old:
                    ch.append(R(self.EXITING, [w[0]], h={'pid': w[0]}, dt=rng.uniform(0.01, 0.2)))
                for pid in new:
                    ch.append(R(self.CONFIG, ['/srv/shopfront/config/production.toml', 'production'], h={'pid': pid},
                                dt=rng.uniform(0.05, 0.4)))
                timed.append((t, ch))
            elif kind == 'timeout':
                w = rng.choice([w for w in workers if w[1] + 5 < t < w[2]])
                w[2] = t
                pid = newpid()
                path = rng.choice(req_paths)
                ch = [R(self.TIMEOUT, [w[0]], h={'pid': master}),
                      R(self.ERRREQ, [path], h={'pid': w[0]}, conts=gunicorn_abort_tb(path), dt=0.004),
                      R(self.EXITING, [w[0]], h={'pid': w[0]}, dt=0.002),
                      R(self.EXITCODE, [w[0], 1], h={'pid': master}, dt=0.08)]
                ch += boot(pid, t + 0.1)
                ch[4].dt = 0.01
                timed.append((t, ch))
            else:
                w = rng.choice([w for w in workers if w[1] + 5 < t < w[2]])
                w[2] = t
                pid = newpid()
                ch = [R(self.SIGKILL, [w[0]], h={'pid': master})] + boot(pid, t + 0.05)
                timed.append((t, ch))

        # app traffic
        customers = ['cus_%s' % hexs(rng, 10) for _ in range(120)]
        emails = ['%s@example.%s' % (rng.choice(['anna', 'ben', 'chloe', 'dev', 'eli', 'fatima', 'george', 'hana',
                                                 'ivan', 'julia', 'kofi', 'lena', 'mo', 'nora', 'omar', 'pia']) +
                                     str(rng.randint(1, 99)), rng.choice(['com', 'org', 'net'])) for _ in range(80)]
        outage = (0.55 * D, 0.58 * D)
        pay_outage = (0.63 * D, 0.65 * D)

        def client_ip():
            return doc_ip(rng)

        def order_flow(t):
            pid = worker_at(t)
            h = {'pid': pid}
            oid = Lazy(lambda ctx: ctx.counter('order', 588120, 1, 3))
            cus = rng.choice(customers)
            n = rng.randint(1, 6)
            ch = [R(self.ORDER, [oid, cus, '%.2f' % rng.uniform(9, 480), n], h=h)]
            if pay_outage[0] <= t < pay_outage[1]:
                for k in (2, 1, 0):
                    ch.append(R(self.RETRY, ['Retry(total=%d, connect=None, read=None, redirect=None, status=None)' % k,
                                             "NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f%s>: "
                                             "Failed to establish a new connection: [Errno 111] Connection refused')" %
                                             hexs(rng, 10), '/v1/charges'], h=h, dt=rng.uniform(0.2, 1.6)))
                tb = ['Traceback (most recent call last):'] + py_frames([
                    ('/srv/shopfront/app/payments.py', 57, 'charge', 'resp = session.post(f"{GATEWAY}/v1/charges", '
                                                                     'json=payload, timeout=10)'),
                    (VENV + '/requests/sessions.py', 637, 'post', 'return self.request("POST", url, data=data, '
                                                                  'json=json, **kwargs)'),
                    (VENV + '/requests/sessions.py', 589, 'request', 'resp = self.send(prep, **send_kwargs)'),
                    (VENV + '/requests/sessions.py', 703, 'send', 'r = adapter.send(request, **kwargs)'),
                    (VENV + '/requests/adapters.py', 519, 'send', 'raise ConnectionError(e, request=request)')]) + [
                    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pay.example.net', port=443): "
                    "Max retries exceeded with url: /v1/charges (Caused by NewConnectionError('<urllib3.connection."
                    "HTTPSConnection object at 0x7f%s>: Failed to establish a new connection: [Errno 111] Connection "
                    "refused'))" % hexs(rng, 10)]
                ch.append(R(self.CHARGEFAIL, [oid], h=h, conts=tb, dt=0.01))
                return ch
            ch.append(R(self.PAID, [oid, rng.choice(['card', 'card', 'card', 'paypal', 'sepa']), rng.randint(180, 1400)],
                        h=h, dt=rng.uniform(0.2, 1.5)))
            ch.append(R(self.MAIL, [rng.choice(emails), 'order_confirmation'], h=h, dt=rng.uniform(0.01, 0.1)))
            return ch

        def db_error(t, path, method):
            pid = worker_at(t)
            view = rng.choice([('/srv/shopfront/app/catalog.py', 42, 'product_detail',
                                'product = Product.query.filter_by(slug=slug).first_or_404()'),
                               ('/srv/shopfront/app/cart.py', 77, 'view_cart', 'cart = load_cart(session["cart_id"])')])
            tb = ['Traceback (most recent call last):'] + py_frames(FLASK_FRAMES + [view] + [
                (VENV + '/sqlalchemy/engine/base.py', 145, '__init__', 'self._dbapi_connection = engine.raw_connection()'),
                (VENV + '/sqlalchemy/engine/default.py', 616, 'connect',
                 'return self.loaded_dbapi.connect(*cargs, **cparams)'),
                (VENV + '/psycopg2/__init__.py', 122, 'connect',
                 'conn = _connect(dsn, connection_factory=connection_factory, **kwasync)')]) + [
                'sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at '
                '"db-1.example.net" (10.8.0.12), port 5432 failed: Connection refused',
                '\tIs the server running on that host and accepting TCP/IP connections?']
            return [R(self.EXC, [path, method], h={'pid': pid}, conts=tb)]

        def key_error(t):
            pid = worker_at(t)
            field = rng.choice(['postcode', 'country_code', 'line1'])
            tb = ['Traceback (most recent call last):'] + py_frames(FLASK_FRAMES + [
                ('/srv/shopfront/app/checkout.py', 163, 'update_address', 'addr = normalise_address(request.json)'),
                ('/srv/shopfront/app/util/address.py', 29, 'normalise_address',
                 'code = data["%s"].strip().upper()' % field)]) + ["KeyError: '%s'" % field]
            return [R(self.EXC, ['/api/checkout/address', 'POST'], h={'pid': pid}, conts=tb)]

        for t in poisson(rng, 60, D, 85):
            timed.append((t, order_flow(t)))
        for t in poisson(rng, 60, D, 140):
            timed.append((t, [R(self.LOGIN, [rng.choice(emails), client_ip()], h={'pid': worker_at(t)})]))
        for t in poisson(rng, 60, D, 700):
            timed.append((t, [R(self.LOGINFAIL, [rng.choice(emails), client_ip(), rng.choice(
                ['bad password', 'bad password', 'account locked', 'unknown email'])], h={'pid': worker_at(t)})]))
        for t in poisson(rng, 60, D, 520):
            ip = client_ip()
            for k in range(rng.randint(1, 4)):
                tt = t + k * rng.uniform(0.2, 2)
                timed.append((tt, [R(self.RATELIMIT, [ip, rng.choice(['/api/search', '/api/search', '/api/login'])],
                                     h={'pid': worker_at(tt)})]))
        for t in poisson(rng, 60, D, 450):
            q = rng.choice(['SELECT orders.id, orders.total FROM orders WHERE orders.customer_id = %(customer_id_1)s '
                            'ORDER BY orders.created_at DESC',
                            'SELECT count(*) AS count_1 FROM order_items JOIN products ON products.id = '
                            'order_items.product_id WHERE products.category_id = %(category_id_1)s',
                            'UPDATE inventory SET quantity=%(quantity)s WHERE inventory.sku = %(sku_1)s'])
            timed.append((t, [R(self.SLOWQ, [rng.randint(1200, 9800), q], h={'pid': worker_at(t)})]))
        for t in periodic(rng, 60, D, 900, phase=12, jitter=3):
            timed.append((t, [R(self.INVSYNC, [rng.randint(3, 140), rng.randint(8000, 8400),
                                                '%.1f' % rng.uniform(2, 14)], h={'pid': worker_at(t)})]))
        for t in poisson(rng, 60, D, 1300):
            timed.append((t, [R(self.WEBHOOK, [doc_ip(rng), 'evt_%s' % hexs(rng, 16)], h={'pid': worker_at(t)})]))
        for t in poisson(rng, 60, D, 3000):
            timed.append((t, key_error(t)))
        # database outage
        for t in poisson(rng, outage[0], outage[1], 70):
            pid = worker_at(t)
            ch = [R(self.DBLOST, [k, 5], h={'pid': pid}, dt=rng.uniform(1, 2) if k > 1 else None) for k in (1, 2, 3)]
            timed.append((t, ch))
        for t in poisson(rng, outage[0], outage[1], 110):
            path, m = rng.choice([('/products/linen-shirt-blue', 'GET'), ('/cart', 'GET'), ('/products/oak-desk', 'GET')])
            timed.append((t, db_error(t, path, m)))

        end = [R(self.SIGNAL, ['term'], h={'pid': master})]
        last = [w for w in workers if w[2] > D]
        for w in last:
            end.append(R(self.EXITING, [w[0]], h={'pid': w[0]}, dt=rng.uniform(0.01, 0.2)))
        end.append(R(self.SHUTDOWN, ['Master'], h={'pid': master}, dt=0.3))

        def filler(t):
            return t, [R(self.LOGIN, [rng.choice(emails), client_ip()], h={'pid': worker_at(t)})]

        return start, timed, end, filler


# ----------------------------------------------------------------------------
# 5. Traefik v2.11 on a Docker host: logrus text log and CLF access log on stdout
# ----------------------------------------------------------------------------

class Traefik(System):
    name = 'Traefik'
    seed = 7505
    start = datetime(2024, 3, 15, 8, 14, 2)
    header_re = (r'^(?:time="(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)" '
                 r'level=(?P<level>trace|debug|info|warning|error|fatal|panic) '
                 r'|(?P<client>[0-9a-fA-F.:]+) - (?P<user>\S+) '
                 r'\[(?P<date>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] )(?P<msg>.+)$')

    def header(self, meta, ts, h):
        if meta.get('access'):
            return '%s - %s [%02d/%s/%d:%s +0000] ' % (h['ip'], h.get('user', '-'), ts.day, MONTHS[ts.month - 1],
                                                       ts.year, ts.strftime('%H:%M:%S'))
        return 'time="%sZ" level=%s ' % (ts.strftime('%Y-%m-%dT%H:%M:%S'), meta.get('lvl', 'info'))

    def in_chunk_gap(self):
        return self.rng.uniform(0.0005, 0.01)

    def define(self):
        ev = self.ev
        self.ACCESS = ev('"<*> <*> <*>" <*> <*> "<*>" "<*>" <*> "<*>" "<*>" <*>ms', access=True)
        self.CONFLOADED = ev('msg="Configuration loaded from flags."')
        self.VERSION = ev('msg="Traefik version <*> built on <*>"')
        self.PROVIDER = ev('msg="Starting provider <*>"')
        self.TESTRENEW = ev('msg="Testing certificate renew..." ACME CA=<*> providerName=<*>')
        self.NEWREL = ev('msg="A new release has been found: <*>. Please consider updating."', lvl='warning')
        self.NODOMAIN = ev('msg="No domain found in rule <*>, the TLS options applied for this router will depend on '
                           'the SNI of each request" entryPointName=<*> routerName=<*>', lvl='warning')
        self.SVCERR = ev('msg="service <*> error: <*>" container=<*> providerName=<*>', lvl='error')
        self.NONET = ev("msg=\"Could not find network named '<*>' for container '<*>'! Maybe you're missing the "
                        "project's prefix in the label? Defaulting to first available network.\" container=<*> "
                        "providerName=<*> serviceName=<*>", lvl='warning')
        self.NOMW = ev('msg="middleware <*> does not exist" entryPointName=<*> routerName=<*>', lvl='error')
        self.NORESOLVER = ev('msg="the router <*> uses a non-existent resolver: <*>"', lvl='error')
        self.PROVCONN = ev('msg="Provider connection error <*>, retrying in <*>" providerName=<*>', lvl='error')
        self.DOCKERINFO = ev('msg="Failed to retrieve information of the docker client and server host: <*>" '
                             'providerName=<*>', lvl='error')
        self.ACMEFAIL = ev('msg="Unable to obtain ACME certificate for domains <*> : <*>" ACME CA=<*> '
                           'providerName=<*> routerName=<*> rule=<*>', lvl='error')
        self.RENEWING = ev('msg="Renewing certificate from LE : <*>" ACME CA=<*> providerName=<*>')
        self.RENEWERR = ev('msg="Error renewing certificate from LE: <*>, <*>" ACME CA=<*> providerName=<*>',
                           lvl='error')
        self.HCFAIL = ev('msg="Health check failed, removing from server list. Backend: <*> URL: <*> Weight: <*> '
                         'Reason: <*>"', lvl='warning')
        self.HCUP = ev('msg="Health check up: returning to server list. Backend: <*> URL: <*> Weight: <*>"')
        self.GOTSIG = ev('msg="I have to go..."')
        self.STOPPING = ev('msg="Stopping server gracefully"')
        self.CLOSED = ev('msg="accept tcp <*>: use of closed network connection" entryPointName=<*>', lvl='error')
        self.STOPPED = ev('msg="Server stopped"')
        self.SHUTDOWN = ev('msg="Shutting down"')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 2.6 * 3600
        timed = []
        ACME_CA = lq('https://ca.example.net/acme/acme/directory')
        uas = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 '
               'Safari/537.36',
               'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 '
               'Safari/605.1.15',
               'Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0',
               'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
               'Version/17.3.1 Mobile/15E148 Safari/604.1']
        api_uas = ['okhttp/4.12.0', 'python-requests/2.31.0', 'Go-http-client/1.1']
        clients = [doc_ip(rng) for _ in range(60)]
        routers = {
            'shop': ('shop@docker', ['http://172.18.0.5:8080', 'http://172.18.0.6:8080']),
            'api': ('api@docker', ['http://172.18.0.7:3000', 'http://172.18.0.8:3000']),
            'grafana': ('grafana@docker', ['http://172.18.0.11:3000']),
            'dash': ('dashboard@docker', ['-']),
        }
        api_down = (0.42 * D, 0.455 * D)

        def access(t, kind=None):
            kind = kind or weighted(rng, [('shop', 50), ('api', 30), ('grafana', 6), ('dash', 2), ('redirect', 6),
                                          ('scan', 5)])
            ip = rng.choice(clients[:45]) if kind != 'scan' else rng.choice(clients[45:])
            ref = '-'
            if kind == 'shop':
                path = rng.choice(['/', '/products/linen-shirt-blue', '/products/oak-desk', '/cart',
                                   '/static/css/app.3f9c1e.css', '/static/js/app.8b21d4.js', '/img/p/1182-400w.webp',
                                   '/search?q=desk', '/checkout'])
                meth = 'POST' if path == '/checkout' and rng.random() < 0.5 else 'GET'
                status = weighted(rng, [(200, 85), (304, 12), (404, 2), (499, 1)])
                size = 0 if status == 304 else rng.randint(400, 90000)
                ua = rng.choice(uas)
                ref = 'https://shop.example.com/' if rng.random() < 0.6 else '-'
                dur = rng.randint(1, 180)
            elif kind == 'api':
                path = rng.choice(['/v1/orders', '/v1/orders/%d' % rng.randint(580000, 590000), '/v1/stock',
                                   '/v1/customers/me', '/v1/cart'])
                meth = weighted(rng, [('GET', 7), ('POST', 2), ('PUT', 1)])
                status = weighted(rng, [(200, 88), (201, 4), (401, 4), (422, 2), (500, 1)])
                size = rng.randint(60, 12000)
                ua = rng.choice(api_uas + uas[:1])
                dur = rng.randint(3, 400)
            elif kind == 'grafana':
                path = rng.choice(['/api/ds/query', '/api/live/ws', '/api/dashboards/uid/node-exporter',
                                   '/public/build/app.7f3e.js'])
                meth = 'POST' if path == '/api/ds/query' else 'GET'
                status = 200
                size = rng.randint(300, 60000)
                ua = uas[0]
                dur = rng.randint(5, 900)
            elif kind == 'dash':
                path = rng.choice(['/dashboard/', '/api/overview', '/api/http/routers'])
                meth, status, size, ua, dur = 'GET', 200, rng.randint(500, 9000), uas[2], rng.randint(0, 3)
            elif kind == 'redirect':
                path = rng.choice(['/', '/products/oak-desk', '/robots.txt'])
                meth, status, size, ua, dur = 'GET', 308, 18, rng.choice(uas), 0
            else:
                path = rng.choice(['/.env', '/wp-login.php', '/.git/config', '/phpmyadmin/', '/actuator/health',
                                   '/cgi-bin/luci', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php'])
                meth, status, size, ua, dur = 'GET', 404, 19, 'Mozilla/5.0 zgrab/0.x', 0
            if kind in ('redirect',):
                router, url = 'web-to-websecure@docker', '-'
            elif kind == 'scan':
                router, url = '-', '-'
            else:
                router, urls = routers[kind]
                url = rng.choice(urls)
                if kind == 'dash':
                    router = 'dashboard@docker'
            if kind == 'api' and api_down[0] <= t < api_down[1]:
                status, size, dur = 502, 11, rng.randint(0, 3)
            if kind == 'api' and api_down[0] - 40 <= t < api_down[0]:
                status, size, dur = 504, 15, 30000 + rng.randint(0, 20)
            n = Lazy(lambda ctx: ctx.counter('req', 0))
            return [R(self.ACCESS, [meth, path, 'HTTP/2.0' if kind in ('shop', 'grafana', 'dash') and
                                    rng.random() < 0.8 else 'HTTP/1.1', status, size, ref, ua, n, router, url, dur],
                      h={'ip': ip})]

        for t in poisson(rng, 0, D, 5.6):
            timed.append((t, access(t)))
        # a scanner burst
        for t in poisson(rng, 0.3 * D, 0.3 * D + 120, 0.8):
            timed.append((t, access(t, 'scan')))

        # configuration reloads (containers started and stopped by deploys)
        def reload_warnings():
            ch = [R(self.NODOMAIN, ['PathPrefix(`/metrics`)', 'websecure', 'metrics@docker']),
                  R(self.SVCERR, [r'\"queue-worker\"', 'port is missing', 'queue-worker-shop-7b1f', 'docker']),
                  R(self.NONET, ['shop_backend', 'shop-cron-1', 'shop-cron-1', 'docker', 'shop-cron-shop']),
                  R(self.ACMEFAIL, [r'[\"beta.example.org\"]',
                                    r'unable to generate a certificate for the domains [beta.example.org]: error: one '
                                    r'or more domains had a problem:\n[beta.example.org] acme: error: 400 :: '
                                    r'urn:ietf:params:acme:error:dns :: DNS problem: NXDOMAIN looking up A for '
                                    r'beta.example.org - check that a DNS record exists for this domain\n',
                                    ACME_CA, 'myresolver.acme', 'beta@docker', lq('Host(`beta.example.org`)')])]
            return ch

        for t in poisson(rng, 60, D, 190):
            timed.append((t, reload_warnings()))
        timed.append((0.2 * D, [R(self.NOMW, [r'\"auth-basic@docker\"', 'websecure', 'grafana@docker'])]))
        timed.append((0.2 * D + 41, [R(self.NORESOLVER, ['grafana@docker', 'letsencrypt'])]))

        # the api backend dies; health checks take it out, it comes back
        for i, u in enumerate(routers['api'][1]):
            timed.append((api_down[0] + 3 * i + 1, [R(self.HCFAIL, [
                r'\"api@docker\"', r'\"%s\"' % u, 1,
                r'HTTP request failed: Get \"%s/healthz\": dial tcp %s: connect: connection refused' % (
                    u, u.split('//')[1])])]))
            timed.append((api_down[1] + 2 * i, [R(self.HCUP, [r'\"api@docker\"', r'\"%s\"' % u, 1])]))
        # docker daemon restart
        T = 0.62 * D
        err = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'
        ch = [R(self.DOCKERINFO, [lq(err)[1:-1], 'docker'])]
        b = 0.5
        for k in range(8):
            ch.append(R(self.PROVCONN, [err, go_dur(b * rng.uniform(0.9, 1.3)), 'docker'], dt=b))
            b *= 1.6
        timed.append((T, ch))
        # ACME
        timed.append((0.35 * D, [R(self.RENEWING, ['{Main:shop.example.com SANs:[www.shop.example.com]}', ACME_CA,
                                                   'myresolver.acme'])]))
        timed.append((0.35 * D + 29, [R(self.RENEWING, ['{Main:legacy.example.net SANs:[]}', ACME_CA,
                                                        'myresolver.acme']),
                                      R(self.RENEWERR, ['{Main:legacy.example.net SANs:[]}',
                                                        r'error: one or more domains had a problem:\n'
                                                        r'[legacy.example.net] acme: error: 403 :: '
                                                        r'urn:ietf:params:acme:error:unauthorized :: Cannot negotiate '
                                                        r'ALPN protocol \"acme-tls/1\" for tls-alpn-01 challenge\n',
                                                        ACME_CA, 'myresolver.acme'], dt=4.2)]))

        start = [R(self.CONFLOADED, []),
                 R(self.VERSION, ['2.11.0', '2024-02-12T15:52:37Z'], dt=0.0001)]
        for p in ['aggregator.ProviderAggregator', '*file.Provider', '*traefik.Provider', '*docker.Provider',
                  '*acme.ChallengeTLSALPN', '*acme.Provider']:
            start.append(R(self.PROVIDER, [p], dt=0.0003))
        start.append(R(self.TESTRENEW, [ACME_CA, 'myresolver.acme']))
        start += reload_warnings()
        start.append(R(self.NEWREL, ['2.11.2'], dt=0.9))

        end = [R(self.GOTSIG, []), R(self.STOPPING, [], dt=0.001),
               R(self.CLOSED, ['[::]:443', 'websecure'], dt=0.003),
               R(self.CLOSED, ['[::]:80', 'web'], dt=0.0005),
               R(self.STOPPED, [], dt=0.01), R(self.SHUTDOWN, [], dt=0.002)]

        def filler(t):
            return t, access(t, 'shop')

        return start, timed, end, filler


# ----------------------------------------------------------------------------
# 6. Nomad 1.7 agent (server and client on one node), hclog at DEBUG
# ----------------------------------------------------------------------------

class Nomad(System):
    name = 'Nomad'
    seed = 7606
    start = datetime(2024, 3, 16, 2, 10, 4, 331000)
    header_re = (r'^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[(?P<level>TRACE|DEBUG|INFO|WARN|ERROR)\] +'
                 r'(?P<logger>[\w.@-]+): (?P<msg>.+)$')

    def header(self, meta, ts, h):
        lvl = meta.get('lvl', 'INFO')
        return '%s.%03dZ [%s] %s%s: ' % (ts.strftime('%Y-%m-%dT%H:%M:%S'), ts.microsecond // 1000, lvl,
                                        ' ' if len(lvl) == 4 else '', h.get('logger', meta.get('logger')))

    def in_chunk_gap(self):
        return self.rng.uniform(0.0005, 0.03)

    def define(self):
        ev = self.ev
        TR = 'client.alloc_runner.task_runner'
        DK = 'client.driver_mgr.docker'
        RF = 'nomad.raft'
        self.HTTP = ev('request complete: method=<*> path=<*> duration=<*>', lvl='DEBUG', logger='http')
        self.DEQ = ev('dequeued evaluation: worker_id=<*> eval_id=<*> type=<*> namespace=<*> job_id=<*> node_id=<*> '
                      'triggered_by=<*>', lvl='DEBUG', logger='worker')
        self.RECONCILED = ev('reconciled current state with desired state: eval_id=<*> job_id=<*> namespace=<*> '
                             'worker_id=<*>', lvl='DEBUG', logger='worker.service_sched')
        self.PLAN = ev('submitted plan for evaluation: worker_id=<*> eval_id=<*>', lvl='DEBUG', logger='worker')
        self.EVALSTATUS = ev('setting eval status: eval_id=<*> job_id=<*> namespace=<*> worker_id=<*> status=<*>',
                             lvl='DEBUG', logger='worker.service_sched')
        self.UPDATED = ev('updated evaluation: worker_id=<*> eval=<*>', lvl='DEBUG', logger='worker')
        self.ACK = ev('ack evaluation: worker_id=<*> eval_id=<*> type=<*> namespace=<*> job_id=<*> node_id=<*> '
                      'triggered_by=<*>', lvl='DEBUG', logger='worker')
        self.UPDALLOCS = ev('updated allocations: index=<*> total=<*> pulled=<*> filtered=<*>', lvl='DEBUG',
                            logger='client')
        self.ALLOCUPD = ev('allocation updates: added=<*> removed=<*> updated=<*> ignored=<*>', lvl='DEBUG',
                           logger='client')
        self.ALLOCAPPLIED = ev('allocation updates applied: added=<*> removed=<*> updated=<*> ignored=<*> errors=<*>',
                               lvl='DEBUG', logger='client')
        self.TASKEV = ev('Task event: alloc_id=<*> task=<*> type=<*> msg=<*> failed=<*>', logger=TR)
        self.RESTARTING = ev('restarting task: alloc_id=<*> task=<*> reason=<*> delay=<*>', logger=TR)
        self.CREATED = ev('created container: driver=<*> container_id=<*>', lvl='DEBUG', logger=DK)
        self.STARTEDC = ev('started container: driver=<*> container_id=<*>', lvl='DEBUG', logger=DK)
        self.PULLPROG = ev('image pull progress: driver=<*> image_name=<*> message=<*>', lvl='DEBUG', logger=DK)
        self.PULLFAIL = ev('failed pulling container: driver=<*> image_ref=<*> error=<*>', lvl='ERROR', logger=DK)
        self.LOGMON = ev('plugin process exited: alloc_id=<*> task=<*> path=<*> pid=<*>',
                         logger=TR + '.task_hook.logmon')
        self.GCMARK = ev('marking allocation for GC: alloc_id=<*>', logger='client.gc')
        self.GCRUN = ev('garbage collecting allocation: alloc_id=<*> reason=<*>', logger='client.gc')
        self.RENDERED = ev('(runner) rendered <*> => <*>', logger='agent')
        self.SUSPECT = ev('memberlist: Suspect <*> has failed, no acks received', logger='nomad')
        self.SERFFAILED = ev('serf: EventMemberFailed: <*> <*>', logger='nomad')
        self.SERFJOIN = ev('serf: EventMemberJoin: <*> <*>', logger='nomad')
        self.ADDSERVER = ev('adding server: server=<*>', logger='nomad')
        self.HBTIMEOUT = ev('heartbeat timeout reached, starting election: last-leader-addr=<*> last-leader-id=<*>',
                            lvl='WARN', logger=RF)
        self.CANDIDATE = ev('entering candidate state: node=<*> term=<*>', logger=RF)
        self.WON = ev('election won: term=<*> tally=<*>', logger=RF)
        self.LEADERST = ev('entering leader state: leader=<*>', logger=RF)
        self.ADDPEER = ev('added peer, starting replication: peer=<*>', logger=RF)
        self.PIPELINE = ev('pipelining replication: peer=<*>', logger=RF)
        self.NOCONTACT = ev('failed to contact: server-id=<*> time=<*>', lvl='WARN', logger=RF)
        self.APPENDFAIL = ev('failed to appendEntries to: peer=<*> error=<*>', lvl='ERROR', logger=RF)
        self.HBFAIL = ev('failed to heartbeat to: peer=<*> backoff time=<*> error=<*>', lvl='ERROR', logger=RF)
        self.LEADERSHIP = ev('cluster leadership acquired', logger='nomad')
        self.TTL = ev('node TTL expired: node_id=<*>', lvl='WARN', logger='nomad.heartbeat')
        self.RPCERR = ev('error performing RPC to server: error=<*> rpc=<*> server=<*>', lvl='ERROR',
                         logger='client.rpc')
        self.CLIENTHB = ev('error heartbeating. retrying: error=<*> period=<*>', lvl='ERROR', logger='client')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 3.3 * 3600
        timed = []
        workers = [uuid4(rng) for _ in range(2)]
        me_id, n2_id, n3_id = uuid4(rng), uuid4(rng), uuid4(rng)
        me_ip, n2_ip, n3_ip = '10.0.1.11', '10.0.1.12', '10.0.1.13'
        my_node = uuid4(rng)
        nodes = [my_node] + [uuid4(rng) for _ in range(5)]
        jobs = {'web': ('service', ['web'], 'registry.example.net/shop/web:4.12.0'),
                'api': ('service', ['api', 'envoy'], 'registry.example.net/shop/api:2.8.3'),
                'billing-worker': ('service', ['worker'], 'registry.example.net/billing/worker:2.4.1'),
                'report-nightly': ('batch', ['report'], 'registry.example.net/tools/report:1.3.0'),
                'cleanup': ('batch', ['cleanup'], 'registry.example.net/tools/cleanup:0.9.2')}
        idx = {'i': 88123}

        def ms(a, b):
            return go_dur(rng.uniform(a, b))

        # HTTP API: prometheus scrape, UI blocking queries, CLI
        def http(t):
            m, p = weighted(rng, [
                (('GET', '/v1/metrics?format=prometheus'), 30),
                (('GET', '/v1/jobs?index=%d' % rng.randint(88000, 89999)), 14),
                (('GET', '/v1/job/%s/allocations?index=%d' % (rng.choice(list(jobs)), rng.randint(88000, 89999))), 8),
                (('GET', '/v1/node/%s' % rng.choice(nodes)), 4),
                (('GET', '/v1/agent/health?type=client'), 6),
                (('GET', '/v1/status/leader'), 3),
                (('PUT', '/v1/job/%s/plan' % rng.choice(list(jobs))), 1)])
            d = rng.uniform(0.0003, 0.02) if 'index' not in p else rng.uniform(0.001, 300)
            return [R(self.HTTP, [m, p, go_dur(d)])]

        for t in poisson(rng, 0, D, 17):
            timed.append((t, http(t)))

        def alloc_updates(n_added, n_removed, n_updated):
            i = Lazy(lambda ctx: ctx.counter('index', 88123, 1, 9))
            tot = rng.randint(14, 19)
            return [R(self.UPDALLOCS, [i, tot, n_added + n_updated + n_removed, tot - n_added - n_updated - n_removed]),
                    R(self.ALLOCUPD, [n_added, n_removed, n_updated, tot - n_added - n_updated - n_removed]),
                    R(self.ALLOCAPPLIED, [n_added, n_removed, n_updated, tot - n_added - n_updated - n_removed, 0],
                      dt=rng.uniform(0.005, 0.05))]

        def evaluation(job, trig, place, stop, ignore):
            typ = jobs[job][0]
            eid = uuid4(rng)
            w = rng.choice(workers)
            sched = 'worker.%s_sched' % typ
            res = ['  results=',
                   '  | Total changes: (place %d) (destructive 0) (inplace 0) (stop %d) (disconnect 0) (reconnect 0)' % (
                       place, stop)]
            if place and typ == 'service':
                res.append('  | Created Deployment: "%s"' % uuid4(rng))
            for tg in jobs[job][1][:1]:
                res.append('  | Desired Changes for "%s": (place %d) (inplace 0) (destructive 0) (stop %d) '
                           '(migrate 0) (ignore %d) (canary 0)' % (tg, place, stop, ignore))
            ch = [R(self.DEQ, [w, eid, typ, 'default', job, '""', trig]),
                  R(self.RECONCILED, [eid, job, 'default', w], conts=res, h={'logger': sched}, dt=0.002)]
            if place or stop:
                ch.append(R(self.PLAN, [w, eid], dt=rng.uniform(0.003, 0.02)))
            ch += [R(self.EVALSTATUS, [eid, job, 'default', w, 'complete'], h={'logger': sched}),
                   R(self.UPDATED, [w, hq('<Eval "%s" JobID: "%s" Namespace: "default">' % (eid, job))]),
                   R(self.ACK, [w, eid, typ, 'default', job, '""', trig])]
            return ch

        def task_start(job, task, t_pull=False):
            aid = uuid4(rng)
            img = jobs[job][2]
            ch = [R(self.TASKEV, [aid, task, 'Received', hq('Task received by client'), 'false']),
                  R(self.TASKEV, [aid, task, hq('Task Setup'), hq('Building Task Directory'), 'false'])]
            if job in ('web', 'api'):
                ch.append(R(self.RENDERED, [hq('(dynamic)'), hq('/opt/nomad/data/alloc/%s/%s/secrets/env.vars' % (
                    aid, task))], dt=rng.uniform(0.05, 0.3)))
            ch.append(R(self.TASKEV, [aid, task, 'Driver', hq('Downloading image'), 'false']))
            if t_pull:
                for k in range(1, 3):
                    ch.append(R(self.PULLPROG, ['docker', img, hq('Pulled %d/6 (%.1f MiB/%.1f MiB) layers: %d waiting/2 '
                                                                 'pulling - est %.1fs remaining' % (
                                                                     2 * k, 14.2 * k, 48.7, 4 - 2 * k, 30.0 / k))],
                                dt=10.0))
            cid = hexs(rng, 64)
            ch += [R(self.CREATED, ['docker', cid], dt=rng.uniform(0.3, 3)),
                   R(self.STARTEDC, ['docker', cid], dt=rng.uniform(0.2, 0.8)),
                   R(self.TASKEV, [aid, task, 'Started', hq('Task started by client'), 'false'], dt=0.01)]
            return aid, ch

        def task_stop(aid, task, code=0):
            return [R(self.TASKEV, [aid, task, 'Killing', hq('Sent interrupt. Waiting 5s before force killing'),
                                    'false']),
                    R(self.TASKEV, [aid, task, 'Terminated', hq('Exit Code: %d' % code), 'false'],
                      dt=rng.uniform(0.2, 4)),
                    R(self.TASKEV, [aid, task, 'Killed', hq('Task successfully killed'), 'false'], dt=0.02),
                    R(self.LOGMON, [aid, task, '/usr/local/bin/nomad', Lazy(lambda ctx: ctx.counter('pid', 301277, 5, 90))],
                      dt=0.01),
                    R(self.GCMARK, [aid], dt=0.02)]

        # job deployments: evaluation, placement on this node, old alloc stopped
        for t in poisson(rng, 60, D, 430):
            job = rng.choice(['web', 'api', 'web'])
            task = jobs[job][1][0]
            ch = evaluation(job, 'job-register', 1, 1, rng.randint(1, 3))
            ch += alloc_updates(1, 0, 1)
            aid, st = task_start(job, task, t_pull=rng.random() < 0.3)
            ch += st
            old = uuid4(rng)
            stop = task_stop(old, task)
            stop[0].dt = rng.uniform(10, 30)
            ch += stop
            timed.append((t, ch))
        # periodic batch jobs
        for t in periodic(rng, 0, D, 900, phase=0.4, jitter=0.2):
            job = rng.choice(['cleanup', 'cleanup', 'report-nightly'])
            task = jobs[job][1][0]
            ch = evaluation(job, 'periodic-job', 1, 0, 0) + alloc_updates(1, 0, 0)
            aid, st = task_start(job, task)
            ch += st
            ch += [R(self.TASKEV, [aid, task, 'Terminated', hq('Exit Code: 0'), 'false'], dt=rng.uniform(5, 60)),
                   R(self.LOGMON, [aid, task, '/usr/local/bin/nomad', Lazy(lambda ctx: ctx.counter('pid', 301277, 5, 90))],
                     dt=0.01),
                   R(self.GCMARK, [aid], dt=0.02)]
            timed.append((t, ch))
        # node-update evaluations with nothing to do
        for t in poisson(rng, 0, D, 330):
            ch = evaluation(rng.choice(['web', 'api']), 'node-update', 0, 0, rng.randint(2, 3))
            ch[0].vals[5] = rng.choice(nodes)
            ch[-1].vals[5] = ch[0].vals[5]
            timed.append((t, ch))
        # garbage collection
        for t in poisson(rng, 0, D, 700):
            timed.append((t, [R(self.GCRUN, [uuid4(rng), hq('number of allocations (52) is over the limit (50)')])]))

        # billing-worker crash loop, then image pull failure while the registry is down
        T = 0.27 * D
        aid, st = task_start('billing-worker', 'worker')
        ch = st
        for k in range(2):
            delay = rng.uniform(15, 18)
            ch += [R(self.TASKEV, [aid, 'worker', 'Terminated', hq('Exit Code: 1, Exit Message: "Docker container '
                                                                   'exited with non-zero exit code: 1"'), 'false'],
                     dt=rng.uniform(3, 9)),
                   R(self.RESTARTING, [aid, 'worker', hq('Restart within policy'), go_dur(delay)]),
                   R(self.TASKEV, [aid, 'worker', 'Restarting', hq('Task restarting in %s' % go_dur(delay)), 'false']),
                   R(self.TASKEV, [aid, 'worker', 'Driver', hq('Downloading image'), 'false'], dt=delay)]
            cid = hexs(rng, 64)
            ch += [R(self.CREATED, ['docker', cid], dt=0.4), R(self.STARTEDC, ['docker', cid], dt=0.4),
                   R(self.TASKEV, [aid, 'worker', 'Started', hq('Task started by client'), 'false'])]
        ch += [R(self.TASKEV, [aid, 'worker', 'Terminated', hq('Exit Code: 1, Exit Message: "Docker container '
                                                               'exited with non-zero exit code: 1"'), 'false'],
                 dt=rng.uniform(3, 9)),
               R(self.TASKEV, [aid, 'worker', hq('Not Restarting'),
                               hq('Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"'), 'true']),
               R(self.GCMARK, [aid], dt=0.05)]
        timed.append((T, ch))
        T = 0.58 * D
        img = jobs['billing-worker'][2]
        err = 'API error (500): Get "https://registry.example.net/v2/": dial tcp 10.0.7.20:443: connect: connection refused'
        for k in range(4):
            aid = uuid4(rng)
            ch = [R(self.TASKEV, [aid, 'worker', 'Received', hq('Task received by client'), 'false']),
                  R(self.TASKEV, [aid, 'worker', 'Driver', hq('Downloading image'), 'false']),
                  R(self.PULLFAIL, ['docker', img, hq(err)], dt=rng.uniform(0.05, 0.3)),
                  R(self.TASKEV, [aid, 'worker', hq('Driver Failure'), hq('Failed to pull `%s`: %s' % (img, err)),
                                  'false']),
                  R(self.TASKEV, [aid, 'worker', hq('Not Restarting'), hq('Error was unrecoverable'), 'true'])]
            timed.append((T + 41 * k, ch))

        # leader nomad-2 dies; this server wins the election
        T = 0.43 * D
        ch = [R(self.RPCERR, [hq('rpc error: EOF'), 'Node.GetClientAllocs', '%s:4647' % n2_ip], h={}),
              R(self.SUSPECT, ['nomad-2.global'], dt=1.4),
              R(self.HBTIMEOUT, ['%s:4647' % n2_ip, n2_id], dt=0.1),
              R(self.CANDIDATE, [hq('Node at %s:4647 [Candidate]' % me_ip), 43]),
              R(self.CLIENTHB, [hq('failed to update status: rpc error: No cluster leader'), go_dur(1.62)], dt=0.05),
              R(self.WON, [43, 2], dt=0.012),
              R(self.LEADERST, [hq('Node at %s:4647 [Leader]' % me_ip)]),
              R(self.ADDPEER, [n2_id]),
              R(self.ADDPEER, [n3_id]),
              R(self.LEADERSHIP, [], dt=0.002),
              R(self.PIPELINE, [hq('{Voter %s %s:4647}' % (n3_id, n3_ip))], dt=0.003),
              R(self.SERFFAILED, ['nomad-2.global', n2_ip], dt=3.9)]
        timed.append((T, ch))
        outage = 190.0
        b = 0.05
        for t in poisson(rng, T + 0.5, T + outage, 2.7):
            timed.append((t, [R(self.APPENDFAIL, [hq('{Voter %s %s:4647}' % (n2_id, n2_ip)),
                                                  hq('dial tcp %s:4647: connect: connection refused' % n2_ip)])]))
        for t in poisson(rng, T + 0.5, T + outage, 6):
            b = min(b * 2, 51.2)
            timed.append((t, [R(self.HBFAIL, ['%s:4647' % n2_ip, go_dur(b),
                                              hq('dial tcp %s:4647: connect: connection refused' % n2_ip)])]))
        for t in periodic(rng, T + 2, T + outage, 10, phase=0.3, jitter=0.2):
            timed.append((t, [R(self.NOCONTACT, [n2_id, go_dur(rng.uniform(2.5, 3.1) + (t - T))])]))
        for k, nd in enumerate(nodes[4:6]):
            timed.append((T + 21 + 3.3 * k, [R(self.TTL, [nd])]))
        timed.append((T + outage + 2, [R(self.SERFJOIN, ['nomad-2.global', n2_ip]),
                                       R(self.ADDSERVER, [hq('nomad-2.global (Addr: %s:4647) (DC: dc1)' % n2_ip)]),
                                       R(self.PIPELINE, [hq('{Voter %s %s:4647}' % (n2_id, n2_ip))], dt=0.4)]))

        def filler(t):
            return t, http(t)

        return [], timed, [], filler


SYSTEMS = [Systemd, Etcd, Ceph, Gunicorn, Traefik, Nomad]


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
