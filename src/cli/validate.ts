/**
 * `doppel validate FILE...`: exit 0 when every file is valid, 2 with one
 * `file:line:col: message` line per problem otherwise.
 */
import { loadConfigFile } from '../config/index.js';
import { DoppelError } from '../core/errors.js';

/** Validates files and writes the outcome; returns the exit code. */
export function validateFiles(files: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  let code = 0;
  for (const file of files) {
    try {
      const cfg = loadConfigFile(file, { env: process.env });
      out.write(`${file}: ok (${cfg.routes.length} route${cfg.routes.length === 1 ? '' : 's'})\n`);
    } catch (e) {
      code = 2;
      err.write(`${e instanceof DoppelError ? e.message : String(e)}\n`);
    }
  }
  return code;
}
