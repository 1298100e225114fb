/**
 * Preloaded into the action's process (`NODE_OPTIONS=--import …/scaled-clock.ts`) so that its
 * clock runs as fast as a scaled emulator's (test/emulator/util.ts `Clock`): a 10-minute setup
 * script then takes seconds, and the action still sees the service's timestamps as it would.
 *
 * OH_TEST_CLOCK=`<origin>:<scale>` (the emulator's `emu.clock`). Scaled: `Date.now()`, `new Date()`
 * and the promise `setTimeout` of `node:timers/promises` (the action's one sleep, retry.ts). Not
 * scaled: callback timers, so socket and HTTP timeouts stay real and a loaded machine does not
 * trip them.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';

export function scaledClockEnv(clock: { readonly origin: number; readonly scale: number }): Record<string, string> {
  return { NODE_OPTIONS: `--import ${new URL(import.meta.url).pathname}`, OH_TEST_CLOCK: `${clock.origin}:${clock.scale}` };
}

const spec = process.env.OH_TEST_CLOCK;
if (spec) {
  const [origin, scale] = spec.split(':').map(Number) as [number, number];
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const now = (): number => origin + (realNow() - origin) * scale;
  class ScaledDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string | number]));
    }

    static override now(): number {
      return now();
    }
  }
  globalThis.Date = ScaledDate as DateConstructor;
  const timers = createRequire(import.meta.url)('node:timers/promises') as typeof import('node:timers/promises');
  const realSleep = timers.setTimeout;
  (timers as { setTimeout: typeof realSleep }).setTimeout = ((ms?: number, value?: unknown, options?: object) =>
    realSleep(Math.max(0, (ms ?? 0) / scale), value, options)) as typeof realSleep;
  syncBuiltinESMExports();
}
