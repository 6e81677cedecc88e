import type { ListImportsResponse } from '@toa/api/imports';
import { act, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { NetworkError } from '../../../lib/api-client';
import { formatDateTime } from '../../../lib/format';
import { FakeApiClient } from '../../../test/fake-api-client';
import { earlierImport } from '../../../test/fixtures';
import { renderWithProviders } from '../../../test/render';
import { EarlierImports, type EarlierImportsProps } from './earlier-imports';

const MESSAGE_ID = '<invoice-42@supplier.example>';

const NEWEST = earlierImport(MESSAGE_ID, { id: '2026-10-02_0900-00000002', createdAt: '2026-10-02T09:00:00.000Z', damisBatchId: 'OLD-2' });
const OLDER = earlierImport(MESSAGE_ID, { status: 'FAILED' });

let api: FakeApiClient;

beforeEach(() => {
  api = new FakeApiClient();
});

function renderBar(props: Partial<EarlierImportsProps> = {}) {
  return renderWithProviders(<EarlierImports domain="acme" messageId={MESSAGE_ID} refreshKey={0} resumableId={undefined} {...props} />, api);
}

describe('EarlierImports', () => {
  it('says when the message was imported, with status and batch, as soon as it is shown', async () => {
    api.earlier = [NEWEST];
    renderBar();
    const bar = await screen.findByRole('group', { name: /^Already imported on/ });
    expect(bar).toHaveTextContent(`Already imported on ${formatDateTime(NEWEST.createdAt)} — Submitted, batch OLD-2`);
    expect(api.calls).toEqual([`list acme ${MESSAGE_ID}`]);
  });

  it('counts several earlier imports and names the newest', async () => {
    api.earlier = [NEWEST, OLDER];
    renderBar();
    expect(await screen.findByRole('group', { name: /Already imported 2 times/ })).toHaveTextContent(
      `last on ${formatDateTime(NEWEST.createdAt)} — Submitted, batch OLD-2`,
    );
  });

  it('leaves out the unfinished import that Import continues', async () => {
    api.earlier = [NEWEST, OLDER];
    renderBar({ resumableId: NEWEST.id });
    const bar = await screen.findByRole('group', { name: /^Already imported on/ });
    expect(bar).toHaveTextContent(`${formatDateTime(OLDER.createdAt)} — Failed`);
    expect(bar).not.toHaveTextContent('batch');
  });

  it('shows nothing for a message never imported, and looks nothing up without a domain or message id', async () => {
    const { rerender } = renderBar({ domain: undefined });
    rerender(<EarlierImports domain="acme" messageId={undefined} refreshKey={0} resumableId={undefined} />);
    expect(api.calls).toEqual([]);
    await act(async () => rerender(<EarlierImports domain="acme" messageId={MESSAGE_ID} refreshKey={0} resumableId={undefined} />));
    expect(api.calls).toEqual([`list acme ${MESSAGE_ID}`]);
    expect(screen.queryByRole('group')).toBeNull();
  });

  it('only hints quietly when the lookup fails', async () => {
    api.failures.set('listImports', new NetworkError());
    renderBar();
    expect(await screen.findByText(/could not be looked up; Import checks again/)).toBeInTheDocument();
    expect(screen.queryByRole('group')).toBeNull();
  });

  it('drops a late answer for the message the pinned pane has left', async () => {
    const answers = new Map<string, (response: ListImportsResponse) => void>();
    api.listImports = (_domain, query = {}) => new Promise((resolve) => answers.set(query.messageId ?? '', resolve));
    const { rerender } = renderBar({ messageId: '<first@x>' });
    rerender(<EarlierImports domain="acme" messageId="<second@x>" refreshKey={0} resumableId={undefined} />);
    await expect.poll(() => answers.size).toBe(2);

    await act(async () => {
      answers.get('<second@x>')?.({ items: [], total: 0, limit: 5, offset: 0 });
      answers.get('<first@x>')?.({ items: [NEWEST], total: 1, limit: 5, offset: 0 });
    });
    expect(screen.queryByRole('group')).toBeNull();
  });
});
