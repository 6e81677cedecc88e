import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { AppError, fileProblem } from '../errors.js';
import { LogFile } from './log-file.js';

/** Where the server log goes (`logOutput`): its file, stdout, or both. */
export type LogOutput = 'file' | 'stdout' | 'both';

/**
 * Merged into the lines that reach stdout whatever `logOutput` says: start,
 * `listening on <url>`, start-up checks, shutdown. Supervisors, the journal
 * and scripts wait for these on stdout even when the log goes to its file.
 */
export const LIFECYCLE = { lifecycle: true } as const;

/**
 * The server log: JSON lines (pino) to one destination unless configured
 * otherwise: `<logDir>/toa-server.log` (`file`, the default), stdout
 * (`stdout`: for a journal or `docker logs`), or both. With `file`, stdout
 * still gets the lifecycle lines (`LIFECYCLE`) and every `fatal` line.
 *
 * The file is opened here, synchronously, so that a log folder the server
 * cannot write is an `UNAVAILABLE` error at start instead of an unhandled
 * stream error later; a write that fails afterwards (disk full) is reported
 * once on stderr, the lines the file cannot take are dropped and counted
 * (`file.state()`, shown by `/api/health`), and it never stops or hangs the
 * server. `file` is undefined when the log has no file (`stdout`).
 */
export function createLogger(options: { logDir: string; level: string; output: LogOutput }): { logger: Logger; file: LogFile | undefined } {
  const level = options.level as pino.Level;
  const destination = options.output === 'stdout' ? undefined : openLogFile(options.logDir);
  const streams: pino.StreamEntry[] = [];
  if (destination) streams.push({ level, stream: destination });
  streams.push({ level, stream: options.output === 'file' ? lifecycleOnly(process.stdout) : process.stdout });
  const logger = pino({ level: options.level, base: { service: 'toa-server' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.multistream(streams));
  return { logger, file: destination };
}

function openLogFile(logDir: string): LogFile {
  const file = path.join(logDir, 'toa-server.log');
  let fd: number;
  try {
    mkdirSync(logDir, { recursive: true });
    fd = openSync(file, 'a');
  } catch (error) {
    throw new AppError(
      'UNAVAILABLE',
      `logDir ${logDir} cannot be used: ${fileProblem(error)}; the server's user must be able to create and append to ${file}`,
      {
        cause: error,
      },
    );
  }
  return new LogFile(fd, (detail) => {
    process.stderr.write(`toa-server: the log file ${file} cannot be written: ${detail}; log lines are dropped and counted until it can\n`);
  });
}

/** pino's level number for `fatal`. */
const FATAL = 60;

/**
 * A stream that passes on only lifecycle and fatal lines. A client-supplied
 * value in a line is a JSON string, whose quotes are escaped, so it can never
 * spell the unescaped `"lifecycle":true` of the marker.
 */
function lifecycleOnly(out: NodeJS.WritableStream): { write(line: string): boolean } {
  return {
    write(line) {
      if (line.includes('"lifecycle":true') || line.includes(`"level":${FATAL},`)) out.write(line);
      return true;
    },
  };
}
