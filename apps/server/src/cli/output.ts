/** Command output: readable lines for people, one JSON document with `--json`. */
export interface Output {
  result(data: unknown, lines: () => string[]): void;
  error(text: string): void;
}

export function printer(options: { json?: boolean }): Output {
  return {
    result(data, lines) {
      process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${lines().join('\n')}\n`);
    },
    error(text) {
      process.stderr.write(`toa-server: ${text}\n`);
    },
  };
}
