import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { paths } from '@toa/api/routes';
import { cpuSeconds, startChildServer } from './lib/child-server.mjs';
import { fmt, median, ratio, roundMs, scaledRounds, warmUps } from './lib/measure.mjs';
import { createSite, startToaServer } from './lib/toa-site.mjs';

/**
 * Issue 12 row 6: `GET /api/health` as a load balancer sends it (no
 * credentials: the status alone) against bare Express answering the same
 * path with the same body (bare-routes.mjs), each in its own process, in
 * interleaved rounds of CONCURRENCY keep-alive loops. The client is
 * `node:http` with a keep-alive agent, far cheaper than `fetch`, so that the
 * servers rather than the client set the pace; on a machine whose cores the
 * client shares, the server's CPU time per request (from /proc) is the
 * steadier figure.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const CONCURRENCY = 16;
const ROUND_MS = roundMs(2_000);

function get(agent, url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`${url} answered ${response.statusCode}`))));
      })
      .on('error', reject);
  });
}

/** Requests per second, and CPU µs per request of the process `pid`, of CONCURRENCY loops for ROUND_MS. */
async function round(agent, url, pid) {
  const cpuBefore = await cpuSeconds(pid);
  const started = performance.now();
  const end = started + ROUND_MS;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await get(agent, url);
        done += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rate: done / seconds, cpuUs: (((await cpuSeconds(pid)) - cpuBefore) * 1e6) / done };
}

export async function health(workDir) {
  const rounds = scaledRounds(7);
  const site = await createSite(path.join(workDir, 'site'));
  const server = await startToaServer(site);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let bare;
  try {
    const url = `${server.url}${paths.health()}`;
    const body = await (await fetch(url)).json();
    const bodies = path.join(workDir, 'bodies.json');
    await writeFile(bodies, JSON.stringify({ [paths.health()]: body }));
    bare = await startChildServer([path.join(here, 'bare-routes.mjs'), bodies]);
    const subjects = { server: [url, server.pid], bare: [`${bare.url}${paths.health()}`, bare.pid] };
    const samples = { server: [], bare: [] };
    // one untimed round each (not in a quick run): JIT, connections
    if (warmUps) for (const [target, pid] of Object.values(subjects)) await round(agent, target, pid);
    for (let i = 0; i < rounds; i += 1) {
      for (const [name, [target, pid]] of Object.entries(subjects)) samples[name].push(await round(agent, target, pid));
    }
    const of = (name, key) => median(samples[name].map((sample) => sample[key]));
    const [serverRate, bareRate, serverCpu, bareCpu] = [of('server', 'rate'), of('bare', 'rate'), of('server', 'cpuUs'), of('bare', 'cpuUs')];
    return {
      title: 'Health: GET /api/health against bare Express answering the same body',
      columns: ['rounds', 'server req/s', 'bare Express req/s', 'server / bare', 'server CPU µs per request', 'bare CPU µs per request', 'CPU server / bare'],
      rows: [[rounds, fmt(serverRate, 0), fmt(bareRate, 0), ratio(serverRate, bareRate), fmt(serverCpu, 0), fmt(bareCpu, 0), ratio(serverCpu, bareCpu)]],
      notes: [
        `${CONCURRENCY} concurrent keep-alive loops (node:http) for ${ROUND_MS / 1000} s a round, server and baseline interleaved, medians`,
        `GET /api/health without credentials (the status alone: ${JSON.stringify(body)}); bare Express: express() with one app.get returning that body, in its own process`,
        'CPU = user + system time of the answering process over the round, divided by the requests it answered',
      ],
    };
  } finally {
    agent.destroy();
    await Promise.all([server.stop(), bare?.stop()]);
  }
}
