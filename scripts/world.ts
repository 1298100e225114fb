/**
 * `npm run world`: the OpenHands Cloud emulator and the GitHub fake on loopback, seeded like the
 * end-to-end tests (issue #1, PR #2, tracking issue #7; Codertocat may write), plus an event file,
 * so a contributor can drive the action by hand: `npm run local-action` (src/, through
 * @github/local-action) or `node dist/index.js` with the printed environment. Runs until Ctrl-C,
 * then prints the comments and check runs the action left on the fake.
 *
 *   npm run world [-- --oh-port 4010] [-- --gh-port 4011] [-- --event issues|issue_comment|pull_request] [-- --write-env .env]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { issueComment, issueLabeled, prLabeled } from '../test/e2e/payloads.ts';
import { API_KEY, GITHUB_SEED } from '../test/e2e/world.ts';
import { startEmulator } from '../test/emulator/server.ts';
import { startGitHubFake } from '../test/fakes/github.ts';

const { values } = parseArgs({
  options: {
    'oh-port': { type: 'string', default: '4010' },
    'gh-port': { type: 'string', default: '4011' },
    event: { type: 'string', default: 'issues' },
    'write-env': { type: 'string' },
    'phase-ms': { type: 'string', default: '300' },
  },
});

const EVENTS = {
  issues: () => issueLabeled({ label: 'openhands' }),
  issue_comment: () => issueComment({ body: '@openhands please fix this', sender: 'Codertocat' }),
  pull_request: () => prLabeled({ label: 'openhands' }),
} as const;
const eventName = values.event as keyof typeof EVENTS;
if (!(eventName in EVENTS)) {
  console.error(`--event must be one of ${Object.keys(EVENTS).join(', ')}`);
  process.exit(2);
}

const emu = await startEmulator({ port: Number(values['oh-port']), scenario: { phaseMs: Number(values['phase-ms']) } });
const gh = await startGitHubFake({ ...GITHUB_SEED, port: Number(values['gh-port']) });
const dir = mkdtempSync(path.join(os.tmpdir(), 'oh-world-'));
const eventPath = path.join(dir, 'event.json');
writeFileSync(eventPath, JSON.stringify(EVENTS[eventName](), null, 2));

/** What the runner would set, for this world. Inputs are INPUT_<NAME> with the name as in action.yml. */
export const worldEnv: Record<string, string> = {
  GITHUB_EVENT_NAME: eventName,
  GITHUB_EVENT_PATH: eventPath,
  GITHUB_REPOSITORY: 'octo-org/octo-repo',
  GITHUB_API_URL: gh.url,
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_RUN_ID: String(Date.now()),
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_WORKFLOW: 'OpenHands',
  GITHUB_JOB: 'agent',
  GITHUB_ACTOR: 'Codertocat',
  GITHUB_TOKEN: gh.token,
  GITHUB_WORKSPACE: dir,
  'INPUT_API-KEY': API_KEY,
  'INPUT_BASE-URL': emu.url,
  INPUT_WAIT: 'ready',
};
const envText = Object.entries(worldEnv)
  .map(([k, v]) => `${k}=${v}`)
  .join('\n');
if (values['write-env']) writeFileSync(values['write-env'], `${envText}\n`);

console.log(`OpenHands emulator: ${emu.url} (API key ${API_KEY})`);
console.log(`GitHub fake:        ${gh.url}`);
console.log(`event (${eventName}): ${eventPath}\n`);
console.log(values['write-env'] ? `Wrote ${values['write-env']}. In another terminal:` : 'The environment (pass --write-env .env to write it). In another terminal:');
if (!values['write-env']) console.log(`\n${envText}\n`);
console.log('  npm run local-action            # src/ through @github/local-action (main, then post)');
console.log('  env $(grep -v "^#" .env | xargs) node dist/index.js   # the built action, as the runner runs it');
console.log('\nCtrl-C stops both servers and prints what the action left on GitHub.');

const stop = async (): Promise<void> => {
  console.log('\nComments on the fake:');
  for (const c of gh.comments) console.log(`--- #${c.id} (${c.user.login}) ---\n${c.body}\n`);
  console.log(`Check runs: ${gh.checkRuns.map((c) => `${c.name} ${c.status}/${c.conclusion ?? '-'}`).join(', ') || 'none'}`);
  console.log(`OpenHands requests: ${emu.requests.length}`);
  await Promise.all([emu.close(), gh.close()]);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
