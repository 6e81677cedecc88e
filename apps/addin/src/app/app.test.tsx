import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeApiClient } from '../test/fake-api-client';
import { earlierImport } from '../test/fixtures';
import { installOfficeStub, type OfficeStub, SAMPLE_MESSAGE } from '../test/office-stub';
import { App } from './app';
import { AppProvider } from './provider';

let api: FakeApiClient;
let office: OfficeStub;

beforeEach(() => {
  api = new FakeApiClient();
  office = installOfficeStub();
});

function renderApp() {
  return render(
    <AppProvider client={api}>
      <App />
    </AppProvider>,
  );
}

describe('App', () => {
  it('files the selected message from start to batch id', async () => {
    const user = userEvent.setup();
    renderApp();
    // the file's first render builds Fluent's styles and loads the whole pane: on a busy machine it takes longer than the usual 5 s
    const template = await screen.findByRole('combobox', { name: /Template for the message/ }, { timeout: 15_000 });
    // The only domain is chosen by itself.
    expect(screen.getByRole('combobox', { name: /Archive domain/ })).toHaveValue('acme');
    await user.selectOptions(template, 'invoice');
    await user.selectOptions(screen.getByRole('combobox', { name: /Department/ }), 'FIN');
    await user.click(screen.getByRole('button', { name: 'Import' }));
    const batchId = (await screen.findByRole('textbox', { name: 'Batch id' }, { timeout: 5000 })) as HTMLInputElement;
    expect(batchId.value).toMatch(/^BATCH-/);
    expect(office.customProperties.get('toaBatchId')).toMatch(/^BATCH-/);
  });

  it('keeps what was typed for a message across a reload of the pane', async () => {
    const user = userEvent.setup();
    const first = renderApp();
    await user.selectOptions(await screen.findByRole('combobox', { name: /Template for the message/ }), 'letter');
    const title = screen.getByRole('textbox', { name: /Title/ });
    await user.clear(title);
    await user.type(title, 'Kept');
    first.unmount();

    renderApp();
    expect(await screen.findByRole('textbox', { name: /Title/ })).toHaveValue('Kept');
  });

  it('follows a pinned pane to the next message and back, keeping each draft', async () => {
    const user = userEvent.setup();
    renderApp();
    await user.selectOptions(await screen.findByRole('combobox', { name: /Template for the message/ }), 'letter');
    await screen.findByRole('textbox', { name: /Title/ });
    await expect.poll(() => office.hasItemChangedHandler()).toBe(true);

    office.selectMessage({ ...SAMPLE_MESSAGE, itemId: 'item-2', internetMessageId: '<other@x>', subject: 'Other' });
    expect(await screen.findByText('Other')).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: /Template for the message/ })).toHaveValue('');

    office.selectMessage(SAMPLE_MESSAGE);
    expect(await screen.findByRole('textbox', { name: /Title/ })).toHaveValue('Invoice 42');
  });

  it('warns about an earlier import as soon as the message is shown, and Import still asks', async () => {
    const user = userEvent.setup();
    api.earlier = [earlierImport(SAMPLE_MESSAGE.internetMessageId, { damisBatchId: 'OLD-1' })];
    renderApp();
    const bar = await screen.findByRole('group', { name: /^Already imported on/ });
    expect(bar).toHaveTextContent(/— Submitted, batch OLD-1$/);
    await user.selectOptions(screen.getByRole('combobox', { name: /Template for the message/ }), 'letter');
    await user.click(screen.getByRole('button', { name: 'Import' }));
    expect(await screen.findByRole('button', { name: 'Import again' })).toBeInTheDocument();
    expect(api.calls.filter((c) => c.startsWith('create'))).toEqual([]);
  });

  it('asks for a message when none is selected', () => {
    installOfficeStub({ message: null });
    renderApp();
    expect(screen.getByText('Select a message to file it into the archive.')).toBeInTheDocument();
  });

  it('says clearly when Outlook cannot hand over the message', async () => {
    installOfficeStub({ mailboxVersion: '1.13' });
    renderApp();
    expect(await screen.findByText(/Mailbox 1.14 is needed/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Import' })).toBeDisabled();
  });
});
