import type { AttachmentInfo } from '@toa/api/imports';
import { describe, expect, it } from 'vitest';
import type { MessageAttachment } from '../../../lib/office/mailbox';
import { findPart, identityOf, pairAttachments } from './match-attachments';

const part = (partId: string, filename: string | undefined, size: number, extra: Partial<AttachmentInfo> = {}): AttachmentInfo => ({
  partId,
  filename,
  contentType: 'application/pdf',
  size,
  inline: false,
  isMessage: false,
  ...extra,
});
const attachment = (id: string, name: string, size: number, extra: Partial<MessageAttachment> = {}): MessageAttachment => ({
  id,
  name,
  contentType: 'application/pdf',
  size,
  isInline: false,
  isItem: false,
  ...extra,
});

describe('pairAttachments', () => {
  it('pairs by file name, whatever Outlook says the size is', () => {
    const parts = [part('2', 'b.pdf', 100), part('3', 'a.pdf', 5000)];
    const pairs = pairAttachments([attachment('A', 'a.pdf', 5210), attachment('B', 'B.PDF', 180)], parts);
    expect(pairs.get('A')?.partId).toBe('3');
    expect(pairs.get('B')?.partId).toBe('2');
  });

  it('claims identical twins one by one, nearest size first', () => {
    const parts = [part('2', 'scan.pdf', 900), part('3', 'scan.pdf', 100)];
    const pairs = pairAttachments([attachment('A', 'scan.pdf', 120), attachment('B', 'scan.pdf', 950)], parts);
    expect([pairs.get('A')?.partId, pairs.get('B')?.partId]).toEqual(['3', '2']);
  });

  it('finds an attached message by its subject and an unnamed part by its kind', () => {
    const parts = [
      part('2', 'Minutes.eml', 4000, { contentType: 'message/rfc822', isMessage: true }),
      part('3', undefined, 300, { contentType: 'image/png', inline: true }),
    ];
    const pairs = pairAttachments(
      [attachment('M', 'Minutes', 4100, { isItem: true }), attachment('I', 'image001.png', 310, { contentType: 'image/png', isInline: true })],
      parts,
    );
    expect(pairs.get('M')?.partId).toBe('2');
    expect(pairs.get('I')?.partId).toBe('3');
  });

  it('leaves an attachment the server did not find unpaired', () => {
    expect(pairAttachments([attachment('A', 'gone.pdf', 1, { contentType: 'text/plain' })], [part('2', 'x.pdf', 1)]).has('A')).toBe(false);
  });
});

describe('findPart', () => {
  it('finds a part again after the part ids shifted', () => {
    const before = [part('2', 'a.pdf', 10), part('3', 'b.pdf', 20)];
    const identity = identityOf(before, before[1] as AttachmentInfo);
    const after = [part('2', 'b.pdf', 20)];
    expect(findPart(after, identity, 0)?.partId).toBe('2');
  });

  it('counts twins already extracted ahead of it', () => {
    const before = [part('2', 'x.pdf', 10), part('3', 'x.pdf', 10)];
    const second = identityOf(before, before[1] as AttachmentInfo);
    expect(second.ordinal).toBe(1);
    expect(findPart([part('2', 'x.pdf', 10)], second, 1)?.partId).toBe('2');
  });
});
