import { describe, expect, it } from 'vitest';
import { installOfficeStub, SAMPLE_EML, SAMPLE_MESSAGE, type StubMessage } from '../../test/office-stub';
import { BATCH_ID_PROPERTY, IMPORTED_CATEGORY } from './mailbox';
import {
  multiSelectUnsupportedReason,
  onSelectionChanged,
  readMessageDetails,
  readSelectedMessages,
  selectedMessageHandle,
  withLoadedMessage,
} from './selection';

const second: StubMessage = {
  ...SAMPLE_MESSAGE,
  itemId: 'item-2',
  internetMessageId: '<second@supplier.example>',
  subject: 'Second',
  conversationId: 'AAQkConversation-second',
  dateTimeCreated: new Date('2026-11-04T08:00:00Z'),
  eml: SAMPLE_EML.replace('Subject: Invoice 42', 'Subject: Second'),
};
const third: StubMessage = { ...second, itemId: 'item-3', internetMessageId: '<third@supplier.example>', subject: 'Third', attachments: [] };

function threeSelected(mailboxVersion = '1.15') {
  return installOfficeStub({ messages: [SAMPLE_MESSAGE, second, third], selected: ['item-3', 'item-1'], mailboxVersion });
}

describe('multi-select support', () => {
  it('needs Mailbox 1.13 to know the selection and 1.15 to read each message, and says so', () => {
    threeSelected('1.12');
    expect(multiSelectUnsupportedReason()).toMatch(/needs Mailbox 1\.13/);
    threeSelected('1.14');
    expect(multiSelectUnsupportedReason()).toMatch(/needs Mailbox 1\.15/);
    threeSelected('1.15');
    expect(multiSelectUnsupportedReason()).toBeUndefined();
  });

  it('lists no selection where the client has no multi-select, without calling Office', async () => {
    const office = threeSelected('1.12');
    expect(await readSelectedMessages()).toEqual([]);
    expect(office.calls.getSelectedItems).toBe(0);
  });
});

describe('readSelectedMessages', () => {
  it('lists the selected messages in the order they were selected, with their ids and conversation', async () => {
    threeSelected();
    expect(await readSelectedMessages()).toEqual([
      { itemId: 'item-3', subject: 'Third', internetMessageId: '<third@supplier.example>', conversationId: 'AAQkConversation-second' },
      { itemId: 'item-1', subject: 'Invoice 42', internetMessageId: '<invoice-42@supplier.example>', conversationId: 'AAQkConversation-invoice-42' },
    ]);
  });

  it('follows SelectedItemsChanged until unsubscribed', async () => {
    const office = threeSelected();
    let changes = 0;
    const stop = await onSelectionChanged(() => changes++);
    office.selectMessages(['item-1', 'item-2', 'item-3']);
    expect(changes).toBe(1);
    expect((await readSelectedMessages()).map((m) => m.itemId)).toEqual(['item-1', 'item-2', 'item-3']);
    await stop();
    office.selectMessages(['item-2']);
    expect(changes).toBe(1);
  });
});

describe('loading one message at a time', () => {
  it('reads the details of a message that is not on screen by loading and unloading it', async () => {
    const office = threeSelected();
    const details = await readMessageDetails('item-2');
    expect(details).toMatchObject({ itemId: 'item-2', subject: 'Second', fromAddress: 'alice@supplier.example', receivedAt: '2026-11-04T08:00:00.000Z' });
    expect(details.attachments.map((a) => a.name)).toEqual(['invoice.pdf', 'logo.png']);
    expect(office.mailbox.loaded).toBeNull();
    expect([office.calls.loadItem, office.calls.unloadItem]).toEqual([1, 1]);
  });

  it('never has two messages loaded: calls made together wait for each other, as Office requires', async () => {
    const office = threeSelected();
    const seen: string[] = [];
    await Promise.all(
      ['item-1', 'item-2', 'item-3'].map((id) =>
        withLoadedMessage(id, async (item) => {
          seen.push(item.subject);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }),
      ),
    );
    expect(seen).toEqual(['Invoice 42', 'Second', 'Third']);
    expect(office.mailbox.loaded).toBeNull();
  });

  it('unloads the message even when the work on it fails, so the next one loads', async () => {
    threeSelected();
    await expect(withLoadedMessage('item-1', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(readMessageDetails('item-2')).resolves.toMatchObject({ subject: 'Second' });
  });

  it('reports a message Office cannot find', async () => {
    threeSelected();
    await expect(readMessageDetails('item-gone')).rejects.toThrow(/does not exist/);
  });
});

describe('selectedMessageHandle', () => {
  it('reads the whole message and marks it with the category; the custom property stays unwritten (loaded items are read-only there)', async () => {
    const office = threeSelected();
    const handle = selectedMessageHandle({ ...(await readMessageDetails('item-2')), itemId: 'item-2' });
    expect(handle.key).toBe('<second@supplier.example>');
    expect(await (await handle.readEml()).text()).toBe(second.eml);
    expect(await handle.markImported('FS-1')).toEqual({ warnings: [] });
    expect(office.mailbox.categoriesOf('item-2')).toEqual([IMPORTED_CATEGORY]);
    expect(office.mailbox.customPropertiesOf('item-2').get(BATCH_ID_PROPERTY)).toBeUndefined();
    expect(office.mailbox.loaded).toBeNull();
  });

  it('answers a category Office refuses as a warning: the archive has the message already', async () => {
    const office = threeSelected();
    const handle = selectedMessageHandle({ ...(await readMessageDetails('item-1')), itemId: 'item-1' });
    office.script.addCategories = [{ code: 9017, name: 'PermissionDenied', message: 'Access is denied' }];
    expect((await handle.markImported('FS-1')).warnings).toEqual([expect.stringMatching(/"TOA archived" could not be added .*Access is denied/)]);
  });
});
