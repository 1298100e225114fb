/** The post step as a `run()` with no arguments, for `@github/local-action --post` (see ./main.ts). */
import { runPost } from '../post.js';

export async function run(): Promise<void> {
  await runPost({ env: process.env });
}
