/** The GitHub fake: see ./github/index.ts. Kept as the import path tests and scripts use. */
export * from './github/index.ts';
