#!/usr/bin/python3
"""Reads a subunit v2 stream of a tempest run; prints pass/fail/skip per area
(compute, network, image, other); writes the failed test ids to FAILURES_TXT;
exits 1 when a test failed (or nothing ran)."""
import sys
from collections import Counter, defaultdict

import subunit
import testtools

stream, failures_txt = sys.argv[1], sys.argv[2]
status = {}


class Collect(testtools.StreamResult):
    def status(self, test_id=None, test_status=None, **kw):
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
with open(failures_txt, 'w') as f:
    f.write(''.join(t + '\n' for t in failed))
sys.exit(1 if failed or not status else 0)
