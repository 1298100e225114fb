import { describe, expect, it } from 'vitest';
import { renderReportMarkdown } from '../../src/render/comment.ts';
import { SAMPLES } from './render-samples.ts';

// One markdown file per status: review a layout change in the diff (`vitest -u` rewrites them).
describe('the comment markdown per status', () => {
  it.each(Object.entries(SAMPLES))('%s', async (name, r) => {
    await expect(renderReportMarkdown(r)).toMatchFileSnapshot(`__snapshots__/render/${name.replace(/[^\w]+/g, '-').replace(/-$/, '')}.md`);
  });
});
