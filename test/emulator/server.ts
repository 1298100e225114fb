// OpenHands Cloud emulator: a real node:http server following the OpenHands V1 API reference
// (docs/openhands-api.md; `[api: <name>]` names its sections). The request pipeline is in pipeline.ts, the routes per
// resource in routes/, the state in engine.ts. See README.md for options, scenarios and guesses.
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AgentServer } from './agent-server.ts';
import { allEvents, deliveredEvents } from './events.ts';
import { DEFAULT_SCENARIO, Engine, mergeScenario } from './engine.ts';
import { FaultBook } from './faults.ts';
import { internalError, type App, type Route } from './http.ts';
import { handle, write } from './pipeline.ts';
import { IpLimiter, UserLimiter } from './ratelimit.ts';
import type { Controlled } from './routes/control.ts';
import { conversationRoutes } from './routes/conversations.ts';
import { eventRoutes } from './routes/events.ts';
import { DEFAULT_LLM_MODEL, sandboxRoutes } from './routes/sandboxes.ts';
import { startRoutes } from './routes/start.ts';
import type { Emulator, EmulatorOptions, EmulatorState, Fault, Json, RecordedRequest, Scenario, ScenarioInput, Transition } from './types.ts';
import { dashed, getClock, parseUuid, setClock, Timers, type Clock } from './util.ts';

export type * from './types.ts';
export { DEFAULT_SCENARIO, START_PHASES } from './engine.ts';

class EmulatorServer implements Controlled, App {
  url = '';
  port = 0;
  readonly apiKeys: string[];
  readonly requests: RecordedRequest[] = [];
  readonly engine: Engine;
  readonly users = new Map<string, string>(); // api key → user id
  readonly options: EmulatorOptions;
  private readonly server: http.Server;
  private readonly timers = new Timers();
  private readonly sockets = new Set<Socket>();
  private readonly inflight = new Set<ServerResponse>();
  private readonly faults = new FaultBook();
  private readonly ipLimiter: IpLimiter | null;
  private readonly userLimiter: UserLimiter | null;
  private defaultScenario: Scenario;
  private queue: ScenarioInput[] = [];
  private closed = false;
  /** this emulator set the process's service clock (set back to real time on close) */
  private scaledClock = false;
  /** the sandboxes' agent server (agent-server.ts), on its own port */
  readonly agentServer: AgentServer;

