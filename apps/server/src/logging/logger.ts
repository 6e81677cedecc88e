import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { AppError, fileProblem } from '../errors.js';
import { LogFile } from './log-file.js';

/**
 * The server log: JSON lines to `<logDir>/toa-server.log` and to stdout.
 * The file is opened here, synchronously, so that a log folder the server
 * cannot write is an `UNAVAILABLE` error at start instead of an unhandled
 * stream error later; a write that fails afterwards (disk full) is reported
 * once on stderr, the lines the file cannot take are dropped and counted
 * (`file.state()`, shown by `/api/health`), and it never stops or hangs the server.
 */
export function createLogger(options: { logDir: string; level: string; stdout?: boolean }): { logger: Logger; file: LogFile } {
  const file = path.join(options.logDir, 'toa-server.log');
  let fd: number;
  try {
    mkdirSync(options.logDir, { recursive: true });
    fd = openSync(file, 'a');
  } catch (error) {
    throw new AppError(
      'UNAVAILABLE',
      `logDir ${options.logDir} cannot be used: ${fileProblem(error)}; the server's user must be able to create and append to ${file}`,
      {
        cause: error,
      },
    );
  }
  const destination = new LogFile(fd, (detail) => {
    process.stderr.write(`toa-server: the log file ${file} cannot be written: ${detail}; log lines are dropped and counted until it can\n`);
  });
  const streams: pino.StreamEntry[] = [{ level: options.level as pino.Level, stream: destination }];
  if (options.stdout !== false) streams.push({ level: options.level as pino.Level, stream: process.stdout });
  const logger = pino({ level: options.level, base: { service: 'toa-server' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.multistream(streams));
  return { logger, file: destination };
}
