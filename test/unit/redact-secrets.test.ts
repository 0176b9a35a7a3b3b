/**
 * Issue 11, point 7: the URLs Nimbus puts in logs and error messages carry no password,
 * whatever characters the password holds (a raw @ or / included) and even when the URL
 * is malformed (it is echoed in the error refusing it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactTransportUrl } from '../../src/bus/transport-url.js';
import { redactUrl } from '../../src/db/url.js';

describe('redactTransportUrl', () => {
  const cases: [string, string][] = [
    ['rabbit://nova:secret@h1:5672/nova', 'rabbit://nova:***@h1:5672/nova'],
    ['rabbit://nova:secret@h1:5672,x:y@h2/v', 'rabbit://nova:***@h1:5672,x:***@h2/v'],
    ['rabbit://nova:se@cr/et@h1:5672/', 'rabbit://nova:***@h1:5672/'],
    ['rabbit:/nova:secret@h1/', 'rabbit:/nova:***@h1/'],
    ['rabbit:nova:secret@h1/', 'rabbit:nova:***@h1/'],
    ['rabbit://h1:5672/', 'rabbit://h1:5672/'],
    ['inproc://', 'inproc://'],
  ];
  for (const [url, masked] of cases) it(`${url} -> ${masked}`, () => assert.equal(redactTransportUrl(url), masked));
});

describe('redactUrl', () => {
  const cases: [string, string][] = [
    ['postgresql+psycopg2://nova:secret@db:5432/nova', 'postgresql+psycopg2://nova:***@db:5432/nova'],
    ['mysql+pymysql://nova:se@cr/et@db/nova?charset=utf8', 'mysql+pymysql://nova:***@db/nova?charset=utf8'],
    ['postgresql:/nova:secret@db/nova', 'postgresql:/nova:***@db/nova'],
    ['postgresql://nova@db/nova', 'postgresql://nova@db/nova'],
    ['sqlite:///var/lib/nimbus/nova.sqlite', 'sqlite:///var/lib/nimbus/nova.sqlite'],
  ];
  for (const [url, masked] of cases) it(`${url} -> ${masked}`, () => assert.equal(redactUrl(url), masked));
});