  constructor(options: EmulatorOptions) {
    this.options = options;
    if (options.clockScale !== undefined && options.clockScale !== 1) {
      setClock(options.clockScale);
      this.scaledClock = true;
    }
    this.apiKeys = options.apiKeys ?? ['test-key'];
    this.apiKeys.forEach((k, i) => this.users.set(k, `${String(i + 1).padStart(8, '0')}-0000-4000-8000-00000000e1a0`));
    this.defaultScenario = mergeScenario(DEFAULT_SCENARIO, options.scenario);
    this.engine = new Engine({
      baseUrl: () => this.url,
      llmModel: options.llmModel ?? DEFAULT_LLM_MODEL,
      legacy: options.legacy,
      maxSandboxes: options.maxSandboxes,
      agentBaseUrl: () => this.agentServer.url,
    });
    this.agentServer = new AgentServer(this.engine, options.agentServer);
    const rl = options.rateLimits ?? true;
    const cfg = rl === true ? {} : rl === false ? { ip: false as const, user: false as const } : rl;
    this.ipLimiter = cfg.ip === false ? null : new IpLimiter(cfg.ip ?? {});
    this.userLimiter =
      cfg.user === false
        ? null
        : new UserLimiter(cfg.user ?? [
            { limit: 10, windowMs: 1000 },
            { limit: 100, windowMs: 60_000 },
          ]);
    const routes: Route[] = [...startRoutes(this), ...conversationRoutes(this), ...eventRoutes(this), ...sandboxRoutes(this)];
    const deps = { app: this, emu: this, routes, faults: this.faults, timers: this.timers, ipLimiter: this.ipLimiter, userLimiter: this.userLimiter, requests: this.requests, inflight: this.inflight };
    this.server = http.createServer({ noDelay: true }, (req, res) => {
      handle(deps, req, res).catch((err: unknown) => {
        console.error('[emulator] handler crashed', err);
        if (!res.headersSent && !res.destroyed) write(res, null, internalError());
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    this.port = addr.port;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.url = `http://${host}:${addr.port}`;
    await this.agentServer.listen(this.options.host ?? '127.0.0.1');
  }

  // ---- App (for the routes) ----

  takeScenario(): { scenario: Scenario; partial: ScenarioInput | undefined } {
    const partial = this.queue.shift();
    return { scenario: mergeScenario(this.defaultScenario, partial), partial };
  }

  requeue(partial: ScenarioInput): void {
    this.queue.unshift(partial);
  }

  scenarioState(): { scenario: Scenario; queue: ScenarioInput[] } {
    return { scenario: this.defaultScenario, queue: this.queue };
  }

  faultCount(): number {
    return this.faults.size;
  }

  // ---- public control API ----

  get transitions(): Transition[] {
    return this.engine.transitions;
  }

  queueScenario(partial: ScenarioInput): void {
    this.queue.push(partial);
  }

  setDefaultScenario(partial: ScenarioInput): void {
    this.defaultScenario = mergeScenario(DEFAULT_SCENARIO, partial);
  }

  addFault(fault: Fault): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  get tasks(): Json[] {
    return [...this.engine.tasks.values()].map((t) => this.engine.taskJson(t));
  }

  get conversations(): Json[] {
    return [...this.engine.conversations.values()].map((c) => this.engine.conversationJson(c));
  }

  get sandboxes(): Json[] {
    return [...this.engine.sandboxes.values()].map((s) => this.engine.sandboxJson(s));
  }

  sessionApiKeys(): string[] {
    return [...this.engine.sandboxes.values()].map((s) => s.sessionApiKey);
  }

  events(conversationId: string): Json[] {
    const conv = this.engine.conversations.get(parseUuid(conversationId) ?? '');
    return conv ? allEvents(conv) : [];
  }

  deliveredEvents(conversationId: string): Json[] {
    const conv = this.engine.conversations.get(parseUuid(conversationId) ?? '');
    return conv ? deliveredEvents(conv) : [];
  }

  agentTitle(conversationId: string): string | null {
    return this.engine.agentTitle(parseUuid(conversationId) ?? '');
  }

  setAgentTitle(conversationId: string, title: string): boolean {
    return this.engine.setAgentTitle(parseUuid(conversationId) ?? '', title);
  }

  state(): EmulatorState {
    const events: Record<string, Json[]> = {};
    for (const c of this.engine.conversations.values()) events[c.id] = allEvents(c);
    return { tasks: this.tasks, conversations: this.conversations, sandboxes: this.sandboxes, events };
  }

  pauseSandbox(id: string): boolean {
    return this.engine.pauseSandbox(id);
  }

  resumeSandbox(id: string): boolean {
    return this.engine.resumeSandbox(id);
  }

  failSandbox(id: string, status: 'ERROR' | 'MISSING'): boolean {
    return this.engine.failSandbox(id, status);
  }

  failRuntime(times = 1, op: 'lookup' | 'pause' | 'resume' | 'any' = 'any'): void {
    this.engine.failRuntime(times, op);
  }

  runtimeFailuresLeft(): number {
    return this.engine.runtimeFaults.reduce((n, f) => n + f.left, 0);
  }

  userPause(conversationId: string): boolean {
    const conv = this.engine.conversations.get(parseUuid(conversationId) ?? '');
    if (!conv) return false;
    this.engine.userPause(conv);
    return true;
  }

  get clock(): Clock {
    return getClock();
  }

  advanceRun(conversationId: string): boolean {
    return this.engine.advanceRun(conversationId);
  }

  ageConversation(id: string, ms: number, opts: { started?: boolean } = {}): boolean {
    return this.engine.ageConversation(id, ms, opts);
  }

  ageTask(id: string, ms: number): boolean {
    return this.engine.ageTask(parseUuid(id) ?? '', ms);
  }

  reset(): void {
    this.engine.reset();
    this.agentServer.reset();
    this.timers.clearAll();
    for (const res of this.inflight) res.socket?.destroy();
    this.inflight.clear();
    this.requests.length = 0;
    this.faults.clear();
    this.queue = [];
    this.ipLimiter?.reset();
    this.userLimiter?.reset();
    this.defaultScenario = mergeScenario(DEFAULT_SCENARIO, this.options.scenario);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.scaledClock) setClock(1);
    this.engine.dispose();
    this.timers.clearAll();
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await Promise.all([done, this.agentServer.close()]);
  }
}

/** Start an emulator on 127.0.0.1 (port 0 unless options.port). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = new EmulatorServer(options);
  await emu.listen();
  return emu;
}

/** Dashed form of a 32-hex id (e.g. to compare with request.conversation_id). */
export { dashed };
