/**
 * The OpenHands client of a run (and of a finalize run): the run's key and cancel signal, its
 * retries logged with secrets redacted, and any secret the service hands back masked.
 */
import * as core from '@actions/core';
import { OpenHandsClient } from '../openhands/client.js';
import { missingApiKey } from './plan.js';
import type { RunContext } from './run.js';

export function openHandsClient(run: Pick<RunContext, 'cfg' | 'secrets' | 'signal' | 'sleep'>): OpenHandsClient {
  const { cfg, secrets } = run;
  // The plan (or finalize) refused a run without a key before any request; this keeps the type honest.
  if (!cfg.apiKey) throw missingApiKey();
  return new OpenHandsClient({
    baseUrl: cfg.baseUrl,
    apiKey: cfg.apiKey,
    signal: run.signal,
    sleep: run.sleep,
    onRetry: (m) => core.info(secrets.redact(m)),
    onSecret: (s) => secrets.add(s),
  });
}
