#!/usr/bin/env python3
"""Generate the logs-heldout-8 corpus: six synthetic, labelled 2,000-line logs.

Standard library only, deterministic (a fixed seed per system).

    python3 generate.py            # writes every system
    python3 generate.py Flink      # writes one system

Each system S gets S/S_2k.log (raw lines, headers included) and
S/S_2k.log_structured.csv (LineId,EventId,EventTemplate, one row per raw line;
continuation lines carry the EventId and template of their record).  After
writing, the files are read back and checked; any failed check raises
RuntimeError.

The framework (records, write-out and checks) follows the seventh corpus's
generate.py: each system describes independent activities (a checkpoint, a
request, a GC cycle, an outage), each a chunk of records placed at an absolute
time on the timeline.  All records are merged by time, so activities
interleave the way they do in a real log, and the merged stream is cut at
2,000 lines.
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




def epoch_ms(ts):
    return int((ts - datetime(1970, 1, 1)).total_seconds() * 1000)


# ----------------------------------------------------------------------------
# 1. Apache Flink 1.18: JobManager and two TaskManager logs, merged by time
# ----------------------------------------------------------------------------

FD = '~[flink-dist-1.18.1.jar:1.18.1]'
JDK = '~[?:?]'


def jframes(frames, mark=FD):
    out = []
    for f in frames:
        if isinstance(f, tuple):
            f, m = f
        else:
            m = JDK if f.startswith('java.') else mark
        out.append('\tat %s %s' % (f, m))
    return out


JAVA_POOL = ['java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)',
             'java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:635)',
             'java.lang.Thread.run(Thread.java:833)']
PEKKO = ['org.apache.flink.runtime.rpc.pekko.PekkoRpcActor.lambda$handleRunAsync$4(PekkoRpcActor.java:451)',
         'org.apache.flink.runtime.concurrent.ClassLoadingUtils.runWithContextClassLoader(ClassLoadingUtils.java:68)',
         'org.apache.flink.runtime.rpc.pekko.PekkoRpcActor.handleRunAsync(PekkoRpcActor.java:451)',
         'org.apache.flink.runtime.rpc.pekko.PekkoRpcActor.handleRpcMessage(PekkoRpcActor.java:218)',
         'org.apache.flink.runtime.rpc.pekko.FencedPekkoRpcActor.handleRpcMessage(FencedPekkoRpcActor.java:85)']


class Flink(System):
    name = 'Flink'
    seed = 8101
    start = datetime(2024, 3, 18, 10, 2, 17, 311000)
    header_re = (r'^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?P<level>TRACE|DEBUG|INFO|WARN|ERROR|FATAL) +'
                 r'(?P<logger>[\w.$]+) +\[\] - (?P<msg>.+)$')

    def header(self, meta, ts, h):
        return '%s,%03d %-5s %-60s [] - ' % (ts.strftime('%Y-%m-%d %H:%M:%S'), ts.microsecond // 1000,
                                               meta.get('lvl', 'INFO'), h.get('logger', meta['logger']))

    def in_chunk_gap(self):
        return self.rng.uniform(0.0005, 0.008)

    def define(self):
        ev = self.ev
        EG = dict(logger='org.apache.flink.runtime.executiongraph.ExecutionGraph')
        CC = dict(logger='org.apache.flink.runtime.checkpoint.CheckpointCoordinator')
        FO = dict(logger='org.apache.flink.runtime.executiongraph.failover.flip1.RestartPipelinedRegionFailoverStrategy')
        JM = dict(logger='org.apache.flink.runtime.jobmaster.JobMaster')
        TE = dict(logger='org.apache.flink.runtime.taskexecutor.TaskExecutor')
        TK = dict(logger='org.apache.flink.runtime.taskmanager.Task')
        DI = dict(logger='org.apache.flink.runtime.dispatcher.StandaloneDispatcher')
        # one format string, used by Execution (JobManager) and Task (TaskManager)
        self.STATE = ev('<*> (<*>) switched from <*> to <*>.', **EG)
        self.STATEFAIL = ev('<*> (<*>) switched from <*> to <*> on <*>.', **EG)
        self.TMFAIL = ev('<*> (<*>) switched from <*> to <*> with failure cause:', lvl='WARN', **TK)
        self.JOBSTATE = ev('Job <*> (<*>) switched from state <*> to <*>.', **EG)
        self.DEPLOY = ev('Deploying <*> (attempt #<*>) with attempt id <*> and vertex id <*> to <*> with allocation '
                         'id <*>', **EG)
        self.TRIG = ev('Triggering checkpoint <*> (type=<*>) @ <*> for job <*>.', **CC)
        self.COMPL = ev('Completed checkpoint <*> for job <*> (<*> bytes, checkpointDuration=<*> ms, '
                        'finalizationTime=<*> ms).', **CC)
        self.EXPIRED = ev('Checkpoint <*> of job <*> expired before completing.', **CC)
        self.TRIGFAIL = ev('Failed to trigger or complete checkpoint <*> for job <*>. (<*> consecutive failed '
                           'attempts so far)', lvl='WARN', **CC)
        self.RESTORE = ev('Restoring job <*> from Checkpoint <*> @ <*> for <*> located at <*>.', **CC)
        self.NOMASTER = ev('No master state to restore', **CC)
        self.CALC = ev('Calculating tasks to restart to recover the failed task <*>.', **FO)
        self.NTASKS = ev('<*> tasks will be restarted to recover the failed task <*>.', **FO)
        self.DISCONNECT = ev('Disconnect TaskExecutor <*> because: <*>', **JM)
        self.CLOSETM = ev('Closing TaskExecutor connection <*> because: <*>',
                          logger='org.apache.flink.runtime.resourcemanager.StandaloneResourceManager')
        self.REGTM = ev('Registering TaskManager with ResourceID <*> (<*>) at ResourceManager',
                        logger='org.apache.flink.runtime.resourcemanager.StandaloneResourceManager')
        self.RECVREQ = ev('Received resource requirements from job <*>: <*>',
                          logger='org.apache.flink.runtime.resourcemanager.slotmanager.FineGrainedSlotManager')
        self.SLOTREQ = ev('Receive slot request <*> for job <*> from resource manager with leader id <*>.', **TE)
        self.ALLOC = ev('Allocated slot for <*>.', logger='org.apache.flink.runtime.taskexecutor.slot.TaskSlotTableImpl')
        self.ADDJOB = ev('Add job <*> for job leader monitoring.',
                         logger='org.apache.flink.runtime.taskexecutor.DefaultJobLeaderService')
        self.ESTABLISH = ev('Establish JobManager connection for job <*>.', **TE)
        self.OFFER = ev('Offer reserved slots to the leader of job <*>.', **TE)
        self.RECVTASK = ev('Received task <*> (<*>), deploy into slot with allocation id <*>.', **TE)
        self.ACTIVATE = ev('Activate slot <*>.', logger='org.apache.flink.runtime.taskexecutor.slot.TaskSlotTableImpl')
        self.LOADJAR = ev('Loading JAR files for task <*>.', **TK)
        self.CANCEL = ev('Attempting to cancel task <*> (<*>).', **TK)
        self.FREEING = ev('Freeing task resources for <*> (<*>).', **TK)
        self.UNREG = ev('Un-registering task and sending final execution state <*> to JobManager for task <*> <*>.',
                        **TE)
        self.SUBMIT = ev("Received JobGraph submission '<*>' (<*>).", **DI)
        self.SUBMITTING = ev("Submitting job '<*>' (<*>).", **DI)
        self.STARTEXEC = ev("Starting execution of job '<*>' (<*>) under job master id <*>.", **JM)
        self.SCHEDULING = ev('Starting scheduling with scheduling strategy [<*>]',
                             logger='org.apache.flink.runtime.scheduler.DefaultScheduler')
        self.SEEK = ev('[Consumer clientId=<*>, groupId=<*>] Seeking to offset <*> for partition <*>',
                       logger='org.apache.kafka.clients.consumer.internals.SubscriptionState')
        self.FETCHERR = ev('[Consumer clientId=<*>, groupId=<*>] Error sending fetch request (sessionId=<*>, '
                           'epoch=<*>) to node <*>:', logger='org.apache.kafka.clients.FetchSessionHandler')
        self.JDBCERR = ev('JDBC executeBatch error, retry times = <*>', lvl='ERROR',
                          logger='org.apache.flink.connector.jdbc.internal.JdbcOutputFormat')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 4.0 * 3600
        timed = []
        JOB = 'orders-enrichment'
        jid = hexs(rng, 32)
        gid = [hexs(rng, 32)]
        par = 4
        verts = [('Source: kafka-orders -> Timestamps/Watermarks', hexs(rng, 32)),
                 ('Window(TumblingEventTimeWindows(60000), EventTimeTrigger, OrderAggregator, '
                  'PassThroughWindowFunction)', hexs(rng, 32)),
                 ('Sink: jdbc-orders-sink', hexs(rng, 32))]
        tms = []
        for i, ip in enumerate(['10.0.3.12', '10.0.3.13']):
            rid = '%s:%d-%s' % (ip, port(rng), hexs(rng, 6))
            tms.append({'rid': rid, 'host': 'flink-tm-%d.example.net' % (i + 1), 'ip': ip,
                        'dp': port(rng), 'addr': 'pekko.tcp://flink@%s:6122/user/rpc/taskmanager_0' % ip})

        def loc(tm):
            return '%s @ %s (dataPort=%d)' % (tm['rid'], tm['host'], tm['dp'])

        TEL = 'org.apache.flink.runtime.taskexecutor.TaskExecutor'
        TKL = 'org.apache.flink.runtime.taskmanager.Task'
        # tasks: (vertex index, subtask) -> slot (tm index, allocation id)
        slots = [(k // 2, hexs(rng, 32)) for k in range(par)]
        rm_leader = uuid4(rng)
        jm_leader = hexs(rng, 32)
        CKT = "CheckpointType{name='Checkpoint', sharingFilesStrategy=FORWARD_BACKWARD}"
        partitions = ['orders-%d' % p for p in range(12)]
        offsets = {p: rng.randint(4000000, 9000000) for p in partitions}
        st = {'attempt': 0, 'ck': 0}

        def attempt_id(v, s, a):
            return '%s_%s_%d_%d' % (gid[0], verts[v][1], s, a)

        def tasks():
            return [(v, s) for s in range(par) for v in range(3)]

        def jname(v, s):
            return '%s (%d/%d)' % (verts[v][0], s + 1, par)

        def tname(v, s, a):
            return '%s (%d/%d)#%d' % (verts[v][0], s + 1, par, a)

        def slot_setup(tm_idx_list, first=True):
            ch = []
            req = '[ResourceRequirement{resourceProfile=ResourceProfile{UNKNOWN}, numberOfRequiredSlots=%d}]' % par
            ch.append(R(self.RECVREQ, [jid, req], dt=0.02))
            for k, (ti, aid) in enumerate(slots):
                if ti not in tm_idx_list:
                    continue
                ch += [R(self.SLOTREQ, [aid, jid, rm_leader], dt=0.01),
                       R(self.ALLOC, [aid])]
                if k % 2 == 0:
                    ch += [R(self.ADDJOB, [jid]), R(self.ESTABLISH, [jid], dt=0.05)]
                ch.append(R(self.OFFER, [jid], dt=0.01))
            return ch

        def deploy(a, delay=0.0):
            ch = []
            for v, s in tasks():
                ch.append(R(self.STATE, [jname(v, s), attempt_id(v, s, a), 'CREATED', 'SCHEDULED'],
                            dt=delay if not ch else None))
            for v, s in tasks():
                ti, aid = slots[s]
                tm = tms[ti]
                ch += [R(self.STATE, [jname(v, s), attempt_id(v, s, a), 'SCHEDULED', 'DEPLOYING']),
                       R(self.DEPLOY, [jname(v, s), a, attempt_id(v, s, a), verts[v][1], loc(tm), aid])]
            recv = []
            for v, s in tasks():
                ti, aid = slots[s]
                hh = {}
                recv += [R(self.RECVTASK, [tname(v, s, a), attempt_id(v, s, a), aid], h=hh),
                         R(self.STATE, [tname(v, s, a), attempt_id(v, s, a), 'CREATED', 'DEPLOYING'],
                           h={'logger': TKL}),
                         R(self.LOADJAR, [tname(v, s, a)])]
            for r in recv:
                r.dt = rng.uniform(0.001, 0.01)
            recv[0].dt = 0.03
            ch += recv
            act = [R(self.ACTIVATE, [aid]) for _, aid in slots]
            ch += act
            for v, s in tasks():
                ch += [R(self.STATE, [tname(v, s, a), attempt_id(v, s, a), 'DEPLOYING', 'INITIALIZING'],
                         h={'logger': TKL}, dt=rng.uniform(0.01, 0.06)),
                       R(self.STATE, [jname(v, s), attempt_id(v, s, a), 'DEPLOYING', 'INITIALIZING'])]
            for s in range(par):
                for p in partitions[s * 3:s * 3 + 3]:
                    offsets[p] += rng.randint(20000, 90000)
                    ch.append(R(self.SEEK, ['orders-enrichment-%d' % s, 'orders-enrichment', offsets[p], p],
                                dt=rng.uniform(0.05, 0.3)))
            for v, s in tasks():
                ch += [R(self.STATE, [tname(v, s, a), attempt_id(v, s, a), 'INITIALIZING', 'RUNNING'],
                         h={'logger': TKL}, dt=rng.uniform(0.05, 0.6)),
                       R(self.STATE, [jname(v, s), attempt_id(v, s, a), 'INITIALIZING', 'RUNNING'])]
            return ch

        def cancel(a, skip=(), lost=None):
            ch = []
            for v, s in tasks():
                if (v, s) in skip or (lost is not None and slots[s][0] == lost):
                    continue
                ch.append(R(self.STATE, [jname(v, s), attempt_id(v, s, a), 'RUNNING', 'CANCELING']))
            for v, s in tasks():
                if (v, s) in skip or (lost is not None and slots[s][0] == lost):
                    continue
                ch += [R(self.CANCEL, [tname(v, s, a), attempt_id(v, s, a)]),
                       R(self.STATE, [tname(v, s, a), attempt_id(v, s, a), 'RUNNING', 'CANCELING'],
                         h={'logger': TKL}),
                       R(self.STATE, [tname(v, s, a), attempt_id(v, s, a), 'CANCELING', 'CANCELED'],
                         h={'logger': TKL}, dt=rng.uniform(0.01, 0.3)),
                       R(self.FREEING, [tname(v, s, a), attempt_id(v, s, a)]),
                       R(self.UNREG, ['CANCELED', tname(v, s, a), attempt_id(v, s, a)]),
                       R(self.STATE, [jname(v, s), attempt_id(v, s, a), 'CANCELING', 'CANCELED'])]
            return ch

        def restore():
            def ck(ctx):
                return ctx.st.get('last_ck', 0)
            return [R(self.JOBSTATE, [JOB, jid, 'RESTARTING', 'RUNNING']),
                    R(self.RESTORE, [jid, Lazy(ck), Lazy(lambda ctx: ctx.st.get('last_ck_ts')), jid,
                                     Lazy(lambda ctx: 's3://flink-state-example/checkpoints/%s/chk-%d' % (
                                         jid, ck(ctx)))]),
                    R(self.NOMASTER, [])]

        # submission and first deployment
        ch = [R(self.SUBMIT, [JOB, jid]), R(self.SUBMITTING, [JOB, jid], dt=0.01),
              R(self.STARTEXEC, [JOB, jid, jm_leader], dt=0.4),
              R(self.JOBSTATE, [JOB, jid, 'CREATED', 'RUNNING'], dt=0.1),
              R(self.SCHEDULING, ['PipelinedRegionSchedulingStrategy'])]
        ch += slot_setup([0, 1])
        ch += deploy(0, 0.3)
        timed.append((0.0, ch))

        ck_blocked = []

        def ck_chunk(dur=None):
            idv = Lazy(lambda ctx: ctx.counter('ck', 0))
            tsv = AtTs(epoch_ms)

            def done(ctx):
                ctx.st['last_ck'] = resolve(idv, ctx)
                ctx.st['last_ck_ts'] = ctx.st['trig_ts'][resolve(idv, ctx)]
                return ctx.st['last_ck']

            def trig_ts(ctx):
                ctx.st.setdefault('trig_ts', {})[resolve(idv, ctx)] = epoch_ms(ctx.ts)
                return epoch_ms(ctx.ts)
            d = dur if dur is not None else rng.lognormvariate(6.6, 0.5)
            size = rng.randint(180000000, 260000000)
            return [R(self.TRIG, [idv, CKT, Lazy(trig_ts), jid]),
                    R(self.COMPL, [Lazy(done), jid, size, int(d), rng.randint(1, 9)], dt=d / 1000.0)]

        # incidents
        T1 = 0.21 * D    # NPE in the window operator, region failover
        T2 = 0.47 * D    # back-pressure: checkpoints expire, tolerable failure threshold exceeded
        T3 = 0.73 * D    # TaskManager 2 lost (heartbeat timeout)
        ck_blocked += [(T1 - 5, T1 + 25), (T2 - 2, T2 + 560), (T3 - 5, T3 + 90)]

        for t in periodic(rng, 20, D, 30, phase=rng.uniform(0, 30), jitter=0.03):
            if any(a <= t <= b for a, b in ck_blocked):
                continue
            timed.append((t, ck_chunk()))

        npe = ['java.lang.NullPointerException: Cannot invoke "com.example.orders.model.Customer.getTier()" '
               'because "customer" is null'] + jframes([
                   ('com.example.orders.OrderAggregator.add(OrderAggregator.java:57)', JDK),
                   ('com.example.orders.OrderAggregator.add(OrderAggregator.java:21)', JDK),
                   'org.apache.flink.runtime.state.heap.HeapAggregatingState$AggregateTransformation.apply('
                   'HeapAggregatingState.java:146)',
                   'org.apache.flink.runtime.state.heap.CopyOnWriteStateMap.transform(CopyOnWriteStateMap.java:498)',
                   'org.apache.flink.runtime.state.heap.HeapAggregatingState.add(HeapAggregatingState.java:112)',
                   'org.apache.flink.streaming.runtime.operators.windowing.WindowOperator.processElement('
                   'WindowOperator.java:404)',
                   'org.apache.flink.streaming.runtime.tasks.OneInputStreamTask$StreamTaskNetworkOutput.emitRecord('
                   'OneInputStreamTask.java:237)',
                   'org.apache.flink.streaming.runtime.io.AbstractStreamTaskNetworkInput.processElement('
                   'AbstractStreamTaskNetworkInput.java:146)',
                   'org.apache.flink.streaming.runtime.io.AbstractStreamTaskNetworkInput.emitNext('
                   'AbstractStreamTaskNetworkInput.java:110)',
                   'org.apache.flink.streaming.runtime.io.StreamOneInputProcessor.processInput('
                   'StreamOneInputProcessor.java:65)',
                   'org.apache.flink.streaming.runtime.tasks.StreamTask.processInput(StreamTask.java:562)',
                   'org.apache.flink.streaming.runtime.tasks.mailbox.MailboxProcessor.runMailboxLoop('
                   'MailboxProcessor.java:231)',
                   'org.apache.flink.streaming.runtime.tasks.StreamTask.runMailboxLoop(StreamTask.java:858)',
                   'org.apache.flink.streaming.runtime.tasks.StreamTask.invoke(StreamTask.java:807)',
                   'org.apache.flink.runtime.taskmanager.Task.runWithSystemExitMonitoring(Task.java:953)',
                   'org.apache.flink.runtime.taskmanager.Task.restoreAndInvoke(Task.java:932)',
                   'org.apache.flink.runtime.taskmanager.Task.doRun(Task.java:746)',
                   'org.apache.flink.runtime.taskmanager.Task.run(Task.java:562)',
                   'java.lang.Thread.run(Thread.java:833)'])
        v, s = 1, 2
        a = 0
        ch = [R(self.TMFAIL, [tname(v, s, a), attempt_id(v, s, a), 'RUNNING', 'FAILED'], conts=npe),
              R(self.FREEING, [tname(v, s, a), attempt_id(v, s, a)]),
              R(self.UNREG, ['FAILED', tname(v, s, a), attempt_id(v, s, a)]),
              R(self.STATEFAIL, [jname(v, s), attempt_id(v, s, a), 'RUNNING', 'FAILED', loc(tms[slots[s][0]])],
                conts=npe, dt=0.004),
              R(self.CALC, ['%s_%d' % (verts[v][1], s)]),
              R(self.NTASKS, [12, '%s_%d' % (verts[v][1], s)]),
              R(self.JOBSTATE, [JOB, jid, 'RUNNING', 'RESTARTING'])]
        ch += cancel(0, skip=[(v, s)])
        r = restore()
        r[0].dt = 10.0
        ch += r + deploy(1)
        timed.append((T1, ch))

        # back-pressure: four checkpoints expire, the fourth failure exceeds the threshold (3)
        exp_tb = ['org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint expired before completing.'] + \
            jframes(['org.apache.flink.runtime.checkpoint.CheckpointCoordinator$CheckpointCanceller.run('
                     'CheckpointCoordinator.java:2218)',
                     'java.util.concurrent.Executors$RunnableAdapter.call(Executors.java:539)',
                     'java.util.concurrent.FutureTask.run(FutureTask.java:264)',
                     'java.util.concurrent.ScheduledThreadPoolExecutor$ScheduledFutureTask.run('
                     'ScheduledThreadPoolExecutor.java:304)'] + JAVA_POOL)
        tol_tb = ['org.apache.flink.util.FlinkRuntimeException: Exceeded checkpoint tolerable failure threshold. The '
                  'latest checkpoint failed due to Checkpoint expired before completing., view the Checkpoint History '
                  'tab or the Job Manager log to find out why continuous checkpoints failed.'] + jframes([
                      'org.apache.flink.runtime.checkpoint.CheckpointFailureManager.checkFailureAgainstCounter('
                      'CheckpointFailureManager.java:212)',
                      'org.apache.flink.runtime.checkpoint.CheckpointFailureManager.handleJobLevelCheckpointException('
                      'CheckpointFailureManager.java:169)',
                      'org.apache.flink.runtime.checkpoint.CheckpointFailureManager.handleCheckpointException('
                      'CheckpointFailureManager.java:122)',
                      'org.apache.flink.runtime.checkpoint.CheckpointCoordinator.abortPendingCheckpoint('
                      'CheckpointCoordinator.java:2155)',
                      'org.apache.flink.runtime.checkpoint.CheckpointCoordinator.abortPendingCheckpoint('
                      'CheckpointCoordinator.java:2134)',
                      'org.apache.flink.runtime.checkpoint.CheckpointCoordinator$CheckpointCanceller.run('
                      'CheckpointCoordinator.java:2226)',
                      'java.util.concurrent.Executors$RunnableAdapter.call(Executors.java:539)',
                      'java.util.concurrent.FutureTask.run(FutureTask.java:264)'] + JAVA_POOL)
        ch = []
        for k in range(4):
            idv = Lazy(lambda ctx: ctx.counter('ck', 0))
            ch += [R(self.TRIG, [idv, CKT, AtTs(epoch_ms), jid], dt=None if k == 0 else rng.uniform(0.05, 0.4)),
                   R(self.EXPIRED, [idv, jid], dt=120.0),
                   R(self.TRIGFAIL, [idv, jid, k + 1], conts=exp_tb, dt=0.002)]
        ch += [R(self.JOBSTATE, [JOB, jid, 'RUNNING', 'RESTARTING'], conts=tol_tb, dt=0.003)]
        ch += cancel(1)
        r = restore()
        r[0].dt = 10.0
        ch += r + deploy(2)
        timed.append((T2, ch))
        # a slow JDBC sink during the back-pressure
        sql_tb = ['org.postgresql.util.PSQLException: An I/O error occurred while sending to the backend.'] + jframes([
            ('org.postgresql.core.v3.QueryExecutorImpl.execute(QueryExecutorImpl.java:395)', JDK),
            ('org.postgresql.jdbc.PgStatement.internalExecuteBatch(PgStatement.java:899)', JDK),
            ('org.postgresql.jdbc.PgStatement.executeBatch(PgStatement.java:923)', JDK),
            ('org.postgresql.jdbc.PgPreparedStatement.executeBatch(PgPreparedStatement.java:1661)', JDK),
            ('org.apache.flink.connector.jdbc.statement.FieldNamedPreparedStatementImpl.executeBatch('
             'FieldNamedPreparedStatementImpl.java:65)', JDK),
            ('org.apache.flink.connector.jdbc.internal.executor.TableSimpleStatementExecutor.executeBatch('
             'TableSimpleStatementExecutor.java:64)', JDK),
            ('org.apache.flink.connector.jdbc.internal.JdbcOutputFormat.attemptFlush(JdbcOutputFormat.java:244)',
             JDK),
            ('org.apache.flink.connector.jdbc.internal.JdbcOutputFormat.flush(JdbcOutputFormat.java:214)', JDK)]) + [
            'Caused by: java.net.SocketException: Connection reset'] + jframes([
                'java.net.SocketInputStream.read(SocketInputStream.java:186)',
                'java.net.SocketInputStream.read(SocketInputStream.java:140)',
                ('org.postgresql.core.VisibleBufferedInputStream.readMore(VisibleBufferedInputStream.java:161)', JDK),
                ('org.postgresql.core.PGStream.receiveChar(PGStream.java:453)', JDK)]) + ['\t... 14 more']
        for k in range(5):
            t = T2 + 30 + k * rng.uniform(60, 100)
            ch = []
            for i in range(rng.randint(1, 3)):
                ch.append(R(self.JDBCERR, [i], conts=sql_tb, dt=None if i == 0 else 1.0 + i))
            timed.append((t, ch))

        # TaskManager 2 lost
        lost = 1
        tm = tms[lost]
        hb = 'The heartbeat of TaskManager with id %s timed out.' % tm['rid']
        hb_tb = ['java.util.concurrent.TimeoutException: %s' % hb] + jframes([
            'org.apache.flink.runtime.jobmaster.JobMaster$TaskManagerHeartbeatListener.notifyHeartbeatTimeout('
            'JobMaster.java:1486)',
            'org.apache.flink.runtime.heartbeat.DefaultHeartbeatMonitor.run(DefaultHeartbeatMonitor.java:158)',
            'java.util.concurrent.Executors$RunnableAdapter.call(Executors.java:539)',
            'java.util.concurrent.FutureTask.run(FutureTask.java:264)'] + PEKKO)
        a = 2
        ch = [R(self.CLOSETM, [tm['rid'], hb]), R(self.DISCONNECT, [tm['rid'], hb], dt=0.6)]
        failed = [(v, s) for v, s in tasks() if slots[s][0] == lost]
        for k, (v, s) in enumerate(failed):
            ch.append(R(self.STATEFAIL, [jname(v, s), attempt_id(v, s, a), 'RUNNING', 'FAILED', loc(tm)],
                        conts=hb_tb))
            if k == 0:
                ch += [R(self.CALC, ['%s_%d' % (verts[v][1], s)]),
                       R(self.NTASKS, [12, '%s_%d' % (verts[v][1], s)]),
                       R(self.JOBSTATE, [JOB, jid, 'RUNNING', 'RESTARTING'])]
                ch += cancel(a, lost=lost)
        r = restore()
        r[0].dt = 10.0
        ch += r
        ch2 = [R(self.REGTM, [tm['rid'], tm['addr']]),
               R(self.RECVREQ, [jid, '[ResourceRequirement{resourceProfile=ResourceProfile{UNKNOWN}, '
                                     'numberOfRequiredSlots=%d}]' % par], dt=0.05)]
        for k, (ti, aid) in enumerate(slots):
            if ti == lost:
                slots[k] = (ti, hexs(rng, 32))
        ss = slot_setup([lost], first=True)
        ch2 += ss[1:]
        ch2 += deploy(3, 0.2)
        ch2[0].dt = 41.0
        ch += ch2
        timed.append((T3, ch))

        # Kafka broker rolling restart: fetch session errors on the sources
        for k in range(6):
            t = 0.6 * D + k * rng.uniform(40, 70)
            s = rng.randrange(par)
            timed.append((t, [R(self.FETCHERR, ['orders-enrichment-%d' % s, 'orders-enrichment',
                                                rng.randint(100000000, 2000000000), rng.randint(10, 900), k % 3 + 1],
                                conts=['org.apache.kafka.common.errors.DisconnectException: null'],
                                h={'logger': 'org.apache.kafka.clients.FetchSessionHandler'})]))

        def filler(t):
            return t, ck_chunk()[:1]

        return [], timed, [], filler


# ----------------------------------------------------------------------------
# 2. Grafana 10 server log, logfmt
# ----------------------------------------------------------------------------

def lf(v):
    """go-logfmt quoting of a value: empty stays empty, quoted when it needs it."""
    v = str(v)
    if any(c in v for c in ' ="\\') or any(ord(c) < 0x20 for c in v):
        return json.dumps(v, ensure_ascii=False)
    return v


class Grafana(System):
    name = 'Grafana'
    seed = 8202
    start = datetime(2024, 3, 18, 8, 41, 3, 402117)
    header_re = (r'^logger=(?P<logger>[\w.-]+)(?P<ctx>(?: \w+=(?:"(?:[^"\\]|\\.)*"|\S*))*) '
                 r't=(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) level=(?P<level>debug|info|warn|error) '
                 r'(?P<msg>.+)$')

    def header(self, meta, ts, h):
        lg = h.get('logger', meta['logger'])
        ctx = h.get('ctx', '')
        return 'logger=%s%s t=%s.%06d%03dZ level=%s ' % (lg, ctx, ts.strftime('%Y-%m-%dT%H:%M:%S'), ts.microsecond,
                                                        self.rng.randint(0, 999), meta.get('lvl', 'info'))

    def in_chunk_gap(self):
        return self.rng.uniform(0.0002, 0.01)

    def define(self):
        ev = self.ev
        S = dict(logger='settings')
        self.STARTING = ev('msg="Starting Grafana" version=<*> commit=<*> branch=<*> compiled=<*>', **S)
        self.CFGFILE = ev('msg="Config loaded from" file=<*>', **S)
        self.CFGENV = ev('msg="Config overridden from Environment variable" var=<*>', **S)
        self.PHOME = ev('msg="Path Home" path=<*>', **S)
        self.PDATA = ev('msg="Path Data" path=<*>', **S)
        self.PLOGS = ev('msg="Path Logs" path=<*>', **S)
        self.PPLUG = ev('msg="Path Plugins" path=<*>', **S)
        self.PPROV = ev('msg="Path Provisioning" path=<*>', **S)
        self.APPMODE = ev('msg="App mode production"', **S)
        self.CONNDB = ev('msg="Connecting to DB" dbtype=<*>', logger='sqlstore')
        self.MIGSTART = ev('msg="Starting DB migrations"', logger='migrator')
        self.MIGEXEC = ev('msg="Executing migration" id=<*>', logger='migrator')
        self.MIGDONE = ev('msg="migrations completed" performed=<*> skipped=<*> duration=<*>', logger='migrator')
        self.PLLOAD = ev('msg="Loading plugins..."', logger='plugin.store')
        self.UNSIGNED = ev('msg="Permitting unsigned plugin. This is not recommended" pluginId=<*>', lvl='warn',
                           logger='plugin.signature.validator')
        self.PLLOADED = ev('msg="Plugins loaded" count=<*> duration=<*>', logger='plugin.store')
        self.PROVSTART = ev('msg="starting to provision dashboards"', logger='provisioning.dashboard')
        self.PROVDONE = ev('msg="finished to provision dashboards"', logger='provisioning.dashboard')
        self.LISTEN = ev('msg="HTTP Server Listen" address=<*> protocol=<*> subUrl= socket=', logger='http.server')
        self.WARM = ev('msg="Warming state cache for startup"', logger='ngalert.state.manager')
        self.WARMED = ev('msg="State cache has been initialized" states=<*> duration=<*>',
                         logger='ngalert.state.manager')
        self.TICKER = ev('msg=starting first_tick=<*>', logger='ticker')
        RC = 'msg="Request Completed" method=<*> path=<*> status=<*> remote_addr=<*> time_ms=<*> duration=<*> size=<*> '
        self.REQ = ev(RC + 'referer=<*> handler=<*>', logger='context')
        self.REQNOREF = ev(RC + 'referer= handler=<*>', logger='context')
        self.REQERR = ev(RC + 'referer=<*> handler=<*> status_source=<*>', lvl='error', logger='context')
        self.PROXYFAIL = ev('msg="Proxy request failed" err=<*>', lvl='error', logger='data-proxy-log')
        self.RANGEFAIL = ev('msg="Range query failed" query=<*> err=<*>', lvl='error', logger='tsdb.prometheus')
        self.EVALFAIL = ev('msg="Failed to evaluate rule" error=<*> duration=<*>', lvl='error',
                           logger='ngalert.scheduler')
        self.SENDLOCAL = ev('msg="Sending alerts to local notifier" count=<*>', logger='ngalert.sender.router')
        self.NOTIFYFAIL = ev('component=<*> msg="Notify for alerts failed" num_alerts=<*> err=<*>', lvl='error',
                             logger='ngalert.notifier.alertmanager')
        self.NOTIFYRETRY = ev('component=<*> receiver=<*> integration=<*> msg="Notify attempt failed, will retry '
                              'later" attempts=<*> err=<*>', lvl='warn', logger='ngalert.notifier.alertmanager')
        self.CLEANUP = ev('msg="Completed cleanup jobs" duration=<*>', logger='cleanup')
        self.UPDCHECK = ev('msg="Update check succeeded" duration=<*>', logger='grafana.update.checker')
        self.AUTHFAIL = ev('msg="Failed to authenticate request" client=<*> error=<*>', lvl='warn',
                           logger='authn.service')
        self.LOGIN = ev('msg="Successful Login" User=<*>', logger='http.server')
        self.COOKIE = ev('msg="Failed to look up user based on cookie" error=<*>', lvl='error', logger='context')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 3.4 * 3600
        timed = []
        users = [(3, 'alice', '10.20.1.17'), (4, 'bob', '10.20.1.42'), (7, 'carol', '10.20.3.9'),
                 (9, 'dave', '10.20.3.77'), (12, 'erin', '192.168.40.21'), (2, 'oncall', '10.20.5.5')]
        dashes = [(hexs(rng, 9), slug) for slug in ['orders-overview', 'kafka-lag', 'postgres', 'node-exporter',
                                                    'checkout-slo', 'k8s-cluster', 'minio']]
        prom_uid = 'P%s' % hexs(rng, 15).upper()
        loki_uid = 'P%s' % hexs(rng, 15).upper()
        rules = [(hexs(rng, 14), k) for k in range(9)]
        BASE = 'https://grafana.example.com'

        def ctxh(u):
            return {'ctx': ' userId=%d orgId=1 uname=%s' % (u[0], u[1])}

        def dur(ms):
            return go_dur(ms / 1000.0)

        def req(u, method, path, handler, status, ms, size, referer, err=None):
            h = ctxh(u)
            vals = [method, lf(path), status, u[2], int(ms), dur(ms), size]
            if err:
                return R(self.REQERR, vals + [lf(referer), lf(handler), err], h=h)
            return R(self.REQ, vals + [lf(referer), lf(handler)], h=h)

        # a dashboard view: the dashboard JSON, search, annotations, queries
        def view(t, u, down=False):
            uid, slug = rng.choice(dashes)
            ref = '%s/d/%s/%s?orgId=1&refresh=30s' % (BASE, uid, slug)
            ch = [req(u, 'GET', '/api/dashboards/uid/%s' % uid, '/api/dashboards/uid/:uid', 200,
                      rng.uniform(4, 30), rng.randint(8000, 90000), ref)]
            if rng.random() < 0.5:
                ch.append(req(u, 'GET', '/api/annotations?from=%d&to=%d&limit=100&matchAny=false&dashboardUID=%s' % (
                    1710744000000 + rng.randint(0, 999999), 1710751200000 + rng.randint(0, 999999), uid),
                    '/api/annotations', 200, rng.uniform(1, 9), rng.randint(2, 900), ref))
            for _ in range(rng.randint(1, 4)):
                ms = rng.lognormvariate(3.8, 0.7)
                ch.append(R(None, []) if False else req(
                    u, 'POST', '/api/ds/query?ds_type=prometheus&requestId=Q%d' % rng.randint(100, 999),
                    '/api/ds/query', 200, ms, rng.randint(1500, 60000), ref))
                ch[-1].dt = rng.uniform(0.005, 0.2)
            return ch

        def refresh(u, uid, slug):
            ref = '%s/d/%s/%s?orgId=1&refresh=30s' % (BASE, uid, slug)
            return [req(u, 'POST', '/api/ds/query?ds_type=prometheus&requestId=Q%d' % rng.randint(100, 999),
                        '/api/ds/query', 200, rng.lognormvariate(3.6, 0.6), rng.randint(1500, 60000), ref)]

        # users opening dashboards
        for t in poisson(rng, 30, D, 55):
            timed.append((t, view(t, rng.choice(users))))
        # two wall screens refreshing every 30 s
        for u, (uid, slug) in [(users[5], dashes[0])]:
            for t in periodic(rng, 40, D, 30, phase=rng.uniform(0, 30), jitter=0.5):
                timed.append((t, refresh(u, uid, slug)))
        # alert list, frontend metrics, token rotation
        for t in poisson(rng, 30, D, 70):
            u = rng.choice(users)
            ref = '%s/alerting/list' % BASE
            p, hd, sz = weighted(rng, [
                (('/api/prometheus/grafana/api/v1/rules', '/api/prometheus/grafana/api/v1/rules', 41000), 4),
                (('/api/frontend-metrics', '/api/frontend-metrics', 2), 3),
                (('/api/user/auth-tokens/rotate', '/api/user/auth-tokens/rotate', 2), 2),
                (('/api/search?query=&starred=false&limit=30', '/api/search/', 3100), 3)])
            m = 'GET' if p.startswith('/api/prometheus') or p.startswith('/api/search') else 'POST'
            timed.append((t, [req(u, m, p, hd, 200, rng.uniform(1, 40), sz + rng.randint(0, 900), ref)]))
        # API clients without a referer: the provisioning job and the load balancer
        for t in periodic(rng, 10, D, 60, phase=rng.uniform(0, 60), jitter=1.0):
            h = {'ctx': ' userId=0 orgId=0 uname='}
            ms = rng.uniform(0.3, 2)
            timed.append((t, [R(self.REQNOREF, ['GET', '/api/health', 200, '10.20.0.2', int(ms), dur(ms),
                                                rng.choice([101, 102]), '/api/health'], h=h)]))
        for t in poisson(rng, 10, D, 400):
            h = {'ctx': ' userId=15 orgId=1 uname=sa-1-terraform'}
            ms = rng.uniform(5, 60)
            timed.append((t, [R(self.REQNOREF, ['POST', '/api/dashboards/db', 200, '10.20.0.31', int(ms), dur(ms),
                                                rng.randint(160, 190), '/api/dashboards/db'], h=h)]))
        # periodic jobs
        for t in periodic(rng, 0, D, 600, phase=rng.uniform(0, 600), jitter=0.2):
            timed.append((t, [R(self.CLEANUP, [dur(rng.uniform(8, 60))])]))
        for t in periodic(rng, 0, D, 600, phase=rng.uniform(0, 600), jitter=0.3):
            timed.append((t, [R(self.UPDCHECK, [dur(rng.uniform(120, 900))])]))
        for t in periodic(rng, 0, D, 600, phase=rng.uniform(0, 600), jitter=0.3):
            timed.append((t, [R(self.UPDCHECK, [dur(rng.uniform(150, 1100))], h={'logger': 'plugins.update.checker'})]))
        # logins
        for t in poisson(rng, 60, D, 1500):
            u = rng.choice(users[:5])
            h = {'ctx': ' userId=0 orgId=0 uname='}
            ms = rng.uniform(60, 140)
            timed.append((t, [R(self.LOGIN, ['%s@example.com' % u[1]]),
                              R(self.REQ, ['POST', '/login', 200, u[2], int(ms), dur(ms), 87, BASE + '/login',
                                           '/login'], h=h, dt=0.001)]))
        for t in poisson(rng, 60, D, 1800):
            u = rng.choice(users[:5])
            h = {'ctx': ' userId=0 orgId=0 uname='}
            timed.append((t, [R(self.COOKIE, [lf('user token not found')], h=h),
                              R(self.REQ, ['GET', '/api/user', 401, u[2], 0, dur(rng.uniform(0.3, 1.2)), 105,
                                           BASE + '/', '/api/user'], h=h, dt=0.0002)]))
        # a password-guessing burst from one address
        T = 0.31 * D
        ip = '192.168.77.%d' % rng.randint(2, 250)
        for k in range(28):
            h = {'ctx': ' userId=0 orgId=0 uname='}
            ms = rng.uniform(80, 160)
            who = rng.choice(['admin', 'grafana', 'root', 'administrator', 'alice', 'test', 'monitor'])
            err = ('[password-auth.failed] failed to authenticate identity: [identity.not-found] no user found'
                   if who not in ('admin', 'alice') else
                   '[password-auth.failed] failed to authenticate identity: [password-auth.invalid] invalid password')
            timed.append((T + k * rng.uniform(1.5, 4), [
                R(self.AUTHFAIL, ['auth.client.form', lf(err)]),
                R(self.REQ, ['POST', '/login', 401, ip, int(ms), dur(ms), 40 + rng.randint(0, 9), BASE + '/login',
                             '/login'], h=h, dt=0.001)]))

        # alert rules: evaluated every minute; logged only when they fail or fire
        def rule_h(r, t):
            return {'ctx': ' rule_uid=%s org_id=1 version=%d attempt=0 now=%s' % (
                r[0], 3 + r[1], (self.start + timedelta(seconds=t)).strftime('%Y-%m-%dT%H:%M:%SZ'))}

        # Prometheus outage
        T = 0.58 * D
        OUT = 1260.0
        perr = ('Post "http://prometheus.example.net:9090/api/v1/query_range": dial tcp 10.20.8.11:9090: connect: '
                'connection refused')
        for t in poisson(rng, T, T + OUT, 9):
            u = rng.choice(users)
            uid, slug = rng.choice(dashes[:5])
            ref = '%s/d/%s/%s?orgId=1&refresh=30s' % (BASE, uid, slug)
            h = ctxh(u)
            hq_ = {'ctx': ' endpoint=queryData pluginId=prometheus dsName=Prometheus dsUID=%s uname=%s '
                          'fromAlert=false' % (prom_uid, u[1])}
            q = rng.choice(['sum(rate(http_requests_total{job="checkout"}[5m])) by (status)',
                            'histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))',
                            'kafka_consumergroup_lag{group="orders-enrichment"}',
                            'up{job="node"}'])
            ms = rng.uniform(1, 6)
            if rng.random() < 0.7:
                timed.append((t, [R(self.RANGEFAIL, [lf(q), lf(perr)], h=hq_),
                                  R(self.REQERR, ['POST', lf('/api/ds/query?ds_type=prometheus&requestId=Q%d' % (
                                      rng.randint(100, 999))), 500, u[2], int(ms), dur(ms), 118, lf(ref),
                                      '/api/ds/query', 'downstream'], h=h, dt=0.0005)]))
            else:
                ph = {'ctx': ' userId=%d orgId=1 uname=%s path=/api/datasources/proxy/uid/%s/api/v1/series '
                             'remote_addr=%s referer=%s' % (u[0], u[1], prom_uid, u[2], lf(ref))}
                timed.append((t, [R(self.PROXYFAIL, [lf('dial tcp 10.20.8.11:9090: connect: connection refused')],
                                    h=ph),
                                  R(self.REQERR, ['GET', lf('/api/datasources/proxy/uid/%s/api/v1/series?match[]=up'
                                                            % prom_uid), 502, u[2], int(ms), dur(ms), 0, lf(ref),
                                                  '/api/datasources/proxy/uid/:uid/*', 'downstream'], h=h, dt=0.0005)]))
        for t in periodic(rng, T + 5, T + OUT, 60, phase=rng.uniform(0, 60)):
            for r in rules[:6]:
                d = rng.uniform(0.002, 0.02)
                timed.append((t + r[1] * rng.uniform(0.5, 0.8), [
                    R(self.EVALFAIL, [lf('[sse.dataQueryError] failed to execute query [A]: %s' % perr), dur(d * 1000)],
                      h=rule_h(r, t))]))
        # the DatasourceError alerts fire; the Slack webhook is unreachable through the same outage (proxy down)
        for k, t in enumerate(periodic(rng, T + 70, T + OUT + 200, 300, phase=10)):
            r = rules[k % 6]
            ch = [R(self.SENDLOCAL, [rng.randint(1, 6)], h={'ctx': ' rule_uid=%s org_id=1' % r[0]})]
            serr = 'Post "<redacted>": dial tcp 10.20.0.254:3128: connect: connection refused'
            for a in range(1, 4):
                ch.append(R(self.NOTIFYRETRY, ['dispatcher', lf('Slack oncall'), 'slack[0]', a, lf(serr)],
                            h={'ctx': ' org=1'}, dt=rng.uniform(1, 8)))
            ch.append(R(self.NOTIFYFAIL, ['dispatcher', rng.randint(1, 6), lf('slack/slack[0]: notify retry canceled '
                                                                                'after 3 attempts: ' + serr)],
                        h={'ctx': ' org=1'}, dt=rng.uniform(5, 20)))
            timed.append((t, ch))
        # a few stray rule failures: Loki timeouts
        for t in poisson(rng, 0, D, 1400):
            r = rules[rng.randint(6, 8)]
            timed.append((t, [R(self.EVALFAIL, [lf('[sse.dataQueryError] failed to execute query [B]: '
                                                   'Get "http://loki.example.net:3100/loki/api/v1/query_range": '
                                                   'context deadline exceeded'), dur(rng.uniform(30000, 30010))],
                                h=rule_h(r, t))]))

        # start-up: Grafana was upgraded and restarted
        st = [R(self.STARTING, ['10.4.1', 'd94d597d847c05085542c29dc2e5bd4d8a8bdd4f', 'HEAD',
                                '2024-03-18T08:40:59Z']),
              R(self.CFGFILE, ['/usr/share/grafana/conf/defaults.ini']),
              R(self.CFGFILE, ['/etc/grafana/grafana.ini'])]
        for v in ['GF_PATHS_DATA=/var/lib/grafana', 'GF_PATHS_LOGS=/var/log/grafana',
                  'GF_PATHS_PLUGINS=/var/lib/grafana/plugins', 'GF_PATHS_PROVISIONING=/etc/grafana/provisioning',
                  'GF_DATABASE_HOST=10.20.4.30:5432', 'GF_DATABASE_PASSWORD=*********',
                  'GF_SECURITY_ADMIN_PASSWORD=*********', 'GF_SERVER_ROOT_URL=https://grafana.example.com/']:
            st.append(R(self.CFGENV, [lf(v)]))
        st += [R(self.PHOME, ['/usr/share/grafana']), R(self.PDATA, ['/var/lib/grafana']),
               R(self.PLOGS, ['/var/log/grafana']), R(self.PPLUG, ['/var/lib/grafana/plugins']),
               R(self.PPROV, ['/etc/grafana/provisioning']), R(self.APPMODE, []),
               R(self.CONNDB, ['postgres'], dt=0.05), R(self.MIGSTART, [], dt=0.02)]
        for m in ['Add isPublic for dashboard', 'add index library_element org_id-folder_uid-name-kind',
                  'create dashboard_public_config v3', 'add column hidden to role table',
                  'add correlation config column', 'Add uid column to annotation',
                  'Increase tags column to length 4096', 'create folder table', 'Add unique index for folder.uid',
                  'copy existing folders to the folder table']:
            st.append(R(self.MIGEXEC, [lf(m)], dt=rng.uniform(0.005, 0.2)))
        st += [R(self.MIGDONE, [10, 512, dur(1823.4)]),
               R(self.PLLOAD, [], dt=0.3),
               R(self.UNSIGNED, ['example-wallclock-panel'], dt=0.02),
               R(self.PLLOADED, [rng.randint(50, 60), dur(rng.uniform(20, 60))], dt=0.05),
               R(self.WARM, [], dt=0.4), R(self.WARMED, [41, dur(rng.uniform(5, 20))], dt=0.02),
               R(self.PROVSTART, [], dt=0.05), R(self.PROVDONE, [], dt=0.3),
               R(self.LISTEN, ['[::]:3000', 'http'], dt=0.05),
               R(self.TICKER, [AtTs(lambda ts: (ts + timedelta(seconds=10 - ts.second % 10)).strftime(
                   '%Y-%m-%dT%H:%M:') + '%02d' % ((ts.second // 10 + 1) % 6 * 10) + 'Z')])]
        for r in st:
            if r.dt is None:
                r.dt = rng.uniform(0.0002, 0.003)

        def filler(t):
            return t, refresh(users[5], *dashes[0])

        return st, timed, [], filler


# ----------------------------------------------------------------------------
# 3. MinIO server console output (one node of a four-node, 16-drive pool)
# ----------------------------------------------------------------------------

def mframes(frames):
    n = len(frames)
    return ['       %d: %s' % (n - i, f) for i, f in enumerate(frames)]


class MinIO(System):
    name = 'MinIO'
    seed = 8303
    start = datetime(2024, 3, 18, 6, 12, 40, 118000)
    # MinIO's console output has no header: a record is any line that does not start with white space
    header_re = r'^(?P<msg>\S.*)$'

    def header(self, meta, ts, h):
        return ''

    def in_chunk_gap(self):
        return self.rng.uniform(0.00001, 0.0002)

    def define(self):
        ev = self.ev
        self.B_NAME = ev('MinIO Object Storage Server')
        self.B_COPY = ev('Copyright: 2015-<*> MinIO, Inc.')
        self.B_LIC = ev('License: GNU AGPLv3 <https://www.gnu.org/licenses/agpl-3.0.html>')
        self.B_VER = ev('Version: <*> (<*> <*>)')
        self.B_STATUS = ev('Status: <*> Online, <*> Offline.')
        self.B_API = ev('S3-API: <*>')
        self.B_CONSOLE = ev('Console: <*>')
        self.B_DOC = ev('Documentation: <*>')
        self.AUTOCONF = ev('Automatically configured API requests per node based on available memory on the '
                           'system: <*>')
        self.INITOK = ev('All MinIO sub-systems initialized successfully in <*>')
        # the fields of an error entry, one line each
        self.F_API = ev('API: <*>')
        self.F_TIME = ev('Time: <*>')
        self.F_DEP = ev('DeploymentID: <*>')
        self.F_REQ = ev('RequestID: <*>')
        self.F_RHOST = ev('RemoteHost: <*>')
        self.F_HOST = ev('Host: <*>')
        self.F_UA = ev('UserAgent: <*>')
        # error messages (the Error: line, with the call stack as continuation lines)
        self.E_OFFLINE = ev('Error: Marking <*> offline temporarily; caused by <*> (<*>)')
        self.E_GRID = ev('Error: grid: <*> re-connecting to <*>: <*> Sleeping <*> (<*>) (<*>)')
        self.E_READQ = ev('Error: Read failed. Insufficient number of drives online (<*>)')
        self.E_WRITEQ = ev('Error: Storage resources are insufficient for the write operation <*>/<*> (<*>)')
        self.E_NOTIFY = ev('Error: Unable to send an event to the target <*>: <*> (<*>)')
        self.E_HEALOBJ = ev('Error: Healing of object <*>/<*> failed: <*> (<*>)')
        self.E_VERSIONS = ev('Error: <*>/<*>: object has more than <*> versions, the scanner will skip it (<*>)')
        self.E_DRIVE = ev('Error: Drive <*> returned an unexpected error: <*>, please investigate - drive will be '
                          'offline (<*>)')
        # plain informational lines
        self.ONLINE = ev('Client <*> online')
        self.HEALFOUND = ev("Found drives to heal <*>, proceeding to heal - 'mc admin heal alias/ --verbose' to "
                            "check the status.")
        self.HEALING = ev("Healing drive '<*>' - 'mc admin heal alias/ --verbose' to check the current status.")
        self.HEALDONE = ev("Healing of drive '<*>' is finished (healed: <*>, skipped: <*>, failed: <*>).")

    def plan(self):
        rng = self.rng
        R = Rec
        D = 30 * 3600.0
        timed = []
        dep = uuid4(rng)
        me = '10.0.2.11'
        nodes = ['10.0.2.%d' % i for i in (11, 12, 13, 14)]
        drives = ['http://%s:9000/data/disk%d' % (n, d) for n in nodes for d in range(1, 5)]
        buckets = ['orders-archive', 'invoices', 'ml-datasets', 'backups-postgres', 'media-uploads']
        uas = ['MinIO (linux; amd64) minio-go/v7.0.69 mc/RELEASE.2024-03-13T23-51-57Z',
               'aws-sdk-java/2.25.6 Linux/5.15.0-97-generic OpenJDK_64-Bit_Server_VM/17.0.10+7 Java/17.0.10',
               'Boto3/1.34.64 md/Botocore#1.34.64 ua/2.0 os/linux#6.1.0-18-amd64 md/arch#x86_64 lang/python#3.11.2',
               'rclone/v1.66.0']

        def mtime(ts):
            return ts.strftime('%H:%M:%S UTC %m/%d/%Y')

        def entry(api, err_eid, err_vals, frames, s3=None):
            ch = [R(self.F_API, [api]), R(self.F_TIME, [AtTs(mtime)]), R(self.F_DEP, [dep])]
            if s3:
                ch += [R(self.F_REQ, [hexs(rng, 16).upper()]), R(self.F_RHOST, [s3[0]]),
                       R(self.F_HOST, ['s3.example.net']), R(self.F_UA, [s3[1]])]
            ch.append(R(err_eid, err_vals, conts=mframes(frames)))
            return ch

        def obj(b):
            return '%s/%s' % (rng.choice(['2024/03/%02d' % rng.randint(1, 18), 'tmp', 'exports', 'raw/eu-west']),
                              rng.choice(['part-%05d.parquet' % rng.randint(0, 999), 'batch-%d.json.gz' % rng.randint(
                                  1000, 9999), 'img_%s.jpg' % hexs(rng, 8), 'dump-%d.sql.zst' % rng.randint(1, 99)]))

        LOGONCE = ['internal/logger/logonce.go:118:logger.(*logOnceType).logOnceIf()',
                   'internal/logger/logonce.go:149:logger.LogOnceIf()']

        # start-up banner of this node
        st = [R(self.B_NAME, []), R(self.B_COPY, [2024]), R(self.B_LIC, []),
              R(self.B_VER, ['RELEASE.2024-03-15T01-07-19Z', 'go1.21.8', 'linux/amd64']),
              R(self.AUTOCONF, [1024], dt=1.2),
              R(self.INITOK, [go_dur(rng.uniform(0.4, 0.9))], dt=0.6),
              R(self.B_STATUS, [16, 0]),
              R(self.B_API, ['http://%s:9000  http://127.0.0.1:9000' % me]),
              R(self.B_CONSOLE, ['http://%s:9001 http://127.0.0.1:9001' % me]),
              R(self.B_DOC, ['https://min.io/docs/minio/linux/index.html'])]

        # bucket notification webhook: down now and then; each undelivered event is one entry
        def notify_err(t):
            tgt = 'arn:minio:sqs::orders:webhook'
            err = rng.choice(['Post "https://hooks.example.org/minio/orders": dial tcp 10.0.6.40:443: connect: '
                              'connection refused',
                              'Post "https://hooks.example.org/minio/orders": context deadline exceeded '
                              '(Client.Timeout exceeded while awaiting headers)'])
            return entry('SYSTEM()', self.E_NOTIFY, [tgt, err, '*fmt.wrapError'],
                         LOGONCE + ['internal/event/targetlist.go:211:event.(*TargetList).sendSync()',
                                    'internal/event/targetlist.go:189:event.(*TargetList).send()'])

        for frac, dur, gap in [(0.07, 400, 35), (0.33, 300, 30), (0.52, 1200, 50), (0.86, 500, 40)]:
            for t in poisson(rng, frac * D, frac * D + dur, gap):
                timed.append((t, notify_err(t)))

        # scanner: objects with too many versions, seen on each scanner pass over the bucket
        vobjs = [('media-uploads', 'avatars/default.png'), ('orders-archive', 'latest/manifest.json'),
                 ('ml-datasets', 'features/current.parquet')]
        for t in periodic(rng, 0, D, 2 * 3600, phase=1800, jitter=600):
            for k, (b, o) in enumerate(vobjs[:rng.randint(1, 3)]):
                timed.append((t + k * rng.uniform(20, 200), entry(
                    'SYSTEM.scanner', self.E_VERSIONS, [b, o, 1000, '*errors.errorString'],
                    LOGONCE + ['cmd/data-scanner.go:1127:cmd.(*scannerItem).applyVersionActions()',
                               'cmd/data-scanner.go:1061:cmd.(*scannerItem).applyActions()'])))

        # occasional S3 write failures from slow drives (context canceled)
        for t in poisson(rng, 0, D, 2400):
            b = rng.choice(buckets)
            o = obj(b)
            timed.append((t, entry('PutObject(bucket=%s, object=%s)' % (b, o), self.E_WRITEQ,
                                   [b, o, 'cmd.InsufficientWriteQuorum'],
                                   ['internal/logger/logger.go:258:logger.LogIf()',
                                    'cmd/api-errors.go:2409:cmd.toAPIErrorCode()',
                                    'cmd/api-errors.go:2434:cmd.toAPIError()',
                                    'cmd/object-handlers.go:2045:cmd.objectAPIHandlers.PutObjectHandler()'],
                                   s3=('10.0.5.%d' % rng.randint(2, 60), rng.choice(uas)))))

        # node minio-3 (10.0.2.13) rebooted for a kernel update
        def node_down(T, node, dur, reads):
            ch = []
            sl = 0.25
            el = 0.0
            k = -1
            while el < dur:
                k += 1
                sl = min(sl * 1.6, 16.0) * rng.uniform(0.8, 1.1)
                el += sl
                err = 'dial tcp %s:9000: connect: connection refused' % node
                c = entry('SYSTEM()', self.E_GRID, ['http://%s:9000' % me, 'http://%s:9000' % node,
                                                    err + ' (*net.OpError)', go_dur(round(sl, 3)), k + 1,
                                                    '*fmt.wrapError'],
                          LOGONCE + ['internal/grid/connection.go:59:grid.gridLogOnceIf()',
                                     'internal/grid/connection.go:792:grid.(*Connection).connect.func1()'])
                c[0].dt = sl if k else None
                ch += c
            timed.append((T, ch))
            for i, d in enumerate([x for x in drives if '//%s:' % node in x]):
                timed.append((T + 1.2 + i * 0.01, entry(
                    'SYSTEM()', self.E_OFFLINE, [d, 'Post "%s/minio/storage/data/disk%d/v53/diskinfo?did=%s": dial '
                                                   'tcp %s:9000: connect: connection refused' % (
                                                       'http://%s:9000' % node, i + 1, uuid4(rng), node),
                                                '*fmt.wrapError'],
                    LOGONCE + ['internal/rest/client.go:300:rest.(*Client).MarkOffline()',
                               'internal/rest/client.go:236:rest.(*Client).Call()',
                               'cmd/storage-rest-client.go:178:cmd.(*storageRESTClient).call()'])))
            for i, d in enumerate([x for x in drives if '//%s:' % node in x]):
                timed.append((T + dur + rng.uniform(1, 4), [R(self.ONLINE, [d])]))
            for t in poisson(rng, T + reads[0], T + reads[1], 10) if reads else []:
                b = rng.choice(buckets)
                timed.append((t, entry('GetObject(bucket=%s, object=%s)' % (b, obj(b)), self.E_READQ,
                                       ['cmd.InsufficientReadQuorum'],
                                       ['internal/logger/logger.go:258:logger.LogIf()',
                                        'cmd/api-errors.go:2409:cmd.toAPIErrorCode()',
                                        'cmd/api-errors.go:2434:cmd.toAPIError()',
                                        'cmd/object-handlers.go:579:cmd.objectAPIHandlers.getObjectHandler()'],
                                       s3=('10.0.5.%d' % rng.randint(2, 60), rng.choice(uas)))))

        node_down(0.19 * D, nodes[2], 150, None)
        # maintenance gone wrong: minio-3 and minio-4 down together, reads lose quorum
        node_down(0.61 * D, nodes[2], 260, (30, 240))
        node_down(0.61 * D + 25, nodes[3], 210, None)

        # this node's disk3 fails, is replaced and healed
        T = 0.4 * D
        bad = drives[2]
        ch = []
        ch += entry('SYSTEM()', self.E_DRIVE, ['/data/disk3', 'input/output error', '*errors.errorString'],
                    LOGONCE + ['cmd/xl-storage-disk-id-check.go:1002:cmd.(*xlStorageDiskIDCheck).monitorDiskStatus()'])
        timed.append((T, ch))
        for t in poisson(rng, T + 5, T + 1500, 70):
            b = rng.choice(buckets)
            timed.append((t, entry('SYSTEM.healing', self.E_HEALOBJ, [b, obj(b), 'drive not found',
                                                                        '*errors.errorString'],
                                   LOGONCE + ['cmd/erasure-healing.go:489:cmd.(*erasureObjects).healObject()',
                                              'cmd/background-newdisks-heal-ops.go:351:cmd.healFreshDisk()'])))
        T2 = T + 1800
        timed.append((T2, [R(self.ONLINE, [bad]), R(self.HEALFOUND, [1], dt=3.5),
                           R(self.HEALING, ['/data/disk3'], dt=0.02)]))
        timed.append((T2 + 2.2 * 3600, [R(self.HEALDONE, ['/data/disk3', rng.randint(300000, 900000), rng.randint(0, 50),
                                                          rng.randint(3, 12)])]))

        def filler(t):
            return t, [R(self.F_DEP, [dep])]

        return st, timed, [], filler


# ----------------------------------------------------------------------------
# 4. Node.js Fastify service logging pino JSON
# ----------------------------------------------------------------------------

def jsn(v):
    """A JSON number as pino writes it."""
    if isinstance(v, float):
        return repr(v)
    return str(v)


class NodePino(System):
    name = 'NodePino'
    seed = 8404
    start = datetime(2024, 3, 18, 9, 0, 4, 217000)
    HOST = 'api-7d9f'
    header_re = (r'^\{"level":(?P<level>10|20|30|40|50|60),"time":(?P<time>\d{13}),"pid":(?P<pid>\d+),'
                 r'"hostname":"(?P<host>[^"]+)",(?P<msg>.+)$')

    def header(self, meta, ts, h):
        return '{"level":%d,"time":%d,"pid":%d,"hostname":"%s",' % (meta.get('lvl', 30), epoch_ms(ts), h['pid'],
                                                                      self.HOST)

    def in_chunk_gap(self):
        return self.rng.uniform(0.0003, 0.004)

    def define(self):
        ev = self.ev
        REQ = '"req":{"method":"<*>","url":"<*>","hostname":"<*>","remoteAddress":"<*>","remotePort":<*>}'
        ERR = '"err":{"type":"<*>","message":"<*>","stack":"<*>"'
        self.INCOMING = ev('"reqId":"<*>",' + REQ + ',"msg":"incoming request"}')
        self.COMPLETED = ev('"reqId":"<*>","res":{"statusCode":<*>},"responseTime":<*>,"msg":"request completed"}')
        self.ERR500 = ev('"reqId":"<*>",' + REQ + ',"res":{"statusCode":<*>},' + ERR + '},"msg":"<*>"}', lvl=50)
        self.ERR400 = ev('"reqId":"<*>","res":{"statusCode":<*>},' + ERR + ',"code":"<*>","validation":[<*>],'
                         '"validationContext":"<*>","statusCode":<*>},"msg":"<*>"}')
        self.NOTFOUND = ev('"reqId":"<*>","msg":"Route <*>:<*> not found"}')
        self.LISTENING = ev('"msg":"Server listening at <*>"}')
        self.ORDER = ev('"reqId":"<*>","orderId":"<*>","customerId":"<*>","total":<*>,"currency":"<*>",'
                        '"msg":"order created"}')
        self.PAID = ev('"reqId":"<*>","orderId":"<*>","provider":"<*>","amount":<*>,"msg":"payment authorized"}')
        self.UPSTREAM = ev('"reqId":"<*>","upstream":"<*>","statusCode":<*>,"durationMs":<*>,"attempt":<*>,'
                           '"msg":"upstream request failed, retrying"}', lvl=40)
        self.AUTHFAIL = ev('"reqId":"<*>","userId":"<*>","reason":"<*>","msg":"authentication failed"}', lvl=40)
        self.WEBHOOK = ev('"reqId":"<*>","eventId":"<*>","eventType":"<*>","msg":"webhook received"}')
        self.POOL = ev('"module":"db","pool":{"total":<*>,"idle":<*>,"waiting":<*>},"msg":"pool stats"}')
        self.SLOWQ = ev('"module":"db","durationMs":<*>,"query":"<*>","msg":"slow query"}', lvl=40)
        self.DBERR = ev('"module":"db",' + ERR + ',"errno":<*>,"code":"<*>","syscall":"<*>","address":"<*>",'
                        '"port":<*>},"msg":"database connection error"}', lvl=50)
        self.RECONN = ev('"module":"db","attempt":<*>,"delayMs":<*>,"msg":"reconnecting to database"}', lvl=40)
        self.RESTORED = ev('"module":"db","downtimeMs":<*>,"msg":"database connection restored"}')
        self.JOBDONE = ev('"module":"queue","queue":"<*>","jobId":"<*>","durationMs":<*>,"msg":"job completed"}')
        self.JOBFAIL = ev('"module":"queue","queue":"<*>","jobId":"<*>","attemptsMade":<*>,' + ERR +
                          '},"msg":"job failed"}', lvl=50)
        self.STATS = ev('"module":"metrics","rss":<*>,"heapUsed":<*>,"heapTotal":<*>,"eventLoopDelayMs":<*>,'
                        '"msg":"process stats"}')
        self.CONFIG = ev('"module":"config","env":"<*>","version":"<*>","msg":"configuration loaded"}')
        self.REDIS = ev('"module":"cache","msg":"redis connection ready"}')
        self.SIGNAL = ev('"signal":"<*>","msg":"received signal, closing server"}')
        self.CLOSED = ev('"msg":"server closed"}')

    def plan(self):
        rng = self.rng
        R = Rec
        D = 2.6 * 3600
        timed = []
        procs = [{'pid': 4312, 't0': -1e9}, {'pid': 0, 't0': 0.52 * D}]
        procs[1]['pid'] = 4312 + rng.randint(300, 900)
        T_RESTART = procs[1]['t0']
        HOSTN = 'api.example.com'
        lbs = ['10.0.1.5', '10.0.1.6']
        customers = ['cus_%s' % hexs(rng, 10) for _ in range(40)]

        def proc(t):
            return procs[1] if t >= T_RESTART + 2 else procs[0]

        def rid(p):
            return Lazy(lambda ctx: 'req-%s' % base36(ctx.counter('req%d' % p['pid'], 0)))

        def base36(n):
            s = ''
            while True:
                n, r = divmod(n, 36)
                s = '0123456789abcdefghijklmnopqrstuvwxyz'[r] + s
                if n == 0:
                    return s

        def reqv(r, method, url, ip=None):
            return [r, method, js(url), HOSTN, ip or rng.choice(lbs), rng.randint(32768, 60999)]

        def rt(ms):
            return repr(ms)

        def stack(typ, msg, frames):
            return js('%s: %s\n' % (typ, msg) + '\n'.join('    at ' + f for f in frames))

        def request(t, kind):
            p = proc(t)
            h = {'pid': p['pid']}
            r = rid(p)
            if kind == 'get':
                url = rng.choice(['/orders/ord_%s' % hexs(rng, 12), '/orders?customerId=%s&limit=20' % rng.choice(
                    customers), '/products/sku-%d' % rng.randint(1000, 9999), '/cart/%s' % uuid4(rng)])
                ms = rng.lognormvariate(2.3, 0.6)
                return [R(self.INCOMING, reqv(r, 'GET', url), h=h),
                        R(self.COMPLETED, [r, 200, rt(ms)], h=h, dt=ms / 1000)]
            if kind == 'health':
                ms = rng.uniform(0.3, 1.5)
                return [R(self.INCOMING, reqv(r, 'GET', '/health', '10.0.1.%d' % rng.choice([5, 6])), h=h),
                        R(self.COMPLETED, [r, 200, rt(ms)], h=h, dt=ms / 1000)]
            if kind == 'order':
                oid = 'ord_%s' % hexs(rng, 12)
                total = round(rng.uniform(9, 420), 2)
                ms1 = rng.lognormvariate(3.2, 0.4)
                ms2 = rng.lognormvariate(5.3, 0.4)
                return [R(self.INCOMING, reqv(r, 'POST', '/orders'), h=h),
                        R(self.ORDER, [r, oid, rng.choice(customers), jsn(total), rng.choice(['EUR', 'EUR', 'USD'])],
                          h=h, dt=ms1 / 1000),
                        R(self.PAID, [r, oid, rng.choice(['stripe', 'adyen']), jsn(total)], h=h, dt=ms2 / 1000),
                        R(self.COMPLETED, [r, 201, rt(ms1 + ms2 + 3)], h=h, dt=0.003)]
            if kind == 'invalid':
                field = rng.choice(['items', 'currency', 'shippingAddress'])
                m = "body must have required property '%s'" % field
                val = json.dumps([{'instancePath': '', 'schemaPath': '#/required', 'keyword': 'required',
                                   'params': {'missingProperty': field},
                                   'message': "must have required property '%s'" % field}],
                                 separators=(',', ':'))[1:-1]
                st = stack('Error', m, ['Object.validate (/srv/orders-api/node_modules/fastify/lib/validation.js:93:15)',
                                        'validateParam (/srv/orders-api/node_modules/fastify/lib/validation.js:106:21)',
                                        'preValidationCallback (/srv/orders-api/node_modules/fastify/lib/handleRequest.js:92:18)'])
                ms = rng.uniform(0.8, 3)
                return [R(self.INCOMING, reqv(r, 'POST', '/orders'), h=h),
                        R(self.ERR400, [r, 400, 'Error', js(m), st, 'FST_ERR_VALIDATION', val, 'body', 400, js(m)],
                          h=h, dt=ms / 1000),
                        R(self.COMPLETED, [r, 400, rt(ms)], h=h, dt=0.0004)]
            if kind == 'login':
                ms = rng.lognormvariate(4.3, 0.3)
                ch = [R(self.INCOMING, reqv(r, 'POST', '/auth/login'), h=h)]
                if rng.random() < 0.3:
                    ch += [R(self.AUTHFAIL, [r, 'usr_%s' % hexs(rng, 8), rng.choice(['invalid_password',
                                                                                    'invalid_password',
                                                                                    'account_locked'])],
                             h=h, dt=ms / 1000),
                           R(self.COMPLETED, [r, 401, rt(ms + 1)], h=h, dt=0.001)]
                else:
                    ch.append(R(self.COMPLETED, [r, 200, rt(ms)], h=h, dt=ms / 1000))
                return ch
            if kind == 'webhook':
                ms = rng.uniform(2, 9)
                return [R(self.INCOMING, reqv(r, 'POST', '/webhooks/payments'), h=h),
                        R(self.WEBHOOK, [r, 'evt_%s' % hexs(rng, 16), rng.choice(['payment_intent.succeeded',
                                                                                  'charge.refunded',
                                                                                  'payment_intent.succeeded'])],
                          h=h, dt=0.001),
                        R(self.COMPLETED, [r, 200, rt(ms)], h=h, dt=ms / 1000)]
            if kind == 'scan':
                m, u = rng.choice([('GET', '/wp-login.php'), ('GET', '/.env'), ('GET', '/.git/config'),
                                   ('POST', '/xmlrpc.php'), ('GET', '/admin/config.php'), ('GET', '/phpmyadmin/')])
                ms = rng.uniform(0.3, 1.2)
                return [R(self.INCOMING, reqv(r, m, u, '10.0.1.%d' % rng.choice([5, 6])), h=h),
                        R(self.NOTFOUND, [r, m, u], h=h, dt=0.0003),
                        R(self.COMPLETED, [r, 404, rt(ms)], h=h, dt=ms / 1000)]
            raise ValueError(kind)

        def err500(t, url, method, typ, msg, frames, status=500):
            p = proc(t)
            h = {'pid': p['pid']}
            r = rid(p)
            ms = rng.uniform(2, 30)
            return [R(self.INCOMING, reqv(r, method, url), h=h),
                    R(self.ERR500, reqv(r, method, url) + [status, typ, js(msg), stack(typ, msg, frames), js(msg)],
                      h=h, dt=ms / 1000),
                    R(self.COMPLETED, [r, status, rt(ms + 0.5)], h=h, dt=0.0005)]

        kinds = [('get', 50), ('order', 9), ('login', 6), ('invalid', 1.5), ('webhook', 4), ('scan', 1.2)]
        DB_T0, DB_T1 = 0.31 * D, 0.31 * D + 200
        PAY_T0, PAY_T1 = 0.74 * D, 0.74 * D + 540
        for t in poisson(rng, 3, D, 16):
            if T_RESTART - 1 < t < T_RESTART + 3:
                continue
            k = weighted(rng, kinds)
            if DB_T0 < t < DB_T1 and k in ('get', 'order', 'login'):
                typ = 'Error'
                msg = 'connect ECONNREFUSED 10.0.4.5:5432'
                timed.append((t, err500(t, '/orders/ord_%s' % hexs(rng, 12) if k == 'get' else '/orders',
                                        'GET' if k == 'get' else 'POST', typ, msg,
                                        ['TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)'])))
                continue
            if PAY_T0 < t < PAY_T1 and k == 'order':
                p = proc(t)
                h = {'pid': p['pid']}
                r = rid(p)
                ch = [R(self.INCOMING, reqv(r, 'POST', '/orders'), h=h),
                      R(self.ORDER, [r, 'ord_%s' % hexs(rng, 12), rng.choice(customers),
                                     jsn(round(rng.uniform(9, 420), 2)), 'EUR'], h=h, dt=0.02)]
                for a in range(1, 4):
                    ch.append(R(self.UPSTREAM, [r, 'https://payments.example.net/v1/authorize', 503,
                                                rng.randint(80, 400), a], h=h, dt=rng.uniform(0.1, 0.5)))
                msg = 'payment provider unavailable (503)'
                ch.append(R(self.ERR500, reqv(r, 'POST', '/orders') + [
                    502, 'UpstreamError', js(msg), stack('UpstreamError', msg, [
                        'PaymentClient.authorize (/srv/orders-api/src/payments/client.js:88:13)',
                        'process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
                        'async Object.createOrder (/srv/orders-api/src/routes/orders.js:61:24)']), js(msg)],
                    h=h, dt=0.002))
                ch.append(R(self.COMPLETED, [r, 502, rt(rng.uniform(900, 1800))], h=h, dt=0.0005))
                timed.append((t, ch))
                continue
            timed.append((t, request(t, k)))
        for t in periodic(rng, 2, D, 60, phase=rng.uniform(0, 10), jitter=0.05):
            if abs(t - T_RESTART) > 3:
                timed.append((t, request(t, 'health')))
        for t in periodic(rng, 0, D, 60, phase=rng.uniform(0, 60), jitter=0.01):
            p = proc(t)
            timed.append((t, [R(self.STATS, [rng.randint(150, 230) * 1048576 + rng.randint(0, 1048575),
                                             rng.randint(60, 120) * 1048576 + rng.randint(0, 1048575),
                                             rng.randint(130, 160) * 1048576, jsn(round(rng.uniform(10.2, 14), 2))],
                                h={'pid': p['pid']})]))
        for t in periodic(rng, 0, D, 300, phase=rng.uniform(0, 300), jitter=0.01):
            p = proc(t)
            busy = DB_T0 < t < DB_T1
            timed.append((t, [R(self.POOL, [0 if busy else 10, 0 if busy else rng.randint(6, 10),
                                            rng.randint(8, 20) if busy else 0], h={'pid': p['pid']})]))
        for t in poisson(rng, 0, D, 420):
            p = proc(t)
            timed.append((t, [R(self.SLOWQ, [rng.randint(520, 2400), js(rng.choice([
                'SELECT o.* FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.customer_id = $1 '
                'ORDER BY o.created_at DESC LIMIT 20',
                'UPDATE inventory SET reserved = reserved + $1 WHERE sku = $2',
                'SELECT count(*) FROM orders WHERE status = $1 AND created_at > $2']))], h={'pid': p['pid']})]))
        # queue worker in the same process: e-mail and invoice jobs
        for t in poisson(rng, 0, D, 40):
            p = proc(t)
            q = weighted(rng, [('emails', 3), ('invoices', 1)])
            timed.append((t, [R(self.JOBDONE, [q, str(rng.randint(180000, 260000)),
                                               rng.randint(40, 900) if q == 'emails' else rng.randint(300, 4000)],
                                h={'pid': p['pid']})]))
        for t in poisson(rng, 0, D, 1200):
            p = proc(t)
            msg = 'Invalid login: 454 4.7.0 Temporary authentication failure'
            timed.append((t, [R(self.JOBFAIL, ['emails', str(rng.randint(180000, 260000)), rng.randint(1, 3), 'Error',
                                               js(msg), stack('Error', msg, [
                                                   'SMTPConnection._formatError (/srv/orders-api/node_modules/'
                                                   'nodemailer/lib/smtp-connection/index.js:790:19)',
                                                   'SMTPConnection._actionAUTHComplete (/srv/orders-api/node_modules/'
                                                   'nodemailer/lib/smtp-connection/index.js:1564:34)']), ],
                                h={'pid': p['pid']})]))
        # database failover: connection errors and reconnects
        p = procs[0]
        ch = []
        for a in range(1, 9):
            msg = 'connect ECONNREFUSED 10.0.4.5:5432'
            ch += [R(self.DBERR, ['Error', js(msg), stack('Error', msg, [
                'TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)']), -111, 'ECONNREFUSED', 'connect',
                '10.0.4.5', 5432], h={'pid': p['pid']}, dt=None if a == 1 else min(2 ** a * 0.25, 30)),
                   R(self.RECONN, [a, int(min(2 ** (a + 1) * 250, 30000))], h={'pid': p['pid']}, dt=0.001)]
        ch.append(R(self.RESTORED, [int(DB_T1 - DB_T0) * 1000 + rng.randint(0, 999)], h={'pid': p['pid']},
                    dt=DB_T1 - DB_T0 - 126))
        timed.append((DB_T0, ch))

        def boot(p, first):
            h = {'pid': p['pid']}
            ch = [R(self.CONFIG, ['production', '3.14.%d' % (2 if first else 3)], h=h),
                  R(self.REDIS, [], h=h, dt=0.09),
                  R(self.LISTENING, ['http://127.0.0.1:3000'], h=h, dt=0.21),
                  R(self.LISTENING, ['http://10.0.2.21:3000'], h=h)]
            return ch

        # deploy: the old process closes, the new one starts
        timed.append((T_RESTART - 0.5, [R(self.SIGNAL, ['SIGTERM'], h={'pid': procs[0]['pid']}),
                                        R(self.CLOSED, [], h={'pid': procs[0]['pid']}, dt=0.41)] +
                      [r for r in boot(procs[1], False)]))
        timed[-1][1][2].dt = 1.6
        st = boot(procs[0], True)

        def filler(t):
            return t, request(t, 'health')[:1]

        return st, timed, [], filler


# ----------------------------------------------------------------------------
# 5. PHP-FPM 8.2 error log, with PHP's error_log and the slow log in the same file
# ----------------------------------------------------------------------------

class PhpFpm(System):
    name = 'PhpFpm'
    seed = 8505
    start = datetime(2024, 3, 18, 7, 30, 12)
    header_re = (r'^\[(?P<ts>\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d)(?: (?P<tz>UTC))?\] '
                 r'(?:(?P<level>DEBUG|NOTICE|WARNING|ERROR|ALERT): '
                 r'|PHP (?P<php>Warning|Notice|Deprecated|Fatal error|Parse error):  | )?(?P<msg>\S.*)$')

    def header(self, meta, ts, h):
        d = '%02d-%s-%d %s' % (ts.day, MONTHS[ts.month - 1], ts.year, ts.strftime('%H:%M:%S'))
        kind = meta['kind']
        if kind == 'fpm':
            return '[%s] %s: ' % (d, meta.get('lvl', 'NOTICE'))
        if kind == 'php':
            return '[%s UTC] PHP %s:  ' % (d, meta['lvl'])
        if kind == 'slow':
            return '[%s]  ' % d
        return '[%s UTC] ' % d

    def in_chunk_gap(self):
        return self.rng.uniform(0.0005, 0.01)

    def define(self):
        ev = self.ev
        N = dict(kind='fpm', lvl='NOTICE')
        W = dict(kind='fpm', lvl='WARNING')
        self.RUNNING = ev('fpm is running, pid <*>', **N)
        self.READY = ev('ready to handle connections', **N)
        self.SYSTEMD = ev('systemd monitor interval set to <*>ms', **N)
        self.RELOADING = ev('Reloading in progress ...', **N)
        self.EXECVP = ev('reloading: execvp("<*>", {<*>})', **N)
        self.INHERIT = ev('using inherited socket fd=<*>, "<*>"', **N)
        self.STARTED = ev('[pool <*>] child <*> started', **N)
        self.EXITED = ev('[pool <*>] child <*> exited with code <*> after <*> seconds from start', **N)
        self.SIGNALED = ev('[pool <*>] child <*> exited on signal <*> (<*>) after <*> seconds from start', **W)
        self.MAXCHILD = ev('[pool <*>] server reached pm.max_children setting (<*>), consider raising it', **W)
        self.BUSY = ev('[pool <*>] seems busy (you may need to increase pm.start_servers, or pm.min/max_spare_servers), '
                       'spawning <*> children, there are <*> idle, and <*> total children', **W)
        self.TOOSLOW = ev('[pool <*>] child <*>, script \'<*>\' (request: "<*> <*>") executing too slow (<*> sec), '
                          'logging', **W)
        self.TIMEDOUT = ev('[pool <*>] child <*>, script \'<*>\' (request: "<*> <*>") execution timed out (<*> sec), '
                           'terminating', **W)
        self.STDERR = ev('[pool <*>] child <*> said into stderr: "<*>"', **W)
        self.SLOWPID = ev('[pool <*>] pid <*>', kind='slow')
        PW = dict(kind='php', lvl='Warning')
        PD = dict(kind='php', lvl='Deprecated')
        PF = dict(kind='php', lvl='Fatal error')
        self.UNDEFVAR = ev('Undefined variable $<*> in <*> on line <*>', **PW)
        self.UNDEFKEY = ev('Undefined array key "<*>" in <*> on line <*>', **PW)
        self.OFFSET = ev('Trying to access array offset on value of type <*> in <*> on line <*>', **PW)
        self.PROPNULL = ev('Attempt to read property "<*>" on <*> in <*> on line <*>', **PW)
        self.FOPEN = ev('<*>(<*>): Failed to open stream: <*> in <*> on line <*>', **PW)
        self.DYNPROP = ev('Creation of dynamic property <*>::$<*> is deprecated in <*> on line <*>', **PD)
        self.PASSNULL = ev('<*>(): Passing null to parameter #<*> ($<*>) of type <*> is deprecated in <*> on line <*>',
                           **PD)
        self.MEMORY = ev('Allowed memory size of <*> bytes exhausted (tried to allocate <*> bytes) in <*> on line <*>',
                         **PF)
        self.MAXTIME = ev('Maximum execution time of <*> seconds exceeded in <*> on line <*>', **PF)
        self.UNPDO = ev('Uncaught PDOException: SQLSTATE[<*>] [<*>] <*> in <*>:<*>', **PF)
        self.UNCALL = ev('Uncaught Error: Call to a member function <*>() on <*> in <*>:<*>', **PF)
        self.UNTYPE = ev('Uncaught TypeError: <*>(): Argument #<*> ($<*>) must be of type <*>, <*> given, called in '
                         '<*> on line <*> and defined in <*>:<*>', **PF)
        A = dict(kind='app')
        self.APPPAY = ev('[payment] gateway timeout after <*>ms for order <*>', **A)
        self.APPMAIL = ev('[mailer] could not deliver message to <*>: <*>', **A)
        self.APPCACHE = ev('[cache] redis unavailable, falling back to database: <*>', **A)

    def init_state(self, ctx):
        ctx.st['kids'] = {}
        for name, n in self._pools.items():
            ctx.st['kids'][name] = [[ctx.counter('pid', 18211, 1, 37), -ctx.rng.uniform(100, 3000)]
                                    for _ in range(n)]

    def plan(self):
        rng = self.rng
        R = Rec
        D = 5.0 * 3600
        timed = []
        W = '/var/www/app'
        pools = {'www': 12, 'api': 6}

        def kid(pool):
            return Lazy(lambda ctx: ctx.rng.choice(ctx.st['kids'][pool])[0])

        def recycle(t, pool, code=0, sig=None, pick=None):
            def do(ctx):
                kids = ctx.st['kids'][pool]
                if pick is not None:
                    pid = resolve(pick, ctx)
                    k = [x for x in kids if x[0] == pid][0]
                else:
                    k = ctx.rng.choice(kids)
                old, born = k
                age = (ctx.ts - self.start).total_seconds() - born
                k[0] = ctx.counter('pid', 18211, 1, 37)
                k[1] = (ctx.ts - self.start).total_seconds()
                return old, '%.6f' % age, k[0]
            x = Lazy(do)
            old = Lazy(lambda ctx: resolve(x, ctx)[0])
            age = Lazy(lambda ctx: resolve(x, ctx)[1])
            new = Lazy(lambda ctx: resolve(x, ctx)[2])
            if sig:
                ch = [R(self.SIGNALED, [pool, old, sig[0], sig[1], age])]
            else:
                ch = [R(self.EXITED, [pool, old, code, age])]
            ch.append(R(self.STARTED, [pool, new], dt=0.001))
            return ch

        self._pools = pools

        # pm.max_requests = 500: children exit and are replaced all the time
        for t in poisson(rng, 0, D, 75):
            timed.append((t, recycle(t, weighted(rng, [('www', 2), ('api', 1)]))))

        # PHP notices of the application, everyday noise
        noise = [
            (self.DYNPROP, lambda: ['App\\Legacy\\Invoice', 'taxRate', W + '/src/Legacy/Invoice.php', 58], 30),
            (self.DYNPROP, lambda: ['App\\Legacy\\CartLine', 'discountCode', W + '/src/Legacy/CartLine.php', 113], 12),
            (self.PASSNULL, lambda: [rng.choice(['strlen', 'trim', 'htmlspecialchars']), 1, 'string', 'string',
                                     W + '/templates/cache/%s.php' % hexs(rng, 16), rng.randint(20, 400)], 18),
            (self.UNDEFKEY, lambda: [rng.choice(['utm_source', 'coupon', 'HTTP_REFERER', 'page']),
                                     W + '/src/Controller/%s.php' % rng.choice(['Catalog', 'Checkout', 'Search']),
                                     rng.randint(30, 300)], 16),
            (self.UNDEFVAR, lambda: [rng.choice(['total', 'customer', 'x']),
                                     W + '/src/Service/%s.php' % rng.choice(['Pricing', 'Shipping']),
                                     rng.choice([42, 117, 203])], 6),
            (self.OFFSET, lambda: ['null', W + '/src/Service/Shipping.php', 77], 5),
            (self.PROPNULL, lambda: [rng.choice(['email', 'id', 'address']), 'null',
                                     W + '/templates/cache/%s.php' % hexs(rng, 16), rng.randint(20, 300)], 4),
        ]
        for t in poisson(rng, 0, D, 28):
            e, f, _ = weighted(rng, [(n, n[2]) for n in noise])
            timed.append((t, [R(e, f())]))

        # occasional fatals
        for t in poisson(rng, 0, D, 2400):
            timed.append((t, [R(self.MEMORY, [268435456, rng.choice([20480, 65536, 4194304, 8388616]),
                                              W + '/vendor/phpoffice/phpspreadsheet/src/PhpSpreadsheet/Cell/Cell.php',
                                              rng.choice([221, 734])])]))
        for t in poisson(rng, 0, D, 2700):
            trace = ['Stack trace:',
                     '#0 %s/src/Controller/AccountController.php(88): App\\Service\\LoyaltyService->pointsFor(NULL)' % W,
                     '#1 %s/vendor/symfony/http-kernel/HttpKernel.php(181): App\\Controller\\AccountController->show('
                     'Object(Symfony\\Component\\HttpFoundation\\Request))' % W,
                     '#2 %s/vendor/symfony/http-kernel/HttpKernel.php(76): Symfony\\Component\\HttpKernel\\HttpKernel->'
                     'handleRaw(Object(Symfony\\Component\\HttpFoundation\\Request), 1)' % W,
                     '#3 %s/public/index.php(25): Symfony\\Component\\HttpKernel\\HttpKernel->handle(Object('
                     'Symfony\\Component\\HttpFoundation\\Request))' % W,
                     '#4 {main}',
                     '  thrown in %s/src/Service/LoyaltyService.php on line 31' % W]
            if rng.random() < 0.5:
                timed.append((t, [R(self.UNCALL, ['getTier', 'null', W + '/src/Service/LoyaltyService.php', 31],
                                    conts=trace)]))
            else:
                tr = ['Stack trace:',
                      '#0 %s/src/Service/Pricing.php(61): App\\Money\\Money::fromCents(\'1299\')' % W,
                      '#1 %s/src/Controller/Catalog.php(144): App\\Service\\Pricing->priceFor(Object(App\\Entity'
                      '\\Product))' % W,
                      '#2 %s/public/index.php(25): App\\Controller\\Catalog->show(Object(Symfony\\Component\\'
                      'HttpFoundation\\Request))' % W,
                      '#3 {main}',
                      '  thrown in %s/src/Money/Money.php on line 19' % W]
                timed.append((t, [R(self.UNTYPE, ['App\\Money\\Money::fromCents', 1, 'cents', 'int', 'string',
                                                  W + '/src/Service/Pricing.php', 61, W + '/src/Money/Money.php', 19],
                                    conts=tr)]))
        for t in poisson(rng, 0, D, 1500):
            timed.append((t, [R(self.FOPEN, ['file_get_contents', W + '/var/cache/feeds/%s.xml' % hexs(rng, 8),
                                             'No such file or directory', W + '/src/Feed/Importer.php', 52])]))
        for t in poisson(rng, 0, D, 1300):
            timed.append((t, [R(self.APPMAIL, ['%s@example.org' % rng.choice(['jana', 'm.weber', 'orders', 'k.ito',
                                                                              'p.novak']),
                                               rng.choice(['Expected response code "250" but got code "451", with '
                                                           'message "451 4.3.0 Mail server temporarily rejected '
                                                           'message."',
                                                           'Connection to "smtp.example.net:587" has been closed '
                                                           'unexpectedly.'])])]))
        for t in poisson(rng, 0, D, 1900):
            p = rng.choice(list(pools))
            k = kid(p)
            timed.append((t, [R(self.STDERR, [p, k, rng.choice([
                'sh: 1: /usr/bin/convert: not found',
                'GPL Ghostscript 10.00.0: Unrecoverable error, exit code 1'])])]))

        def slowlog(t, pool, pid, frames):
            conts = ['script_filename = %s/public/index.php' % W]
            addr = 0x00007f3a1c015400 + rng.randint(0, 0xfff) * 16
            for i, f in enumerate(frames):
                conts.append('[0x%016x] %s' % (addr - i * 0x60, f))
            return R(self.SLOWPID, [pool, pid], conts=conts, dt=0.0)

        PAYFR = ['curl_exec() %s/vendor/guzzlehttp/guzzle/src/Handler/CurlHandler.php:44' % W,
                 '__invoke() %s/vendor/guzzlehttp/guzzle/src/Handler/Proxy.php:28' % W,
                 '__invoke() %s/vendor/guzzlehttp/guzzle/src/PrepareBodyMiddleware.php:64' % W,
                 'request() %s/src/Payment/GatewayClient.php:71' % W,
                 'authorize() %s/src/Payment/PaymentService.php:39' % W,
                 'place() %s/src/Controller/Checkout.php:212' % W,
                 'handle() %s/vendor/symfony/http-kernel/HttpKernel.php:181' % W,
                 'handle() %s/public/index.php:25' % W]
        EXPFR = ['fputcsv() %s/src/Export/OrderExport.php:97' % W,
                 'write() %s/src/Export/OrderExport.php:62' % W,
                 'export() %s/src/Controller/Admin/Orders.php:140' % W,
                 'handle() %s/vendor/symfony/http-kernel/HttpKernel.php:181' % W,
                 'handle() %s/public/index.php:25' % W]

        # slow admin exports now and then
        for t in poisson(rng, 0, D, 1100):
            pid = kid('www')
            timed.append((t, [R(self.TOOSLOW, ['www', pid, W + '/public/index.php', 'GET',
                                               '/admin/orders/export?format=csv&from=2024-01-01',
                                               '%.6f' % rng.uniform(10, 14)]),
                              slowlog(t, 'www', pid, EXPFR)]))

        # payment gateway slow: slow log, pool saturation, request_terminate_timeout
        T = 0.28 * D
        OUT = 900
        for t in poisson(rng, T, T + OUT, 30):
            pid = kid('www')
            timed.append((t, [R(self.TOOSLOW, ['www', pid, W + '/public/index.php', 'POST', '/checkout/place',
                                               '%.6f' % rng.uniform(10, 11)]),
                              slowlog(t, 'www', pid, PAYFR)]))
        for t in poisson(rng, T + 20, T + OUT, 38):
            timed.append((t, [R(self.APPPAY, [rng.randint(30000, 30050), 'ORD-%d' % rng.randint(240000, 249999)])]))
        for t in poisson(rng, T + 60, T + OUT, 70):
            pool = 'www'
            k = kid(pool)
            ch = [R(self.TIMEDOUT, [pool, k, W + '/public/index.php', 'POST', '/checkout/place', '%.6f' % (
                60 + rng.uniform(0, 0.01))])]
            ch += recycle(t, pool, sig=(15, 'SIGTERM'), pick=k)
            ch[1].dt = 0.002
            timed.append((t, ch))
        for t in poisson(rng, T + 40, T + OUT, 45):
            timed.append((t, [R(self.BUSY, ['www', rng.choice([8, 16, 32]), 0, rng.randint(30, 39)])]))
        for t in periodic(rng, T + 90, T + OUT, 180, phase=10, jitter=30):
            timed.append((t, [R(self.MAXCHILD, ['www', 40])]))
        timed.append((T + 400, [R(self.MAXTIME, [60, W + '/vendor/guzzlehttp/guzzle/src/Handler/CurlHandler.php',
                                                 44])]))

        # database outage: PDOException fatals
        T = 0.61 * D
        for t in poisson(rng, T, T + 240, 4.5):
            ctl = rng.choice([('OrderController', 57, 'index', 'OrderRepository', 'findRecent(20)'),
                              ('Catalog', 96, 'list', 'ProductRepository', 'findByCategory(\'shoes\')'),
                              ('Checkout', 180, 'cart', 'CartRepository', 'load(\'%s\')' % hexs(rng, 26))])
            drv = W + '/vendor/doctrine/dbal/src/Driver/PDO/MySQL/Driver.php'
            trace = ['Stack trace:',
                     "#0 %s(28): PDO->__construct('mysql:host=10.0...', 'app', Object(SensitiveParameterValue), "
                     "Array)" % drv,
                     '#1 %s/vendor/doctrine/dbal/src/Connection.php(373): Doctrine\\DBAL\\Driver\\PDO\\MySQL\\Driver->'
                     'connect(Array)' % W,
                     '#2 %s/src/Repository/%s.php(41): Doctrine\\DBAL\\Connection->connect()' % (W, ctl[3]),
                     '#3 %s/src/Controller/%s.php(%d): App\\Repository\\%s->%s' % (W, ctl[0], ctl[1], ctl[3], ctl[4]),
                     '#4 %s/public/index.php(25): App\\Controller\\%s->%s(Object(Symfony\\Component\\HttpFoundation\\'
                     'Request))' % (W, ctl[0], ctl[2]),
                     '#5 {main}',
                     '  thrown in %s on line 28' % drv]
            msg = rng.choice(['Connection refused', 'Connection refused', 'Connection timed out'])
            timed.append((t, [R(self.UNPDO, ['HY000', 2002 if 'refused' in msg else 2002, msg, drv, 28],
                                conts=trace)]))
        for t in poisson(rng, T - 30, T + 300, 25):
            timed.append((t, [R(self.APPCACHE, [rng.choice(['Connection refused [tcp://10.0.4.12:6379]',
                                                            'read error on connection to 10.0.4.12:6379'])])]))

        # the kernel OOM killer hits two children
        for f in (0.47, 0.83):
            timed.append((f * D, recycle(f * D, 'www', sig=(9, 'SIGKILL'))))

        # logrotate reloads php-fpm (SIGUSR2)
        T = 0.5 * D
        mpid = 18102
        ch = [R(self.RELOADING, []),
              R(self.EXECVP, ['/usr/sbin/php-fpm8.2', '"/usr/sbin/php-fpm8.2", "--nodaemonize", "--fpm-config", '
                                                      '"/etc/php/8.2/fpm/php-fpm.conf"'], dt=0.9),
              R(self.INHERIT, [8, '/run/php/php8.2-fpm.sock'], dt=0.05),
              R(self.INHERIT, [9, '/run/php/php8.2-fpm-api.sock']),
              R(self.RUNNING, [mpid]),
              R(self.READY, []),
              R(self.SYSTEMD, [10000])]
        for name, n in pools.items():
            for i in range(n):
                def respawn(ctx, name=name, i=i):
                    pid = ctx.counter('pid', 18211, 1, 37)
                    ctx.st['kids'][name][i] = [pid, (ctx.ts - self.start).total_seconds()]
                    return pid
                ch.append(R(self.STARTED, [name, Lazy(respawn)]))
        timed.append((T, ch))

        def filler(t):
            return t, recycle(t, 'www')[:1]

        return [], timed, [], filler


# ----------------------------------------------------------------------------
# 6. JVM unified GC log (JDK 17, G1, -Xlog:gc*,safepoint), one rotated file
# ----------------------------------------------------------------------------

class JvmGc(System):
    name = 'JvmGc'
    seed = 8606
    start = datetime(2024, 3, 18, 10, 15, 2, 123000)
    UPTIME0 = 86231.517
    header_re = (r'^\[(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4})\]\[(?P<uptime>\d+\.\d{3}s)\]'
                 r'\[(?P<level>trace|debug|info|warning|error)\]\[(?P<tags>[a-z,]+ *)\] (?P<msg>.+)$')

    def header(self, meta, ts, h):
        up = self.UPTIME0 + (ts - self.start).total_seconds()
        return '[%s.%03d+0000][%.3fs][info][%s] ' % (ts.strftime('%Y-%m-%dT%H:%M:%S'), ts.microsecond // 1000, up,
                                                     meta['tags'].ljust(12))

    def in_chunk_gap(self):
        return self.rng.uniform(0.00001, 0.0001)

    def define(self):
        ev = self.ev
        G = dict(tags='gc')
        S = dict(tags='gc,start')
        P = dict(tags='gc,phases')
        H = dict(tags='gc,heap')
        M = dict(tags='gc,marking')
        PS = dict(tags='gc,phases,start')
        self.YSTART = ev('GC(<*>) Pause Young (<*>) (<*>)', **S)
        self.YTASK = ev('GC(<*>) Using <*> workers of <*> for evacuation', tags='gc,task')
        self.PRE = ev('GC(<*>)   Pre Evacuate Collection Set: <*>ms', **P)
        self.MERGE = ev('GC(<*>)   Merge Heap Roots: <*>ms', **P)
        self.EVAC = ev('GC(<*>)   Evacuate Collection Set: <*>ms', **P)
        self.POST = ev('GC(<*>)   Post Evacuate Collection Set: <*>ms', **P)
        self.OTHER = ev('GC(<*>)   Other: <*>ms', **P)
        self.EDEN = ev('GC(<*>) Eden regions: <*>-><*>(<*>)', **H)
        self.SURV = ev('GC(<*>) Survivor regions: <*>-><*>(<*>)', **H)
        self.OLD = ev('GC(<*>) Old regions: <*>-><*>', **H)
        self.HUM = ev('GC(<*>) Humongous regions: <*>-><*>', **H)
        self.META = ev('GC(<*>) Metaspace: <*>K(<*>K)-><*>K(<*>K) NonClass: <*>K(<*>K)-><*>K(<*>K) '
                       'Class: <*>K(<*>K)-><*>K(<*>K)', tags='gc,metaspace')
        self.YEND = ev('GC(<*>) Pause Young (<*>) (<*>) <*>M-><*>M(<*>M) <*>ms', **G)
        self.CPU = ev('GC(<*>) User=<*>s Sys=<*>s Real=<*>s', tags='gc,cpu')
        self.SAFEPOINT = ev('Safepoint "<*>", Time since last: <*> ns, Reaching safepoint: <*> ns, At safepoint: '
                            '<*> ns, Total: <*> ns', tags='safepoint')
        # concurrent mark cycle
        self.CYC = ev('GC(<*>) Concurrent Mark Cycle', **G)
        self.CYCEND = ev('GC(<*>) Concurrent Mark Cycle <*>ms', **G)
        self.SCAN = ev('GC(<*>) Concurrent Scan Root Regions', **M)
        self.SCANEND = ev('GC(<*>) Concurrent Scan Root Regions <*>ms', **M)
        self.MARK = ev('GC(<*>) Concurrent Mark', **M)
        self.MARKEND = ev('GC(<*>) Concurrent Mark <*>ms', **M)
        self.MFR = ev('GC(<*>) Concurrent Mark From Roots', **M)
        self.MFREND = ev('GC(<*>) Concurrent Mark From Roots <*>ms', **M)
        self.MTASK = ev('GC(<*>) Using <*> workers of <*> for marking', tags='gc,task')
        self.REMARK = ev('GC(<*>) Pause Remark', **S)
        self.REMARKEND = ev('GC(<*>) Pause Remark <*>M-><*>M(<*>M) <*>ms', **G)
        self.REBUILD = ev('GC(<*>) Concurrent Rebuild Remembered Sets', **M)
        self.REBUILDEND = ev('GC(<*>) Concurrent Rebuild Remembered Sets <*>ms', **M)
        self.CLEAN = ev('GC(<*>) Pause Cleanup', **S)
        self.CLEANEND = ev('GC(<*>) Pause Cleanup <*>M-><*>M(<*>M) <*>ms', **G)
        self.NEXT = ev('GC(<*>) Concurrent Cleanup for Next Mark', **M)
        self.NEXTEND = ev('GC(<*>) Concurrent Cleanup for Next Mark <*>ms', **M)
        # full GC
        self.FSTART = ev('GC(<*>) Pause Full (<*>)', **S)
        self.FTASK = ev('GC(<*>) Using <*> workers of <*> for full compaction', tags='gc,task')
        self.PH = []
        for name in ['Phase 1: Mark live objects', 'Phase 2: Prepare for compaction', 'Phase 3: Adjust pointers',
                     'Phase 4: Compact heap']:
            self.PH.append((ev('GC(<*>) %s' % name, **PS), ev('GC(<*>) %s <*>ms' % name, **P)))
        self.FEND = ev('GC(<*>) Pause Full (<*>) <*>M-><*>M(<*>M) <*>ms', **G)

    def plan(self):
        rng = self.rng
        R = Rec
        D = 1.15 * 3600
        timed = []
        HEAP = 1024
        hp = {'eden_max': 120, 'surv': 9, 'old': 310, 'hum': 2, 'id': 4811, 'meta': 118432, 'metac': 119168,
              'last_sp': 0.0, 'mixed': 0, 'cycle_pending': False}

        def since(at_ns):
            # time from the end of the previous safepoint to the start of this one, at render time
            def f(ctx):
                now = (ctx.ts - self.start).total_seconds() * 1e9
                start = now - at_ns
                v = int(max(1000000, start - ctx.st.get('last_sp', start - 5e9)))
                ctx.st['last_sp'] = now
                return v
            return Lazy(f)

        def f1(x):
            return '%.1f' % x

        def ms3(x):
            return '%.3f' % x

        def cpu(real):
            return ['%.2f' % (real * rng.uniform(5.5, 7.5)), '%.2f' % (real * rng.uniform(0, 0.3)), '%.2f' % real]

        def meta(gid):
            m, c = hp['meta'], hp['metac']
            nc, ncc = int(m * 0.885), int(c * 0.885) + 64
            k, kc = m - nc, c - int(c * 0.885) - 64
            return R(self.META, [gid, m, c, m, c, nc, ncc, nc, ncc, k, kc, k, kc])

        def safepoint(op, at_ms, t):
            reach = rng.randint(40000, 400000)
            at = int(at_ms * 1e6) + rng.randint(20000, 90000)
            return R(self.SAFEPOINT, [op, since(at_ms * 1e6), reach, at, reach + at])

        def young(t, kind, cause, leak=1.0):
            gid = hp['id']
            hp['id'] += 1
            e0 = hp['eden_max'] if cause != 'G1 Humongous Allocation' else rng.randint(40, hp['eden_max'] - 10)
            s0 = hp['surv']
            o0 = hp['old']
            h0 = hp['hum']
            e0 = max(4, min(e0, HEAP - s0 - o0 - h0 - 1))
            s1 = max(4, min(16, s0 + rng.randint(-3, 3)))
            promo = int(rng.randint(2, 7) * leak)
            o1 = o0 + promo
            if kind == 'Mixed':
                o1 = max(250, o0 - rng.randint(30, 70) + promo)
            h1 = max(0, h0 - rng.randint(0, 1)) if cause != 'G1 Humongous Allocation' else h0 + rng.randint(1, 3)
            o1 = min(o1, HEAP - s1 - h1 - 3)
            hp['surv'], hp['old'], hp['hum'] = s1, o1, h1
            pre, merge = rng.uniform(0.1, 0.4), rng.uniform(0.2, 1.2)
            evac = rng.uniform(4, 14) * (1.4 if kind == 'Mixed' else 1.0)
            post, other = rng.uniform(0.6, 2.5), rng.uniform(0.2, 0.8)
            tot = pre + merge + evac + post + other + rng.uniform(0.01, 0.1)
            before = e0 + s0 + o0 + h0
            after = s1 + o1 + h1
            ed_next = max(40, min(150, HEAP - after - 200 if HEAP - after - 200 < 130 else rng.randint(110, 130)))
            hp['eden_max'] = ed_next
            ch = [R(self.YSTART, [gid, kind, cause]),
                  R(self.YTASK, [gid, 8, 8]),
                  R(self.PRE, [gid, f1(pre)], dt=pre / 1000),
                  R(self.MERGE, [gid, f1(merge)], dt=merge / 1000),
                  R(self.EVAC, [gid, f1(evac)], dt=evac / 1000),
                  R(self.POST, [gid, f1(post)], dt=post / 1000),
                  R(self.OTHER, [gid, f1(other)], dt=other / 1000),
                  R(self.EDEN, [gid, e0, 0, ed_next]),
                  R(self.SURV, [gid, s0, s1, 16]),
                  R(self.OLD, [gid, o0, o1]),
                  R(self.HUM, [gid, h0, h1]),
                  meta(gid),
                  R(self.YEND, [gid, kind, cause, before, after, HEAP, ms3(tot)]),
                  R(self.CPU, [gid] + cpu(tot / 1000))]
            op = 'G1TryInitiateConcMark' if cause == 'G1 Humongous Allocation' else 'G1CollectForAllocation'
            ch.append(safepoint(op, tot, t))
            return ch, gid, before, after

        def cycle(t):
            gid = hp['id']
            hp['id'] += 1
            scan = rng.uniform(0.5, 4)
            mfr = rng.uniform(180, 700)
            remark = rng.uniform(3, 9)
            rebuild = rng.uniform(60, 220)
            clean = rng.uniform(0.2, 0.8)
            nxt = rng.uniform(1, 6)
            used = hp['old'] + hp['surv'] + hp['hum'] + rng.randint(20, 70)
            freed = rng.randint(0, 12)
            ch = [R(self.CYC, [gid], dt=0.0002),
                  R(self.SCAN, [gid]),
                  R(self.SCANEND, [gid, ms3(scan)], dt=scan / 1000),
                  R(self.MARK, [gid]),
                  R(self.MFR, [gid]),
                  R(self.MTASK, [gid, 2, 2]),
                  R(self.MFREND, [gid, ms3(mfr)], dt=mfr / 1000),
                  R(self.REMARK, [gid], dt=0.002),
                  R(self.REMARKEND, [gid, used, used - freed, HEAP, ms3(remark)], dt=remark / 1000),
                  R(self.CPU, [gid] + cpu(remark / 1000)),
                  safepoint('G1PauseRemark', remark, t + (scan + mfr) / 1000),
                  R(self.MARKEND, [gid, ms3(mfr + remark + 1.2)], dt=0.001),
                  R(self.REBUILD, [gid]),
                  R(self.REBUILDEND, [gid, ms3(rebuild)], dt=rebuild / 1000),
                  R(self.CLEAN, [gid]),
                  R(self.CLEANEND, [gid, used + 8, used + 8, HEAP, ms3(clean)], dt=clean / 1000),
                  R(self.CPU, [gid] + cpu(clean / 1000)),
                  safepoint('G1PauseCleanup', clean, t + (scan + mfr + rebuild) / 1000),
                  R(self.NEXT, [gid]),
                  R(self.NEXTEND, [gid, ms3(nxt)], dt=nxt / 1000)]
            total = scan + mfr + remark + rebuild + clean + nxt + 8
            ch.append(R(self.CYCEND, [gid, ms3(total)], dt=0.002))
            return ch, total / 1000

        def full(t, cause):
            gid = hp['id']
            hp['id'] += 1
            e0, s0, o0, h0 = 0, 0, hp['old'], hp['hum']
            o1 = rng.randint(380, 440)
            h1 = 1
            phases = [rng.uniform(150, 260), rng.uniform(40, 90), rng.uniform(60, 130), rng.uniform(90, 200)]
            tot = sum(phases) + rng.uniform(3, 8)
            hp['old'], hp['hum'], hp['surv'] = o1, h1, 0
            hp['eden_max'] = 51
            ch = [R(self.FSTART, [gid, cause]), R(self.FTASK, [gid, 8, 8])]
            for (a, b), d in zip(self.PH, phases):
                ch += [R(a, [gid]), R(b, [gid, ms3(d)], dt=d / 1000)]
            ch += [R(self.EDEN, [gid, e0, 0, 51]), R(self.SURV, [gid, s0, 0, 16]), R(self.OLD, [gid, o0, o1]),
                   R(self.HUM, [gid, h0, h1]), meta(gid),
                   R(self.FEND, [gid, cause, e0 + s0 + o0 + h0, o1 + h1, HEAP, ms3(tot)]),
                   R(self.CPU, [gid] + cpu(tot / 1000))]
            return ch, tot

        # one timeline, simulated in order
        t = rng.uniform(5, 20)
        LEAK0, LEAK1 = 0.55 * D, 0.8 * D
        while t < D:
            leak = 4.5 if LEAK0 < t < LEAK1 else 1.0
            if hp['cycle_pending']:
                kind, cause = 'Concurrent Start', 'G1 Evacuation Pause'
            elif hp['mixed'] == -1:
                kind, cause = 'Prepare Mixed', 'G1 Evacuation Pause'
            elif hp['mixed'] > 0:
                kind, cause = 'Mixed', 'G1 Evacuation Pause'
            else:
                kind, cause = 'Normal', 'G1 Evacuation Pause'
            if kind == 'Normal' and rng.random() < 0.04:
                kind, cause = 'Concurrent Start', 'G1 Humongous Allocation'
            if kind == 'Normal' and rng.random() < 0.015:
                cause = 'Metadata GC Threshold'
                hp['meta'] += rng.randint(200, 800)
                hp['metac'] += 1024
            ch, gid, before, after = young(t, kind, cause, leak)
            if leak > 1 and kind == 'Mixed':
                hp['old'] = min(hp['old'] + rng.randint(40, 60), HEAP - hp['surv'] - hp['hum'] - 3)
            timed.append((t, ch))
            if kind == 'Concurrent Start':
                hp['cycle_pending'] = False
                c, dur = cycle(t)
                timed.append((t + 0.02, c))
                hp['mixed'] = -1   # a Prepare Mixed comes next
                t_next = t + max(dur + 0.5, rng.uniform(15, 40))
            else:
                t_next = t + rng.uniform(25, 60) / (1.8 if leak > 1 else 1.0)
            if kind == 'Prepare Mixed':
                hp['mixed'] = rng.randint(2, 4)
            elif kind == 'Mixed':
                hp['mixed'] -= 1
            if kind == 'Normal' and hp['old'] > 0.45 * HEAP:
                hp['cycle_pending'] = True
            if after > HEAP - 60:
                # to-space exhausted: a full collection follows right away
                fc, tot = full(t, 'G1 Compaction Pause')
                fc[0].dt = None
                fc.append(safepoint('G1CollectForAllocation', tot, t + 0.05))
                timed.append((t + 0.05, fc))
                hp['mixed'] = 0
                hp['cycle_pending'] = False
                t_next += tot / 1000
            t = t_next
        # non-GC safepoints
        for ts in poisson(rng, 0, D, 28):
            op = weighted(rng, [('Cleanup', 6), ('ICBufferFull', 2), ('HandshakeFallback', 1)])
            reach, at = rng.randint(30000, 300000), rng.randint(8000, 90000)
            timed.append((ts, [Rec(self.SAFEPOINT, [op, since(at), reach, at, reach + at])]))

        def filler(t):
            return t, [Rec(self.SAFEPOINT, ['Cleanup', since(12345), 51234, 12345, 63579])]

        return [], timed, [], filler


SYSTEMS = [Flink, Grafana, MinIO, NodePino, PhpFpm, JvmGc]


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
