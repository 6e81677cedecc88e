import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';
import { uninstallOfficeStub } from './office-stub';

// findBy…/waitFor: a second is short on a busy 2-core machine running every package's tests at once
configure({ asyncUtilTimeout: 5_000 });

// jsdom has no layout; Fluent's MessageBar only needs the constructor to exist.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

afterEach(() => {
  cleanup();
  uninstallOfficeStub();
  localStorage.clear();
});
