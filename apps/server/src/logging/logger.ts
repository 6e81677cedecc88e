import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

/** The server log: JSON lines to `<logDir>/toa-server.log` and to stdout. */
export function createLogger(options: { logDir: string; level: string; stdout?: boolean }): Logger {
  mkdirSync(options.logDir, { recursive: true });
  const streams: pino.StreamEntry[] = [
    { level: options.level as pino.Level, stream: pino.destination({ dest: path.join(options.logDir, 'toa-server.log'), sync: false }) },
  ];
  if (options.stdout !== false) streams.push({ level: options.level as pino.Level, stream: process.stdout });
  return pino({ level: options.level, base: { service: 'toa-server' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.multistream(streams));
}
