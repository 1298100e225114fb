// Pausing sandboxes (src/steps/pause.ts): only the conversation's own, and a note that says what
// was done or why a sandbox was left running.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const pauseSandboxNow = vi.fn(async () => {});
const warning = vi.fn();
vi.mock('@actions/core', () => ({ warning: (m: string) => warning(m), info: () => {}, debug: () => {} }));
vi.mock('../../src/openhands/client.ts', () => ({ pauseSandboxNow: (...a: unknown[]) => pauseSandboxNow(...(a as [])) }));

const { ownSandbox, stopSpending } = await import('../../src/steps/pause.ts');
type Report = import('../../src/report.ts').Report;
type Config = import('../../src/config.ts').Config;

describe("which sandbox is the conversation's own", () => {
  it("pauses only the conversation's own sandbox", () => {
    const id = 'c'.repeat(32);
    expect(ownSandbox({ conversationId: id, sandboxId: id })).toBe(id);
    // Not reported yet: a new sandbox is named after the conversation that asked for it.
    expect(ownSandbox({ conversationId: id })).toBe(id);
    expect(ownSandbox({ conversationId: id, sandboxId: 'shared123' })).toBeUndefined();
    expect(ownSandbox({ conversationId: id, sandboxId: 'shared123', sandboxShared: true })).toBeUndefined();
    expect(ownSandbox({ conversationId: id, sandboxId: 'own-legacy', sandboxShared: false })).toBe('own-legacy');
    expect(ownSandbox({ sandboxId: id })).toBeUndefined();
  });
});

describe('what stopSpending says', () => {
  const cfg = { apiKey: 'k', baseUrl: 'http://127.0.0.1:9', onTimeout: 'pause', onCancel: 'pause' } as Config;
  const report = (over: Partial<Report>): Report => ({ status: 'timed_out', ...over }) as Report;
  beforeEach(() => pauseSandboxNow.mockClear());

  it('says why a sandbox it should pause is left running (no call is made)', async () => {
    // an older server: the conversation id, and so the sandbox's owner, is not known before READY
    expect((await stopSpending(report({ sandboxId: 'abc' }), cfg))?.note).toBe(
      'the sandbox abc was left running (on-timeout: pause asked to pause it): the service had not yet said which conversation it serves, so it could not be told apart from a shared one',
    );
    expect((await stopSpending(report({}), cfg))?.note).toBeUndefined(); // no sandbox yet: nothing runs
    expect((await stopSpending(report({ conversationId: 'c1', sandboxId: 'shared', sandboxShared: true }), cfg))?.note).toContain('shared with other conversations');
    // on-timeout: keep, and statuses that keep the sandbox: nothing to say
    expect((await stopSpending(report({ conversationId: 'c1' }), { ...cfg, onTimeout: 'keep' }))?.note).toBeUndefined();
    expect((await stopSpending(report({ conversationId: 'c1', status: 'finished' }), cfg))?.note).toBeUndefined();
    expect(pauseSandboxNow).not.toHaveBeenCalled(); // no call is made
  });
});

describe('pausing only the own sandbox', () => {
  const id = 'c'.repeat(32);
  const cfg = { apiKey: 'k', baseUrl: 'https://oh.example', onTimeout: 'pause', onCancel: 'pause' } as unknown as Config;
  const report = (over: Partial<Report>): Report => ({ status: 'timed_out', conversationId: id, ...over }) as Report;
  beforeEach(() => {
    pauseSandboxNow.mockClear();
    warning.mockClear();
  });

  it("a shared sandbox (another conversation's, or unchecked) is left running with a warning that says why", async () => {
    for (const sandboxShared of [true, undefined]) {
      const r = report({ sandboxId: 'shared-sandbox', sandboxShared });
      // The note for the report says the sandbox was left running; it is not paused.
      const stopped = await stopSpending(r, cfg);
      expect(stopped?.note).toMatch(/left running/);
      expect(stopped?.paused).toBe(false);
    }
    expect(pauseSandboxNow).not.toHaveBeenCalled();
    expect(warning).toHaveBeenCalledTimes(2);
    expect(warning.mock.calls[0]?.[0]).toMatch(/Sandbox shared-sandbox is left running: it is shared with other conversations.*pausing it would stop them too/);
  });

  it('the own sandbox (named after the conversation) is paused, by its reported id', async () => {
    const r = report({ sandboxId: id });
    const stopped = await stopSpending(r, cfg);
    expect(stopped?.note).toMatch(/paused so it stops costing money \(on-timeout: pause\)/);
    expect(pauseSandboxNow).toHaveBeenCalledWith('https://oh.example', 'k', id, { quick: false });
    expect(stopped?.paused).toBe(true);
    expect(warning).not.toHaveBeenCalled();
  });
});
