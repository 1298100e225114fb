// Run the OpenHands Cloud emulator as a process:
//   node test/emulator/cli.ts [--port N] [--host H] [--api-key K]... [--phase-ms N] [--event-lag-ms N]
//        [--final-message TEXT] [--final-via finish|message|none] [--scenario JSON]
//        [--event-flush-ms N] [--max-sandboxes N] [--legacy] [--no-rate-limits] [--no-stream-start] [--verbose]
// Prints "listening on <url>" and runs until killed. Drive it with the /_emulator/* endpoints.
import { parseArgs } from 'node:util';
import { startEmulator, type ScenarioInput } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'api-key': { type: 'string', multiple: true },
    'phase-ms': { type: 'string' },
    'event-lag-ms': { type: 'string' },
    'event-flush-ms': { type: 'string' },
    'max-sandboxes': { type: 'string' },
    legacy: { type: 'boolean' },
    'final-message': { type: 'string' },
    'final-via': { type: 'string' },
    scenario: { type: 'string' },
    'no-rate-limits': { type: 'boolean' },
    'no-stream-start': { type: 'boolean' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(
    'usage: node test/emulator/cli.ts [--port N] [--host H] [--api-key K]... [--phase-ms N] [--event-lag-ms N]\n' +
      '       [--final-message TEXT] [--final-via finish|message|none] [--scenario JSON]\n' +
      '       [--event-flush-ms N] [--max-sandboxes N] [--legacy] [--no-rate-limits] [--no-stream-start] [--verbose]',
  );
  process.exit(0);
}

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`invalid --${name}: ${v}`);
    process.exit(2);
  }
  return n;
};

const scenario: ScenarioInput = values.scenario ? (JSON.parse(values.scenario) as ScenarioInput) : {};
const phaseMs = num(values['phase-ms'], 'phase-ms');
const eventLagMs = num(values['event-lag-ms'], 'event-lag-ms');
if (phaseMs !== undefined) scenario.phaseMs = phaseMs;
const eventFlushMs = num(values['event-flush-ms'], 'event-flush-ms');
if (eventLagMs !== undefined) scenario.eventLagMs = eventLagMs;
if (eventFlushMs !== undefined) scenario.eventFlushMs = eventFlushMs;
if (values['final-message'] !== undefined) scenario.finalMessage = values['final-message'];
if (values['final-via'] !== undefined) scenario.finalVia = values['final-via'] as ScenarioInput['finalVia'];

const emu = await startEmulator({
  port: num(values.port, 'port'),
  host: values.host,
  apiKeys: values['api-key'],
  scenario,
  rateLimits: !values['no-rate-limits'],
  streamStart: !values['no-stream-start'],
  legacy: values.legacy ?? false,
  maxSandboxes: num(values['max-sandboxes'], 'max-sandboxes'),
  log: values.verbose ?? false,
});
console.log(`listening on ${emu.url}`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void emu.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
