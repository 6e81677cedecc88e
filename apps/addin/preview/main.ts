/**
 * The browser preview: a small sample mailbox beside the real task pane, which
 * runs in a frame on the Office stand-in (office/browser.ts) over this page's
 * mailbox. Selecting a message here is what selecting it in Outlook is to a
 * pinned pane: the stand-in fires ItemChanged. Ctrl+click (or the check
 * boxes) selects several, as item multi-select does (SelectedItemsChanged,
 * Mailbox 1.13/1.15). What the pane stores on a message (the batch id, the
 * category) shows up in the list.
 */
import './preview.css';
import type { SampleMailbox, SampleMessage } from './sample-mailbox';
import { type MessageMarks, StandInMailbox, type StandInMessage } from './office/stand-in';

const BATCH_ID_PROPERTY = 'toaBatchId';
/** where the page keeps what the pane stored on the sample messages: Outlook keeps it with the messages, so a reload shows it */
const MARKS_KEY = 'toa.preview.marks.v1';

function storedMarks(): Record<string, MessageMarks> {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(MARKS_KEY) ?? '{}');
    if (!stored || typeof stored !== 'object') return {};
    // a record of another shape (an older preview) is dropped, not trusted
    return Object.fromEntries(
      Object.entries(stored as Record<string, Partial<MessageMarks>>).filter(
        (entry): entry is [string, MessageMarks] =>
          Array.isArray(entry[1]?.categories) &&
          entry[1].categories.every((c) => typeof c === 'string') &&
          typeof entry[1].customProperties === 'object' &&
          entry[1].customProperties !== null,
      ),
    );
  } catch {
    return {};
  }
}

