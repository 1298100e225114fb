/**
 * The inputs and outputs tables of docs/inputs.md are generated from action.yml, so the reference
 * users read and the descriptions they see at the call site (Marketplace, editor hovers) are one
 * text. `npm run docs` rewrites the tables in place; `npm run docs -- --check` exits 1 when they
 * differ from action.yml (the test suite checks the same through `generatedInputsPage`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface ActionSpec {
  readonly inputs: Record<string, { readonly description: string; readonly default?: string }>;
  readonly outputs: Record<string, { readonly description: string }>;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const INPUTS_PAGE = path.join(ROOT, 'docs', 'inputs.md');
export const ACTION_YML = path.join(ROOT, 'action.yml');

/** A description as one table cell: one line, pipes escaped. */
const cell = (text: string): string => text.trim().replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
const code = (value: string): string => (value === '' ? "`''`" : `\`${value}\``);

export function inputsTable(spec: ActionSpec): string {
  const rows = Object.entries(spec.inputs).map(([name, i]) => `| \`${name}\` | ${code(String(i.default ?? ''))} | ${cell(i.description)} |`);
  return ['| input | default | description |', '|---|---|---|', ...rows].join('\n');
}

export function outputsTable(spec: ActionSpec): string {
  const rows = Object.entries(spec.outputs).map(([name, o]) => `| \`${name}\` | ${cell(o.description)} |`);
  return ['| output | description |', '|---|---|', ...rows].join('\n');
}

/** Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`; throws when the markers are missing. */
export function replaceBlock(page: string, name: string, body: string): string {
  const begin = `<!-- ${name}:begin (generated from action.yml by npm run docs) -->`;
  const end = `<!-- ${name}:end -->`;
  const from = page.indexOf(begin);
  const to = page.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/inputs.md: the markers ${begin} … ${end} are missing`);
  return `${page.slice(0, from + begin.length)}\n${body}\n${page.slice(to)}`;
}

/** The page with both tables as action.yml says. */
export function generatedInputsPage(page: string, spec: ActionSpec): string {
  return replaceBlock(replaceBlock(page, 'inputs', inputsTable(spec)), 'outputs', outputsTable(spec));
}

export const readSpec = (): ActionSpec => parse(readFileSync(ACTION_YML, 'utf8')) as ActionSpec;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const page = readFileSync(INPUTS_PAGE, 'utf8');
  const next = generatedInputsPage(page, readSpec());
  if (process.argv.includes('--check')) {
    if (next !== page) {
      console.error('docs/inputs.md differs from action.yml: run `npm run docs` and commit the result.');
      process.exit(1);
    }
    console.log('docs/inputs.md matches action.yml');
  } else if (next !== page) {
    writeFileSync(INPUTS_PAGE, next);
    console.log('docs/inputs.md: tables rewritten from action.yml');
  } else {
    console.log('docs/inputs.md is up to date');
  }
}
