#!/usr/bin/env node
// Entry point of the `doppel` command. In a source checkout the TypeScript sources run
// directly (through tsx); an installed package runs the compiled `dist/`.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
