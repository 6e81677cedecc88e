import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/** office.js and the scripts it loads come from Microsoft's CDN. */
export const OFFICE_JS_ORIGIN = 'https://appsforoffice.microsoft.com';

/**
 * The Outlook hosts that frame the task pane: Outlook on the web and the new
 * Outlook (classic domains, and cloud.microsoft where Microsoft 365 web apps
 * are moving). Desktop Outlook shows the pane top-level in a web view, where
 * frame-ancestors does not apply. Listed in docs/security.md.
 */
export const OUTLOOK_FRAME_ANCESTORS = [
  'https://outlook.office.com',
  'https://outlook.office365.com',
  'https://outlook.live.com',
  'https://*.outlook.com',
  'https://*.office.com',
  'https://*.office365.com',
  'https://*.microsoft.com',
  'https://*.cloud.microsoft',
] as const;

/** What both policies share: HSTS only in production, where TLS is in front (it is ignored over plain http anyway). */
function common(production: boolean) {
  return {
    strictTransportSecurity: production ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
  } satisfies HelmetOptions;
}

/** Sets the headers of one policy on an answer; needs nothing of Express (it also runs before it). */
export type SecurityHeaders = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * The headers a helmet middleware sets, worked out once: the policies here
 * are fixed (no per-request nonce or function directive), so every request
 * gets the same list, set without helmet's per-request assembly.
 */
function fixedHeaders(middleware: RequestHandler, extra: Array<[string, string]> = []): SecurityHeaders {
  const set: Array<[string, string]> = [...extra];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => set.push([name, String(value)]),
    removeHeader: (name: string) => removed.push(name),
  };
  let finished = false;
  void middleware({} as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error !== undefined) throw error;
    finished = true;
  });
  if (!finished) throw new Error('a security-header middleware depends on the request');
  return (_req: IncomingMessage, res: ServerResponse, next: () => void) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of set) res.setHeader(name, value);
    next();
  };
}

/**
 * API answers are JSON or downloads: nothing in them may load, run or be
 * framed. They are one user's data, so no cache (the browser's, a proxy's)
 * keeps them: `Cache-Control: no-store` (RFC 9111 §5.2.2.5).
 *
 * Only the headers that act on such an answer (the OWASP REST Security
 * Cheat Sheet's list, plus cross-origin isolation and the referrer policy):
 * helmet's defaults that act only on an HTML document or on browsers long
 * gone (`X-DNS-Prefetch-Control`, `X-Download-Options`,
 * `X-Permitted-Cross-Domain-Policies`, `X-XSS-Protection: 0`,
 * `Origin-Agent-Cluster`) go with the task pane, not with every API answer,
 * whose every header field a client parses.
 */
export function apiSecurityHeaders(options: { production: boolean }): SecurityHeaders {
  return fixedHeaders(
    helmet({
      ...common(options.production),
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
      },
      xFrameOptions: { action: 'deny' },
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
      originAgentCluster: false,
    }),
    [['Cache-Control', 'no-store']],
  );
}

/**
 * The task pane is a page Outlook frames on another origin: no X-Frame-Options
 * (it cannot name several origins), frame-ancestors instead.
 */
export function taskpaneSecurityHeaders(options: { production: boolean }): SecurityHeaders {
  return fixedHeaders(
    helmet({
      ...common(options.production),
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", OFFICE_JS_ORIGIN],
          // Fluent UI's Griffel inserts <style> elements at run time
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'self'", ...OUTLOOK_FRAME_ANCESTORS],
          ...(options.production ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      xFrameOptions: false,
      // the pane is embedded cross-origin and may open Office dialogs: no opener or resource isolation that would cut it off
      crossOriginOpenerPolicy: false,
      crossOriginResourcePolicy: false,
    }),
  );
}
