import type { Config } from '../config/schema.js';
import { AppError } from '../errors.js';

/** The configuration narrowed to one of its domains (`--domain`); every domain when `code` is absent. */
export function onlyDomain(config: Config, code: string | undefined): Config {
  if (code === undefined) return config;
  const domain = config.domains.find((d) => d.code === code);
  if (!domain) {
    const elsewhere = config.cluster?.owners[code];
    throw new AppError(
      'DOMAIN_NOT_FOUND',
      elsewhere
        ? `the domain "${code}" is owned by node "${elsewhere.name}", not by this node ("${config.cluster?.self.name}")`
        : `there is no domain "${code}"; this server has ${config.domains.map((d) => d.code).join(', ')}`,
    );
  }
  return { ...config, domains: [domain] };
}
