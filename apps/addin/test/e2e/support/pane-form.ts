import type { FrameLocator, Locator, Page } from 'playwright-core';

/** Where the pane is: a page of its own (as Outlook shows it), or the frame of the browser preview. */
export type Pane = Page | FrameLocator;

/** The invoice fields a test types; everything else keeps what the pane pre-filled. */
export interface InvoiceEntries {
  amount?: string;
  department?: 'Finance' | 'Human resources';
  reference?: string;
}

/**
 * The form of the message itself (document 1); attachments have forms with the same labels. The name is matched
 * exactly: by default a substring matches too, and the bulk view's "3 messages selected" would pass for it.
 */
export function messageForm(page: Pane): Locator {
  return page.getByRole('region', { name: 'Message', exact: true });
}

/** One attachment's entry in the list: its Extract switch and, once extracted, its form. */
export function attachmentItem(page: Pane, name: string): Locator {
  return page.getByRole('list', { name: 'Attachments' }).getByRole('listitem').filter({ hasText: name });
}

/** Chooses the domain and the invoice template for the message and types the entries, by label. */
export async function fillInvoice(page: Pane, entries: InvoiceEntries): Promise<void> {
  await page.getByLabel('Archive domain').selectOption('acme');
  const form = messageForm(page);
  await form.getByLabel('Template for the message').selectOption({ label: 'Incoming invoice' });
  if (entries.amount !== undefined) await form.getByLabel('Amount').fill(entries.amount);
  if (entries.department !== undefined) await form.getByLabel('Department').selectOption({ label: entries.department });
  if (entries.reference !== undefined) await form.getByLabel('Reference').fill(entries.reference);
}

/** Switches an attachment to its own document with the "Scanned document" template. */
export async function extractAsScan(page: Pane, name: string, title: string): Promise<void> {
  const item = attachmentItem(page, name);
  await item.getByLabel(`Extract ${name} to its own document`).check();
  await item.getByLabel(`Template for ${name}`).selectOption({ label: 'Scanned document' });
  await item.getByLabel('Title').fill(title);
}

export function importButton(page: Pane): Locator {
  return page.getByRole('button', { name: 'Import', exact: true });
}

/** The import's outcome (a Fluent MessageBar: a group named by its title), e.g. "Submitted" or "Already imported". */
export function outcome(page: Pane, title: string): Locator {
  // Exact: the earlier-imports notice is a group too, named by its text ("Already imported on …").
  return page.getByRole('group', { name: title, exact: true });
}

/** The notice at the top that the message was imported before, shown without pressing Import. */
export function earlierImportsNotice(page: Pane): Locator {
  return page.getByRole('group', { name: /^Already imported (on|\d+ times)/ });
}

/** Waits for the SUBMITTED outcome and returns the batch id the pane shows. */
export async function submittedBatchId(page: Pane): Promise<string> {
  await outcome(page, 'Submitted').waitFor();
  return page.getByLabel('Batch id').inputValue();
}

/** What the control is described by (`aria-describedby`): a field's validation message and hint. */
export async function descriptionsOf(control: Locator): Promise<string[]> {
  const ids = (await control.getAttribute('aria-describedby'))?.split(/\s+/) ?? [];
  return Promise.all(ids.map(async (id) => (await control.page().locator(`[id="${id}"]`).textContent()) ?? ''));
}
