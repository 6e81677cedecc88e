import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { capForLog, LOG_VALUE_MAX } from './log-caps.js';
import { RefusalSampler } from './refusal-sampler.js';

function collectingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const flushLog = () => new Promise((resolve) => setImmediate(resolve));

describe('RefusalSampler', () => {
  let sampler: RefusalSampler | undefined;
  afterEach(() => sampler?.close());

  it('admits the first refusals of each address per window and tells the rest in one line per address', async () => {
    const { logger, lines } = collectingLogger();
    sampler = new RefusalSampler(logger, { perWindow: 3, windowMs: 60_000, maxAddresses: 100 });
    const admitted = Array.from({ length: 10 }, () => sampler?.admit('203.0.113.7'));
    expect(admitted).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(sampler.admit('198.51.100.2')).toBe(true);
    sampler.flush();
    await flushLog();
    expect(lines).toEqual([
      expect.objectContaining({ clientAddress: '203.0.113.7', refused: 10, notLogged: 7, msg: 'refused requests not logged one by one' }),
    ]);
    // a new window starts afresh
    expect(sampler.admit('203.0.113.7')).toBe(true);
  });

  it('bounds the addresses it tracks: refusals from further ones are counted together and never logged one by one', async () => {
    const { logger, lines } = collectingLogger();
    sampler = new RefusalSampler(logger, { perWindow: 1, windowMs: 60_000, maxAddresses: 2 });
    expect([sampler.admit('a'), sampler.admit('b'), sampler.admit('c'), sampler.admit('d'), sampler.admit('a')]).toEqual([true, true, false, false, false]);
    sampler.close();
    await flushLog();
    expect(lines).toEqual([
      expect.objectContaining({ clientAddress: 'a', refused: 2, notLogged: 1 }),
      expect.objectContaining({ clientAddress: 'other addresses', refused: 2, notLogged: 2 }),
    ]);
  });

  it('ends its window on a timer', async () => {
    const { logger, lines } = collectingLogger();
    sampler = new RefusalSampler(logger, { perWindow: 1, windowMs: 50, maxAddresses: 10 });
    sampler.admit('a');
    sampler.admit('a');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(lines).toEqual([expect.objectContaining({ clientAddress: 'a', notLogged: 1 })]);
  });
});

describe('capForLog', () => {
  it('keeps short values and cuts long ones, saying how much', () => {
    expect(capForLog('/api/me')).toBe('/api/me');
    const long = `/api/domains?q=${'a'.repeat(10_000)}`;
    const capped = capForLog(long);
    expect(capped.startsWith(long.slice(0, LOG_VALUE_MAX))).toBe(true);
    expect(capped).toMatch(/…\(9715 more characters\)$/);
    expect(capped.length).toBeLessThan(LOG_VALUE_MAX + 40);
  });
});
