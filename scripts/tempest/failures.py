#!/usr/bin/python3
"""Explains each failed test of a tempest run, for the work list:
   failures.py RESULTS.subunit TEMPEST.LOG > failures.md
For every failed test (or setUpClass): the exception's last line and the HTTP
requests of that test that answered >= 400 (from tempest.log's
"Request (Class:test): STATUS METHOD URL" lines), plus the last request made."""
import re
import sys
from collections import defaultdict

import subunit
import testtools

stream, logfile = sys.argv[1], sys.argv[2]
tests = {}
details = defaultdict(str)
logs = defaultdict(str)


class Collect(testtools.StreamResult):
    def status(self, test_id=None, test_status=None, file_name=None, file_bytes=None, **kw):
        if not test_id:
            return
        if file_name == 'traceback' and file_bytes:
            details[test_id] += file_bytes.decode('utf-8', 'replace')
        elif file_name and file_name.startswith('pythonlogging') and file_bytes:
            logs[test_id] += file_bytes.decode('utf-8', 'replace')
        if test_status in ('success', 'fail', 'skip', 'xfail', 'uxsuccess'):
            tests[test_id] = test_status


with open(stream, 'rb') as f:
    subunit.ByteStreamToStreamResult(f, non_subunit_name='stdout').run(Collect())

req_re = re.compile(r'Request \((\w+):(\w+)\): (\d{3}) (\w+) (\S+)')
reqs = defaultdict(list)
with open(logfile, errors='replace') as f:
    for line in f:
        m = req_re.search(line)
        if m:
            cls, meth, code, verb, url = m.groups()
            url = re.sub(r'^https?://[^/]+', '', url)
            reqs[(cls, meth)].append(f'{code} {verb} {url}')


def explain(tid):
    name = tid.split('[')[0]
    if '(' in name:  # setUpClass (tempest.api.x.Class)
        cls = name[name.index('(') + 1:].rstrip(')').split('.')[-1]
        meth = name.split(' ')[0]
    else:
        cls, meth = name.split('.')[-2:]
    tb = details.get(tid, '').strip().splitlines()
    exc = ''
    for i, line in enumerate(tb):
        if re.match(r'^[\w.]+(Error|Exception|Failure|NotFound|Conflict|BadRequest|Forbidden|Unauthorized|'
                    r'ServerFault|TimeoutException|InvalidHTTPResponseBody|\w+Exception|mismatch|\w+Error):?', line) \
                or line.startswith(('testtools.matchers', 'AssertionError', 'tempest.', 'jsonschema')):
            exc = ' '.join(l.strip() for l in tb[i:i + 4])
    if not exc and tb:
        exc = tb[-1]
    # the test's own captured log names every request it made (also those made by
    # helpers, which tempest.log files under the helper's name); else tempest.log
    own = [f'{c} {v} {re.sub(r"^https?://[^/]+", "", u)}'
           for *_, c, v, u in req_re.findall(logs.get(tid, ''))]
    mine = own or reqs.get((cls, meth), [])
    bad = [r for r in mine if int(r[:3]) >= 400]
    last = mine[-1:]
    return exc[:600], bad[-4:], last


for tid, st in sorted(tests.items()):
    if st not in ('fail', 'uxsuccess'):
        continue
    exc, bad, last = explain(tid)
    print(f'- `{tid}`')
    if exc:
        print(f'  - error: {exc}')
    if bad:
        print(f'  - HTTP >= 400: {"; ".join(bad)}')
    if last and last != bad[-1:]:
        print(f'  - last request: {last[0]}')
