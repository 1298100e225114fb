// Vitest global setup: the tests run against the current source (see fresh-dist.ts).
import { ensureFreshDist } from './fresh-dist.ts';

export default function setup(): void {
  ensureFreshDist();
}
