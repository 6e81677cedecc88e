import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { uninstallOfficeStub } from './office-stub';

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
