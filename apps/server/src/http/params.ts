import { ordinalSchema } from '@toa/api/ids';
import type { Request } from 'express';
import { z } from 'zod';
import type { Identity } from '../identity.js';
import type { AppContext } from './context.js';
import { identityOf } from './auth.js';

const numbersSchema = z.object({ n: z.optional(ordinalSchema), m: z.optional(ordinalSchema) });

/** The caller, the domain they may use (404/403 otherwise) and the numbers of the path, parsed. */
export function scope(ctx: AppContext, req: Request): { identity: Identity; domain: string; id: string; n: number; m: number } {
  const identity = identityOf(req);
  const params = req.params as Record<string, string | undefined>;
  const domain = ctx.domains.require(identity, params.domain ?? '').code;
  // most routes have neither number: no schema to run for them
  const numbers = params.n === undefined && params.m === undefined ? {} : numbersSchema.parse({ n: params.n, m: params.m });
  return { identity, domain, id: params.id ?? '', n: numbers.n ?? 1, m: numbers.m ?? 1 };
}
