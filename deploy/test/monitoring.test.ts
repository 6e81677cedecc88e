import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { writeConfig } from './support/config.js';
import { type Host, installRelease, type RunningServer, serve } from './support/host.js';

/**
 * Issue 13: the alert rules and the dashboard in deploy/monitoring are only
 * worth something if every query parses and names a metric the server really
 * exports. The names are taken from a real release's /metrics, not a list.
 */

const monitoringDir = path.join(import.meta.dirname, '..', 'monitoring');
/** Series Prometheus makes itself, not the server. */
const PROMETHEUS_OWN = new Set(['up']);

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string; runbook: string };
}
const rules = (parse(readFileSync(path.join(monitoringDir, 'alerts.yaml'), 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups.flatMap(
  (group) => group.rules,
);
const dashboard = JSON.parse(readFileSync(path.join(monitoringDir, 'dashboard.json'), 'utf8')) as {
  uid: string;
  panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; definition?: string }> };
};
const dashboardQueries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: panel.title, expr: target.expr })));

/** The metric names a PromQL expression selects; throws on a syntax error or a selector without a name. */
function selectedMetrics(expr: string): string[] {
  const names: string[] = [];
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
      if (node.name === 'VectorSelector') {
        const name = node.node.getChild('Identifier');
        if (!name) throw new Error(`a selector without a metric name in ${expr}`);
        names.push(expr.slice(name.from, name.to));
      }
    },
  });
  if (errors.length > 0) throw new Error(`PromQL syntax error at ${errors[0]} in: ${expr}`);
  return names;
}

/** The sample names an exposition can hold: each `# TYPE`, with the suffixes of histograms and summaries. */
function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name = '', type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

describe('the monitoring files', () => {
  it('every alert expression and dashboard query is valid PromQL', () => {
    for (const { expr } of [...rules, ...dashboardQueries]) expect(() => selectedMetrics(expr), expr).not.toThrow();
  });

  it('the PromQL check finds a syntax error and a selector without a name', () => {
    expect(() => selectedMetrics('rate(toa_http_requests_total[5m]')).toThrow(/syntax error/);
    expect(() => selectedMetrics('{__name__="toa_imports"}')).toThrow(/without a metric name/);
  });

  it('alerts on each state an operator must act on, each with a severity, words and a runbook section that exists', () => {
    const deployment = readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'deployment.md'), 'utf8');
    const watched = (metric: string) => rules.filter((rule) => selectedMetrics(rule.expr).includes(metric)).map((rule) => rule.alert);
    // catalogue unavailable, archive failing, disk under the reserve, node not ready (or gone), parse line saturated
    expect(watched('toa_catalogue_available')).toContain('TOACatalogueUnavailable');
    expect(watched('toa_archive_calls_total')).toContain('TOAArchiveFailing');
    expect(watched('toa_data_root_reserve_bytes')).toContain('TOADiskBelowReserve');
    expect(watched('toa_health_status')).toContain('TOANodeNotReady');
    expect(watched('up')).toContain('TOANodeDown');
    expect(watched('toa_parse_queue_length')).toContain('TOAParseQueueSaturated');
    for (const rule of rules) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels.severity);
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(rule.annotations.summary && rule.annotations.description, rule.alert).toBeTruthy();
      const anchor = /^docs\/deployment\.md#(runbook-[a-z]+)$/.exec(rule.annotations.runbook)?.[1];
      expect(anchor, rule.alert).toBeDefined();
      // GitHub's anchor of a heading "Runbook: TOAxyz" is runbook-toaxyz
      expect(deployment, rule.annotations.runbook).toMatch(new RegExp(`^#+ Runbook: ${anchor?.slice('runbook-'.length)}$`, 'im'));
    }
  });

  it('the dashboard is a Grafana dashboard with a data source and a node variable', () => {
    expect(dashboard.uid).toBe('toa-overview');
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance']);
    expect(dashboardQueries.length).toBeGreaterThan(15);
  });

  describe('against a real server', () => {
    let host: Host;
    let server: RunningServer;
    let exported: Set<string>;
    beforeAll(async () => {
      host = await installRelease(inject('releaseTarball'));
      server = await serve(host, await writeConfig(host, 'toa.json', { metrics: { allow: ['127.0.0.1'] } }));
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(200);
      exported = exportedNames(await response.text());
    });
    afterAll(async () => {
      await server?.stop();
      await host?.close();
    });

    it('every metric the alert rules name is one the server exports', () => {
      expect(exported.has('toa_imports')).toBe(true);
      const unknown = rules.flatMap((rule) => selectedMetrics(rule.expr).filter((name) => !exported.has(name) && !PROMETHEUS_OWN.has(name)));
      expect(unknown).toEqual([]);
    });

    it('every metric the dashboard queries is one the server exports', () => {
      const variables = dashboard.templating.list.flatMap((v) => [...(v.definition ?? '').matchAll(/label_values\((\w+),/g)].map((m) => m[1] as string));
      const unknown = [...dashboardQueries.flatMap(({ expr }) => selectedMetrics(expr)), ...variables].filter(
        (name) => !exported.has(name) && !PROMETHEUS_OWN.has(name),
      );
      expect(unknown).toEqual([]);
    });

    it('the check sees a name the server does not export', () => {
      expect(exported.has('toa_imports_total')).toBe(false);
    });
  });
});
