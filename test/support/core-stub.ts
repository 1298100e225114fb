/**
 * A typed stand-in for `@actions/core`, for in-process tests of run() (as the typescript-action
 * template's `__fixtures__/core.ts` and changesets/action do): inputs and saved state come from
 * the environment like the real ones (stub it with vi.stubEnv), and everything the step hands
 * to the runner (outputs, state, masks, log lines, the failure, the summary) is recorded here.
 *
 *   vi.mock('@actions/core', () => import('../support/core-stub.ts'));
 *
 * The runner contract itself (file commands, masks on stdout, the post step, signals) is tested
 * through the built dist/index.js (test/e2e).
 */
import type * as Core from '@actions/core';

export interface Recorded {
  outputs: Record<string, string>;
  state: Record<string, string>;
  secrets: string[];
  /** every log line, with its level */
  log: Array<{ readonly level: 'debug' | 'info' | 'notice' | 'warning' | 'error'; readonly message: string }>;
  /** setFailed messages (the exit status is 1 once there is one) */
  failed: string[];
  /** the job summary, as written */
  summary: string;
}

export const recorded: Recorded = { outputs: {}, state: {}, secrets: [], log: [], failed: [], summary: '' };

/** Forgets everything recorded (call it before each run). */
export function resetCore(): void {
  Object.assign(recorded, { outputs: {}, state: {}, secrets: [], log: [], failed: [], summary: '' });
  pending = '';
}

const text = (m: string | Error): string => (m instanceof Error ? m.message : m);

export const getInput: typeof Core.getInput = (name, options) => {
  const value = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '';
  if (options?.required && !value) throw new Error(`Input required and not supplied: ${name}`);
  return options?.trimWhitespace === false ? value : value.trim();
};
export const getState: typeof Core.getState = (name) => process.env[`STATE_${name}`] ?? '';
export const setOutput: typeof Core.setOutput = (name, value) => {
  recorded.outputs[name] = typeof value === 'string' ? value : JSON.stringify(value);
};
export const saveState: typeof Core.saveState = (name, value) => {
  recorded.state[name] = typeof value === 'string' ? value : JSON.stringify(value);
};
export const setSecret: typeof Core.setSecret = (secret) => {
  recorded.secrets.push(secret);
};
export const setFailed: typeof Core.setFailed = (message) => {
  recorded.failed.push(text(message));
};
export const debug: typeof Core.debug = (message) => void recorded.log.push({ level: 'debug', message });
export const info: typeof Core.info = (message) => void recorded.log.push({ level: 'info', message });
export const notice: typeof Core.notice = (message) => void recorded.log.push({ level: 'notice', message: text(message) });
export const warning: typeof Core.warning = (message) => void recorded.log.push({ level: 'warning', message: text(message) });
export const error: typeof Core.error = (message) => void recorded.log.push({ level: 'error', message: text(message) });
export const group: typeof Core.group = async (name, fn) => {
  recorded.log.push({ level: 'info', message: `::group::${name}` });
  return fn();
};

let pending = '';
/** The part of `core.summary` the action uses: addRaw, then write. */
export const summary = {
  addRaw(raw: string, addEOL = false) {
    pending += raw + (addEOL ? '\n' : '');
    return summary;
  },
  async write() {
    recorded.summary += pending;
    pending = '';
    return summary;
  },
} as unknown as typeof Core.summary;
