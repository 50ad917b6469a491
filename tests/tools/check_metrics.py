#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check `ternctl show metrics` against the format and against the show views.

usage: check_metrics.py METRICS STATS EVENTS1 EVENTS2 LATENCY APPS [--min-drop REASON=N]...

METRICS is the exposition text; STATS `show stats json`, EVENTS1 and EVENTS2
`show events json` before and after the metrics, LATENCY `show latency json`,
APPS `show apps json`, all read while no traffic flowed (and no `clear
stats` since start). Checks, beyond what
promtool checks:
  - every family has # HELP and # TYPE before its samples, and its samples
    are together; names start with tern_; counters end in _total;
  - per port: rx, tx and every drop_* reason equal show stats';
  - per worker: every event counter of show events has its metric, between
    the two readings (loops and idle counters move by themselves);
  - histograms: le bounds increase, buckets are cumulative, +Inf equals
    _count; tern_worker_latency_seconds_count equals show latency's count;
  - per app: seen, replied, dropped and the stats hook's counters equal
    show apps';
  - --min-drop REASON=N: that reason's total is at least N.
Prints what it checked; exits 1 with the first failure.
Standard library only.
"""
import json
import math
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def fail(msg):
    sys.exit('check_metrics: FAIL: ' + msg)


def parse(text):
    """{family: {'type','help','samples': [(name, labels dict, value)]}}"""
    if not text.endswith('\n'):
        fail('the text does not end in a newline')
    fams, order, cur = {}, [], None
    for n, line in enumerate(text.split('\n')[:-1], 1):
        if line.startswith('# HELP '):
            name = line.split(' ', 3)[2]
            if name in fams:
                fail('line %d: family %s announced twice' % (n, name))
            fams[name] = {'help': line.split(' ', 3)[3], 'type': None, 'samples': []}
            order.append(name)
            cur = name
            continue
        if line.startswith('# TYPE '):
            _, _, name, typ = line.split(' ')
            if name != cur or fams[name]['type'] is not None:
                fail('line %d: # TYPE %s not right after its # HELP' % (n, name))
            fams[name]['type'] = typ
            continue
        m = SAMPLE.match(line)
        if not m:
            fail('line %d: not a sample: %r' % (n, line))
        name, labels, value = m.group(1), m.group(3) or '', m.group(4)
        fam = cur
        if cur is None or not (name == cur or (fams[cur]['type'] == 'histogram' and
                                               name in (cur + '_bucket', cur + '_sum',
                                                        cur + '_count'))):
            fail('line %d: sample %s outside its family (in %s)' % (n, name, cur))
        lab = dict((k, v) for k, v, _ in LABEL.findall(labels))
        if ','.join('%s="%s"' % kv for kv in lab.items()) != labels:
            fail('line %d: bad labels %r' % (n, labels))
        fams[fam]['samples'].append((name, lab, float(value)))
    for name in order:
        f = fams[name]
        if not name.startswith('tern_'):
            fail('%s: not named tern_...' % name)
        if f['type'] not in ('counter', 'gauge', 'histogram', 'untyped'):
            fail('%s: type %s' % (name, f['type']))
        if f['type'] == 'counter' and not name.endswith('_total'):
            fail('%s: a counter not ending in _total' % name)
    return fams


def one(fams, fam, **labels):
    """The value of the one sample of family fam with these labels."""
    if fam not in fams:
        fail('no family %s' % fam)
    got = [v for n, lab, v in fams[fam]['samples']
           if n == fam and all(lab.get(k) == str(x) for k, x in labels.items())]
    if len(got) != 1:
        fail('%s%r: %d samples, expected 1' % (fam, labels, len(got)))
    return got[0]


def check_hist(fams, name):
    """Per series (labels without le): the checks of the docstring;
    returns {labels tuple: count}."""
    series = {}
    for n, lab, v in fams[name]['samples']:
        key = tuple(sorted((k, x) for k, x in lab.items() if k != 'le'))
        s = series.setdefault(key, {'buckets': [], 'sum': None, 'count': None})
        if n == name + '_bucket':
            s['buckets'].append((math.inf if lab['le'] == '+Inf' else float(lab['le']), v))
        elif n == name + '_sum':
            s['sum'] = v
        elif n == name + '_count':
            s['count'] = v
        else:
            fail('%s: unexpected sample %s' % (name, n))
    out = {}
    for key, s in series.items():
        b = s['buckets']
        if not b or b[-1][0] != math.inf:
            fail('%s%r: no +Inf bucket last' % (name, key))
        if any(b[i][0] >= b[i + 1][0] for i in range(len(b) - 1)):
            fail('%s%r: le bounds do not increase' % (name, key))
        if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            fail('%s%r: buckets not cumulative: %r' % (name, key, b))
        if s['count'] is None or b[-1][1] != s['count']:
            fail('%s%r: +Inf bucket %r != _count %r' % (name, key, b[-1][1], s['count']))
        if s['sum'] is None or s['sum'] < 0 or (s['count'] == 0) != (s['sum'] == 0):
            fail('%s%r: bad _sum %r for _count %r' % (name, key, s['sum'], s['count']))
        out[key] = s['count']
    return out


def main():
    args = sys.argv[1:]
    min_drop = {}
    while '--min-drop' in args:
        i = args.index('--min-drop')
        reason, n = args[i + 1].split('=')
        min_drop[reason] = int(n)
        del args[i:i + 2]
    mpath, spath, e1path, e2path, lpath, apath = args
    fams = parse(open(mpath).read())
    stats, events = json.load(open(spath)), json.load(open(e1path))
    after = dict((w['worker'], w) for w in json.load(open(e2path))['workers'])
    lat, apps = json.load(open(lpath)), json.load(open(apath))
    checked = 0

    for p in stats['ports']:
        for c, v in p.items():
            if c in ('port', 'name'):
                continue
            if c.startswith('drop_'):
                got = one(fams, 'tern_port_dropped_frames_total', port=p['port'], name=p['name'],
                          reason=c[5:])
            else:
                got = one(fams, 'tern_port_%s_frames_total' % c, port=p['port'], name=p['name'])
            if got != v:
                fail('port %d %s: metric %r, show stats %r' % (p['port'], c, got, v))
            checked += 1
    for reason, n in min_drop.items():
        tot = sum(v for nm, lab, v in fams['tern_port_dropped_frames_total']['samples']
                  if lab['reason'] == reason)
        if tot < n:
            fail('drop reason %s: %r, expected at least %d' % (reason, tot, n))

    for w in events['workers']:
        lab = {'worker': w['worker'], 'lcore': w['lcore']}
        for c, v in w.items():
            if c in ('worker', 'lcore') or not isinstance(v, int):
                continue
            hi = after[w['worker']][c]
            if c.endswith('_ns') and 'tern_worker_%s_seconds_total' % c[:-3] in fams:
                got = one(fams, 'tern_worker_%s_seconds_total' % c[:-3], **lab) * 1e9
                ok = v * (1 - 1e-8) - 1 <= got <= hi * (1 + 1e-8) + 1
            elif 'tern_worker_%s_total' % c in fams:
                got = one(fams, 'tern_worker_%s_total' % c, **lab)
                ok = v <= got <= hi
            elif c in ('backlog', 'bus_pending') or c.startswith(('timer_late_', 'wake_late_')):
                continue  # gauges of now, and quantiles (the histograms below)
            else:
                fail('show events %s has no metric' % c)
            if not ok:
                fail('worker %d %s: metric %r, show events %r then %r'
                     % (w['worker'], c, got, v, hi))
            checked += 1

    for name, f in fams.items():
        if f['type'] == 'histogram':
            counts = check_hist(fams, name)
            checked += len(counts)
    counts = check_hist(fams, 'tern_worker_latency_seconds')
    for row in lat['lcores']:
        key = (('lcore', str(row['lcore'])), ('worker', str(row['worker'])))
        if counts.get(key) != row['count']:
            fail('latency of lcore %d: _count %r, show latency count %r'
                 % (row['lcore'], counts.get(key), row['count']))
        checked += 1

    for a in apps:
        for c, m in (('seen', 'requests'), ('replied', 'replies'), ('dropped', 'drops'),
                     ('invalid', 'invalid'), ('held', 'held')):
            got = one(fams, 'tern_app_%s_total' % m, app=a['name'])
            if got != a[c]:
                fail('app %s %s: metric %r, show apps %r' % (a['name'], c, got, a[c]))
            checked += 1
        for k, v in a.get('stats', {}).items():
            if isinstance(v, int):
                got = one(fams, 'tern_app_stat', app=a['name'], key=k)
                if got != v:
                    fail('app %s stat %s: metric %r, show apps %r' % (a['name'], k, got, v))
                checked += 1
        one(fams, 'tern_app_info', app=a['name'], kind=a['kind'], sha256=a['sha256'])

    print('check_metrics: ok: %d families, %d values checked against the show views'
          % (len(fams), checked))


if __name__ == '__main__':
    main()
