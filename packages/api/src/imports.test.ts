import { describe, expect, it } from 'vitest';
import { isMessageType, MESSAGE_CONTENT_TYPE } from './imports.js';

describe('isMessageType', () => {
  it('recognises message/rfc822 in any case, with or without parameters (RFC 2045 §5.1)', () => {
    for (const type of [
      MESSAGE_CONTENT_TYPE,
      'MESSAGE/RFC822',
      'Message/Rfc822',
      'message/rfc822; charset=utf-8',
      'message/rfc822;name="Invoice 42.eml"',
      'message/rfc822 ; x-unknown=1',
      '  message/rfc822  ',
    ]) {
      expect(isMessageType(type), type).toBe(true);
    }
  });

  it('refuses every other type, including look-alikes', () => {
    for (const type of [
      '',
      'text/plain',
      'message/rfc8220',
      'message/global',
      'message/partial',
      'application/rfc822',
      'message/rfc822x; a=b',
      'xmessage/rfc822',
    ]) {
      expect(isMessageType(type), type).toBe(false);
    }
  });
});
