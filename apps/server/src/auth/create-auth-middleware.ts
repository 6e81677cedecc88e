import type { RequestHandler } from 'express';
import type { Config } from '../config/schema.js';
import { devAuth } from './dev-auth.js';
import { jwtAuth } from './jwt-auth.js';

/** The one place that picks how callers are identified; everything after it reads only `req.identity`. */
export function createAuthMiddleware(config: Pick<Config, 'auth'>): RequestHandler {
  switch (config.auth.mode) {
    case 'dev':
      return devAuth(config.auth);
    case 'jwt':
      return jwtAuth(config.auth);
  }
}
