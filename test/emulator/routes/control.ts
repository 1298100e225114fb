// Control endpoints (/_emulator/*): no auth, not recorded, not rate-limited.
import { faultFromJson } from '../faults.ts';
import { detail, json, type Reply } from '../http.ts';
import type { Emulator, Json, Scenario, ScenarioInput } from '../types.ts';

/** The emulator as the control endpoints see it. */
export interface Controlled extends Emulator {
  scenarioState(): { scenario: Scenario; queue: ScenarioInput[] };
  faultCount(): number;
}

function queryRecord(q: URLSearchParams): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of q) (out[k] ??= []).push(v);
  return out;
}

export function control(emu: Controlled, method: string, url: URL, raw: string): Reply {
  let body: unknown;
  try {
    body = raw ? JSON.parse(raw) : undefined;
  } catch {
    return detail(400, 'invalid JSON');
  }
  const key = `${method} ${url.pathname}`;
  const list = <T>(v: unknown): T[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]) as T[];
  switch (key) {
    case 'POST /_emulator/scenario':
      emu.setDefaultScenario((body ?? {}) as ScenarioInput);
      return json(200, { scenario: emu.scenarioState().scenario });
    case 'GET /_emulator/scenario':
      return json(200, emu.scenarioState());
    case 'POST /_emulator/queue':
      for (const s of list<ScenarioInput>(body)) emu.queueScenario(s);
      return json(200, { queued: emu.scenarioState().queue.length });
    case 'POST /_emulator/faults':
      for (const f of list<Json>(body)) emu.addFault(faultFromJson(f));
      return json(200, { faults: emu.faultCount() });
    case 'DELETE /_emulator/faults':
      emu.clearFaults();
      return json(200, { faults: 0 });
    case 'GET /_emulator/requests':
      return json(200, emu.requests.map((r) => ({ ...r, query: queryRecord(r.query) })));
    case 'GET /_emulator/transitions':
      return json(200, emu.transitions);
    case 'GET /_emulator/state':
      return json(200, emu.state());
    case 'POST /_emulator/reset':
      emu.reset();
      return json(200, { ok: true });
    case 'POST /_emulator/runtime-faults': {
      const b = (body ?? {}) as { times?: number; op?: 'lookup' | 'pause' | 'resume' | 'any' };
      emu.failRuntime(b.times ?? 1, b.op ?? 'any');
      return json(200, { ok: true });
    }
  }
  const conv = /^POST \/_emulator\/conversations\/([^/]+)\/pause$/.exec(key);
  if (conv) return emu.userPause(decodeURIComponent(conv[1]!)) ? json(200, { success: true }) : detail(404, 'Conversation not found');
  const sb = /^POST \/_emulator\/sandboxes\/([^/]+)\/(pause|resume|fail)$/.exec(key);
  if (sb) {
    const id = decodeURIComponent(sb[1]!);
    const status = url.searchParams.get('status') === 'MISSING' ? 'MISSING' : 'ERROR';
    const ok = sb[2] === 'pause' ? emu.pauseSandbox(id) : sb[2] === 'resume' ? emu.resumeSandbox(id) : emu.failSandbox(id, status);
    return ok ? json(200, { success: true }) : detail(404, 'Sandbox not found');
  }
  return detail(404, 'Not Found');
}
