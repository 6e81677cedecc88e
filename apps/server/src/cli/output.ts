import { describeProvenance, type Provenance } from '../config/provenance.js';

/** Command output: readable lines for people, one JSON document with `--json`. */
export interface Output {
  /** `data` is the JSON document (with what was read added); `lines` what people read */
  result(data: Record<string, unknown>, lines: () => string[]): void;
  error(text: string): void;
}

/**
 * With `--json`, one JSON document on stdout whose `dataRoot`, `config` and
 * `environment` say what was read. For people, that goes to stderr as the
 * first line, so stdout stays what scripts take (`cd "$(toa-server locate …)"`).
 */
export function printer(options: { json?: boolean }, read?: Provenance): Output {
  return {
    result(data, lines) {
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ...read, ...data }, null, 2)}\n`);
        return;
      }
      if (read) process.stderr.write(`toa-server: ${describeProvenance(read)}\n`);
      process.stdout.write(`${lines().join('\n')}\n`);
    },
    error(text) {
      process.stderr.write(`toa-server: ${text}\n`);
    },
  };
}