function keepMarks(mailbox: StandInMailbox): void {
  const marks = Object.fromEntries(
    mailbox.messages
      .map((m) => [m.itemId, mailbox.marksOf(m.itemId)] as const)
      .filter(([, m]) => m.categories.length > 0 || Object.keys(m.customProperties).length > 0),
  );
  try {
    localStorage.setItem(MARKS_KEY, JSON.stringify(marks));
  } catch {
    // storage full or disabled: the marks last until the page reloads
  }
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function base64Of(bytes: ArrayBuffer): string {
  let binary = '';
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const when = (message: StandInMessage) => (message.dateTimeCreated ? dateFormat.format(new Date(message.dateTimeCreated)) : '');
const sender = (message: StandInMessage) => message.from?.displayName || message.from?.emailAddress || 'Unknown sender';
const kib = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${Math.round(bytes / 1024)} KB`);

async function loadMailbox(): Promise<{ mailbox: StandInMailbox; texts: Map<string, string> }> {
  const response = await fetch('mailbox/mailbox.json');
  if (!response.ok) throw new Error(`the sample mailbox did not load (HTTP ${response.status})`);
  const sample = (await response.json()) as SampleMailbox;
  const texts = new Map(sample.messages.map((m) => [m.itemId, m.text]));
  const messages = sample.messages.map(({ file, text: _text, ...message }: SampleMessage) => ({
    ...message,
    // fetched when the pane asks for the message (getAsFileAsync), as Outlook reads it from the server
    emlBase64: async () => {
      const eml = await fetch(`mailbox/${file}`);
      if (!eml.ok) throw new Error(`${file}: HTTP ${eml.status}`);
      return base64Of(await eml.arrayBuffer());
    },
  }));
  // Mailbox 1.15: the pane can file several selected messages, as in new Outlook
  return { mailbox: new StandInMailbox({ user: sample.user, messages, mailboxVersion: '1.15', marks: storedMarks() }), texts };
}

/** Adds `message` to the selection or takes it out, as Ctrl+click does in Outlook's message list. */
function toggle(mailbox: StandInMailbox, message: StandInMessage): void {
  const selected = mailbox.selection.includes(message);
  mailbox.selectMany(selected ? mailbox.selection.filter((m) => m !== message) : [...mailbox.selection, message]);
}

function messageList(mailbox: StandInMailbox): HTMLElement {
  const items = mailbox.messages.map((message) => {
    const id = message.itemId;
    const inSelection = mailbox.selection.includes(message);
    const batchId = mailbox.customPropertiesOf(id).get(BATCH_ID_PROPERTY);
    const attachments = message.attachments?.length ?? 0;
    const button = element(
      'button',
      { type: 'button', class: 'message', 'aria-pressed': String(inSelection) },
      element('span', { class: 'sender' }, sender(message)),
      element('span', { class: 'subject' }, message.subject || '(no subject)'),
      element(
        'span',
        { class: 'meta' },
        when(message),
        attachments > 0 ? element('span', { class: 'clip' }, `${attachments} attachment${attachments === 1 ? '' : 's'}`) : '',
      ),
      ...mailbox.categoriesOf(id).map((name) => element('span', { class: 'category' }, name)),
      typeof batchId === 'string' ? element('span', { class: 'batch' }, `batch ${batchId}`) : '',
    );
    button.addEventListener('click', (event) => (event.ctrlKey || event.metaKey ? toggle(mailbox, message) : mailbox.select(message)));
    const pick = element('input', { type: 'checkbox', class: 'pick', 'aria-label': `Select "${message.subject || '(no subject)'}" with others` });
    pick.checked = inSelection;
    pick.addEventListener('change', () => toggle(mailbox, message));
    return element('li', { class: 'row' }, pick, button);
  });
  return element(
    'nav',
    { class: 'list', 'aria-label': 'Sample mailbox' },
    element('h2', {}, 'Inbox'),
    element('p', { class: 'hint' }, 'Ctrl+click or tick several messages to file them together.'),
    element('ul', {}, ...items),
  );
}

function readingPane(mailbox: StandInMailbox, texts: Map<string, string>): HTMLElement {
  const message = mailbox.selected;
  if (mailbox.selection.length > 1) {
    return element(
      'section',
      { class: 'reading empty', 'aria-label': 'Message' },
      element('p', {}, `${mailbox.selection.length} messages selected. File them together with TOA on the right.`),
    );
  }
  if (!message) {
    return element(
      'section',
      { class: 'reading empty', 'aria-label': 'Message' },
      element('p', {}, 'Select a message in the sample mailbox, then file it with TOA on the right.'),
    );
  }
  const attachments = (message.attachments ?? []).map((a) =>
    element('li', {}, element('span', { class: 'name' }, a.name), element('span', { class: 'size' }, `${kib(a.size)}${a.isInline ? ' · inline' : ''}`)),
  );
  return element(
    'section',
    { class: 'reading', 'aria-label': 'Message' },
    element('h1', {}, message.subject || '(no subject)'),
    element('p', { class: 'from' }, `${sender(message)} <${message.from?.emailAddress ?? ''}>`, element('span', { class: 'date' }, when(message))),
    attachments.length > 0 ? element('ul', { class: 'attachments', 'aria-label': 'Attachments of the message' }, ...attachments) : '',
    element('pre', { class: 'body' }, texts.get(message.itemId) || '(no text)'),
  );
}

async function start(root: HTMLElement): Promise<void> {
  const { mailbox, texts } = await loadMailbox();
  // the pane's stand-in reads this from its parent before the pane starts
  window.__TOA_PREVIEW_MAILBOX__ = mailbox;
  const list = element('div', { class: 'list-slot' });
  const reading = element('div', { class: 'reading-slot' });
  const render = () => {
    list.replaceChildren(messageList(mailbox));
    reading.replaceChildren(readingPane(mailbox, texts));
    keepMarks(mailbox);
  };
  mailbox.subscribe(render);
  render();
  root.append(
    element(
      'header',
      { class: 'bar' },
      element('strong', {}, 'TOA browser preview'),
      element('span', {}, ' — the real task pane on a sample mailbox. Pick a message and file it; the server stores it as it would from Outlook.'),
    ),
    element(
      'div',
      { class: 'columns' },
      list,
      reading,
      element('aside', { class: 'pane', 'aria-label': 'TOA task pane' }, element('iframe', { title: 'TOA task pane', src: 'taskpane.html' })),
    ),
  );
}

const root = document.getElementById('preview') as HTMLElement;
start(root).catch((error: unknown) => {
  root.replaceChildren(
    element('p', { class: 'failure', role: 'alert' }, `The preview could not start: ${error instanceof Error ? error.message : String(error)}`),
  );
});
