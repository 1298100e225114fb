/**
 * A user's mistakes are named, through the built action. Several bad inputs at once,
 * inputs that do nothing in the given combination, a wrong base-url (closed port, unknown host,
 * something that is not OpenHands, a wrong path prefix), an issue-number that points at nothing,
 * a comment 403, `check-run: true`, and event files GitHub would never write.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueLabeled, prLabeled, schedule } from './payloads.ts';
import { world, type World } from './world.ts';

let w: World;
beforeEach(async () => {
  w = await world();
  w.emu.setDefaultScenario({ phaseMs: 5 });
});
afterEach(async () => {
  await w.close();
});

const labeled = () => issueLabeled({ label: 'openhands' });
const retries = (stdout: string) => stdout.split('\n').filter((l) => /retry \d+ in/.test(l));
const noStack = /\n\s+at .+:\d+:\d+|TypeError|Cannot read properties/;

describe('inputs', () => {
  it('every bad input of a run is reported at once, before any request', async () => {
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'soon', 'ready-timeout': 'ten', 'max-cost': 'lots', 'on-cancel': 'stop' } });
    expect(run.code).toBe(1);
    const errors = run.annotations.errors.join('\n');
    for (const input of ['wait', 'ready-timeout', 'max-cost', 'on-cancel']) expect(errors).toContain(`Input '${input}'`);
    expect(run.annotations.errors).toHaveLength(1);
    expect(run.outputs.status).toBe('error');
    expect(w.emu.requests).toHaveLength(0);
    expect(w.gh.countWrites()).toBe(0);
  });

  it('warns for each input that has no effect with the given wait', async () => {
    const ready = await w.run({ event: 'issues', payload: labeled(), inputs: { 'max-cost': '2.50', 'finish-timeout': '30m' } });
    expect(ready.code, ready.stdout).toBe(0);
    const warnings = ready.annotations.warnings.join('\n');
    expect(warnings).toMatch(/Input 'max-cost'.*no effect.*wait: ready.*wait: finished/);
    expect(warnings).toMatch(/Input 'finish-timeout'.*no effect.*wait: ready/);
    expect(ready.annotations.warnings).toHaveLength(2);

    const none = await w.run({ event: 'issues', payload: issueLabeled({ label: 'openhands', number: 7 }), inputs: { wait: 'none', title: 'Nightly' } });
    expect(none.code, none.stdout).toBe(0);
    expect(none.annotations.warnings.join('\n')).toMatch(/Input 'title'.*no effect.*wait: none/);

    // The same inputs where they do work: no warning.
    const finished = await w.run({ event: 'issues', payload: labeled(), inputs: { wait: 'finished', 'max-cost': '2.50', 'finish-timeout': '30m', title: 'Fix' } });
    expect(finished.annotations.warnings.join('\n')).not.toMatch(/no effect/);
  });

  it('check-run: true is accepted as auto', async () => {
    const run = await w.run({ event: 'pull_request', payload: prLabeled({ label: 'openhands' }), inputs: { 'check-run': 'true' } });
    expect(run.code, run.stdout).toBe(0);
    expect(run.annotations.errors).toEqual([]);
    expect(w.gh.checkRuns.length).toBe(1);
  });
});

describe('a wrong base-url is named, with what answered', () => {
  let other: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (other ? other.close(r) : r(undefined)));
    other = undefined;
  });
  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    other = createServer(handler);
    await new Promise<void>((r) => other?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  }
  const expectBaseUrlError = (run: { code: number | null; annotations: { errors: string[] }; stdout: string; stderr: string; outputs: Record<string, string> }, what: RegExp) => {
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('error');
    const error = run.annotations.errors.join('\n');
    expect(error).toContain("'base-url'");
    expect(error).toMatch(what);
    expect(run.stderr + run.stdout).not.toMatch(noStack);
  };

  it('a closed port: connection refused, without a round of retries', async () => {
    const url = await serve(() => undefined);
    await new Promise((r) => other?.close(r));
    other = undefined;
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { 'base-url': url } });
    expectBaseUrlError(run, /refused/);
    expect(run.annotations.errors.join('\n')).toContain(url);
    expect(retries(run.stdout)).toEqual([]);
  });

  it('an unknown host', async () => {
    // The child resolves names through a preload that knows no host, so nothing leaves loopback.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oh-dns-'));
    const preload = path.join(dir, 'nodns.cjs');
    writeFileSync(
      preload,
      "const dns = require('node:dns'); const real = dns.lookup;\n" +
        "dns.lookup = function (host, opts, cb) { if (String(host).endsWith('.invalid')) { const e = Object.assign(new Error('getaddrinfo ENOTFOUND ' + host), { code: 'ENOTFOUND', hostname: host }); const done = typeof opts === 'function' ? opts : cb; return process.nextTick(done, e); } return real.apply(this, arguments); };\n",
    );
    try {
      const run = await w.run({ event: 'issues', payload: labeled(), inputs: { 'base-url': 'https://openhands.invalid' }, env: { NODE_OPTIONS: `--require ${preload}` } });
      expectBaseUrlError(run, /unknown host|could not be found|ENOTFOUND/);
      expect(run.annotations.errors.join('\n')).toContain('openhands.invalid');
      expect(retries(run.stdout)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a server that is not OpenHands answering 401', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'text/html', 'www-authenticate': 'Basic realm="intranet"' });
      res.end('<html><body>Login required</body></html>');
    });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { 'base-url': url } });
    expectBaseUrlError(run, /not .*OpenHands/);
    expect(run.annotations.errors.join('\n')).not.toMatch(/rejected the API key/);
  });

  it('a web page instead of the API', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Welcome</title>');
    });
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { 'base-url': url } });
    expectBaseUrlError(run, /HTML|web page/);
    expect(retries(run.stdout)).toEqual([]);
  });

  it('a wrong path prefix on a real OpenHands server', async () => {
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { 'base-url': `${w.emu.url}/openhands` } });
    expectBaseUrlError(run, /path prefix/);
    expect(w.starts()).toBe(0);
  });

  it('the real key error still blames the key, not base-url', async () => {
    const run = await w.run({ event: 'issues', payload: labeled(), inputs: { 'api-key': 'wrong-key' } });
    expect(run.code).toBe(1);
    expect(run.annotations.errors.join('\n')).toMatch(/rejected the API key/);
  });
});

describe('issue-number', () => {
  it('a number that points at nothing is named, not a bare 404', async () => {
    const run = await w.run({ event: 'schedule', payload: schedule(), inputs: { prompt: 'Nightly chores', 'issue-number': '999' } });
    expect(run.code).toBe(1);
    const error = run.annotations.errors.join('\n');
    expect(error).toContain("Input 'issue-number'");
    expect(error).toMatch(/#999/);
    expect(w.starts()).toBe(0);
  });
});

describe('a comment GitHub refuses (403)', () => {
  it('says which permission to add, or comment: false, once (not again in the post step)', async () => {
    w.gh.addFault({ method: 'POST', path: /\/issues\/1\/comments$/, status: 403, times: Infinity });
    const main = await w.run({ event: 'issues', payload: labeled() });
    const advice = /issues: write.*comment: false/;
    const said = [...main.annotations.warnings, ...main.annotations.errors].filter((m) => advice.test(m));
    expect(said, main.stdout).toHaveLength(1);
    const post = await w.run({ event: 'issues', payload: labeled(), phase: 'post', state: main.state });
    expect(post.code).toBe(0);
    expect([...post.annotations.warnings, ...post.annotations.errors].filter((m) => /comment/i.test(m))).toEqual([]);
  });
});

describe('event files GitHub would never write', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'oh-odd-event-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an issue number that is not a safe integer is a bad event file, sent nowhere', async () => {
    const file = path.join(dir, 'event.json');
    writeFileSync(file, JSON.stringify(labeled()).replace(/"number":\s*1\b/, '"number":1e30'));
    const run = await w.run({ event: 'issues', payload: labeled(), env: { GITHUB_EVENT_PATH: file } });
    expect(run.code).toBe(1);
    expect(run.annotations.errors.join('\n')).toContain('GITHUB_EVENT_PATH');
    expect(run.annotations.errors.join('\n')).toMatch(/issue number/);
    expect(w.gh.requests.filter((r) => /e\+30|1e30/.test(r.path))).toEqual([]);
    expect(w.emu.requests).toHaveLength(0);
  });

  it('a pull request without head and base is a named error, not a TypeError', async () => {
    const payload = prLabeled({ label: 'openhands' }) as unknown as { pull_request: Record<string, unknown> };
    delete payload.pull_request.head;
    delete payload.pull_request.base;
    const run = await w.run({ event: 'pull_request', payload });
    expect(run.code).toBe(1);
    const error = run.annotations.errors.join('\n');
    expect(error).toMatch(/GITHUB_EVENT_PATH|event payload/);
    expect(error).toMatch(/head/);
    expect(error + run.stdout + run.stderr).not.toMatch(noStack);
  });
});
