/** The event-file reader: one place, tolerant, and clear about what is wrong with the file. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEvent, readEventFile } from '../../src/github/event.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'event-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('readEventFile', () => {
  it('reads the payload object', () => {
    const f = file('ok.json', JSON.stringify({ action: 'labeled', issue: { number: 7 } }));
    const payload = readEventFile({ GITHUB_EVENT_PATH: f });
    expect(payload).toEqual({ action: 'labeled', issue: { number: 7 } });
    expect(parseEvent({ GITHUB_EVENT_NAME: 'issues' }, payload).subject?.number).toBe(7);
  });

  it('gives {} when the runner set no GITHUB_EVENT_PATH (a local run)', () => {
    expect(readEventFile({})).toEqual({});
    expect(readEventFile({ GITHUB_EVENT_PATH: '' })).toEqual({});
  });

  it.each([
    ['a missing file', path.join(dir, 'nope.json'), /^The event payload file GITHUB_EVENT_PATH=.*nope\.json does not exist$/],
    ['an empty file', file('empty.json', ''), /GITHUB_EVENT_PATH=.*empty\.json is empty$/],
    ['a blank file', file('blank.json', ' \n'), /is empty$/],
    ['invalid JSON', file('bad.json', '{"action": '), /GITHUB_EVENT_PATH=.*bad\.json is not valid JSON: /],
    ['JSON null', file('null.json', 'null'), /holds null, not a JSON object$/],
    ['a JSON array', file('array.json', '[1, 2]'), /holds an array, not a JSON object$/],
    ['a JSON string', file('string.json', '"x"'), /holds a string, not a JSON object$/],
  ])('names GITHUB_EVENT_PATH and the problem for %s', (_what, f, message) => {
    expect(() => readEventFile({ GITHUB_EVENT_PATH: f })).toThrow(message);
  });

  it('says why an unreadable file cannot be read', () => {
    const read = (): string => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    };
    expect(() => readEventFile({ GITHUB_EVENT_PATH: '/x/event.json' }, read)).toThrow(
      'The event payload file GITHUB_EVENT_PATH=/x/event.json cannot be read: EACCES: permission denied',
    );
  });
});
