import type { ArchiveConfig } from '../config/schema.js';
import type { ArchiveClient } from './archive-client.js';
import { FilesystemArchiveClient } from './filesystem-archive-client.js';
import { HttpArchiveClient, type HttpArchiveDeps } from './http-archive-client.js';

/** The archive client a domain's configuration asks for. */
export function createArchiveClient(domain: string, config: ArchiveConfig, deps: HttpArchiveDeps): ArchiveClient {
  switch (config.type) {
    case 'filesystem':
      return new FilesystemArchiveClient(domain, config.root, deps.callLog);
    case 'http':
      return new HttpArchiveClient(domain, config, deps);
  }
}
