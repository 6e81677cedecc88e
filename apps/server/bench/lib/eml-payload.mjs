import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';

/**
 * An e-mail message of about `sizeMb` MiB written to `dir`: a short text and
 * HTML body (multipart/alternative) and `attachments` base64 attachments of
 * random bytes (incompressible, as scanned PDFs nearly are), lines of 76
 * characters as mail clients send them (RFC 2045 §6.8). Written in slices:
 * the message is never whole in memory.
 */
export async function attachmentMessage(dir, { sizeMb = 50, attachments = 20 } = {}) {
  const file = path.join(dir, `message-${sizeMb}mb-${attachments}.eml`);
  const handle = await open(file, 'wx');
  const boundary = 'bench-mixed-boundary';
  // base64 lines of 76 characters + CRLF carry 57 bytes: decoded bytes per attachment
  const perAttachment = Math.floor((sizeMb * 1024 * 1024 * 57) / 78 / attachments);
  try {
    await handle.write(
      [
        'From: Bench Sender <sender@bench.example>',
        'To: Bench User <bench@bench.example>',
        'Subject: Twenty scanned documents',
        'Date: Mon, 30 Nov 2026 09:00:00 +0100',
        'Message-ID: <bench-attachments@bench.example>',
        'MIME-Version: 1.0',
        `Content-Type: multipart/mixed; boundary="${boundary}"`,
        '',
        `--${boundary}`,
        'Content-Type: multipart/alternative; boundary="bench-alt"',
        '',
        '--bench-alt',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Please find the documents attached.',
        '--bench-alt',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>Please find the documents attached.</p>',
        '--bench-alt--',
        '',
      ].join('\r\n'),
    );
    const slice = Buffer.alloc(57 * 1024);
    for (let index = 1; index <= attachments; index += 1) {
      const name = `scan-${String(index).padStart(2, '0')}.pdf`;
      await handle.write(
        [
          `--${boundary}`,
          `Content-Type: application/pdf; name="${name}"`,
          `Content-Disposition: attachment; filename="${name}"`,
          'Content-Transfer-Encoding: base64',
          '',
          '',
        ].join('\r\n'),
      );
      for (let left = perAttachment; left > 0; left -= slice.length) {
        const bytes = randomFillSync(slice).subarray(0, Math.min(left, slice.length));
        await handle.write(`${bytes.toString('base64').replace(/.{1,76}/g, '$&\r\n')}`);
      }
    }
    await handle.write(`--${boundary}--\r\n`);
  } finally {
    await handle.close();
  }
  return file;
}
