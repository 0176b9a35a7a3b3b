#!/usr/bin/python3
"""Reads a subunit v2 stream of a tempest run; prints pass/fail/skip per area
(compute, network, image, other) and the skip reasons; writes the failed test ids to
FAILURES_TXT; exits 1 when a test failed, nothing ran, or a test was skipped for a
reason that ALLOWED_SKIPS (one regex per line, each matching the skip reasons of a
feature the README says Nimbus does not implement) does not list.

Usage: summary.py RESULTS.subunit FAILURES_TXT [ALLOWED_SKIPS]"""
import re
import sys
from collections import Counter, defaultdict

import subunit
import testtools

stream, failures_txt = sys.argv[1], sys.argv[2]
allowed = []
if len(sys.argv) > 3:
    with open(sys.argv[3]) as f:
        allowed = [re.compile(line.rstrip('\n')) for line in f
                   if line.strip() and not line.startswith('#')]
status = {}
reasons = {}


class Collect(testtools.StreamResult):
    def status(self, test_id=None, test_status=None, file_name=None, file_bytes=None, **kw):
        if test_id and file_name == 'reason' and file_bytes:
            reasons[test_id] = reasons.get(test_id, '') + bytes(file_bytes).decode('utf-8', 'replace')
        if test_id and test_status in ('success', 'fail', 'skip', 'xfail', 'uxsuccess'):
            status[test_id] = test_status


with open(stream, 'rb') as f:
    subunit.ByteStreamToStreamResult(f, non_subunit_name='stdout').run(Collect())

counts = defaultdict(Counter)
failed = []
for tid, st in sorted(status.items()):
    name = tid.split('[')[0]
    # class-level skips/errors are reported as "setUpClass (tempest.api.x.y.Class)"
    if '(' in name:
        name = name[name.index('(') + 1:].rstrip(')')
    parts = name.split('.')
    area = parts[2] if len(parts) > 2 and parts[:2] == ['tempest', 'api'] else 'other'
    key = {'success': 'pass', 'xfail': 'pass', 'skip': 'skip'}.get(st, 'fail')
    counts[area][key] += 1
    if key == 'fail':
        failed.append(tid)

print(f"{'area':<10}{'pass':>6}{'fail':>6}{'skip':>6}")
tot = Counter()
for area in sorted(counts):
    c = counts[area]
    tot.update(c)
    print(f"{area:<10}{c['pass']:>6}{c['fail']:>6}{c['skip']:>6}")
print(f"{'total':<10}{tot['pass']:>6}{tot['fail']:>6}{tot['skip']:>6}")

by_reason = Counter(reasons.get(t, '(no reason given)').strip() for t, st in status.items() if st == 'skip')
unexpected = [r for r in by_reason if not any(a.search(r) for a in allowed)]
if by_reason:
    print('\nskipped, by reason:')
    for r, n in by_reason.most_common():
        mark = '  NOT ALLOWED' if allowed and r in unexpected else ''
        print(f'{n:>5}  {r}{mark}')
if allowed and unexpected:
    print(f'\n{len(unexpected)} skip reason(s) not in {sys.argv[3]}: a skip is allowed only for a '
          'feature the README lists as not implemented', file=sys.stderr)
with open(failures_txt, 'w') as f:
    f.write(''.join(t + '\n' for t in failed))
sys.exit(1 if failed or not status or (allowed and unexpected) else 0)
